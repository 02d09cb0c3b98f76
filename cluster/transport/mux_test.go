package transport

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestServicesBothDirections(t *testing.T) {
	a := newMux(t, "node-a", testSecret)
	b := newMux(t, "node-b", testSecret)
	tags := []byte{TagRaft, TagRPC, TagShard}
	for _, m := range []*Mux{a.Mux, b.Mux} {
		for _, tag := range tags {
			serveEcho(m.Listener(tag))
		}
	}
	for _, tag := range tags {
		checkEcho(t, a.Mux, b.Addr().String(), tag, "node-b")
		checkEcho(t, b.Mux, a.Addr().String(), tag, "node-a")
	}
	if s := b.Stats(); s.Accepted != 3 || s.Dialed != 3 || s.Rejected() != 0 {
		t.Fatalf("b stats %+v, want 3 accepted, 3 dialed, 0 rejected", s)
	}
}

func TestListenerIsPerTagAndReusable(t *testing.T) {
	a := newMux(t, "a", testSecret)
	b := newMux(t, "b", testSecret)
	l1 := b.Listener(TagRPC)
	if l2 := b.Listener(TagRPC); l1 != l2 {
		t.Fatal("second Listener call for the same tag returned a different listener")
	}
	if l1.Addr().String() != b.Addr().String() {
		t.Fatalf("listener Addr %v, mux Addr %v", l1.Addr(), b.Addr())
	}
	n := serveEcho(l1)
	checkEcho(t, a.Mux, b.Addr().String(), TagRPC, "b")
	if n.Load() != 1 {
		t.Fatalf("accepted %d, want 1", n.Load())
	}
	// Closing the service unregisters it; the tag is then unavailable, and a
	// new Listener call serves it again.
	l1.Close()
	_, err := a.Dial(context.Background(), b.Addr().String(), TagRPC)
	if !errors.Is(err, ErrServiceUnavailable) {
		t.Fatalf("dial closed service: %v, want ErrServiceUnavailable", err)
	}
	if _, err := l1.Accept(); !errors.Is(err, ErrClosed) || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept on closed listener: %v", err)
	}
	serveEcho(b.Listener(TagRPC))
	checkEcho(t, a.Mux, b.Addr().String(), TagRPC, "b")
}

func TestUnknownServiceIsRefusedAfterAuth(t *testing.T) {
	a := newMux(t, "a", testSecret)
	b := newMux(t, "b", testSecret)
	serveEcho(b.Listener(TagRaft))
	_, err := a.Dial(context.Background(), b.Addr().String(), 'X')
	if !errors.Is(err, ErrServiceUnavailable) {
		t.Fatalf("Dial unknown tag: %v, want ErrServiceUnavailable", err)
	}
	waitFor(t, 2*time.Second, "RejectedService", func() bool { return b.Stats().RejectedService == 1 })
	if s := a.Stats(); s.DialFailed != 1 || s.Dialed != 0 {
		t.Fatalf("a stats %+v", s)
	}
}

func TestWrongSecretRejectedBothWays(t *testing.T) {
	good := newMux(t, "good", testSecret)
	bad := newMux(t, "bad", otherSecret)
	accepted := serveEcho(good.Listener(TagRaft))
	badAccepted := serveEcho(bad.Listener(TagRaft))

	// bad dials good: good rejects bad's proof and hangs up.
	_, err := bad.Dial(context.Background(), good.Addr().String(), TagRaft)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("bad -> good: %v, want ErrRejected", err)
	}
	// good dials bad: bad rejects good's proof (the dialer proves first).
	_, err = good.Dial(context.Background(), bad.Addr().String(), TagRaft)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("good -> bad: %v, want ErrRejected", err)
	}
	waitFor(t, 2*time.Second, "RejectedAuth on both", func() bool {
		return good.Stats().RejectedAuth == 1 && bad.Stats().RejectedAuth == 1
	})
	if accepted.Load() != 0 || badAccepted.Load() != 0 {
		t.Fatalf("a service saw an unauthenticated connection: %d, %d", accepted.Load(), badAccepted.Load())
	}
	// The rejection is logged with the remote address.
	waitFor(t, 2*time.Second, "rejection log", func() bool {
		l := good.logs.String()
		return strings.Contains(l, "rejected") && strings.Contains(l, "reason=auth") && strings.Contains(l, "remote=127.0.0.1:")
	})
	// good keeps serving its peers.
	peer := newMux(t, "peer", testSecret)
	checkEcho(t, peer.Mux, good.Addr().String(), TagRaft, "good")
}

