package node

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/cluster/transport"
	"github.com/tessera-s3/tessera/raftfsm"
)

// The node-to-node RPC protocol on the cluster port's RPC service:
// requests [op byte][4-byte big-endian length][payload], each answered by
// [4-byte length][JSON], one after another on a connection; the caller
// keeps connections open for its next calls (rpcPool) and the callee
// closes one after rpcIdleTimeout without a request.
const (
	rpcApply        byte = 'A' // payload: a framed raftfsm command; answer: raftfsm.ForwardResult
	rpcAppliedIndex byte = 'I' // no payload; answer: {"index": N}
	rpcWaitApplied  byte = 'W' // payload: 8-byte big-endian index; answer {"index": N} once N >= it, or after rpcWaitMax
	rpcStatus       byte = 'S' // no payload; answer: admin.NodeStatus of the callee
	rpcAddVoter     byte = 'V' // payload: {"id","addr"}; on the leader; answer: {"error"}
	rpcRemoveServer byte = 'X' // payload: {"id"}; on the leader; answer: {"error"}
	maxRPCPayload        = 4 << 20

	rpcIdleTimeout  = 60 * time.Second       // callee: close a connection idle this long
	rpcPoolIdle     = 30 * time.Second       // caller: do not reuse a connection idle longer
	rpcPoolPerPeer  = 128                    // caller: idle connections kept per peer
	rpcDialsPerPeer = 8                      // caller: dials (handshakes) in progress per peer
	rpcWaitMax      = time.Second            // callee: longest wait of an rpcWaitApplied
	rpcPollTimeout  = 500 * time.Millisecond // caller: an applied-index poll of a peer that did not answer
	rpcCallDeadline = 30 * time.Second       // a call without a context deadline
)

// clusterNet owns the node's cluster port: the authenticated mux that
// carries Raft and the node-to-node RPCs.
type clusterNet struct {
	mux *transport.Mux
	// raft is the node's Raft store once it is open (RPCs from peers can
	// arrive while the node is still starting).
	raft  atomic.Pointer[raftfsm.Store]
	node  *Node
	wg    sync.WaitGroup
	pool  rpcPool
	track appliedTracker
}

// rpcPool keeps idle RPC connections per peer address, so a call does not
// pay a dial and the cluster port's handshake: under a stream of changes
// (thousands of AssumeRoles per second) a connection per call made the
// peers refuse handshakes.
type rpcPool struct {
	mu    sync.Mutex
	idle  map[string][]pooledConn
	dials map[string]chan struct{} // per peer, rpcDialsPerPeer slots
}

// dialSlot takes one of addr's dial slots (a burst of calls on an empty
// pool would otherwise open as many handshakes at once, more than a peer
// accepts from one host); release it with the returned func.
func (p *rpcPool) dialSlot(ctx context.Context, addr string) (func(), error) {
	p.mu.Lock()
	if p.dials == nil {
		p.dials = map[string]chan struct{}{}
	}
	sem := p.dials[addr]
	if sem == nil {
		sem = make(chan struct{}, rpcDialsPerPeer)
		p.dials[addr] = sem
	}
	p.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type pooledConn struct {
	c    net.Conn
	used time.Time
}

// get returns an idle connection to addr (pooled true), or nil.
func (p *rpcPool) get(addr string) net.Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	cs := p.idle[addr]
	for len(cs) > 0 {
		pc := cs[len(cs)-1]
		cs = cs[:len(cs)-1]
		p.idle[addr] = cs
		if time.Since(pc.used) < rpcPoolIdle {
			return pc.c
		}
		pc.c.Close()
	}
	return nil
}

func (p *rpcPool) put(addr string, c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idle == nil {
		p.idle = map[string][]pooledConn{}
	}
	if len(p.idle[addr]) >= rpcPoolPerPeer {
		c.Close()
		return
	}
	p.idle[addr] = append(p.idle[addr], pooledConn{c: c, used: time.Now()})
}

func (p *rpcPool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, cs := range p.idle {
		for _, pc := range cs {
			pc.c.Close()
		}
	}
	p.idle = nil
}

