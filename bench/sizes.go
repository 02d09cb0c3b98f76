package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// MaxObjectSize is the largest object size a SizeDist may name (5 TiB, the
// S3 limit).
const MaxObjectSize = 5 << 40

// SizeWeight is one object size in bytes and its relative weight (> 0).
type SizeWeight struct {
	Size   int64   `json:"size"`
	Weight float64 `json:"weight"`
}

// SizeDist is a discrete distribution of object sizes. Its text form is
// "4KiB" (one size) or "4KiB:50,1MiB:50" (size:weight pairs).
type SizeDist []SizeWeight

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	// Longest suffixes first so that "KiB" is not read as "B".
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000}, {"tb", 1000 * 1000 * 1000 * 1000},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// ParseSize reads a size in bytes: a whole number with an optional unit,
// KiB/MiB/GiB/TiB (or K/M/G/T) for powers of 1024, KB/MB/GB/TB for powers
// of 1000, B for bytes; case does not matter ("4KiB", "1mib", "512").
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: %q is not a size such as 4KiB, 1MiB or 512", ErrInvalidSize, s)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%w: %q is too large", ErrInvalidSize, s)
	}
	return n * mult, nil
}

// FormatSize writes n bytes in the largest binary unit that divides it
// ("4KiB", "1MiB", "1000B").
func FormatSize(n int64) string {
	for _, u := range []struct {
		s string
		m int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.m && n%u.m == 0 {
			return strconv.FormatInt(n/u.m, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// ParseSizeDist reads "4KiB" or "4KiB:50,1MiB:50". Weights are positive
// numbers; a size without a weight weighs 1.
func ParseSizeDist(s string) (SizeDist, error) {
	var d SizeDist
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("%w: empty entry in %q", ErrInvalidSize, s)
		}
		sz, wt, hasW := strings.Cut(part, ":")
		n, err := ParseSize(sz)
		if err != nil {
			return nil, err
		}
		w := 1.0
		if hasW {
			w, err = strconv.ParseFloat(strings.TrimSpace(wt), 64)
			if err != nil || !(w > 0) || math.IsInf(w, 0) {
				return nil, fmt.Errorf("%w: weight %q in %q must be a positive number", ErrInvalidSize, wt, s)
			}
		}
		d = append(d, SizeWeight{Size: n, Weight: w})
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// String writes d in the form ParseSizeDist reads.
func (d SizeDist) String() string {
	if len(d) == 1 {
		return FormatSize(d[0].Size)
	}
	var b strings.Builder
	for i, sw := range d {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(FormatSize(sw.Size))
		b.WriteByte(':')
		b.WriteString(strconv.FormatFloat(sw.Weight, 'g', -1, 64))
	}
	return b.String()
}

// Validate checks that d has 1-64 entries of 0-5 TiB with positive weights.
func (d SizeDist) Validate() error {
	if len(d) == 0 || len(d) > 64 {
		return fmt.Errorf("%w: need 1-64 sizes, got %d", ErrInvalidSize, len(d))
	}
	for _, sw := range d {
		if sw.Size < 0 || sw.Size > MaxObjectSize {
			return fmt.Errorf("%w: size %d is outside 0-5TiB", ErrInvalidSize, sw.Size)
		}
		if !(sw.Weight > 0) || math.IsInf(sw.Weight, 0) {
			return fmt.Errorf("%w: weight %v of size %s must be positive", ErrInvalidSize, sw.Weight, FormatSize(sw.Size))
		}
	}
	return nil
}

// Max is the largest size in d.
func (d SizeDist) Max() int64 {
	var m int64
	for _, sw := range d {
		m = max(m, sw.Size)
	}
	return m
}

// Mean is the weighted mean size in bytes.
func (d SizeDist) Mean() float64 {
	var s, w float64
	for _, sw := range d {
		s += float64(sw.Size) * sw.Weight
		w += sw.Weight
	}
	if w == 0 {
		return 0
	}
	return s / w
}

// sizePicker draws sizes from a SizeDist. Read-only after construction;
// each caller passes its own rand.
type sizePicker struct {
	sizes []int64
	cum   []float64 // cumulative weights, last == total
}

func newSizePicker(d SizeDist) sizePicker {
	p := sizePicker{}
	var t float64
	for _, sw := range d {
		t += sw.Weight
		p.sizes = append(p.sizes, sw.Size)
		p.cum = append(p.cum, t)
	}
	return p
}

func (p *sizePicker) pick(r *rand.Rand) int64 {
	if len(p.sizes) == 1 {
		return p.sizes[0]
	}
	x := r.Float64() * p.cum[len(p.cum)-1]
	for i, c := range p.cum {
		if x < c {
			return p.sizes[i]
		}
	}
	return p.sizes[len(p.sizes)-1]
}