// A listener that does not hold the secret cannot impersonate a node: the
// dialer checks the listener's proof.
func TestImpersonatingListenerDetected(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		// Speak the protocol, but answer with a made-up proof.
		var nonce [nonceLen]byte
		var out [maxHello]byte
		n := putHello(out[:], &nonce, "fake")
		c.Write(out[:n])
		var m2 [maxM2]byte
		io.ReadFull(c, m2[:helloFixed])
		_, idLen, _ := parseHelloFixed(m2[:helloFixed])
		io.ReadFull(c, m2[:idLen+1+proofLen])
		var m3 [m3Len]byte
		rand.Read(m3[1:])
		c.Write(m3[:])
		io.Copy(io.Discard, c)
	}()
	a := newMux(t, "a", testSecret)
	_, err = a.Dial(context.Background(), ln.Addr().String(), TagRaft)
	if !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("Dial impersonator: %v, want ErrAuthFailed", err)
	}
}

// Peers without the secret: a raw client replaying the protocol with a
// guessed secret, garbage, an HTTP request, a client that hangs up, and a
// client that claims a valid proof but flips one bit. None reaches the
// service, each is counted, and the server keeps serving real peers.
func TestUnauthenticatedPeersRejected(t *testing.T) {
	srv := newMux(t, "srv", testSecret)
	accepted := serveEcho(srv.Listener(TagRaft))
	addr := srv.Addr().String()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	cases := []struct {
		name string
		run  func(c net.Conn)
		stat func(Stats) uint64
	}{
		{"guessed secret", func(c net.Conn) {
			rawHandshake(t, c, []byte("not-the-secret-but-32-bytes-long"), "intruder", TagRaft)
		}, func(s Stats) uint64 { return s.RejectedAuth }},
		{"empty secret", func(c net.Conn) {
			rawHandshake(t, c, nil, "intruder", TagRaft)
		}, func(s Stats) uint64 { return s.RejectedAuth }},
		{"garbage", func(c net.Conn) {
			junk := make([]byte, 4096)
			rand.Read(junk)
			c.Write(junk)
		}, func(s Stats) uint64 { return s.RejectedProtocol }},
		{"http request", func(c net.Conn) {
			c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		}, func(s Stats) uint64 { return s.RejectedProtocol }},
		{"oversized id length", func(c net.Conn) {
			var nonce [nonceLen]byte
			b := append([]byte(wireMagic), wireVersion)
			b = append(b, nonce[:]...)
			b = append(b, 255) // > MaxNodeIDLen
			c.Write(b)
		}, func(s Stats) uint64 { return s.RejectedProtocol }},
		{"hang up mid-handshake", func(c net.Conn) {
			c.Write([]byte(wireMagic))
			c.(*net.TCPConn).CloseWrite()
		}, func(s Stats) uint64 { return s.RejectedProtocol }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.stat(srv.Stats())
			c := dial()
			tc.run(c)
			expectDropped(t, c, 3*time.Second)
			waitFor(t, 2*time.Second, "reject counter", func() bool { return tc.stat(srv.Stats()) == before+1 })
		})
	}

	// A valid proof with one bit flipped (same secret, tampered message).
	t.Run("tampered tag", func(t *testing.T) {
		before := srv.Stats().RejectedAuth
		c := dial()
		var in [maxHello]byte
		io.ReadFull(c, in[:helloFixed])
		nonceL, idLen, err := parseHelloFixed(in[:helloFixed])
		if err != nil {
			t.Fatal(err)
		}
		io.ReadFull(c, in[helloFixed:helloFixed+idLen])
		m2 := buildM2(testSecret, &nonceL, in[helloFixed:helloFixed+idLen], "mallory", TagShard)
		m2[len(m2)-proofLen-1] = TagRaft // proof was computed for TagShard
		c.Write(m2)
		expectDropped(t, c, 3*time.Second)
		waitFor(t, 2*time.Second, "RejectedAuth", func() bool { return srv.Stats().RejectedAuth == before+1 })
	})

	if n := accepted.Load(); n != 0 {
		t.Fatalf("service accepted %d unauthenticated connections", n)
	}
	good := newMux(t, "good", testSecret)
	checkEcho(t, good.Mux, addr, TagRaft, "srv")
}