// muxSecret is the secret that authenticates cluster connections: the
// configured cluster secret, or on a single node the generated cluster key.
func muxSecret(cfg *Config, clusterKey []byte) []byte {
	if cfg.ClusterSecret != "" {
		return []byte(cfg.ClusterSecret)
	}
	return []byte(hex.EncodeToString(clusterKey))
}

func openClusterNet(cfg *Config, clusterKey []byte, n *Node) (*clusterNet, error) {
	tc := transport.DefaultConfig()
	tc.NodeID = cfg.NodeID
	tc.Secret = muxSecret(cfg, clusterKey)
	tc.BindAddr = cfg.ClusterListen
	tc.AdvertiseAddr = cfg.ClusterAdvertise
	tc.DialFunc = cfg.ClusterDial
	tc.Logger = n.log.With("component", "cluster")
	mux, err := transport.Listen(tc)
	if err != nil {
		return nil, fmt.Errorf("cluster port %s: %w", cfg.ClusterListen, err)
	}
	cn := &clusterNet{mux: mux, node: n}
	cn.wg.Add(1)
	go cn.serveRPC(mux.Listener(transport.TagRPC))
	return cn, nil
}

func (cn *clusterNet) close() error {
	cn.track.close()
	err := cn.mux.Close()
	cn.pool.closeAll()
	cn.wg.Wait()
	return err
}

func (cn *clusterNet) serveRPC(ln net.Listener) {
	defer cn.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go cn.handleRPC(c)
	}
}

func (cn *clusterNet) handleRPC(c net.Conn) {
	defer c.Close()
	var hdr [5]byte
	for {
		_ = c.SetDeadline(time.Now().Add(rpcIdleTimeout))
		if _, err := io.ReadFull(c, hdr[:1]); err != nil {
			return
		}
		_ = c.SetDeadline(time.Now().Add(rpcCallDeadline))
		if _, err := io.ReadFull(c, hdr[1:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[1:])
		if n > maxRPCPayload {
			return
		}
		// A fresh buffer per request: an applied command keeps its bytes
		// (Raft's log entry is the payload), so it must not be reused.
		payload := make([]byte, n)
		if _, err := io.ReadFull(c, payload); err != nil {
			return
		}
		out, ok := cn.serveRPC1(hdr[0], payload)
		if !ok {
			return
		}
		b, _ := json.Marshal(out)
		msg := make([]byte, 4, 4+len(b))
		binary.BigEndian.PutUint32(msg, uint32(len(b)))
		if _, err := c.Write(append(msg, b...)); err != nil {
			return
		}
	}
}

// serveRPC1 answers one request; ok false drops the connection.
func (cn *clusterNet) serveRPC1(op byte, payload []byte) (out any, ok bool) {
	st := cn.raft.Load()
	if st == nil {
		return nil, false
	}
	switch op {
	case rpcApply:
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out = st.ApplyForwarded(ctx, payload)
		cancel()
	case rpcAppliedIndex:
		out = map[string]uint64{"index": st.AppliedIndex()}
	case rpcWaitApplied:
		if len(payload) != 8 {
			return nil, false
		}
		ctx, cancel := context.WithTimeout(context.Background(), rpcWaitMax)
		_ = st.WaitApplied(ctx, binary.BigEndian.Uint64(payload))
		cancel()
		out = map[string]uint64{"index": st.AppliedIndex()}
	case rpcStatus:
		out = cn.node.localStatus()
	case rpcAddVoter, rpcRemoveServer:
		var req admin.AddNodeRequest
		res := map[string]string{}
		if err := json.Unmarshal(payload, &req); err != nil {
			res["error"] = err.Error()
		} else if !st.IsLeader() {
			res["error"] = raftfsm.ErrNotLeader.Error()
		} else if op == rpcAddVoter {
			if err := st.AddVoter(req.ID, req.Addr); err != nil {
				res["error"] = err.Error()
			}
		} else if err := st.RemoveServer(req.ID); err != nil {
			res["error"] = err.Error()
		}
		out = res
	default:
		return nil, false
	}
	return out, true
}

// call sends one RPC to addr and decodes the answer into out, on an idle
// pooled connection when there is one. A pooled connection the callee
// closed meanwhile (idle timeout, restart) fails before any answer byte:
// the request was not served, so it is sent again on a new connection.
func (cn *clusterNet) call(ctx context.Context, addr string, op byte, payload []byte, out any) error {
	for {
		c := cn.pool.get(addr)
		pooled := c != nil
		if !pooled {
			release, err := cn.pool.dialSlot(ctx, addr)
			if err != nil {
				return err
			}
			// Another call may have returned a connection meanwhile.
			if c = cn.pool.get(addr); c != nil {
				pooled = true
			} else {
				c, err = cn.mux.Dial(ctx, addr, transport.TagRPC)
			}
			release()
			if err != nil {
				return err
			}
		}
		b, answered, err := rpcRoundTrip(ctx, c, op, payload)
		if err != nil {
			c.Close()
			if pooled && !answered && ctx.Err() == nil {
				continue
			}
			return err
		}
		cn.pool.put(addr, c)
		return json.Unmarshal(b, out)
	}
}

// rpcRoundTrip sends one request on c and reads its answer; answered
// reports whether any answer byte arrived.
func rpcRoundTrip(ctx context.Context, c net.Conn, op byte, payload []byte) (b []byte, answered bool, err error) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(rpcCallDeadline)
	}
	_ = c.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	msg := make([]byte, 5, 5+len(payload))
	msg[0] = op
	binary.BigEndian.PutUint32(msg[1:], uint32(len(payload)))
	if _, err := c.Write(append(msg, payload...)); err != nil {
		return nil, false, err
	}
	var lenb [4]byte
	if _, err := io.ReadFull(c, lenb[:1]); err != nil {
		return nil, false, err
	}
	if _, err := io.ReadFull(c, lenb[1:]); err != nil {
		return nil, true, err
	}
	n := binary.BigEndian.Uint32(lenb[:])
	if n > maxRPCPayload {
		return nil, true, errors.New("cluster rpc: answer too large")
	}
	b = make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		return nil, true, err
	}
	return b, true, nil
}

