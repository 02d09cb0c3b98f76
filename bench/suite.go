package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/erasure"
)

// The suite's steps, as SuiteConfig.Steps names them. RunSuite runs them
// in the order of SuiteSteps: each baseline just before the node runs
// judged against it, so that both see the same load on a shared machine.
const (
	StepMD5        = "md5"         // MD5 over 1 MiB buffers on one goroutine
	StepRS         = "rs"          // Reed-Solomon encode of 1 MiB blocks, node layout
	StepNoopPut4K  = "noop-put-4k" // no-op server, PUT 4 KiB
	StepNodePut4K  = "put-4k"      // node: PUT 4 KiB
	StepNoopGet4K  = "noop-get-4k" // no-op server, GET 4 KiB
	StepNodeGet4K  = "get-4k"      // node: GET 4 KiB
	StepDisk       = "disk"        // sequential write+fsync, then read, of one file in DataDir
	StepNodePut1M  = "put-1m"      // node: PUT 1 MiB
	StepNodePut64M = "put-64m"     // node: PUT 64 MiB, HugeOps of them
	StepNoopGet1M  = "noop-get-1m" // no-op server, GET 1 MiB
	StepNodeGet1M  = "get-1m"      // node: GET 1 MiB
	StepNodeSTS    = "sts"         // node: STS AssumeRole
	StepClusterSTS = "sts-3n"      // a 3-node cluster started for it: STS AssumeRole over all nodes
)

// SuiteSteps lists every step in run order.
var SuiteSteps = []string{StepMD5, StepRS, StepNoopPut4K, StepNodePut4K, StepNoopGet4K, StepNodeGet4K,
	StepDisk, StepNodePut1M, StepNodePut64M, StepNoopGet1M, StepNodeGet1M, StepNodeSTS, StepClusterSTS}

// nodeSteps are the steps that need the node.
var nodeSteps = []string{StepNodePut4K, StepNodeGet4K, StepNodePut1M, StepNodePut64M, StepNodeGet1M, StepNodeSTS}

// SuiteConfig configures RunSuite: the baselines and the node runs that
// `make bench` reports. The zero value is not valid: start from
// DefaultSuiteConfig.
type SuiteConfig struct {
	// DataDir is the scratch folder (created when missing): the disk
	// baseline's file and the started node's data live under it, so it
	// must be on the file system being measured.
	DataDir string
	// Binary is the tessera binary the suite starts as child processes:
	// the node ("server") and the no-op responder ("bench noop"), so that
	// their CPU is accounted apart from the harness's. Required unless
	// Endpoint is set; with Endpoint and no Binary the no-op server runs
	// inside this process (ListenNoop).
	Binary string
	// Endpoint, when set, is an already running node measured instead of
	// starting one; AccessKey and SecretKey are then an admin's key pair
	// (the STS step creates users through the admin API).
	Endpoint, AccessKey, SecretKey string
	// Region is the SigV4 signing region.
	Region string
	// Drives is the number of drive folders of the started node (1-64).
	Drives int
	// DataShards and ParityShards set the erasure layout: of the started
	// node, of the RS baseline and of the large-PUT bound. 0 and 0 pick
	// erasure.DefaultLayout(Drives).
	DataShards, ParityShards int
	// Duration is the timed phase of each load run (1 s - 10 min).
	Duration time.Duration
	// CPUTime is how long the MD5 and RS baselines loop (100 ms - 1 min).
	CPUTime time.Duration
	// DiskFileSize is the size in bytes of the disk baseline's file
	// (1 MiB - 64 GiB).
	DiskFileSize int64
	// SmallConcurrency is the workers of the 4 KiB runs, node and no-op
	// alike (1-10000).
	SmallConcurrency int
	// LargeConcurrency is the workers of the 1 MiB runs (1-10000).
	LargeConcurrency int
	// HugeConcurrency is the workers of the 64 MiB PUT run (1-10000).
	HugeConcurrency int
	// HugeOps is the number of 64 MiB PUTs (1-100000); the run also ends
	// after Duration.
	HugeOps int64
	// STSConcurrency is the workers of the AssumeRole run (1-10000).
	STSConcurrency int
	// STSUsers is the number of users created for the AssumeRole run and
	// deleted after it (1-10000).
	STSUsers int
	// Steps selects steps by name (SuiteSteps); empty runs them all.
	Steps []string
	// MicroFile is the saved output of `go test -bench` whose hot-path
	// benchmarks become figures of the report ("" = none).
	MicroFile string
	// ProfileDir, when set, receives a CPU profile of the started node for
	// each node run (STEP.pprof), read from the node's TESSERA_PPROF
	// endpoint; PprofAddr names that endpoint for an Endpoint node.
	ProfileDir, PprofAddr string
	// NodeEnv are extra environment variables of the started node
	// ("GODEBUG=gctrace=1").
	NodeEnv []string
	// KeepData keeps the started node's data folder after the run.
	KeepData bool
	// Logger receives progress messages (nil: discarded).
	Logger *slog.Logger
	// RunOutput, when not nil, receives the summary table of every load run.
	RunOutput io.Writer
}

