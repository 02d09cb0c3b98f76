//go:build !race

package s3api

import (
	"testing"
)

// TestAllocsObjectRouting counts the allocations of the per-request work
// of GET and HEAD object around the store call: target parsing,
// classification, object header writing and response writing. The one
// allocation is the decoded bucket/key string.
func TestAllocsObjectRouting(t *testing.T) {
	s := testServer()
	s.pool.New = func() any { return newRequest() }
	oi := testObjectInfo()
	for _, tc := range []struct {
		method string
		op     opID
	}{{"GET", opGetObject}, {"HEAD", opHeadObject}} {
		ctx := newTestCtx(tc.method, "/bucket/dir/some%20key.txt", "x-amz-checksum-mode", "ENABLED")
		run := func() {
			r := s.acquireRequest(ctx)
			path := rawPath(ctx.Request.Header.RequestURI())
			if err := r.parseTarget(s.virtualHostBucket(ctx.Request.Header.Host()), path); err != nil {
				t.Fatal(err)
			}
			r.op = classify(&ctx.Request.Header, ctx.QueryArgs(), r.bucket != "", r.hasKey)
			if r.op != tc.op {
				t.Fatalf("op %v", r.op)
			}
			p := r.respond(200)
			writeObjectHeaders(p, &oi, objectHeaderOpts{checksum: true, cs: oi.Checksum})
			p.setContentRange(0, 100, oi.Size)
			p.length = oi.Size
			s.writeResponse(r, p)
			s.releaseRequest(r)
			ctx.Response.Reset()
		}
		allocs := testing.AllocsPerRun(200, run)
		if allocs > 1 {
			t.Errorf("%s: %.1f allocations per request, want <= 1", tc.method, allocs)
		}
	}
}

func BenchmarkObjectRouting(b *testing.B) {
	s := testServer()
	s.pool.New = func() any { return newRequest() }
	oi := testObjectInfo()
	ctx := newTestCtx("GET", "/bucket/dir/some%20key.txt")
	b.ReportAllocs()
	for b.Loop() {
		r := s.acquireRequest(ctx)
		_ = r.parseTarget(nil, rawPath(ctx.Request.Header.RequestURI()))
		r.op = classify(&ctx.Request.Header, ctx.QueryArgs(), r.bucket != "", r.hasKey)
		p := r.respond(200)
		writeObjectHeaders(p, &oi, objectHeaderOpts{})
		p.length = oi.Size
		s.writeResponse(r, p)
		s.releaseRequest(r)
		ctx.Response.Reset()
	}
}
