package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/valyala/bytebufferpool"
	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/raftfsm"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// Fixed header names and values, declared once.
var (
	hAcceptRanges         = []byte("Accept-Ranges")
	hCacheControl         = []byte("Cache-Control")
	hConnection           = []byte("Connection")
	hContentDisposition   = []byte("Content-Disposition")
	hContentEncoding      = []byte("Content-Encoding")
	hContentLanguage      = []byte("Content-Language")
	hContentRange         = []byte("Content-Range")
	hContentType          = []byte("Content-Type")
	hETag                 = []byte("ETag")
	hExpires              = []byte("Expires")
	hLastModified         = []byte("Last-Modified")
	hLocation             = []byte("Location")
	hServer               = []byte("Server")
	hAmzRequestID         = []byte("x-amz-request-id")
	hAmzID2               = []byte("x-amz-id-2")
	hAmzBucketRegion      = []byte("x-amz-bucket-region")
	hAmzMetaPrefix        = []byte("x-amz-meta-")
	hAmzTaggingCount      = []byte("x-amz-tagging-count")
	hAmzStorageClass      = []byte("x-amz-storage-class")
	hAmzMPPartsCount      = []byte("x-amz-mp-parts-count")
	hAmzChecksumType      = []byte("x-amz-checksum-type")
	hAmzChecksumAlgorithm = []byte("x-amz-checksum-algorithm")
	hAmzWebsiteRedirect   = []byte("x-amz-website-redirect-location")
	hAmzAccessPointAlias  = []byte("x-amz-access-point-alias")

	vBytes         = []byte("bytes")
	vServer        = []byte("Tessera")
	vXMLType       = []byte("application/xml")
	vJSONType      = []byte("application/json")
	vClose         = []byte("close")
	vFalse         = []byte("false")
	xmlHeader      = []byte(xml.Header)
	strErrorOpen   = []byte("<Error><Code>")
	strErrorMsg    = []byte("</Code><Message>")
	strErrorRes    = []byte("</Message><Resource>")
	strErrorReqID  = []byte("</Resource><RequestId>")
	strErrorHostID = []byte("</RequestId><HostId>")
	strErrorClose  = []byte("</HostId></Error>")
)

// checksumHeaders maps an x-amz-checksum algorithm to its header name.
var checksumHeaders = map[string][]byte{
	"CRC32":     []byte("x-amz-checksum-crc32"),
	"CRC32C":    []byte("x-amz-checksum-crc32c"),
	"CRC64NVME": []byte("x-amz-checksum-crc64nvme"),
	"SHA1":      []byte("x-amz-checksum-sha1"),
	"SHA256":    []byte("x-amz-checksum-sha256"),
}

// respHeader is one response header; the value is val, or b when val is
// empty and b is not nil.
type respHeader struct {
	key []byte
	val string
	b   []byte
}

// response is what a handler returns: status, headers and at most one of
// an XML document, raw bytes or a streamed body. It lives in the request
// (pooled) and is written by writeResponse.
type response struct {
	r       *request
	status  int
	headers []respHeader
	// xml is marshalled (with the XML declaration) as the body.
	xml any
	// raw is sent as the body with rawType as Content-Type.
	raw     []byte
	rawType []byte
	// body is streamed (bodyLen bytes) and closed by fasthttp.
	body    io.ReadCloser
	bodyLen int64
	// length, when >= 0 and there is no body, is announced as
	// Content-Length (HEAD responses).
	length int64
}

func (p *response) reset(r *request) {
	*p = response{r: r, headers: r.hdrs[:0], length: -1}
}

// respond starts r's response with status.
func (r *request) respond(status int) *response {
	r.resp.reset(r)
	r.resp.status = status
	return &r.resp
}

// respondXML returns a response whose body is v marshalled as XML.
func (r *request) respondXML(status int, v any) *response {
	p := r.respond(status)
	p.xml = v
	return p
}

// set adds a header with a string value.
func (p *response) set(key []byte, val string) {
	if val == "" {
		p.headers = append(p.headers, respHeader{key: key, b: []byte{}})
		return
	}
	p.headers = append(p.headers, respHeader{key: key, val: val})
}

// setBytes adds a header whose value is copied into the request arena.
func (p *response) setBytes(key, val []byte) {
	a := p.r.arena
	start := len(a)
	a = append(a, val...)
	p.r.arena = a
	p.headers = append(p.headers, respHeader{key: key, b: a[start:len(a):len(a)]})
}

