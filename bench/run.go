package bench

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// errExhausted is returned by a workload step when no work is left (the
// delete workload has deleted every key).
var errExhausted = errors.New("bench: workload exhausted")

// Snapshot is the state of a running benchmark, handed to the progress
// callback once per Config.Interval.
type Snapshot struct {
	// Elapsed is the time since the timed phase started.
	Elapsed time.Duration
	// Ops, Errors and Bytes are totals since the start (Ops counts
	// successful requests only).
	Ops, Errors, Bytes int64
	// OpsPerSec, BytesPerSec and ErrorsPerSec are the rates of the last
	// interval.
	OpsPerSec, BytesPerSec, ErrorsPerSec float64
	// MeanLatency is the mean latency of the last interval's successful
	// requests.
	MeanLatency time.Duration
}

// String formats s as one progress line without a line end.
func (s Snapshot) String() string {
	return fmt.Sprintf("%6.1fs  %9.1f ops/s  %8.2f MiB/s  mean %-8s  ok %d  errors %d",
		s.Elapsed.Seconds(), s.OpsPerSec, s.BytesPerSec/(1<<20), fmtDur(s.MeanLatency), s.Ops, s.Errors)
}

// env is a run's shared, read-only state after setup.
type env struct {
	cfg         *Config
	cl          *client
	now         func() time.Time
	log         *slog.Logger
	creds       aws.Credentials
	pool        []aws.Credentials // sts/auth key pairs
	payload     []byte
	sizes       sizePicker
	bucketPath  string // "/bucket"
	keyBase     string // "/bucket/escaped-prefix" + "obj-"
	listQuery   string
	stsForm     []byte
	stsFormHash string
	seq         atomic.Int64 // round-robin key counter
	workers     []*worker
	created     []string // users created by setup
}

func (e *env) objectPath(key int) string { return e.keyBase + strconv.Itoa(key) }

// objectKey is the unescaped key of object number i.
func objectKey(prefix string, i int) string { return prefix + "obj-" + strconv.Itoa(i) }

func queryEscape(s string) string { return url.QueryEscape(s) }

func xmlUnescape(s string) string { return html.UnescapeString(s) }

// payloadCap bounds the shared random buffer; larger objects cycle over it.
const payloadCap = 128 << 20

// Run prepares the endpoint for cfg.Workload, runs it for cfg.Duration or
// cfg.Ops steps, and returns the result. progress, when not nil, is called
// from one goroutine once per cfg.Interval. Cancelling ctx during the timed
// phase ends it early: Run then returns the partial result with Interrupted
// set and no error. Errors of individual requests are counted in the result,
// not returned; Run fails on an invalid Config or a failed setup (ErrSetup).
func Run(ctx context.Context, cfg Config, progress func(Snapshot)) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		cfg.Seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	cl, err := newClient(&cfg)
	if err != nil {
		return nil, err
	}
	defer cl.close()
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e := &env{
		cfg: &cfg, cl: cl, now: cl.now, log: log,
		creds:      aws.Credentials{AccessKeyID: cfg.AccessKey, SecretAccessKey: cfg.SecretKey, SessionToken: cfg.SessionToken},
		sizes:      newSizePicker(cfg.Sizes),
		bucketPath: "/" + s3Escape(cfg.Bucket),
	}
	e.keyBase = e.bucketPath + "/" + s3Escape(cfg.Prefix+"obj-")
	e.listQuery = "list-type=2&max-keys=" + strconv.Itoa(cfg.ListMaxKeys) + "&prefix=" + queryEscape(cfg.Prefix)
	form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {"arn:aws:iam::000000000000:role/tessera-bench"},
		"RoleSessionName": {"tessera-bench"}, "DurationSeconds": {strconv.Itoa(int(cfg.STSDuration / time.Second))}}
	e.stsForm = []byte(form.Encode())
	sum := sha256.Sum256(e.stsForm)
	e.stsFormHash = hex.EncodeToString(sum[:])

	need := cfg.Sizes.Max()
	if cfg.Workload == WorkloadMultipart {
		need = cfg.PartSize
	}
	e.payload = make([]byte, min(max(2*need, 1<<20), payloadCap))
	seed := [32]byte{}
	binary.LittleEndian.PutUint64(seed[:], cfg.Seed)
	_, _ = mrand.NewChaCha8(seed).Read(e.payload)

	for i := 0; i < cfg.Concurrency; i++ {
		e.workers = append(e.workers, &worker{id: i, e: e, k: cl.newConn(), rng: mrand.New(mrand.NewPCG(cfg.Seed, uint64(i)+1))})
	}
	wl := newWorkload(&cfg)

	if cfg.CreateBucket && cfg.Workload != WorkloadSTS {
		if err := e.ensureBucket(); err != nil {
			return nil, err
		}
	}
	if err := wl.setup(ctx, e); err != nil {
		e.teardown()
		return nil, err
	}
	res := e.timed(ctx, wl, progress)
	e.teardown()
	return res, nil
}

