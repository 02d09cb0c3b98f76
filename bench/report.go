package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// WriteHTML writes a self-contained HTML report of r: the summary and
// error tables and inline SVG charts of throughput, bandwidth and mean
// latency over time and of the latency distribution (percentile spectrum
// and histogram). It loads nothing from elsewhere: no scripts, no external
// styles.
func (r *Result) WriteHTML(w io.Writer) error {
	var b strings.Builder
	esc := html.EscapeString
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>tessera bench: ")
	b.WriteString(esc(r.Workload))
	b.WriteString("</title>\n<style>")
	b.WriteString(reportCSS)
	b.WriteString("</style></head><body>\n<h1>tessera bench</h1>\n<p class=\"title\">")
	b.WriteString(esc(r.Title()))
	b.WriteString("</p>\n")

	// Settings.
	s := r.Settings
	b.WriteString("<h2>Run</h2>\n<table class=\"kv\">")
	kv := func(k, v string) { fmt.Fprintf(&b, "<tr><th>%s</th><td>%s</td></tr>", esc(k), esc(v)) }
	kv("workload", r.Workload)
	kv("endpoint", r.Endpoint)
	kv("start", r.Start.Format(time.RFC3339))
	kv("elapsed", fmtDur(r.Elapsed))
	kv("workers", strconv.Itoa(s.Concurrency))
	if r.Workload == WorkloadMultipart {
		kv("parts", fmt.Sprintf("%d x %s", s.Parts, FormatSize(s.PartSize)))
	} else if r.Workload != WorkloadSTS {
		kv("sizes", s.Sizes)
		kv("keys", strconv.Itoa(s.Keys))
	}
	if s.Mix != "" {
		kv("mix", s.Mix)
	}
	if s.KeyPairs > 0 {
		kv("key pairs", strconv.Itoa(s.KeyPairs))
	}
	kv("bucket / prefix", s.Bucket+" / "+s.Prefix)
	kv("seed", strconv.FormatUint(s.Seed, 10))
	kv("host", fmt.Sprintf("%s, %s/%s, %d CPUs, GOMAXPROCS %d, %s", r.Host.Hostname, r.Host.OS, r.Host.Arch, r.Host.NumCPU, r.Host.GOMAXPROCS, r.Host.GoVersion))
	c := r.CPU
	kv("harness CPU", fmt.Sprintf("%.2fs user + %.2fs system = %.1f%% of %d cores, %s per request",
		c.User.Seconds(), c.System.Seconds(), 100*c.Fraction, c.Cores, fmtDur(c.PerRequest)))
	b.WriteString("</table>\n")

	// Summary.
	b.WriteString("<h2>Summary</h2>\n<table class=\"num\"><tr><th>operation</th><th>ok</th><th>errors</th><th>ops/s</th><th>MiB/s</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n")
	rows := append([]OpResult(nil), r.Ops...)
	if len(r.Ops) > 1 {
		rows = append(rows, r.Total)
	}
	for _, o := range rows {
		l := o.Latency
		fmt.Fprintf(&b, "<tr><th>%s</th><td>%d</td><td>%d</td><td>%.1f</td><td>%.2f</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			esc(o.Op), o.Count, o.Errors, o.OpsPerSec, o.BytesPerSec/(1<<20), fmtDur(l.Mean), fmtDur(l.P50), fmtDur(l.P90), fmtDur(l.P99), fmtDur(l.P999), fmtDur(l.Max))
	}
	b.WriteString("</table>\n")
	if r.Total.Errors > 0 {
		b.WriteString("<h2>Errors</h2>\n<table><tr><th>operation</th><th>code</th><th>count</th><th>first message</th></tr>\n")
		for _, o := range r.Ops {
			for _, code := range sortedCodes(o.ErrorCodes) {
				fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td class=\"n\">%d</td><td>%s</td></tr>\n", esc(o.Op), esc(code), o.ErrorCodes[code], esc(clip(o.ErrorExamples[code], 200)))
			}
		}
		b.WriteString("</table>\n")
	}

	// Charts.
	b.WriteString("<h2>Throughput over time</h2>\n")
	b.WriteString(r.timeChart("requests/s", func(o OpSample, dt float64) float64 { return float64(o.Ops) / dt }, false))
	if r.Total.Bytes > 0 {
		b.WriteString("<h2>Bandwidth over time</h2>\n")
		b.WriteString(r.timeChart("MiB/s", func(o OpSample, dt float64) float64 { return float64(o.Bytes) / dt / (1 << 20) }, false))
	}
	if r.Total.Errors > 0 {
		b.WriteString("<h2>Errors over time</h2>\n")
		b.WriteString(r.timeChart("errors/s", func(o OpSample, dt float64) float64 { return float64(o.Errors) / dt }, false))
	}
	b.WriteString("<h2>Mean latency over time</h2>\n")
	b.WriteString(r.timeChart("ms", func(o OpSample, dt float64) float64 { return float64(o.MeanLatency) / 1e6 }, true))
	b.WriteString("<h2>Latency distribution</h2>\n")
	b.WriteString(r.percentileChart())
	b.WriteString(r.histogramChart())
	b.WriteString("\n<p class=\"foot\">Latencies are of successful requests, to the last byte of the reply, from log-linear histograms with better than 1% precision.</p>\n</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

const reportCSS = `
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:980px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
p.title{color:#555;margin:0 0 12px}p.foot{color:#777;font-size:12px;margin-top:24px}
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
table.num td,td.n{text-align:right;font-variant-numeric:tabular-nums}table.kv th{color:#555;font-weight:normal}
svg{display:block;margin:6px 0 10px;background:#fff}
`

// svgStyle is repeated in every chart so that each SVG also stands alone.
const svgStyle = `<style>text{font:11px system-ui,sans-serif;fill:#444}.grid{stroke:#e6e6e6;stroke-width:1}.axis{stroke:#999;stroke-width:1}.ttl{font-size:12px;fill:#222}</style>`

var chartColors = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"}

// series is one line of a chart.
type series struct {
	name string
	pts  [][2]float64
}

// chartAxis maps data to pixels; log axes take log10 of the data first.
type chartAxis struct {
	label    string
	min, max float64
	ticks    []float64
	tickFmt  func(float64) string
}

// Chart geometry in SVG pixels.
const (
	chartW, chartH                       = 900, 300
	padLeft, padRight, padTop, padBottom = 70, 170, 22, 40
	plotW, plotH                         = chartW - padLeft - padRight, chartH - padTop - padBottom
	// histBins is the number of log-spaced bins of the latency histogram.
	histBins = 60
	// maxNines bounds the percentile axis at 99.999%.
	maxNines   = 5.0
	chartEmpty = "<p>No data.</p>\n"
)

// timeChart draws one line per operation of value(sample) over time.
func (r *Result) timeChart(unit string, value func(OpSample, float64) float64, skipZero bool) string {
	byOp := map[string]*series{}
	var order []string
	for _, smp := range r.Timeline {
		if smp.Dt <= 0 {
			continue
		}
		for _, o := range smp.Ops {
			s := byOp[o.Op]
			if s == nil {
				s = &series{name: o.Op}
				byOp[o.Op] = s
				order = append(order, o.Op)
			}
			v := value(o, smp.Dt)
			if skipZero && o.Ops == 0 {
				continue
			}
			s.pts = append(s.pts, [2]float64{smp.T, v})
		}
	}
	var ss []series
	for _, name := range order {
		ss = append(ss, *byOp[name])
	}
	xmax := r.Elapsed.Seconds()
	ymax := 0.0
	for _, s := range ss {
		for _, p := range s.pts {
			ymax = math.Max(ymax, p[1])
		}
	}
	if len(ss) == 0 || xmax <= 0 {
		return chartEmpty
	}
	x := linearAxis("seconds since start", 0, xmax, func(v float64) string { return trimFloat(v) })
	y := linearAxis(unit, 0, ymax, func(v float64) string { return trimFloat(v) })
	return lineChart("", x, y, ss, false)
}

// percentileChart draws latency against percentile on a "nines" axis
// (0, 90, 99, 99.9, ...), one line per operation.
func (r *Result) percentileChart() string {
	var ss []series
	ymax := 0.0
	nines := 1.0
	for _, o := range r.Ops {
		h := o.Histogram
		if h == nil || h.Count() == 0 {
			continue
		}
		// Enough nines that the last point still has a sample behind it.
		n := math.Min(maxNines, math.Max(1, math.Floor(math.Log10(float64(h.Count())))))
		nines = math.Max(nines, n)
		s := series{name: o.Op}
		for i := 0; i <= 200; i++ {
			xv := n * float64(i) / 200
			q := 1 - math.Pow(10, -xv)
			v := float64(h.Quantile(q)) / 1e6
			s.pts = append(s.pts, [2]float64{xv, v})
			ymax = math.Max(ymax, v)
		}
		s.pts = append(s.pts, [2]float64{n, float64(h.Max()) / 1e6})
		ymax = math.Max(ymax, float64(h.Max())/1e6)
		ss = append(ss, s)
	}
	if len(ss) == 0 {
		return chartEmpty
	}
	x := chartAxis{label: "percentile", min: 0, max: nines, tickFmt: func(v float64) string {
		if v == 0 {
			return "0%"
		}
		return trimFloat(100*(1-math.Pow(10, -v))) + "%"
	}}
	for i := 0.0; i <= nines; i++ {
		x.ticks = append(x.ticks, i)
	}
	y := linearAxis("latency (ms)", 0, ymax, func(v float64) string { return trimFloat(v) })
	return lineChart("Latency by percentile", x, y, ss, false)
}

// histogramChart draws request counts in log-spaced latency bins, one
// line per operation.
func (r *Result) histogramChart() string {
	lo, hi := math.Inf(1), 0.0
	for _, o := range r.Ops {
		if o.Histogram != nil && o.Histogram.Count() > 0 {
			lo = math.Min(lo, float64(max(o.Histogram.Min(), time.Microsecond)))
			hi = math.Max(hi, float64(o.Histogram.Max()))
		}
	}
	if hi == 0 {
		return chartEmpty
	}
	llo, lhi := math.Floor(math.Log10(lo)*4)/4, math.Ceil(math.Log10(hi)*4)/4
	if lhi-llo < 0.5 {
		lhi = llo + 0.5
	}
	var ss []series
	ymax := 0.0
	for _, o := range r.Ops {
		h := o.Histogram
		if h == nil || h.Count() == 0 {
			continue
		}
		var bins [histBins]float64
		for _, bk := range h.Buckets() {
			mid := math.Log10(math.Max(float64(bk.Low+bk.High)/2, 1))
			i := int((mid - llo) / (lhi - llo) * histBins)
			i = min(max(i, 0), histBins-1)
			bins[i] += float64(bk.Count)
		}
		s := series{name: o.Op}
		for i, c := range bins {
			s.pts = append(s.pts, [2]float64{llo + (float64(i)+0.5)*(lhi-llo)/histBins, c})
			ymax = math.Max(ymax, c)
		}
		ss = append(ss, s)
	}
	x := chartAxis{label: "latency (log scale)", min: llo, max: lhi, tickFmt: func(v float64) string { return tickDur(time.Duration(math.Pow(10, v))) }}
	for d := math.Ceil(llo); d <= lhi; d++ {
		x.ticks = append(x.ticks, d)
	}
	if len(x.ticks) < 2 {
		x.ticks = []float64{llo, lhi}
	}
	y := linearAxis("requests", 0, ymax, func(v float64) string { return trimFloat(v) })
	return lineChart("Requests per latency bin", x, y, ss, len(ss) == 1)
}

// linearAxis spans [lo, hi] with "nice" ticks (1, 2, 5 x 10^k).
func linearAxis(label string, lo, hi float64, f func(float64) string) chartAxis {
	if hi-lo < 1e-9 {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / 5)
	a := chartAxis{label: label, min: lo, max: math.Ceil(hi/step) * step, tickFmt: f}
	for v := lo; v <= a.max+step/2; v += step {
		a.ticks = append(a.ticks, v)
	}
	return a
}

func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// tickDur formats round latencies for axis ticks: "1ms", "250µs", "1.5s".
func tickDur(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return trimFloat(float64(d)) + "ns"
	case d < time.Millisecond:
		return trimFloat(float64(d)/1e3) + "µs"
	case d < time.Second:
		return trimFloat(float64(d)/1e6) + "ms"
	}
	return trimFloat(d.Seconds()) + "s"
}

func trimFloat(v float64) string {
	if math.Abs(v) >= 100 || v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	s := strconv.FormatFloat(v, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// lineChart draws ss as polylines (or, with bars, as translucent steps)
// with axes, grid and a legend.
func lineChart(title string, x, y chartAxis, ss []series, bars bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`, chartW, chartH, chartW, chartH)
	b.WriteString(svgStyle)
	px := func(v float64) float64 { return padLeft + (v-x.min)/(x.max-x.min)*plotW }
	py := func(v float64) float64 { return padTop + plotH - (v-y.min)/(y.max-y.min)*plotH }
	if title != "" {
		fmt.Fprintf(&b, `<text class="ttl" x="%d" y="%d">%s</text>`, padLeft, 14, html.EscapeString(title))
	}
	for _, t := range y.ticks {
		yy := py(t)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padLeft, padLeft+plotW, yy, yy)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, padLeft-6, yy+4, html.EscapeString(y.tickFmt(t)))
	}
	for _, t := range x.ticks {
		xx := px(t)
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>`, xx, xx, padTop, padTop+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, xx, padTop+plotH+16, html.EscapeString(x.tickFmt(t)))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>`, padLeft, padLeft+plotW, padTop+plotH, padTop+plotH)
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>`, padLeft, padLeft, padTop, padTop+plotH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, padLeft+plotW/2, chartH-6, html.EscapeString(x.label))
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" transform="rotate(-90 %d %d)">%s</text>`,
		14, padTop+plotH/2, 14, padTop+plotH/2, html.EscapeString(y.label))
	for i, s := range ss {
		col := chartColors[i%len(chartColors)]
		if len(s.pts) == 0 {
			continue
		}
		pts := append([][2]float64(nil), s.pts...)
		sort.SliceStable(pts, func(i, j int) bool { return pts[i][0] < pts[j][0] })
		if bars {
			w := plotW / float64(len(pts))
			for _, p := range pts {
				if p[1] <= 0 {
					continue
				}
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="%s"/>`,
					px(p[0])-w/2+0.5, py(p[1]), math.Max(w-1, 1), py(y.min)-py(p[1]), col, "0.55")
			}
		} else {
			b.WriteString(`<polyline fill="none" stroke="` + col + `" stroke-width="1.6" stroke-linejoin="round" points="`)
			for j, p := range pts {
				if j > 0 {
					b.WriteByte(' ')
				}
				fmt.Fprintf(&b, "%.1f,%.1f", px(p[0]), py(p[1]))
			}
			b.WriteString(`"/>`)
			if len(pts) == 1 {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"/>`, px(pts[0][0]), py(pts[0][1]), 2.5, col)
			}
		}
		ly := padTop + i*16
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="4" fill="%s"/>`, chartW-padRight+14, ly, col)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`, chartW-padRight+32, ly+7, html.EscapeString(s.name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}
