package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/raftfsm"
)

// Buckets is the bucket metadata the Scanner reads. *raftfsm.Store
// satisfies it.
type Buckets interface {
	// Buckets returns every bucket (a local read).
	Buckets() []raftfsm.Bucket
}

// Objects is the object store the Scanner lists and deletes from.
// *erasure.Store satisfies it.
type Objects interface {
	ListObjects(ctx context.Context, bucket, prefix, marker, delimiter string, maxKeys int) (erasure.ListObjectsResult, error)
	StatObject(ctx context.Context, bucket, key string) (erasure.ObjectInfo, error)
	DeleteObject(ctx context.Context, bucket, key string) error
}

// Scanner defaults and bounds.
const (
	DefaultInterval  = time.Hour
	DefaultBatchSize = 1000
	MinInterval      = time.Millisecond
	MaxInterval      = 7 * 24 * time.Hour
	MaxBatchSize     = 10000
	// maxReportedErrors bounds how many failures RunOnce returns joined
	// (Stats.Errors counts them all).
	maxReportedErrors = 10
)

// Config configures a Scanner. Start from DefaultConfig.
type Config struct {
	// Interval is the time between scans in Run (default 1h, range 1ms to
	// 168h).
	Interval time.Duration
	// Now is the clock that decides expiry (default time.Now). Tests move
	// it forward to expire objects.
	Now func() time.Time
	// BatchSize is how many objects each ListObjects page asks for
	// (default 1000, range 1 to 10000).
	BatchSize int
	// Logger receives scan summaries and failures (default: discard).
	Logger *slog.Logger
	// IsLeader, when set, gates the scans: Run skips a scan and RunOnce
	// returns ErrNotLeader while it returns false, and a running scan
	// stops between pages once it does. Nil means always.
	IsLeader func() bool
}

// DefaultConfig returns the defaults: hourly scans, pages of 1000 objects,
// the wall clock and no logging.
func DefaultConfig() Config {
	return Config{Interval: DefaultInterval, Now: time.Now, BatchSize: DefaultBatchSize}
}

// Validate names the field at fault and its bounds. Errors wrap
// ErrInvalidConfig.
func (c *Config) Validate() error {
	if c.Interval < MinInterval || c.Interval > MaxInterval {
		return fmt.Errorf("%w: Interval = %v, must be between %v and %v", ErrInvalidConfig, c.Interval, MinInterval, MaxInterval)
	}
	if c.BatchSize < 1 || c.BatchSize > MaxBatchSize {
		return fmt.Errorf("%w: BatchSize = %d, must be between 1 and %d", ErrInvalidConfig, c.BatchSize, MaxBatchSize)
	}
	if c.Now == nil {
		return fmt.Errorf("%w: Now must be set", ErrInvalidConfig)
	}
	return nil
}

// Stats counts what one scan did.
type Stats struct {
	// Buckets is how many buckets with an enabled, possibly due rule were
	// scanned.
	Buckets int
	// Scanned is how many objects were examined.
	Scanned int64
	// Expired is how many objects were deleted.
	Expired int64
	// Errors counts failures: undecodable configurations, failed listings,
	// reads and deletes.
	Errors int
}

// Scanner deletes expired objects of every bucket with a lifecycle
// configuration. It is safe for concurrent use; scans on one Scanner never
// overlap (a second RunOnce waits for the first).
type Scanner struct {
	cfg     Config
	log     *slog.Logger
	buckets Buckets
	objects Objects
	mu      sync.Mutex // held by a running scan
}

// NewScanner returns a Scanner over buckets and objects.
func NewScanner(cfg Config, buckets Buckets, objects Objects) (*Scanner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if buckets == nil || objects == nil {
		return nil, fmt.Errorf("%w: buckets and objects must be set", ErrInvalidConfig)
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Scanner{cfg: cfg, log: lg, buckets: buckets, objects: objects}, nil
}

// Run scans every Interval until ctx is done, skipping scans while
// Config.IsLeader returns false.
func (s *Scanner) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !s.leader() {
				continue
			}
			st, err := s.RunOnce(ctx)
			switch {
			case ctx.Err() != nil:
				return
			case errors.Is(err, ErrNotLeader):
				s.log.Info("lifecycle scan stopped: leadership lost", "scanned", st.Scanned, "expired", st.Expired)
			case err != nil:
				s.log.Warn("lifecycle scan", "err", err, "buckets", st.Buckets, "scanned", st.Scanned, "expired", st.Expired, "errors", st.Errors)
			case st.Expired > 0:
				s.log.Info("lifecycle scan expired objects", "buckets", st.Buckets, "scanned", st.Scanned, "expired", st.Expired)
			}
		}
	}
}

