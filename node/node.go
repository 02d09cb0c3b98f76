package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/cluster/transport"
	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/iam"
	"github.com/tessera-s3/tessera/raftfsm"
	"github.com/tessera-s3/tessera/s3api"
	"github.com/tessera-s3/tessera/sts"
)

// Node is one running Tessera node. Create with New, run with Start, stop with
// Shutdown. Safe for concurrent use.
type Node struct {
	cfg     Config
	log     *slog.Logger
	store   *erasure.Store
	raft    *raftfsm.Store
	api     *s3api.Server
	admin   *admin.Handler
	metrics *metrics
	audit   *auditHook
	cluster *clusterNet
	drives  *erasure.DriveServer
	certs   *certReloader
	http    *fasthttp.Server
	ln      net.Listener
	root    rootCredentials
	ready   atomic.Bool
	stopBg  context.CancelFunc
	bgDone  sync.WaitGroup
	lc      lifecycleState
	serveCh chan error
	closed  atomic.Bool
}

// New validates cfg, opens the drives and Raft, and prepares the S3 server.
// It does not listen yet.
func New(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CredentialNow == nil {
		cfg.CredentialNow = cfg.Now
	}
	lg := cfg.Logger
	if lg == nil {
		lvl, _ := parseLevel(cfg.LogLevel)
		lg = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data_dir %s: %w", cfg.DataDir, err)
	}
	root, err := loadRootCredentials(cfg.Root, cfg.DataDir, cfg.Stdout)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: lg, root: root}

	key, err := loadClusterKey(cfg.ClusterSecret, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	sealer, err := raftfsm.NewSealer(key)
	if err != nil {
		return nil, err
	}
	// The cluster port first: remote drives and Raft both use it.
	if n.cluster, err = openClusterNet(&cfg, key, n); err != nil {
		return nil, err
	}

	ec := erasure.DefaultConfig()
	ec.DataShards, ec.ParityShards = cfg.Erasure.DataShards, cfg.Erasure.ParityShards
	if cfg.Erasure.BlockSize != 0 {
		ec.BlockSize = cfg.Erasure.BlockSize
	}
	if cfg.Erasure.InlineThreshold != 0 {
		ec.InlineThreshold = cfg.Erasure.InlineThreshold
	}
	if cfg.Erasure.MetaCacheSize != 0 {
		ec.MetaCacheSize = cfg.Erasure.MetaCacheSize
	}
	if cfg.Erasure.MetaMemTableSize != 0 {
		ec.MetaMemTableSize = cfg.Erasure.MetaMemTableSize
	}
	ec.BufferedIO = cfg.Erasure.BufferedIO
	ec.Sync = cfg.Erasure.Sync
	ec.Chown = cfg.ChownObjects
	ec.Logger = lg.With("component", "erasure")
	for _, d := range cfg.drivePaths() {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return n.fail(fmt.Errorf("create drive folder %s: %w", d, err))
		}
	}
	var shardLn net.Listener
	if eps := cfg.driveEndpoints(); eps != nil {
		// Take the shard service's listener before opening the drives, so
		// peers that start at the same time are queued, not refused.
		shardLn = n.cluster.mux.Listener(transport.TagShard)
		ec.Endpoints = eps
		ec.DeploymentID = deploymentID(cfg.ClusterSecret)
		if ec.DataShards == 0 && ec.ParityShards == 0 {
			ec.DataShards, ec.ParityShards = clusterLayout(len(cfg.Peers), len(cfg.drivePaths()))
		}
		mux := n.cluster.mux
		ec.Dial = func(ctx context.Context, addr string) (net.Conn, error) {
			return mux.Dial(ctx, addr, transport.TagShard)
		}
	} else {
		ec.Drives = cfg.drivePaths()
	}
	if n.store, err = erasure.Open(ec); err != nil {
		return n.fail(fmt.Errorf("open drives: %w", err))
	}
	if ec.Endpoints != nil {
		ds, err := erasure.NewDriveServer(n.store, erasure.DriveServerConfig{NodeID: cfg.NodeID, Logger: lg.With("component", "driveserver")})
		if err != nil {
			return n.fail(err)
		}
		n.drives = ds
		go func() { _ = ds.Serve(shardLn) }()
	}

	rc := raftfsm.DefaultConfig()
	rc.Dir = filepath.Join(cfg.DataDir, "raft")
	rc.NodeID = cfg.NodeID
	rc.StreamLayer = n.cluster.mux.RaftStreamLayer()
	rc.Peers = cfg.Peers
	rc.Bootstrap = !cfg.Join
	rc.Forwarder = n.cluster
	rc.Propagate = n.waitPropagated
	rc.ObserveCommit = func(t raftfsm.CommandType, d time.Duration) {
		if m := n.metrics; m != nil {
			m.observeCommit(t, d)
		}
	}
	rc.Logger = lg.With("component", "raft")
	rc.MaxUsers = cfg.MaxUsers
	rc.MaxPolicies = cfg.MaxPolicies
	if n.raft, err = raftfsm.Open(rc); err != nil {
		return n.fail(fmt.Errorf("start raft: %w", err))
	}
	n.cluster.raft.Store(n.raft)

	auth := newIdentities(root, n.raft, sealer, cfg.Region, cfg.Now, cfg.CredentialNow)
	auth.leaseOK = n.leaseValid
	acfg := admin.DefaultConfig()
	acfg.Logger = lg.With("component", "admin")
	acfg.Now = cfg.CredentialNow
	n.admin, err = admin.New(acfg, admin.Deps{
		Auth: auth, Identity: n.raft, Sealer: sealer, Objects: n.store, Cluster: n,
		ValidatePolicy: func(doc []byte) error { _, err := iam.Parse(doc, iam.IdentityPolicy); return err },
		PredefinedPolicy: func(name string) (string, bool) {
			b, ok := iam.PredefinedJSON(name)
			return string(b), ok
		},
	})
	if err != nil {
		return n.fail(err)
	}
	stc := sts.DefaultConfig()
	stc.Logger = lg.With("component", "sts")
	stc.Now = cfg.CredentialNow
	stsSvc, err := sts.New(stc, sts.Deps{
		Auth: auth, Sessions: n.raft, Sealer: sealer,
		ValidatePolicy: func(doc []byte) error { _, err := iam.Parse(doc, iam.IdentityPolicy); return err },
	})
	if err != nil {
		return n.fail(err)
	}
	sc := s3api.DefaultConfig()
	sc.STS = stsSvc.ServeHTTP
	sc.Region = cfg.Region
	sc.AnonymousUID, sc.AnonymousGID = cfg.AnonymousUID, cfg.AnonymousGID
	sc.Domains = cfg.Domains
	sc.Logger = lg.With("component", "s3api")
	sc.Now = cfg.Now
	sc.Internal = n.internal
	if n.audit, err = newAuditHook(cfg, lg, n.raft, sealer); err != nil {
		return n.fail(err)
	}
	n.metrics = newMetrics(n)
	sc.Observe = n.observe
	n.api, err = s3api.New(sc, s3api.Deps{Objects: n.store, Buckets: n.raft, Credentials: auth, Authorizer: auth})
	if err != nil {
		return n.fail(err)
	}
	n.http = n.api.NewFastHTTPServer()
	return n, nil
}

