package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// ResultVersion is the format version of Result's JSON form. Readers
// reject other versions.
const ResultVersion = 1

// Result is the outcome of one run. Durations are nanoseconds in JSON.
type Result struct {
	Version  int      `json:"version"`
	Workload string   `json:"workload"`
	Endpoint string   `json:"endpoint"`
	Settings Settings `json:"settings"`
	// Start is when the timed phase started.
	Start time.Time `json:"start"`
	// Elapsed is the length of the timed phase, until the last request
	// ended.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Interrupted is set when the context ended the run early.
	Interrupted bool `json:"interrupted,omitempty"`
	// Ops has one entry per operation the run issued, by name.
	Ops []OpResult `json:"ops"`
	// Total adds up all operations (latency merged over all of them).
	Total OpResult `json:"total"`
	// Timeline is the throughput per sampling interval.
	Timeline []Sample `json:"timeline"`
	// CPU is the harness process's own CPU use during the timed phase.
	CPU  CPUUsage `json:"cpu"`
	Host HostInfo `json:"host"`
}

// Settings records the Config a Result came from.
type Settings struct {
	Concurrency int           `json:"concurrency"`
	Sizes       string        `json:"sizes"`
	Duration    time.Duration `json:"duration_ns"`
	Ops         int64         `json:"ops,omitempty"`
	Keys        int           `json:"keys"`
	Bucket      string        `json:"bucket"`
	Prefix      string        `json:"prefix"`
	Mix         string        `json:"mix,omitempty"`
	PartSize    int64         `json:"part_size,omitempty"`
	Parts       int           `json:"parts,omitempty"`
	KeyPairs    int           `json:"key_pairs,omitempty"`
	Region      string        `json:"region"`
	Seed        uint64        `json:"seed"`
}

// OpResult is the outcome of one operation type.
type OpResult struct {
	Op string `json:"op"`
	// Count is the number of successful requests; Errors the failed ones.
	Count  int64 `json:"count"`
	Errors int64 `json:"errors"`
	// Bytes is the payload moved by successful requests (object data for
	// puts, parts and gets; XML for lists).
	Bytes       int64   `json:"bytes"`
	OpsPerSec   float64 `json:"ops_per_sec"`
	BytesPerSec float64 `json:"bytes_per_sec"`
	// Latency summarises Histogram (successful requests, to the last byte).
	Latency Latency `json:"latency"`
	// ErrorCodes counts failures by S3 error code, "HTTP nnn" or
	// "transport: ..."; ErrorExamples has the first message of each.
	ErrorCodes    map[string]int64  `json:"error_codes,omitempty"`
	ErrorExamples map[string]string `json:"error_examples,omitempty"`
	Histogram     *Histogram        `json:"histogram,omitempty"`
}

// Latency are the percentiles of an OpResult's histogram.
type Latency struct {
	Mean time.Duration `json:"mean_ns"`
	Min  time.Duration `json:"min_ns"`
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p999_ns"`
	Max  time.Duration `json:"max_ns"`
}

// Sample is one sampling interval of the timeline.
type Sample struct {
	// T is the end of the interval in seconds since the start; Dt its
	// length in seconds.
	T   float64    `json:"t"`
	Dt  float64    `json:"dt"`
	Ops []OpSample `json:"ops"`
}

func (s *Sample) end() time.Duration { return time.Duration(s.T * float64(time.Second)) }

// OpSample is one operation's traffic in one interval.
type OpSample struct {
	Op          string        `json:"op"`
	Ops         int64         `json:"ok"`
	Errors      int64         `json:"errors"`
	Bytes       int64         `json:"bytes"`
	MeanLatency time.Duration `json:"mean_ns"`
}