// setQuoted adds a header whose value is "val" (ETags).
func (p *response) setQuoted(key []byte, val string) {
	a := p.r.arena
	start := len(a)
	a = append(a, '"')
	a = append(a, val...)
	a = append(a, '"')
	p.r.arena = a
	p.headers = append(p.headers, respHeader{key: key, b: a[start:len(a):len(a)]})
}

// setInt adds a header with a decimal value.
func (p *response) setInt(key []byte, v int64) {
	a := p.r.arena
	start := len(a)
	a = strconv.AppendInt(a, v, 10)
	p.r.arena = a
	p.headers = append(p.headers, respHeader{key: key, b: a[start:len(a):len(a)]})
}

// setTime adds a header with an RFC 1123 GMT date.
func (p *response) setTime(key []byte, t time.Time) {
	a := p.r.arena
	start := len(a)
	a = fasthttp.AppendHTTPDate(a, t)
	p.r.arena = a
	p.headers = append(p.headers, respHeader{key: key, b: a[start:len(a):len(a)]})
}

// setContentRange adds "Content-Range: bytes first-last/size".
func (p *response) setContentRange(first, length, size int64) {
	a := p.r.arena
	start := len(a)
	a = append(a, "bytes "...)
	a = strconv.AppendInt(a, first, 10)
	a = append(a, '-')
	a = strconv.AppendInt(a, first+length-1, 10)
	a = append(a, '/')
	a = strconv.AppendInt(a, size, 10)
	p.r.arena = a
	p.headers = append(p.headers, respHeader{key: hContentRange, b: a[start:len(a):len(a)]})
}

// writeCommon sets the headers every response carries.
func (s *Server) writeCommon(r *request) {
	h := &r.ctx.Response.Header
	h.SetCanonical(hServer, vServer)
	h.SetCanonical(hAmzRequestID, r.reqID[:])
	h.SetCanonical(hAmzID2, s.hostID)
}

// writeResponse is the one function that writes successful responses.
func (s *Server) writeResponse(r *request, p *response) {
	ctx := r.ctx
	h := &ctx.Response.Header
	s.writeCommon(r)
	for i := range p.headers {
		kv := &p.headers[i]
		if kv.val != "" {
			h.SetCanonical(kv.key, s2b(kv.val))
		} else {
			h.SetCanonical(kv.key, kv.b)
		}
	}
	status := p.status
	if status == 0 {
		status = http.StatusOK
	}
	ctx.SetStatusCode(status)
	switch {
	case p.body != nil:
		ctx.SetBodyStream(p.body, int(p.bodyLen))
	case p.xml != nil:
		buf := bytebufferpool.Get()
		buf.B = append(buf.B, xmlHeader...)
		if err := xml.NewEncoder(buf).Encode(p.xml); err != nil {
			bytebufferpool.Put(buf)
			s.log.Error("s3api: encoding response", "op", r.op.String(), "err", err)
			ctx.Response.Reset()
			s.writeError(r, s3err.ErrInternalError)
			return
		}
		h.SetContentTypeBytes(vXMLType)
		ctx.SetBody(buf.B)
		bytebufferpool.Put(buf)
	case p.raw != nil:
		h.SetContentTypeBytes(p.rawType)
		ctx.SetBody(p.raw)
	case p.length >= 0:
		h.SetContentLength(int(p.length))
	}
}

// maxDrain is how much of an unread request body writeError reads to keep
// the connection usable (covers the 5-16 MiB parts clients send).
const maxDrain = 64 << 20