// catchUp waits until this node has applied everything the cluster had
// committed when it started, so it never serves older identity state than
// it served before a restart.
func (n *Node) catchUp(ctx context.Context) error {
	for {
		if n.raft.IsLeader() {
			if err := n.raft.Barrier(ctx); err != nil {
				return fmt.Errorf("raft barrier: %w", err)
			}
			return nil
		}
		addr, _ := n.raft.Leader()
		if addr != "" {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			idx, err := n.cluster.appliedIndex(cctx, addr)
			cancel()
			if err == nil {
				return n.raft.WaitApplied(ctx, idx)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("catching up with the leader: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// fail closes what New opened so far and returns err.
func (n *Node) fail(err error) (*Node, error) {
	if n.raft != nil {
		n.raft.Close()
	}
	if n.drives != nil {
		n.drives.Close()
	}
	if n.cluster != nil {
		n.cluster.close()
	}
	if n.store != nil {
		n.store.Close()
	}
	return nil, err
}

// RootCredentials returns root's access and secret key.
func (n *Node) RootCredentials() (accessKey, secretKey string) {
	return n.root.AccessKey, n.root.SecretKey
}

// Addr is the S3 listener's address once Start returned.
func (n *Node) Addr() string {
	if n.ln == nil {
		return ""
	}
	return n.ln.Addr().String()
}

// Start waits for Raft to elect a leader, listens on cfg.Listen (or uses ln
// when not nil) and serves the S3 API in the background.
func (n *Node) Start(ctx context.Context, ln net.Listener) error {
	if err := n.raft.WaitForLeader(ctx); err != nil {
		return err
	}
	// Serve only once the whole committed log is applied locally (a
	// restarted leader replays its log after winning the election).
	if err := n.catchUp(ctx); err != nil {
		return err
	}
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", n.cfg.Listen); err != nil {
			return fmt.Errorf("listen on %s: %w", n.cfg.Listen, err)
		}
	}
	if n.cfg.TLSCert != "" {
		cr, err := newCertReloader(n.cfg.TLSCert, n.cfg.TLSKey)
		if err != nil {
			ln.Close()
			return err
		}
		n.certs = cr
		ln = tls.NewListener(ln, cr.tlsConfig())
	}
	n.ln = ln
	bg, cancel := context.WithCancel(context.Background())
	n.stopBg = cancel
	n.bgDone.Add(2)
	go n.sweepUploads(bg)
	go n.purgeSessions(bg)
	n.bgDone.Add(1)
	go n.healLoop(bg)
	n.startLifecycle(bg)
	n.bgDone.Add(1)
	go n.watchAudit(bg)
	n.serveCh = make(chan error, 1)
	go func() { n.serveCh <- n.http.Serve(ln) }()
	n.ready.Store(true)
	n.log.Info("tessera node serving", "s3", ln.Addr().String(), "cluster", n.raft.Addr(), "drives", len(n.cfg.drivePaths()))
	return nil
}

// Done returns the channel that receives the HTTP server's exit error.
func (n *Node) Done() <-chan error { return n.serveCh }

// sweepUploads aborts multipart uploads older than StaleUploadAge.
func (n *Node) sweepUploads(ctx context.Context) {
	defer n.bgDone.Done()
	age := time.Duration(n.cfg.StaleUploadAge)
	every := min(age/4, time.Hour)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if k, err := n.store.CleanupStaleUploads(ctx, age); err != nil {
				n.log.Warn("stale upload sweep", "err", err)
			} else if k > 0 {
				n.log.Info("aborted stale multipart uploads", "count", k)
			}
			// Data folders no record points at (a PUT cut short by a crash
			// of another process sharing nothing with this one's leases)
			// are removed once they are old enough to be no write in
			// progress.
			if k, err := n.store.CleanupOrphans(ctx, time.Hour); err != nil {
				n.log.Warn("orphan sweep", "err", err)
			} else if k > 0 {
				n.log.Info("removed orphaned data folders", "count", k)
			}
		}
	}
}

// purgeSessions removes expired STS sessions from the replicated state. Only
// the leader proposes; the command carries the leader's clock so Apply stays
// deterministic. Expired sessions are refused at request time whether or
// not they were purged yet.
func (n *Node) purgeSessions(ctx context.Context) {
	defer n.bgDone.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !n.raft.IsLeader() {
				continue
			}
			if k, err := n.raft.PurgeExpiredSessions(ctx, n.cfg.CredentialNow()); err != nil {
				n.log.Warn("purge expired sessions", "err", err)
			} else if k > 0 {
				n.log.Info("purged expired STS sessions", "count", k)
			}
		}
	}
}

