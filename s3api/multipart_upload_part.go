package s3api

import (
	"bytes"
	"io"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/s3api/checksum"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// partParams parses partNumber (1-10000) and uploadId.
func (r *request) partParams() (int, string, error) {
	q := r.ctx.QueryArgs()
	n, err := fasthttp.ParseUint(q.Peek("partNumber"))
	if err != nil || n < 1 || n > maxParts {
		return 0, "", s3err.ErrInvalidPartNumber
	}
	id := string(q.Peek("uploadId"))
	if id == "" {
		return 0, "", s3err.ErrNoSuchUpload
	}
	return n, id, nil
}

// bodyChecksumAlgorithm is the algorithm of the checksum the client sends
// with the body (x-amz-checksum-<alg> header, x-amz-trailer or
// x-amz-sdk-checksum-algorithm), or None.
func (r *request) bodyChecksumAlgorithm() checksum.Algorithm {
	h := &r.ctx.Request.Header
	if t := h.Peek("x-amz-trailer"); len(t) > 0 {
		if a := checksum.FromHeader(bytes.TrimSpace(t)); a != checksum.None {
			return a
		}
	}
	for _, a := range checksum.Algorithms {
		if len(h.Peek(a.HeaderName())) > 0 {
			return a
		}
	}
	return checksum.ParseAlgorithmBytes(h.Peek("x-amz-sdk-checksum-algorithm"))
}

// uploadPart handles UploadPart (PUT /bucket/key?partNumber=N&uploadId=U).
// When the upload declared a checksum algorithm and the client sends no
// checksum of it, the part's checksum is computed here so that the
// multipart checksum can be derived at completion.
func (s *Server) uploadPart(r *request) (*response, error) {
	partNumber, uploadID, err := r.partParams()
	if err != nil {
		return nil, err
	}
	up, err := s.objects.GetMultipartUpload(r.c, r.bucket, r.key, uploadID)
	if err != nil {
		return nil, err
	}
	declared := uploadChecksumOf(up.Opts.Headers)
	md5sum, err := r.contentMD5()
	if err != nil {
		return nil, err
	}
	br, err := s.bodyReader(r)
	if err != nil {
		return nil, err
	}
	size, err := s.bodySize(br, maxSinglePutSize)
	if err != nil {
		return nil, err
	}
	clientAlg := r.bodyChecksumAlgorithm()
	if declared.alg != checksum.None && clientAlg != checksum.None && clientAlg != declared.alg {
		return nil, s3err.ErrInvalidRequest.WithMessage("Checksum Type mismatch occurred, expected checksum Type: " +
			lower(declared.alg.String()) + ", actual checksum Type: " + lower(clientAlg.String()))
	}
	var body io.Reader = br
	var hr *hashReader
	if declared.alg != checksum.None {
		// Cheap next to the erasure write, and robust when the client
		// announces a checksum it never sends.
		hr = newHashReader(br, declared.alg)
		body = hr
	}
	verify := func(pi *erasure.PartInfo) error {
		if err := checkMD5(md5sum, pi.ETag); err != nil {
			return err
		}
		switch alg, val := br.Checksum(); {
		case alg != "":
			pi.Checksum = erasure.Checksum{Algorithm: alg, Value: val}
		case hr != nil:
			pi.Checksum = hr.checksum()
		}
		if declared.alg != checksum.None {
			pi.Checksum.Type = declared.typ.String()
		} else {
			pi.Checksum.Type = ""
		}
		return nil
	}
	pi, err := s.objects.PutObjectPart(r.c, r.bucket, r.key, uploadID, partNumber, body, size, verify)
	if err != nil {
		return nil, mapBodyError(err)
	}
	p := r.respond(http.StatusOK)
	p.setQuoted(hETag, pi.ETag)
	if pi.Checksum.Algorithm != "" {
		if key, ok := checksumHeaders[pi.Checksum.Algorithm]; ok {
			p.set(key, pi.Checksum.Value)
		}
	}
	return p, nil
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