// Slow-loris peers hold a connection open and send a byte now and then.
// They are dropped at the handshake deadline and do not block real peers.
func TestSlowLorisDroppedAtDeadline(t *testing.T) {
	const hs = 300 * time.Millisecond
	srv := newMux(t, "srv", testSecret, func(c *Config) { c.HandshakeTimeout = hs })
	accepted := serveEcho(srv.Listener(TagRPC))
	addr := srv.Addr().String()

	const slow = 5
	conns := make([]net.Conn, slow)
	start := time.Now()
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
		go func() { // one byte of a plausible M2 every 50 ms
			for _, b := range []byte(wireMagic + "\x01") {
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	good := newMux(t, "good", testSecret)
	checkEcho(t, good.Mux, addr, TagRPC, "srv")
	if d := time.Since(start); d >= hs {
		t.Fatalf("good peer took %v, slow peers held it up", d)
	}
	for _, c := range conns {
		var m1 [maxHello]byte
		io.ReadFull(c, m1[:helloFixed+len("srv")]) // the server's hello is fine to read
		expectDropped(t, c, 5*hs)
	}
	if d := time.Since(start); d < hs {
		t.Fatalf("slow peers dropped after %v, before the %v deadline", d, hs)
	}
	waitFor(t, 2*time.Second, "RejectedTimeout", func() bool { return srv.Stats().RejectedTimeout == slow })
	if accepted.Load() != 1 {
		t.Fatalf("accepted %d, want only the good peer", accepted.Load())
	}
}

// Beyond MaxPendingPerHost, connections from the same host are dropped
// unread; once the slots free up, peers get through again.
func TestPendingHandshakeLimit(t *testing.T) {
	srv := newMux(t, "srv", testSecret, func(c *Config) {
		c.MaxPendingHandshakes = 4
		c.MaxPendingPerHost = 2
		c.HandshakeTimeout = 5 * time.Second
	})
	serveEcho(srv.Listener(TagRPC))
	addr := srv.Addr().String()
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		var m1 [helloFixed]byte
		if _, err := io.ReadFull(c, m1[:]); err != nil { // the handshake has started
			t.Fatal(err)
		}
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	expectDropped(t, c, 2*time.Second)
	if s := srv.Stats(); s.RejectedOverload != 1 {
		t.Fatalf("stats %+v, want RejectedOverload 1", s)
	}
	for _, h := range held {
		h.Close()
	}
	good := newMux(t, "good", testSecret)
	waitFor(t, 2*time.Second, "slots released", func() bool { return srv.Stats().RejectedProtocol == 2 })
	checkEcho(t, good.Mux, addr, TagRPC, "srv")
}

func TestDialHonoursContext(t *testing.T) {
	// A TCP server that accepts and never speaks.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	a := newMux(t, "a", testSecret)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = a.Dial(ctx, ln.Addr().String(), TagRaft)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial with deadline: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Dial took %v after a 100ms deadline", d)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = a.Dial(ctx, ln.Addr().String(), TagRaft)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial cancelled: %v, want context.Canceled", err)
	}

	// Without a ctx deadline, HandshakeTimeout bounds the dial.
	b := newMux(t, "b", testSecret, func(c *Config) { c.HandshakeTimeout = 100 * time.Millisecond })
	start = time.Now()
	if _, err = b.Dial(context.Background(), ln.Addr().String(), TagRaft); err == nil {
		t.Fatal("Dial to a silent server succeeded")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Dial took %v with a 100ms HandshakeTimeout", d)
	}
}

func TestCloseUnblocksAndRefuses(t *testing.T) {
	a := newMux(t, "a", testSecret)
	l := a.Listener(TagShard)
	errc := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		errc <- err
	}()
	// A connection stuck in the handshake is dropped by Close.
	stuck, err := net.Dial("tcp", a.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	var m1 [helloFixed + 1]byte // hello with the 1-byte id "a"
	io.ReadFull(stuck, m1[:])

	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) || !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Accept still blocked after Close")
	}
	expectDropped(t, stuck, 2*time.Second)
	if _, err := a.Dial(context.Background(), "127.0.0.1:1", TagRaft); !errors.Is(err, ErrClosed) {
		t.Fatalf("Dial after Close: %v", err)
	}
	if _, err := a.Listener(TagRPC).Accept(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Listener after Close: Accept %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if s := a.Stats(); s.Rejected() != 0 {
		t.Fatalf("shutdown counted as rejections: %+v", s)
	}
}

