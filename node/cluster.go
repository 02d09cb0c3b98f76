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
	"time"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/cluster/transport"
	"github.com/tessera-s3/tessera/raftfsm"
)

// The node-to-node RPC protocol on the cluster port's RPC service: one
// request per connection, [op byte][4-byte big-endian length][payload],
// answered by [4-byte length][JSON].
const (
	rpcApply        byte = 'A' // payload: a framed raftfsm command; answer: raftfsm.ForwardResult
	rpcAppliedIndex byte = 'I' // no payload; answer: {"index": N}
	rpcStatus       byte = 'S' // no payload; answer: admin.NodeStatus of the callee
	rpcAddVoter     byte = 'V' // payload: {"id","addr"}; on the leader; answer: {"error"}
	rpcRemoveServer byte = 'X' // payload: {"id"}; on the leader; answer: {"error"}
	maxRPCPayload        = 4 << 20
)

// clusterNet owns the node's cluster port: the authenticated mux that
// carries Raft and the node-to-node RPCs.
type clusterNet struct {
	mux   *transport.Mux
	store func() *raftfsm.Store // set once Raft is open
	node  *Node
	wg    sync.WaitGroup
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
	cn := &clusterNet{mux: mux, store: func() *raftfsm.Store { return n.raft }, node: n}
	cn.wg.Add(1)
	go cn.serveRPC(mux.Listener(transport.TagRPC))
	return cn, nil
}

func (cn *clusterNet) close() error {
	err := cn.mux.Close()
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
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	var hdr [5]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxRPCPayload {
		return
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(c, payload); err != nil {
		return
	}
	st := cn.store()
	if st == nil {
		return
	}
	var out any
	switch hdr[0] {
	case rpcApply:
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out = st.ApplyForwarded(ctx, payload)
		cancel()
	case rpcAppliedIndex:
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
		} else if hdr[0] == rpcAddVoter {
			if err := st.AddVoter(req.ID, req.Addr); err != nil {
				res["error"] = err.Error()
			}
		} else if err := st.RemoveServer(req.ID); err != nil {
			res["error"] = err.Error()
		}
		out = res
	default:
		return
	}
	b, _ := json.Marshal(out)
	var lenb [4]byte
	binary.BigEndian.PutUint32(lenb[:], uint32(len(b)))
	_, _ = c.Write(append(lenb[:], b...))
}

// call sends one RPC to addr and decodes the answer into out.
func (cn *clusterNet) call(ctx context.Context, addr string, op byte, payload []byte, out any) error {
	c, err := cn.mux.Dial(ctx, addr, transport.TagRPC)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	msg := make([]byte, 5, 5+len(payload))
	msg[0] = op
	binary.BigEndian.PutUint32(msg[1:], uint32(len(payload)))
	if _, err := c.Write(append(msg, payload...)); err != nil {
		return err
	}
	var lenb [4]byte
	if _, err := io.ReadFull(c, lenb[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(lenb[:])
	if n > maxRPCPayload {
		return errors.New("cluster rpc: answer too large")
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		return err
	}
	return json.Unmarshal(b, out)
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
	pending := map[string]bool{}
	for _, s := range servers {
		if string(s.Address) != self {
			pending[string(s.Address)] = true
		}
	}
	for len(pending) > 0 {
		for addr := range pending {
			cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			idx, err := n.cluster.appliedIndex(cctx, addr)
			cancel()
			switch {
			case err == nil && idx >= index:
				delete(pending, addr)
			case err != nil && time.Now().After(fence):
				// Unreachable for longer than the lease: that node has
				// stopped serving authenticated requests (or applied the
				// change, if it heard from the leader meanwhile).
				delete(pending, addr)
			}
			// A node that answers but has not applied yet is waited for:
			// it is in contact and may be serving.
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("change applied but not yet on every node: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
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
