package s3api

import (
	"errors"
	"net/http"

	"github.com/tessera-s3/tessera/iam"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// putBucketPolicy handles PutBucketPolicy (PUT /bucket?policy): the body is
// a bucket policy, validated (JSON, known actions, resources inside this
// bucket, no "s3:*" action) before it is replicated; 204.
func (s *Server) putBucketPolicy(r *request) (*response, error) {
	body, err := s.readXMLBody(r, iam.DefaultMaxBucketPolicySize)
	if err != nil {
		if errors.Is(err, s3err.ErrMissingRequestBodyError) {
			return nil, s3err.ErrMalformedPolicy.WithMessage("Policies must be valid JSON and the first byte must be '{'")
		}
		return nil, err
	}
	p, err := iam.Parse(body, iam.BucketPolicy)
	if err != nil {
		return nil, s3err.ErrMalformedPolicy.WithMessage(err.Error())
	}
	if err := p.ValidateBucket(r.bucket); err != nil {
		return nil, s3err.ErrMalformedPolicy.WithMessage(err.Error())
	}
	if err := s.buckets.SetBucketPolicy(r.c, r.bucket, string(body)); err != nil {
		return nil, err
	}
	return r.respond(http.StatusNoContent), nil
}

// deleteBucketPolicy handles DeleteBucketPolicy (DELETE /bucket?policy);
// 204 also when the bucket had none, as AWS answers.
func (s *Server) deleteBucketPolicy(r *request) (*response, error) {
	if r.bucketMeta.Policy != "" {
		if err := s.buckets.SetBucketPolicy(r.c, r.bucket, ""); err != nil {
			return nil, err
		}
	}
	return r.respond(http.StatusNoContent), nil
}
