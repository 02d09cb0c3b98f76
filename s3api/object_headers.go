package s3api

import (
	"github.com/tessera-s3/tessera/erasure"
)

// objectHeaderOpts says which optional headers writeObjectHeaders adds.
type objectHeaderOpts struct {
	// checksum adds x-amz-checksum-<alg> and x-amz-checksum-type with cs.
	checksum bool
	cs       erasure.Checksum
	// partsCount adds x-amz-mp-parts-count (GET/HEAD with partNumber of a
	// multipart object).
	partsCount int
}

// writeObjectHeaders adds the metadata headers of a GET/HEAD object
// response: Content-Type, ETag, Last-Modified, Accept-Ranges, stored
// standard headers, x-amz-meta-*, x-amz-tagging-count, x-amz-storage-class
// (when not STANDARD) and the optional checksum and parts-count headers.
// It allocates nothing beyond the request's arena.
func writeObjectHeaders(p *response, oi *erasure.ObjectInfo, o objectHeaderOpts) {
	ct := oi.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	p.set(hContentType, ct)
	p.setQuoted(hETag, oi.ETag)
	p.setTime(hLastModified, oi.ModTime)
	p.setBytes(hAcceptRanges, vBytes)
	for i, name := range storedHeaders {
		if v, ok := oi.Headers[name]; ok && v != "" {
			p.set(storedHeaderKeys[i], v)
		}
	}
	for k, v := range oi.UserMeta {
		p.setMeta(k, v)
	}
	if n := tagCount(oi.Tags); n > 0 {
		p.setInt(hAmzTaggingCount, int64(n))
	}
	if oi.StorageClass != "" && oi.StorageClass != "STANDARD" {
		p.set(hAmzStorageClass, oi.StorageClass)
	}
	if o.checksum && o.cs.Algorithm != "" {
		if key, ok := checksumHeaders[o.cs.Algorithm]; ok {
			p.set(key, o.cs.Value)
			if o.cs.Type != "" {
				p.set(hAmzChecksumType, o.cs.Type)
			}
		}
	}
	if o.partsCount > 0 {
		p.setInt(hAmzMPPartsCount, int64(o.partsCount))
	}
}

// setMeta adds "x-amz-meta-<k>: v", the key built in the arena.
func (p *response) setMeta(k, v string) {
	a := p.r.arena
	start := len(a)
	a = append(a, hAmzMetaPrefix...)
	a = append(a, k...)
	p.r.arena = a
	key := a[start:len(a):len(a)]
	if v == "" {
		p.headers = append(p.headers, respHeader{key: key, b: []byte{}})
		return
	}
	p.headers = append(p.headers, respHeader{key: key, val: v})
}
