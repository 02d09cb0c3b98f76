package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/xml"
	"net/http"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

// maxDeleteObjects is the most keys one DeleteObjects request may name.
const maxDeleteObjects = 1000

// parseDelete decodes a DeleteObjects body: 1-1000 objects, else
// MalformedXML.
func parseDelete(body []byte) (*deleteRequest, error) {
	var d deleteRequest
	if err := xml.Unmarshal(body, &d); err != nil {
		return nil, s3err.ErrMalformedXML
	}
	if len(d.Objects) == 0 || len(d.Objects) > maxDeleteObjects {
		return nil, s3err.ErrMalformedXML
	}
	return &d, nil
}

// deleteObjects handles DeleteObjects (POST /bucket?delete). Each key is
// authorized as s3:DeleteObject and deleted on its own; the result lists
// Deleted (unless Quiet) and Error entries. Content-MD5 is checked when
// given; x-amz-checksum-* values are checked by the body reader.
func (s *Server) deleteObjects(r *request) (*response, error) {
	body, err := s.readXMLBody(r, maxXMLBody)
	if err != nil {
		return nil, err
	}
	want, err := r.contentMD5()
	if err != nil {
		return nil, err
	}
	if want != nil {
		got := md5.Sum(body)
		if !bytes.Equal(got[:], want) {
			return nil, s3err.ErrBadDigest
		}
	}
	d, err := parseDelete(body)
	if err != nil {
		return nil, err
	}
	res := &deleteResult{NS: s3NS}
	for _, o := range d.Objects {
		if e := s.deleteOne(r, o); e != nil {
			res.Errors = append(res.Errors, deleteError{Key: o.Key, VersionID: o.VersionID, Code: e.Code, Message: e.Message})
			continue
		}
		if !d.Quiet {
			res.Deleted = append(res.Deleted, deletedEntry(o))
		}
	}
	return r.respondXML(http.StatusOK, res), nil
}

// deleteOne deletes one key of a DeleteObjects request.
func (s *Server) deleteOne(r *request, o objectToDelete) *s3err.Error {
	switch {
	case o.Key == "":
		return s3err.ErrInvalidArgument.WithMessage("Key cannot be empty")
	case len(o.Key) > maxKeyLength:
		return s3err.ErrKeyTooLong
	case o.VersionID != "" && o.VersionID != "null":
		return s3err.ErrNoSuchVersion
	}
	if err := s.authorize(r, "s3:DeleteObject", r.bucket, o.Key); err != nil {
		return s.toS3Error(r, err)
	}
	if err := s.objects.DeleteObject(r.c, r.bucket, o.Key); err != nil {
		return s.toS3Error(r, err)
	}
	return nil
}
