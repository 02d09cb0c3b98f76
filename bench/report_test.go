package bench

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// mixedNoopResult is a short mixed run against the no-op responder.
func mixedNoopResult(t *testing.T) *Result {
	t.Helper()
	srv := startNoop(t, 2000)
	cfg := runConfig(srv.Endpoint(), "k", "s", WorkloadMixed, 400)
	cfg.Mix, _ = ParseMix("get=50,put=30,delete=10,list=10")
	return mustRun(t, cfg)
}

func TestResultJSONRoundTrip(t *testing.T) {
	r := mixedNoopResult(t)
	var a bytes.Buffer
	if err := r.WriteJSON(&a); err != nil {
		t.Fatal(err)
	}
	back, err := ReadResult(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := back.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("JSON changed in a round trip:\n%s\n----\n%s", a.Bytes(), b.Bytes())
	}
	for i, o := range back.Ops {
		if o.Histogram.Quantile(0.99) != r.Ops[i].Latency.P99 || o.Histogram.Count() != o.Count {
			t.Fatalf("%s: histogram read back gives p99 %v, recorded %v", o.Op, o.Histogram.Quantile(0.99), r.Ops[i].Latency.P99)
		}
	}
	// The JSON names its fields in snake case with units.
	var raw map[string]any
	if err := json.Unmarshal(a.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "workload", "settings", "elapsed_ns", "ops", "total", "timeline", "cpu", "host"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}

	for _, bad := range []string{`{"version":2}`, `{"version":1,"ops":[{"histogram":{"count":3,"buckets":[]}}]}`, `not json`, ``} {
		if _, err := ReadResult(strings.NewReader(bad)); !errors.Is(err, ErrInvalidResult) {
			t.Errorf("ReadResult(%q): err %v, want ErrInvalidResult", bad, err)
		}
	}
}

func TestHTMLReport(t *testing.T) {
	r := mixedNoopResult(t)
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, "</html>") {
		t.Fatal("not an HTML document")
	}
	for _, want := range []string{"Throughput over time", "Bandwidth over time", "Mean latency over time", "Latency by percentile", "Requests per latency bin", "GetObject", "PutObject", "DeleteObject", "ListObjectsV2", "harness CPU"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Self-contained: no scripts, no external resources.
	for _, bad := range []string{"<script", "src=", "href=", "@import", "url(", "<link"} {
		if strings.Contains(page, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	svgs := regexp.MustCompile(`(?s)<svg.*?</svg>`).FindAllString(page, -1)
	if len(svgs) != 5 {
		t.Fatalf("%d SVG charts, want 5", len(svgs))
	}
	for i, svg := range svgs {
		// Each chart is well-formed XML with one data line or bar set per
		// operation.
		d := xml.NewDecoder(strings.NewReader(svg))
		lines, rects := 0, 0
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("chart %d is not well-formed: %v", i, err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				switch se.Name.Local {
				case "polyline":
					lines++
				case "rect":
					rects++
				}
			}
		}
		if lines == 0 && rects <= len(r.Ops) {
			t.Errorf("chart %d draws no data", i)
		}
	}
}

func TestCompare(t *testing.T) {
	srv := startNoop(t, 100)
	cfgA := runConfig(srv.Endpoint(), "k", "s", WorkloadPut, 300)
	cfgA.Concurrency = 1
	a := mustRun(t, cfgA)
	b := mustRun(t, runConfig(srv.Endpoint(), "k", "s", WorkloadPut, 300))
	var buf bytes.Buffer
	if err := Compare(&buf, a, b); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "B/A") || !strings.Contains(out, "PutObject") || !strings.Contains(out, "CPU per request") {
		t.Fatalf("compare output:\n%s", out)
	}
	wantRatio := strconv.FormatFloat(b.Op("PutObject").OpsPerSec/a.Op("PutObject").OpsPerSec, 'f', 2, 64) + "x"
	found := false
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] == "ops/s" {
			found = true
			if f[3] != wantRatio {
				t.Errorf("ops/s ratio %s, want %s", f[3], wantRatio)
			}
		}
		if len(f) == 4 && f[0] == "errors" && f[3] != "-" {
			t.Errorf("errors ratio of 0 and 0 is %s, want -", f[3])
		}
	}
	if !found {
		t.Fatalf("no ops/s row:\n%s", out)
	}
	for _, c := range []struct {
		a, b float64
		want string
	}{{0, 0, "-"}, {0, 1, "inf"}, {2, 1, "0.50x"}, {1, 3, "3.00x"}} {
		if got := ratio(c.a, c.b); got != c.want {
			t.Errorf("ratio(%v, %v) = %s, want %s", c.a, c.b, got, c.want)
		}
	}
}

func TestSummary(t *testing.T) {
	r := mixedNoopResult(t)
	var buf bytes.Buffer
	if err := r.WriteSummary(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"mixed against", "OPERATION", "OPS/S", "P99", "GetObject", "Total", "harness CPU"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func FuzzReadResult(f *testing.F) {
	f.Add([]byte(`{"version":1,"ops":[],"total":{"op":"Total"}}`))
	f.Add([]byte(`{"version":1,"ops":[{"op":"GetObject","count":1,"histogram":{"count":1,"min_ns":5,"max_ns":5,"sum_ns":5,"buckets":[[5,1]]}}]}`))
	f.Add([]byte(`{"version":1,"timeline":[{"t":1,"dt":1,"ops":[{"op":"PutObject","ok":3}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ReadResult(bytes.NewReader(b))
		if err != nil {
			return
		}
		// Whatever reads must also report without panicking.
		_ = r.WriteSummary(io.Discard)
		_ = r.WriteHTML(io.Discard)
		_ = Compare(io.Discard, r, r)
	})
}
