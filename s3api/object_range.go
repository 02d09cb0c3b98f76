package s3api

import (
	"bytes"
	"math"
	"strconv"
)

// byteRange is a resolved range: length bytes from first.
type byteRange struct {
	first, length int64
}

// rangeResult says how a Range header applies to an object.
type rangeResult uint8

const (
	rangeNone          rangeResult = iota // no (usable) Range: whole object
	rangeOK                               // a satisfiable single range
	rangeUnsatisfiable                    // 416
)

// parseRange resolves a Range header against an object of size bytes,
// as AWS does: "bytes=a-b", "bytes=a-" and "bytes=-n"; b past the end is
// clamped; a suffix longer than the object is the whole object. A header
// that does not parse, or names several ranges, is ignored (the whole
// object is returned). A first byte at or past the end, or an empty
// suffix, is unsatisfiable.
func parseRange(h []byte, size int64) (byteRange, rangeResult) {
	if len(h) == 0 {
		return byteRange{}, rangeNone
	}
	spec, ok := bytes.CutPrefix(bytes.TrimSpace(h), []byte("bytes="))
	if !ok || bytes.IndexByte(spec, ',') >= 0 {
		return byteRange{}, rangeNone
	}
	a, b, ok := bytes.Cut(bytes.TrimSpace(spec), []byte("-"))
	if !ok {
		return byteRange{}, rangeNone
	}
	a, b = bytes.TrimSpace(a), bytes.TrimSpace(b)
	if len(a) == 0 {
		n, ok := parseNonNeg(b)
		if !ok {
			return byteRange{}, rangeNone
		}
		if n == 0 || size == 0 {
			return byteRange{}, rangeUnsatisfiable
		}
		n = min(n, size)
		return byteRange{first: size - n, length: n}, rangeOK
	}
	first, ok := parseNonNeg(a)
	if !ok {
		return byteRange{}, rangeNone
	}
	last := size - 1
	if len(b) > 0 {
		l, ok := parseNonNeg(b)
		if !ok || l < first {
			return byteRange{}, rangeNone
		}
		last = min(l, size-1)
	}
	if first >= size {
		return byteRange{}, rangeUnsatisfiable
	}
	return byteRange{first: first, length: last - first + 1}, rangeOK
}

// parseCopySourceRange parses x-amz-copy-source-range ("bytes=a-b", both
// required) against a source of size bytes. ok is false for bad syntax;
// inRange is false when the range does not fit the source.
func parseCopySourceRange(h []byte, size int64) (br byteRange, ok, inRange bool) {
	spec, found := bytes.CutPrefix(bytes.TrimSpace(h), []byte("bytes="))
	if !found {
		return br, false, false
	}
	a, b, found := bytes.Cut(spec, []byte("-"))
	if !found {
		return br, false, false
	}
	first, ok1 := parseNonNeg(a)
	last, ok2 := parseNonNeg(b)
	if !ok1 || !ok2 || last < first {
		return br, false, false
	}
	if last >= size {
		return br, true, false
	}
	return byteRange{first: first, length: last - first + 1}, true, true
}

func parseNonNeg(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	var n int64
	for _, c := range b {
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