// Forward implements raftfsm.Forwarder over the cluster port.
func (cn *clusterNet) Forward(ctx context.Context, leaderAddr string, cmd []byte) (raftfsm.ForwardResult, error) {
	var res raftfsm.ForwardResult
	err := cn.call(ctx, leaderAddr, rpcApply, cmd, &res)
	return res, err
}

// appliedIndex asks a peer how far it has applied the log.
func (cn *clusterNet) appliedIndex(ctx context.Context, addr string) (uint64, error) {
	var out struct {
		Index uint64 `json:"index"`
	}
	err := cn.call(ctx, addr, rpcAppliedIndex, nil, &out)
	return out.Index, err
}

// waitApplied asks a peer to answer once it has applied index (or after
// rpcWaitMax) with how far it has applied.
func (cn *clusterNet) waitApplied(ctx context.Context, addr string, index uint64) (uint64, error) {
	var out struct {
		Index uint64 `json:"index"`
	}
	var p [8]byte
	binary.BigEndian.PutUint64(p[:], index)
	err := cn.call(ctx, addr, rpcWaitApplied, p[:], &out)
	return out.Index, err
}

// appliedTracker follows how far each peer has applied the log, for
// waitPropagated: one loop per peer keeps one rpcWaitApplied in flight for
// the highest index any change waits for, so concurrent changes share
// their waits (batching, like Raft's own commits) instead of each polling
// every peer.
type appliedTracker struct {
	mu     sync.Mutex
	peers  map[string]*peerApplied
	ctx    context.Context // cancelled by close
	cancel context.CancelFunc
	closed bool
	wg     sync.WaitGroup
}

// peerApplied is what the tracker knows of one peer.
type peerApplied struct {
	mu      sync.Mutex
	applied uint64 // the peer has applied at least this index
	want    uint64 // the highest index a waiter needs
	failing bool   // the last ask failed (unreachable)
	// failStart is when the failed ask started: a waiter passes over a
	// failing peer only for an ask that started at most rpcPollTimeout
	// before its fence, as a plain poll would have (a long poll to a
	// peer cut off can hang for seconds, and the peer may be back).
	failStart time.Time
	changed   chan struct{} // closed and replaced whenever the above change
	kick      chan struct{} // wakes the loop (buffered)
}

