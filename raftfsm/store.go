package raftfsm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// Store errors.
var (
	// ErrNotLeader: this node is not the Raft leader and cannot forward.
	ErrNotLeader = errors.New("raftfsm: not the leader")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("raftfsm: store closed")
)

// Config configures a Store.
type Config struct {
	// Dir is the folder for the Raft log, stable store and snapshots.
	Dir string
	// NodeID is this node's unique Raft server id.
	NodeID string
	// BindAddr is the host:port the Raft transport listens on. Port 0 picks
	// a free port (tests).
	BindAddr string
	// AdvertiseAddr is the address peers dial; empty means the bound address.
	AdvertiseAddr string
	// Bootstrap makes a node with no Raft state bootstrap a cluster: of
	// Peers when they are given (every voter must be configured with the
	// same list), else a single-voter cluster of itself.
	Bootstrap bool
	// Peers are the initial voters, this node included.
	Peers []Peer
	// StreamLayer, when set, carries Raft traffic (the authenticated
	// cluster-port mux); BindAddr/AdvertiseAddr are then not used.
	StreamLayer raft.StreamLayer
	// Forwarder, when set, sends proposals made on a follower to the
	// leader (see Forwarder).
	Forwarder Forwarder
	// Propagate, when set, runs on the proposing node after a command is
	// applied at index, before the proposal returns (all commands but the
	// leader's session purge). The node uses it to wait until every node
	// has applied the index or has stopped serving (its lease expired), so
	// that a change that returned holds on every node: new credentials
	// authenticate everywhere, revoked ones nowhere.
	Propagate func(ctx context.Context, index uint64) error
	// ObserveCommit, when set, receives the duration of every successful
	// proposal made on this node (commit, apply and propagation).
	ObserveCommit func(t CommandType, d time.Duration)
	// ApplyTimeout bounds how long a proposal waits to be committed and
	// applied (default 10 s).
	ApplyTimeout time.Duration
	// SnapshotThreshold is how many log entries trigger a snapshot
	// (default 8192).
	SnapshotThreshold uint64
	// SnapshotInterval is how often Raft checks whether to snapshot
	// (default 30 s).
	SnapshotInterval time.Duration
	// SnapshotsRetained is how many snapshots are kept on disk (default 2).
	SnapshotsRetained int
	// MaxBuckets caps the number of buckets in the cluster (default 10,000).
	MaxBuckets int
	// MaxUsers caps the number of users (default 100,000).
	MaxUsers int
	// MaxPolicies caps the number of custom IAM policies (default 1,024).
	MaxPolicies int
	// MaxSessions caps the number of live STS sessions (default 1,000,000).
	MaxSessions int
	// MaxServiceAccounts caps service accounts per user (default 100).
	MaxServiceAccounts int
	// Logger receives the store's logs (default slog.Default()).
	Logger *slog.Logger
}

// DefaultConfig returns the defaults; Dir and NodeID must still be set.
func DefaultConfig() Config {
	return Config{
		NodeID:            "node1",
		BindAddr:          "127.0.0.1:9100",
		Bootstrap:         true,
		ApplyTimeout:      10 * time.Second,
		SnapshotThreshold: 8192,
		SnapshotInterval:  30 * time.Second,
		SnapshotsRetained: 2,
		MaxBuckets:        10000,
		MaxUsers:          100000,
		MaxPolicies:       1024,
		MaxSessions:       1_000_000,

		MaxServiceAccounts: 100,
	}
}