// DefaultSuiteConfig is what `make bench` runs: 10 s per load run, a
// 1 GiB disk file, a 4-drive node, 32 workers for 4 KiB objects, 8 for
// 1 MiB, 4 for 16 PUTs of 64 MiB, 64 for AssumeRole.
func DefaultSuiteConfig() SuiteConfig {
	return SuiteConfig{
		Region:           "us-east-1",
		Drives:           4,
		Duration:         10 * time.Second,
		CPUTime:          time.Second,
		DiskFileSize:     1 << 30,
		SmallConcurrency: 32,
		LargeConcurrency: 8,
		HugeConcurrency:  4,
		HugeOps:          16,
		STSConcurrency:   64,
		STSUsers:         16,
	}
}

// Validate names the first field out of its range.
func (c *SuiteConfig) Validate() error {
	switch {
	case c.DataDir == "":
		return invalid("DataDir is required")
	case c.Binary == "" && c.Endpoint == "" && c.needsNode():
		return invalid("Binary or Endpoint is required for the node steps")
	case c.Endpoint != "" && (c.AccessKey == "" || c.SecretKey == ""):
		return invalid("AccessKey and SecretKey are required with Endpoint")
	case c.Region == "" || len(c.Region) > 64:
		return invalid("Region must be 1-64 characters, got %q", c.Region)
	case c.Drives < 1 || c.Drives > 64:
		return invalid("Drives must be 1-64, got %d", c.Drives)
	case c.DataShards < 0 || c.ParityShards < 0 || (c.DataShards == 0 && c.ParityShards != 0):
		return invalid("DataShards and ParityShards must be >= 0 and DataShards >= 1 when ParityShards is set, got %d+%d", c.DataShards, c.ParityShards)
	case c.DataShards > 0 && c.Endpoint == "" && c.DataShards+c.ParityShards != c.Drives:
		return invalid("DataShards+ParityShards must equal Drives (%d) for the started node, got %d+%d", c.Drives, c.DataShards, c.ParityShards)
	case c.Duration < time.Second || c.Duration > 10*time.Minute:
		return invalid("Duration must be 1s-10m, got %s", c.Duration)
	case c.CPUTime < 100*time.Millisecond || c.CPUTime > time.Minute:
		return invalid("CPUTime must be 100ms-1m, got %s", c.CPUTime)
	case c.DiskFileSize < 1<<20 || c.DiskFileSize > 64<<30:
		return invalid("DiskFileSize must be 1MiB-64GiB, got %d", c.DiskFileSize)
	case c.SmallConcurrency < 1 || c.SmallConcurrency > 10000:
		return invalid("SmallConcurrency must be 1-10000, got %d", c.SmallConcurrency)
	case c.LargeConcurrency < 1 || c.LargeConcurrency > 10000:
		return invalid("LargeConcurrency must be 1-10000, got %d", c.LargeConcurrency)
	case c.HugeConcurrency < 1 || c.HugeConcurrency > 10000:
		return invalid("HugeConcurrency must be 1-10000, got %d", c.HugeConcurrency)
	case c.HugeOps < 1 || c.HugeOps > 100000:
		return invalid("HugeOps must be 1-100000, got %d", c.HugeOps)
	case c.STSConcurrency < 1 || c.STSConcurrency > 10000:
		return invalid("STSConcurrency must be 1-10000, got %d", c.STSConcurrency)
	case c.STSUsers < 1 || c.STSUsers > 10000:
		return invalid("STSUsers must be 1-10000, got %d", c.STSUsers)
	}
	for _, s := range c.Steps {
		if !slices.Contains(SuiteSteps, s) {
			return invalid("Steps: unknown step %q (steps: %s)", s, strings.Join(SuiteSteps, ", "))
		}
	}
	if c.ProfileDir != "" && c.Endpoint != "" && c.PprofAddr == "" {
		return invalid("PprofAddr is required with ProfileDir and Endpoint")
	}
	return nil
}