// ensureBucket creates the bucket; an existing bucket of the caller is fine.
func (e *env) ensureBucket() error {
	w := e.workers[0]
	cl := w.reset(OpPut, http.MethodPut, e.bucketPath)
	cl.body = []byte{}
	r := w.k.do(cl)
	if r.ok() || r.code == "BucketAlreadyOwnedByYou" {
		return nil
	}
	return fmt.Errorf("%w: creating bucket %s: %s %s", ErrSetup, e.cfg.Bucket, r.code, r.detail)
}

// parallel runs fn(w, i) for i in [0, n) on the run's workers (without
// recording) and returns the first error.
func (e *env) parallel(ctx context.Context, n int, fn func(w *worker, i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for _, w := range e.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(w, i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}

// prefill uploads objects 0..Keys-1 with sizes from the distribution.
func (e *env) prefill(ctx context.Context) error {
	n := e.cfg.Keys
	e.log.Info("preparing objects", "count", n, "sizes", e.cfg.Sizes.String())
	start := time.Now()
	err := e.parallel(ctx, n, func(w *worker, i int) error {
		if r := w.put(i, e.sizes.pick(w.rng)); !r.ok() {
			return fmt.Errorf("%w: uploading %s: %s %s", ErrSetup, objectKey(e.cfg.Prefix, i), r.code, r.detail)
		}
		return nil
	})
	if err == nil {
		e.log.Info("objects ready", "count", n, "took", time.Since(start).Round(time.Millisecond))
	}
	return err
}

// timed is the timed phase: workers loop until the duration ends, Ops
// steps are issued, the workload is exhausted, or ctx is cancelled.
func (e *env) timed(ctx context.Context, wl workload, progress func(Snapshot)) *Result {
	cfg := e.cfg
	for _, w := range e.workers {
		w.recording = true
	}
	var stop atomic.Bool
	var issued atomic.Int64
	u0, s0 := cpuTimes()
	start := e.now()
	startMono := time.Now()
	var wg sync.WaitGroup
	for _, w := range e.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if cfg.Ops > 0 && issued.Add(1) > cfg.Ops {
					return
				}
				if wl.step(w) == errExhausted {
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	smp := newSampler(e.workers)
	var timer <-chan time.Time
	if cfg.Duration > 0 {
		t := time.NewTimer(cfg.Duration)
		defer t.Stop()
		timer = t.C
	}
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	interrupted := false
	ctxDone := ctx.Done()
loop:
	for {
		select {
		case <-done:
			break loop
		case <-timer:
			stop.Store(true)
			timer = nil
		case <-ctxDone:
			if !stop.Load() {
				interrupted = true
			}
			stop.Store(true)
			ctxDone = nil
		case <-tick.C:
			s := smp.sample(time.Since(startMono))
			if progress != nil {
				progress(s)
			}
		}
	}
	elapsed := time.Since(startMono)
	smp.final(elapsed, cfg.Interval)
	u1, s1 := cpuTimes()
	res := e.result(start, elapsed, smp.timeline)
	res.Interrupted = interrupted
	res.CPU = cpuUsage(u1-u0, s1-s0, elapsed, res.Total.Count+res.Total.Errors)
	return res
}

// teardown deletes the users setup created, unless KeepUsers.
func (e *env) teardown() {
	if len(e.created) == 0 || e.cfg.KeepUsers {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := e.deleteUsers(ctx); err != nil {
		e.log.Warn("deleting bench users", "err", err)
	}
}

// sampler turns the workers' counters into timeline samples.
type sampler struct {
	workers  []*worker
	last     [numOps]counters
	lastAt   time.Duration
	timeline []Sample
}

type counters struct{ ok, errs, bytes, latNs int64 }

func newSampler(ws []*worker) *sampler { return &sampler{workers: ws} }

func (s *sampler) read() (c [numOps]counters) {
	for _, w := range s.workers {
		for op := range numOps {
			st := &w.stats[op]
			c[op].ok += st.ok.Load()
			c[op].errs += st.errs.Load()
			c[op].bytes += st.bytes.Load()
			c[op].latNs += st.latNs.Load()
		}
	}
	return c
}

// sample appends the interval ending at elapsed to the timeline and
// returns the progress snapshot.
func (s *sampler) sample(elapsed time.Duration) Snapshot {
	cur := s.read()
	dt := (elapsed - s.lastAt).Seconds()
	smp := Sample{T: elapsed.Seconds(), Dt: dt}
	snap := Snapshot{Elapsed: elapsed}
	var iOK, iErr, iBytes, iLat int64
	for op := range numOps {
		c, l := cur[op], s.last[op]
		snap.Ops += c.ok
		snap.Errors += c.errs
		snap.Bytes += c.bytes
		dOK, dErr, dBytes, dLat := c.ok-l.ok, c.errs-l.errs, c.bytes-l.bytes, c.latNs-l.latNs
		iOK, iErr, iBytes, iLat = iOK+dOK, iErr+dErr, iBytes+dBytes, iLat+dLat
		if c.ok+c.errs == 0 {
			continue
		}
		o := OpSample{Op: op.String(), Ops: dOK, Errors: dErr, Bytes: dBytes}
		if dOK > 0 {
			o.MeanLatency = time.Duration(dLat / dOK)
		}
		smp.Ops = append(smp.Ops, o)
	}
	if dt > 0 {
		snap.OpsPerSec, snap.BytesPerSec, snap.ErrorsPerSec = float64(iOK)/dt, float64(iBytes)/dt, float64(iErr)/dt
	}
	if iOK > 0 {
		snap.MeanLatency = time.Duration(iLat / iOK)
	}
	s.last, s.lastAt = cur, elapsed
	s.timeline = append(s.timeline, smp)
	return snap
}

// final records the rest after the last tick. A rest shorter than half an
// interval is merged into the last sample, so that no sample has a rate
// computed over a sliver of time; the samples always add up to the totals.
func (s *sampler) final(elapsed time.Duration, interval time.Duration) {
	n := len(s.timeline)
	s.sample(elapsed)
	if n == 0 || elapsed-s.timeline[n-1].end() >= interval/2 {
		return
	}
	last, prev := s.timeline[n], &s.timeline[n-1]
	s.timeline = s.timeline[:n]
	prev.T, prev.Dt = last.T, prev.Dt+last.Dt
	for _, o := range last.Ops {
		i := slices.IndexFunc(prev.Ops, func(p OpSample) bool { return p.Op == o.Op })
		if i < 0 {
			prev.Ops = append(prev.Ops, o)
			continue
		}
		p := &prev.Ops[i]
		if tot := p.Ops + o.Ops; tot > 0 {
			p.MeanLatency = time.Duration((float64(p.MeanLatency)*float64(p.Ops) + float64(o.MeanLatency)*float64(o.Ops)) / float64(tot))
		}
		p.Ops, p.Errors, p.Bytes = p.Ops+o.Ops, p.Errors+o.Errors, p.Bytes+o.Bytes
	}
}