// Validate names the bad field and its allowed range.
func (c *Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("raftfsm: Config.Dir must be set")
	case c.NodeID == "":
		return errors.New("raftfsm: Config.NodeID must be set")
	case c.BindAddr == "" && c.StreamLayer == nil:
		return errors.New("raftfsm: Config.BindAddr must be host:port")
	case c.ApplyTimeout < 100*time.Millisecond || c.ApplyTimeout > 10*time.Minute:
		return fmt.Errorf("raftfsm: Config.ApplyTimeout %v out of range [100ms, 10m]", c.ApplyTimeout)
	case c.SnapshotThreshold < 16:
		return fmt.Errorf("raftfsm: Config.SnapshotThreshold %d below 16", c.SnapshotThreshold)
	case c.SnapshotsRetained < 1 || c.SnapshotsRetained > 100:
		return fmt.Errorf("raftfsm: Config.SnapshotsRetained %d out of range [1, 100]", c.SnapshotsRetained)
	case c.MaxBuckets < 1 || c.MaxBuckets > 1_000_000:
		return fmt.Errorf("raftfsm: Config.MaxBuckets %d out of range [1, 1000000]", c.MaxBuckets)
	case c.MaxUsers < 1 || c.MaxUsers > 10_000_000:
		return fmt.Errorf("raftfsm: Config.MaxUsers %d out of range [1, 10000000]", c.MaxUsers)
	case c.MaxPolicies < 1 || c.MaxPolicies > 1_000_000:
		return fmt.Errorf("raftfsm: Config.MaxPolicies %d out of range [1, 1000000]", c.MaxPolicies)
	case c.MaxSessions < 1 || c.MaxSessions > 100_000_000:
		return fmt.Errorf("raftfsm: Config.MaxSessions %d out of range [1, 100000000]", c.MaxSessions)
	case c.MaxServiceAccounts < 1 || c.MaxServiceAccounts > 10_000:
		return fmt.Errorf("raftfsm: Config.MaxServiceAccounts %d out of range [1, 10000]", c.MaxServiceAccounts)
	}
	if c.StreamLayer == nil {
		if _, _, err := net.SplitHostPort(c.BindAddr); err != nil {
			return fmt.Errorf("raftfsm: Config.BindAddr %q: %w", c.BindAddr, err)
		}
	}
	seen := map[string]bool{}
	for i, p := range c.Peers {
		if p.ID == "" || p.Addr == "" {
			return fmt.Errorf("raftfsm: Config.Peers[%d] needs an id and an address", i)
		}
		if seen[p.ID] {
			return fmt.Errorf("raftfsm: Config.Peers has node id %q twice", p.ID)
		}
		seen[p.ID] = true
	}
	if len(c.Peers) > 0 && !seen[c.NodeID] {
		return fmt.Errorf("raftfsm: Config.Peers does not list this node (%q)", c.NodeID)
	}
	return nil
}

// Store is a node's handle on the replicated state: the Raft instance, its
// stores and transport, and the FSM. Safe for concurrent use.
type Store struct {
	cfg       Config
	log       *slog.Logger
	fsm       *FSM
	raft      *raft.Raft
	transport *raft.NetworkTransport
	logStore  *raftboltdb.BoltStore
}