// CPUUsage is the harness's own CPU time (getrusage of the process) during
// the timed phase. When the server runs in the same process (tests), it
// includes the server's.
type CPUUsage struct {
	User   time.Duration `json:"user_ns"`
	System time.Duration `json:"system_ns"`
	// Cores is the number of CPUs of the machine.
	Cores int `json:"cores"`
	// Fraction is (User+System) / (Elapsed x Cores): 1 is every core busy.
	Fraction float64 `json:"fraction"`
	// PerRequest is (User+System) divided by the requests made.
	PerRequest time.Duration `json:"per_request_ns"`
}

// HostInfo describes the machine that ran the harness.
type HostInfo struct {
	Hostname   string `json:"hostname"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	GoVersion  string `json:"go_version"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
}

func cpuUsage(user, sys, elapsed time.Duration, requests int64) CPUUsage {
	c := CPUUsage{User: user, System: sys, Cores: runtime.NumCPU()}
	if elapsed > 0 {
		c.Fraction = (user + sys).Seconds() / (elapsed.Seconds() * float64(c.Cores))
	}
	if requests > 0 {
		c.PerRequest = (user + sys) / time.Duration(requests)
	}
	return c
}

func summarize(h *Histogram) Latency {
	return Latency{Mean: h.Mean(), Min: h.Min(), P50: h.Quantile(0.5), P90: h.Quantile(0.9), P99: h.Quantile(0.99), P999: h.Quantile(0.999), Max: h.Max()}
}

// result gathers the workers' counters after the timed phase.
func (e *env) result(start time.Time, elapsed time.Duration, timeline []Sample) *Result {
	cfg := e.cfg
	host, _ := os.Hostname()
	r := &Result{
		Version: ResultVersion, Workload: cfg.Workload, Endpoint: cfg.Endpoint, Start: start.UTC().Round(0), Elapsed: elapsed,
		Settings: Settings{
			Concurrency: cfg.Concurrency, Sizes: cfg.Sizes.String(), Duration: cfg.Duration, Ops: cfg.Ops, Keys: cfg.Keys,
			Bucket: cfg.Bucket, Prefix: cfg.Prefix, Region: cfg.Region, Seed: cfg.Seed, KeyPairs: len(e.pool),
		},
		Timeline: timeline,
		Host: HostInfo{Hostname: host, OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version(),
			NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0)},
	}
	switch cfg.Workload {
	case WorkloadMixed:
		r.Settings.Mix = cfg.Mix.String()
	case WorkloadMultipart:
		r.Settings.PartSize, r.Settings.Parts = cfg.PartSize, cfg.Parts
	}
	var all []*OpResult
	for op := range numOps {
		o := OpResult{Op: op.String(), Histogram: &Histogram{}}
		for _, w := range e.workers {
			st := &w.stats[op]
			o.Count += st.ok.Load()
			o.Errors += st.errs.Load()
			o.Bytes += st.bytes.Load()
			o.Histogram.Merge(&st.hist)
			for code, n := range st.codes {
				if o.ErrorCodes == nil {
					o.ErrorCodes, o.ErrorExamples = map[string]int64{}, map[string]string{}
				}
				o.ErrorCodes[code] += n
				if _, ok := o.ErrorExamples[code]; !ok {
					o.ErrorExamples[code] = st.examples[code]
				}
			}
		}
		if o.Count+o.Errors == 0 {
			continue
		}
		r.Ops = append(r.Ops, o)
	}
	for i := range r.Ops {
		all = append(all, &r.Ops[i])
	}
	r.Total = OpResult{Op: "Total", Histogram: &Histogram{}}
	for _, o := range all {
		r.Total.Count += o.Count
		r.Total.Errors += o.Errors
		r.Total.Bytes += o.Bytes
		r.Total.Histogram.Merge(o.Histogram)
		for code, n := range o.ErrorCodes {
			if r.Total.ErrorCodes == nil {
				r.Total.ErrorCodes = map[string]int64{}
			}
			r.Total.ErrorCodes[code] += n
		}
	}
	all = append(all, &r.Total)
	for _, o := range all {
		if s := elapsed.Seconds(); s > 0 {
			o.OpsPerSec, o.BytesPerSec = float64(o.Count)/s, float64(o.Bytes)/s
		}
		o.Latency = summarize(o.Histogram)
	}
	return r
}

