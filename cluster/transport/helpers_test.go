package transport

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	testSecret  = []byte("tessera-test-cluster-secret-0001")
	otherSecret = []byte("a-different-cluster-secret-00002")
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testMux struct {
	*Mux
	logs *syncBuffer
}

// newMux starts a mux on a free loopback port, closed at test end.
func newMux(t testing.TB, id string, secret []byte, mod ...func(*Config)) testMux {
	t.Helper()
	logs := &syncBuffer{}
	cfg := DefaultConfig()
	cfg.NodeID = id
	cfg.Secret = secret
	cfg.BindAddr = "127.0.0.1:0"
	cfg.HandshakeTimeout = 2 * time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	for _, f := range mod {
		f(&cfg)
	}
	m, err := Listen(cfg)
	if err != nil {
		t.Fatalf("Listen(%s): %v", id, err)
	}
	t.Cleanup(func() { m.Close() })
	return testMux{m, logs}
}

// serveEcho accepts on l until it closes; each connection first gets a
// "<tag> <peer-id>\n" greeting and then has its bytes echoed. It returns the
// number of connections accepted so far.
func serveEcho(l net.Listener) *atomic.Int64 {
	var n atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			go func() {
				defer c.Close()
				tc := c.(*Conn)
				fmt.Fprintf(c, "%c %s\n", tc.Tag(), tc.PeerID())
				io.Copy(c, c)
			}()
		}
	}()
	return &n
}

// checkEcho dials m -> addr for tag and checks greeting and echo.
func checkEcho(t *testing.T, m *Mux, addr string, tag byte, wantPeer string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := m.Dial(ctx, addr, tag)
	if err != nil {
		t.Fatalf("Dial %s tag %c: %v", addr, tag, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if got := c.(*Conn).PeerID(); got != wantPeer {
		t.Fatalf("dialer sees peer %q, want %q", got, wantPeer)
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read greeting: %v", err)
	}
	if want := fmt.Sprintf("%c %s\n", tag, m.NodeID()); line != want {
		t.Fatalf("greeting %q, want %q", line, want)
	}
	msg := strings.Repeat(fmt.Sprintf("payload-%c-", tag), 10000)
	go c.Write([]byte(msg))
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatalf("read echo: %v", err)
	}
	if string(got) != msg {
		t.Fatalf("echo mismatch")
	}
}

// waitFor polls cond every 10 ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rawHandshake plays the dialer by hand on c: it reads M1 and sends an M2
// computed with secret (which may be wrong) for tag.
func rawHandshake(t testing.TB, c net.Conn, secret []byte, id string, tag byte) {
	t.Helper()
	var in [maxHello]byte
	if _, err := io.ReadFull(c, in[:helloFixed]); err != nil {
		t.Fatalf("read M1: %v", err)
	}
	nonceL, idLen, err := parseHelloFixed(in[:helloFixed])
	if err != nil {
		t.Fatalf("parse M1: %v", err)
	}
	idL := in[helloFixed : helloFixed+idLen]
	if _, err := io.ReadFull(c, idL); err != nil {
		t.Fatalf("read M1 id: %v", err)
	}
	c.Write(buildM2(secret, &nonceL, idL, id, tag))
}

// buildM2 builds the dialer's message for the given listener nonce and id.
func buildM2(secret []byte, nonceL *[nonceLen]byte, idL []byte, id string, tag byte) []byte {
	var nonceD [nonceLen]byte
	copy(nonceD[:], "dialer-nonce-for-tests-000000000")
	return buildM2Nonce(secret, &nonceD, nonceL, idL, id, tag)
}

// buildM2Nonce is buildM2 with a chosen dialer nonce.
func buildM2Nonce(secret []byte, nonceD, nonceL *[nonceLen]byte, idL []byte, id string, tag byte) []byte {
	out := make([]byte, maxM2)
	n := putHello(out, nonceD, id)
	out[n] = tag
	n++
	t := transcript{nonceD: nonceD, nonceL: nonceL, idD: []byte(id), idL: idL, tag: tag}
	var p [proofLen]byte
	t.proof(newMAC(secret), roleDialer, nil, &p)
	n += copy(out[n:], p[:])
	return out[:n]
}

// expectDropped checks that the server closes c (EOF or reset) within d and
// sends nothing except, if the test has not read it yet, its own hello (M1).
func expectDropped(t testing.TB, c net.Conn, d time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	got, err := io.ReadAll(io.LimitReader(c, 1024))
	if err != nil && isTimeout(err) {
		t.Fatalf("connection not dropped within %v", d)
	}
	if err == nil && len(got) == 1024 {
		t.Fatalf("server keeps sending data")
	}
	if len(got) == 0 {
		return
	}
	if len(got) < helloFixed {
		t.Fatalf("server sent %d unexpected bytes %q", len(got), got)
	}
	if _, idLen, perr := parseHelloFixed(got[:helloFixed]); perr != nil || len(got) != helloFixed+idLen {
		t.Fatalf("server sent %d bytes that are not just its hello: %q", len(got), got)
	}
}
