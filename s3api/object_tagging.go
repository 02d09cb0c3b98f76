package s3api

import (
	"net/http"

	"github.com/tessera-s3/tessera/erasure"
)

// getObjectTagging handles GetObjectTagging (GET /bucket/key?tagging):
// the tag set, empty when none.
func (s *Server) getObjectTagging(r *request) (*response, error) {
	oi, err := s.objects.StatObject(r.c, r.bucket, r.key)
	if err != nil {
		return nil, err
	}
	return r.respondXML(http.StatusOK, &tagging{NS: s3NS, TagSet: tagSet{Tags: decodeTags(oi.Tags)}}), nil
}

// putObjectTagging handles PutObjectTagging (PUT /bucket/key?tagging):
// replaces the tag set (at most 10 tags); 200.
func (s *Server) putObjectTagging(r *request) (*response, error) {
	body, err := s.readXMLBody(r, maxXMLBody)
	if err != nil {
		return nil, err
	}
	tags, err := parseTaggingXML(body, maxObjectTags)
	if err != nil {
		return nil, err
	}
	enc := encodeTags(tags)
	if _, err := s.objects.UpdateObjectMeta(r.c, r.bucket, r.key, func(oi *erasure.ObjectInfo) error {
		oi.Tags = enc
		return nil
	}); err != nil {
		return nil, err
	}
	return r.respond(http.StatusOK), nil
}

// deleteObjectTagging handles DeleteObjectTagging: 204.
func (s *Server) deleteObjectTagging(r *request) (*response, error) {
	if _, err := s.objects.UpdateObjectMeta(r.c, r.bucket, r.key, func(oi *erasure.ObjectInfo) error {
		oi.Tags = ""
		return nil
	}); err != nil {
		return nil, err
	}
	return r.respond(http.StatusNoContent), nil
}
