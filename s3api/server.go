package s3api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/s3api/s3err"
	"github.com/tessera-s3/tessera/s3api/sigv4"
)

// Server serves the S3 API. Build it with New; it is safe for concurrent
// use and holds no per-request state outside its pools.
type Server struct {
	cfg      Config
	objects  Objects
	buckets  Buckets
	creds    Credentials
	authz    Authorizer
	verifier *sigv4.Verifier
	log      *slog.Logger
	now      func() time.Time
	// secret is creds.Secret bound once, so that Verify gets the same
	// func value on every request (no per-request closure).
	secret sigv4.SecretFunc
	// ctx is the context of store calls. Requests never pass their
	// *fasthttp.RequestCtx down, so nothing below can keep it.
	ctx context.Context

	// reqIDBase and reqIDSeq make request ids: unique per server and cheap.
	reqIDBase uint64
	reqIDSeq  atomic.Uint64
	// hostID is x-amz-id-2: stable for the server's life.
	hostID []byte

	domains [][]byte
	pool    sync.Pool
}

// New builds a Server. cfg is validated; zero Logger and Now get their
// defaults.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := deps.validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg:     cfg,
		objects: deps.Objects,
		buckets: deps.Buckets,
		creds:   deps.Credentials,
		authz:   deps.Authorizer,
		log:     cfg.Logger,
		now:     cfg.Now,
		ctx:     context.Background(),
	}
	s.verifier = sigv4.NewVerifier(sigv4.Config{
		Region:           cfg.Region,
		MaxSkew:          cfg.MaxSkew,
		MaxPresignExpiry: 7 * 24 * time.Hour,
		Now:              cfg.Now,
	})
	s.secret = deps.Credentials.Secret
	var seed [24]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("s3api: request id seed: %w", err)
	}
	s.reqIDBase = binary.LittleEndian.Uint64(seed[:8])
	s.hostID = []byte(base64.StdEncoding.EncodeToString(seed[8:]))
	for _, d := range cfg.Domains {
		s.domains = append(s.domains, []byte(d))
	}
	s.pool.New = func() any { return newRequest() }
	return s, nil
}

// Timeouts of the S3 port. A request's headers must arrive within
// headerTimeout; its body then may stream for up to bodyTimeout (a 5 GiB
// PUT at 1 MB/s takes 90 minutes). Responses have no write deadline: a
// large GET to a slow client may take long; dead peers are found by TCP
// keep-alive.
const (
	headerTimeout = time.Minute
	bodyTimeout   = 12 * time.Hour
)

// NewFastHTTPServer returns a fasthttp.Server configured for S3 around
// s.Handler: streamed request bodies (a 5 GiB single PUT never sits in
// memory), room for large headers, no multipart-form pre-parsing, no default
// Content-Type, raw (never normalized) paths, automatic
// "Expect: 100-continue", keep-alive connections closed after
// Config.IdleTimeout and on Shutdown.
func (s *Server) NewFastHTTPServer() *fasthttp.Server {
	return &fasthttp.Server{
		Handler: s.Handler,
		Name:    "Tessera",
		// With StreamRequestBody the limit only bounds what is
		// pre-read; bodies stream to the handler, which enforces the S3
		// limits itself. Keep it above a 5 GiB aws-chunked PUT.
		StreamRequestBody:            true,
		MaxRequestBodySize:           6 << 30,
		ReadBufferSize:               64 << 10,
		WriteBufferSize:              64 << 10,
		DisablePreParseMultipartForm: true,
		NoDefaultContentType:         true,
		NoDefaultServerHeader:        true,
		CloseOnShutdown:              true,
		TCPKeepalive:                 true,
		IdleTimeout:                  s.cfg.IdleTimeout,
		ReadTimeout:                  headerTimeout,
		HeaderReceived: func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
			return fasthttp.RequestConfig{ReadTimeout: bodyTimeout}
		},
		Logger: fasthttpLogger{s.log},
	}
}

// fasthttpLogger adapts slog to fasthttp.Logger.
type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	f.l.Warn("fasthttp", "msg", fmt.Sprintf(format, args...))
}

// Handler serves one request. It is the fasthttp.RequestHandler of the S3
// port.
func (s *Server) Handler(ctx *fasthttp.RequestCtx) {
	uri := ctx.Request.Header.RequestURI()
	path := rawPath(uri)
	vbucket := s.virtualHostBucket(ctx.Request.Header.Host())
	if vbucket == nil {
		if s.cfg.Internal != nil && bytes.HasPrefix(path, strInternalPrefix) {
			s.cfg.Internal(ctx)
			return
		}
		if s.cfg.STS != nil && len(path) == 1 &&
			(ctx.IsPost() && isFormRequest(&ctx.Request.Header) || ctx.IsGet() && ctx.QueryArgs().Has("Action")) {
			s.cfg.STS(ctx)
			return
		}
	}
	r := s.acquireRequest(ctx)
	defer s.releaseRequest(r)
	if s.cfg.Observe != nil {
		r.start = time.Now()
		defer s.observe(r)
	}
	defer s.recoverPanic(r)
	resp, err := s.serve(r, vbucket, path)
	if err != nil {
		s.writeError(r, err)
		return
	}
	s.writeResponse(r, resp)
}

