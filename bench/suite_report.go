package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// formatValue writes v in unit for the tables.
func formatValue(v float64, unit string) string {
	switch unit {
	case "MiB/s":
		return strconv.FormatFloat(v, 'f', 1, 64) + " MiB/s"
	case "ops/s":
		return strconv.FormatFloat(v, 'f', 0, 64) + " ops/s"
	case "ns":
		return fmtDur(time.Duration(v))
	case "s":
		return strconv.FormatFloat(v, 'f', 2, 64) + " s"
	case "allocs":
		return strconv.FormatFloat(v, 'f', 0, 64) + " allocs"
	}
	return strconv.FormatFloat(v, 'g', 4, 64) + " " + unit
}

// String writes the target as the tables show it: "ratio >= 0.85",
// "value >= 5000 ops/s", or "info".
func (t Target) String(unit string) string {
	switch t.On {
	case "ratio":
		return "ratio " + t.Op + " " + strconv.FormatFloat(t.Bound, 'f', 2, 64)
	case "value":
		return t.Op + " " + formatValue(t.Bound, unit)
	}
	return "info"
}

func metString(m *bool) string {
	switch {
	case m == nil:
		return "-"
	case *m:
		return "met"
	}
	return "NOT MET"
}

// WriteTable writes the report: the conditions of the run, the baselines,
// every figure with its baseline, ratio and target, and the server's and
// machine's CPU use per load run.
func (r *SuiteResult) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "tessera bench suite: %s, %s, %d CPUs, %s; %.0fs\n", r.Start.Format("2006-01-02 15:04:05 MST"),
		r.Host.Hostname, r.Host.NumCPU, r.Host.GoVersion, r.Elapsed.Seconds())
	fmt.Fprintf(w, "load average (1/5/15 min): %.2f %.2f %.2f at the start, %.2f %.2f %.2f at the end\n",
		r.LoadStart[0], r.LoadStart[1], r.LoadStart[2], r.LoadEnd[0], r.LoadEnd[1], r.LoadEnd[2])
	switch {
	case r.Started:
		fmt.Fprintf(w, "node: started by the suite at %s, %d drives, layout %s, sync on\n", r.Endpoint, r.Drives, r.Layout)
	case r.Endpoint != "":
		fmt.Fprintf(w, "node: %s (not started by the suite), layout %s assumed\n", r.Endpoint, r.Layout)
	}
	if len(r.Baselines) > 0 {
		fmt.Fprintln(w, "\nBaselines (measured in this run):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  ID\tBASELINE\tVALUE\tWHAT")
		for _, b := range r.Baselines {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", b.ID, b.Name, formatValue(b.Value, b.Unit), b.Note)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Figures) > 0 {
		fmt.Fprintln(w, "\nFigures (ratio = value / baseline):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  FIGURE\tVALUE\tBASELINE\tRATIO\tTARGET\tMET\tNOTE")
		for _, f := range r.Figures {
			base, ratio := "-", "-"
			if f.BaselineID != "" {
				base = formatValue(f.BaselineValue, f.Unit) + " [" + f.BaselineID + "]"
				ratio = strconv.FormatFloat(f.Ratio, 'f', 2, 64)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, formatValue(f.Value, f.Unit), base, ratio,
				f.Target.String(f.Unit), metString(f.Met), f.Note)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Runs) > 0 {
		fmt.Fprintln(w, "\nLoad runs (server CPU in cores of the server process; machine = all processes):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  STEP\tSERVER\tOPS/S\tMIB/S\tP50\tP99\tMAX\tERRORS\tSERVER CPU\tCPU/REQ\tHARNESS CPU\tMACHINE usr/sys/iowait/idle")
		for _, run := range r.Runs {
			t := run.Result.Total
			scpu, perReq := "-", "-"
			if run.ServerCPU > 0 && run.Window > 0 {
				scpu = strconv.FormatFloat(run.ServerCPU.Seconds()/run.Window.Seconds(), 'f', 2, 64)
				ops := float64(t.Count) * run.Window.Seconds() / max(run.Result.Elapsed.Seconds(), 1e-9)
				perReq = fmtDur(time.Duration(float64(run.ServerCPU) / max(ops, 1)))
			}
			m := run.Machine
			fmt.Fprintf(tw, "  %s\t%s\t%.0f\t%.1f\t%s\t%s\t%s\t%d\t%s\t%s\t%.2f\t%.0f/%.0f/%.0f/%.0f%%\n", run.Step, run.Server, t.OpsPerSec, t.BytesPerSec/mib,
				fmtDur(t.Latency.P50), fmtDur(t.Latency.P99), fmtDur(t.Latency.Max), t.Errors, scpu, perReq,
				run.Result.CPU.Fraction*float64(run.Result.CPU.Cores), 100*m.User, 100*m.System, 100*m.IOWait, 100*m.Idle)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		var profs []string
		for _, run := range r.Runs {
			if run.Profile != "" {
				profs = append(profs, run.Profile)
				profs = append(profs, run.MoreProfiles...)
			}
		}
		if len(profs) > 0 {
			fmt.Fprintf(w, "\nCPU profiles of the node (a cluster step: of each node; go tool pprof -top BINARY FILE): %s\n", strings.Join(profs, " "))
		}
	}
	met, missed := 0, 0
	for _, f := range r.Figures {
		if f.Met != nil {
			if *f.Met {
				met++
			} else {
				missed++
			}
		}
	}
	_, err := fmt.Fprintf(w, "\ntargets: %d met, %d not met\n", met, missed)
	return err
}

// WriteJSON writes r as indented JSON.
func (r *SuiteResult) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadSuiteResult reads a SuiteResult written by WriteJSON and checks its
// version.
func ReadSuiteResult(rd io.Reader) (*SuiteResult, error) {
	var r SuiteResult
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidResult, err)
	}
	if r.Version != SuiteResultVersion {
		return nil, fmt.Errorf("%w: suite result version %d, this build reads version %d", ErrInvalidResult, r.Version, SuiteResultVersion)
	}
	return &r, nil
}

// ReadSuiteResultFile reads a SuiteResult from a JSON file.
func ReadSuiteResultFile(path string) (*SuiteResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := ReadSuiteResult(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
