package s3api

import (
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

// listParts handles ListParts (GET /bucket/key?uploadId=U): max-parts
// (default and cap 1000) and part-number-marker.
func (s *Server) listParts(r *request) (*response, error) {
	q := r.ctx.QueryArgs()
	id := r.query("uploadId")
	maxPartsN, err := maxArg(q, "max-parts", s3err.ErrInvalidMaxParts)
	if err != nil {
		return nil, err
	}
	marker := 0
	if v := q.Peek("part-number-marker"); len(v) > 0 {
		n, err := fasthttp.ParseUint(v)
		if err != nil {
			return nil, s3err.ErrInvalidArgument.WithMessage("Argument part-number-marker must be an integer between 0 and 2147483647")
		}
		marker = n
	}
	lr, err := s.objects.ListParts(r.c, r.bucket, r.key, id, marker, maxPartsN)
	if err != nil {
		return nil, err
	}
	owner := lr.Upload.Opts.Owner
	declared := uploadChecksumOf(lr.Upload.Opts.Headers)
	res := &listPartsResult{
		NS:                   s3NS,
		Bucket:               r.bucket,
		Key:                  r.key,
		UploadID:             id,
		Initiator:            ownerOf(owner),
		Owner:                ownerOf(owner),
		StorageClass:         storageClassName(lr.Upload.Opts.StorageClass),
		PartNumberMarker:     marker,
		NextPartNumberMarker: lr.NextPartNumberMarker,
		MaxParts:             maxPartsN,
		IsTruncated:          lr.IsTruncated,
	}
	if !lr.IsTruncated && len(lr.Parts) > 0 {
		res.NextPartNumberMarker = lr.Parts[len(lr.Parts)-1].Number
	}
	if declared.alg.Valid() {
		res.ChecksumAlgorithm = declared.alg.String()
		res.ChecksumType = declared.typ.String()
	}
	for _, pi := range lr.Parts {
		e := partEntry{
			PartNumber:   pi.Number,
			LastModified: xmlTime(pi.ModTime),
			ETag:         `"` + pi.ETag + `"`,
			Size:         pi.Size,
		}
		if pi.Checksum.Algorithm != "" {
			e.setChecksum(pi.Checksum.Algorithm, pi.Checksum.Value)
		}
		res.Parts = append(res.Parts, e)
	}
	return r.respondXML(http.StatusOK, res), nil
}