func (c *SuiteConfig) runs(step string) bool {
	return len(c.Steps) == 0 || slices.Contains(c.Steps, step)
}

func (c *SuiteConfig) needsNode() bool {
	return slices.ContainsFunc(nodeSteps, c.runs)
}

// layout is the erasure layout k+m the suite measures against.
func (c *SuiteConfig) layout() (k, m int) {
	if c.DataShards > 0 {
		return c.DataShards, c.ParityShards
	}
	return erasure.DefaultLayout(c.Drives)
}

// SuiteResultVersion is the format version of SuiteResult's JSON form.
const SuiteResultVersion = 1

// SuiteResult is the outcome of RunSuite. Rates are per second; sizes in
// bytes; durations in nanoseconds in JSON.
type SuiteResult struct {
	Version int           `json:"version"`
	Start   time.Time     `json:"start"`
	Elapsed time.Duration `json:"elapsed_ns"`
	Host    HostInfo      `json:"host"`
	// LoadStart and LoadEnd are /proc/loadavg (1, 5, 15 min) when the suite
	// started and ended: other work on the machine during the run.
	LoadStart [3]float64 `json:"load_start"`
	LoadEnd   [3]float64 `json:"load_end"`
	// Layout is the erasure layout "k+m"; Drives the node's drive count
	// (0 for an Endpoint node).
	Layout string `json:"layout"`
	Drives int    `json:"drives"`
	// Endpoint is the node measured; Started tells whether the suite
	// started it.
	Endpoint string `json:"endpoint,omitempty"`
	Started  bool   `json:"started"`
	// Baselines are the reference rates measured in this run.
	Baselines []Baseline `json:"baselines"`
	// Figures are the measured figures with their baselines and targets.
	Figures []Figure `json:"figures"`
	// Runs are the load runs, with their full results.
	Runs []SuiteRun `json:"runs"`
}

// Baseline is one reference rate measured in the run.
type Baseline struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Note says what exactly was measured.
	Note string `json:"note,omitempty"`
}

// Target is a figure's goal: its Value or its Ratio to the baseline
// compared with Bound.
type Target struct {
	// On is "value" or "ratio"; "" marks an informational figure.
	On string `json:"on,omitempty"`
	// Op is ">=" or "<=".
	Op    string  `json:"op,omitempty"`
	Bound float64 `json:"bound,omitempty"`
}

// Figure is one measured figure.
type Figure struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// BaselineID names the Baseline (or, for micro-benchmarks, the
	// reference benchmark) Ratio is taken against; BaselineValue is its
	// value in Unit.
	BaselineID    string  `json:"baseline,omitempty"`
	BaselineValue float64 `json:"baseline_value,omitempty"`
	Ratio         float64 `json:"ratio,omitempty"`
	Target        Target  `json:"target"`
	// Met is nil for informational figures.
	Met  *bool  `json:"met,omitempty"`
	Note string `json:"note,omitempty"`
}

// SuiteRun is one load run of the suite.
type SuiteRun struct {
	Step string `json:"step"`
	// Server is "noop" or "node".
	Server string  `json:"server"`
	Result *Result `json:"result"`
	// ServerCPU is the server process's CPU time during the timed phase
	// (from the first progress sample to the end; 0 when not measured:
	// an in-process or remote server).
	ServerCPU time.Duration `json:"server_cpu_ns"`
	// Window is the wall time ServerCPU and Machine cover.
	Window time.Duration `json:"window_ns"`
	// Machine is how the whole machine's CPU time was spent during
	// Window (/proc/stat), as fractions of all cores.
	Machine MachineCPU `json:"machine"`
	// Profile is the path of the server's CPU profile, when taken (of
	// the first node, for a cluster).
	Profile string `json:"profile,omitempty"`
	// MoreProfiles are the CPU profiles of a cluster's other nodes.
	MoreProfiles []string `json:"more_profiles,omitempty"`
}

// MachineCPU splits the machine's CPU time into fractions of all cores.
type MachineCPU struct {
	User   float64 `json:"user"`
	System float64 `json:"system"`
	IOWait float64 `json:"iowait"`
	Idle   float64 `json:"idle"`
}

