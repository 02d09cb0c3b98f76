package s3api

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/s3api/checksum"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// parseCompleteMultipartUpload decodes a CompleteMultipartUpload body:
// 1-10000 parts with part numbers 1-10000 in ascending order
// (MalformedXML, InvalidArgument, InvalidPartOrder).
func parseCompleteMultipartUpload(body []byte) ([]completedPart, error) {
	var c completeMultipartUpload
	if err := xml.Unmarshal(body, &c); err != nil {
		return nil, s3err.ErrMalformedXML
	}
	if len(c.Parts) == 0 || len(c.Parts) > maxParts {
		return nil, s3err.ErrMalformedXML
	}
	prev := 0
	for _, p := range c.Parts {
		if p.PartNumber < 1 || p.PartNumber > maxParts {
			return nil, s3err.ErrInvalidPartNumber
		}
		if p.PartNumber <= prev {
			return nil, s3err.ErrInvalidPartOrder
		}
		prev = p.PartNumber
	}
	return c.Parts, nil
}

// completeMultipartUpload handles CompleteMultipartUpload (POST
// /bucket/key?uploadId=U). When the upload declared a checksum algorithm,
// the object's checksum is derived from the part checksums: COMPOSITE
// (checksum of the concatenated part checksums, "-N") or FULL_OBJECT (the
// CRCs combined).
func (s *Server) completeMultipartUpload(r *request) (*response, error) {
	uploadID := r.query("uploadId")
	body, err := s.readXMLBody(r, maxCompleteBody)
	if err != nil {
		return nil, err
	}
	cparts, err := parseCompleteMultipartUpload(body)
	if err != nil {
		return nil, err
	}
	up, err := s.objects.GetMultipartUpload(r.c, r.bucket, r.key, uploadID)
	if err != nil {
		return nil, err
	}
	declared := uploadChecksumOf(up.Opts.Headers)
	if err := s.checkWriteConditions(r); err != nil {
		return nil, err
	}
	parts := make([]erasure.CompletePart, len(cparts))
	for i := range cparts {
		cp := &cparts[i]
		parts[i] = erasure.CompletePart{Number: cp.PartNumber, ETag: cp.ETag}
		if declared.alg != checksum.None {
			v := cp.checksum(declared.alg.String())
			if v != "" {
				parts[i].Checksum = erasure.Checksum{Algorithm: declared.alg.String(), Value: v, Type: declared.typ.String()}
			}
		}
	}
	// A whole-object checksum the client may send with Complete.
	wantObject := ""
	if declared.alg != checksum.None {
		wantObject = string(r.ctx.Request.Header.Peek(declared.alg.HeaderName()))
	}
	verify := func(oi *erasure.ObjectInfo) error {
		if oi.Size > s.cfg.MaxObjectSize {
			return s3err.ErrEntityTooLarge
		}
		if declared.alg == checksum.None {
			oi.Checksum = erasure.Checksum{}
			return nil
		}
		cs, err := multipartChecksum(declared, oi.Parts, parts)
		if err != nil {
			return err
		}
		if wantObject != "" && strings.TrimSuffix(wantObject, partsSuffix(cs.Value)) != strings.TrimSuffix(cs.Value, partsSuffix(cs.Value)) {
			return s3err.ErrBadDigest.WithMessage("The " + declared.alg.String() + " you specified for the object did not match what was computed.")
		}
		oi.Checksum = cs
		return nil
	}
	oi, err := s.objects.CompleteMultipartUpload(r.c, r.bucket, r.key, uploadID, parts, verify)
	if err != nil {
		return nil, err
	}
	res := &completeMultipartUploadResult{
		NS:       s3NS,
		Location: r.location(),
		Bucket:   r.bucket,
		Key:      r.key,
		ETag:     `"` + oi.ETag + `"`,
	}
	if oi.Checksum.Algorithm != "" {
		res.setChecksum(oi.Checksum.Algorithm, oi.Checksum.Value)
		res.ChecksumType = oi.Checksum.Type
	}
	return r.respondXML(http.StatusOK, res), nil
}

// partsSuffix returns the "-N" suffix of a composite checksum value.
func partsSuffix(v string) string {
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return v[i:]
	}
	return ""
}

// multipartChecksum derives the object checksum from the stored part
// checksums (stored, in object order) and checks the values the client
// named in Complete (sent) against them (InvalidPart).
func multipartChecksum(d uploadChecksum, stored []erasure.PartInfo, sent []erasure.CompletePart) (erasure.Checksum, error) {
	if len(stored) == 0 {
		return erasure.Checksum{}, s3err.ErrInvalidPart
	}
	alg := d.alg.String()
	sums := make([]checksum.Part, len(stored))
	for i, pi := range stored {
		if pi.Checksum.Algorithm != alg {
			return erasure.Checksum{}, s3err.ErrInvalidPart.WithMessage("The upload was created using a " + lower(alg) +
				" checksum. The complete request must include the checksum for each part. It was missing for part " + itoa(int64(pi.Number)) + " in the request.")
		}
		raw, err := checksum.Decode(d.alg, pi.Checksum.Value)
		if err != nil {
			return erasure.Checksum{}, s3err.ErrInvalidPart
		}
		if i < len(sent) && sent[i].Number == pi.Number && sent[i].Checksum.Value != "" && sent[i].Checksum.Value != pi.Checksum.Value {
			return erasure.Checksum{}, s3err.ErrInvalidPart
		}
		sums[i] = checksum.Part{Sum: raw, Size: pi.Size}
	}
	switch d.typ {
	case checksum.FullObject:
		raw, err := checksum.FullObjectSum(d.alg, sums)
		if err != nil {
			return erasure.Checksum{}, s3err.ErrInvalidPart
		}
		return erasure.Checksum{Algorithm: alg, Value: checksum.Encode(raw), Type: d.typ.String()}, nil
	default:
		v, err := checksum.CompositeSum(d.alg, sums)
		if err != nil {
			return erasure.Checksum{}, s3err.ErrInvalidPart
		}
		return erasure.Checksum{Algorithm: alg, Value: v, Type: checksum.Composite.String()}, nil
	}
}

// location is the URL of the request's object, for
// CompleteMultipartUploadResult.
func (r *request) location() string {
	scheme := "http://"
	if r.ctx.IsTLS() {
		scheme = "https://"
	}
	host := string(r.ctx.Request.Header.Host())
	if r.virtualHost {
		return scheme + host + "/" + escapePath(r.key)
	}
	return scheme + host + "/" + r.bucket + "/" + escapePath(r.key)
}
