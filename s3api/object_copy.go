package s3api

import (
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/s3api/checksum"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// parseCopySource parses x-amz-copy-source: "[/]bucket/key[?versionId=V]",
// URL-encoded. Only the "null" version exists.
func parseCopySource(v string) (bucket, key string, err error) {
	path, query, _ := strings.Cut(v, "?")
	if query != "" {
		q, perr := url.ParseQuery(query)
		if perr != nil {
			return "", "", s3err.ErrInvalidCopySource
		}
		if ver := q.Get("versionId"); ver != "" && ver != "null" {
			return "", "", s3err.ErrNoSuchVersion
		}
	}
	dec, perr := url.PathUnescape(path)
	if perr != nil {
		return "", "", s3err.ErrInvalidCopySource
	}
	dec = strings.TrimPrefix(dec, "/")
	bucket, key, ok := strings.Cut(dec, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", s3err.ErrInvalidCopySource
	}
	if len(key) > maxKeyLength {
		return "", "", s3err.ErrKeyTooLong
	}
	return bucket, key, nil
}

// openCopySource authorizes s3:GetObject on the copy source, opens it and
// applies the x-amz-copy-source-if-* conditions (PreconditionFailed).
func (s *Server) openCopySource(r *request) (*erasure.Object, string, string, error) {
	bucket, key, err := parseCopySource(r.header("x-amz-copy-source"))
	if err != nil {
		return nil, "", "", err
	}
	if err := s.authorize(r, "s3:GetObject", bucket, key); err != nil {
		return nil, "", "", err
	}
	if _, ok := s.buckets.Bucket(bucket); !ok {
		return nil, "", "", s3err.ErrNoSuchBucket
	}
	obj, err := s.objects.OpenObject(r.c, bucket, key)
	if err != nil {
		return nil, "", "", err
	}
	info := obj.Info()
	cond := r.copySourceConditions()
	if evalConditions(&cond, info.ETag, info.ModTime) != condOK {
		obj.Close()
		return nil, "", "", s3err.ErrPreconditionFailed
	}
	return obj, bucket, key, nil
}

// copyObject handles CopyObject (PUT /bucket/key with x-amz-copy-source).
// Metadata and tags are copied or replaced per the directives; copying an
// object onto itself needs REPLACE and only updates the metadata.
func (s *Server) copyObject(r *request) (*response, error) {
	metaDir := r.header("x-amz-metadata-directive")
	if metaDir != "" && metaDir != "COPY" && metaDir != "REPLACE" {
		return nil, s3err.ErrInvalidMetadataDirective
	}
	tagDir := r.header("x-amz-tagging-directive")
	if tagDir != "" && tagDir != "COPY" && tagDir != "REPLACE" {
		return nil, s3err.ErrInvalidTaggingDirective
	}
	replaceMeta, replaceTags := metaDir == "REPLACE", tagDir == "REPLACE"

	obj, srcBucket, srcKey, err := s.openCopySource(r)
	if err != nil {
		return nil, err
	}
	src := obj.Info()
	if src.Size > maxCopySize {
		obj.Close()
		return nil, s3err.ErrInvalidRequest.WithMessage("The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
	}

	var opts erasure.PutOptions
	if replaceMeta {
		if opts, err = s.putOptions(r); err != nil {
			obj.Close()
			return nil, err
		}
	} else {
		if err := r.checkUnsupportedHeaders(); err != nil {
			obj.Close()
			return nil, err
		}
		opts = erasure.PutOptions{
			ContentType:  src.ContentType,
			UserMeta:     maps.Clone(src.UserMeta),
			Headers:      maps.Clone(src.Headers),
			StorageClass: src.StorageClass,
		}
		delete(opts.Headers, metaChecksumAlgorithm)
		delete(opts.Headers, metaChecksumType)
		if sc := r.header("x-amz-storage-class"); sc != "" {
			if opts.StorageClass, err = checkStorageClass(sc); err != nil {
				obj.Close()
				return nil, err
			}
		}
		s.setOwner(r, &opts)
	}
	if replaceTags {
		tags, err := parseTagQuery(r.header("x-amz-tagging"))
		if err != nil {
			obj.Close()
			return nil, err
		}
		opts.Tags = encodeTags(tags)
	} else {
		opts.Tags = src.Tags
	}

	if srcBucket == r.bucket && srcKey == r.key {
		obj.Close()
		if !replaceMeta && r.header("x-amz-storage-class") == "" {
			return nil, s3err.ErrInvalidCopyDest
		}
		oi, err := s.objects.UpdateObjectMeta(r.c, r.bucket, r.key, func(oi *erasure.ObjectInfo) error {
			if oi.ETag != src.ETag {
				return s3err.ErrPreconditionFailed
			}
			oi.ContentType, oi.UserMeta, oi.Headers = opts.ContentType, opts.UserMeta, opts.Headers
			oi.StorageClass, oi.Tags = opts.StorageClass, opts.Tags
			oi.ModTime = opts.ModTime
			return nil
		})
		if err != nil {
			return nil, err
		}
		return copyResult(r, oi), nil
	}

	// Whole-object checksums carry over (same bytes); a composite one
	// describes the source's parts, so a full-object checksum of the same
	// algorithm is computed while copying.
	var data io.Reader = obj.Range(0, src.Size)
	defer data.(io.Closer).Close()
	var h *hashReader
	if src.Checksum.Algorithm != "" && src.Checksum.Type != checksum.FullObject.String() {
		if alg, err := checksum.ParseAlgorithm(src.Checksum.Algorithm); err == nil {
			h = newHashReader(data, alg)
			data = h
		}
	}
	opts.Verify = func(oi *erasure.ObjectInfo) error {
		switch {
		case h != nil:
			oi.Checksum = h.checksum()
		case src.Checksum.Algorithm != "":
			oi.Checksum = src.Checksum
		}
		return nil
	}
	oi, err := s.objects.PutObject(r.c, r.bucket, r.key, data, src.Size, opts)
	if err != nil {
		return nil, err
	}
	return copyResult(r, oi), nil
}

func copyResult(r *request, oi erasure.ObjectInfo) *response {
	res := &copyObjectResult{NS: s3NS, LastModified: xmlTime(oi.ModTime), ETag: `"` + oi.ETag + `"`}
	if oi.Checksum.Algorithm != "" {
		res.setChecksum(oi.Checksum.Algorithm, oi.Checksum.Value)
		res.ChecksumType = oi.Checksum.Type
	}
	return r.respondXML(http.StatusOK, res)
}
