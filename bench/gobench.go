package bench

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// GoBenchmark is one result line of `go test -bench` output.
type GoBenchmark struct {
	// Pkg is the import path of the "pkg:" line above the result.
	Pkg string `json:"pkg"`
	// Name is the benchmark's name without the -GOMAXPROCS suffix
	// ("BenchmarkPut/disk/4KiB").
	Name string `json:"name"`
	// Procs is the GOMAXPROCS suffix (1 when absent).
	Procs int `json:"procs"`
	// N is the number of iterations.
	N int64 `json:"n"`
	// Metrics maps each unit to its value: "ns/op", "B/op", "allocs/op",
	// "MB/s" and custom metrics ("snapshot-s").
	Metrics map[string]float64 `json:"metrics"`
}

// ParseGoBench reads the output of `go test -bench` (other lines, such as
// PASS or log output, are skipped) and returns the result lines in order.
func ParseGoBench(r io.Reader) ([]GoBenchmark, error) {
	var out []GoBenchmark
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || len(f)%2 != 0 {
			continue // a benchmark's own log line, or a name without results
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		b := GoBenchmark{Pkg: pkg, Name: f[0], Procs: 1, N: n, Metrics: map[string]float64{}}
		if i := strings.LastIndexByte(b.Name, '-'); i > 0 {
			if p, err := strconv.Atoi(b.Name[i+1:]); err == nil && p > 0 {
				b.Name, b.Procs = b.Name[:i], p
			}
		}
		ok := true
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				ok = false
				break
			}
			b.Metrics[f[i+1]] = v
		}
		if ok {
			out = append(out, b)
		}
	}
	if err := sc.Err(); err != nil {
		return out, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no benchmark results")
	}
	return out, nil
}

// goBenchMetric is the median of metric over every result of the named
// benchmark in a package whose path ends with pkgSuffix (several with
// -count); false when there is none.
func goBenchMetric(bs []GoBenchmark, pkgSuffix, name, metric string) (float64, bool) {
	var vs []float64
	for _, b := range bs {
		if b.Name != name || !strings.HasSuffix(b.Pkg, pkgSuffix) {
			continue
		}
		if v, ok := b.Metrics[metric]; ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
}

// Micro-benchmarks the report reads.
const (
	benchSigV4     = "BenchmarkVerifyHeader"
	benchPolicy    = "BenchmarkEvaluate10Statements"
	benchAuthSmall = "BenchmarkAuthLookup/users=10"
	benchAuthLarge = "BenchmarkAuthLookup/users=100000,sessions=1000000"
	benchSnapshot  = "BenchmarkSnapshotRestore1MSessions"
	benchStorePut  = "BenchmarkPut"
	benchStorePutP = "BenchmarkPutParallel"
	benchStoreGet  = "BenchmarkGet"
)

const (
	goBenchMBToMiB = 1e6 / mib // go test's MB/s are 10^6 bytes/s
	nsPerSecond    = 1e9
	microNoteSigV4 = "header-signed GET, signing key cached (s3api/sigv4)"
	microNoteStore = "erasure.Store in process, no HTTP: "
)

// MicroFigures turns the hot-path micro-benchmarks into figures with their
// targets: SigV4 verification time and allocations, policy evaluation,
// authentication with 100,000 users and 1,000,000 sessions against 10
// users, snapshot+restore of 1,000,000 sessions; and, for information, the
// erasure store's own PUT and GET rates against the suite's baselines.
// Benchmarks missing from bs are left out.
func MicroFigures(bs []GoBenchmark, baselines []Baseline) []Figure {
	var out []Figure
	base := func(id string) (float64, bool) {
		for _, b := range baselines {
			if b.ID == id {
				return b.Value, true
			}
		}
		return 0, false
	}
	add := func(f Figure) {
		if f.BaselineValue > 0 {
			f.Ratio = f.Value / f.BaselineValue
		}
		f.Met = f.Target.check(f.Value, f.Ratio, f.BaselineValue > 0)
		out = append(out, f)
	}
	atMost := func(b float64) Target { return Target{On: "value", Op: "<=", Bound: b} }
	if v, ok := goBenchMetric(bs, "s3api/sigv4", benchSigV4, "ns/op"); ok {
		add(Figure{ID: "sigv4_verify", Name: "SigV4 verification", Value: v, Unit: "ns", Target: atMost(3000), Note: microNoteSigV4})
	}
	if v, ok := goBenchMetric(bs, "s3api/sigv4", benchSigV4, "allocs/op"); ok {
		add(Figure{ID: "sigv4_verify_allocs", Name: "SigV4 verification allocations", Value: v, Unit: "allocs", Target: atMost(0), Note: microNoteSigV4})
	}
	if v, ok := goBenchMetric(bs, "iam", benchPolicy, "ns/op"); ok {
		add(Figure{ID: "policy_eval_10", Name: "policy evaluation, 10 statements", Value: v, Unit: "ns", Target: atMost(1000),
			Note: "every statement looked at (iam)"})
	}
	small, okS := goBenchMetric(bs, "node", benchAuthSmall, "ns/op")
	large, okL := goBenchMetric(bs, "node", benchAuthLarge, "ns/op")
	if okS && okL {
		add(Figure{ID: "auth_100k_1m", Name: "authentication, 100k users + 1M sessions", Value: large, Unit: "ns",
			BaselineID: benchAuthSmall, BaselineValue: small, Target: Target{On: "ratio", Op: "<=", Bound: 1.2},
			Note: "SigV4 verify + identity lookup (node); baseline: the same with 10 users"})
	}
	snap, okA := goBenchMetric(bs, "raftfsm", benchSnapshot, "snapshot-s")
	rest, okB := goBenchMetric(bs, "raftfsm", benchSnapshot, "restore-s")
	if okA && okB {
		add(Figure{ID: "snapshot_restore_1m", Name: "snapshot + restore, 1M sessions", Value: snap + rest, Unit: "s",
			Target: Target{On: "value", Op: "<=", Bound: 10},
			Note:   fmt.Sprintf("snapshot %.2f s + restore %.2f s (raftfsm, in memory)", snap, rest)})
	}
	diskK, _ := base(BaseDiskWriteK)
	for _, fs := range []string{"disk", "shm"} {
		if v, ok := goBenchMetric(bs, "erasure", benchStorePut+"/"+fs+"/64MiB", "MB/s"); ok {
			f := Figure{ID: "store_put_64m_" + fs, Name: "store PUT 64 MiB, " + fs, Value: v * goBenchMBToMiB, Unit: "MiB/s",
				Note: microNoteStore + "one PUT at a time, synced"}
			if fs == "disk" {
				f.BaselineID, f.BaselineValue = BaseDiskWriteK, diskK
			} else {
				f.Note += " on tmpfs: the store's CPU bound"
			}
			add(f)
		}
	}
	for _, fs := range []string{"disk", "shm"} {
		if v, ok := goBenchMetric(bs, "erasure", benchStorePutP+"/"+fs, "ns/op"); ok && v > 0 {
			add(Figure{ID: "store_put_4k_" + fs, Name: "store PUT 4 KiB, 16 parallel, " + fs, Value: nsPerSecond / v, Unit: "ops/s",
				Note: microNoteStore + "synced, group commit"})
		}
	}
	if v, ok := goBenchMetric(bs, "erasure", benchStoreGet+"/disk/1MiB", "MB/s"); ok {
		add(Figure{ID: "store_get_1m", Name: "store GET 1 MiB", Value: v * goBenchMBToMiB, Unit: "MiB/s",
			Note: microNoteStore + "one GET at a time, page cache"})
	}
	return out
}