// observe reports the finished request to Config.Observe.
func (s *Server) observe(r *request) {
	ctx := r.ctx
	info := RequestInfo{
		API: r.op.String(), Bucket: r.bucket, Key: r.key,
		Status: ctx.Response.StatusCode(), ErrorCode: r.errCode,
		Start: r.start, Duration: time.Since(r.start), RequestID: r.reqID[:],
		Identity: &r.id, BytesIn: int64(ctx.Request.Header.ContentLength()),
		BytesOut: int64(ctx.Response.Header.ContentLength()), Ctx: ctx,
	}
	if v := ctx.Request.Header.Peek("x-amz-decoded-content-length"); v != nil {
		if n, err := fasthttp.ParseUint(v); err == nil {
			info.BytesIn = int64(n)
		}
	}
	if info.BytesIn < 0 {
		info.BytesIn = 0
	}
	s.cfg.Observe(&info)
}

// recoverPanic turns a handler panic into a logged 500 InternalError.
func (s *Server) recoverPanic(r *request) {
	v := recover()
	if v == nil {
		return
	}
	s.log.Error("s3api: panic in handler", "op", r.op.String(), "bucket", r.bucket,
		"key", r.key, "request_id", string(r.reqID[:]), "panic", v, "stack", string(debug.Stack()))
	r.ctx.Response.Reset()
	s.writeError(r, s3err.ErrInternalError)
}

// serve runs the pipeline: route, authenticate, resolve identity, look up
// the bucket, authorize, handle.
func (s *Server) serve(r *request, vbucket, path []byte) (*response, error) {
	if err := r.parseTarget(vbucket, path); err != nil {
		return nil, err
	}
	r.op = classify(&r.ctx.Request.Header, r.ctx.QueryArgs(), r.bucket != "", r.hasKey)
	info := &opTable[r.op]

	res, err := s.verifier.Verify(&r.ctx.Request, s.secret)
	if err != nil {
		return nil, err
	}
	r.auth = res
	if res.Anonymous {
		r.id = Identity{Anonymous: true, UID: s.cfg.AnonymousUID, GID: s.cfg.AnonymousGID}
	} else {
		id, err := s.creds.Identity(&r.auth)
		if err != nil {
			return nil, err
		}
		r.id = id
	}

	if info.scope != scopeService {
		r.bucketMeta, r.bucketFound = s.buckets.Bucket(r.bucket)
	}
	if info.action != "" {
		if err := s.authorize(r, info.action, r.bucket, r.objectKeyForAuthz()); err != nil {
			return nil, err
		}
	}
	if info.scope != scopeService && !r.bucketFound && r.op != opCreateBucket {
		return nil, s3err.ErrNoSuchBucket
	}
	if info.scope == scopeObject && len(r.key) > maxKeyLength {
		return nil, s3err.ErrKeyTooLong
	}
	return opHandlers[r.op](s, r)
}

// objectKeyForAuthz is the key of the authorized resource: the object key
// for object operations, "" for bucket and service operations.
func (r *request) objectKeyForAuthz() string {
	if opTable[r.op].scope == scopeObject {
		return r.key
	}
	return ""
}

// authorize asks the Authorizer about action on bucket/key for r's
// identity.
func (s *Server) authorize(r *request, action, bucket, key string) error {
	a := &r.authz
	*a = AuthzRequest{Action: action, Bucket: bucket, Key: key, MaxKeys: -1, Header: &r.ctx.Request.Header}
	if bucket == r.bucket {
		a.BucketOwner, a.BucketPolicy = r.bucketMeta.Owner, r.bucketMeta.Policy
	} else if b, ok := s.buckets.Bucket(bucket); ok {
		a.BucketOwner, a.BucketPolicy = b.Owner, b.Policy
	}
	a.SourceIP = remoteAddr(r.ctx)
	a.SecureTransport = r.ctx.IsTLS()
	if r.op == opListObjects || r.op == opListObjectsV2 || r.op == opListMultipartUploads {
		q := r.ctx.QueryArgs()
		a.Prefix = string(q.Peek("prefix"))
		a.Delimiter = string(q.Peek("delimiter"))
		if v := q.Peek("max-keys"); v != nil {
			if n, err := fasthttp.ParseUint(v); err == nil {
				a.MaxKeys = n
			}
		}
	}
	err := s.authz.Authorize(&r.id, a)
	a.Header = nil
	return err
}
