package admin

import (
	"context"
	"time"

	"github.com/valyala/fasthttp"
)

// Cluster is the membership and status view the admin API needs. The node
// implements it.
type Cluster interface {
	Status(ctx context.Context) (ClusterStatus, error)
	AddNode(ctx context.Context, id, addr string) error
	RemoveNode(ctx context.Context, id string) error
}

// ClusterStatus is the answer of GET cluster/status.
type ClusterStatus struct {
	// Leader is the leader's node id ("" when there is none).
	Leader string       `json:"leader"`
	Nodes  []NodeStatus `json:"nodes"`
}

// NodeStatus is one node as cluster/status shows it.
type NodeStatus struct {
	ID       string `json:"id"`
	Addr     string `json:"cluster_addr"`
	Suffrage string `json:"suffrage"`
	// Reachable is false when the node did not answer the status call.
	Reachable    bool          `json:"reachable"`
	Error        string        `json:"error,omitempty"`
	Role         string        `json:"role,omitempty"` // Leader, Follower, Candidate
	Term         uint64        `json:"term,omitempty"`
	AppliedIndex uint64        `json:"applied_index,omitempty"`
	CommitIndex  uint64        `json:"commit_index,omitempty"`
	LastContact  string        `json:"last_contact,omitempty"`
	Drives       []DriveStatus `json:"drives,omitempty"`
}

// DriveStatus is one drive of a node.
type DriveStatus struct {
	Path       string `json:"path"`
	Online     bool   `json:"online"`
	Error      string `json:"error,omitempty"`
	FreeBytes  uint64 `json:"free_bytes"`
	TotalBytes uint64 `json:"total_bytes"`
}

// AddNodeRequest is the body of POST cluster/nodes.
type AddNodeRequest struct {
	ID   string `json:"id"`
	Addr string `json:"addr"`
}

func (h *Handler) clusterStatus(c *call) (any, error) {
	if h.deps.Cluster == nil {
		return nil, errorf(404, "NoSuchRoute", "cluster status is not available")
	}
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	return h.deps.Cluster.Status(ctx)
}

func (h *Handler) addNode(c *call) (any, error) {
	var req AddNodeRequest
	if err := h.readJSON(c, &req); err != nil {
		return nil, err
	}
	if req.ID == "" || len(req.ID) > 128 {
		return nil, badInput("id must be 1-128 characters")
	}
	if req.Addr == "" {
		return nil, badInput("addr (the node's cluster address, host:port) is required")
	}
	if err := h.deps.Cluster.AddNode(c.ctx, req.ID, req.Addr); err != nil {
		return nil, errorf(409, "MembershipChangeFailed", "adding node %s: %v", req.ID, err)
	}
	return h.clusterStatus(c)
}

func (h *Handler) removeNode(c *call) (any, error) {
	if err := h.deps.Cluster.RemoveNode(c.ctx, c.params[0]); err != nil {
		return nil, errorf(409, "MembershipChangeFailed", "removing node %s: %v", c.params[0], err)
	}
	return nil, nil
}

// HealProgress is one line of POST cluster/heal's streamed answer.
type HealProgress struct {
	// Healed objects checked (and rebuilt where needed) so far, of Total.
	Healed int `json:"healed"`
	Total  int `json:"total"`
	// Finished is set on the last line, with the pass's duration and the
	// failures, if any.
	Finished bool    `json:"finished,omitempty"`
	Seconds  float64 `json:"seconds,omitempty"`
	Error    string  `json:"error,omitempty"`
}

// Healer runs healing passes; the node implements it. ServeHeal writes the
// streamed answer itself.
type Healer interface {
	ServeHeal(rc *fasthttp.RequestCtx, bucket string)
}

func (h *Handler) heal(c *call) (any, error) {
	hl, ok := h.deps.Cluster.(Healer)
	if !ok {
		return nil, errorf(404, "NoSuchRoute", "healing is not available")
	}
	hl.ServeHeal(c.rc, string(c.rc.QueryArgs().Peek("bucket")))
	return streamed{}, nil
}

// streamed marks a handler that wrote its own (streamed) response.
type streamed struct{}