// PurgeExpiredSessions runs one purge now (tests and operators).
func (n *Node) PurgeExpiredSessions(ctx context.Context) (int, error) {
	return n.raft.PurgeExpiredSessions(ctx, n.cfg.CredentialNow())
}

// Shutdown stops the node gracefully: it reports not-ready, stops accepting
// connections, lets in-flight requests finish (up to ShutdownTimeout or ctx),
// then closes Raft and the drives. Writes cut short are never visible: the
// storage layer only commits complete objects.
func (n *Node) Shutdown(ctx context.Context) error {
	if !n.closed.CompareAndSwap(false, true) {
		return nil
	}
	n.ready.Store(false)
	if d := time.Duration(n.cfg.DrainDelay); d > 0 && n.ln != nil {
		// Keep serving while load balancers notice the failing readiness
		// check and stop sending new requests here.
		n.log.Info("draining before shutdown", "delay", d)
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(n.cfg.ShutdownTimeout))
	defer cancel()
	var errs []error
	if n.ln != nil {
		if err := n.http.ShutdownWithContext(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	if n.stopBg != nil {
		n.stopBg()
		n.bgDone.Wait()
	}
	n.closeAudit(ctx)
	if err := n.raft.Close(); err != nil {
		errs = append(errs, fmt.Errorf("raft: %w", err))
	}
	if n.drives != nil {
		n.drives.Close()
	}
	if err := n.cluster.close(); err != nil && !errors.Is(err, transport.ErrClosed) {
		errs = append(errs, fmt.Errorf("cluster port: %w", err))
	}
	if err := n.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("drives: %w", err))
	}
	return errors.Join(errs...)
}

