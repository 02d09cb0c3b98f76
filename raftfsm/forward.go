package raftfsm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// Peer is one voter of the initial cluster.
type Peer struct {
	// ID is the node's Raft server id.
	ID string `toml:"id" json:"id"`
	// Addr is the node's cluster-port address (host:port).
	Addr string `toml:"addr" json:"addr"`
}

// Forwarder carries a command from a follower to the leader. The leader
// side calls Store.ApplyForwarded and sends back its ForwardResult.
// Implementations must be safe for concurrent use.
type Forwarder interface {
	Forward(ctx context.Context, leaderAddr string, cmd []byte) (ForwardResult, error)
}

// ForwardResult is the leader's answer to a forwarded command.
type ForwardResult struct {
	// Index is the Raft index the command was applied at.
	Index uint64 `json:"index"`
	// Error is the domain error's code ("" when the command succeeded).
	Error string `json:"error,omitempty"`
	// Result is the JSON of a non-error response (e.g. a count).
	Result json.RawMessage `json:"result,omitempty"`
}

// domainErrors are the errors a command's apply may return; they travel by
// name between nodes.
var domainErrors = []error{
	ErrBucketExists, ErrBucketNotFound, ErrTooManyBuckets,
	ErrUserExists, ErrUserNotFound, ErrPolicyExists, ErrPolicyNotFound, ErrPolicyAttached,
	ErrPolicyPredefined, ErrTooManyPolicies, ErrTooManyUsers, ErrNoPolicyAttached,
	ErrLastClusterAdmin, ErrAccessKeyConflict,
	ErrSessionNotFound, ErrServiceAccountNotFound, ErrTooManyServiceAccounts, ErrTooManySessions, ErrNotParent,
	ErrNotLeader, ErrClosed,
}

func errorCode(err error) string {
	for _, d := range domainErrors {
		if errors.Is(err, d) {
			return d.Error()
		}
	}
	return err.Error()
}

func codeError(code string) error {
	for _, d := range domainErrors {
		if d.Error() == code {
			return d
		}
	}
	return errors.New(code)
}

// ApplyForwarded applies a command a follower forwarded. It runs on the
// leader; a node that is not the leader answers ErrNotLeader so the
// follower can retry with the new leader.
func (s *Store) ApplyForwarded(ctx context.Context, cmd []byte) ForwardResult {
	if _, _, err := decodeCommand(cmd); err != nil {
		return ForwardResult{Error: err.Error()}
	}
	if s.raft.State() != raft.Leader {
		return ForwardResult{Error: ErrNotLeader.Error()}
	}
	timeout := s.cfg.ApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d < timeout {
			timeout = d
		}
	}
	f := s.raft.Apply(cmd, timeout)
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
			return ForwardResult{Error: ErrNotLeader.Error()}
		}
		return ForwardResult{Error: err.Error()}
	}
	res := ForwardResult{Index: f.Index()}
	switch v := f.Response().(type) {
	case nil:
	case error:
		res.Error = errorCode(v)
	default:
		res.Result, _ = json.Marshal(v)
	}
	return res
}

// forward sends cmd to the leader and waits until this node has applied
// the leader's index, so the caller reads its own write here.
func (s *Store) forward(ctx context.Context, cmd []byte) (any, uint64, error) {
	deadline := time.Now().Add(s.cfg.ApplyTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	for {
		addr, _ := s.raft.LeaderWithID()
		if addr == "" {
			if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
				return nil, 0, fmt.Errorf("%w: no leader known", ErrNotLeader)
			}
			continue
		}
		var res ForwardResult
		if s.raft.State() == raft.Leader {
			res = s.ApplyForwarded(ctx, cmd)
		} else {
			var err error
			res, err = s.cfg.Forwarder.Forward(ctx, string(addr), cmd)
			if err != nil {
				return nil, 0, fmt.Errorf("%w: forwarding to %s: %v", ErrNotLeader, addr, err)
			}
		}
		if res.Error == ErrNotLeader.Error() {
			// Leadership moved; learn the new leader and retry.
			if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
				return nil, 0, fmt.Errorf("%w: leader changed", ErrNotLeader)
			}
			continue
		}
		if res.Index > 0 {
			if err := s.WaitApplied(ctx, res.Index); err != nil {
				return nil, 0, err
			}
		}
		if res.Error != "" {
			return nil, 0, codeError(res.Error)
		}
		if len(res.Result) > 0 {
			var n int
			if json.Unmarshal(res.Result, &n) == nil {
				return n, res.Index, nil
			}
		}
		return nil, res.Index, nil
	}
}

// WaitApplied waits until this node's FSM has applied index. It wakes at
// every command the FSM applies, and at least every 5 ms: Raft advances
// its applied index just after the FSM returns a batch, and also for
// entries that never reach the FSM (configuration changes, no-ops).
func (s *Store) WaitApplied(ctx context.Context, index uint64) error {
	var t *time.Timer
	for {
		next := s.fsm.applied.wait()
		if s.raft.AppliedIndex() >= index {
			if t != nil {
				t.Stop()
			}
			return nil
		}
		if t == nil {
			t = time.NewTimer(5 * time.Millisecond)
		} else {
			t.Reset(5 * time.Millisecond)
		}
		select {
		case <-next:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("raftfsm: waiting for index %d (applied %d): %w", index, s.raft.AppliedIndex(), ctx.Err())
		}
	}
}

// AppliedIndex is the last index applied to this node's FSM.
func (s *Store) AppliedIndex() uint64 { return s.raft.AppliedIndex() }

// Leader returns the leader's cluster address and id ("" when unknown).
func (s *Store) Leader() (addr, id string) {
	a, i := s.raft.LeaderWithID()
	return string(a), string(i)
}

// LastContact is when this node last heard from the leader (now, on the
// leader itself).
func (s *Store) LastContact() time.Time {
	if s.raft.State() == raft.Leader {
		return time.Now()
	}
	return s.raft.LastContact()
}

// Servers returns the current Raft configuration.
func (s *Store) Servers() ([]raft.Server, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, err
	}
	return f.Configuration().Servers, nil
}

// AddVoter adds a node to the cluster (on the leader).
func (s *Store) AddVoter(id, addr string) error {
	return s.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, s.cfg.ApplyTimeout).Error()
}

// RemoveServer removes a node from the cluster (on the leader).
func (s *Store) RemoveServer(id string) error {
	return s.raft.RemoveServer(raft.ServerID(id), 0, s.cfg.ApplyTimeout).Error()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
