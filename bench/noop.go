package bench

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// NoopConfig configures a NoopServer.
type NoopConfig struct {
	// ObjectSize is the body size in bytes of every GetObject reply and the
	// Content-Length of every HeadObject reply (0 - 1 GiB).
	ObjectSize int64
	// IdleTimeout closes keep-alive connections idle this long (1 s - 1 h).
	IdleTimeout time.Duration
}

// DefaultNoopConfig serves 4 KiB objects.
func DefaultNoopConfig() NoopConfig {
	return NoopConfig{ObjectSize: 4 << 10, IdleTimeout: 2 * time.Minute}
}

// Validate names the first field out of its range.
func (c *NoopConfig) Validate() error {
	if c.ObjectSize < 0 || c.ObjectSize > 1<<30 {
		return fmt.Errorf("%w: ObjectSize must be 0-1GiB, got %d", ErrInvalidConfig, c.ObjectSize)
	}
	if c.IdleTimeout < time.Second || c.IdleTimeout > time.Hour {
		return fmt.Errorf("%w: IdleTimeout must be 1s-1h, got %s", ErrInvalidConfig, c.IdleTimeout)
	}
	return nil
}

// NoopServer answers S3 and STS requests with valid minimal replies and
// does nothing else: no storage, no signature checks. PUT and UploadPart
// answer 200 with an ETag, GET a fixed body of ObjectSize bytes, HEAD its
// length, DELETE 204, ListObjects(V2) an empty listing, multipart create
// and complete their XML, and POST / (STS AssumeRole) fixed credentials.
// A bench run against it measures the load generator's own ceiling. Safe
// for concurrent use.
type NoopServer struct {
	cfg      NoopConfig
	srv      *fasthttp.Server
	body     []byte
	mu       sync.Mutex
	ln       net.Listener // set by Serve
	requests atomic.Int64
	closed   atomic.Bool
	served   chan struct{}
}

