package s3api

import (
	"net/http"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

// getBucketTagging handles GetBucketTagging (GET /bucket?tagging).
func (s *Server) getBucketTagging(r *request) (*response, error) {
	if len(r.bucketMeta.Tags) == 0 {
		return nil, s3err.ErrNoSuchTagSet
	}
	return r.respondXML(http.StatusOK, &tagging{NS: s3NS, TagSet: tagSet{Tags: mapToTags(r.bucketMeta.Tags)}}), nil
}

// putBucketTagging handles PutBucketTagging (PUT /bucket?tagging): the
// tag set is replaced; 204.
func (s *Server) putBucketTagging(r *request) (*response, error) {
	body, err := s.readXMLBody(r, maxXMLBody)
	if err != nil {
		return nil, err
	}
	tags, err := parseTaggingXML(body, maxBucketTags)
	if err != nil {
		return nil, err
	}
	m := tagsToMap(tags)
	if len(m) == 0 {
		m = nil
	}
	if err := s.buckets.SetBucketTags(r.c, r.bucket, m); err != nil {
		return nil, err
	}
	return r.respond(http.StatusNoContent), nil
}

// deleteBucketTagging handles DeleteBucketTagging (DELETE /bucket?tagging).
func (s *Server) deleteBucketTagging(r *request) (*response, error) {
	if err := s.buckets.SetBucketTags(r.c, r.bucket, nil); err != nil {
		return nil, err
	}
	return r.respond(http.StatusNoContent), nil
}
