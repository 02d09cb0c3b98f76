//go:build !race

package bench

import "testing"

func TestHistogramRecordAllocs(t *testing.T) {
	var h Histogram
	h.RecordValue(1) // the bucket array is allocated once
	v := int64(1)
	if n := testing.AllocsPerRun(1000, func() {
		h.RecordValue(v)
		v = v*7 + 13
	}); n != 0 {
		t.Fatalf("Record allocates %v times", n)
	}
}

func TestNoopHandlerAllocs(t *testing.T) {
	s, err := NewNoopServer(DefaultNoopConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, uri string }{
		{"GET", "/bucket/bench/obj-1"},
		{"PUT", "/bucket/bench/obj-1"},
		{"HEAD", "/bucket/bench/obj-1"},
		{"DELETE", "/bucket/bench/obj-1"},
		{"GET", "/bucket?list-type=2&prefix=bench%2F"},
		{"POST", "/bucket/bench/obj-1?uploads"},
	} {
		ctx := noopCtx(c.method, c.uri)
		s.Handler(ctx) // warm the response buffers
		if n := testing.AllocsPerRun(200, func() {
			ctx.Response.Reset()
			s.Handler(ctx)
		}); n != 0 {
			t.Errorf("%s %s allocates %v times", c.method, c.uri, n)
		}
	}
}

// clientAllocsPerRequest bounds the allocations of one signed request.
// Nearly all of them are aws-sdk-go-v2's signer (canonical request, string
// to sign, HMACs: about 40); the request, response and body are reused.
const clientAllocsPerRequest = 48

func TestClientAllocs(t *testing.T) {
	w := noopWorker(t)
	for name, fn := range map[string]func() reply{
		"put 4KiB": func() reply { return w.put(3, 4096) },
		"get":      func() reply { return w.get(3, nil) },
		"head":     func() reply { return w.head(3) },
		"delete":   func() reply { return w.del(3) },
	} {
		fn()
		n := testing.AllocsPerRun(200, func() {
			if r := fn(); !r.ok() {
				t.Fatalf("%s: %s %s", name, r.code, r.detail)
			}
		})
		t.Logf("%s: %v allocations per request", name, n)
		if n > clientAllocsPerRequest {
			t.Errorf("%s allocates %v times per request, budget %d", name, n, clientAllocsPerRequest)
		}
	}
}