// Run returns the run of step, or nil.
func (r *SuiteResult) Run(step string) *SuiteRun {
	for i := range r.Runs {
		if r.Runs[i].Step == step {
			return &r.Runs[i]
		}
	}
	return nil
}

// Baseline returns the baseline with id, or nil.
func (r *SuiteResult) Baseline(id string) *Baseline {
	for i := range r.Baselines {
		if r.Baselines[i].ID == id {
			return &r.Baselines[i]
		}
	}
	return nil
}

// Figure returns the figure with id, or nil.
func (r *SuiteResult) Figure(id string) *Figure {
	for i := range r.Figures {
		if r.Figures[i].ID == id {
			return &r.Figures[i]
		}
	}
	return nil
}

// Baseline and figure ids.
const (
	BaseDiskWrite  = "disk_write"
	BaseDiskRead   = "disk_read"
	BaseDiskWriteK = "disk_write_k"
	BaseMD5        = "md5"
	BaseRS         = "rs_encode"
	BaseNoopGet4K  = "noop_get_4k"
	BaseNoopPut4K  = "noop_put_4k"
	BaseNoopGet1M  = "noop_get_1m"
)

const mib = 1 << 20

// RunSuite measures the baselines, starts the node (or uses
// cfg.Endpoint), runs the load steps against it and returns every figure
// with its baseline and target. Cancelling ctx stops the current step; the
// steps done so far are returned with the error.
func RunSuite(ctx context.Context, cfg SuiteConfig) (*SuiteResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSetup, err)
	}
	if cfg.ProfileDir != "" {
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSetup, err)
		}
	}
	k, m := cfg.layout()
	s := &suite{cfg: &cfg, log: log, k: k, m: m}
	s.res = &SuiteResult{Version: SuiteResultVersion, Start: time.Now().UTC().Round(0), Host: hostInfo(),
		LoadStart: loadAvg(), Layout: fmt.Sprintf("%d+%d", k, m), Endpoint: cfg.Endpoint}
	if cfg.Endpoint == "" {
		s.res.Drives = cfg.Drives
	}
	start := time.Now()
	err := s.run(ctx)
	s.res.Elapsed = time.Since(start)
	s.res.LoadEnd = loadAvg()
	s.figures()
	if cfg.MicroFile != "" {
		f, ferr := os.Open(cfg.MicroFile)
		if ferr == nil {
			var bs []GoBenchmark
			bs, ferr = ParseGoBench(f)
			f.Close()
			if ferr == nil {
				s.res.Figures = append(s.res.Figures, MicroFigures(bs, s.res.Baselines)...)
			}
		}
		if ferr != nil {
			err = errors.Join(err, fmt.Errorf("micro-benchmarks %s: %w", cfg.MicroFile, ferr))
		}
	}
	return s.res, err
}

// suite is one RunSuite in progress.
type suite struct {
	cfg  *SuiteConfig
	log  *slog.Logger
	k, m int
	res  *SuiteResult
	// node is the node driven (nil until the first node step); nodeDir
	// its data folder when the suite started it.
	node    *server
	nodeDir string
}

