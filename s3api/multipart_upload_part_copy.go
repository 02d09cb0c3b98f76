package s3api

import (
	"io"
	"net/http"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/s3api/checksum"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// uploadPartCopy handles UploadPartCopy (PUT
// /bucket/key?partNumber=N&uploadId=U with x-amz-copy-source and optional
// x-amz-copy-source-range "bytes=a-b").
func (s *Server) uploadPartCopy(r *request) (*response, error) {
	partNumber, uploadID, err := r.partParams()
	if err != nil {
		return nil, err
	}
	up, err := s.objects.GetMultipartUpload(r.c, r.bucket, r.key, uploadID)
	if err != nil {
		return nil, err
	}
	declared := uploadChecksumOf(up.Opts.Headers)
	obj, _, _, err := s.openCopySource(r)
	if err != nil {
		return nil, err
	}
	src := obj.Info()
	br := byteRange{first: 0, length: src.Size}
	if v := r.ctx.Request.Header.Peek("x-amz-copy-source-range"); len(v) > 0 {
		rr, ok, inRange := parseCopySourceRange(v, src.Size)
		switch {
		case !ok:
			obj.Close()
			return nil, s3err.ErrInvalidArgument.WithMessage("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
		case !inRange:
			obj.Close()
			return nil, s3err.ErrInvalidRange.WithMessage("Range specified is not valid for source object of size: " + itoa(src.Size))
		}
		br = rr
	}
	if br.length > maxSinglePutSize {
		obj.Close()
		return nil, s3err.ErrEntityTooLarge
	}
	rc := obj.Range(br.first, br.length)
	defer rc.Close()
	var body io.Reader = rc
	var hr *hashReader
	if declared.alg != checksum.None {
		hr = newHashReader(rc, declared.alg)
		body = hr
	}
	pi, err := s.objects.PutObjectPart(r.c, r.bucket, r.key, uploadID, partNumber, body, br.length, func(pi *erasure.PartInfo) error {
		if hr != nil {
			pi.Checksum = hr.checksum()
			pi.Checksum.Type = declared.typ.String()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if pi.ModTime.IsZero() {
		pi.ModTime = s.now()
	}
	res := &copyPartResult{NS: s3NS, LastModified: xmlTime(pi.ModTime), ETag: `"` + pi.ETag + `"`}
	if pi.Checksum.Algorithm != "" {
		res.setChecksum(pi.Checksum.Algorithm, pi.Checksum.Value)
	}
	return r.respondXML(http.StatusOK, res), nil
}
