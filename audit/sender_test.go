package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// hook is a webhook receiver.
type hook struct {
	srv *httptest.Server

	mu       sync.Mutex
	events   []Event
	auth     []string // Authorization of each POST
	ctype    []string
	posts    int
	status   int           // answer (default 200)
	block    chan struct{} // when set, POSTs wait for it to close
	received chan struct{} // signalled on every POST (when room)
	discard  bool          // count only, keep no events
	count    int           // events accepted
}

func newHook(t testing.TB) *hook {
	h := &hook{status: 200, received: make(chan struct{}, 1000)}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) serve(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.posts++
	block, status := h.block, h.status
	h.auth = append(h.auth, r.Header.Get("Authorization"))
	h.ctype = append(h.ctype, r.Header.Get("Content-Type"))
	h.mu.Unlock()
	select {
	case h.received <- struct{}{}:
	default:
	}
	if block != nil {
		select {
		case <-block:
		case <-r.Context().Done():
			return
		}
	}
	var evs []Event
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			http.Error(w, "bad line: "+err.Error(), 400)
			return
		}
		evs = append(evs, ev)
	}
	if status/100 == 2 {
		h.mu.Lock()
		h.count += len(evs)
		if !h.discard {
			h.events = append(h.events, evs...)
		}
		h.mu.Unlock()
	}
	w.WriteHeader(status)
}

func (h *hook) snapshot() (events []Event, auth []string, posts int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Event(nil), h.events...), append([]string(nil), h.auth...), h.posts
}

func testConfig() Config {
	c := DefaultConfig()
	c.FlushInterval = 5 * time.Millisecond
	c.RetryBackoff = 5 * time.Millisecond
	c.Timeout = 2 * time.Second
	c.NodeName, c.Version = "node-t", "v-test"
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return c
}

func newSender(t *testing.T, cfg Config) *Sender {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func ev(i int) *Event {
	return &Event{Version: EventVersion, Node: "node-t", API: API{Name: "PutObject", Bucket: "b", Object: fmt.Sprintf("k%d", i), StatusCode: 200}}
}

func TestDelivery(t *testing.T) {
	h := newHook(t)
	s := newSender(t, testConfig())
	s.SetTarget(h.srv.URL+"/audit", "tok-123")
	ri, _ := requestInfo(t)
	s.Observe(ri)
	for i := 0; i < 250; i++ {
		s.Emit(ev(i))
	}
	waitFor(t, "251 events", func() bool { e, _, _ := h.snapshot(); return len(e) == 251 })
	evs, auth, posts := h.snapshot()
	got := evs[0]
	if got.API.Name != "GetObject" || got.API.Bucket != "photos" || got.API.Object != "2024/cat.jpg" ||
		got.API.StatusCode != 404 || got.RequestID != "17A2B3C4D5E6F708" || got.AccessKey != "svcacct1" ||
		got.ParentUser != "alice" || got.Node != "node-t" || got.TesseraVersion != "v-test" ||
		got.RequestHeader["Authorization"] != Redacted {
		t.Fatalf("first event: %+v", got)
	}
	for i, e := range evs[1:] {
		if want := fmt.Sprintf("k%d", i); e.API.Object != want {
			t.Fatalf("event %d object %q, want %q (order kept)", i+1, e.API.Object, want)
		}
	}
	for _, a := range auth {
		if a != "Bearer tok-123" {
			t.Fatalf("Authorization %q", a)
		}
	}
	if posts < 3 {
		t.Fatalf("%d POSTs for 251 events in batches of at most 100", posts)
	}
	if c := h.ctype[0]; c != "application/x-ndjson" {
		t.Fatalf("Content-Type %q", c)
	}
	st := s.Stats()
	if st.Sent != 251 || st.Failed != 0 || st.DroppedBufferFull != 0 || !st.Enabled {
		t.Fatalf("stats %+v", st)
	}
}

func TestNoTokenNoAuthorization(t *testing.T) {
	h := newHook(t)
	s := newSender(t, testConfig())
	s.SetTarget(h.srv.URL, "")
	s.Emit(ev(1))
	waitFor(t, "1 event", func() bool { e, _, _ := h.snapshot(); return len(e) == 1 })
	if _, auth, _ := h.snapshot(); auth[0] != "" {
		t.Fatalf("Authorization %q without a token", auth[0])
	}
}

// closedPort returns the URL of a port nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/audit"
}

