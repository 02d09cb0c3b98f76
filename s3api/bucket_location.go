package s3api

import "net/http"

// getBucketLocation handles GetBucketLocation (GET /bucket?location): an
// empty LocationConstraint for us-east-1, the region otherwise.
func (s *Server) getBucketLocation(r *request) (*response, error) {
	loc := s.cfg.Region
	if loc == "us-east-1" {
		loc = ""
	}
	return r.respondXML(http.StatusOK, &locationConstraint{NS: s3NS, Location: loc}), nil
}
