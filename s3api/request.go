package s3api

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/raftfsm"
	"github.com/tessera-s3/tessera/s3api/s3err"
	"github.com/tessera-s3/tessera/s3api/sigv4"
)

// request is the pooled state of one S3 request. It lives from
// acquireRequest to releaseRequest, both inside Server.Handler; nothing may
// keep it, or its ctx, afterwards.
type request struct {
	ctx *fasthttp.RequestCtx
	// c is the context passed to store calls (never ctx itself).
	c context.Context

	op     opID
	bucket string
	key    string
	// hasKey is true when the target names an object (even "/b/" has none).
	hasKey bool
	// virtualHost is true when the bucket came from the Host header.
	virtualHost bool

	auth sigv4.Result
	id   Identity

	bucketMeta  raftfsm.Bucket
	bucketFound bool

	authz AuthzRequest
	resp  response

	// start is the arrival time (set when Config.Observe is set).
	start time.Time
	// errCode is the S3 error code written, if any.
	errCode string

	// reqID is the x-amz-request-id (16 upper-case hex digits).
	reqID [16]byte
	// path holds the decoded bucket and key while parsing.
	path []byte
	// arena holds response header values built for this request. Values
	// only ever get appended, so slices into it stay valid even when it
	// grows.
	arena []byte
	// hdrs is the backing array of resp.headers.
	hdrs []respHeader
}

func newRequest() *request {
	return &request{
		path:  make([]byte, 0, 256),
		arena: make([]byte, 0, 1024),
		hdrs:  make([]respHeader, 0, 16),
	}
}

func (s *Server) acquireRequest(ctx *fasthttp.RequestCtx) *request {
	r := s.pool.Get().(*request)
	r.ctx = ctx
	r.c = s.ctx
	s.newRequestID(&r.reqID)
	r.resp.reset(r)
	return r
}

func (s *Server) releaseRequest(r *request) {
	path, arena, hdrs := r.path[:0], r.arena[:0], r.hdrs[:0]
	clear(hdrs[:cap(hdrs)])
	if cap(arena) > 64<<10 {
		arena = make([]byte, 0, 1024)
	}
	*r = request{path: path, arena: arena, hdrs: hdrs}
	s.pool.Put(r)
}

const hexUpper = "0123456789ABCDEF"

// newRequestID writes a unique request id: a random per-server base plus a
// sequence number, as 16 upper-case hex digits (the shape of AWS's ids).
func (s *Server) newRequestID(dst *[16]byte) {
	v := s.reqIDBase + s.reqIDSeq.Add(1)*0x9E3779B97F4A7C15
	for i := 15; i >= 0; i-- {
		dst[i] = hexUpper[v&0xF]
		v >>= 4
	}
}

var strInternalPrefix = []byte("/_tessera/")

// rawPath returns the path of a raw request target, without query, and
// without scheme and authority when the target is in absolute form.
func rawPath(uri []byte) []byte {
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if i := bytes.Index(uri, []byte("://")); i >= 0 && (len(uri) == 0 || uri[0] != '/') {
		rest := uri[i+3:]
		if j := bytes.IndexByte(rest, '/'); j >= 0 {
			return rest[j:]
		}
		return []byte("/")
	}
	return uri
}

// virtualHostBucket returns the bucket named by host when host is
// "<bucket>.<domain>[:port]" for a configured domain, else nil.
func (s *Server) virtualHostBucket(host []byte) []byte {
	if len(s.domains) == 0 || len(host) == 0 {
		return nil
	}
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && host[0] != '[' {
		host = host[:i]
	}
	for _, d := range s.domains {
		if len(host) > len(d)+1 && host[len(host)-len(d)-1] == '.' &&
			asciiEqualFold(host[len(host)-len(d):], d) {
			return host[:len(host)-len(d)-1]
		}
	}
	return nil
}

func asciiEqualFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// parseTarget sets r.bucket, r.key and r.hasKey from the virtual-host
// bucket (nil for path-style) and the raw path. The path is percent-decoded
// here and only here; "+" stays a plus and nothing is normalized.
func (r *request) parseTarget(vbucket, path []byte) error {
	if len(path) == 0 || path[0] != '/' {
		return s3err.ErrInvalidURI
	}
	path = path[1:]
	buf := r.path[:0]
	var nb int
	if vbucket != nil {
		r.virtualHost = true
		buf = append(buf, vbucket...)
		for i, c := range buf {
			if 'A' <= c && c <= 'Z' {
				buf[i] = c + 'a' - 'A'
			}
		}
		nb = len(buf)
		r.hasKey = len(path) > 0
		var ok bool
		if buf, ok = appendUnescaped(buf, path); !ok {
			return s3err.ErrInvalidURI
		}
	} else {
		seg, rest, slash := bytes.Cut(path, []byte("/"))
		var ok bool
		if buf, ok = appendUnescaped(buf, seg); !ok {
			return s3err.ErrInvalidURI
		}
		nb = len(buf)
		if slash && len(rest) > 0 {
			r.hasKey = true
			if buf, ok = appendUnescaped(buf, rest); !ok {
				return s3err.ErrInvalidURI
			}
		}
	}
	r.path = buf
	if len(buf) > 0 {
		all := string(buf)
		r.bucket, r.key = all[:nb], all[nb:]
	}
	if r.bucket == "" && r.hasKey {
		return s3err.ErrInvalidURI
	}
	return nil
}

// appendUnescaped appends the percent-decoding of src to dst. It reports
// false for a malformed escape.
func appendUnescaped(dst, src []byte) ([]byte, bool) {
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '%' {
			dst = append(dst, c)
			continue
		}
		if i+2 >= len(src) {
			return dst, false
		}
		h, ok1 := unhex(src[i+1])
		l, ok2 := unhex(src[i+2])
		if !ok1 || !ok2 {
			return dst, false
		}
		dst = append(dst, h<<4|l)
		i += 2
	}
	return dst, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// remoteAddr is the client's IP address.
func remoteAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	a, _ := netip.AddrFromSlice(ctx.RemoteIP())
	return a.Unmap()
}

// isFormRequest reports whether the request body is a URL-encoded form.
func isFormRequest(h *fasthttp.RequestHeader) bool {
	return bytes.HasPrefix(h.ContentType(), []byte("application/x-www-form-urlencoded"))
}

// header returns the request header value as a string (allocates).
func (r *request) header(name string) string {
	return string(r.ctx.Request.Header.Peek(name))
}

// query returns the query parameter value as a string (allocates).
func (r *request) query(name string) string {
	return string(r.ctx.QueryArgs().Peek(name))
}

// rawBody is the request body stream as fasthttp hands it over.
func (r *request) rawBody() io.Reader {
	if b := r.ctx.RequestBodyStream(); b != nil {
		return b
	}
	return bytes.NewReader(r.ctx.Request.Body())
}

// bodyReader wraps the request body in the sigv4 verifying reader.
func (s *Server) bodyReader(r *request) (*sigv4.BodyReader, error) {
	return s.verifier.NewBodyReader(&r.auth, &r.ctx.Request, r.rawBody())
}

// readXMLBody reads a whole (verified) request body of at most limit
// bytes. An empty body is MissingRequestBodyError; a longer one
// MaxMessageLengthExceeded.
func (s *Server) readXMLBody(r *request, limit int) ([]byte, error) {
	if cl := r.ctx.Request.Header.ContentLength(); cl > limit && r.ctx.Request.Header.Peek("x-amz-decoded-content-length") == nil {
		return nil, s3err.ErrMaxMessageLengthExceeded
	}
	br, err := s.bodyReader(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(br, int64(limit)+1))
	if err != nil {
		return nil, mapBodyError(err)
	}
	if len(body) > limit {
		return nil, s3err.ErrMaxMessageLengthExceeded
	}
	if len(body) == 0 {
		return nil, s3err.ErrMissingRequestBodyError
	}
	return body, nil
}