// Open starts Raft on cfg.Dir, bootstrapping a single-voter cluster when
// asked to and when no state exists yet.
func Open(cfg Config) (*Store, error) {
	if cfg.ApplyTimeout == 0 {
		cfg.ApplyTimeout = 10 * time.Second
	}
	if cfg.SnapshotThreshold == 0 {
		cfg.SnapshotThreshold = 8192
	}
	if cfg.SnapshotInterval == 0 {
		cfg.SnapshotInterval = 30 * time.Second
	}
	if cfg.SnapshotsRetained == 0 {
		cfg.SnapshotsRetained = 2
	}
	if cfg.MaxBuckets == 0 {
		cfg.MaxBuckets = 10000
	}
	if cfg.MaxUsers == 0 {
		cfg.MaxUsers = 100000
	}
	if cfg.MaxPolicies == 0 {
		cfg.MaxPolicies = 1024
	}
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = 1_000_000
	}
	if cfg.MaxServiceAccounts == 0 {
		cfg.MaxServiceAccounts = 100
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("raftfsm: create %s: %w", cfg.Dir, err)
	}
	rl := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Warn, Output: os.Stderr})

	logStore, err := raftboltdb.NewBoltStore(filepath.Join(cfg.Dir, "raft.db"))
	if err != nil {
		return nil, fmt.Errorf("raftfsm: open log store: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, cfg.SnapshotsRetained, rl)
	if err != nil {
		logStore.Close()
		return nil, fmt.Errorf("raftfsm: open snapshot store: %w", err)
	}
	var transport *raft.NetworkTransport
	if cfg.StreamLayer != nil {
		transport = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
			Stream: cfg.StreamLayer, MaxPool: 3, Timeout: 10 * time.Second, Logger: rl,
		})
	} else {
		var advertise net.Addr
		if cfg.AdvertiseAddr != "" {
			a, err := net.ResolveTCPAddr("tcp", cfg.AdvertiseAddr)
			if err != nil {
				logStore.Close()
				return nil, fmt.Errorf("raftfsm: Config.AdvertiseAddr %q: %w", cfg.AdvertiseAddr, err)
			}
			advertise = a
		}
		transport, err = raft.NewTCPTransportWithLogger(cfg.BindAddr, advertise, 3, 10*time.Second, rl)
		if err != nil {
			logStore.Close()
			return nil, fmt.Errorf("raftfsm: listen on %s: %w", cfg.BindAddr, err)
		}
	}

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.Logger = rl
	rc.SnapshotThreshold = cfg.SnapshotThreshold
	rc.SnapshotInterval = cfg.SnapshotInterval
	// Group commit: concurrent Applies queue in a buffered channel and the
	// leader writes (and fsyncs) up to MaxAppendEntries of them as one log
	// batch and one AppendEntries to each follower. Without the buffer only
	// Applies already blocked on the channel join a batch.
	rc.BatchApplyCh = true
	rc.MaxAppendEntries = 256

	fsm := NewFSM()
	if cfg.Bootstrap {
		has, err := raft.HasExistingState(logStore, logStore, snaps)
		if err != nil {
			transport.Close()
			logStore.Close()
			return nil, fmt.Errorf("raftfsm: inspect state: %w", err)
		}
		if !has {
			conf := raft.Configuration{Servers: []raft.Server{{
				Suffrage: raft.Voter, ID: rc.LocalID, Address: transport.LocalAddr(),
			}}}
			if len(cfg.Peers) > 0 {
				conf.Servers = conf.Servers[:0]
				for _, p := range cfg.Peers {
					conf.Servers = append(conf.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Addr)})
				}
			}
			if err := raft.BootstrapCluster(rc, logStore, logStore, snaps, transport, conf); err != nil {
				transport.Close()
				logStore.Close()
				return nil, fmt.Errorf("raftfsm: bootstrap: %w", err)
			}
		}
	}
	// The leader reads every entry back to send it to the followers: keep
	// the recent ones in memory instead of reading them from bolt. The
	// cache keeps the *raft.Log given to Apply, so a command's bytes must
	// never be reused by the caller (node's RPC server once did, and a
	// follower applied another request's bytes).
	logs, err := raft.NewLogCache(1024, logStore)
	if err != nil {
		transport.Close()
		logStore.Close()
		return nil, fmt.Errorf("raftfsm: log cache: %w", err)
	}
	r, err := raft.NewRaft(rc, fsm, logs, logStore, snaps, transport)
	if err != nil {
		transport.Close()
		logStore.Close()
		return nil, fmt.Errorf("raftfsm: start raft: %w", err)
	}
	return &Store{cfg: cfg, log: lg, fsm: fsm, raft: r, transport: transport, logStore: logStore}, nil
}

// FSM returns the state machine (for reads).
func (s *Store) FSM() *FSM { return s.fsm }

// Addr is the Raft transport's address.
func (s *Store) Addr() string { return string(s.transport.LocalAddr()) }

// IsLeader reports whether this node is the Raft leader.
func (s *Store) IsLeader() bool { return s.raft.State() == raft.Leader }

// Stats returns Raft's status map (state, term, applied index, ...).
func (s *Store) Stats() map[string]string { return s.raft.Stats() }

