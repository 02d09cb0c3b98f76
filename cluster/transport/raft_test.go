package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/tessera-s3/tessera/cluster/faultproxy"
)

// countFSM counts applied entries.
type countFSM struct{ n atomic.Uint64 }

func (f *countFSM) Apply(*raft.Log) any { return f.n.Add(1) }

func (f *countFSM) Snapshot() (raft.FSMSnapshot, error) { return countSnap(f.n.Load()), nil }

func (f *countFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var b [8]byte
	if _, err := io.ReadFull(rc, b[:]); err != nil {
		return err
	}
	f.n.Store(binary.BigEndian.Uint64(b[:]))
	return nil
}

type countSnap uint64

func (s countSnap) Persist(sink raft.SnapshotSink) error {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(s))
	if _, err := sink.Write(b[:]); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (countSnap) Release() {}

type raftNode struct {
	id    string
	mux   testMux
	raft  *raft.Raft
	fsm   *countFSM
	trans *raft.NetworkTransport
}

// newRaftMuxes starts n muxes; ids are n1..nN.
func newRaftMuxes(t *testing.T, n int, secret []byte, mod ...func(i int, c *Config)) []testMux {
	muxes := make([]testMux, n)
	for i := range muxes {
		muxes[i] = newMux(t, "n"+strconv.Itoa(i+1), secret, func(c *Config) {
			for _, f := range mod {
				f(i, c)
			}
		})
	}
	return muxes
}

// startRaft starts a Raft node over m's stream layer, bootstrapped with
// servers, with timings fast enough for tests.
func startRaft(t *testing.T, m testMux, servers []raft.Server, mod ...func(*raft.Config)) *raftNode {
	t.Helper()
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  m.RaftStreamLayer(),
		MaxPool: 3,
		Timeout: time.Second,
		Logger:  hclog.NewNullLogger(),
	})
	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(m.NodeID())
	conf.HeartbeatTimeout = 200 * time.Millisecond
	conf.ElectionTimeout = 200 * time.Millisecond
	conf.LeaderLeaseTimeout = 100 * time.Millisecond
	conf.CommitTimeout = 10 * time.Millisecond
	conf.Logger = hclog.NewNullLogger()
	for _, f := range mod {
		f(conf)
	}
	store := raft.NewInmemStore()
	snaps := raft.NewInmemSnapshotStore()
	if err := raft.BootstrapCluster(conf, store, store, snaps, trans, raft.Configuration{Servers: servers}); err != nil {
		t.Fatal(err)
	}
	fsm := &countFSM{}
	r, err := raft.NewRaft(conf, fsm, store, store, snaps, trans)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Shutdown().Error()
		trans.Close()
	})
	return &raftNode{id: m.NodeID(), mux: m, raft: r, fsm: fsm, trans: trans}
}

func voters(muxes []testMux) []raft.Server {
	var s []raft.Server
	for _, m := range muxes {
		s = append(s, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(m.NodeID()), Address: raft.ServerAddress(m.Addr().String())})
	}
	return s
}

// waitLeader waits until exactly one of nodes is leader and every node
// agrees on it, and returns it.
func waitLeader(t *testing.T, nodes []*raftNode, d time.Duration) *raftNode {
	t.Helper()
	var leader *raftNode
	waitFor(t, d, "a leader all nodes agree on", func() bool {
		leader = nil
		for _, n := range nodes {
			if n.raft.State() == raft.Leader {
				if leader != nil {
					return false
				}
				leader = n
			}
		}
		if leader == nil {
			return false
		}
		for _, n := range nodes {
			if _, id := n.raft.LeaderWithID(); string(id) != leader.id {
				return false
			}
		}
		return true
	})
	return leader
}

func applyN(t *testing.T, leader *raftNode, n int) {
	t.Helper()
	futures := make([]raft.ApplyFuture, n)
	for i := range futures {
		futures[i] = leader.raft.Apply(fmt.Appendf(nil, "entry-%d", i), 5*time.Second)
	}
	for i, f := range futures {
		if err := f.Error(); err != nil {
			t.Fatalf("apply %d on %s: %v", i, leader.id, err)
		}
	}
}

func waitApplied(t *testing.T, nodes []*raftNode, want uint64) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("all nodes to apply %d entries", want), func() bool {
		for _, n := range nodes {
			if n.fsm.n.Load() != want {
				return false
			}
		}
		return true
	})
}

func term(n *raftNode) string { return n.raft.Stats()["term"] }

func TestRaftClusterOverMux(t *testing.T) {
	muxes := newRaftMuxes(t, 3, testSecret)
	servers := voters(muxes)
	var nodes []*raftNode
	for _, m := range muxes {
		nodes = append(nodes, startRaft(t, m, servers))
	}
	leader := waitLeader(t, nodes, 10*time.Second)
	applyN(t, leader, 100)
	waitApplied(t, nodes, 100)
	for _, n := range nodes {
		if s := n.mux.Stats(); s.Rejected() != 0 {
			t.Errorf("%s rejected connections between members: %+v", n.id, s)
		}
	}
	// Raft's connections carry the authenticated peer ids.
	if s := leader.mux.Stats(); s.Dialed == 0 {
		t.Fatalf("leader dialed nothing: %+v", s)
	}
}

