package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tessera-s3/tessera/s3api"
)

// target is a webhook to post to.
type target struct {
	endpoint string
	token    string
}

// Sender posts audit events to a webhook in the background. Create it with
// New, start its goroutine with Start, stop it with Close. Emit, Observe,
// SetTarget, Enabled and Stats are safe for concurrent use and never block.
type Sender struct {
	cfg Config
	log *slog.Logger
	hc  *http.Client

	target atomic.Pointer[target]
	queue  chan *Event

	mu      sync.Mutex // guards started and closed transitions
	started bool
	closed  atomic.Bool
	stop    chan struct{}
	done    chan struct{}
	// runCtx bounds every POST; Close cancels it when its deadline passes.
	runCtx    context.Context
	cancelRun context.CancelFunc

	sent, dropFull, failed, dropShutdown, dropDisabled atomic.Uint64

	// Owned by the run goroutine.
	buf     bytes.Buffer
	failing bool
}

// Stats are the Sender's counters since New. Every event passed to Emit
// while a target was set ends up in exactly one of the counters (or is
// still Queued or in flight).
type Stats struct {
	// Sent events were accepted by the webhook (2xx).
	Sent uint64
	// DroppedBufferFull events found the queue full.
	DroppedBufferFull uint64
	// Failed events were dropped after the webhook failed (connection
	// error, timeout, non-2xx) on every try.
	Failed uint64
	// DroppedShutdown events were still queued when Close's deadline passed
	// (or were emitted after Close).
	DroppedShutdown uint64
	// DroppedDisabled events were queued when the target was removed.
	DroppedDisabled uint64
	// Queued events wait in the buffer now.
	Queued int
	// Enabled is true while a target is set.
	Enabled bool
}

// New validates cfg and returns a Sender with no target (disabled). It does
// not start a goroutine: call Start.
func New(cfg Config) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Sender{
		cfg: cfg, log: cfg.Logger,
		hc: &http.Client{
			Timeout: cfg.Timeout, Transport: cfg.Transport,
			// A redirect is an answer other than 2xx: the events (and the
			// bearer token) go only to the configured endpoint.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		queue: make(chan *Event, cfg.BufferSize),
		stop:  make(chan struct{}), done: make(chan struct{}),
		runCtx: ctx, cancelRun: cancel,
	}, nil
}

// SetTarget switches the webhook: events are posted to endpoint with
// "Authorization: Bearer token" (no Authorization header when token is
// empty). An empty endpoint disables the sender: Emit then does nothing.
func (s *Sender) SetTarget(endpoint, token string) {
	if endpoint == "" {
		s.target.Store(nil)
		return
	}
	s.target.Store(&target{endpoint: endpoint, token: token})
}

// Enabled reports whether a target is set. Callers use it to skip building
// events nobody will receive.
func (s *Sender) Enabled() bool { return s.target.Load() != nil }

// Emit queues ev for the webhook without blocking. It does nothing while
// disabled; when the queue is full ev is dropped and counted. ev must not be
// changed afterwards.
func (s *Sender) Emit(ev *Event) {
	if ev == nil || s.target.Load() == nil {
		return
	}
	if s.closed.Load() {
		s.dropShutdown.Add(1)
		return
	}
	select {
	case s.queue <- ev:
	default:
		s.dropFull.Add(1)
	}
}

// Observe is an s3api.Config.Observe hook: while enabled it builds the
// request's event (NewEvent) and emits it; while disabled it costs one
// atomic load.
func (s *Sender) Observe(ri *s3api.RequestInfo) {
	if s.target.Load() == nil {
		return
	}
	s.Emit(NewEvent(ri, s.cfg.NodeName, s.cfg.Version))
}

// Stats returns the counters.
func (s *Sender) Stats() Stats {
	return Stats{
		Sent: s.sent.Load(), DroppedBufferFull: s.dropFull.Load(), Failed: s.failed.Load(),
		DroppedShutdown: s.dropShutdown.Load(), DroppedDisabled: s.dropDisabled.Load(),
		Queued: len(s.queue), Enabled: s.Enabled(),
	}
}

// Start starts the goroutine that posts events. Calling it again, or after
// Close, does nothing.
func (s *Sender) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed.Load() {
		return
	}
	s.started = true
	go s.run()
}

