package s3api

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"net/http"

	"github.com/tessera-s3/tessera/lifecycle"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// putBucketLifecycle handles PutBucketLifecycleConfiguration (PUT
// /bucket?lifecycle): the body is validated by the lifecycle package (only
// Expiration rules; other actions are NotImplemented), rules without an ID
// get one, and the configuration replaces the bucket's; 200 with no body,
// as AWS answers. Content-MD5 is checked when given; x-amz-checksum-*
// values (what the SDKs send) are checked by the body reader. Neither is
// required.
func (s *Server) putBucketLifecycle(r *request) (*response, error) {
	want, err := r.contentMD5()
	if err != nil {
		return nil, err
	}
	body, err := s.readXMLBody(r, maxXMLBody)
	if err != nil {
		if errors.Is(err, s3err.ErrMissingRequestBodyError) {
			return nil, s3err.ErrMalformedXML
		}
		return nil, err
	}
	if want != nil {
		if got := md5.Sum(body); !bytes.Equal(got[:], want) {
			return nil, s3err.ErrBadDigest
		}
	}
	cfg, err := lifecycle.ParseXML(body)
	if err != nil {
		return nil, lifecycleError(err)
	}
	doc, err := cfg.Encode()
	if err != nil {
		return nil, lifecycleError(err)
	}
	if err := s.buckets.SetBucketLifecycle(r.c, r.bucket, doc); err != nil {
		return nil, err
	}
	return r.respond(http.StatusOK), nil
}

// getBucketLifecycle handles GetBucketLifecycleConfiguration (GET
// /bucket?lifecycle): the rules as they were put (with generated IDs
// filled in), NoSuchLifecycleConfiguration when the bucket has none.
func (s *Server) getBucketLifecycle(r *request) (*response, error) {
	if r.bucketMeta.Lifecycle == "" {
		return nil, s3err.ErrNoSuchLifecycleConfiguration
	}
	cfg, err := lifecycle.Decode(r.bucketMeta.Lifecycle)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", r.bucket, err)
	}
	p := r.respond(http.StatusOK)
	p.raw = cfg.XML()
	p.rawType = vXMLType
	return p, nil
}

// deleteBucketLifecycle handles DeleteBucketLifecycle (DELETE
// /bucket?lifecycle); 204 also when the bucket had none, as AWS answers.
func (s *Server) deleteBucketLifecycle(r *request) (*response, error) {
	if r.bucketMeta.Lifecycle != "" {
		if err := s.buckets.SetBucketLifecycle(r.c, r.bucket, ""); err != nil {
			return nil, err
		}
	}
	return r.respond(http.StatusNoContent), nil
}

// lifecycleError maps a lifecycle validation failure to the S3 error of
// the same code, with the lifecycle package's (AWS's) message.
func lifecycleError(err error) error {
	var ve *lifecycle.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var e *s3err.Error
	switch ve.Code {
	case lifecycle.CodeInvalidArgument:
		e = s3err.ErrInvalidArgument
	case lifecycle.CodeInvalidRequest:
		e = s3err.ErrInvalidRequest
	case lifecycle.CodeInvalidTag:
		e = s3err.ErrInvalidTag
	case lifecycle.CodeNotImplemented:
		e = s3err.ErrNotImplemented
	default:
		e = s3err.ErrMalformedXML
	}
	return e.WithMessage(ve.Message)
}
