package node

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/audit"
	"github.com/tessera-s3/tessera/raftfsm"
	"github.com/tessera-s3/tessera/s3api"
)

// auditFlushTimeout bounds how long Shutdown waits for queued audit events
// to be posted (further capped by Shutdown's own deadline).
const auditFlushTimeout = 3 * time.Second

// auditPollInterval is how often a node re-reads the audit webhook setting
// from its local replicated state.
const auditPollInterval = time.Second

// auditHook owns the node's audit sender and keeps it aimed at the webhook
// the cluster setting admin.SettingAuditWebhook names. Only the watch
// goroutine touches last.
type auditHook struct {
	sender *audit.Sender
	state  *raftfsm.Store
	sealer *raftfsm.Sealer
	log    *slog.Logger
	last   string // the setting value the sender was last aimed by
	bad    string // the last value that could not be used (logged once)
}

func newAuditHook(cfg Config, lg *slog.Logger, state *raftfsm.Store, sealer *raftfsm.Sealer) (*auditHook, error) {
	ac := audit.DefaultConfig()
	ac.NodeName = cfg.NodeID
	ac.Version = cfg.Version
	if ac.Version == "" {
		ac.Version = buildVersion()
	}
	ac.Logger = lg.With("component", "audit")
	s, err := audit.New(ac)
	if err != nil {
		return nil, err
	}
	return &auditHook{sender: s, state: state, sealer: sealer, log: ac.Logger}, nil
}

// buildVersion is the main module's version from the build information
// ("(devel)" for plain go build without VCS stamping).
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "unknown"
}

// observe is the s3api.Config.Observe hook: metrics, then audit.
func (n *Node) observe(ri *s3api.RequestInfo) {
	n.metrics.observe(ri)
	n.audit.sender.Observe(ri)
	// One structured line per request at debug level (log_level = "debug"),
	// carrying the x-amz-request-id the client got.
	if n.log.Enabled(context.Background(), slog.LevelDebug) {
		n.log.Debug("s3 request", "request_id", string(ri.RequestID), "api", ri.API, "bucket", ri.Bucket,
			"key", ri.Key, "status", ri.Status, "error", ri.ErrorCode, "access_key", ri.Identity.AccessKey,
			"remote", ri.Ctx.RemoteIP().String(), "duration", ri.Duration)
	}
}

// watchAudit starts the sender and re-aims it whenever the replicated
// setting changes, until ctx is done.
func (n *Node) watchAudit(ctx context.Context) {
	defer n.bgDone.Done()
	a := n.audit
	a.sender.Start()
	t := time.NewTicker(auditPollInterval)
	defer t.Stop()
	for {
		a.apply()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// apply re-reads the setting and retargets the sender when it changed.
func (a *auditHook) apply() {
	v := a.state.Setting(admin.SettingAuditWebhook)
	if v == a.last {
		return
	}
	endpoint, token, err := admin.ReadAuditWebhook(v, a.sealer)
	if err != nil {
		// Keep the previous target; retry on the next poll.
		if v != a.bad {
			a.bad = v
			a.log.Error("audit webhook setting unusable; keeping the previous target", "err", err)
		}
		return
	}
	a.last = v
	a.sender.SetTarget(endpoint, token)
	if endpoint == "" {
		a.log.Info("audit webhook disabled")
	} else {
		a.log.Info("audit webhook enabled", "endpoint", endpoint, "token", token != "")
	}
}

// closeAudit flushes queued events within auditFlushTimeout (and ctx).
// Events it cannot post in time are dropped and counted; that is not a
// shutdown failure.
func (n *Node) closeAudit(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, auditFlushTimeout)
	defer cancel()
	if err := n.audit.sender.Close(ctx); err != nil {
		lvl := slog.LevelWarn
		if !errors.Is(err, audit.ErrFlushTimeout) {
			lvl = slog.LevelError
		}
		n.log.Log(ctx, lvl, "audit flush at shutdown", "err", err)
	}
}