func (s *Scanner) leader() bool { return s.cfg.IsLeader == nil || s.cfg.IsLeader() }

// RunOnce scans every bucket once, with the clock read once at the start,
// and deletes the objects expired at that time. Failures in one bucket do
// not stop the others: they are counted in Stats.Errors and returned joined
// (the first few). It returns ctx's error when ctx ends and ErrNotLeader
// when leadership is (or gets) lost.
func (s *Scanner) RunOnce(ctx context.Context) (Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st Stats
	if !s.leader() {
		return st, ErrNotLeader
	}
	now := s.cfg.Now()
	var errs []error
	fail := func(err error) {
		st.Errors++
		if len(errs) < maxReportedErrors {
			errs = append(errs, err)
		}
	}
	for _, b := range s.buckets.Buckets() {
		if b.Lifecycle == "" {
			continue
		}
		if err := ctx.Err(); err != nil {
			return st, err
		}
		cfg, err := Decode(b.Lifecycle)
		if err != nil {
			s.log.Error("lifecycle: bad stored configuration, bucket skipped", "bucket", b.Name, "err", err)
			fail(fmt.Errorf("bucket %s: %w", b.Name, err))
			continue
		}
		rules := dueRules(cfg.Rules, now)
		if len(rules) == 0 {
			continue
		}
		st.Buckets++
		if err := s.scanBucket(ctx, b.Name, rules, now, &st, fail); err != nil {
			return st, err
		}
	}
	return st, errors.Join(errs...)
}

// dueRules returns the enabled rules that can expire something at now
// (a Date rule whose date is still ahead cannot).
func dueRules(rules []Rule, now time.Time) []Rule {
	var out []Rule
	for _, r := range rules {
		if r.Status != Enabled || (!r.Expiration.Date.IsZero() && now.Before(r.Expiration.Date)) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// listPrefixes returns the fewest prefixes whose listings cover every
// rule's prefix, sorted: no returned prefix starts with another, so no
// object is listed twice.
func listPrefixes(rules []Rule) []string {
	ps := make([]string, 0, len(rules))
	for _, r := range rules {
		ps = append(ps, r.Filter.Prefix)
	}
	sort.Strings(ps)
	out := ps[:0]
	for _, p := range ps {
		if len(out) > 0 && strings.HasPrefix(p, out[len(out)-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// scanBucket lists bucket under the rules' prefixes and deletes what is
// expired. Per-object failures go to fail; it returns only ctx's error or
// ErrNotLeader, which end the scan.
func (s *Scanner) scanBucket(ctx context.Context, bucket string, rules []Rule, now time.Time, st *Stats, fail func(error)) error {
	for _, prefix := range listPrefixes(rules) {
		marker := ""
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !s.leader() {
				return ErrNotLeader
			}
			page, err := s.objects.ListObjects(ctx, bucket, prefix, marker, "", s.cfg.BatchSize)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s.log.Warn("lifecycle: listing failed, bucket skipped", "bucket", bucket, "prefix", prefix, "err", err)
				fail(fmt.Errorf("bucket %s: list %q: %w", bucket, prefix, err))
				break
			}
			for i := range page.Objects {
				o := &page.Objects[i]
				st.Scanned++
				if exp, ok := Expiry(rules, o.Key, o.Tags, o.ModTime); !ok || now.Before(exp) {
					continue
				}
				deleted, err := s.expire(ctx, bucket, o.Key, rules, now)
				switch {
				case err != nil && ctx.Err() != nil:
					return ctx.Err()
				case err != nil:
					s.log.Warn("lifecycle: delete failed", "bucket", bucket, "key", o.Key, "err", err)
					fail(fmt.Errorf("bucket %s: key %q: %w", bucket, o.Key, err))
				case deleted:
					st.Expired++
					s.log.Debug("lifecycle: expired object deleted", "bucket", bucket, "key", o.Key)
				}
			}
			if !page.IsTruncated || page.NextMarker == "" {
				break
			}
			marker = page.NextMarker
		}
	}
	return nil
}

// expire deletes bucket/key if its current metadata is still expired (it
// may have been overwritten or deleted since it was listed).
func (s *Scanner) expire(ctx context.Context, bucket, key string, rules []Rule, now time.Time) (bool, error) {
	oi, err := s.objects.StatObject(ctx, bucket, key)
	if errors.Is(err, erasure.ErrObjectNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if exp, ok := Expiry(rules, key, oi.Tags, oi.ModTime); !ok || now.Before(exp) {
		return false, nil
	}
	if err := s.objects.DeleteObject(ctx, bucket, key); err != nil {
		return false, err
	}
	return true, nil
}
