package bench

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// Compare writes runs a and b side by side: for each operation either ran
// (matched by name) and for the total, throughput, latency percentiles and
// errors with the ratio B/A, then the harness's CPU. A ratio above 1 means
// B is higher (faster for ops/s and MiB/s, slower for latencies).
func Compare(w io.Writer, a, b *Result) error {
	fmt.Fprintf(w, "A: %s\nB: %s\n\n", a.Title(), b.Title())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tA\tB\tB/A\t\n", nameWidth, "METRIC")
	names := opNamesOf(a, b)
	for _, name := range names {
		oa, ob := findOp(a, name), findOp(b, name)
		fmt.Fprintf(tw, "%-*s\t\t\t\t\n", nameWidth, name)
		compareOp(tw, oa, ob)
	}
	fmt.Fprintf(tw, "%-*s\t\t\t\t\n", nameWidth, "harness")
	row(tw, "CPU per request", fmtDur(a.CPU.PerRequest), fmtDur(b.CPU.PerRequest), ratio(float64(a.CPU.PerRequest), float64(b.CPU.PerRequest)))
	row(tw, "CPU of machine", pct(a.CPU.Fraction), pct(b.CPU.Fraction), ratio(a.CPU.Fraction, b.CPU.Fraction))
	row(tw, "elapsed", fmtDur(a.Elapsed), fmtDur(b.Elapsed), ratio(float64(a.Elapsed), float64(b.Elapsed)))
	return tw.Flush()
}

// opNamesOf lists the operations of a then those only b has, and "Total"
// when either ran more than one.
func opNamesOf(a, b *Result) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range []*Result{a, b} {
		for _, o := range r.Ops {
			if !seen[o.Op] {
				seen[o.Op] = true
				names = append(names, o.Op)
			}
		}
	}
	if len(a.Ops) > 1 || len(b.Ops) > 1 || len(names) > 1 {
		names = append(names, "Total")
	}
	return names
}

func findOp(r *Result, name string) *OpResult {
	if name == "Total" {
		return &r.Total
	}
	return r.Op(name)
}

func compareOp(tw io.Writer, a, b *OpResult) {
	type metric struct {
		name string
		get  func(*OpResult) float64
		fmt  func(float64) string
	}
	rate := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	mib := func(v float64) string { return strconv.FormatFloat(v/(1<<20), 'f', 2, 64) }
	dur := func(v float64) string { return fmtDur(time.Duration(v)) }
	count := func(v float64) string { return strconv.FormatInt(int64(v), 10) }
	for _, m := range []metric{
		{"ops/s", func(o *OpResult) float64 { return o.OpsPerSec }, rate},
		{"MiB/s", func(o *OpResult) float64 { return o.BytesPerSec }, mib},
		{"mean", func(o *OpResult) float64 { return float64(o.Latency.Mean) }, dur},
		{"p50", func(o *OpResult) float64 { return float64(o.Latency.P50) }, dur},
		{"p90", func(o *OpResult) float64 { return float64(o.Latency.P90) }, dur},
		{"p99", func(o *OpResult) float64 { return float64(o.Latency.P99) }, dur},
		{"max", func(o *OpResult) float64 { return float64(o.Latency.Max) }, dur},
		{"ok", func(o *OpResult) float64 { return float64(o.Count) }, count},
		{"errors", func(o *OpResult) float64 { return float64(o.Errors) }, count},
	} {
		va, vb := "-", "-"
		r := "-"
		if a != nil {
			va = m.fmt(m.get(a))
		}
		if b != nil {
			vb = m.fmt(m.get(b))
		}
		if a != nil && b != nil {
			r = ratio(m.get(a), m.get(b))
		}
		row(tw, "  "+m.name, va, vb, r)
	}
}

// nameWidth pads the first column (the longest name is
// CompleteMultipartUpload) so that it stays left-aligned.
const nameWidth = 24

func row(tw io.Writer, name, a, b, r string) {
	fmt.Fprintf(tw, "%-*s\t%s\t%s\t%s\t\n", nameWidth, name, a, b, r)
}

// ratio formats b/a as "1.23x"; "-" when both are 0, "inf" when only a is.
func ratio(a, b float64) string {
	switch {
	case a == 0 && b == 0:
		return "-"
	case a == 0:
		return "inf"
	}
	return strconv.FormatFloat(b/a, 'f', 2, 64) + "x"
}

func pct(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" }