// A node with a wrong secret that believes it belongs to the cluster
// campaigns against the members; it is never heard, cannot disturb the
// leader or the term, and gets no data even when the leader tries to add it.
func TestRaftWrongSecretNodeCannotJoin(t *testing.T) {
	muxes := newRaftMuxes(t, 3, testSecret)
	intruderMux := newMux(t, "n4", otherSecret)
	servers := voters(muxes)
	var nodes []*raftNode
	for _, m := range muxes {
		nodes = append(nodes, startRaft(t, m, servers))
	}
	leader := waitLeader(t, nodes, 10*time.Second)
	applyN(t, leader, 10)
	waitApplied(t, nodes, 10)
	termBefore := term(leader)

	// The intruder bootstraps a configuration naming all four nodes, so it
	// times out and asks the members for votes, repeatedly, with ever higher
	// terms (pre-vote off, to make it as disruptive as it can be).
	intruder := startRaft(t, intruderMux, voters(append(muxes[:3:3], intruderMux)),
		func(c *raft.Config) { c.PreVoteDisabled = true })
	waitFor(t, 10*time.Second, "the intruder to campaign a few times", func() bool {
		tm, _ := strconv.Atoi(term(intruder))
		return tm >= 4
	})
	waitFor(t, 10*time.Second, "every member to reject the intruder three times", func() bool {
		for _, n := range nodes {
			if n.mux.Stats().RejectedAuth < 3 {
				return false
			}
		}
		return true
	})

	applyN(t, leader, 10)
	waitApplied(t, nodes, 20)
	if got := waitLeader(t, nodes, 5*time.Second); got != leader {
		t.Fatalf("leader changed from %s to %s", leader.id, got.id)
	}
	if tm := term(leader); tm != termBefore {
		t.Fatalf("cluster term moved from %s to %s while the intruder campaigned", termBefore, tm)
	}
	if intruder.raft.State() == raft.Leader || intruder.fsm.n.Load() != 0 {
		t.Fatalf("intruder state %v, applied %d", intruder.raft.State(), intruder.fsm.n.Load())
	}
	if a, _ := intruder.raft.LeaderWithID(); a != "" {
		t.Fatalf("intruder found a leader: %s", a)
	}

	// Even if an operator adds the intruder as a voter, the leader's
	// connections to it fail authentication and it receives nothing.
	rejectedBefore := intruderMux.Stats().RejectedAuth
	if err := leader.raft.AddVoter("n4", raft.ServerAddress(intruderMux.Addr().String()), 0, 5*time.Second).Error(); err != nil {
		t.Fatalf("AddVoter: %v", err)
	}
	waitFor(t, 10*time.Second, "the intruder to reject the leader", func() bool {
		return intruderMux.Stats().RejectedAuth > rejectedBefore
	})
	applyN(t, leader, 10) // 3 of 4 voters is still a quorum
	waitApplied(t, nodes, 30)
	if n := intruder.fsm.n.Load(); n != 0 {
		t.Fatalf("intruder applied %d entries", n)
	}
	if s := intruderMux.Stats(); s.Accepted != 0 || s.Dialed != 0 {
		t.Fatalf("intruder got an authenticated connection: %+v", s)
	}
}

// Every node-to-node link goes through a fault proxy; isolating the leader
// elects a new one among the others, and healing brings the old leader
// back in line.
func TestRaftPartitionThroughProxies(t *testing.T) {
	const n = 3
	// links[i][addr of j] is the proxy for i -> j.
	links := make([]map[string]*faultproxy.Proxy, n)
	for i := range links {
		links[i] = make(map[string]*faultproxy.Proxy)
	}
	muxes := newRaftMuxes(t, n, testSecret, func(i int, c *Config) {
		c.DialFunc = func(ctx context.Context, addr string) (net.Conn, error) {
			p, ok := links[i][addr] // filled in before any Raft node starts
			if !ok {
				return nil, fmt.Errorf("no proxy from n%d to %s", i+1, addr)
			}
			var d net.Dialer
			return d.DialContext(ctx, "tcp", p.Addr().String())
		}
	})
	for i := range n {
		for j := range n {
			if i == j {
				continue
			}
			addr := muxes[j].Addr().String()
			p, err := faultproxy.New("127.0.0.1:0", addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			links[i][addr] = p
		}
	}
	servers := voters(muxes)
	var nodes []*raftNode
	for _, m := range muxes {
		nodes = append(nodes, startRaft(t, m, servers))
	}
	old := waitLeader(t, nodes, 10*time.Second)
	applyN(t, old, 20)
	waitApplied(t, nodes, 20)

	// Isolate the leader: cut every link from and to it.
	var oi int
	for i, nd := range nodes {
		if nd == old {
			oi = i
		}
	}
	isolate := func(f func(*faultproxy.Proxy)) {
		for i := range n {
			for addr, p := range links[i] {
				if i == oi || addr == muxes[oi].Addr().String() {
					f(p)
				}
			}
		}
	}
	isolate((*faultproxy.Proxy).Partition)
	rest := make([]*raftNode, 0, n-1)
	for _, nd := range nodes {
		if nd != old {
			rest = append(rest, nd)
		}
	}
	nu := waitLeader(t, rest, 10*time.Second)
	applyN(t, nu, 20)
	waitApplied(t, rest, 40)
	if got := old.fsm.n.Load(); got != 20 {
		t.Fatalf("isolated old leader applied %d entries, want 20", got)
	}
	if err := old.raft.Apply([]byte("lost"), 300*time.Millisecond).Error(); err == nil {
		t.Fatal("isolated old leader committed an entry")
	} else if !errors.Is(err, raft.ErrNotLeader) && !errors.Is(err, raft.ErrLeadershipLost) && !errors.Is(err, raft.ErrEnqueueTimeout) {
		t.Logf("isolated apply: %v", err)
	}

	isolate((*faultproxy.Proxy).Heal)
	leader := waitLeader(t, nodes, 10*time.Second)
	applyN(t, leader, 10)
	waitApplied(t, nodes, 50)
}
