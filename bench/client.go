package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/valyala/fasthttp"
)

// Fixed protocol strings, declared once.
const (
	unsignedPayload = "UNSIGNED-PAYLOAD"
	// emptySHA256 is the SHA-256 of an empty payload.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	serviceS3   = "s3"
	serviceSTS  = "sts"
	formType    = "application/x-www-form-urlencoded"
	userAgent   = "tessera-bench"
)

var (
	hdrAmzDate     = []byte("X-Amz-Date")
	hdrAmzSHA256   = []byte("X-Amz-Content-Sha256")
	hdrAmzToken    = []byte("X-Amz-Security-Token")
	hdrAuth        = []byte("Authorization")
	hdrContentType = []byte("Content-Type")
	hdrETag        = []byte("ETag")
	xmlCodeOpen    = []byte("<Code>")
	xmlCodeClose   = []byte("</Code>")
	xmlErrorOpen   = []byte("<Error>")
)

// client is the HTTP side of a run: one fasthttp.HostClient shared by all
// workers and the signer. Safe for concurrent use; the per-worker state is
// in conn.
type client struct {
	hc      *fasthttp.HostClient
	scheme  string
	host    string // Host header, as signed
	region  string
	signer  *v4.Signer
	now     func() time.Time
	timeout time.Duration
}

// endpointAddr is the dial address of an endpoint URL and its Host header.
func endpointAddr(u *url.URL) (addr, host string) {
	isTLS := u.Scheme == "https"
	addr, host = u.Host, u.Host
	switch {
	case u.Port() == "" && isTLS:
		addr += ":443"
	case u.Port() == "":
		addr += ":80"
	case isTLS && u.Port() == "443":
		host = strings.TrimSuffix(host, ":443")
	case !isTLS && u.Port() == "80":
		host = strings.TrimSuffix(host, ":80")
	}
	return addr, host
}

