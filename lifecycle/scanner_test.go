package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/raftfsm"
)

var bg = context.Background()

// testEnv is a real erasure.Store over four drive folders and a real
// single-node raftfsm.Store, both in t.TempDir().
type testEnv struct {
	objects *erasure.Store
	raft    *raftfsm.Store
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	dir := t.TempDir()
	ec := erasure.DefaultConfig()
	for i := range 4 {
		d := filepath.Join(dir, "drives", fmt.Sprint("d", i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		ec.Drives = append(ec.Drives, d)
	}
	ec.Sync = false
	ec.HealthInterval = -1
	ec.Logger = quiet
	objs, err := erasure.Open(ec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objs.Close() })
	rc := raftfsm.DefaultConfig()
	rc.Dir = filepath.Join(dir, "raft")
	rc.BindAddr = "127.0.0.1:0"
	rc.Logger = quiet
	rs, err := raftfsm.Open(rc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	if err := rs.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	return &testEnv{objects: objs, raft: rs}
}

// bucket creates a bucket with the lifecycle configuration doc (XML; ""
// for none). The configuration is removed when t ends, so that tests
// sharing the env each scan only their own buckets.
func (e *testEnv) bucket(t *testing.T, name, doc string) {
	t.Helper()
	if err := e.raft.CreateBucket(bg, raftfsm.Bucket{Name: name, Owner: "root", Created: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.raft.SetBucketLifecycle(bg, name, ""); err != nil {
			t.Error(err)
		}
	})
	if doc == "" {
		return
	}
	c, err := ParseXML([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.raft.SetBucketLifecycle(bg, name, s); err != nil {
		t.Fatal(err)
	}
}

func (e *testEnv) put(t *testing.T, bucket, key, tags string, mod time.Time) {
	t.Helper()
	data := "data of " + key
	if _, err := e.objects.PutObject(bg, bucket, key, strings.NewReader(data), int64(len(data)),
		erasure.PutOptions{Tags: tags, ModTime: mod}); err != nil {
		t.Fatal(err)
	}
}

// keys lists every key of bucket.
func (e *testEnv) keys(t *testing.T, bucket string) []string {
	t.Helper()
	res, err := e.objects.ListObjects(bg, bucket, "", "", "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range res.Objects {
		out = append(out, o.Key)
	}
	return out
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(s string) *clock   { return &clock{now: at(s)} }
func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }
func (c *clock) String() string  { return c.Now().Format(time.RFC3339) }

// at parses an RFC 3339 time.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// equal reports whether a and b hold the same strings, in any order.
func equal(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func (e *testEnv) scanner(t *testing.T, c *clock, batch int) *Scanner {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Now = c.Now
	cfg.BatchSize = batch
	cfg.Logger = quiet
	s, err := NewScanner(cfg, e.raft, e.objects)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const rulesDoc = `<LifecycleConfiguration>
  <Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>
  <Rule><ID>temp</ID><Filter><Tag><Key>temp</Key><Value>yes</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>
  <Rule><ID>keep</ID><Filter><Prefix>keep/</Prefix></Filter><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>
  <Rule><ID>dated</ID><Filter><Prefix>dated/</Prefix></Filter><Status>Enabled</Status><Expiration><Date>2026-03-01T00:00:00Z</Date></Expiration></Rule>
</LifecycleConfiguration>`

func testRunOnce(t *testing.T, e *testEnv) {
	mod := at("2026-01-15T10:30:00Z")
	e.bucket(t, "lc", rulesDoc)
	e.bucket(t, "plain", "")
	var logs []string
	for i := range 7 {
		k := fmt.Sprintf("logs/%02d", i)
		logs = append(logs, k)
		e.put(t, "lc", k, "", mod)
	}
	e.put(t, "lc", "logs/young", "", mod.Add(24*time.Hour)) // written a day later
	e.put(t, "lc", "tmp/x", "temp=yes", mod)
	e.put(t, "lc", "logs-not/x", "", mod)
	e.put(t, "lc", "tmp/y", "temp=no&other=1", mod)
	e.put(t, "lc", "keep/k", "temp=no", mod)
	e.put(t, "lc", "dated/d", "", mod)
	e.put(t, "lc", "other/o", "", mod)
	e.put(t, "plain", "logs/p", "temp=yes", mod)
	all := e.keys(t, "lc")

	c := newClock("2026-01-16T23:59:59Z")
	s := e.scanner(t, c, 3) // small pages: the listing is paged
	run := func(wantExpired int64, wantGone ...string) {
		t.Helper()
		before := e.keys(t, "lc")
		st, err := s.RunOnce(bg)
		if err != nil {
			t.Fatalf("at %v: %v", c, err)
		}
		if st.Expired != wantExpired || st.Errors != 0 || st.Buckets != 1 {
			t.Fatalf("at %v: stats %+v, want %d expired", c, st, wantExpired)
		}
		var want []string
		for _, k := range before {
			if !strings.Contains("\n"+strings.Join(wantGone, "\n")+"\n", "\n"+k+"\n") {
				want = append(want, k)
			}
		}
		if got := e.keys(t, "lc"); !equal(got, want) {
			t.Fatalf("at %v: objects\n got %q\nwant %q", c, got, want)
		}
		if got := e.keys(t, "plain"); len(got) != 1 {
			t.Fatalf("bucket without lifecycle changed: %q", got)
		}
	}

	// One second before logs/ expire (2026-01-17T00:00Z): nothing goes.
	run(0)
	// At midnight the logs/ objects of the 15th expire, exactly those.
	c.Set(at("2026-01-17T00:00:00Z"))
	run(7, logs...)
	// The one written on the 16th expires a day later.
	c.Set(at("2026-01-17T23:59:59Z"))
	run(0)
	c.Set(at("2026-01-18T00:00:00Z"))
	run(1, "logs/young")
	// The tagged one (3 days) expires on the 19th; temp=no stays.
	c.Set(at("2026-01-18T23:59:59Z"))
	run(0)
	c.Set(at("2026-01-19T00:00:00Z"))
	run(1, "tmp/x")
	// The Date rule, on its date.
	c.Set(at("2026-02-28T23:59:59Z"))
	run(0)
	c.Set(at("2026-03-01T00:00:00Z"))
	run(1, "dated/d")
	// Years later the rest is still there: no rule (or a disabled one)
	// matches it.
	c.Set(at("2036-01-01T00:00:00Z"))
	run(0)
	want := []string{"keep/k", "logs-not/x", "other/o", "tmp/y"}
	if got := e.keys(t, "lc"); !equal(got, want) || len(all) != 14 {
		t.Fatalf("survivors %q, want %q (of %d)", got, want, len(all))
	}
}

func testBadStoredConfig(t *testing.T, e *testEnv) {
	mod := at("2026-01-15T10:30:00Z")
	e.bucket(t, "bad", "")
	if err := e.raft.SetBucketLifecycle(bg, "bad", `{"rules":[{"id":"r1","days":30}]}`); err != nil {
		t.Fatal(err)
	}
	e.bucket(t, "good", rulesDoc)
	e.put(t, "bad", "logs/a", "", mod)
	e.put(t, "good", "logs/a", "", mod)
	s := e.scanner(t, newClock("2027-01-01T00:00:00Z"), 100)
	st, err := s.RunOnce(bg)
	if !errors.Is(err, ErrBadStoredConfig) || !strings.Contains(err.Error(), "bucket bad") {
		t.Fatalf("err = %v", err)
	}
	if st.Errors != 1 || st.Expired != 1 || st.Buckets != 1 {
		t.Fatalf("stats %+v", st)
	}
	if got := e.keys(t, "bad"); len(got) != 1 {
		t.Fatalf("bad bucket touched: %q", got)
	}
	if got := e.keys(t, "good"); len(got) != 0 {
		t.Fatalf("good bucket not scanned: %q", got)
	}
}

// overwriter is the real store, except that the first listing of key is
// followed by a client overwriting key (fault injection: the overwrite
// lands between the Scanner's listing and its delete).
type overwriter struct {
	*erasure.Store
	key  string
	now  func() time.Time
	done atomic.Bool
}

func (o *overwriter) ListObjects(ctx context.Context, bucket, prefix, marker, delimiter string, maxKeys int) (erasure.ListObjectsResult, error) {
	res, err := o.Store.ListObjects(ctx, bucket, prefix, marker, delimiter, maxKeys)
	if err == nil && !o.done.Swap(true) {
		_, err = o.Store.PutObject(ctx, bucket, o.key, strings.NewReader("new"), 3, erasure.PutOptions{ModTime: o.now()})
	}
	return res, err
}

func testKeepsObjectOverwrittenSinceListing(t *testing.T, e *testEnv) {
	e.bucket(t, "ow", rulesDoc)
	e.put(t, "ow", "logs/a", "", at("2026-01-15T10:30:00Z"))
	e.put(t, "ow", "logs/b", "", at("2026-01-15T10:30:00Z"))
	c := newClock("2026-01-20T00:00:00Z")
	cfg := DefaultConfig()
	cfg.Now, cfg.Logger = c.Now, quiet
	s, err := NewScanner(cfg, e.raft, &overwriter{Store: e.objects, key: "logs/a", now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.RunOnce(bg)
	if err != nil || st.Expired != 1 || st.Scanned != 2 {
		t.Fatalf("RunOnce = %+v, %v", st, err)
	}
	if got := e.keys(t, "ow"); !equal(got, []string{"logs/a"}) {
		t.Fatalf("objects %q: the overwritten one must stay", got)
	}
}

func testLeaderOnly(t *testing.T, e *testEnv) {
	e.bucket(t, "lead", rulesDoc)
	e.put(t, "lead", "logs/a", "", at("2026-01-15T10:30:00Z"))
	var leader atomic.Bool
	c := newClock("2026-02-01T00:00:00Z")
	cfg := DefaultConfig()
	cfg.Now, cfg.Logger, cfg.IsLeader = c.Now, quiet, leader.Load
	cfg.Interval = time.Millisecond
	s, err := NewScanner(cfg, e.raft, e.objects)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunOnce(bg); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("RunOnce on a follower = %v", err)
	}
	if len(e.keys(t, "lead")) != 1 {
		t.Fatal("a follower deleted")
	}

	// Run scans once the node leads.
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	leader.Store(true)
	deadline := time.Now().Add(10 * time.Second)
	for len(e.keys(t, "lead")) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not expire the object")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}

func testContextCancelled(t *testing.T, e *testEnv) {
	e.bucket(t, "cancel", rulesDoc)
	e.put(t, "cancel", "logs/a", "", at("2026-01-15T10:30:00Z"))
	s := e.scanner(t, newClock("2026-02-01T00:00:00Z"), 10)
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := s.RunOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunOnce = %v", err)
	}
	if len(e.keys(t, "cancel")) != 1 {
		t.Fatal("deleted after cancel")
	}
}

func TestListPrefixes(t *testing.T) {
	r := func(ps ...string) []Rule {
		var out []Rule
		for _, p := range ps {
			out = append(out, Rule{Filter: Filter{Prefix: p}})
		}
		return out
	}
	tests := []struct {
		rules []Rule
		want  string
	}{
		{r("logs/", "tmp/"), "logs/|tmp/"},
		{r("logs/debug/", "logs/", "logs/x"), "logs/"},
		{r("a", "", "b"), ""},
		{r("b/", "a/", "a/", "ab"), "a/|ab|b/"},
	}
	for _, tt := range tests {
		if got := strings.Join(listPrefixes(tt.rules), "|"); got != tt.want {
			t.Errorf("listPrefixes = %q, want %q", got, tt.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		field string
		mod   func(*Config)
	}{
		{"Interval", func(c *Config) { c.Interval = 0 }},
		{"Interval", func(c *Config) { c.Interval = 8 * 24 * time.Hour }},
		{"BatchSize", func(c *Config) { c.BatchSize = 0 }},
		{"BatchSize", func(c *Config) { c.BatchSize = MaxBatchSize + 1 }},
		{"Now", func(c *Config) { c.Now = nil }},
	} {
		c := DefaultConfig()
		tt.mod(&c)
		err := c.Validate()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: Validate = %v", tt.field, err)
		}
	}
	if _, err := NewScanner(DefaultConfig(), nil, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("NewScanner without stores = %v", err)
	}
}

// TestScanner runs the scanner tests against one shared env (opening Raft
// costs an election); each uses its own buckets.
func TestScanner(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *testEnv)
	}{
		{"RunOnce", testRunOnce},
		{"BadStoredConfig", testBadStoredConfig},
		{"KeepsObjectOverwrittenSinceListing", testKeepsObjectOverwrittenSinceListing},
		{"LeaderOnly", testLeaderOnly},
		{"ContextCancelled", testContextCancelled},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, e) })
	}
}