// writeError writes err as an S3 error: the table's status and, except for
// HEAD, the AWS <Error> XML document.
func (s *Server) writeError(r *request, err error) {
	e := s.toS3Error(r, err)
	r.errCode = e.Code
	ctx := r.ctx
	ctx.Response.Reset()
	s.writeCommon(r)
	ctx.SetStatusCode(e.HTTPStatus)
	var ire *invalidRangeError
	if errors.As(err, &ire) {
		b := append(r.arena[len(r.arena):], "bytes */"...)
		b = strconv.AppendInt(b, ire.size, 10)
		ctx.Response.Header.SetCanonical(hContentRange, b)
	}
	if body := ctx.RequestBodyStream(); body != nil && ctx.Request.Header.ContentLength() != 0 {
		// The body may be unread. Clients that sent "Expect: 100-continue"
		// got the 100 from fasthttp before this handler ran and are now
		// sending the body: read (and drop) it so that they see this
		// error rather than a reset connection. Beyond maxDrain, close
		// the connection instead of reading gigabytes.
		n, err := io.Copy(io.Discard, io.LimitReader(body, maxDrain+1))
		if err != nil || n > maxDrain {
			ctx.Response.Header.SetCanonical(hConnection, vClose)
			ctx.SetConnectionClose()
		}
	}
	if ctx.IsHead() || e.HTTPStatus == http.StatusNotModified {
		return
	}
	b := r.arena[len(r.arena):]
	b = append(b, xmlHeader...)
	b = append(b, strErrorOpen...)
	b = appendXMLEscaped(b, e.Code)
	b = append(b, strErrorMsg...)
	b = appendXMLEscaped(b, e.Message)
	b = append(b, strErrorRes...)
	b = append(b, '/')
	if r.bucket != "" {
		b = appendXMLEscaped(b, r.bucket)
		if r.hasKey {
			b = append(b, '/')
			b = appendXMLEscaped(b, r.key)
		}
	}
	b = append(b, strErrorReqID...)
	b = append(b, r.reqID[:]...)
	b = append(b, strErrorHostID...)
	b = append(b, s.hostID...)
	b = append(b, strErrorClose...)
	r.arena = b[:0]
	ctx.Response.Header.SetContentTypeBytes(vXMLType)
	ctx.SetBody(b)
}

// toS3Error maps any handler error to the S3 error table. Errors that are
// not S3 errors are internal (500) and logged.
func (s *Server) toS3Error(r *request, err error) *s3err.Error {
	var e *s3err.Error
	if errors.As(err, &e) {
		if e.HTTPStatus >= 500 {
			s.log.Warn("s3api: server error", "op", r.op.String(), "bucket", r.bucket, "key", r.key,
				"request_id", string(r.reqID[:]), "code", e.Code, "err", err)
		}
		return e
	}
	switch {
	case errors.Is(err, erasure.ErrObjectNotFound):
		return s3err.ErrNoSuchKey
	case errors.Is(err, erasure.ErrUploadNotFound):
		return s3err.ErrNoSuchUpload
	case errors.Is(err, erasure.ErrInvalidPart):
		return s3err.ErrInvalidPart
	case errors.Is(err, erasure.ErrInvalidPartOrder):
		return s3err.ErrInvalidPartOrder
	case errors.Is(err, erasure.ErrPartTooSmall):
		return s3err.ErrEntityTooSmall
	case errors.Is(err, erasure.ErrIncompleteBody):
		return s3err.ErrIncompleteBody
	case errors.Is(err, erasure.ErrTooLarge):
		return s3err.ErrEntityTooLarge
	case errors.Is(err, raftfsm.ErrBucketNotFound):
		return s3err.ErrNoSuchBucket
	case errors.Is(err, raftfsm.ErrBucketExists):
		return s3err.ErrBucketAlreadyExists
	case errors.Is(err, raftfsm.ErrTooManyBuckets):
		return s3err.ErrTooManyBuckets
	case errors.Is(err, erasure.ErrWriteQuorum), errors.Is(err, erasure.ErrReadQuorum),
		errors.Is(err, erasure.ErrClosed), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, raftfsm.ErrNotLeader), errors.Is(err, raftfsm.ErrClosed):
		s.log.Warn("s3api: store unavailable", "op", r.op.String(), "bucket", r.bucket, "key", r.key,
			"request_id", string(r.reqID[:]), "err", err)
		return s3err.ErrServiceUnavailable
	}
	s.log.Error("s3api: internal error", "op", r.op.String(), "bucket", r.bucket, "key", r.key,
		"request_id", string(r.reqID[:]), "err", err)
	return s3err.ErrInternalError
}

// mapBodyError maps a failure while reading the request body: S3 errors
// from the sigv4 reader pass through, a short body is IncompleteBody.
func mapBodyError(err error) error {
	var e *s3err.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return s3err.ErrIncompleteBody
	}
	var be fasthttp.ErrBrokenChunk
	if errors.As(err, &be) {
		return s3err.ErrIncompleteBody
	}
	return err
}

// appendXMLEscaped appends s with XML special characters escaped.
func appendXMLEscaped(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '"':
			esc = "&quot;"
		case '\'':
			esc = "&apos;"
		case '\r':
			esc = "&#xD;"
		case '\n':
			esc = "&#xA;"
		case '\t':
			esc = "&#x9;"
		default:
			continue
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		last = i + 1
	}
	return append(dst, s[last:]...)
}