func newClient(cfg *Config) (*client, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	isTLS := u.Scheme == "https"
	addr, host := endpointAddr(u)
	for _, e := range cfg.MoreEndpoints {
		m, err := url.Parse(e)
		if err != nil {
			return nil, err
		}
		a, _ := endpointAddr(m)
		addr += "," + a // fasthttp.HostClient dials its Addr list round-robin
	}
	var tc *tls.Config
	if cfg.TLS != nil {
		tc = cfg.TLS.Clone()
	}
	hc := &fasthttp.HostClient{
		Addr:                   addr,
		IsTLS:                  isTLS,
		TLSConfig:              tc,
		Name:                   userAgent,
		MaxConns:               cfg.Concurrency + 4,
		MaxConnWaitTimeout:     cfg.RequestTimeout,
		MaxIdleConnDuration:    30 * time.Second,
		ReadBufferSize:         16 << 10,
		WriteBufferSize:        64 << 10,
		DisablePathNormalizing: true,
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &client{
		hc: hc, scheme: u.Scheme, host: host, region: cfg.Region, now: now, timeout: cfg.RequestTimeout,
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
	}, nil
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// call is one request. Paths are already escaped; queries are raw
// (unsorted) query strings without '?'.
type call struct {
	op          Op
	method      string
	path        string
	query       string
	body        []byte    // sent as is, never copied or changed
	bodyStream  io.Reader // used instead of body when not nil
	size        int64     // body length
	contentType string
	payloadHash string // "" means UNSIGNED-PAYLOAD
	service     string // "" means s3
	creds       *aws.Credentials
	stream      bool // stream the response body and discard it (GET)
}

// reply is the outcome of one call. code is "" on success, else the S3
// error code, "HTTP nnn" or "transport: ...".
type reply struct {
	status int
	bytes  int64 // body bytes sent (uploads) or received (downloads)
	code   string
	detail string // the error message for code, filled on errors only
}

func (r *reply) ok() bool { return r.code == "" }

// conn is a worker's request state: a fasthttp request/response pair and
// the http.Request the signer fills (never sent). Not safe for concurrent
// use.
type conn struct {
	c       *client
	req     fasthttp.Request
	resp    fasthttp.Response
	sreq    http.Request
	surl    url.URL
	shdr    http.Header
	hash    []string
	ctype   []string
	uri     []byte
	scratch []byte
}

func (c *client) newConn() *conn {
	k := &conn{c: c, shdr: make(http.Header, 8), hash: make([]string, 1), ctype: make([]string, 1), scratch: make([]byte, 64<<10)}
	k.surl = url.URL{Scheme: c.scheme, Host: c.host}
	k.sreq = http.Request{URL: &k.surl, Host: c.host, Header: k.shdr, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	return k
}

// do sends cl and reads the reply. After do, k.resp holds the response
// headers and, unless cl.stream, the body, until the next do.
func (k *conn) do(cl *call) reply {
	hash := cl.payloadHash
	if hash == "" {
		hash = unsignedPayload
	}
	service := cl.service
	if service == "" {
		service = serviceS3
	}
	// Sign: the signer reads method, path, query, host, content length and
	// headers from sreq, and writes X-Amz-Date, Authorization and the
	// canonical query back.
	clear(k.shdr)
	k.hash[0] = hash
	k.shdr["X-Amz-Content-Sha256"] = k.hash
	if cl.contentType != "" {
		k.ctype[0] = cl.contentType
		k.shdr["Content-Type"] = k.ctype
	}
	k.sreq.Method = cl.method
	k.sreq.ContentLength = cl.size
	k.surl.Opaque = cl.path
	k.surl.RawQuery = cl.query
	if err := k.c.signer.SignHTTP(context.Background(), *cl.creds, &k.sreq, hash, service, k.c.region, k.c.now()); err != nil {
		return reply{code: "transport: signing", detail: err.Error()}
	}

	req := &k.req
	req.Reset()
	req.Header.SetMethod(cl.method)
	k.uri = append(k.uri[:0], cl.path...)
	if q := k.surl.RawQuery; q != "" {
		k.uri = append(k.uri, '?')
		k.uri = append(k.uri, q...)
	}
	req.SetRequestURIBytes(k.uri)
	if k.c.scheme == "https" {
		// HostClient refuses a scheme other than its own; once the URI is
		// touched, its host is the Host header.
		u := req.URI()
		u.SetScheme("https")
		u.SetHost(k.c.host)
	}
	req.Header.SetHost(k.c.host)
	req.Header.SetBytesK(hdrAmzDate, first(k.shdr["X-Amz-Date"]))
	req.Header.SetBytesK(hdrAmzSHA256, hash)
	req.Header.SetBytesK(hdrAuth, first(k.shdr["Authorization"]))
	if cl.creds.SessionToken != "" {
		req.Header.SetBytesK(hdrAmzToken, cl.creds.SessionToken)
	}
	if cl.contentType != "" {
		req.Header.SetBytesK(hdrContentType, cl.contentType)
	}
	switch {
	case cl.bodyStream != nil:
		req.SetBodyStream(cl.bodyStream, int(cl.size))
	case cl.body != nil:
		req.SetBodyRaw(cl.body)
	}
	resp := &k.resp
	// fasthttp keeps SkipBody (set for HEAD) and StreamBody across calls.
	resp.SkipBody = cl.method == http.MethodHead
	resp.StreamBody = cl.stream
	if err := k.c.hc.DoTimeout(req, resp, k.c.timeout); err != nil {
		return reply{code: transportCode(err), detail: err.Error()}
	}
	r := reply{status: resp.StatusCode()}
	var body []byte
	if cl.stream {
		n, head, err := k.drain(resp, r.status >= 300)
		if err != nil {
			return reply{status: r.status, code: transportCode(err), detail: err.Error()}
		}
		r.bytes, body = n, head
	} else {
		body = resp.Body()
		r.bytes = int64(len(body))
	}
	if r.status >= 300 || (r.status == 200 && cl.method == http.MethodPost && bytes.Contains(body, xmlErrorOpen)) {
		r.code, r.detail = errorCode(r.status, body, cl.method == http.MethodHead)
		return r
	}
	if cl.body != nil || cl.bodyStream != nil {
		r.bytes = cl.size
	}
	return r
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// drain reads a streamed body to its end into the scratch buffer. With
// keep set it returns the first up to 64 KiB (for error bodies).
func (k *conn) drain(resp *fasthttp.Response, keep bool) (n int64, head []byte, err error) {
	s := resp.BodyStream()
	if s == nil {
		b := resp.Body()
		return int64(len(b)), b, nil
	}
	if keep {
		m, err := io.ReadFull(s, k.scratch)
		n, head = int64(m), k.scratch[:m]
		if err == nil {
			var c int64
			c, err = io.Copy(io.Discard, s)
			n += c
		} else if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = nil
		}
		if err != nil {
			_ = resp.CloseBodyStream()
			return n, head, err
		}
		return n, head, resp.CloseBodyStream()
	}
	for {
		m, err := s.Read(k.scratch)
		n += int64(m)
		if err == io.EOF {
			return n, nil, resp.CloseBodyStream()
		}
		if err != nil {
			_ = resp.CloseBodyStream()
			return n, nil, err
		}
	}
}

// errorCode returns the S3 error code of an error response: the XML Code,
// else "NotFound"/"Forbidden" for bodiless HEAD replies, else "HTTP nnn".
func errorCode(status int, body []byte, head bool) (code, detail string) {
	if c := xmlCode(body); c != "" {
		return c, xmlMessage(body)
	}
	if head {
		switch status {
		case 404:
			return "NotFound", ""
		case 403:
			return "Forbidden", ""
		}
	}
	return "HTTP " + strconv.Itoa(status), strings.TrimSpace(string(body[:min(len(body), 200)]))
}

// xmlCode extracts the first <Code>...</Code> of an S3 or STS error body.
// Codes longer than 64 bytes or with characters other than letters, digits
// and ".-_" are not codes: it returns "".
func xmlCode(body []byte) string {
	v := xmlText(body, xmlCodeOpen, xmlCodeClose)
	if len(v) == 0 || len(v) > 64 {
		return ""
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return ""
		}
	}
	return string(v)
}

func xmlMessage(body []byte) string {
	v := xmlText(body, []byte("<Message>"), []byte("</Message>"))
	return string(v[:min(len(v), 300)])
}

// xmlText returns the trimmed text between the first open tag and the
// close tag after it, or nil.
func xmlText(body, open, close []byte) []byte {
	i := bytes.Index(body, open)
	if i < 0 {
		return nil
	}
	rest := body[i+len(open):]
	j := bytes.Index(rest, close)
	if j < 0 {
		return nil
	}
	return bytes.TrimSpace(rest[:j])
}

// transportCode names the class of a transport failure; the classes are
// few so that results stay small.
func transportCode(err error) string {
	var ne net.Error
	var dns *net.DNSError
	var rh tls.RecordHeaderError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout), errors.As(err, &ne) && ne.Timeout():
		return "transport: timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "transport: connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "transport: connection reset"
	case errors.Is(err, fasthttp.ErrConnectionClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "transport: connection closed"
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return "transport: no free connections"
	case errors.As(err, &dns):
		return "transport: dns"
	case errors.As(err, &rh), errors.As(err, &ua), errors.As(err, &hn), errors.As(err, &ci), errors.As(err, &ve):
		return "transport: tls"
	}
	return "transport: other"
}

// s3Escape escapes a path for S3 SigV4: unreserved characters and '/'
// stay, everything else becomes %XX.
func s3Escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// repeatReader yields n bytes cycling over buf; used for objects larger
// than the shared payload buffer.
type repeatReader struct {
	buf []byte
	off int
	n   int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	m := copy(p, r.buf[r.off:])
	r.off = (r.off + m) % len(r.buf)
	r.n -= int64(m)
	return m, nil
}
