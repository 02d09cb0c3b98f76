package bench

import (
	"math"
	"strings"
	"testing"
)

// microOutput is `go test -bench` output as `make bench` saves it: several
// packages, sub-benchmarks with commas and dashes in their names, custom
// metrics, a benchmark's own log line, -count 3 repeats.
const microOutput = `goos: linux
goarch: amd64
pkg: github.com/tessera-s3/tessera/s3api/sigv4
cpu: AMD EPYC
BenchmarkVerifyHeader-2         	  132214	      1797 ns/op	       0 B/op	       0 allocs/op
BenchmarkVerifyHeader-2         	  132214	      1500 ns/op	       0 B/op	       0 allocs/op
BenchmarkVerifyHeader-2         	  132214	      2500 ns/op	       0 B/op	       0 allocs/op
BenchmarkChunkedReader/STREAMING-UNSIGNED-PAYLOAD-TRAILER-2         	    4015	     60630 ns/op	17294.56 MB/s	     560 B/op	       9 allocs/op
PASS
ok  	github.com/tessera-s3/tessera/s3api/sigv4	1.038s
pkg: github.com/tessera-s3/tessera/iam
BenchmarkEvaluate10Statements-2   	 1000000	       226.4 ns/op	       0 B/op	       0 allocs/op
pkg: github.com/tessera-s3/tessera/erasure
BenchmarkPut/disk/64MiB-2         	       2	 191997212 ns/op	 349.53 MB/s	 5341576 B/op	     626 allocs/op
BenchmarkPut/shm/64MiB-2          	       2	 101083804 ns/op	 663.89 MB/s	 5339696 B/op	     623 allocs/op
BenchmarkPutParallel/disk-2       	    1742	    500000 ns/op	   7.86 MB/s	   35663 B/op	      45 allocs/op
BenchmarkGet/disk/1MiB-2          	     649	    353543 ns/op	2965.91 MB/s	   10271 B/op	      10 allocs/op
pkg: github.com/tessera-s3/tessera/node
BenchmarkAuthLookup/users=10-2         	  123933	      1900 ns/op	      16 B/op	       1 allocs/op
BenchmarkAuthLookup/users=100000,sessions=1000000-2         	  118248	      2090 ns/op	      16 B/op	       1 allocs/op
    identity_bench_test.go:99: BenchmarkAuthLookup a log line 3 words
BenchmarkAuthLookup says 12 words
pkg: github.com/tessera-s3/tessera/raftfsm
BenchmarkSnapshotRestore1MSessions
BenchmarkSnapshotRestore1MSessions   	       1	2784896213 ns/op	         0.9776 restore-s	         1.807 snapshot-s	968587304 B/op	 7008755 allocs/op
PASS
`

func TestParseGoBench(t *testing.T) {
	bs, err := ParseGoBench(strings.NewReader(microOutput))
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 12 {
		t.Fatalf("%d results, want 12: %+v", len(bs), bs)
	}
	c := bs[3]
	if c.Name != "BenchmarkChunkedReader/STREAMING-UNSIGNED-PAYLOAD-TRAILER" || c.Procs != 2 || c.N != 4015 ||
		c.Metrics["MB/s"] != 17294.56 || c.Metrics["allocs/op"] != 9 || c.Pkg != "github.com/tessera-s3/tessera/s3api/sigv4" {
		t.Fatalf("chunked: %+v", c)
	}
	s := bs[len(bs)-1]
	if s.Name != "BenchmarkSnapshotRestore1MSessions" || s.Procs != 1 || s.Metrics["snapshot-s"] != 1.807 || s.Metrics["restore-s"] != 0.9776 {
		t.Fatalf("snapshot (no -N suffix, custom metrics): %+v", s)
	}
	// -count repeats: the median.
	if v, ok := goBenchMetric(bs, "s3api/sigv4", "BenchmarkVerifyHeader", "ns/op"); !ok || v != 1797 {
		t.Fatalf("median of repeats %v %v, want 1797", v, ok)
	}
	if _, ok := goBenchMetric(bs, "iam", "BenchmarkVerifyHeader", "ns/op"); ok {
		t.Fatal("a benchmark matched in the wrong package")
	}
	if _, err := ParseGoBench(strings.NewReader("PASS\nok x 1s\n")); err == nil {
		t.Fatal("no results must be an error")
	}
}

