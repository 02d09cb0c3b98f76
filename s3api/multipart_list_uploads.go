package s3api

import (
	"net/http"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

// listMultipartUploads handles ListMultipartUploads (GET /bucket?uploads):
// prefix, delimiter, key-marker, upload-id-marker, max-uploads (cap 1000)
// and encoding-type.
func (s *Server) listMultipartUploads(r *request) (*response, error) {
	q := r.ctx.QueryArgs()
	enc, encType, err := encodingType(q)
	if err != nil {
		return nil, err
	}
	maxUploads, err := maxArg(q, "max-uploads", s3err.ErrInvalidMaxUploads)
	if err != nil {
		return nil, err
	}
	prefix, delimiter := r.query("prefix"), r.query("delimiter")
	keyMarker, idMarker := r.query("key-marker"), r.query("upload-id-marker")
	res := &listMultipartUploadsResult{
		NS:             s3NS,
		Bucket:         r.bucket,
		KeyMarker:      enc.name(keyMarker),
		UploadIDMarker: idMarker,
		Delimiter:      enc.name(delimiter),
		Prefix:         enc.name(prefix),
		EncodingType:   encType,
		MaxUploads:     maxUploads,
	}
	if maxUploads > 0 {
		lr, err := s.objects.ListMultipartUploads(r.c, r.bucket, prefix, keyMarker, idMarker, delimiter, maxUploads)
		if err != nil {
			return nil, err
		}
		res.IsTruncated = lr.IsTruncated
		res.NextKeyMarker = enc.name(lr.NextKeyMarker)
		res.NextUploadIDMarker = lr.NextUploadIDMarker
		for _, u := range lr.Uploads {
			e := uploadEntry{
				Key:          enc.name(u.Key),
				UploadID:     u.UploadID,
				Initiator:    ownerOf(u.Opts.Owner),
				Owner:        ownerOf(u.Opts.Owner),
				StorageClass: storageClassName(u.Opts.StorageClass),
				Initiated:    xmlTime(u.Initiated),
			}
			if d := uploadChecksumOf(u.Opts.Headers); d.alg.Valid() {
				e.ChecksumAlgorithm, e.ChecksumType = d.alg.String(), d.typ.String()
			}
			res.Uploads = append(res.Uploads, e)
		}
		res.CommonPrefixes = commonPrefixes(lr.CommonPrefixes, enc)
	}
	return r.respondXML(http.StatusOK, res), nil
}
