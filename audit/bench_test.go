package audit

import (
	"context"
	"testing"
	"time"
)

func BenchmarkObserveDisabled(b *testing.B) {
	s, err := New(testConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background())
	ri, _ := requestInfo(b)
	b.ReportAllocs()
	for b.Loop() {
		s.Observe(ri)
	}
}

func BenchmarkNewEvent(b *testing.B) {
	ri, _ := requestInfo(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = NewEvent(ri, "node1", "v1")
	}
}

// BenchmarkEmitFull is Emit's cost when the buffer is full (the drop path).
func BenchmarkEmitFull(b *testing.B) {
	cfg := testConfig()
	cfg.BufferSize = 1
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background())
	s.SetTarget("http://127.0.0.1:1/", "")
	e := ev(1)
	b.ReportAllocs()
	for b.Loop() {
		s.Emit(e)
	}
}

// BenchmarkDeliver measures end-to-end throughput to a local webhook:
// encoding, batching, POSTing (and the receiver's decoding).
func BenchmarkDeliver(b *testing.B) {
	h := newHook(b)
	h.discard = true
	cfg := testConfig()
	cfg.BufferSize = b.N + 1
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	s.Start()
	defer s.Close(context.Background())
	s.SetTarget(h.srv.URL, "tok")
	ri, _ := requestInfo(b)
	e := NewEvent(ri, "node1", "v1")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Emit(e)
	}
	for s.Stats().Sent < uint64(b.N) {
		if st := s.Stats(); st.Failed > 0 {
			b.Fatalf("stats %+v", st)
		}
		time.Sleep(100 * time.Microsecond)
	}
}