func TestWebhookDown(t *testing.T) {
	base := runtime.NumGoroutine()
	cfg := testConfig()
	cfg.BufferSize = 100000
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	s.SetTarget(closedPort(t), "tok")
	const n = 5000
	ri, _ := requestInfo(t)
	start := time.Now()
	for i := 0; i < n; i++ {
		s.Observe(ri)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("%d Observe calls took %s with the webhook down", n, d)
	}
	waitFor(t, "every event accounted for", func() bool {
		st := s.Stats()
		return st.Failed+st.DroppedBufferFull == n
	})
	if st := s.Stats(); st.Failed == 0 || st.Sent != 0 {
		t.Fatalf("stats %+v", st)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "no goroutine left", func() bool { return runtime.NumGoroutine() <= base })
}

func TestNon2xxRetriedThenFailed(t *testing.T) {
	h := newHook(t)
	h.status = 503
	cfg := testConfig()
	cfg.Retries = 2
	s := newSender(t, cfg)
	s.SetTarget(h.srv.URL, "")
	s.Emit(ev(1))
	waitFor(t, "failure counted", func() bool { return s.Stats().Failed == 1 })
	if _, _, posts := h.snapshot(); posts != 3 {
		t.Fatalf("%d POSTs, want 1 + 2 retries", posts)
	}
	// The webhook recovers: later events are delivered.
	h.mu.Lock()
	h.status = 204
	h.mu.Unlock()
	s.Emit(ev(2))
	waitFor(t, "recovery", func() bool { return s.Stats().Sent == 1 })
}

func TestRedirectNotFollowed(t *testing.T) {
	h := newHook(t)
	redir := httptest.NewServer(http.RedirectHandler(h.srv.URL, http.StatusTemporaryRedirect))
	defer redir.Close()
	cfg := testConfig()
	cfg.Retries = 0
	s := newSender(t, cfg)
	s.SetTarget(redir.URL, "tok")
	s.Emit(ev(1))
	waitFor(t, "failure counted", func() bool { return s.Stats().Failed == 1 })
	if _, _, posts := h.snapshot(); posts != 0 {
		t.Fatalf("the redirect was followed: %d POSTs reached its target", posts)
	}
}

func TestTimeoutCountsFailed(t *testing.T) {
	h := newHook(t)
	h.block = make(chan struct{})
	defer close(h.block)
	cfg := testConfig()
	cfg.Timeout = 50 * time.Millisecond
	cfg.Retries = 0
	s := newSender(t, cfg)
	s.SetTarget(h.srv.URL, "")
	s.Emit(ev(1))
	waitFor(t, "timeout counted", func() bool { return s.Stats().Failed == 1 })
}

func TestBufferFull(t *testing.T) {
	h := newHook(t)
	h.block = make(chan struct{})
	cfg := testConfig()
	cfg.BufferSize, cfg.BatchSize, cfg.FlushInterval = 4, 1, 0
	s := newSender(t, cfg)
	s.SetTarget(h.srv.URL, "")
	s.Emit(ev(0))
	<-h.received // the first event is in flight; the queue is empty
	start := time.Now()
	for i := 1; i <= 10; i++ {
		s.Emit(ev(i))
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("Emit blocked for %s on a full buffer", d)
	}
	if st := s.Stats(); st.DroppedBufferFull != 6 || st.Queued != 4 {
		t.Fatalf("stats %+v, want 6 dropped and 4 queued", st)
	}
	close(h.block)
	waitFor(t, "5 sent", func() bool { return s.Stats().Sent == 5 })
	evs, _, _ := h.snapshot()
	for i, want := range []string{"k0", "k1", "k2", "k3", "k4"} {
		if evs[i].API.Object != want {
			t.Fatalf("event %d is %s, want %s", i, evs[i].API.Object, want)
		}
	}
}

func TestRetargetAndDisable(t *testing.T) {
	a, b := newHook(t), newHook(t)
	s := newSender(t, testConfig())
	if s.Enabled() {
		t.Fatal("enabled before SetTarget")
	}
	s.Emit(ev(0)) // disabled: nothing happens, nothing counted
	if st := s.Stats(); st != (Stats{}) {
		t.Fatalf("disabled Emit changed stats: %+v", st)
	}
	s.SetTarget(a.srv.URL, "token-a")
	s.Emit(ev(1))
	waitFor(t, "a got 1", func() bool { e, _, _ := a.snapshot(); return len(e) == 1 })
	s.SetTarget(b.srv.URL, "token-b")
	s.Emit(ev(2))
	waitFor(t, "b got 1", func() bool { e, _, _ := b.snapshot(); return len(e) == 1 })
	if _, auth, _ := b.snapshot(); auth[0] != "Bearer token-b" {
		t.Fatalf("b saw Authorization %q", auth[0])
	}
	if e, _, _ := a.snapshot(); len(e) != 1 {
		t.Fatalf("a got %d events after the switch", len(e))
	}
	s.SetTarget("", "")
	before := s.Stats()
	s.Emit(ev(3))
	after := s.Stats()
	if after.Enabled || after.Sent != before.Sent || after.DroppedBufferFull != 0 || after.Queued != 0 {
		t.Fatalf("after disable: %+v", after)
	}
}