func (s *suite) run(ctx context.Context) error {
	defer s.stopNode()
	for _, step := range SuiteSteps {
		if !s.cfg.runs(step) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.settle()
		var err error
		switch step {
		case StepDisk:
			err = s.diskStep()
		case StepMD5:
			s.log.Info("baseline: MD5")
			s.addBaseline(Baseline{ID: BaseMD5, Name: "MD5, one core", Value: MeasureMD5(s.cfg.CPUTime) / mib, Unit: "MiB/s",
				Note: "crypto/md5 over a 1 MiB buffer, one goroutine"})
		case StepRS:
			err = s.rsStep()
		case StepNoopGet4K, StepNoopPut4K, StepNoopGet1M:
			err = s.noopStep(ctx, step)
		case StepClusterSTS:
			err = s.clusterSTSStep(ctx)
		default:
			err = s.nodeStep(ctx, step)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *suite) diskStep() error {
	cfg := s.cfg
	s.log.Info("baseline: disk", "dir", cfg.DataDir, "size", FormatSize(cfg.DiskFileSize))
	w, r, err := MeasureDisk(cfg.DataDir, cfg.DiskFileSize)
	if err != nil {
		return err
	}
	size := FormatSize(cfg.DiskFileSize)
	s.addBaseline(Baseline{ID: BaseDiskWrite, Name: "disk sequential write", Value: w / mib, Unit: "MiB/s",
		Note: "one " + size + " file in the data dir's file system, 1 MiB write(2)s, one fsync at the end (time includes it)"})
	s.addBaseline(Baseline{ID: BaseDiskRead, Name: "disk sequential read", Value: r / mib, Unit: "MiB/s",
		Note: "the same file read back at once in 1 MiB read(2)s, page cache not dropped: mostly a page-cache read"})
	s.addBaseline(Baseline{ID: BaseDiskWriteK, Name: fmt.Sprintf("disk write x k/(k+m) = x %d/%d", s.k, s.k+s.m),
		Value: w / mib * float64(s.k) / float64(s.k+s.m), Unit: "MiB/s",
		Note: "object bytes/s the disk can take when every byte is written (k+m)/k times (all drives share the disk)"})
	return nil
}

func (s *suite) rsStep() error {
	if s.m == 0 {
		s.log.Info("baseline: RS encode skipped: no parity", "layout", s.res.Layout)
		return nil
	}
	s.log.Info("baseline: RS encode", "layout", s.res.Layout)
	v, err := MeasureRS(s.k, s.m, s.cfg.CPUTime)
	if err != nil {
		return err
	}
	s.addBaseline(Baseline{ID: BaseRS, Name: "RS encode " + s.res.Layout, Value: v / mib, Unit: "MiB/s",
		Note: "klauspost/reedsolomon Encode of 1 MiB blocks (data bytes/s), default options as the node uses them"})
	return nil
}

// noopStep measures one no-op server rate, in a child process when Binary
// is set, and records it as a baseline.
func (s *suite) noopStep(ctx context.Context, step string) error {
	cfg := s.cfg
	wl, size, conc := WorkloadGet, int64(4<<10), cfg.SmallConcurrency
	switch step {
	case StepNoopPut4K:
		wl = WorkloadPut
	case StepNoopGet1M:
		size, conc = 1<<20, cfg.LargeConcurrency
	}
	srv, err := startNoopServer(ctx, cfg, size, s.log)
	if err != nil {
		return err
	}
	// The no-op server answers every GET with its fixed body: one key
	// keeps the workload's prefill to one request.
	c := s.runConfig(srv, wl, SizeDist{{Size: size, Weight: 1}}, conc)
	c.Keys = 1
	err = s.load(ctx, step, "noop", srv, c)
	if serr := srv.stop(); err == nil && serr != nil {
		err = serr
	}
	if err != nil {
		return err
	}
	res := s.res.Run(step).Result
	switch step {
	case StepNoopGet4K:
		s.addBaseline(Baseline{ID: BaseNoopGet4K, Name: "no-op server GET 4 KiB", Value: res.Total.OpsPerSec, Unit: "ops/s",
			Note: fmt.Sprintf("fasthttp no-op S3 responder (tessera bench noop), %d workers: the small-request rate this harness reaches here", conc)})
	case StepNoopPut4K:
		s.addBaseline(Baseline{ID: BaseNoopPut4K, Name: "no-op server PUT 4 KiB", Value: res.Total.OpsPerSec, Unit: "ops/s",
			Note: fmt.Sprintf("fasthttp no-op S3 responder, PUT with a 4 KiB body read and dropped, %d workers", conc)})
	case StepNoopGet1M:
		s.addBaseline(Baseline{ID: BaseNoopGet1M, Name: "no-op server GET 1 MiB", Value: res.Total.BytesPerSec / mib, Unit: "MiB/s",
			Note: fmt.Sprintf("fasthttp no-op S3 responder, GET of a fixed 1 MiB body, %d workers", conc)})
	}
	return nil
}

// nodeStep runs one load step against the node, starting it (or taking
// Endpoint) first when needed.
func (s *suite) nodeStep(ctx context.Context, step string) error {
	cfg := s.cfg
	if s.node == nil {
		if err := s.startNode(ctx); err != nil {
			return err
		}
	}
	small := SizeDist{{Size: 4 << 10, Weight: 1}}
	large := SizeDist{{Size: 1 << 20, Weight: 1}}
	var c Config
	switch step {
	case StepNodePut4K:
		c = s.runConfig(s.node, WorkloadPut, small, cfg.SmallConcurrency)
		c.Prefix, c.Keys = "put4k/", 1_000_000 // new keys: ingest, not overwrite
	case StepNodeGet4K:
		c = s.runConfig(s.node, WorkloadGet, small, cfg.SmallConcurrency)
		c.Prefix, c.Keys = "get4k/", 1000
	case StepNodePut1M:
		c = s.runConfig(s.node, WorkloadPut, large, cfg.LargeConcurrency)
		c.Prefix, c.Keys = "put1m/", 1_000_000
	case StepNodePut64M:
		c = s.runConfig(s.node, WorkloadPut, SizeDist{{Size: 64 << 20, Weight: 1}}, cfg.HugeConcurrency)
		c.Prefix, c.Keys, c.Ops = "put64m/", int(cfg.HugeOps), cfg.HugeOps
	case StepNodeGet1M:
		c = s.runConfig(s.node, WorkloadGet, large, cfg.LargeConcurrency)
		c.Prefix, c.Keys = "get1m/", 64 // 64 MiB: hot in the page cache
	case StepNodeSTS:
		c = s.runConfig(s.node, WorkloadSTS, small, cfg.STSConcurrency)
		c.Users = cfg.STSUsers
	}
	return s.load(ctx, step, "node", s.node, c)
}

// clusterSTSStep measures AssumeRole on a 3-node cluster the suite starts
// (after stopping its single node, so the machine runs one system at a
// time), with the workers' connections spread over the three nodes as a
// load balancer would; followers forward each change to the leader.
func (s *suite) clusterSTSStep(ctx context.Context) error {
	cfg := s.cfg
	if cfg.Endpoint != "" {
		s.log.Info("step sts-3n skipped: measuring a running node (--node-endpoint)")
		return nil
	}
	s.stopNode()
	dir := filepath.Join(cfg.DataDir, "cluster")
	_ = os.RemoveAll(dir)
	s.log.Info("starting a 3-node cluster", "data", dir)
	srv, err := startCluster(ctx, cfg, dir, 3, s.log)
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.stop(); err != nil {
			s.log.Warn("stopping the cluster", "err", err)
		}
		if !cfg.KeepData {
			_ = os.RemoveAll(dir)
		}
	}()
	c := s.runConfig(srv, WorkloadSTS, SizeDist{{Size: 4 << 10, Weight: 1}}, cfg.STSConcurrency)
	c.MoreEndpoints = srv.moreEndpoints
	c.Users = cfg.STSUsers
	return s.load(ctx, StepClusterSTS, "cluster", srv, c)
}

// settle waits until a node the suite started is idle (below 5% of a
// core over half a second; at most 15 s), so that background work left by
// one step (compactions after many small PUTs) does not run into the
// next step or baseline.
func (s *suite) settle() {
	if s.nodeDir == "" {
		return
	}
	const window, idle, limit = 500 * time.Millisecond, 0.05, 15 * time.Second
	start := time.Now()
	for time.Since(start) < limit {
		c0, ok := s.node.cpu()
		if !ok {
			return
		}
		time.Sleep(window)
		c1, ok := s.node.cpu()
		if !ok || (c1-c0).Seconds()/window.Seconds() < idle {
			break
		}
	}
	if d := time.Since(start); d > 2*window {
		s.log.Info("node settled", "after", d.Round(100*time.Millisecond))
	}
}

// startNode starts the node as a child process, or takes Endpoint.
func (s *suite) startNode(ctx context.Context) error {
	cfg := s.cfg
	if cfg.Endpoint != "" {
		s.node = &server{endpoint: cfg.Endpoint, accessKey: cfg.AccessKey, secretKey: cfg.SecretKey, pprof: cfg.PprofAddr}
		return nil
	}
	dir := filepath.Join(cfg.DataDir, "node")
	_ = os.RemoveAll(dir)
	s.log.Info("starting node", "binary", cfg.Binary, "data", dir, "drives", cfg.Drives, "layout", s.res.Layout)
	n, err := startNode(ctx, cfg, dir, s.log)
	if err != nil {
		return err
	}
	s.node, s.nodeDir = n, dir
	s.res.Started, s.res.Endpoint = true, n.endpoint
	return nil
}

// stopNode stops a node the suite started and removes its data unless
// KeepData.
func (s *suite) stopNode() {
	if s.nodeDir == "" {
		return
	}
	if err := s.node.stop(); err != nil {
		s.log.Warn("stopping node", "err", err)
	}
	if !s.cfg.KeepData {
		_ = os.RemoveAll(s.nodeDir)
	}
	s.nodeDir = ""
}

func (s *suite) runConfig(srv *server, workload string, sizes SizeDist, conc int) Config {
	c := DefaultConfig()
	c.Endpoint, c.AccessKey, c.SecretKey, c.Region = srv.endpoint, srv.accessKey, srv.secretKey, s.cfg.Region
	c.Workload, c.Sizes, c.Concurrency, c.Duration = workload, sizes, conc, s.cfg.Duration
	c.Interval = 500 * time.Millisecond
	c.Logger = s.log
	return c
}

// load runs one load step against srv and records it. CPU accounting
// and the profile start at the first progress sample, i.e. in the timed
// phase, after the workload's setup.
func (s *suite) load(ctx context.Context, step, kind string, srv *server, c Config) error {
	s.log.Info("run", "step", step, "server", kind, "workload", c.Workload, "size", c.Sizes.String(), "workers", c.Concurrency)
	run := SuiteRun{Step: step, Server: kind}
	var (
		started   bool
		t0        time.Time
		cpu0      time.Duration
		cpuOK     bool
		m0        procStat
		profDone  chan error
		profPaths []string
		profStart = s.cfg.ProfileDir != "" && kind != "noop" && srv.pprof != ""
	)
	progress := func(Snapshot) {
		if started {
			return
		}
		started = true
		t0 = time.Now()
		cpu0, cpuOK = srv.cpu()
		m0, _ = readProcStat()
		if profStart {
			addrs := append([]string{srv.pprof}, srv.morePprof...)
			secs := max(1, int((c.Duration-c.Interval)/time.Second))
			profDone = make(chan error, len(addrs))
			for i, addr := range addrs {
				name := step + ".pprof"
				if len(addrs) > 1 {
					name = fmt.Sprintf("%s-node%d.pprof", step, i+1)
				}
				path := filepath.Join(s.cfg.ProfileDir, name)
				profPaths = append(profPaths, path)
				go func() { profDone <- fetchProfile(ctx, addr, secs, path) }()
			}
		}
	}
	res, err := Run(ctx, c, progress)
	if err != nil {
		return fmt.Errorf("step %s: %w", step, err)
	}
	if started {
		run.Window = time.Since(t0)
		if cpu1, ok := srv.cpu(); ok && cpuOK {
			run.ServerCPU = cpu1 - cpu0
		}
		if m1, ok := readProcStat(); ok {
			run.Machine = m1.sub(m0)
		}
	}
	if profDone != nil {
		ok := true
		for range profPaths {
			if perr := <-profDone; perr != nil {
				s.log.Warn("CPU profile", "step", step, "err", perr)
				ok = false
			}
		}
		if ok {
			run.Profile, run.MoreProfiles = profPaths[0], profPaths[1:]
		}
	}
	run.Result = res
	s.res.Runs = append(s.res.Runs, run)
	if s.cfg.RunOutput != nil {
		fmt.Fprintf(s.cfg.RunOutput, "\n[%s]\n", step)
		_ = res.WriteSummary(s.cfg.RunOutput)
		if run.Window > 0 {
			fmt.Fprintf(s.cfg.RunOutput, "%s\n", run.cpuLine())
		}
	}
	if res.Total.Count == 0 {
		return fmt.Errorf("step %s: no request succeeded: %v", step, res.Total.ErrorCodes)
	}
	return nil
}

// cpuLine describes the server's and the machine's CPU during the run.
func (r *SuiteRun) cpuLine() string {
	var b strings.Builder
	if r.ServerCPU > 0 && r.Result != nil {
		ops := float64(r.Result.Total.Count) * r.Window.Seconds() / max(r.Result.Elapsed.Seconds(), 1e-9)
		fmt.Fprintf(&b, "server CPU: %.2f cores, %s per request; ", r.ServerCPU.Seconds()/r.Window.Seconds(),
			fmtDur(time.Duration(float64(r.ServerCPU)/max(ops, 1))))
	}
	m := r.Machine
	fmt.Fprintf(&b, "machine: %.0f%% user, %.0f%% system, %.0f%% iowait, %.0f%% idle", 100*m.User, 100*m.System, 100*m.IOWait, 100*m.Idle)
	return b.String()
}

func (s *suite) addBaseline(b Baseline) {
	s.log.Info("baseline", "name", b.Name, "value", fmt.Sprintf("%.1f %s", b.Value, b.Unit))
	s.res.Baselines = append(s.res.Baselines, b)
}

// figures derives the load figures from the runs and baselines present.
func (s *suite) figures() {
	r := s.res
	add := func(f Figure) {
		if b := r.Baseline(f.BaselineID); b != nil {
			f.BaselineValue = b.Value
			if b.Value > 0 {
				f.Ratio = f.Value / b.Value
			}
		} else {
			f.BaselineID = ""
		}
		f.Met = f.Target.check(f.Value, f.Ratio, f.BaselineID != "")
		r.Figures = append(r.Figures, f)
	}
	ratioAtLeast := func(b float64) Target { return Target{On: "ratio", Op: ">=", Bound: b} }
	valueAtLeast := func(b float64) Target { return Target{On: "value", Op: ">=", Bound: b} }
	if run := r.Run(StepNodePut1M); run != nil {
		add(Figure{ID: "large_put_1m", Name: "large PUT 1 MiB", Value: run.Result.Total.BytesPerSec / mib, Unit: "MiB/s",
			BaselineID: BaseDiskWriteK, Target: ratioAtLeast(0.85), Note: s.workers(run)})
	}
	if run := r.Run(StepNodePut64M); run != nil {
		add(Figure{ID: "large_put_64m", Name: "large PUT 64 MiB", Value: run.Result.Total.BytesPerSec / mib, Unit: "MiB/s",
			BaselineID: BaseDiskWriteK, Target: ratioAtLeast(0.85), Note: s.workers(run)})
	}
	if run := r.Run(StepNodeGet1M); run != nil {
		add(Figure{ID: "large_get_1m", Name: "large GET 1 MiB", Value: run.Result.Total.BytesPerSec / mib, Unit: "MiB/s",
			BaselineID: BaseNoopGet1M, Target: ratioAtLeast(0.80), Note: s.workers(run) + ", data in the page cache"})
	}
	if run := r.Run(StepNodePut4K); run != nil {
		add(Figure{ID: "small_put_4k", Name: "small PUT 4 KiB", Value: run.Result.Total.OpsPerSec, Unit: "ops/s",
			BaselineID: BaseNoopPut4K, Target: valueAtLeast(5000), Note: s.workers(run) + ", durable; ratio to the no-op PUT rate for information"})
	}
	if run := r.Run(StepNodeGet4K); run != nil {
		add(Figure{ID: "small_get_4k", Name: "small GET 4 KiB", Value: run.Result.Total.OpsPerSec, Unit: "ops/s",
			BaselineID: BaseNoopGet4K, Target: ratioAtLeast(0.50), Note: s.workers(run)})
	}
	if run := r.Run(StepNodeSTS); run != nil {
		add(Figure{ID: "assume_role_1n", Name: "STS AssumeRole, 1 node", Value: run.Result.Total.OpsPerSec, Unit: "ops/s",
			BaselineID: BaseNoopGet4K,
			Note:       s.workers(run) + "; for information (the target is for 3 nodes); ratio to the no-op request rate"})
	}
	if run := r.Run(StepClusterSTS); run != nil {
		add(Figure{ID: "assume_role", Name: "STS AssumeRole, 3 nodes", Value: run.Result.Total.OpsPerSec, Unit: "ops/s",
			BaselineID: BaseNoopGet4K, Target: valueAtLeast(3000),
			Note: s.workers(run) + " spread over the 3 nodes; ratio to the no-op request rate for information"})
	}
}

func (s *suite) workers(run *SuiteRun) string {
	t := fmt.Sprintf("%d workers", run.Result.Settings.Concurrency)
	if run.Result.Total.Errors > 0 {
		t += fmt.Sprintf(", %d errors", run.Result.Total.Errors)
	}
	return t
}

// check tells whether the target is met; nil for informational targets
// and for ratio targets without a baseline.
func (t Target) check(value, ratio float64, haveBaseline bool) *bool {
	var v float64
	switch t.On {
	case "value":
		v = value
	case "ratio":
		if !haveBaseline {
			return nil
		}
		v = ratio
	default:
		return nil
	}
	ok := v >= t.Bound
	if t.Op == "<=" {
		ok = v <= t.Bound
	}
	return &ok
}

func hostInfo() HostInfo {
	host, _ := os.Hostname()
	return HostInfo{Hostname: host, OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version(),
		NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
}
