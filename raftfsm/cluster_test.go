package raftfsm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// localForwarder delivers forwarded commands to the store that owns the
// leader address, in process.
type localForwarder struct {
	mu     sync.Mutex
	stores map[string]*Store
}

func (f *localForwarder) Forward(ctx context.Context, addr string, cmd []byte) (ForwardResult, error) {
	f.mu.Lock()
	s := f.stores[addr]
	f.mu.Unlock()
	if s == nil {
		return ForwardResult{}, fmt.Errorf("no store at %s", addr)
	}
	return s.ApplyForwarded(ctx, cmd), nil
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestThreeNodeForwarding(t *testing.T) {
	fw := &localForwarder{stores: map[string]*Store{}}
	var peers []Peer
	for i := 1; i <= 3; i++ {
		peers = append(peers, Peer{ID: fmt.Sprintf("n%d", i), Addr: freeAddr(t)})
	}
	var stores []*Store
	for _, p := range peers {
		cfg := DefaultConfig()
		cfg.Dir = t.TempDir()
		cfg.NodeID, cfg.BindAddr, cfg.Peers, cfg.Forwarder = p.ID, p.Addr, peers, fw
		s, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fw.mu.Lock()
		fw.stores[p.Addr] = s
		fw.mu.Unlock()
		stores = append(stores, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, s := range stores {
		if err := s.WaitForLeader(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Every node takes writes; each returns only once the write is applied
	// on the node that answered (read-your-writes on any node).
	for i, s := range stores {
		name := fmt.Sprintf("user%d", i)
		if err := s.CreateUser(ctx, User{Name: name, Role: RoleS3}); err != nil {
			t.Fatalf("create via node %d: %v", i, err)
		}
		if _, ok := s.User(name); !ok {
			t.Fatalf("node %d does not see its own write", i)
		}
		if err := s.CreateUser(ctx, User{Name: name, Role: RoleS3}); !errors.Is(err, ErrUserExists) {
			t.Fatalf("duplicate via node %d: %v", i, err)
		}
	}
	var follower *Store
	for _, s := range stores {
		if !s.IsLeader() {
			follower = s
		}
	}
	if err := follower.CreateSession(ctx, Session{AccessKey: "ASIAX", Parent: "user0", Expiration: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n, err := follower.RevokeUserSessions(ctx, "user0"); err != nil || n != 1 {
		t.Fatalf("forwarded count result: %d %v", n, err)
	}
	// All nodes converge.
	for _, s := range stores {
		if err := s.WaitApplied(ctx, stores[0].AppliedIndex()); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range stores {
		if us := s.Users(); len(us) != 3 {
			t.Fatalf("node %d has %d users", i, len(us))
		}
	}
}
