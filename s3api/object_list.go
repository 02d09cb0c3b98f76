package s3api

import (
	"encoding/base64"
	"net/http"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// listParams are the query parameters every object listing shares.
type listParams struct {
	enc               encoder
	encType           string
	maxKeys           int
	prefix, delimiter string
}

// parseListParams reads encoding-type, max-keys, prefix and delimiter.
func parseListParams(r *request) (listParams, error) {
	q := r.ctx.QueryArgs()
	enc, encType, err := encodingType(q)
	if err != nil {
		return listParams{}, err
	}
	maxKeys, err := maxArg(q, "max-keys", s3err.ErrInvalidMaxKeys)
	if err != nil {
		return listParams{}, err
	}
	return listParams{enc: enc, encType: encType, maxKeys: maxKeys, prefix: r.query("prefix"), delimiter: r.query("delimiter")}, nil
}

// listObjects handles ListObjects v1 (GET /bucket): prefix, delimiter,
// marker, max-keys and encoding-type. NextMarker is set only when a
// delimiter was given, as AWS does.
func (s *Server) listObjects(r *request) (*response, error) {
	p, err := parseListParams(r)
	if err != nil {
		return nil, err
	}
	enc, encType, maxKeys, prefix, delimiter := p.enc, p.encType, p.maxKeys, p.prefix, p.delimiter
	marker := r.query("marker")
	lr, err := s.list(r, prefix, marker, delimiter, maxKeys)
	if err != nil {
		return nil, err
	}
	res := &listBucketResult{
		NS:           s3NS,
		Name:         r.bucket,
		Prefix:       enc.name(prefix),
		Marker:       enc.name(marker),
		MaxKeys:      maxKeys,
		Delimiter:    enc.name(delimiter),
		EncodingType: encType,
		IsTruncated:  lr.IsTruncated,
	}
	if lr.IsTruncated && delimiter != "" {
		res.NextMarker = enc.name(lr.NextMarker)
	}
	res.Contents = objectEntries(lr.Objects, enc, true)
	res.CommonPrefixes = commonPrefixes(lr.CommonPrefixes, enc)
	return r.respondXML(http.StatusOK, res), nil
}

// listObjectsV2 handles ListObjectsV2 (GET /bucket?list-type=2):
// continuation-token (opaque: base64 of the last key returned),
// start-after, fetch-owner, KeyCount and encoding-type.
func (s *Server) listObjectsV2(r *request) (*response, error) {
	q := r.ctx.QueryArgs()
	p, err := parseListParams(r)
	if err != nil {
		return nil, err
	}
	enc, encType, maxKeys, prefix, delimiter := p.enc, p.encType, p.maxKeys, p.prefix, p.delimiter
	startAfter := r.query("start-after")
	marker := startAfter
	token := q.Peek("continuation-token")
	if token != nil {
		b, err := base64.RawURLEncoding.DecodeString(string(token))
		if err != nil || len(token) == 0 {
			return nil, s3err.ErrInvalidArgument.WithMessage("The continuation token provided is incorrect")
		}
		marker = string(b)
	}
	lr, err := s.list(r, prefix, marker, delimiter, maxKeys)
	if err != nil {
		return nil, err
	}
	res := &listBucketResultV2{
		NS:                s3NS,
		Name:              r.bucket,
		Prefix:            enc.name(prefix),
		ContinuationToken: string(token),
		StartAfter:        enc.name(startAfter),
		KeyCount:          len(lr.Objects) + len(lr.CommonPrefixes),
		MaxKeys:           maxKeys,
		Delimiter:         enc.name(delimiter),
		EncodingType:      encType,
		IsTruncated:       lr.IsTruncated,
	}
	if lr.IsTruncated {
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(lr.NextMarker))
	}
	fetchOwner := string(q.Peek("fetch-owner")) == "true"
	res.Contents = objectEntries(lr.Objects, enc, fetchOwner)
	res.CommonPrefixes = commonPrefixes(lr.CommonPrefixes, enc)
	return r.respondXML(http.StatusOK, res), nil
}

// listObjectVersions handles ListObjectVersions (GET /bucket?versions) for
// an unversioned bucket: every object is its only, "null", version.
func (s *Server) listObjectVersions(r *request) (*response, error) {
	p, err := parseListParams(r)
	if err != nil {
		return nil, err
	}
	enc, encType, maxKeys, prefix, delimiter := p.enc, p.encType, p.maxKeys, p.prefix, p.delimiter
	keyMarker := r.query("key-marker")
	lr, err := s.list(r, prefix, keyMarker, delimiter, maxKeys)
	if err != nil {
		return nil, err
	}
	res := &listVersionsResult{
		NS:              s3NS,
		Name:            r.bucket,
		Prefix:          enc.name(prefix),
		KeyMarker:       enc.name(keyMarker),
		VersionIDMarker: r.query("version-id-marker"),
		MaxKeys:         maxKeys,
		Delimiter:       enc.name(delimiter),
		EncodingType:    encType,
		IsTruncated:     lr.IsTruncated,
	}
	if lr.IsTruncated {
		res.NextKeyMarker = enc.name(lr.NextMarker)
		res.NextVersionIDMarker = "null"
	}
	for i := range lr.Objects {
		oi := &lr.Objects[i]
		res.Versions = append(res.Versions, versionEntry{
			Key:          enc.name(oi.Key),
			VersionID:    "null",
			IsLatest:     true,
			LastModified: xmlTime(oi.ModTime),
			ETag:         `"` + oi.ETag + `"`,
			Size:         oi.Size,
			Owner:        ownerOf(oi.Owner),
			StorageClass: storageClassName(oi.StorageClass),
		})
	}
	res.CommonPrefixes = commonPrefixes(lr.CommonPrefixes, enc)
	return r.respondXML(http.StatusOK, res), nil
}

// list calls the store unless maxKeys is 0.
func (s *Server) list(r *request, prefix, marker, delimiter string, maxKeys int) (erasure.ListObjectsResult, error) {
	if maxKeys == 0 {
		return erasure.ListObjectsResult{}, nil
	}
	return s.objects.ListObjects(r.c, r.bucket, prefix, marker, delimiter, maxKeys)
}

func objectEntries(objs []erasure.ObjectInfo, enc encoder, withOwner bool) []objectEntry {
	if len(objs) == 0 {
		return nil
	}
	out := make([]objectEntry, len(objs))
	for i := range objs {
		oi := &objs[i]
		out[i] = objectEntry{
			Key:          enc.name(oi.Key),
			LastModified: xmlTime(oi.ModTime),
			ETag:         `"` + oi.ETag + `"`,
			Size:         oi.Size,
			StorageClass: storageClassName(oi.StorageClass),
		}
		if oi.Checksum.Algorithm != "" {
			out[i].ChecksumAlgorithm = oi.Checksum.Algorithm
			out[i].ChecksumType = oi.Checksum.Type
		}
		if withOwner {
			out[i].Owner = ownerOf(oi.Owner)
		}
	}
	return out
}

func commonPrefixes(ps []string, enc encoder) []commonPrefix {
	if len(ps) == 0 {
		return nil
	}
	out := make([]commonPrefix, len(ps))
	for i, p := range ps {
		out[i].Prefix = enc.name(p)
	}
	return out
}

// storageClassName is the listed storage class ("" is STANDARD).
func storageClassName(c string) string {
	if c == "" {
		return "STANDARD"
	}
	return c
}