// Op returns the result of the named operation ("PutObject") or nil.
func (r *Result) Op(name string) *OpResult {
	for i := range r.Ops {
		if r.Ops[i].Op == name {
			return &r.Ops[i]
		}
	}
	return nil
}

// WriteJSON writes r as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadResult reads a Result written by WriteJSON and checks its version.
func ReadResult(rd io.Reader) (*Result, error) {
	var r Result
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidResult, err)
	}
	if r.Version != ResultVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads version %d", ErrInvalidResult, r.Version, ResultVersion)
	}
	return &r, nil
}

// ReadResultFile reads a Result from a JSON file.
func ReadResultFile(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := ReadResult(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Title is a one-line description of the run.
func (r *Result) Title() string {
	s := r.Settings
	t := fmt.Sprintf("%s against %s: %d workers", r.Workload, r.Endpoint, s.Concurrency)
	switch r.Workload {
	case WorkloadMultipart:
		t += fmt.Sprintf(", %d parts of %s", s.Parts, FormatSize(s.PartSize))
	case WorkloadSTS:
	default:
		t += ", sizes " + s.Sizes + ", " + strconv.Itoa(s.Keys) + " keys"
	}
	if s.Mix != "" {
		t += ", mix " + s.Mix
	}
	if s.KeyPairs > 1 {
		t += fmt.Sprintf(", %d key pairs", s.KeyPairs)
	}
	t += fmt.Sprintf(", %.2fs", r.Elapsed.Seconds())
	if r.Interrupted {
		t += " (interrupted)"
	}
	return t
}

// WriteSummary writes the run as a table: one row per operation (and a
// total when there are several), the errors by code, and the harness's CPU.
func (r *Result) WriteSummary(w io.Writer) error {
	fmt.Fprintf(w, "tessera bench: %s\n\n", r.Title())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	rows := append([]OpResult(nil), r.Ops...)
	if len(r.Ops) > 1 {
		rows = append(rows, r.Total)
	}
	width := len("OPERATION")
	for _, o := range rows {
		width = max(width, len(o.Op))
	}
	fmt.Fprintf(tw, "%-*s\tOK\tERRORS\tOPS/S\tMIB/S\tMEAN\tP50\tP90\tP99\tMAX\t\n", width, "OPERATION")
	for _, o := range rows {
		l := o.Latency
		fmt.Fprintf(tw, "%-*s\t%d\t%d\t%.1f\t%.2f\t%s\t%s\t%s\t%s\t%s\t\n", width, o.Op, o.Count, o.Errors, o.OpsPerSec, o.BytesPerSec/(1<<20),
			fmtDur(l.Mean), fmtDur(l.P50), fmtDur(l.P90), fmtDur(l.P99), fmtDur(l.Max))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Total.Errors > 0 {
		fmt.Fprintln(w, "\nerrors:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, o := range r.Ops {
			for _, code := range sortedCodes(o.ErrorCodes) {
				fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\n", o.Op, code, o.ErrorCodes[code], clip(o.ErrorExamples[code], 100))
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	c := r.CPU
	_, err := fmt.Fprintf(w, "\nharness CPU: %.2fs user + %.2fs system in %.2fs on %d cores = %.1f%% of the machine, %s per request\n",
		c.User.Seconds(), c.System.Seconds(), r.Elapsed.Seconds(), c.Cores, 100*c.Fraction, fmtDur(c.PerRequest))
	return err
}

// sortedCodes lists codes by count, most frequent first.
func sortedCodes(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if m[out[i]] != m[out[j]] {
			return m[out[i]] > m[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// fmtDur formats a latency with 3-4 significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) + "µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
}