// peer returns addr's tracker entry, starting its loop with cn the first
// time; nil once closed.
func (t *appliedTracker) peer(cn *clusterNet, addr string) *peerApplied {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	if t.peers == nil {
		t.peers = map[string]*peerApplied{}
		t.ctx, t.cancel = context.WithCancel(context.Background())
	}
	p := t.peers[addr]
	if p == nil {
		p = &peerApplied{changed: make(chan struct{}), kick: make(chan struct{}, 1)}
		t.peers[addr] = p
		t.wg.Add(1)
		go t.loop(cn, addr, p)
	}
	return p
}

func (t *appliedTracker) close() {
	t.mu.Lock()
	if !t.closed {
		t.closed = true
		if t.cancel != nil {
			t.cancel()
		}
	}
	t.mu.Unlock()
	t.wg.Wait()
}

// need registers a waiter for index.
func (p *peerApplied) need(index uint64) {
	p.mu.Lock()
	if index > p.want {
		p.want = index
	}
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// state is what the waiter checks: applied >= index, failing (and when
// that failed ask started), and the channel closed at the next change.
func (p *peerApplied) state(index uint64) (applied bool, failing bool, failStart time.Time, changed <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.applied >= index, p.failing, p.failStart, p.changed
}

func (t *appliedTracker) loop(cn *clusterNet, addr string, p *peerApplied) {
	defer t.wg.Done()
	for {
		select {
		case <-p.kick:
		case <-t.ctx.Done():
			return
		}
		for {
			p.mu.Lock()
			want, have := p.want, p.applied
			p.mu.Unlock()
			if have >= want {
				break
			}
			p.mu.Lock()
			failing := p.failing
			p.mu.Unlock()
			began := time.Now()
			var idx uint64
			var err error
			if failing {
				// Poll a peer that did not answer, with a short timeout, so
				// that "still unreachable" is recent when a waiter uses it.
				ctx, cancel := context.WithTimeout(t.ctx, rpcPollTimeout)
				idx, err = cn.appliedIndex(ctx, addr)
				cancel()
			} else {
				ctx, cancel := context.WithTimeout(t.ctx, rpcWaitMax+time.Second)
				idx, err = cn.waitApplied(ctx, addr, want)
				cancel()
			}
			p.mu.Lock()
			if err == nil && idx > p.applied {
				p.applied = idx
			}
			p.failing = err != nil
			if err != nil {
				p.failStart = began
			}
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
			if err != nil {
				select {
				case <-t.ctx.Done():
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
	}
}

// waitPropagated is raftfsm's Propagate hook: it returns once every node of
// the cluster has applied index, or, for nodes that do not answer, once the
// lease has passed since the command was committed: a node that cannot
// be reached has by then either applied the command (it heard from the
// leader) or lost contact with the leader for longer than its lease and
// refuses authenticated requests. So when a change returns, every serving
// node has it: new credentials work everywhere, revoked ones nowhere.
func (n *Node) waitPropagated(ctx context.Context, index uint64) error {
	servers, err := n.raft.Servers()
	if err != nil {
		return err
	}
	start := time.Now()
	fence := start.Add(time.Duration(n.cfg.Lease) + 250*time.Millisecond)
	// A node that keeps answering without applying is waited for at most
	// this long; the caller then gets an error (the change is applied).
	ctx, cancel := context.WithTimeout(ctx, time.Duration(n.cfg.Lease)+10*time.Second)
	defer cancel()
	self := n.cluster.mux.Addr().String()
	var pending []*peerApplied
	for _, s := range servers {
		if string(s.Address) == self {
			continue
		}
		p := n.cluster.track.peer(n.cluster, string(s.Address))
		if p == nil {
			return fmt.Errorf("change applied but not yet on every node: %w", transport.ErrClosed)
		}
		p.need(index)
		pending = append(pending, p)
	}
	var fenceTimer <-chan time.Time
	for _, p := range pending {
		for {
			applied, failing, failStart, changed := p.state(index)
			if applied {
				break
			}
			if failing {
				// Unreachable, and for longer than the lease: that node
				// has stopped serving authenticated requests (or applied
				// the change, if it heard from the leader meanwhile).
				if !time.Now().Before(fence) && !failStart.Before(fence.Add(-rpcPollTimeout)) {
					break
				}
				if fenceTimer == nil {
					fenceTimer = time.After(time.Until(fence))
				}
			}
			// A node that answers but has not applied yet is waited for:
			// it is in contact and may be serving.
			select {
			case <-changed:
			case <-fenceTimer:
				fenceTimer = nil
			case <-ctx.Done():
				return fmt.Errorf("change applied but not yet on every node: %w", ctx.Err())
			}
		}
	}
	return nil
}

// leaseValid reports whether this node may serve authenticated requests:
// it is the leader, or it heard from the leader within the lease.
func (n *Node) leaseValid() bool {
	if n.raft == nil {
		return false
	}
	if n.raft.IsLeader() {
		return true
	}
	lc := n.raft.LastContact()
	return !lc.IsZero() && time.Since(lc) <= time.Duration(n.cfg.Lease)
}

// localStatus describes this node for cluster status.
func (n *Node) localStatus() admin.NodeStatus {
	st := n.raft.Stats()
	num := func(k string) uint64 { v, _ := strconv.ParseUint(st[k], 10, 64); return v }
	ns := admin.NodeStatus{
		ID: n.cfg.NodeID, Addr: n.ClusterAddr(), Reachable: true, Role: st["state"],
		Term: num("term"), AppliedIndex: num("applied_index"), CommitIndex: num("commit_index"),
		LastContact: st["last_contact"],
	}
	for _, d := range n.store.DriveStatus() {
		ns.Drives = append(ns.Drives, admin.DriveStatus{Path: d.Path, Online: d.Online, Error: d.Error, FreeBytes: d.FreeBytes, TotalBytes: d.TotalBytes})
	}
	return ns
}

// Status implements admin.Cluster: every voter's view, asked over the
// cluster port (unreachable nodes are listed as such).
func (n *Node) Status(ctx context.Context) (admin.ClusterStatus, error) {
	servers, err := n.raft.Servers()
	if err != nil {
		return admin.ClusterStatus{}, err
	}
	_, leader := n.raft.Leader()
	out := admin.ClusterStatus{Leader: leader}
	for _, s := range servers {
		var ns admin.NodeStatus
		if string(s.ID) == n.cfg.NodeID {
			ns = n.localStatus()
		} else if err := n.cluster.call(ctx, string(s.Address), rpcStatus, nil, &ns); err != nil {
			ns = admin.NodeStatus{ID: string(s.ID), Addr: string(s.Address), Error: err.Error()}
		}
		ns.Suffrage = s.Suffrage.String()
		out.Nodes = append(out.Nodes, ns)
	}
	return out, nil
}

// membership runs a membership change on the leader (forwarded when this
// node is a follower).
func (n *Node) membership(ctx context.Context, op byte, id, addr string) error {
	if n.raft.IsLeader() {
		if op == rpcAddVoter {
			return n.raft.AddVoter(id, addr)
		}
		return n.raft.RemoveServer(id)
	}
	leader, _ := n.raft.Leader()
	if leader == "" {
		return raftfsm.ErrNotLeader
	}
	b, _ := json.Marshal(admin.AddNodeRequest{ID: id, Addr: addr})
	var res map[string]string
	if err := n.cluster.call(ctx, leader, op, b, &res); err != nil {
		return err
	}
	if e := res["error"]; e != "" {
		return errors.New(e)
	}
	return nil
}

// AddNode implements admin.Cluster.
func (n *Node) AddNode(ctx context.Context, id, addr string) error {
	return n.membership(ctx, rpcAddVoter, id, addr)
}

// RemoveNode implements admin.Cluster.
func (n *Node) RemoveNode(ctx context.Context, id string) error {
	return n.membership(ctx, rpcRemoveServer, id, "")
}