func TestDisableDropsQueued(t *testing.T) {
	h := newHook(t)
	h.block = make(chan struct{})
	cfg := testConfig()
	cfg.BatchSize, cfg.FlushInterval = 1, 0
	s := newSender(t, cfg)
	s.SetTarget(h.srv.URL, "")
	s.Emit(ev(0))
	<-h.received
	s.Emit(ev(1))
	s.Emit(ev(2))
	s.SetTarget("", "")
	close(h.block)
	waitFor(t, "accounting", func() bool { st := s.Stats(); return st.Sent == 1 && st.DroppedDisabled == 2 })
}

func TestCloseFlushes(t *testing.T) {
	h := newHook(t)
	cfg := testConfig()
	cfg.FlushInterval = time.Minute // only Close makes these go out
	cfg.BatchSize = 1000
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	s.SetTarget(h.srv.URL, "")
	for i := 0; i < 50; i++ {
		s.Emit(ev(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if e, _, _ := h.snapshot(); len(e) != 50 {
		t.Fatalf("webhook got %d of 50 events at Close", len(e))
	}
	s.Emit(ev(99))
	if st := s.Stats(); st.Sent != 50 || st.DroppedShutdown != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCloseBounded(t *testing.T) {
	h := newHook(t)
	h.block = make(chan struct{})
	defer close(h.block)
	cfg := testConfig()
	cfg.BatchSize, cfg.FlushInterval = 1, 0
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	s.SetTarget(h.srv.URL, "")
	for i := 0; i < 10; i++ {
		s.Emit(ev(i))
	}
	<-h.received
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Close(ctx)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %s with a 100ms deadline", d)
	}
	if !errors.Is(err, ErrFlushTimeout) {
		t.Fatalf("Close: %v, want ErrFlushTimeout", err)
	}
	if st := s.Stats(); st.DroppedShutdown != 10 || st.Sent != 0 {
		t.Fatalf("stats %+v, want all 10 dropped at shutdown", st)
	}
}

func TestCloseNeverStarted(t *testing.T) {
	s, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	s.SetTarget("http://127.0.0.1:1/", "")
	s.Emit(ev(1))
	if err := s.Close(context.Background()); !errors.Is(err, ErrFlushTimeout) {
		t.Fatalf("Close: %v", err)
	}
	s.Start() // no effect after Close
	if st := s.Stats(); st.DroppedShutdown != 1 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestBadEndpointCountsFailed(t *testing.T) {
	s := newSender(t, testConfig())
	s.SetTarget("http://[::1", "")
	s.Emit(ev(1))
	waitFor(t, "failure", func() bool { return s.Stats().Failed == 1 })
}

func TestCollectors(t *testing.T) {
	h := newHook(t)
	s := newSender(t, testConfig())
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Collectors()...)
	s.SetTarget(h.srv.URL, "")
	s.Emit(ev(1))
	waitFor(t, "sent", func() bool { return s.Stats().Sent == 1 })
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			got[name] = v
		}
	}
	for name, want := range map[string]float64{
		"tessera_audit_events_sent_total":                          1,
		"tessera_audit_events_dropped_total{reason=buffer_full}":   0,
		"tessera_audit_events_dropped_total{reason=webhook_error}": 0,
		"tessera_audit_webhook_enabled":                            1,
		"tessera_audit_queue_events":                               0,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field string
		mod   func(*Config)
	}{
		{"BufferSize", func(c *Config) { c.BufferSize = 0 }},
		{"BatchSize", func(c *Config) { c.BatchSize = 10001 }},
		{"FlushInterval", func(c *Config) { c.FlushInterval = -1 }},
		{"Timeout", func(c *Config) { c.Timeout = 0 }},
		{"Retries", func(c *Config) { c.Retries = 6 }},
		{"RetryBackoff", func(c *Config) { c.RetryBackoff = time.Hour }},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		err := c.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.field, err)
		}
		if _, err := New(c); err == nil {
			t.Errorf("New accepted bad %s", tc.field)
		}
	}
}
