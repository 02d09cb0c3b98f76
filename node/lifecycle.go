package node

import (
	"context"
	"sync"
	"time"

	"github.com/tessera-s3/tessera/lifecycle"
)

// lifecycleState is the node's bucket lifecycle scanner, built on first
// use (by Start's loop or by RunLifecycle, whichever comes first).
type lifecycleState struct {
	once    sync.Once
	scanner *lifecycle.Scanner
	err     error
}

// lifecycleScanner returns the node's Scanner. It scans only while this
// node is the Raft leader, so that one node at a time expires objects,
// with Config.LifecycleNow (default Config.Now) as its clock.
func (n *Node) lifecycleScanner() (*lifecycle.Scanner, error) {
	n.lc.once.Do(func() {
		cfg := lifecycle.DefaultConfig()
		cfg.Interval = time.Duration(n.cfg.LifecycleInterval)
		cfg.Now = n.cfg.LifecycleNow
		if cfg.Now == nil {
			cfg.Now = n.cfg.Now
		}
		cfg.Logger = n.log.With("component", "lifecycle")
		cfg.IsLeader = n.raft.IsLeader
		n.lc.scanner, n.lc.err = lifecycle.NewScanner(cfg, n.raft, n.store)
	})
	return n.lc.scanner, n.lc.err
}

// startLifecycle starts the background loop that runs a lifecycle scan
// every LifecycleInterval on the leader. It is stopped with the other
// background loops (stopBg, bgDone).
func (n *Node) startLifecycle(ctx context.Context) {
	s, err := n.lifecycleScanner()
	if err != nil {
		n.log.Error("bucket lifecycle expiry disabled", "err", err)
		return
	}
	n.bgDone.Add(1)
	go func() {
		defer n.bgDone.Done()
		s.Run(ctx)
	}()
}

// RunLifecycle runs one bucket lifecycle scan now and returns what it did
// (tests and operators). It returns lifecycle.ErrNotLeader on a follower;
// it waits for a scan already running to finish first.
func (n *Node) RunLifecycle(ctx context.Context) (lifecycle.Stats, error) {
	s, err := n.lifecycleScanner()
	if err != nil {
		return lifecycle.Stats{}, err
	}
	return s.RunOnce(ctx)
}
