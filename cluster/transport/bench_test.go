package transport

import (
	"context"
	"crypto/rand"
	"net"
	"testing"
)

// BenchmarkHandshake measures the CPU cost of one handshake (both sides)
// over an in-memory pipe.
func BenchmarkHandshake(b *testing.B) {
	serves := func(byte) bool { return true }
	b.ReportAllocs()
	for b.Loop() {
		d, l := net.Pipe()
		errc := make(chan error, 1)
		go func() {
			_, _, err := serverHandshake(l, rand.Reader, testSecret, "listener", serves)
			errc <- err
		}()
		if _, err := clientHandshake(d, rand.Reader, testSecret, "dialer", TagRaft); err != nil {
			b.Fatal(err)
		}
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
		d.Close()
		l.Close()
	}
}

// BenchmarkDialLoopback measures a full authenticated Dial and Accept over
// loopback TCP: connection setup cost for pools of persistent connections.
func BenchmarkDialLoopback(b *testing.B) {
	a := newMux(b, "a", testSecret)
	srv := newMux(b, "srv", testSecret)
	l := srv.Listener(TagShard)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := srv.Addr().String()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, err := a.Dial(ctx, addr, TagShard)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
