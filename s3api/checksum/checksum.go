package checksum

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"strconv"
)

// Errors returned by this package. Callers map them to S3 errors.
var (
	// ErrUnknownAlgorithm: the name is not one of CRC32, CRC32C, CRC64NVME,
	// SHA1, SHA256.
	ErrUnknownAlgorithm = errors.New("checksum: unknown algorithm")
	// ErrInvalidValue: a checksum value is not valid base64 of the
	// algorithm's digest size.
	ErrInvalidValue = errors.New("checksum: invalid checksum value")
	// ErrNotCRC: full-object combination was asked of a non-CRC algorithm.
	ErrNotCRC = errors.New("checksum: algorithm cannot be combined (not a CRC)")
	// ErrUnknownType: x-amz-checksum-type is neither COMPOSITE nor FULL_OBJECT.
	ErrUnknownType = errors.New("checksum: unknown checksum type")
	// ErrNoParts: a multipart checksum was asked of zero parts.
	ErrNoParts = errors.New("checksum: no parts")
)

// Algorithm is an S3 additional checksum algorithm. The zero value None
// means "no checksum".
type Algorithm uint8

// The algorithms S3 supports for x-amz-checksum-*.
const (
	None Algorithm = iota
	CRC32
	CRC32C
	CRC64NVME
	SHA1
	SHA256
)

// MaxSize is the largest raw digest size of any Algorithm (SHA256), in bytes.
const MaxSize = sha256.Size

// MaxEncodedLen is the largest base64 length of any Algorithm's digest.
const MaxEncodedLen = 44

// Algorithms lists every Algorithm except None, in a fixed order. It is
// read-only: do not assign to its elements.
var Algorithms = [...]Algorithm{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}

var algNames = [...]string{None: "", CRC32: "CRC32", CRC32C: "CRC32C", CRC64NVME: "CRC64NVME", SHA1: "SHA1", SHA256: "SHA256"}

var headerNames = [...]string{
	None:      "",
	CRC32:     "x-amz-checksum-crc32",
	CRC32C:    "x-amz-checksum-crc32c",
	CRC64NVME: "x-amz-checksum-crc64nvme",
	SHA1:      "x-amz-checksum-sha1",
	SHA256:    "x-amz-checksum-sha256",
}

var sizes = [...]int{None: 0, CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: sha1.Size, SHA256: sha256.Size}

// String returns the upper-case name S3 uses ("CRC32C"), or "" for None and
// unknown values.
func (a Algorithm) String() string {
	if int(a) < len(algNames) {
		return algNames[a]
	}
	return ""
}

// Valid reports whether a is one of the five algorithms.
func (a Algorithm) Valid() bool { return a > None && int(a) < len(algNames) }

// HeaderName returns the lower-case header carrying a's value
// ("x-amz-checksum-crc32c"), or "" for None.
func (a Algorithm) HeaderName() string {
	if int(a) < len(headerNames) {
		return headerNames[a]
	}
	return ""
}

// Size returns the raw digest size in bytes (4, 8, 20 or 32), 0 for None.
func (a Algorithm) Size() int {
	if int(a) < len(sizes) {
		return sizes[a]
	}
	return 0
}

// EncodedLen returns the length of a's base64 value on the wire.
func (a Algorithm) EncodedLen() int { return base64.StdEncoding.EncodedLen(a.Size()) }

// IsCRC reports whether a is a CRC (and so can be combined for FULL_OBJECT).
func (a Algorithm) IsCRC() bool { return a == CRC32 || a == CRC32C || a == CRC64NVME }

// Supports reports whether S3 accepts a with multipart checksum type t:
// CRC32 and CRC32C take both, CRC64NVME only FULL_OBJECT, SHA1 and SHA256
// only COMPOSITE.
func (a Algorithm) Supports(t Type) bool {
	switch t {
	case Composite:
		return a == CRC32 || a == CRC32C || a == SHA1 || a == SHA256
	case FullObject:
		return a.IsCRC()
	}
	return false
}

// ParseAlgorithm parses an x-amz-sdk-checksum-algorithm (or
// x-amz-checksum-algorithm) value such as "CRC32C", ignoring case.
func ParseAlgorithm(name string) (Algorithm, error) {
	if a := parseName(name); a != None {
		return a, nil
	}
	return None, fmt.Errorf("%w: %q", ErrUnknownAlgorithm, name)
}

// ParseAlgorithmBytes is ParseAlgorithm for a byte slice; it does not
// allocate. It returns None when name is unknown.
func ParseAlgorithmBytes(name []byte) Algorithm { return parseName(name) }

func parseName[T string | []byte](name T) Algorithm {
	for _, a := range Algorithms {
		if equalFold(name, algNames[a]) {
			return a
		}
	}
	return None
}

// FromHeader returns the algorithm whose value header is name
// ("x-amz-checksum-crc32c", any case), or None. It does not allocate.
func FromHeader[T string | []byte](name T) Algorithm {
	const prefix = "x-amz-checksum-"
	if len(name) <= len(prefix) || !equalFold(name[:len(prefix)], prefix) {
		return None
	}
	return parseName(name[len(prefix):])
}

// equalFold compares ASCII case-insensitively.
func equalFold[T string | []byte](a T, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// New returns a fresh hash.Hash computing a, or nil for None and unknown
// values. Sum appends the raw big-endian digest, as S3 encodes it.
func New(a Algorithm) hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(castagnoli)
	case CRC64NVME:
		return NewCRC64NVME()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	}
	return nil
}