// Fixed reply parts, declared once.
var (
	noopETag        = []byte(`"9b2cf535f27731c974343645a3985328"`)
	noopRequestID   = []byte("0000000000000000")
	noopServerName  = []byte("tessera-noop")
	noopXMLType     = []byte("application/xml")
	noopObjectType  = []byte("application/octet-stream")
	noopLastMod     = []byte("Thu, 01 Jan 2026 00:00:00 GMT")
	hdrRequestID    = []byte("x-amz-request-id")
	hdrLastModified = []byte("Last-Modified")
	hdrLocation     = []byte("Location")
	xmlDecl         = []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	xmlListV2Open   = []byte(`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>`)
	xmlListV2Close  = []byte(`</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`)
	xmlListV1Close  = []byte(`</Name><Prefix></Prefix><Marker></Marker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`)
	xmlBuckets      = []byte(`<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>noop</ID><DisplayName>noop</DisplayName></Owner><Buckets></Buckets></ListAllMyBucketsResult>`)
	xmlInitOpen     = []byte(`<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>`)
	xmlInitKey      = []byte(`</Bucket><Key>`)
	xmlInitClose    = []byte(`</Key><UploadId>noop-upload-id</UploadId></InitiateMultipartUploadResult>`)
	xmlDoneOpen     = []byte(`<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://noop/</Location><Bucket>`)
	xmlDoneClose    = []byte(`</Key><ETag>&quot;9b2cf535f27731c974343645a3985328-1&quot;</ETag></CompleteMultipartUploadResult>`)
	xmlDeleteResult = []byte(`<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></DeleteResult>`)
	xmlCopyResult   = []byte(`<CopyObjectResult><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></CopyObjectResult>`)
	xmlAssumeRole   = []byte(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>` +
		`<AccessKeyId>ASIANOOPNOOPNOOPNOOP</AccessKeyId><SecretAccessKey>noopnoopnoopnoopnoopnoopnoopnoopnoopnoop</SecretAccessKey>` +
		`<SessionToken>noop-session-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>` +
		`<AssumedRoleUser><AssumedRoleId>AROANOOPNOOPNOOPNOOP:tessera-bench</AssumedRoleId><Arn>arn:aws:sts::000000000000:assumed-role/noop/tessera-bench</Arn></AssumedRoleUser>` +
		`</AssumeRoleResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	xmlSTSNoAction = []byte(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>only AssumeRole is served</Message></Error><RequestId>0</RequestId></ErrorResponse>`)
	argUploads     = []byte("uploads")
	argUploadID    = []byte("uploadId")
	argDelete      = []byte("delete")
	argListType    = []byte("list-type")
	argAction      = []byte("Action")
	valAssumeRole  = []byte("AssumeRole")
	hdrCopySource  = []byte("X-Amz-Copy-Source")
)

// NewNoopServer returns a server for cfg; start it with Serve.
func NewNoopServer(cfg NoopConfig) (*NoopServer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pattern := []byte("tessera-noop-object-body-0123456789abcdefghijklmnopqrstuvwxyz\n")
	body := bytes.Repeat(pattern, int(cfg.ObjectSize)/len(pattern)+1)[:cfg.ObjectSize]
	s := &NoopServer{cfg: cfg, body: body, served: make(chan struct{})}
	s.srv = &fasthttp.Server{
		Handler:              s.Handler,
		Name:                 string(noopServerName),
		IdleTimeout:          cfg.IdleTimeout,
		StreamRequestBody:    true,
		MaxRequestBodySize:   5 << 30,
		NoDefaultContentType: true,
		CloseOnShutdown:      true,
	}
	return s, nil
}

// ListenNoop starts a NoopServer on addr ("127.0.0.1:0" picks a port)
// and serves until Close.
func ListenNoop(addr string, cfg NoopConfig) (*NoopServer, error) {
	s, err := NewNoopServer(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.setListener(ln)
	go func() { _ = s.Serve(ln) }()
	return s, nil
}

// Serve serves on ln until Close; it returns nil after Close. Call it
// once.
func (s *NoopServer) Serve(ln net.Listener) error {
	s.setListener(ln)
	defer close(s.served)
	err := s.srv.Serve(ln)
	if s.closed.Load() {
		return nil
	}
	return err
}

func (s *NoopServer) setListener(ln net.Listener) {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
}

func (s *NoopServer) listener() net.Listener {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ln
}

// Addr is the listening address ("" before Serve).
func (s *NoopServer) Addr() string {
	if ln := s.listener(); ln != nil {
		return ln.Addr().String()
	}
	return ""
}

// Endpoint is the server's URL, "http://ADDR".
func (s *NoopServer) Endpoint() string { return "http://" + s.Addr() }

// Requests is the number of requests served so far.
func (s *NoopServer) Requests() int64 { return s.requests.Load() }

// Close stops the server, closes its connections and waits for Serve to
// return.
func (s *NoopServer) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	err := s.srv.Shutdown()
	if ln := s.listener(); ln != nil {
		_ = ln.Close() // Serve may not have reached Accept yet
		<-s.served
	}
	return err
}

// Handler serves one request. It keeps nothing of ctx after returning.
func (s *NoopServer) Handler(ctx *fasthttp.RequestCtx) {
	s.requests.Add(1)
	h := &ctx.Response.Header
	h.SetBytesKV(hdrRequestID, noopRequestID)
	path := ctx.Path()
	if len(path) <= 1 {
		s.root(ctx)
		return
	}
	rest := path[1:]
	slash := bytes.IndexByte(rest, '/')
	if slash < 0 || slash == len(rest)-1 {
		if slash >= 0 {
			rest = rest[:slash]
		}
		s.bucket(ctx, rest)
		return
	}
	s.object(ctx, rest[:slash], rest[slash+1:])
}

func (s *NoopServer) root(ctx *fasthttp.RequestCtx) {
	q := ctx.QueryArgs()
	switch {
	case ctx.IsPost() || q.Has("Action"):
		action := q.Peek("Action")
		if ctx.IsPost() {
			var args fasthttp.Args
			var buf [4096]byte
			n, _ := io.ReadFull(bodyStream(ctx), buf[:])
			discard(ctx)
			args.ParseBytes(buf[:n])
			if v := args.Peek("Action"); v != nil {
				action = v
			}
		}
		if !bytes.Equal(action, valAssumeRole) {
			s.xml(ctx, 400, xmlSTSNoAction)
			return
		}
		s.xml(ctx, 200, xmlAssumeRole)
	case ctx.IsGet():
		s.xml(ctx, 200, xmlBuckets)
	default:
		ctx.SetStatusCode(405)
	}
}

func (s *NoopServer) bucket(ctx *fasthttp.RequestCtx, name []byte) {
	discard(ctx)
	q := ctx.QueryArgs()
	switch {
	case ctx.IsPut():
		ctx.Response.Header.SetBytesK(hdrLocation, "/"+string(name))
	case ctx.IsHead():
	case ctx.IsDelete():
		ctx.SetStatusCode(204)
	case ctx.IsPost() && q.Has(string(argDelete)):
		s.xml(ctx, 200, xmlDeleteResult)
	case ctx.IsGet():
		s.start(ctx, 200, xmlListV2Open)
		appendXMLText(ctx, name)
		if q.Has(string(argListType)) {
			_, _ = ctx.Write(xmlListV2Close)
		} else {
			_, _ = ctx.Write(xmlListV1Close)
		}
	default:
		ctx.SetStatusCode(405)
	}
}

func (s *NoopServer) object(ctx *fasthttp.RequestCtx, bucket, key []byte) {
	discard(ctx)
	q := ctx.QueryArgs()
	h := &ctx.Response.Header
	switch {
	case ctx.IsPut():
		if len(ctx.Request.Header.PeekBytes(hdrCopySource)) > 0 {
			s.xml(ctx, 200, xmlCopyResult)
			return
		}
		h.SetBytesKV(hdrETag, noopETag)
	case ctx.IsGet():
		h.SetBytesKV(hdrETag, noopETag)
		h.SetBytesKV(hdrLastModified, noopLastMod)
		h.SetContentTypeBytes(noopObjectType)
		ctx.Response.SetBodyRaw(s.body)
	case ctx.IsHead():
		h.SetBytesKV(hdrETag, noopETag)
		h.SetBytesKV(hdrLastModified, noopLastMod)
		h.SetContentTypeBytes(noopObjectType)
		ctx.Response.SkipBody = true
		h.SetContentLength(len(s.body))
	case ctx.IsDelete():
		ctx.SetStatusCode(204)
	case ctx.IsPost() && q.Has(string(argUploads)):
		s.start(ctx, 200, xmlInitOpen)
		appendXMLText(ctx, bucket)
		_, _ = ctx.Write(xmlInitKey)
		appendXMLText(ctx, key)
		_, _ = ctx.Write(xmlInitClose)
	case ctx.IsPost() && q.Has(string(argUploadID)):
		s.start(ctx, 200, xmlDoneOpen)
		appendXMLText(ctx, bucket)
		_, _ = ctx.Write(xmlInitKey)
		appendXMLText(ctx, key)
		_, _ = ctx.Write(xmlDoneClose)
	default:
		ctx.SetStatusCode(405)
	}
}

func (s *NoopServer) start(ctx *fasthttp.RequestCtx, status int, first []byte) {
	ctx.SetStatusCode(status)
	ctx.Response.Header.SetContentTypeBytes(noopXMLType)
	_, _ = ctx.Write(xmlDecl)
	_, _ = ctx.Write(first)
}

func (s *NoopServer) xml(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.SetStatusCode(status)
	ctx.Response.Header.SetContentTypeBytes(noopXMLType)
	_, _ = ctx.Write(xmlDecl)
	_, _ = ctx.Write(body)
}

// bodyStream is the request body as a reader, streamed or buffered.
func bodyStream(ctx *fasthttp.RequestCtx) io.Reader {
	if r := ctx.RequestBodyStream(); r != nil {
		return r
	}
	return bytes.NewReader(ctx.Request.Body())
}

// discard reads and drops the rest of a streamed request body.
func discard(ctx *fasthttp.RequestCtx) {
	if r := ctx.RequestBodyStream(); r != nil {
		_, _ = io.Copy(io.Discard, r)
	}
}

func appendXMLText(ctx *fasthttp.RequestCtx, v []byte) {
	start := 0
	for i, c := range v {
		var esc string
		switch c {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		default:
			continue
		}
		_, _ = ctx.Write(v[start:i])
		_, _ = ctx.WriteString(esc)
		start = i + 1
	}
	_, _ = ctx.Write(v[start:])
}
