package bench

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// startNoop starts a NoopServer with GET bodies of objectSize bytes and
// stops it when the test ends.
func startNoop(t testing.TB, objectSize int64) *NoopServer {
	t.Helper()
	cfg := DefaultNoopConfig()
	cfg.ObjectSize = objectSize
	s, err := ListenNoop("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("noop close: %v", err)
		}
	})
	return s
}

// runConfig is a short run: ops operations from 4 workers, bounded by 20 s.
func runConfig(endpoint, ak, sk, workload string, ops int64) Config {
	c := DefaultConfig()
	c.Endpoint, c.AccessKey, c.SecretKey, c.Workload = endpoint, ak, sk, workload
	c.Concurrency, c.Ops, c.Duration = 4, ops, 20*time.Second
	c.Interval = 100 * time.Millisecond
	c.Keys = 100
	c.Seed = uint64(time.Now().UnixNano())
	return c
}

func mustRun(t *testing.T, cfg Config) *Result {
	t.Helper()
	r, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("Run %s: %v", cfg.Workload, err)
	}
	return r
}

// checkConsistent checks the invariants every result keeps: totals add up,
// the timeline adds up to the totals, percentiles are ordered.
func checkConsistent(t *testing.T, r *Result) {
	t.Helper()
	var ok, errs, by int64
	perOp := map[string]int64{}
	for _, o := range r.Ops {
		ok, errs, by = ok+o.Count, errs+o.Errors, by+o.Bytes
		var codes int64
		for _, n := range o.ErrorCodes {
			codes += n
		}
		if codes != o.Errors {
			t.Errorf("%s: error codes add up to %d, errors %d", o.Op, codes, o.Errors)
		}
		if o.Histogram.Count() != o.Count {
			t.Errorf("%s: histogram holds %d, count %d", o.Op, o.Histogram.Count(), o.Count)
		}
		l := o.Latency
		if o.Count > 0 && !(l.Min <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max && l.Max > 0) {
			t.Errorf("%s: percentiles out of order: %+v", o.Op, l)
		}
	}
	if ok != r.Total.Count || errs != r.Total.Errors || by != r.Total.Bytes {
		t.Errorf("total %d/%d/%d, ops add up to %d/%d/%d", r.Total.Count, r.Total.Errors, r.Total.Bytes, ok, errs, by)
	}
	var tOK, tErr int64
	for _, s := range r.Timeline {
		for _, o := range s.Ops {
			tOK, tErr = tOK+o.Ops, tErr+o.Errors
			perOp[o.Op] += o.Ops
		}
	}
	if tOK != ok || tErr != errs {
		t.Errorf("timeline adds up to %d ok %d errors, totals %d %d", tOK, tErr, ok, errs)
	}
	for _, o := range r.Ops {
		if perOp[o.Op] != o.Count {
			t.Errorf("%s: timeline has %d, count %d", o.Op, perOp[o.Op], o.Count)
		}
	}
	if r.Elapsed <= 0 || len(r.Timeline) == 0 {
		t.Errorf("elapsed %v, %d samples", r.Elapsed, len(r.Timeline))
	}
	if r.CPU.User+r.CPU.System <= 0 || r.CPU.Cores < 1 {
		t.Errorf("no CPU use recorded: %+v", r.CPU)
	}
}

func opCount(r *Result, op Op) int64 {
	if o := r.Op(op.String()); o != nil {
		return o.Count
	}
	return 0
}

// TestWorkloadsNoop runs every workload against the no-op responder and
// checks the counts each must produce.
func TestWorkloadsNoop(t *testing.T) {
	const objSize = 1000
	srv := startNoop(t, objSize)
	for _, wl := range Workloads {
		t.Run(wl, func(t *testing.T) {
			cfg := runConfig(srv.Endpoint(), "noop-key", "noop-secret", wl, 300)
			switch wl {
			case WorkloadMultipart:
				cfg.Ops, cfg.PartSize, cfg.Parts = 20, 64<<10, 3
			case WorkloadDelete:
				cfg.Ops, cfg.Keys = 0, 250
			case WorkloadAuth:
				cfg.Credentials = []Credentials{{"u1", "s1", ""}, {"u2", "s2", ""}, {"u3", "s3", "tok"}}
			case WorkloadMixed:
				cfg.Mix, _ = ParseMix("get=40,put=30,delete=10,head=10,list=10")
			}
			before := srv.Requests()
			r := mustRun(t, cfg)
			checkConsistent(t, r)
			if r.Total.Errors != 0 {
				t.Fatalf("errors: %v", r.Total.ErrorCodes)
			}
			if served := srv.Requests() - before; served < r.Total.Count {
				t.Fatalf("server saw %d requests, result counts %d", served, r.Total.Count)
			}
			switch wl {
			case WorkloadPut:
				if o := r.Op("PutObject"); o.Count != 300 || o.Bytes != 300*4096 {
					t.Fatalf("PutObject %d ops %d bytes, want 300 and %d", o.Count, o.Bytes, 300*4096)
				}
			case WorkloadGet:
				if o := r.Op("GetObject"); o.Count != 300 || o.Bytes != 300*objSize {
					t.Fatalf("GetObject %d ops %d bytes, want 300 and %d", o.Count, o.Bytes, 300*objSize)
				}
			case WorkloadMultipart:
				if opCount(r, OpCreateMultipart) != 20 || opCount(r, OpUploadPart) != 60 || opCount(r, OpCompleteMultipart) != 20 {
					t.Fatalf("multipart counts: %d %d %d", opCount(r, OpCreateMultipart), opCount(r, OpUploadPart), opCount(r, OpCompleteMultipart))
				}
				if b := r.Op("UploadPart").Bytes; b != 60*64<<10 {
					t.Fatalf("UploadPart bytes %d", b)
				}
			case WorkloadDelete:
				if opCount(r, OpDelete) != 250 || r.Elapsed > 10*time.Second {
					t.Fatalf("deleted %d in %v, want 250 before the duration", opCount(r, OpDelete), r.Elapsed)
				}
			case WorkloadAuth:
				if r.Settings.KeyPairs != 3 || opCount(r, OpGet) != 300 {
					t.Fatalf("auth: %d key pairs, %d gets", r.Settings.KeyPairs, opCount(r, OpGet))
				}
			case WorkloadSTS:
				if opCount(r, OpAssumeRole) != 300 {
					t.Fatalf("AssumeRole %d", opCount(r, OpAssumeRole))
				}
			case WorkloadList:
				if opCount(r, OpList) != 300 {
					t.Fatalf("list %d", opCount(r, OpList))
				}
			case WorkloadMixed:
				if r.Total.Count != 300 || len(r.Ops) < 4 {
					t.Fatalf("mixed: %d ops over %d types", r.Total.Count, len(r.Ops))
				}
				if o := r.Op("GetObject"); o.Bytes != o.Count*objSize {
					t.Fatalf("GetObject: %d bytes for %d gets of %d", o.Bytes, o.Count, objSize)
				}
				if o := r.Op("HeadObject"); o.Bytes != 0 {
					t.Fatalf("HeadObject moved %d bytes", o.Bytes)
				}
			}
		})
	}
}