var (
	pathLive    = "/_tessera/health/live"
	pathReady   = "/_tessera/health/ready"
	pathMetrics = "/_tessera/metrics"
)

// internal serves the /_tessera/ routes that are not S3.
func (n *Node) internal(ctx *fasthttp.RequestCtx) {
	if bytes.HasPrefix(ctx.URI().PathOriginal(), []byte(admin.Prefix)) {
		n.admin.ServeHTTP(ctx)
		return
	}
	switch string(ctx.Path()) {
	case pathLive:
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"status":"ok"}`)
	case pathMetrics:
		n.metrics.handler(ctx)
	case pathReady:
		ctx.SetContentType("application/json")
		// Ready: serving (not draining), in contact with a Raft leader
		// within the lease, and a write quorum of drives online.
		reason := ""
		switch {
		case !n.ready.Load():
			reason = "shutting down"
		case !n.leaseValid():
			reason = "no contact with a Raft leader within the lease"
		case !n.drivesQuorum():
			reason = "fewer drives online than the write quorum"
		}
		if reason == "" {
			ctx.SetBodyString(`{"status":"ready"}`)
			return
		}
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		ctx.SetBodyString(`{"status":"not ready","reason":"` + reason + `"}`)
	default:
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"error":"no such route"}`)
	}
}

// Reload re-reads what can change without a restart: the TLS certificate
// and key (on SIGHUP).
func (n *Node) Reload() error {
	if n.certs == nil {
		return nil
	}
	if err := n.certs.Reload(); err != nil {
		return err
	}
	n.log.Info("reloaded TLS certificate", "cert", n.cfg.TLSCert)
	return nil
}

// RaftSnapshot makes Raft write a snapshot of the replicated state now.
func (n *Node) RaftSnapshot() error { return n.raft.Snapshot() }

// ClusterStats are the cluster port's connection counters.
func (n *Node) ClusterStats() transport.Stats { return n.cluster.mux.Stats() }

// ClusterAddr is the cluster (Raft) listener's address.
func (n *Node) ClusterAddr() string { return n.raft.Addr() }

// drivesQuorum reports whether at least a write quorum of this node's
// drives is online.
func (n *Node) drivesQuorum() bool {
	online := 0
	ds := n.store.DriveStatus()
	for _, d := range ds {
		if d.Online {
			online++
		}
	}
	k, m := n.store.Layout()
	wq := k
	if k == m {
		wq = k + 1
	}
	return online >= wq || len(ds) == 0
}

// IsLeader reports whether this node is the Raft leader.
func (n *Node) IsLeader() bool { return n.raft.IsLeader() }

// NodeID is the node's Raft id.
func (n *Node) NodeID() string { return n.cfg.NodeID }
