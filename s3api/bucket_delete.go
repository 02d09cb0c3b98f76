package s3api

import (
	"errors"
	"net/http"

	"github.com/tessera-s3/tessera/raftfsm"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// deleteBucket handles DeleteBucket (DELETE /bucket): 204 when the bucket
// was empty and is gone, BucketNotEmpty otherwise.
func (s *Server) deleteBucket(r *request) (*response, error) {
	empty, err := s.objects.BucketEmpty(r.c, r.bucket)
	if err != nil {
		return nil, err
	}
	if !empty {
		return nil, s3err.ErrBucketNotEmpty
	}
	if err := s.buckets.DeleteBucket(r.c, r.bucket); err != nil {
		if errors.Is(err, raftfsm.ErrBucketNotFound) {
			return nil, s3err.ErrNoSuchBucket
		}
		return nil, err
	}
	// The bucket is gone; leftovers (e.g. aborted uploads, an object
	// written during the delete) are removed now and never visible again
	// because the bucket no longer exists.
	if err := s.objects.DeleteBucketData(r.c, r.bucket); err != nil {
		s.log.Warn("s3api: removing data of deleted bucket", "bucket", r.bucket, "err", err)
	}
	return r.respond(http.StatusNoContent), nil
}
