package nodetest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/node"
	"github.com/tessera-s3/tessera/raftfsm"
)

// Cluster is a set of in-process nodes forming one Raft cluster on
// 127.0.0.1 ports.
type Cluster struct {
	Nodes []*Node
	opts  []Option
	peers []raftfsm.Peer
}

// freeAddr reserves a free 127.0.0.1 port by binding and releasing it.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// StartCluster starts n nodes that bootstrap one cluster together, and
// stops them when the test ends.
func StartCluster(t testing.TB, n int, opts ...Option) *Cluster {
	t.Helper()
	var peers []raftfsm.Peer
	for i := 1; i <= n; i++ {
		peers = append(peers, raftfsm.Peer{ID: fmt.Sprintf("node%d", i), Addr: freeAddr(t)})
	}
	c := &Cluster{opts: opts, peers: peers}
	for i := range n {
		cfg := c.nodeConfig(t, peers[i])
		c.Nodes = append(c.Nodes, &Node{cfg: cfg, Region: cfg.Region, AccessKey: cfg.Root.User, SecretKey: cfg.Root.Password, DataDir: cfg.DataDir})
	}
	// Every voter must be running for the first election: start together.
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, nd := range c.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = nd.startErr()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("nodetest: start %s: %v", c.Nodes[i].cfg.NodeID, err)
		}
	}
	t.Cleanup(func() {
		for _, nd := range c.Nodes {
			nd.Stop(t)
		}
	})
	return c
}

// nodeConfig is the configuration of one cluster node.
func (c *Cluster) nodeConfig(t testing.TB, self raftfsm.Peer) node.Config {
	dir := t.TempDir()
	cfg := node.DefaultConfig()
	cfg.DataDir = dir
	cfg.Listen = "127.0.0.1:0"
	cfg.NodeID = self.ID
	cfg.ClusterListen = self.Addr
	cfg.Peers = c.peers
	cfg.ClusterSecret = "nodetest-cluster-secret-0123456789abcdef"
	cfg.Lease = node.Duration(time.Second)
	cfg.Root = node.RootConfig{User: "tessera-test-root", Password: "Test-Root-Secret-1"}
	cfg.Stdout = io.Discard
	cfg.ShutdownTimeout = node.Duration(10 * time.Second)
	cfg.DrainDelay = 0
	if os.Getenv("TESSERA_TEST_LOG") == "" {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, o := range c.opts {
		o(&cfg)
	}
	return cfg
}

// Joiner is a node started with join = true, waiting to be added.
type Joiner struct {
	Node *Node
	// ID and ClusterAddr are what `cluster node add` needs.
	ID, ClusterAddr string
	done            chan error
}

// StartJoiner starts a new node that waits to be added to the cluster; call
// Wait after adding it.
func (c *Cluster) StartJoiner(t testing.TB, id string) *Joiner {
	t.Helper()
	self := raftfsm.Peer{ID: id, Addr: freeAddr(t)}
	cfg := c.nodeConfig(t, self)
	cfg.Join = true
	cfg.Peers = nil
	nd := &Node{cfg: cfg, Region: cfg.Region, AccessKey: cfg.Root.User, SecretKey: cfg.Root.Password, DataDir: cfg.DataDir}
	j := &Joiner{Node: nd, ID: id, ClusterAddr: self.Addr, done: make(chan error, 1)}
	go func() { j.done <- nd.startErr() }()
	t.Cleanup(func() { nd.Stop(t) })
	return j
}

// Wait waits until the joiner serves (it was added and caught up).
func (j *Joiner) Wait(t testing.TB) *Node {
	t.Helper()
	select {
	case err := <-j.done:
		if err != nil {
			t.Fatalf("nodetest: joiner %s: %v", j.ID, err)
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("nodetest: joiner %s did not start", j.ID)
	}
	return j.Node
}

// startErr is start returning the error instead of failing the test
// (usable from other goroutines).
func (n *Node) startErr() error {
	nd, err := node.New(n.cfg)
	if err != nil {
		return err
	}
	addr := n.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err = net.Listen("tcp", addr)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		_ = nd.Shutdown(context.Background())
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := nd.Start(ctx, ln); err != nil {
		_ = nd.Shutdown(context.Background())
		return err
	}
	n.Node = nd
	// A restarted node keeps its address: leave the fields alone then, as
	// tests may read them from other goroutines meanwhile.
	if a := nd.Addr(); n.addr != a {
		n.addr = a
		n.Endpoint = "http://" + a
	}
	return nil
}

// Leader returns the node that is the Raft leader now (nil if none).
func (c *Cluster) Leader() *Node {
	for _, n := range c.Nodes {
		if n.Node != nil && n.Node.IsLeader() {
			return n
		}
	}
	return nil
}

// Followers returns the running nodes that are not the leader.
func (c *Cluster) Followers() []*Node {
	var out []*Node
	for _, n := range c.Nodes {
		if n.Node != nil && !n.Node.IsLeader() {
			out = append(out, n)
		}
	}
	return out
}
