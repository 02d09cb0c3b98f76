package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/node/nodetest"
)

func validSuiteConfig(t *testing.T) SuiteConfig {
	c := DefaultSuiteConfig()
	c.DataDir, c.Binary = t.TempDir(), "/bin/true"
	return c
}

func TestSuiteConfigValidate(t *testing.T) {
	c := validSuiteConfig(t)
	if err := c.Validate(); err != nil {
		t.Fatalf("default: %v", err)
	}
	for _, tc := range []struct {
		field string
		mod   func(*SuiteConfig)
	}{
		{"DataDir", func(c *SuiteConfig) { c.DataDir = "" }},
		{"Binary or Endpoint", func(c *SuiteConfig) { c.Binary = "" }},
		{"AccessKey", func(c *SuiteConfig) { c.Endpoint = "http://127.0.0.1:1" }},
		{"Region", func(c *SuiteConfig) { c.Region = "" }},
		{"Drives", func(c *SuiteConfig) { c.Drives = 65 }},
		{"DataShards", func(c *SuiteConfig) { c.ParityShards = 2 }},
		{"DataShards+ParityShards", func(c *SuiteConfig) { c.DataShards, c.ParityShards = 4, 2 }},
		{"Duration", func(c *SuiteConfig) { c.Duration = 500 * time.Millisecond }},
		{"CPUTime", func(c *SuiteConfig) { c.CPUTime = 2 * time.Minute }},
		{"DiskFileSize", func(c *SuiteConfig) { c.DiskFileSize = 1000 }},
		{"SmallConcurrency", func(c *SuiteConfig) { c.SmallConcurrency = 0 }},
		{"LargeConcurrency", func(c *SuiteConfig) { c.LargeConcurrency = 10001 }},
		{"HugeConcurrency", func(c *SuiteConfig) { c.HugeConcurrency = -1 }},
		{"HugeOps", func(c *SuiteConfig) { c.HugeOps = 0 }},
		{"STSConcurrency", func(c *SuiteConfig) { c.STSConcurrency = 0 }},
		{"STSUsers", func(c *SuiteConfig) { c.STSUsers = 0 }},
		{"Steps", func(c *SuiteConfig) { c.Steps = []string{"put-4k", "bogus"} }},
		{"PprofAddr", func(c *SuiteConfig) {
			c.Endpoint, c.AccessKey, c.SecretKey, c.ProfileDir = "http://127.0.0.1:1", "a", "b", "/tmp/p"
		}},
	} {
		c := validSuiteConfig(t)
		tc.mod(&c)
		err := c.Validate()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
	// Baseline-only steps need neither a binary nor a node.
	c = validSuiteConfig(t)
	c.Binary, c.Steps = "", []string{StepDisk, StepMD5}
	if err := c.Validate(); err != nil {
		t.Fatalf("baselines only: %v", err)
	}
	c.DataShards, c.ParityShards = 3, 1
	if k, m := c.layout(); k != 3 || m != 1 {
		t.Fatalf("layout %d+%d", k, m)
	}
}

func TestBaselines(t *testing.T) {
	dir := t.TempDir()
	w, r, err := MeasureDisk(dir, 3<<20+5)
	if err != nil || w <= 0 || r <= 0 {
		t.Fatalf("disk: %v %v %v", w, r, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("disk baseline left %d files", len(left))
	}
	if _, _, err := MeasureDisk(filepath.Join(dir, "missing"), 1<<20); !errors.Is(err, ErrSetup) {
		t.Fatalf("missing dir: %v", err)
	}
	if v := MeasureMD5(50 * time.Millisecond); v <= 0 {
		t.Fatalf("md5 %v", v)
	}
	if v, err := MeasureRS(2, 2, 50*time.Millisecond); err != nil || v <= 0 {
		t.Fatalf("rs %v %v", v, err)
	}
	if _, err := MeasureRS(0, 2, 50*time.Millisecond); !errors.Is(err, ErrSetup) {
		t.Fatalf("rs 0+2: %v", err)
	}
}

func TestProcParsers(t *testing.T) {
	a, err := parseProcStat([]byte("cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := parseProcStat([]byte("cpu  200 5 95 850 30 3 7 10 0 0\n"))
	m := b.sub(a)
	// deltas: user 100, system 50, idle 50, iowait 10, steal 10: total 220.
	if d := m.User - 100.0/220; d > 1e-9 || d < -1e-9 {
		t.Fatalf("user %v", m.User)
	}
	if m.System != 50.0/220 || m.Idle != 50.0/220 || m.IOWait != 10.0/220 {
		t.Fatalf("machine %+v", m)
	}
	if _, err := parseProcStat([]byte("intr 1 2 3\n")); err == nil {
		t.Fatal("no cpu line accepted")
	}
	// A command name with spaces and a parenthesis.
	ticks, err := parsePidStat([]byte("4242 (tes sera) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 8 0 100 0 0"))
	if err != nil || ticks != 1234+567 {
		t.Fatalf("pid stat: %d %v", ticks, err)
	}
	if _, err := parsePidStat([]byte("4242 (x) S 1")); err == nil {
		t.Fatal("short stat accepted")
	}
	l, err := parseLoadAvg([]byte("1.06 2.19 3.01 3/156 17956\n"))
	if err != nil || l != [3]float64{1.06, 2.19, 3.01} {
		t.Fatalf("loadavg %v %v", l, err)
	}
	if own, ok := procCPU(os.Getpid()); ok && own <= 0 {
		t.Fatalf("own CPU time %v", own)
	}
}

// TestRunSuiteNode runs every step, short, against an in-process node
// (Endpoint) with the no-op server in process, and checks the report.
func TestRunSuiteNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	n := nodetest.Start(t)
	micro := filepath.Join(t.TempDir(), "micro.txt")
	if err := os.WriteFile(micro, []byte(microOutput), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultSuiteConfig()
	cfg.DataDir, cfg.Endpoint, cfg.AccessKey, cfg.SecretKey, cfg.Region = t.TempDir(), n.Endpoint, n.AccessKey, n.SecretKey, n.Region
	cfg.Duration, cfg.CPUTime, cfg.DiskFileSize = time.Second, 100*time.Millisecond, 4<<20
	cfg.SmallConcurrency, cfg.LargeConcurrency, cfg.HugeConcurrency, cfg.HugeOps = 4, 2, 1, 1
	cfg.STSConcurrency, cfg.STSUsers = 4, 2
	cfg.MicroFile = micro
	res, err := RunSuite(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{BaseDiskWrite, BaseDiskRead, BaseDiskWriteK, BaseMD5, BaseRS, BaseNoopGet4K, BaseNoopPut4K, BaseNoopGet1M} {
		if b := res.Baseline(id); b == nil || b.Value <= 0 {
			t.Errorf("baseline %s: %+v", id, b)
		}
	}
	if dk, dw := res.Baseline(BaseDiskWriteK), res.Baseline(BaseDiskWrite); dk.Value != dw.Value/2 {
		t.Errorf("2+2: disk x k/(k+m) %v, disk %v", dk.Value, dw.Value)
	}
	for _, id := range []string{"large_put_1m", "large_put_64m", "large_get_1m", "small_put_4k", "small_get_4k", "sigv4_verify", "auth_100k_1m"} {
		f := res.Figure(id)
		if f == nil || f.Value <= 0 || f.Met == nil {
			t.Errorf("figure %s: %+v", id, f)
			continue
		}
		if f.BaselineID != "" && (f.BaselineValue <= 0 || f.Ratio != f.Value/f.BaselineValue) {
			t.Errorf("figure %s: ratio %v of %v / %v", id, f.Ratio, f.Value, f.BaselineValue)
		}
	}
	if f := res.Figure("assume_role_1n"); f == nil || f.Value <= 0 {
		t.Errorf("figure assume_role_1n: %+v", f)
	}
	if res.Figure("assume_role") != nil || res.Run(StepClusterSTS) != nil {
		t.Error("the 3-node AssumeRole step ran against a given endpoint")
	}
	if got := len(res.Runs); got != 9 {
		t.Fatalf("%d runs, want 9", got)
	}
	for _, r := range res.Runs {
		if r.Result.Total.Errors != 0 || r.Result.Total.Count == 0 {
			t.Errorf("run %s: %d ok, errors %v", r.Step, r.Result.Total.Count, r.Result.Total.ErrorCodes)
		}
	}
	if r := res.Run(StepNodePut64M); r.Result.Total.Count != 1 || r.Result.Total.Bytes != 64<<20 {
		t.Errorf("64 MiB PUTs: %d, %d bytes", r.Result.Total.Count, r.Result.Total.Bytes)
	}
	var out bytes.Buffer
	if err := res.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"load average", "disk_write_k", "large PUT 64 MiB", "ratio >= 0.85", "SigV4 verification", "targets: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	var js bytes.Buffer
	if err := res.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSuiteResult(&js)
	if err != nil || len(back.Figures) != len(res.Figures) || back.Figure("small_get_4k").Value != res.Figure("small_get_4k").Value {
		t.Fatalf("JSON round trip: %v", err)
	}
	if _, err := ReadSuiteResult(strings.NewReader(`{"version": 99}`)); !errors.Is(err, ErrInvalidResult) {
		t.Fatalf("version 99: %v", err)
	}
}

// TestRunSuiteChild builds the tessera binary and lets the suite start the
// no-op server and the node as child processes, with a CPU profile.
func TestRunSuiteChild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts a node")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build the binary")
	}
	bin := filepath.Join(t.TempDir(), "tessera")
	if out, err := exec.Command(goBin, "build", "-o", bin, "github.com/tessera-s3/tessera/cmd/tessera").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := DefaultSuiteConfig()
	cfg.DataDir, cfg.Binary, cfg.ProfileDir = t.TempDir(), bin, t.TempDir()
	cfg.Duration, cfg.SmallConcurrency = time.Second, 4
	cfg.STSConcurrency, cfg.STSUsers = 8, 2
	cfg.Steps = []string{StepNoopGet4K, StepNodePut4K, StepClusterSTS}
	res, err := RunSuite(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Started || res.Drives != 4 || !strings.HasPrefix(res.Endpoint, "http://127.0.0.1:") {
		t.Fatalf("node: %+v", res)
	}
	for _, step := range cfg.Steps {
		r := res.Run(step)
		if r == nil || r.Result.Total.Count == 0 || r.Result.Total.Errors != 0 {
			t.Fatalf("run %s: %+v", step, r)
		}
		if r.ServerCPU <= 0 || r.Window <= 0 {
			t.Errorf("run %s: server CPU %v over %v", step, r.ServerCPU, r.Window)
		}
	}
	p := res.Run(StepNodePut4K).Profile
	if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
		t.Errorf("node profile %q: %v", p, err)
	}
	if res.Run(StepNoopGet4K).Profile != "" {
		t.Error("the no-op server was profiled")
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "node")); !os.IsNotExist(err) {
		t.Errorf("node data left behind: %v", err)
	}
	if log, err := os.ReadFile(filepath.Join(cfg.DataDir, "node.log")); err != nil || !strings.Contains(string(log), "pprof on") {
		t.Errorf("node log: %v\n%s", err, log)
	}
	if f := res.Figure("small_put_4k"); f == nil || f.Met == nil {
		t.Errorf("small PUT figure: %+v", f)
	}
	if f := res.Figure("assume_role"); f == nil || f.Met == nil || f.Value <= 0 {
		t.Errorf("3-node AssumeRole figure: %+v", f)
	}
	// The cluster step profiles each of its three nodes.
	cr := res.Run(StepClusterSTS)
	if cr == nil || cr.Profile == "" || len(cr.MoreProfiles) != 2 {
		t.Fatalf("cluster profiles: %+v", cr)
	}
	for _, p := range append([]string{cr.Profile}, cr.MoreProfiles...) {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 || !strings.Contains(p, "sts-3n-node") {
			t.Errorf("cluster node profile %q: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "cluster")); !os.IsNotExist(err) {
		t.Errorf("cluster data left behind: %v", err)
	}
}