func TestMicroFigures(t *testing.T) {
	bs, err := ParseGoBench(strings.NewReader(microOutput))
	if err != nil {
		t.Fatal(err)
	}
	base := []Baseline{{ID: BaseDiskWriteK, Value: 400, Unit: "MiB/s"}}
	fs := MicroFigures(bs, base)
	get := func(id string) Figure {
		t.Helper()
		for _, f := range fs {
			if f.ID == id {
				return f
			}
		}
		t.Fatalf("figure %s missing from %+v", id, fs)
		return Figure{}
	}
	met := func(f Figure, want bool) {
		t.Helper()
		if f.Met == nil || *f.Met != want {
			t.Fatalf("%s: met %v, want %v (%+v)", f.ID, f.Met, want, f)
		}
	}
	met(get("sigv4_verify"), true)
	met(get("sigv4_verify_allocs"), true)
	met(get("policy_eval_10"), true)
	a := get("auth_100k_1m")
	if a.Value != 2090 || a.BaselineValue != 1900 || math.Abs(a.Ratio-1.1) > 1e-9 {
		t.Fatalf("auth: %+v", a)
	}
	met(a, true)
	sn := get("snapshot_restore_1m")
	if math.Abs(sn.Value-2.7846) > 1e-9 {
		t.Fatalf("snapshot+restore %v", sn.Value)
	}
	met(sn, true)
	p := get("store_put_64m_disk")
	if math.Abs(p.Value-349.53e6/mib) > 1e-9 || p.BaselineValue != 400 || p.Met != nil {
		t.Fatalf("store put: %+v", p)
	}
	if v := get("store_put_4k_disk").Value; v != 2000 {
		t.Fatalf("store 4 KiB PUT %v ops/s, want 2000", v)
	}

	// The same benchmarks, slower: every target is missed.
	slow := strings.NewReplacer(" 1797 ns/op", " 3797 ns/op", " 1500 ns/op", " 3500 ns/op", " 2500 ns/op", " 3500 ns/op",
		"0 allocs/op", "1 allocs/op", "226.4 ns/op", "1226.4 ns/op", "2090 ns/op", "2300 ns/op", "1.807 snapshot-s", "9.807 snapshot-s").Replace(microOutput)
	if bs, err = ParseGoBench(strings.NewReader(slow)); err != nil {
		t.Fatal(err)
	}
	fs = MicroFigures(bs, nil)
	for _, id := range []string{"sigv4_verify", "sigv4_verify_allocs", "policy_eval_10", "auth_100k_1m", "snapshot_restore_1m"} {
		met(get(id), false)
	}
	if get("store_put_64m_disk").BaselineID != BaseDiskWriteK || get("store_put_64m_disk").Ratio != 0 {
		t.Fatal("no disk baseline: no ratio")
	}
}

func TestTargetCheck(t *testing.T) {
	for _, c := range []struct {
		t            Target
		value, ratio float64
		base         bool
		want         string
	}{
		{Target{On: "ratio", Op: ">=", Bound: 0.85}, 100, 0.85, true, "met"},
		{Target{On: "ratio", Op: ">=", Bound: 0.85}, 100, 0.84, true, "NOT MET"},
		{Target{On: "ratio", Op: ">=", Bound: 0.85}, 100, 0, false, "-"},
		{Target{On: "ratio", Op: "<=", Bound: 1.2}, 100, 1.21, true, "NOT MET"},
		{Target{On: "value", Op: ">=", Bound: 5000}, 5000, 0, false, "met"},
		{Target{On: "value", Op: ">=", Bound: 5000}, 4999, 0, false, "NOT MET"},
		{Target{On: "value", Op: "<=", Bound: 0}, 0, 0, false, "met"},
		{Target{}, 1, 1, true, "-"},
	} {
		if got := metString(c.t.check(c.value, c.ratio, c.base)); got != c.want {
			t.Errorf("%+v value %v ratio %v: %s, want %s", c.t, c.value, c.ratio, got, c.want)
		}
	}
	if s := (Target{On: "value", Op: "<=", Bound: 3000}).String("ns"); s != "<= 3.0µs" {
		t.Errorf("target string %q", s)
	}
	if s := (Target{On: "ratio", Op: ">=", Bound: 0.8}).String("MiB/s"); s != "ratio >= 0.80" {
		t.Errorf("target string %q", s)
	}
}
