package bench

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	prevLow := int64(-1)
	for i := 0; i < histBuckets; i++ {
		low, w := histBounds(i)
		if low <= prevLow {
			t.Fatalf("bucket %d: low %d not above previous %d", i, low, prevLow)
		}
		if histIndex(low) != i || histIndex(low+w-1) != i {
			t.Fatalf("bucket %d [%d,+%d): ends map to %d and %d", i, low, w, histIndex(low), histIndex(low+w-1))
		}
		if i+1 < histBuckets {
			if next, _ := histBounds(i + 1); next != low+w {
				t.Fatalf("bucket %d ends at %d, next starts at %d", i, low+w, next)
			}
		}
		if low >= histSub && float64(w)/float64(low) > 1.0/128 {
			t.Fatalf("bucket %d: width %d is more than 1/128 of %d", i, w, low)
		}
		prevLow = low
	}
	if got := histIndex(math.MaxInt64); got != histBuckets-1 {
		t.Fatalf("MaxInt64 maps to %d", got)
	}
}

// TestHistogramPercentileAccuracy compares the histogram's percentiles with
// the exact percentiles of the same samples.
func TestHistogramPercentileAccuracy(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	dists := []struct {
		name string
		gen  func() int64
	}{
		{"uniform 1µs-10ms", func() int64 { return 1000 + r.Int64N(10_000_000) }},
		{"exponential mean 1ms", func() int64 { return int64(r.ExpFloat64() * 1e6) }},
		{"lognormal around 300µs", func() int64 { return int64(math.Exp(r.NormFloat64()*1.2 + math.Log(3e5))) }},
		{"bimodal 50µs and 40ms", func() int64 {
			if r.IntN(10) == 0 {
				return 40_000_000 + r.Int64N(5_000_000)
			}
			return 50_000 + r.Int64N(10_000)
		}},
		{"constant 123456ns", func() int64 { return 123456 }},
		{"small exact values", func() int64 { return r.Int64N(200) }},
	}
	qs := []float64{0.01, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999}
	for _, d := range dists {
		t.Run(d.name, func(t *testing.T) {
			const n = 100_000
			vals := make([]int64, n)
			var h Histogram
			var sum float64
			for i := range vals {
				vals[i] = d.gen()
				h.RecordValue(vals[i])
				sum += float64(vals[i])
			}
			slices.Sort(vals)
			if h.Count() != n || int64(h.Min()) != vals[0] || int64(h.Max()) != vals[n-1] {
				t.Fatalf("count %d min %d max %d, want %d %d %d", h.Count(), h.Min(), h.Max(), n, vals[0], vals[n-1])
			}
			if want := sum / n; math.Abs(float64(h.Mean())-want) > 1 {
				t.Fatalf("mean %d, want %.1f", h.Mean(), want)
			}
			for _, q := range qs {
				rank := int(math.Ceil(q * n))
				exact := float64(vals[rank-1])
				got := float64(h.Quantile(q))
				tol := math.Max(exact/256, 1) // half a bucket
				if math.Abs(got-exact) > tol {
					t.Errorf("q%.4f = %.0f, exact %.0f: error %.3f%% over 0.39%%", q, got, exact, 100*math.Abs(got-exact)/exact)
				}
			}
		})
	}
}

func TestHistogramMergeAndEmpty(t *testing.T) {
	var empty Histogram
	if empty.Quantile(0.5) != 0 || empty.Mean() != 0 || empty.Count() != 0 || len(empty.Buckets()) != 0 {
		t.Fatal("empty histogram is not all zero")
	}
	var a, b, all Histogram
	for i := int64(1); i <= 5000; i++ {
		v := i * i * 37
		all.RecordValue(v)
		if i%3 == 0 {
			a.RecordValue(v)
		} else {
			b.RecordValue(v)
		}
	}
	a.Merge(&b)
	a.Merge(&empty)
	a.Merge(nil)
	if a.Count() != all.Count() || a.Min() != all.Min() || a.Max() != all.Max() || a.Mean() != all.Mean() {
		t.Fatalf("merged %d/%d/%d/%d, want %d/%d/%d/%d", a.Count(), a.Min(), a.Max(), a.Mean(), all.Count(), all.Min(), all.Max(), all.Mean())
	}
	if !slices.Equal(a.Buckets(), all.Buckets()) {
		t.Fatal("merged buckets differ")
	}
	var neg Histogram
	neg.Record(-time.Second)
	if neg.Min() != 0 || neg.Max() != 0 {
		t.Fatalf("negative durations must count as 0, got %d..%d", neg.Min(), neg.Max())
	}
}

func TestHistogramJSON(t *testing.T) {
	var h Histogram
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		h.RecordValue(int64(r.ExpFloat64() * 2e6))
	}
	b, err := json.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, q := range []float64{0, 0.5, 0.99, 1} {
		if back.Quantile(q) != h.Quantile(q) {
			t.Fatalf("q%v: %v after round trip, %v before", q, back.Quantile(q), h.Quantile(q))
		}
	}
	if back.Mean() != h.Mean() || !slices.Equal(back.Buckets(), h.Buckets()) {
		t.Fatal("round trip changed the histogram")
	}
	for _, bad := range []string{
		`{"count":1,"min_ns":5,"max_ns":5,"sum_ns":5,"buckets":[[257,1]]}`, // 257 is inside bucket [256,258)
		`{"count":2,"min_ns":5,"max_ns":5,"sum_ns":5,"buckets":[[5,1]]}`,   // counts do not add up
		`{"count":1,"min_ns":5,"max_ns":5,"sum_ns":5,"buckets":[[-1,1]]}`,
		`{"count":1,"min_ns":9,"max_ns":5,"sum_ns":5,"buckets":[[5,1]]}`,
	} {
		var x Histogram
		if err := json.Unmarshal([]byte(bad), &x); !errors.Is(err, ErrInvalidResult) {
			t.Errorf("%s: err %v, want ErrInvalidResult", bad, err)
		}
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	v := int64(1)
	for b.Loop() {
		h.RecordValue(v)
		v = (v*1103515245 + 12345) & (1<<34 - 1)
	}
}

func BenchmarkHistogramQuantile(b *testing.B) {
	var h Histogram
	for i := range int64(100000) {
		h.RecordValue(i * 997)
	}
	for b.Loop() {
		_ = h.Quantile(0.99)
	}
}

func FuzzHistogramJSON(f *testing.F) {
	f.Add([]byte(`{"count":1,"min_ns":5,"max_ns":5,"sum_ns":5,"buckets":[[5,1]]}`))
	f.Add([]byte(`{"count":0,"buckets":[]}`))
	f.Add([]byte(`{"count":3,"min_ns":300,"max_ns":70000,"sum_ns":70600,"buckets":[[300,2],[69632,1]]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Histogram
		if err := json.Unmarshal(b, &h); err != nil {
			return
		}
		// Whatever was accepted is consistent enough to query and re-encode.
		_ = h.Quantile(0.5)
		_ = h.Buckets()
		out, err := json.Marshal(&h)
		if err != nil {
			t.Fatal(err)
		}
		var again Histogram
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-encoded histogram does not read back: %v\n%s", err, out)
		}
	})
}

// newTestRand is a fixed-seed source for tests of random choices.
func newTestRand() *rand.Rand { return rand.New(rand.NewPCG(42, 43)) }
