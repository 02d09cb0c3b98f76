package erasure

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/cluster/faultproxy"
	"github.com/tessera-s3/tessera/cluster/transport"
)

var testClusterSecret = []byte("erasure-test-cluster-secret-0123456789")

// testNode is one in-process "node": a cluster-port mux, a Store over the
// global drive list (its own drives local, the others remote) and a
// DriveServer for its drives on the mux's TagShard listener.
type testNode struct {
	t     testing.TB
	id    string
	addr  string // the mux's address (kept across restarts)
	paths []string
	store *Store
	cfg   Config

	mu     sync.Mutex
	mux    *transport.Mux
	srv    *DriveServer
	served chan struct{}     // closed when the server's Serve returned
	via    map[string]string // target address -> fault proxy address for this node's dials
}

type testCluster struct {
	t     testing.TB
	nodes []*testNode
}

// newTestCluster starts nodes x drives drives; every node opens the same
// global drive list (node-major order). mod adjusts each node's Config.
func newTestCluster(t testing.TB, nodes, drives int, mod func(*Config)) *testCluster {
	t.Helper()
	return newTestClusterAt(t, t.TempDir(), nodes, drives, mod)
}

// newTestClusterAt is newTestCluster with the drive folders under root.
func newTestClusterAt(t testing.TB, root string, nodes, drives int, mod func(*Config)) *testCluster {
	t.Helper()
	c := &testCluster{t: t}
	for i := 0; i < nodes; i++ {
		n := &testNode{t: t, id: fmt.Sprintf("node%d", i), via: map[string]string{}}
		for d := 0; d < drives; d++ {
			n.paths = append(n.paths, filepath.Join(root, n.id, fmt.Sprintf("d%d", d)))
		}
		n.startMux("127.0.0.1:0")
		n.addr = n.mux.Addr().String()
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes {
		cfg := DefaultConfig()
		for _, o := range c.nodes {
			for d := range o.paths {
				if o == n {
					cfg.Endpoints = append(cfg.Endpoints, DriveEndpoint{Path: o.paths[d]})
				} else {
					cfg.Endpoints = append(cfg.Endpoints, DriveEndpoint{Node: o.id, Addr: o.addr, Index: d})
				}
			}
		}
		cfg.DeploymentID = "test-deployment"
		n := n
		cfg.Dial = func(ctx context.Context, addr string) (net.Conn, error) {
			m := n.currentMux()
			if m == nil {
				return nil, fmt.Errorf("%s is stopped", n.id)
			}
			return m.Dial(ctx, addr, transport.TagShard)
		}
		cfg.Sync = false
		cfg.HealthInterval = -1
		cfg.MetaCacheSize = 4 << 20
		cfg.MetaMemTableSize = 1 << 20
		cfg.RemoteTimeout = 2 * time.Second
		cfg.RemoteRetry = 50 * time.Millisecond
		cfg.Logger = testLogger(t).With("node", n.id)
		if mod != nil {
			mod(&cfg)
		}
		n.cfg = cfg
		s, err := Open(cfg)
		if err != nil {
			t.Fatalf("Open %s: %v", n.id, err)
		}
		n.store = s
		n.startServer()
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			n.stopServer()
		}
		for _, n := range c.nodes {
			n.store.Close()
		}
	})
	c.waitOnline()
	return c
}

func (n *testNode) startMux(bind string) {
	n.t.Helper()
	cfg := transport.DefaultConfig()
	cfg.NodeID = n.id
	cfg.Secret = testClusterSecret
	cfg.BindAddr = bind
	cfg.HandshakeTimeout = 2 * time.Second
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.DialFunc = func(ctx context.Context, addr string) (net.Conn, error) {
		n.mu.Lock()
		if p, ok := n.via[addr]; ok {
			addr = p
		}
		n.mu.Unlock()
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	var m *transport.Mux
	var err error
	for try := 0; try < 50; try++ { // the port may linger briefly after a close
		if m, err = transport.Listen(cfg); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		n.t.Fatalf("transport.Listen %s: %v", n.id, err)
	}
	n.mu.Lock()
	n.mux = m
	n.mu.Unlock()
}

func (n *testNode) currentMux() *transport.Mux {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.mux
}

func (n *testNode) startServer() {
	n.t.Helper()
	scfg := DefaultDriveServerConfig()
	scfg.NodeID = n.id
	srv, err := NewDriveServer(n.store, scfg)
	if err != nil {
		n.t.Fatal(err)
	}
	done := make(chan struct{})
	ln := n.currentMux().Listener(transport.TagShard)
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	n.mu.Lock()
	n.srv, n.served = srv, done
	n.mu.Unlock()
}

// stopServer takes the node off the network: its mux closes (so its
// drive server's listener closes, and Serve closes every connection).
func (n *testNode) stopServer() {
	n.mu.Lock()
	m, done := n.mux, n.served
	n.mu.Unlock()
	if m == nil {
		return
	}
	m.Close()
	<-done
	n.mu.Lock()
	n.srv.Close()
	n.mux = nil
	n.mu.Unlock()
}

// restart brings the node back on its old address.
func (n *testNode) restart() {
	n.startMux(n.addr)
	n.startServer()
}

// route sends this node's connections to target through a new fault
// proxy, which it returns.
func (n *testNode) route(t testing.TB, target *testNode) *faultproxy.Proxy {
	p, err := faultproxy.New("127.0.0.1:0", target.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	n.mu.Lock()
	n.via[target.addr] = p.Addr().String()
	n.mu.Unlock()
	return p
}

// online counts the drives n's Store sees online.
func (n *testNode) online() int {
	k := 0
	for _, st := range n.store.DriveStatus() {
		if st.Online {
			k++
		}
	}
	return k
}

// waitOnline makes every node check its drives until all are online.
func (c *testCluster) waitOnline() {
	c.t.Helper()
	c.waitFor("all drives online", func() bool {
		all := true
		for _, n := range c.nodes {
			n.store.CheckDrives()
			all = all && n.online() == len(n.store.drives)
		}
		return all
	})
}

func (c *testCluster) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			for _, n := range c.nodes {
				c.t.Logf("%s: %+v", n.id, n.store.DriveStatus())
			}
			c.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
