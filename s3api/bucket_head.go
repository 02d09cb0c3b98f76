package s3api

import "net/http"

// headBucket handles HeadBucket (HEAD /bucket). A missing bucket is a
// 404 without body, as every HEAD error.
func (s *Server) headBucket(r *request) (*response, error) {
	p := r.respond(http.StatusOK)
	p.set(hAmzBucketRegion, s.cfg.Region)
	p.setBytes(hAmzAccessPointAlias, vFalse)
	p.length = 0
	return p, nil
}
