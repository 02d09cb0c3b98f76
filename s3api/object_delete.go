package s3api

import (
	"net/http"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

// deleteObject handles DeleteObject (DELETE /bucket/key): 204, also when
// the key does not exist.
func (s *Server) deleteObject(r *request) (*response, error) {
	if v := r.ctx.QueryArgs().Peek("versionId"); v != nil && string(v) != "null" {
		return nil, s3err.ErrNoSuchVersion
	}
	if err := s.objects.DeleteObject(r.c, r.bucket, r.key); err != nil {
		return nil, err
	}
	return r.respond(http.StatusNoContent), nil
}
