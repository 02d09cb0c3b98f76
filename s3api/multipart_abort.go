package s3api

import (
	"net/http"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

// abortMultipartUpload handles AbortMultipartUpload (DELETE
// /bucket/key?uploadId=U): 204, NoSuchUpload when unknown.
func (s *Server) abortMultipartUpload(r *request) (*response, error) {
	id := r.query("uploadId")
	if id == "" {
		return nil, s3err.ErrNoSuchUpload
	}
	if err := s.objects.AbortMultipartUpload(r.c, r.bucket, r.key, id); err != nil {
		return nil, err
	}
	return r.respond(http.StatusNoContent), nil
}