// WaitForLeader blocks until the cluster has a leader or ctx ends.
func (s *Store) WaitForLeader(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if addr, _ := s.raft.LeaderWithID(); addr != "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("raftfsm: no leader: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Barrier waits until every log entry committed before the call is applied
// to this node's FSM (on the leader). A node calls it after winning an
// election so it serves reads from complete state.
func (s *Store) Barrier(ctx context.Context) error {
	timeout := s.cfg.ApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	return s.raft.Barrier(timeout).Error()
}

// Snapshot forces a Raft snapshot now (tests and operators).
func (s *Store) Snapshot() error { return s.raft.Snapshot().Error() }

// Close shuts Raft down and closes its stores.
func (s *Store) Close() error {
	err := s.raft.Shutdown().Error()
	if cerr := s.transport.Close(); err == nil {
		err = cerr
	}
	if cerr := s.logStore.Close(); err == nil {
		err = cerr
	}
	return err
}

// propose replicates one command and returns the FSM's response: nil or a
// domain error such as ErrBucketExists. It returns after the command is
// committed and applied on this node.
func (s *Store) propose(ctx context.Context, t CommandType, payload any) error {
	_, err := s.proposeResult(ctx, t, payload)
	return err
}

func (s *Store) observe(t CommandType, start time.Time, err error) {
	if s.cfg.ObserveCommit != nil && err == nil {
		s.cfg.ObserveCommit(t, time.Since(start))
	}
}

// proposeResult is propose returning the FSM's non-error response too.
func (s *Store) proposeResult(ctx context.Context, t CommandType, payload any) (res any, err error) {
	start := time.Now()
	defer func() { s.observe(t, start, err) }()
	b, err := encodeCommand(t, payload)
	if err != nil {
		return nil, err
	}
	timeout := s.cfg.ApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d < timeout {
			timeout = d
		}
	}
	if s.raft.State() != raft.Leader && s.cfg.Forwarder != nil {
		resp, index, err := s.forward(ctx, b)
		if err == nil && index > 0 {
			err = s.propagate(ctx, t, index)
		}
		return resp, err
	}
	f := s.raft.Apply(b, timeout)
	if err := f.Error(); err != nil {
		switch {
		case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost):
			return nil, fmt.Errorf("%w: %v", ErrNotLeader, err)
		case errors.Is(err, raft.ErrRaftShutdown):
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("raftfsm: %s: %w", t, err)
	}
	resp := f.Response()
	if rerr, ok := resp.(error); ok {
		return nil, rerr
	}
	if err := s.propagate(ctx, t, f.Index()); err != nil {
		return nil, err
	}
	return resp, nil
}

func (s *Store) propagate(ctx context.Context, t CommandType, index uint64) error {
	if s.cfg.Propagate == nil || t == CmdPurgeSessions {
		return nil
	}
	return s.cfg.Propagate(ctx, index)
}

// CreateBucket replicates a new bucket.
func (s *Store) CreateBucket(ctx context.Context, b Bucket) error {
	return s.propose(ctx, CmdCreateBucket, createBucketCmd{Bucket: b, MaxBuckets: s.cfg.MaxBuckets})
}

// DeleteBucket removes a bucket's metadata.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	return s.propose(ctx, CmdDeleteBucket, deleteBucketCmd{Name: name})
}

// SetBucketTags replaces a bucket's tag set; nil or empty deletes it.
func (s *Store) SetBucketTags(ctx context.Context, name string, tags map[string]string) error {
	return s.propose(ctx, CmdSetBucketTags, setBucketTagsCmd{Name: name, Tags: tags})
}

// SetBucketPolicy replaces a bucket's policy JSON; "" deletes it.
func (s *Store) SetBucketPolicy(ctx context.Context, name, policy string) error {
	return s.propose(ctx, CmdSetBucketPolicy, setBucketPolicyCmd{Name: name, Policy: policy})
}

// Bucket returns the named bucket from local state.
func (s *Store) Bucket(name string) (Bucket, bool) { return s.fsm.Bucket(name) }

// Buckets returns all buckets from local state, sorted by name.
func (s *Store) Buckets() []Bucket { return s.fsm.Buckets() }

var _ io.Closer = (*Store)(nil)

// CreateUser replicates a new user. u.Secret must already be sealed.
func (s *Store) CreateUser(ctx context.Context, u User) error {
	return s.propose(ctx, CmdCreateUser, createUserCmd{User: u, MaxUsers: s.cfg.MaxUsers})
}

// UserUpdate lists the fields of a user to change; nil fields stay.
type UserUpdate struct {
	Secret   []byte // sealed
	UID, GID *uint32
	Role     Role
}

// UpdateUser changes a user's secret, POSIX ids or role.
func (s *Store) UpdateUser(ctx context.Context, name string, upd UserUpdate, now time.Time) error {
	return s.propose(ctx, CmdUpdateUser, updateUserCmd{Name: name, Secret: upd.Secret, UID: upd.UID, GID: upd.GID, Role: upd.Role, Updated: now})
}

// DeleteUser removes a user (and, with later commands, everything it owns).
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	return s.propose(ctx, CmdDeleteUser, deleteUserCmd{Name: name})
}

// PutPolicy adds a custom policy (validated by the caller).
func (s *Store) PutPolicy(ctx context.Context, p Policy) error {
	return s.propose(ctx, CmdPutPolicy, putPolicyCmd{Policy: p, MaxPolicies: s.cfg.MaxPolicies})
}

// DeletePolicy removes a custom policy that no user has attached.
func (s *Store) DeletePolicy(ctx context.Context, name string) error {
	return s.propose(ctx, CmdDeletePolicy, deletePolicyCmd{Name: name})
}