// Close stops the sender: it posts the events still queued until ctx is
// done, then drops the rest (counted as DroppedShutdown), and returns once
// its goroutine has exited. It returns an error wrapping ErrFlushTimeout
// when events were dropped for lack of time. Emit after Close drops.
func (s *Sender) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return nil
	}
	s.closed.Store(true)
	started := s.started
	s.mu.Unlock()
	defer s.hc.CloseIdleConnections()
	if !started {
		s.cancelRun()
		n := s.discard()
		if n > 0 {
			return fmt.Errorf("%w: the sender never started; %d events dropped", ErrFlushTimeout, n)
		}
		return nil
	}
	before := s.dropShutdown.Load()
	close(s.stop)
	select {
	case <-s.done:
	case <-ctx.Done():
		s.cancelRun()
		<-s.done
	}
	s.cancelRun()
	if n := s.dropShutdown.Load() - before; n > 0 {
		return fmt.Errorf("%w: %d events dropped", ErrFlushTimeout, n)
	}
	return nil
}

// discard drops what is queued, counting it as DroppedShutdown.
func (s *Sender) discard() uint64 {
	var n uint64
	for {
		select {
		case <-s.queue:
			n++
		default:
			s.dropShutdown.Add(n)
			return n
		}
	}
}

// run is the sender goroutine.
func (s *Sender) run() {
	defer close(s.done)
	batch := make([]*Event, 0, s.cfg.BatchSize)
	var timer *time.Timer
	if s.cfg.FlushInterval > 0 {
		timer = time.NewTimer(time.Hour)
		timer.Stop()
	}
	for {
		select {
		case <-s.stop:
			s.drain(batch)
			return
		case ev := <-s.queue:
			batch = s.fill(append(batch[:0], ev), timer)
			s.post(batch, s.cfg.Retries)
			clear(batch)
		}
	}
}

// fill adds queued events to batch until it is full, waiting up to
// FlushInterval for more.
func (s *Sender) fill(batch []*Event, timer *time.Timer) []*Event {
	for len(batch) < s.cfg.BatchSize {
		select {
		case ev := <-s.queue:
			batch = append(batch, ev)
			continue
		default:
		}
		break
	}
	if timer == nil || len(batch) == s.cfg.BatchSize {
		return batch
	}
	timer.Reset(s.cfg.FlushInterval)
	defer timer.Stop()
	for len(batch) < s.cfg.BatchSize {
		select {
		case ev := <-s.queue:
			batch = append(batch, ev)
		case <-timer.C:
			return batch
		case <-s.stop:
			return batch
		}
	}
	return batch
}

// drain posts what is queued (no retries) until the queue is empty or
// runCtx is cancelled, then drops the rest.
func (s *Sender) drain(batch []*Event) {
	for s.runCtx.Err() == nil {
		batch = batch[:0]
	take:
		for len(batch) < s.cfg.BatchSize {
			select {
			case ev := <-s.queue:
				batch = append(batch, ev)
			default:
				break take
			}
		}
		if len(batch) == 0 {
			return
		}
		s.post(batch, 0)
		clear(batch)
	}
	s.discard()
}

// post sends batch to the current target, trying retries more times, and
// counts the outcome.
func (s *Sender) post(batch []*Event, retries int) {
	n := uint64(len(batch))
	t := s.target.Load()
	if t == nil {
		s.dropDisabled.Add(n)
		return
	}
	s.buf.Reset()
	enc := json.NewEncoder(&s.buf)
	for _, ev := range batch {
		if err := enc.Encode(ev); err != nil {
			// An Event holds only strings, numbers and a time: this
			// cannot happen, but never lose count of an event.
			s.failed.Add(n)
			s.log.Error("audit event does not encode", "err", err)
			return
		}
	}
	var err error
	for attempt := 0; ; attempt++ {
		if err = s.send(t, s.buf.Bytes()); err == nil {
			s.sent.Add(n)
			if s.failing {
				s.failing = false
				s.log.Info("audit webhook reachable again", "endpoint", t.endpoint)
			}
			return
		}
		if attempt >= retries || !s.wait(s.cfg.RetryBackoff) {
			break
		}
	}
	if s.runCtx.Err() != nil {
		s.dropShutdown.Add(n)
		return
	}
	s.failed.Add(n)
	if !s.failing {
		s.failing = true
		s.log.Warn("audit webhook failing; events are dropped until it answers again",
			"endpoint", t.endpoint, "err", err)
	}
}

// wait sleeps d unless the sender is stopping; it reports whether it slept.
func (s *Sender) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stop:
		return false
	case <-s.runCtx.Done():
		return false
	}
}

// send POSTs one NDJSON body.
func (s *Sender) send(t *target, body []byte) error {
	req, err := http.NewRequestWithContext(s.runCtx, http.MethodPost, t.endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("audit: webhook endpoint %q: %w", t.endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("User-Agent", "tessera-audit/"+s.cfg.Version)
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	// Read a little of the answer so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{StatusCode: resp.StatusCode}
	}
	return nil
}