var (
	castagnoli   = crc32.MakeTable(crc32.Castagnoli)
	strictBase64 = base64.StdEncoding.Strict()
)

// Sum returns the raw checksum of data under a (nil for None).
func Sum(a Algorithm, data []byte) []byte {
	h := New(a)
	if h == nil {
		return nil
	}
	h.Write(data)
	return h.Sum(nil)
}

// Encode returns the base64 (standard, padded) form of a raw checksum, as
// sent in x-amz-checksum-* headers.
func Encode(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }

// AppendEncode appends the base64 form of sum to dst.
func AppendEncode(dst, sum []byte) []byte { return base64.StdEncoding.AppendEncode(dst, sum) }

// Decode parses a base64 x-amz-checksum-* value of algorithm a into the raw
// digest. It fails with ErrInvalidValue unless value is canonical padded
// base64 of exactly a.Size() bytes.
func Decode(a Algorithm, value string) ([]byte, error) {
	var buf [MaxSize]byte
	sum, err := AppendDecode(buf[:0], a, []byte(value))
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), sum...), nil
}

// AppendDecode is Decode appending the raw digest to dst. It does not
// allocate when dst has room for a.Size() bytes.
func AppendDecode(dst []byte, a Algorithm, value []byte) ([]byte, error) {
	if !a.Valid() {
		return dst, ErrUnknownAlgorithm
	}
	if len(value) != a.EncodedLen() {
		return dst, ErrInvalidValue
	}
	var buf [MaxSize + 3]byte
	n, err := strictBase64.Decode(buf[:], value)
	if err != nil || n != a.Size() {
		return dst, ErrInvalidValue
	}
	return append(dst, buf[:n]...), nil
}

// Type is the multipart checksum type (x-amz-checksum-type).
type Type uint8

// The checksum types.
const (
	// TypeNone: no checksum type given.
	TypeNone Type = iota
	// Composite: the checksum of the concatenated part checksums, "-N".
	Composite
	// FullObject: the checksum of the whole object (CRCs only).
	FullObject
)

// String returns "COMPOSITE", "FULL_OBJECT" or "".
func (t Type) String() string {
	switch t {
	case Composite:
		return "COMPOSITE"
	case FullObject:
		return "FULL_OBJECT"
	}
	return ""
}

// ParseType parses an x-amz-checksum-type value (case-insensitive).
func ParseType(s string) (Type, error) {
	switch {
	case equalFold(s, "COMPOSITE"):
		return Composite, nil
	case equalFold(s, "FULL_OBJECT"):
		return FullObject, nil
	}
	return TypeNone, fmt.Errorf("%w: %q", ErrUnknownType, s)
}

// DefaultType returns the type S3 assumes for a multipart upload with
// algorithm a when none is given: FULL_OBJECT for CRC64NVME, else COMPOSITE.
func DefaultType(a Algorithm) Type {
	if a == CRC64NVME {
		return FullObject
	}
	return Composite
}

// Part is one part's raw checksum and size, for multipart checksums.
type Part struct {
	// Sum is the raw (not base64) checksum of the part.
	Sum []byte
	// Size is the part's length in bytes (used by FULL_OBJECT only).
	Size int64
}

// CompositeSum returns the COMPOSITE checksum of a multipart object: the
// base64 checksum (under a) of the concatenated raw part checksums, followed
// by "-" and the number of parts, e.g. "Kq5sNclPz7QV2+lfQIuc6R7oRu0=-3".
func CompositeSum(a Algorithm, parts []Part) (string, error) {
	if !a.Valid() {
		return "", ErrUnknownAlgorithm
	}
	if len(parts) == 0 {
		return "", ErrNoParts
	}
	h := New(a)
	for i, p := range parts {
		if len(p.Sum) != a.Size() {
			return "", fmt.Errorf("%w: part %d has %d bytes, %s needs %d", ErrInvalidValue, i+1, len(p.Sum), a, a.Size())
		}
		h.Write(p.Sum)
	}
	var buf [MaxSize]byte
	return Encode(h.Sum(buf[:0])) + "-" + strconv.Itoa(len(parts)), nil
}

// FullObjectSum returns the raw FULL_OBJECT CRC of the concatenation of
// parts, combining the part CRCs with their sizes (no data is read).
func FullObjectSum(a Algorithm, parts []Part) ([]byte, error) {
	if !a.IsCRC() {
		return nil, ErrNotCRC
	}
	if len(parts) == 0 {
		return nil, ErrNoParts
	}
	var crc uint64
	for i, p := range parts {
		if len(p.Sum) != a.Size() {
			return nil, fmt.Errorf("%w: part %d has %d bytes, %s needs %d", ErrInvalidValue, i+1, len(p.Sum), a, a.Size())
		}
		if p.Size < 0 {
			return nil, fmt.Errorf("%w: part %d has negative size", ErrInvalidValue, i+1)
		}
		v := beUint(p.Sum)
		if i == 0 {
			crc = v
			continue
		}
		crc = Combine(a, crc, v, p.Size)
	}
	out := make([]byte, a.Size())
	putBeUint(out, crc)
	return out, nil
}

func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func putBeUint(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}
