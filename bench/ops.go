package bench

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Op is an S3 or STS operation a workload issues; results are kept per Op.
type Op uint8

// Operations. The numbers index arrays in memory only; results name them by
// String.
const (
	OpPut Op = iota
	OpGet
	OpHead
	OpDelete
	OpList
	OpCreateMultipart
	OpUploadPart
	OpCompleteMultipart
	OpAssumeRole
	numOps
)

var opNames = [numOps]string{
	OpPut:               "PutObject",
	OpGet:               "GetObject",
	OpHead:              "HeadObject",
	OpDelete:            "DeleteObject",
	OpList:              "ListObjectsV2",
	OpCreateMultipart:   "CreateMultipartUpload",
	OpUploadPart:        "UploadPart",
	OpCompleteMultipart: "CompleteMultipartUpload",
	OpAssumeRole:        "AssumeRole",
}

// String returns the operation's S3 API name, e.g. "PutObject".
func (o Op) String() string {
	if o < numOps {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// mixOps are the operations the mixed workload can weigh, by their short
// names.
var mixOps = map[string]Op{"get": OpGet, "put": OpPut, "delete": OpDelete, "head": OpHead, "list": OpList}

func mixName(o Op) string {
	for k, v := range mixOps {
		if v == o {
			return k
		}
	}
	return o.String()
}

// OpWeight is one operation of a Mix and its relative weight (> 0).
type OpWeight struct {
	Op     Op
	Weight float64
}

// Mix weighs the operations of the mixed workload. Its text form is
// "get=70,put=20,delete=10"; the operations are get, put, delete, head and
// list.
type Mix []OpWeight

// ParseMix reads "get=70,put=20,delete=10".
func ParseMix(s string) (Mix, error) {
	var m Mix
	seen := map[Op]bool{}
	for _, part := range strings.Split(s, ",") {
		name, wt, ok := strings.Cut(strings.TrimSpace(part), "=")
		op, known := mixOps[strings.ToLower(strings.TrimSpace(name))]
		if !ok || !known {
			return nil, fmt.Errorf("%w: %q: want op=weight with op one of get, put, delete, head, list", ErrInvalidMix, part)
		}
		if seen[op] {
			return nil, fmt.Errorf("%w: %s given twice", ErrInvalidMix, name)
		}
		seen[op] = true
		w, err := strconv.ParseFloat(strings.TrimSpace(wt), 64)
		if err != nil || w < 0 || w > 1e9 {
			return nil, fmt.Errorf("%w: weight %q of %s must be a number in 0-1e9", ErrInvalidMix, wt, name)
		}
		if w > 0 {
			m = append(m, OpWeight{Op: op, Weight: w})
		}
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// String writes m in the form ParseMix reads.
func (m Mix) String() string {
	parts := make([]string, len(m))
	for i, ow := range m {
		parts[i] = mixName(ow.Op) + "=" + strconv.FormatFloat(ow.Weight, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// Validate checks that m weighs at least one mixable operation, each with a
// positive weight.
func (m Mix) Validate() error {
	if len(m) == 0 {
		return fmt.Errorf("%w: no operation has a positive weight", ErrInvalidMix)
	}
	for _, ow := range m {
		if _, ok := mixOps[mixName(ow.Op)]; !ok {
			return fmt.Errorf("%w: %s cannot be mixed", ErrInvalidMix, ow.Op)
		}
		if !(ow.Weight > 0) || ow.Weight > 1e9 {
			return fmt.Errorf("%w: weight of %s must be in (0, 1e9], got %v", ErrInvalidMix, mixName(ow.Op), ow.Weight)
		}
	}
	return nil
}

// opPicker draws operations from a Mix; read-only after construction.
type opPicker struct {
	ops []Op
	cum []float64
}

func newOpPicker(m Mix) opPicker {
	var p opPicker
	var t float64
	for _, ow := range m {
		t += ow.Weight
		p.ops = append(p.ops, ow.Op)
		p.cum = append(p.cum, t)
	}
	return p
}

func (p *opPicker) pick(r *rand.Rand) Op {
	x := r.Float64() * p.cum[len(p.cum)-1]
	for i, c := range p.cum {
		if x < c {
			return p.ops[i]
		}
	}
	return p.ops[len(p.ops)-1]
}
