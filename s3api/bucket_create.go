package s3api

import (
	"encoding/xml"
	"errors"
	"net/http"

	"github.com/tessera-s3/tessera/raftfsm"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// createBucket handles CreateBucket (PUT /bucket).
func (s *Server) createBucket(r *request) (*response, error) {
	if !validBucketName(r.bucket) {
		return nil, s3err.ErrInvalidBucketName
	}
	if len(r.ctx.Request.Header.Peek("x-amz-bucket-object-lock-enabled")) > 0 &&
		string(r.ctx.Request.Header.Peek("x-amz-bucket-object-lock-enabled")) != "false" {
		return nil, s3err.ErrNotImplemented.WithMessage("Object Lock is not supported")
	}
	if r.ctx.Request.Header.ContentLength() != 0 {
		body, err := s.readXMLBody(r, maxXMLBody)
		if err != nil && !errors.Is(err, s3err.ErrMissingRequestBodyError) {
			return nil, err
		}
		if len(body) > 0 {
			loc, err := parseCreateBucketConfiguration(body)
			if err != nil {
				return nil, err
			}
			if err := s.checkLocation(loc); err != nil {
				return nil, err
			}
		}
	}
	if r.bucketFound {
		return nil, s.bucketExistsError(r)
	}
	if len(s.buckets.Buckets()) >= s.cfg.MaxBuckets {
		return nil, s3err.ErrTooManyBuckets
	}
	err := s.buckets.CreateBucket(r.c, raftfsm.Bucket{
		Name:    r.bucket,
		Owner:   r.id.owner(),
		Created: s.now().UTC(),
	})
	switch {
	case errors.Is(err, raftfsm.ErrBucketExists):
		r.bucketMeta, r.bucketFound = s.buckets.Bucket(r.bucket)
		return nil, s.bucketExistsError(r)
	case errors.Is(err, raftfsm.ErrTooManyBuckets):
		return nil, s3err.ErrTooManyBuckets
	case err != nil:
		return nil, err
	}
	p := r.respond(http.StatusOK)
	p.set(hLocation, "/"+r.bucket)
	return p, nil
}

// bucketExistsError is BucketAlreadyOwnedByYou when the caller owns the
// existing bucket, else BucketAlreadyExists.
func (s *Server) bucketExistsError(r *request) error {
	if r.bucketFound && r.bucketMeta.Owner == r.id.owner() {
		return s3err.ErrBucketAlreadyOwnedByYou
	}
	return s3err.ErrBucketAlreadyExists
}

// parseCreateBucketConfiguration returns the LocationConstraint of a
// CreateBucketConfiguration document.
func parseCreateBucketConfiguration(body []byte) (string, error) {
	var c createBucketConfiguration
	if err := xml.Unmarshal(body, &c); err != nil {
		return "", s3err.ErrMalformedXML
	}
	return c.LocationConstraint, nil
}

// checkLocation accepts an empty location constraint or the server's
// region.
func (s *Server) checkLocation(loc string) error {
	if loc == "" || loc == s.cfg.Region {
		return nil
	}
	if !validRegionName(loc) {
		return s3err.ErrInvalidLocationConstraint
	}
	return s3err.ErrIllegalLocationConstraintException.WithMessage(
		"The " + loc + " location constraint is incompatible for the region specific endpoint this request was sent to.")
}

// validRegionName reports whether loc looks like a region name
// (lower-case letters, digits and '-', 1-64 characters).
func validRegionName(loc string) bool {
	if len(loc) == 0 || len(loc) > 64 {
		return false
	}
	for i := 0; i < len(loc); i++ {
		c := loc[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
