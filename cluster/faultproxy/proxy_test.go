package faultproxy

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// target is a TCP server behind the proxy. Each connection gets the
// handler; target counts connections and records every byte received.
type target struct {
	ln    net.Listener
	conns atomic.Int64
	mu    sync.Mutex
	got   bytes.Buffer
}

func newTarget(t *testing.T, handle func(c net.Conn, tg *target)) *target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{ln: ln}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tg.conns.Add(1)
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c, tg)
			}()
		}
	}()
	return tg
}

// echo writes back what it reads and records it.
func echo(c net.Conn, tg *target) {
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			tg.mu.Lock()
			tg.got.Write(buf[:n])
			tg.mu.Unlock()
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (tg *target) received() []byte {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]byte(nil), tg.got.Bytes()...)
}

func newProxy(t *testing.T, tg *target) *Proxy {
	t.Helper()
	p, err := New("127.0.0.1:0", tg.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and expects it echoed within d.
func roundTrip(c net.Conn, msg []byte, d time.Duration) error {
	c.SetDeadline(time.Now().Add(d))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return errors.New("echo mismatch")
	}
	return nil
}

// expectReset checks that a connection through p is reset: either the
// connect itself fails (the RST can beat connect's completion) or the first
// read fails at once.
func expectReset(t *testing.T, p *Proxy) {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr().String(), 2*time.Second)
	if err != nil {
		if isTimeout(err) {
			t.Fatalf("dial: %v, want a reset", err)
		}
		return
	}
	defer c.Close()
	if err := roundTrip(c, []byte("x"), 2*time.Second); err == nil || isTimeout(err) {
		t.Fatalf("connection through a resetting proxy: %v, want an error at once", err)
	}
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBytesPassBothWays(t *testing.T) {
	// The target hashes everything until the client half-closes, then
	// answers with the digest and a large payload of its own.
	reply := make([]byte, 1<<20)
	rand.Read(reply)
	tg := newTarget(t, func(c net.Conn, _ *target) {
		h := sha256.New()
		io.Copy(h, c)
		c.Write(h.Sum(nil))
		c.Write(reply)
	})
	p := newProxy(t, tg)
	c := dial(t, p)
	sent := make([]byte, 3<<20)
	rand.Read(sent)
	go func() {
		c.Write(sent)
		c.(*net.TCPConn).CloseWrite()
	}()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(sent)
	if len(got) != len(want)+len(reply) || !bytes.Equal(got[:len(want)], want[:]) || !bytes.Equal(got[len(want):], reply) {
		t.Fatalf("got %d bytes back, want digest + %d bytes", len(got), len(reply))
	}
	waitFor(t, "link closed after both sides finished", func() bool { return p.Conns() == 0 })
}

func TestPartitionBlackhole(t *testing.T) {
	tg := newTarget(t, echo)
	p := newProxy(t, tg)
	live := dial(t, p)
	if err := roundTrip(live, []byte("before"), 2*time.Second); err != nil {
		t.Fatal(err)
	}

	p.Partition()
	if on, mode := p.Partitioned(); !on || mode != Blackhole {
		t.Fatalf("Partitioned() = %v, %v", on, mode)
	}
	// The live connection stays open but carries nothing: writes succeed,
	// reads time out.
	if err := roundTrip(live, []byte("during"), 200*time.Millisecond); !isTimeout(err) {
		t.Fatalf("live connection during blackhole: %v, want a timeout", err)
	}
	// New connections are accepted and held, never reaching the target.
	fresh := dial(t, p)
	if err := roundTrip(fresh, []byte("new"), 200*time.Millisecond); !isTimeout(err) {
		t.Fatalf("new connection during blackhole: %v, want a timeout", err)
	}
	if n := tg.conns.Load(); n != 1 {
		t.Fatalf("target saw %d connections, want 1", n)
	}
	if got := tg.received(); string(got) != "before" {
		t.Fatalf("target received %q during the partition", got)
	}

	p.Heal()
	// Cut connections are closed, not resumed with a gap.
	for _, c := range []net.Conn{live, fresh} {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Read(make([]byte, 16)); err == nil || isTimeout(err) {
			t.Fatalf("cut connection after Heal: %v, want it closed", err)
		}
	}
	healed := dial(t, p)
	if err := roundTrip(healed, []byte("after"), 2*time.Second); err != nil {
		t.Fatalf("after Heal: %v", err)
	}
}

func TestPartitionReset(t *testing.T) {
	tg := newTarget(t, echo)
	p := newProxy(t, tg)
	live := dial(t, p)
	if err := roundTrip(live, []byte("before"), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	p.PartitionWith(Reset)
	live.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := live.Read(make([]byte, 8)); err == nil || isTimeout(err) {
		t.Fatalf("live connection after reset partition: %v, want an error at once", err)
	}
	expectReset(t, p)
	if n := tg.conns.Load(); n != 1 {
		t.Fatalf("target saw %d connections, want 1", n)
	}
	p.Heal()
	if err := roundTrip(dial(t, p), []byte("after"), 2*time.Second); err != nil {
		t.Fatalf("after Heal: %v", err)
	}
}

// Nothing written after Partition returns reaches the target, even while
// a stream is flowing at full speed.
func TestPartitionIsABarrier(t *testing.T) {
	tg := newTarget(t, func(c net.Conn, tg *target) {
		buf := make([]byte, 32<<10)
		for {
			n, err := c.Read(buf)
			tg.mu.Lock()
			tg.got.Write(buf[:n])
			tg.mu.Unlock()
			if err != nil {
				return
			}
		}
	})
	p := newProxy(t, tg)
	c := dial(t, p)
	var after atomic.Bool
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		a, b := bytes.Repeat([]byte("a"), 4096), bytes.Repeat([]byte("b"), 4096)
		for {
			select {
			case <-stop:
				return
			default:
			}
			msg := a
			if after.Load() {
				msg = b
			}
			c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
			c.Write(msg)
		}
	}()
	waitFor(t, "stream flowing", func() bool { return len(tg.received()) > 1<<20 })
	p.Partition()
	after.Store(true)
	time.Sleep(200 * time.Millisecond) // let any leak arrive
	close(stop)
	<-done
	if got := tg.received(); bytes.IndexByte(got, 'b') >= 0 {
		t.Fatalf("bytes written after Partition returned reached the target")
	}
}

func TestDelay(t *testing.T) {
	tg := newTarget(t, echo)
	p := newProxy(t, tg)
	c := dial(t, p)
	const d = 100 * time.Millisecond
	p.SetDelay(d)
	start := time.Now()
	if err := roundTrip(c, []byte("slow"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt < 2*d {
		t.Fatalf("round trip %v with %v one-way delay, want >= %v", rtt, d, 2*d)
	}
	// Delay is latency, not serialization: 10 messages sent back to back
	// arrive about one delay later, not ten.
	start = time.Now()
	for range 10 {
		c.Write([]byte("0123456789"))
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 2*d || el > 6*d {
		t.Fatalf("10 pipelined messages took %v, want about %v", el, 2*d)
	}
	p.SetDelay(0)
	start = time.Now()
	if err := roundTrip(c, []byte("fast"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt >= d {
		t.Fatalf("round trip %v after removing the delay", rtt)
	}
}

func TestCloseEndsEverything(t *testing.T) {
	tg := newTarget(t, echo)
	p := newProxy(t, tg)
	live := dial(t, p)
	if err := roundTrip(live, []byte("x"), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	p.Partition()
	held := dial(t, p)
	waitFor(t, "held connection", func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.held) == 1 })
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []net.Conn{live, held} {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Read(make([]byte, 8)); err == nil || isTimeout(err) {
			t.Fatalf("connection after Close: %v, want closed", err)
		}
	}
	if c, err := net.DialTimeout("tcp", p.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Fatal("proxy still accepts after Close")
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestTargetDownResetsClient(t *testing.T) {
	// Port 1 (tcpmux) is closed on any test machine; a just-closed ephemeral
	// port could be handed to the proxy itself.
	p, err := New("127.0.0.1:0", "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	expectReset(t, p)
}

// Partition, Heal, SetDelay and traffic from many goroutines at once; run
// with -race. The proxy ends healed and working.
func TestConcurrentUse(t *testing.T) {
	tg := newTarget(t, echo)
	p := newProxy(t, tg)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.Dial("tcp", p.Addr().String())
				if err != nil {
					continue
				}
				roundTrip(c, []byte{byte(i)}, 20*time.Millisecond)
				c.Close()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			switch i % 4 {
			case 0:
				p.Partition()
			case 1:
				p.PartitionWith(Reset)
			case 2:
				p.SetDelay(time.Duration(i%3) * time.Millisecond)
			case 3:
				p.Heal()
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	p.Heal()
	p.SetDelay(0)
	if err := roundTrip(dial(t, p), []byte("ok"), 2*time.Second); err != nil {
		t.Fatalf("after the storm: %v", err)
	}
}
