package checksum

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"hash/crc64"
	"math/rand/v2"
	"strconv"
	"testing"
)

// Known values from aws-sdk-go-v2/service/internal/checksum's own tests
// (algorithms_test.go: "hello world") and the CRC catalogue check values
// ("123456789").
func TestKnownVectors(t *testing.T) {
	cases := []struct {
		alg   Algorithm
		input string
		want  string // base64
	}{
		{CRC32, "hello world", "DUoRhQ=="},
		{CRC32C, "hello world", "yZRlqg=="},
		{CRC64NVME, "hello world", "jSnVw/bqjr4="},
		{SHA1, "hello world", "Kq5sNclPz7QV2+lfQIuc6R7oRu0="},
		{SHA256, "hello world", "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="},
		{CRC32, "123456789", b64u64(0xCBF43926, 4)},
		{CRC32C, "123456789", b64u64(0xE3069283, 4)},
		{CRC64NVME, "123456789", b64u64(0xAE8B14860A799888, 8)},
		{CRC32, "", "AAAAAA=="},
		{CRC64NVME, "", "AAAAAAAAAAA="},
		{SHA256, "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
	}
	for _, c := range cases {
		t.Run(c.alg.String()+"/"+c.input, func(t *testing.T) {
			if got := Encode(Sum(c.alg, []byte(c.input))); got != c.want {
				t.Fatalf("Sum = %s, want %s", got, c.want)
			}
			// Streaming in odd pieces gives the same result.
			h := New(c.alg)
			for i := 0; i < len(c.input); i += 3 {
				h.Write([]byte(c.input[i:min(i+3, len(c.input))]))
			}
			if got := Encode(h.Sum(nil)); got != c.want {
				t.Fatalf("streamed = %s, want %s", got, c.want)
			}
			raw, err := Decode(c.alg, c.want)
			if err != nil || Encode(raw) != c.want {
				t.Fatalf("Decode(%s) = %x, %v", c.want, raw, err)
			}
		})
	}
}

func b64u64(v uint64, n int) string {
	b := binary.BigEndian.AppendUint64(nil, v)
	return base64.StdEncoding.EncodeToString(b[8-n:])
}

// The CRC64NVME tables must agree with hash/crc64 using the polynomial the
// AWS SDK passes it, for every length around the slicing-by-8 boundaries.
func TestCRC64NVMEMatchesStdlib(t *testing.T) {
	tab := crc64.MakeTable(crc64NVMEPoly)
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	buf := make([]byte, 5000)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for n := 0; n <= len(buf); n += 1 + n/7 {
		want := crc64.Checksum(buf[:n], tab)
		if got := UpdateCRC64NVME(0, buf[:n]); got != want {
			t.Fatalf("len %d: got %x want %x", n, got, want)
		}
		// Incremental update over a split.
		k := n / 3
		if got := UpdateCRC64NVME(UpdateCRC64NVME(0, buf[:k]), buf[k:n]); got != want {
			t.Fatalf("len %d split %d: got %x want %x", n, k, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, a := range Algorithms {
		mixed := a.String()[:1] + lower(a.String()[1:])
		for _, s := range []string{a.String(), lower(a.String()), mixed} {
			got, err := ParseAlgorithm(s)
			if err != nil || got != a {
				t.Errorf("ParseAlgorithm(%q) = %v, %v", s, got, err)
			}
		}
		if got := FromHeader(a.HeaderName()); got != a {
			t.Errorf("FromHeader(%q) = %v", a.HeaderName(), got)
		}
		if got := FromHeader([]byte("X-Amz-Checksum-" + a.String())); got != a {
			t.Errorf("FromHeader(canonical) = %v", got)
		}
		if a.EncodedLen() != base64.StdEncoding.EncodedLen(a.Size()) || a.EncodedLen() > MaxEncodedLen || a.Size() > MaxSize {
			t.Errorf("%v sizes %d/%d", a, a.Size(), a.EncodedLen())
		}
		if len(Sum(a, nil)) != a.Size() {
			t.Errorf("%v Sum size", a)
		}
	}
	for _, bad := range []string{"", "crc", "CRC32CC", "MD5", "SHA512", "x-amz-checksum-crc32"} {
		if a, err := ParseAlgorithm(bad); !errors.Is(err, ErrUnknownAlgorithm) || a != None {
			t.Errorf("ParseAlgorithm(%q) = %v, %v", bad, a, err)
		}
	}
	for _, bad := range []string{"", "x-amz-checksum-", "x-amz-checksum-md5", "x-amz-checksum-mode", "x-amz-checksum-type", "content-md5", "x-amz-checksum-crc32 "} {
		if a := FromHeader(bad); a != None {
			t.Errorf("FromHeader(%q) = %v", bad, a)
		}
	}
	if New(None) != nil || New(Algorithm(99)) != nil || Algorithm(99).String() != "" || Algorithm(99).Size() != 0 {
		t.Error("invalid algorithms must have no hash, name or size")
	}
	for _, c := range []struct {
		s string
		t Type
	}{{"COMPOSITE", Composite}, {"full_object", FullObject}} {
		if got, err := ParseType(c.s); err != nil || got != c.t {
			t.Errorf("ParseType(%q) = %v, %v", c.s, got, err)
		}
	}
	if _, err := ParseType("PARTIAL"); !errors.Is(err, ErrUnknownType) {
		t.Errorf("ParseType(PARTIAL) err = %v", err)
	}
	if !CRC64NVME.Supports(FullObject) || CRC64NVME.Supports(Composite) || SHA256.Supports(FullObject) || !CRC32.Supports(Composite) {
		t.Error("Supports table wrong")
	}
	if DefaultType(CRC64NVME) != FullObject || DefaultType(CRC32C) != Composite {
		t.Error("DefaultType wrong")
	}
}

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

func TestDecodeRejects(t *testing.T) {
	cases := []struct {
		alg Algorithm
		v   string
	}{
		{CRC32, ""},
		{CRC32, "DUoRhQ="},      // short
		{CRC32, "DUoRhQ==="},    // long
		{CRC32, "DUoRhQ"},       // unpadded
		{CRC32, "DUoR!Q=="},     // bad char
		{CRC32, "DUoRhR=="},     // non-zero padding bits
		{CRC32, "jSnVw/bqjr4="}, // a CRC64 value
		{SHA256, "Kq5sNclPz7QV2+lfQIuc6R7oRu0="},
		{None, "AAAAAA=="},
	}
	for _, c := range cases {
		if _, err := Decode(c.alg, c.v); err == nil {
			t.Errorf("Decode(%v, %q) accepted", c.alg, c.v)
		}
	}
}

func TestAppendDecodeNoAlloc(t *testing.T) {
	v := []byte("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")
	var dst [MaxSize]byte
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := AppendDecode(dst[:0], SHA256, v); err != nil {
			t.Fatal(err)
		}
		if FromHeader(v[:4]) != None || ParseAlgorithmBytes(v[:6]) != None {
			t.Fatal("parsed garbage")
		}
	})
	if allocs != 0 {
		t.Fatalf("AppendDecode allocs = %v", allocs)
	}
}

func TestCombine(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	data := make([]byte, 1<<16)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	for _, a := range []Algorithm{CRC32, CRC32C, CRC64NVME} {
		for range 200 {
			i := r.IntN(len(data) + 1)
			j := i + r.IntN(len(data)-i+1)
			whole := beUint(Sum(a, data[:j]))
			got := Combine(a, beUint(Sum(a, data[:i])), beUint(Sum(a, data[i:j])), int64(j-i))
			if got != whole {
				t.Fatalf("%v combine split %d/%d: got %x want %x", a, i, j, got, whole)
			}
		}
	}
	if Combine(SHA256, 1, 2, 3) != 0 {
		t.Error("Combine of SHA256 must be 0")
	}
}

// A combine over a length far beyond memory must still match: compare
// combining twice (x^(8a) then x^(8b)) with combining once over a+b.
func TestCombineLargeLengths(t *testing.T) {
	for _, a := range []Algorithm{CRC32, CRC32C, CRC64NVME} {
		const n1, n2 = int64(5) << 40, int64(3)<<30 + 7
		crc := uint64(0x1234567)
		// Appending B with CRC(B) = 0 only shifts: shifting by n1 then n2
		// must equal shifting by n1+n2 in one go.
		twice := Combine(a, Combine(a, crc, 0, n1), 0, n2)
		var g *gf2
		switch a {
		case CRC32:
			g = gfIEEE()
		case CRC32C:
			g = gfCastagnoli()
		default:
			g = gfNVME()
		}
		once := g.mul(g.xPow8n(uint64(n1+n2)), crc)
		if twice != once {
			t.Fatalf("%v: %x != %x", a, twice, once)
		}
	}
}

func TestMultipartSums(t *testing.T) {
	parts := [][]byte{bytes.Repeat([]byte("a"), 5<<20), bytes.Repeat([]byte("b"), 5<<20), []byte("tail")}
	all := bytes.Join(parts, nil)
	for _, a := range Algorithms {
		var ps []Part
		var concat []byte
		for _, p := range parts {
			s := Sum(a, p)
			ps = append(ps, Part{Sum: s, Size: int64(len(p))})
			concat = append(concat, s...)
		}
		comp, err := CompositeSum(a, ps)
		if err != nil {
			t.Fatal(err)
		}
		if want := Encode(Sum(a, concat)) + "-" + strconv.Itoa(len(parts)); comp != want {
			t.Errorf("%v composite = %s want %s", a, comp, want)
		}
		full, err := FullObjectSum(a, ps)
		if !a.IsCRC() {
			if !errors.Is(err, ErrNotCRC) {
				t.Errorf("%v FullObjectSum err = %v", a, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if want := Sum(a, all); !bytes.Equal(full, want) {
			t.Errorf("%v full object = %x want %x", a, full, want)
		}
	}
	// Hand-computed composite: SHA1 over two SHA1 part digests.
	p1, p2 := sha1.Sum([]byte("x")), sha1.Sum([]byte("y"))
	want := sha1.Sum(append(p1[:], p2[:]...))
	got, _ := CompositeSum(SHA1, []Part{{Sum: p1[:]}, {Sum: p2[:]}})
	if got != base64.StdEncoding.EncodeToString(want[:])+"-2" {
		t.Errorf("composite sha1 = %s", got)
	}
	if _, err := CompositeSum(SHA256, []Part{{Sum: p1[:]}}); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("wrong-size part err = %v", err)
	}
	if _, err := CompositeSum(SHA256, nil); !errors.Is(err, ErrNoParts) {
		t.Errorf("no parts err = %v", err)
	}
	if _, err := FullObjectSum(CRC32, []Part{{Sum: []byte{1, 2, 3, 4}, Size: -1}, {Sum: []byte{1, 2, 3, 4}, Size: -1}}); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("negative size err = %v", err)
	}
}

func TestHashesAgreeWithStdlib(t *testing.T) {
	data := []byte("The quick brown fox jumps over the lazy dog")
	s256 := sha256.Sum256(data)
	checks := map[Algorithm][]byte{
		CRC32:  binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data)),
		CRC32C: binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))),
		SHA256: s256[:],
	}
	for a, want := range checks {
		if got := Sum(a, data); !bytes.Equal(got, want) {
			t.Errorf("%v = %x want %x", a, got, want)
		}
	}
	h := NewCRC64NVME()
	h.Write(data)
	st, _ := h.(interface{ MarshalBinary() ([]byte, error) }).MarshalBinary()
	h2 := NewCRC64NVME()
	if err := h2.(interface{ UnmarshalBinary([]byte) error }).UnmarshalBinary(st); err != nil || h2.Sum64() != h.Sum64() {
		t.Errorf("marshal round trip: %v", err)
	}
}

func BenchmarkCRC64NVME(b *testing.B) {
	buf := make([]byte, 1<<20)
	h := New(CRC64NVME)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		h.Write(buf)
	}
}

func BenchmarkCombine(b *testing.B) {
	for b.Loop() {
		Combine(CRC64NVME, 0x1234, 0x5678, 5<<30)
	}
}