func TestRunDurationAndTimeline(t *testing.T) {
	srv := startNoop(t, 100)
	cfg := runConfig(srv.Endpoint(), "k", "s", WorkloadPut, 0)
	cfg.Duration, cfg.Concurrency = 600*time.Millisecond, 2
	var snaps []Snapshot
	r, err := Run(context.Background(), cfg, func(s Snapshot) { snaps = append(snaps, s) })
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, r)
	if r.Elapsed < 600*time.Millisecond || r.Elapsed > 3*time.Second || r.Interrupted {
		t.Fatalf("elapsed %v interrupted %v", r.Elapsed, r.Interrupted)
	}
	if len(snaps) < 4 || len(r.Timeline) < 4 || len(r.Timeline) > 8 {
		t.Fatalf("%d snapshots, %d samples for 600ms at 100ms", len(snaps), len(r.Timeline))
	}
	for i := 1; i < len(snaps); i++ {
		if snaps[i].Elapsed <= snaps[i-1].Elapsed || snaps[i].Ops < snaps[i-1].Ops {
			t.Fatalf("snapshots go backwards: %+v then %+v", snaps[i-1], snaps[i])
		}
	}
	if last := snaps[len(snaps)-1]; last.OpsPerSec <= 0 || last.Ops <= 0 || !strings.Contains(last.String(), "ops/s") {
		t.Fatalf("last snapshot %+v", last)
	}
}

func TestRunCancelInterrupts(t *testing.T) {
	srv := startNoop(t, 100)
	cfg := runConfig(srv.Endpoint(), "k", "s", WorkloadGet, 0)
	cfg.Duration = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	r, err := Run(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted || time.Since(start) > 10*time.Second || r.Total.Count == 0 {
		t.Fatalf("interrupted %v after %v with %d ops", r.Interrupted, time.Since(start), r.Total.Count)
	}
	checkConsistent(t, r)
}

func TestRunTransportErrors(t *testing.T) {
	srv := startNoop(t, 100)
	ep := srv.Endpoint()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := runConfig(ep, "k", "s", WorkloadPut, 20)
	cfg.CreateBucket = false
	r := mustRun(t, cfg)
	checkConsistent(t, r)
	if r.Total.Count != 0 || r.Total.ErrorCodes["transport: connection refused"] != 20 {
		t.Fatalf("against a closed port: %d ok, errors %v", r.Total.Count, r.Total.ErrorCodes)
	}
	var buf bytes.Buffer
	if err := r.WriteSummary(&buf); err != nil || !strings.Contains(buf.String(), "transport: connection refused") {
		t.Fatalf("summary lacks the error:\n%s", buf.String())
	}
	buf.Reset()
	if err := r.WriteHTML(&buf); err != nil || !strings.Contains(buf.String(), "transport: connection refused") || !strings.Contains(buf.String(), "Errors over time") {
		t.Fatalf("HTML report lacks the errors (%v)", err)
	}
	// With bucket creation, the failure is a setup error.
	cfg.CreateBucket = true
	if _, err := Run(context.Background(), cfg, nil); !errors.Is(err, ErrSetup) {
		t.Fatalf("err %v, want ErrSetup", err)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	cfg := runConfig("http://127.0.0.1:1", "k", "s", WorkloadMixed, 10)
	cfg.Keys = 2
	if _, err := Run(context.Background(), cfg, nil); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "Keys") {
		t.Fatalf("mixed with fewer keys than workers: %v", err)
	}
	cfg.Concurrency = 0
	if _, err := Run(context.Background(), cfg, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("err %v", err)
	}
}
