package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"time"
)

// Histogram layout: values below 2^histSubBits are counted exactly; above,
// every power of two is split into 2^(histSubBits-1) equal buckets, so a
// bucket is at most 1/128 of its lower bound wide and a bucket's midpoint is
// within 0.4% of any value in it. Values of 2^histMaxBits ns (about 4.9
// hours) and more share the top bucket.
const (
	histSubBits = 8
	histSub     = 1 << histSubBits
	histHalf    = histSub / 2
	histMaxBits = 44
	histBuckets = histSub + (histMaxBits-histSubBits)*histHalf
)

// Histogram counts durations (nanoseconds) in log-linear buckets with
// better than 1% precision, in the manner of HdrHistogram. The zero value is
// ready to use; it allocates its 38 KiB of buckets on the first Record. A
// Histogram is not safe for concurrent use: each worker records into its own
// and Merge combines them.
type Histogram struct {
	counts []uint64
	total  int64
	min    int64
	max    int64
	sum    float64 // nanoseconds
}

// histIndex is the bucket of v >= 0.
func histIndex(v int64) int {
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - 1 // >= histSubBits
	if e >= histMaxBits {
		return histBuckets - 1
	}
	shift := e - (histSubBits - 1)
	m := int(v >> shift) // in [histHalf, histSub)
	return histSub + (e-histSubBits)*histHalf + (m - histHalf)
}

// histBounds returns bucket i's range [low, low+width).
func histBounds(i int) (low, width int64) {
	if i < histSub {
		return int64(i), 1
	}
	g := (i - histSub) / histHalf
	m := int64(histHalf + (i-histSub)%histHalf)
	shift := g + 1
	return m << shift, 1 << shift
}

// Record adds one duration; negative durations count as 0.
func (h *Histogram) Record(d time.Duration) { h.RecordValue(int64(d)) }

// RecordValue adds one value in nanoseconds; negative values count as 0.
func (h *Histogram) RecordValue(v int64) {
	if v < 0 {
		v = 0
	}
	if h.counts == nil {
		h.counts = make([]uint64, histBuckets)
	}
	h.counts[histIndex(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.total++
	h.sum += float64(v)
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.total == 0 {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint64, histBuckets)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.total += o.total
	h.sum += o.sum
}

// Count is the number of recorded values.
func (h *Histogram) Count() int64 { return h.total }

// Min is the smallest recorded value (0 when empty).
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Max is the largest recorded value (0 when empty).
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean is the exact mean of the recorded values (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.total))
}

// Quantile returns the value below or at which a fraction q (0-1) of the
// values lie, within 0.4% (the midpoint of its bucket, clamped to the
// recorded min and max). Quantile(0) is Min and Quantile(1) is Max.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	if q <= 0 {
		return time.Duration(h.min)
	}
	if q >= 1 {
		return time.Duration(h.max)
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			low, w := histBounds(i)
			v := low + w/2
			return time.Duration(min(max(v, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// Bucket is one non-empty histogram bucket: Count values in [Low, High).
type Bucket struct {
	Low, High time.Duration
	Count     int64
}

// Buckets lists the non-empty buckets in increasing order.
func (h *Histogram) Buckets() []Bucket {
	var out []Bucket
	for i, c := range h.counts {
		if c > 0 {
			low, w := histBounds(i)
			out = append(out, Bucket{Low: time.Duration(low), High: time.Duration(low + w), Count: int64(c)})
		}
	}
	return out
}

// histJSON is the JSON form of a Histogram: bucket lower bounds in ns with
// their counts, so that a reader rebuilds the same histogram.
type histJSON struct {
	Count   int64      `json:"count"`
	MinNs   int64      `json:"min_ns"`
	MaxNs   int64      `json:"max_ns"`
	SumNs   float64    `json:"sum_ns"`
	Buckets [][2]int64 `json:"buckets"`
}

// MarshalJSON writes the counts as [[low_ns, count], ...].
func (h *Histogram) MarshalJSON() ([]byte, error) {
	j := histJSON{Count: h.total, MinNs: h.min, MaxNs: h.max, SumNs: h.sum, Buckets: [][2]int64{}}
	for i, c := range h.counts {
		if c > 0 {
			low, _ := histBounds(i)
			j.Buckets = append(j.Buckets, [2]int64{low, int64(c)})
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the form MarshalJSON writes and checks that the
// bucket bounds and counts are consistent.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var j histJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	n := Histogram{total: j.Count, min: j.MinNs, max: j.MaxNs, sum: j.SumNs}
	var sum int64
	for _, bc := range j.Buckets {
		low, c := bc[0], bc[1]
		if low < 0 || c <= 0 {
			return fmt.Errorf("%w: histogram bucket [%d, %d]", ErrInvalidResult, low, c)
		}
		i := histIndex(low)
		if l, _ := histBounds(i); l != low {
			return fmt.Errorf("%w: %d ns is not a histogram bucket bound", ErrInvalidResult, low)
		}
		if n.counts == nil {
			n.counts = make([]uint64, histBuckets)
		}
		n.counts[i] += uint64(c)
		sum += c
	}
	if sum != j.Count || j.Count < 0 || (j.Count > 0 && j.MinNs > j.MaxNs) {
		return fmt.Errorf("%w: histogram counts add up to %d, count says %d", ErrInvalidResult, sum, j.Count)
	}
	*h = n
	return nil
}