// AttachPolicy attaches policy to user (a user has one policy); "" detaches.
func (s *Store) AttachPolicy(ctx context.Context, user, policy string) error {
	return s.propose(ctx, CmdAttachPolicy, attachPolicyCmd{User: user, Policy: policy})
}

// UserAuth is FSM.UserAuth on local state. The *User is an immutable
// snapshot (records are replaced, never changed in place).
func (s *Store) UserAuth(ak []byte) (*User, bool) { return s.fsm.UserAuth(ak) }

// User returns a user from local state.
func (s *Store) User(name string) (User, bool) { return s.fsm.User(name) }

// Users returns all users from local state, sorted by name.
func (s *Store) Users() []User { return s.fsm.Users() }

// Policy returns a custom policy from local state.
func (s *Store) Policy(name string) (Policy, bool) { return s.fsm.Policy(name) }

// Policies returns all custom policies from local state, sorted by name.
func (s *Store) Policies() []Policy { return s.fsm.Policies() }

// CreateSession replicates a new STS session (secret sealed, token hashed).
func (s *Store) CreateSession(ctx context.Context, se Session) error {
	return s.propose(ctx, CmdCreateSession, createSessionCmd{Session: se, MaxSessions: s.cfg.MaxSessions})
}

// RevokeSession revokes one session; parent, when not "", must own it.
func (s *Store) RevokeSession(ctx context.Context, accessKey, parent string) error {
	return s.propose(ctx, CmdRevokeSessions, revokeSessionsCmd{AccessKey: accessKey, Parent: parent})
}

// RevokeUserSessions revokes every session of user and returns how many.
func (s *Store) RevokeUserSessions(ctx context.Context, user string) (int, error) {
	r, err := s.proposeResult(ctx, CmdRevokeSessions, revokeSessionsCmd{Parent: user})
	n, _ := r.(int)
	return n, err
}

// PurgeExpiredSessions removes sessions expired at now and returns how many.
// Only the leader should call it (followers' proposals fail with
// ErrNotLeader).
func (s *Store) PurgeExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	r, err := s.proposeResult(ctx, CmdPurgeSessions, purgeSessionsCmd{Now: now})
	n, _ := r.(int)
	return n, err
}

// CreateServiceAccount replicates a new service account (secret sealed).
func (s *Store) CreateServiceAccount(ctx context.Context, sa ServiceAccount) error {
	return s.propose(ctx, CmdCreateServiceAccount, createServiceAccountCmd{Account: sa, MaxPerUse: s.cfg.MaxServiceAccounts})
}

// DeleteServiceAccount removes a service account; parent, when not "",
// must be its parent (ErrNotParent otherwise).
func (s *Store) DeleteServiceAccount(ctx context.Context, accessKey, parent string) error {
	return s.propose(ctx, CmdDeleteServiceAccount, deleteServiceAccountCmd{AccessKey: accessKey, Parent: parent})
}

// SessionAuth is FSM.SessionAuth on local state.
func (s *Store) SessionAuth(ak []byte) (*Session, bool) { return s.fsm.SessionAuth(ak) }

// ServiceAccountAuth is FSM.ServiceAccountAuth on local state.
func (s *Store) ServiceAccountAuth(ak []byte) (*ServiceAccount, bool) {
	return s.fsm.ServiceAccountAuth(ak)
}

// Sessions returns parent's live sessions ("" for all) from local state.
func (s *Store) Sessions(parent string) []Session { return s.fsm.Sessions(parent) }

// ServiceAccounts returns parent's service accounts ("" for all).
func (s *Store) ServiceAccounts(parent string) []ServiceAccount { return s.fsm.ServiceAccounts(parent) }

// SetBucketLifecycle replaces a bucket's lifecycle configuration; ""
// deletes it.
func (s *Store) SetBucketLifecycle(ctx context.Context, name, lifecycle string) error {
	return s.propose(ctx, CmdSetBucketLifecycle, setBucketLifecycleCmd{Name: name, Lifecycle: lifecycle})
}

// SetSetting sets a cluster setting; "" deletes it.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.propose(ctx, CmdSetSetting, setSettingCmd{Key: key, Value: value})
}

// Setting reads a cluster setting from local state.
func (s *Store) Setting(key string) string { return s.fsm.Setting(key) }