func TestConfigValidate(t *testing.T) {
	base := func() Config {
		c := DefaultConfig()
		c.NodeID = "node1"
		c.Secret = testSecret
		return c
	}
	if c := base(); c.Validate() != nil {
		t.Fatalf("default config invalid: %v", c.Validate())
	}
	cases := []struct {
		field string
		mod   func(*Config)
	}{
		{"NodeID", func(c *Config) { c.NodeID = "" }},
		{"NodeID", func(c *Config) { c.NodeID = "has space" }},
		{"NodeID", func(c *Config) { c.NodeID = strings.Repeat("n", MaxNodeIDLen+1) }},
		{"Secret", func(c *Config) { c.Secret = testSecret[:31] }},
		{"Secret", func(c *Config) { c.Secret = make([]byte, MaxSecretLen+1) }},
		{"BindAddr", func(c *Config) { c.BindAddr = "9100" }},
		{"AdvertiseAddr", func(c *Config) { c.AdvertiseAddr = "0.0.0.0:9100" }},
		{"AdvertiseAddr", func(c *Config) { c.AdvertiseAddr = "node1:0" }},
		{"AdvertiseAddr", func(c *Config) { c.AdvertiseAddr = "node1" }},
		{"HandshakeTimeout", func(c *Config) { c.HandshakeTimeout = time.Millisecond }},
		{"HandshakeTimeout", func(c *Config) { c.HandshakeTimeout = time.Hour }},
		{"MaxPendingHandshakes", func(c *Config) { c.MaxPendingHandshakes = 0 }},
		{"MaxPendingPerHost", func(c *Config) { c.MaxPendingPerHost = c.MaxPendingHandshakes + 1 }},
	}
	for _, tc := range cases {
		c := base()
		tc.mod(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "Config."+tc.field) {
			t.Errorf("%s: Validate() = %v, want an error naming Config.%s", tc.field, err, tc.field)
		}
	}
	// Listen refuses an unadvertisable bind without AdvertiseAddr.
	c := base()
	c.BindAddr = "0.0.0.0:0"
	if _, err := Listen(c); err == nil || !strings.Contains(err.Error(), "AdvertiseAddr") {
		t.Fatalf("Listen on 0.0.0.0 without AdvertiseAddr: %v", err)
	}
	c.AdvertiseAddr = "node1.example:9100"
	m, err := Listen(c)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Addr().String() != "node1.example:9100" {
		t.Fatalf("Addr %v", m.Addr())
	}
	// The secret is copied: mutating the caller's slice changes nothing.
	secret := append([]byte(nil), testSecret...)
	c = base()
	c.BindAddr, c.Secret = "127.0.0.1:0", secret
	m2, err := Listen(c)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	serveEcho(m2.Listener(TagRPC))
	secret[0] ^= 0xff
	peer := newMux(t, "peer", testSecret)
	checkEcho(t, peer.Mux, m2.Addr().String(), TagRPC, "node1")
}

func TestRejectLogRateLimit(t *testing.T) {
	var r rateLimiter
	t0 := time.Unix(1000, 0)
	for i := range rejectLogBurst {
		if ok, _ := r.allow(t0.Add(time.Duration(i) * time.Millisecond)); !ok {
			t.Fatalf("line %d of the burst suppressed", i)
		}
	}
	for range 5 {
		if ok, _ := r.allow(t0.Add(500 * time.Millisecond)); ok {
			t.Fatal("line beyond the burst allowed")
		}
	}
	ok, suppressed := r.allow(t0.Add(1500 * time.Millisecond))
	if !ok || suppressed != 5 {
		t.Fatalf("next window: ok %v suppressed %d, want true 5", ok, suppressed)
	}
	if _, suppressed := r.allow(t0.Add(1600 * time.Millisecond)); suppressed != 0 {
		t.Fatalf("suppressed count reported twice: %d", suppressed)
	}
}
