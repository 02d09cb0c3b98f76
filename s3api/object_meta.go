package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/s3api/checksum"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// defaultContentType is what AWS stores when PutObject has no Content-Type.
const defaultContentType = "binary/octet-stream"

// storedHeaders are the standard headers stored with an object and
// returned on GET/HEAD, in canonical form.
var storedHeaders = [...]string{
	"Cache-Control",
	"Content-Disposition",
	"Content-Encoding",
	"Content-Language",
	"Expires",
	"x-amz-website-redirect-location",
}

// storedHeaderKeys are storedHeaders as []byte, for writing.
var storedHeaderKeys = [...][]byte{
	hCacheControl, hContentDisposition, hContentEncoding, hContentLanguage, hExpires, hAmzWebsiteRedirect,
}

// Internal Headers keys of multipart uploads: the declared checksum
// algorithm and type. They are never written to responses as such.
const (
	metaChecksumAlgorithm = "x-amz-checksum-algorithm"
	metaChecksumType      = "x-amz-checksum-type"
)

// storageClasses are the x-amz-storage-class values accepted; all are
// stored on the same drives. Unknown values are InvalidStorageClass.
var storageClasses = [...]string{
	"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
	"INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS",
}

// checkStorageClass validates x-amz-storage-class; "" means STANDARD.
func checkStorageClass(v string) (string, error) {
	if v == "" || v == "STANDARD" {
		return "", nil
	}
	for _, c := range storageClasses {
		if v == c {
			return v, nil
		}
	}
	return "", s3err.ErrInvalidStorageClass
}

// unsupportedPutHeaders name features Tessera does not implement; a
// request using them gets NotImplemented rather than silently losing them.
var unsupportedPutHeaders = [...]string{
	"x-amz-server-side-encryption",
	"x-amz-server-side-encryption-customer-algorithm",
	"x-amz-server-side-encryption-aws-kms-key-id",
	"x-amz-object-lock-mode",
	"x-amz-object-lock-retain-until-date",
	"x-amz-object-lock-legal-hold",
}

func (r *request) checkUnsupportedHeaders() error {
	h := &r.ctx.Request.Header
	for _, name := range unsupportedPutHeaders {
		if len(h.Peek(name)) > 0 {
			return s3err.ErrNotImplemented.WithMessage("A header you provided implies functionality that is not implemented: " + name)
		}
	}
	return nil
}

// userMeta collects x-amz-meta-* headers: keys lower-case without the
// prefix; repeated headers are joined with ",". The total size of keys
// and values is limited to 2 KB (MetadataTooLarge).
func (r *request) userMeta() (map[string]string, error) {
	var m map[string]string
	size := 0
	for k, v := range r.ctx.Request.Header.All() {
		if len(k) <= len(hAmzMetaPrefix) || !asciiEqualFold(k[:len(hAmzMetaPrefix)], hAmzMetaPrefix) {
			continue
		}
		name := strings.ToLower(string(k[len(hAmzMetaPrefix):]))
		if m == nil {
			m = make(map[string]string)
		}
		if old, ok := m[name]; ok {
			m[name] = old + "," + string(v)
			size += 1 + len(v)
		} else {
			m[name] = string(v)
			size += len(name) + len(v)
		}
	}
	if size > maxUserMetaSize {
		return nil, s3err.ErrMetadataTooLarge
	}
	return m, nil
}

// stdHeaders collects the stored standard headers. Content-Encoding loses
// its "aws-chunked" coding, which only describes the transfer.
func (r *request) stdHeaders() map[string]string {
	var m map[string]string
	for i, name := range storedHeaders {
		v := r.ctx.Request.Header.PeekBytes(storedHeaderKeys[i])
		if len(v) == 0 {
			continue
		}
		val := string(v)
		if name == "Content-Encoding" {
			val = stripAWSChunked(val)
			if val == "" {
				continue
			}
		}
		if m == nil {
			m = make(map[string]string)
		}
		m[name] = val
	}
	return m
}

// stripAWSChunked removes "aws-chunked" from a Content-Encoding list.
func stripAWSChunked(v string) string {
	if !strings.Contains(strings.ToLower(v), "aws-chunked") {
		return v
	}
	var out []string
	for part := range strings.SplitSeq(v, ",") {
		p := strings.TrimSpace(part)
		if p == "" || strings.EqualFold(p, "aws-chunked") {
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, ",")
}

// putOptions builds the stored metadata of a new object from the request
// headers (PutObject, CreateMultipartUpload, CopyObject with REPLACE).
func (s *Server) putOptions(r *request) (erasure.PutOptions, error) {
	var o erasure.PutOptions
	if err := r.checkUnsupportedHeaders(); err != nil {
		return o, err
	}
	o.ContentType = string(r.ctx.Request.Header.ContentType())
	if o.ContentType == "" {
		o.ContentType = defaultContentType
	}
	meta, err := r.userMeta()
	if err != nil {
		return o, err
	}
	o.UserMeta = meta
	o.Headers = r.stdHeaders()
	tags, err := parseTagQuery(r.header("x-amz-tagging"))
	if err != nil {
		return o, err
	}
	o.Tags = encodeTags(tags)
	if o.StorageClass, err = checkStorageClass(r.header("x-amz-storage-class")); err != nil {
		return o, err
	}
	s.setOwner(r, &o)
	return o, nil
}

// setOwner records the caller as the owner of a new object.
func (s *Server) setOwner(r *request, o *erasure.PutOptions) {
	o.UID, o.GID = r.id.UID, r.id.GID
	o.Owner = r.id.owner()
	o.ModTime = s.now().UTC()
}

// contentMD5 parses the Content-MD5 header: nil when absent, InvalidDigest
// when it is not base64 of 16 bytes.
func (r *request) contentMD5() ([]byte, error) {
	v := r.ctx.Request.Header.Peek("Content-MD5")
	if v == nil {
		return nil, nil
	}
	sum := make([]byte, md5.Size+2)
	n, err := base64.StdEncoding.Decode(sum, bytes.TrimSpace(v))
	if err != nil || n != md5.Size {
		return nil, s3err.ErrInvalidDigest
	}
	return sum[:n], nil
}

// checkMD5 compares a Content-MD5 digest with the hex MD5 of what was
// stored (BadDigest).
func checkMD5(want []byte, etagHex string) error {
	if want == nil {
		return nil
	}
	got, err := hex.DecodeString(etagHex)
	if err != nil || !bytes.Equal(got, want) {
		return s3err.ErrBadDigest
	}
	return nil
}

// requestChecksumAlgorithm returns the checksum algorithm the request
// declares through x-amz-checksum-algorithm or x-amz-sdk-checksum-algorithm
// (None when absent), InvalidRequest when unknown.
func (r *request) requestChecksumAlgorithm() (checksum.Algorithm, error) {
	v := r.ctx.Request.Header.Peek("x-amz-checksum-algorithm")
	if len(v) == 0 {
		v = r.ctx.Request.Header.Peek("x-amz-sdk-checksum-algorithm")
	}
	if len(v) == 0 {
		return checksum.None, nil
	}
	a := checksum.ParseAlgorithmBytes(v)
	if a == checksum.None {
		return checksum.None, s3err.ErrInvalidRequest.WithMessage("Value for x-amz-checksum-algorithm header is invalid.")
	}
	return a, nil
}
