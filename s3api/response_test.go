package s3api

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// testServer is a Server with only what writing responses needs.
func testServer() *Server {
	return &Server{
		log:    slog.New(slog.DiscardHandler),
		hostID: []byte("host-id"),
		now:    time.Now,
	}
}

// respHeader returns a response header by case-insensitive name: the
// server writes names as AWS does ("ETag", "x-amz-request-id"), which
// fasthttp's normalizing Peek does not find.
func peekResp(h *fasthttp.ResponseHeader, name string) (string, bool) {
	for k, v := range h.All() {
		if strings.EqualFold(string(k), name) {
			return string(v), true
		}
	}
	return "", false
}

func newTestRequest(s *Server, ctx *fasthttp.RequestCtx) *request {
	r := newRequest()
	r.ctx = ctx
	s.newRequestID(&r.reqID)
	r.resp.reset(r)
	return r
}

type errorDoc struct {
	Code, Message, Resource, RequestId, HostId string
}

func TestWriteError(t *testing.T) {
	s := testServer()
	ctx := newTestCtx("GET", "/b/a%26b")
	r := newTestRequest(s, ctx)
	if err := r.parseTarget(nil, []byte("/b/a%26b")); err != nil {
		t.Fatal(err)
	}
	r.op = opGetObject
	s.writeError(r, fmt.Errorf("wrapped: %w", erasure.ErrObjectNotFound))
	if ctx.Response.StatusCode() != http.StatusNotFound {
		t.Fatalf("status %d", ctx.Response.StatusCode())
	}
	body := string(ctx.Response.Body())
	if !strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Fatalf("no XML declaration: %s", body)
	}
	var d errorDoc
	if err := xml.Unmarshal(ctx.Response.Body(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Code != "NoSuchKey" || d.Message != s3err.ErrNoSuchKey.Message || d.Resource != "/b/a&b" ||
		d.RequestId != string(r.reqID[:]) || d.HostId != "host-id" {
		t.Fatalf("error doc %+v", d)
	}
	if got, _ := peekResp(&ctx.Response.Header, "x-amz-request-id"); got != string(r.reqID[:]) {
		t.Fatalf("x-amz-request-id %q", got)
	}
	if string(ctx.Response.Header.ContentType()) != "application/xml" || string(ctx.Response.Header.Peek("Server")) != "Tessera" {
		t.Fatalf("headers: %s", ctx.Response.Header.String())
	}
}

func TestWriteErrorHeadHasNoBody(t *testing.T) {
	s := testServer()
	ctx := newTestCtx("HEAD", "/b/k")
	r := newTestRequest(s, ctx)
	r.op = opHeadObject
	s.writeError(r, s3err.ErrNoSuchKey)
	if ctx.Response.StatusCode() != 404 || len(ctx.Response.Body()) != 0 {
		t.Fatalf("status %d body %q", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}

func TestWriteErrorMapping(t *testing.T) {
	s := testServer()
	tests := []struct {
		err  error
		code string
		st   int
	}{
		{erasure.ErrUploadNotFound, "NoSuchUpload", 404},
		{erasure.ErrInvalidPart, "InvalidPart", 400},
		{erasure.ErrInvalidPartOrder, "InvalidPartOrder", 400},
		{erasure.ErrPartTooSmall, "EntityTooSmall", 400},
		{erasure.ErrIncompleteBody, "IncompleteBody", 400},
		{erasure.ErrWriteQuorum, "ServiceUnavailable", 503},
		{fmt.Errorf("verify: %w", s3err.ErrBadDigest), "BadDigest", 400},
		{&invalidRangeError{size: 10}, "InvalidRange", 416},
		{errors.New("boom"), "InternalError", 500},
	}
	for _, tt := range tests {
		ctx := newTestCtx("GET", "/b/k")
		r := newTestRequest(s, ctx)
		s.writeError(r, tt.err)
		var d errorDoc
		if err := xml.Unmarshal(ctx.Response.Body(), &d); err != nil {
			t.Fatal(err)
		}
		if d.Code != tt.code || ctx.Response.StatusCode() != tt.st {
			t.Errorf("%v: got %s %d", tt.err, d.Code, ctx.Response.StatusCode())
		}
	}
	ctx := newTestCtx("GET", "/b/k")
	s.writeError(newTestRequest(s, ctx), &invalidRangeError{size: 10})
	if got, _ := peekResp(&ctx.Response.Header, "Content-Range"); got != "bytes */10" {
		t.Errorf("Content-Range %q", got)
	}
}

func TestRequestIDsUnique(t *testing.T) {
	s := testServer()
	s.reqIDBase = 12345
	seen := map[[16]byte]bool{}
	for range 10000 {
		var id [16]byte
		s.newRequestID(&id)
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
		for _, c := range id {
			if !strings.ContainsRune(hexUpper, rune(c)) {
				t.Fatalf("bad id %s", id)
			}
		}
	}
}

func testObjectInfo() erasure.ObjectInfo {
	return erasure.ObjectInfo{
		Bucket: "b", Key: "k", Size: 1000, ETag: "0123456789abcdef0123456789abcdef",
		ModTime:     time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		ContentType: "text/plain",
		UserMeta:    map[string]string{"color": "blue"},
		Headers:     map[string]string{"Cache-Control": "no-cache", "Content-Disposition": "inline", metaChecksumAlgorithm: "CRC32"},
		Tags:        "a=1&b=2",
		Checksum:    erasure.Checksum{Algorithm: "CRC32", Value: "AAAAAA==", Type: "FULL_OBJECT"},
	}
}

func TestWriteObjectHeaders(t *testing.T) {
	s := testServer()
	ctx := newTestCtx("GET", "/b/k")
	r := newTestRequest(s, ctx)
	oi := testObjectInfo()
	p := r.respond(200)
	writeObjectHeaders(p, &oi, objectHeaderOpts{checksum: true, cs: oi.Checksum})
	p.length = oi.Size
	s.writeResponse(r, p)
	h := &ctx.Response.Header
	want := map[string]string{
		"Content-Type":         "text/plain",
		"ETag":                 `"0123456789abcdef0123456789abcdef"`,
		"Last-Modified":        "Tue, 02 Jan 2024 03:04:05 GMT",
		"Accept-Ranges":        "bytes",
		"Cache-Control":        "no-cache",
		"Content-Disposition":  "inline",
		"x-amz-meta-color":     "blue",
		"x-amz-tagging-count":  "2",
		"x-amz-checksum-crc32": "AAAAAA==",
		"x-amz-checksum-type":  "FULL_OBJECT",
		"Server":               "Tessera",
	}
	for k, v := range want {
		if got, _ := peekResp(h, k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"x-amz-storage-class", "x-amz-checksum-algorithm", "x-amz-mp-parts-count"} {
		if v, ok := peekResp(h, k); ok {
			t.Errorf("unexpected %s: %q", k, v)
		}
	}
	if h.ContentLength() != 1000 {
		t.Errorf("Content-Length %d", h.ContentLength())
	}
}

// TestHeadContentLengthOnWire checks, through a real fasthttp server, that
// a HEAD response announces the object size without sending a body and
// that a streamed GET body arrives whole.
func TestHeadContentLengthOnWire(t *testing.T) {
	s := testServer()
	s.cfg = DefaultConfig()
	data := strings.Repeat("x", 1000)
	srv := s.NewFastHTTPServer()
	srv.Handler = func(ctx *fasthttp.RequestCtx) {
		r := s.acquireRequest(ctx)
		defer s.releaseRequest(r)
		oi := testObjectInfo()
		p := r.respond(200)
		writeObjectHeaders(p, &oi, objectHeaderOpts{})
		if ctx.IsHead() {
			p.length = oi.Size
		} else {
			p.body = io.NopCloser(strings.NewReader(data))
			p.bodyLen = int64(len(data))
		}
		s.writeResponse(r, p)
	}
	s.pool.New = func() any { return newRequest() }
	ln := fasthttputil.NewInmemoryListener()
	defer ln.Close()
	go srv.Serve(ln) //nolint:errcheck
	defer srv.Shutdown()

	conn, err := ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for _, method := range []string{"HEAD", "GET"} {
		fmt.Fprintf(conn, "%s /b/k HTTP/1.1\r\nHost: x\r\n\r\n", method)
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Header.Get("Content-Length") != "1000" {
			t.Fatalf("%s: Content-Length %q", method, resp.Header.Get("Content-Length"))
		}
		if method == "HEAD" && len(body) != 0 || method == "GET" && string(body) != data {
			t.Fatalf("%s: body %d bytes", method, len(body))
		}
		if resp.Header.Get("x-amz-request-id") == "" || resp.Header.Get("Server") != "Tessera" {
			t.Fatalf("%s: headers %v", method, resp.Header)
		}
	}
	_ = net.ErrClosed
}

func TestRecoverPanic(t *testing.T) {
	s := testServer()
	ctx := newTestCtx("GET", "/b/k")
	r := newTestRequest(s, ctx)
	r.op = opGetObject
	func() {
		defer s.recoverPanic(r)
		p := r.respond(200)
		p.set(hContentType, "text/plain")
		s.writeResponse(r, p)
		ctx.SetBodyString("partial")
		panic("boom")
	}()
	if ctx.Response.StatusCode() != 500 {
		t.Fatalf("status %d", ctx.Response.StatusCode())
	}
	var d errorDoc
	if err := xml.Unmarshal(ctx.Response.Body(), &d); err != nil || d.Code != "InternalError" {
		t.Fatalf("body %q: %v", ctx.Response.Body(), err)
	}
	if string(ctx.Response.Header.ContentType()) != "application/xml" {
		t.Fatalf("content type %q", ctx.Response.Header.ContentType())
	}
}
