package checksum

import (
	"encoding/binary"
	"errors"
	"hash"
	"sync"
)

// crc64NVMEPoly is the CRC-64/NVME polynomial in reflected form (what
// hash/crc64.MakeTable takes and what the AWS SDKs pass it).
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// Reflected polynomials of the three CRCs, for Combine.
const (
	crc32IEEEPoly = 0xedb88320
	crc32CPoly    = 0x82f63b78
)

var nvmeTables = sync.OnceValue(func() *[8][256]uint64 {
	var t [8][256]uint64
	for i := range 256 {
		crc := uint64(i)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ crc64NVMEPoly
			} else {
				crc >>= 1
			}
		}
		t[0][i] = crc
	}
	for i := range 256 {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[j][i] = crc
		}
	}
	return &t
})

// UpdateCRC64NVME returns crc extended by p (crc is a finished CRC value,
// 0 for the empty input), like hash/crc64.Update.
func UpdateCRC64NVME(crc uint64, p []byte) uint64 {
	t := nvmeTables()
	crc = ^crc
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^
			t[6][crc>>8&0xff] ^
			t[5][crc>>16&0xff] ^
			t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^
			t[2][crc>>40&0xff] ^
			t[1][crc>>48&0xff] ^
			t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return ^crc
}

// NewCRC64NVME returns a hash.Hash64 computing CRC-64/NVME.
func NewCRC64NVME() hash.Hash64 { return &nvmeDigest{} }

type nvmeDigest struct{ crc uint64 }

func (d *nvmeDigest) Write(p []byte) (int, error) {
	d.crc = UpdateCRC64NVME(d.crc, p)
	return len(p), nil
}
func (d *nvmeDigest) Sum64() uint64 { return d.crc }
func (d *nvmeDigest) Sum(in []byte) []byte {
	return binary.BigEndian.AppendUint64(in, d.crc)
}
func (d *nvmeDigest) Reset()         { d.crc = 0 }
func (d *nvmeDigest) Size() int      { return 8 }
func (d *nvmeDigest) BlockSize() int { return 1 }

// MarshalBinary and UnmarshalBinary let a running digest be saved, like the
// standard library's hashes.
func (d *nvmeDigest) MarshalBinary() ([]byte, error) {
	return binary.BigEndian.AppendUint64([]byte("crc64nvme:"), d.crc), nil
}

func (d *nvmeDigest) UnmarshalBinary(b []byte) error {
	const magic = "crc64nvme:"
	if len(b) != len(magic)+8 || string(b[:len(magic)]) != magic {
		return errors.New("checksum: invalid crc64nvme state")
	}
	d.crc = binary.BigEndian.Uint64(b[len(magic):])
	return nil
}

// Combine returns the CRC of the concatenation A||B given crcA = CRC(A),
// crcB = CRC(B) and lenB = len(B), for the CRC algorithms (CRC32, CRC32C,
// CRC64NVME; 32-bit values in the low bits). For other algorithms it
// returns 0. It takes O(log lenB) time.
func Combine(a Algorithm, crcA, crcB uint64, lenB int64) uint64 {
	var g *gf2
	switch a {
	case CRC32:
		g = gfIEEE()
	case CRC32C:
		g = gfCastagnoli()
	case CRC64NVME:
		g = gfNVME()
	default:
		return 0
	}
	if lenB <= 0 {
		return crcA
	}
	return g.mul(g.xPow8n(uint64(lenB)), crcA) ^ crcB
}

// gf2 is arithmetic modulo a CRC polynomial in the reflected bit order:
// bit (width-1) is x^0. Because the three CRCs start from and end with
// all-ones, CRC(A||B) = CRC(A)*x^(8*len(B)) mod P xor CRC(B) (zlib's
// crc32_combine).
type gf2 struct {
	poly uint64
	top  uint64     // x^0
	x2n  [72]uint64 // x^(2^k) mod P
}

func newGF2(width uint, poly uint64) *gf2 {
	g := &gf2{poly: poly, top: 1 << (width - 1)}
	p := g.top >> 1 // x^1
	g.x2n[0] = p
	for k := 1; k < len(g.x2n); k++ {
		p = g.mul(p, p)
		g.x2n[k] = p
	}
	return g
}

// mul returns a*b mod P.
func (g *gf2) mul(a, b uint64) uint64 {
	if a == 0 {
		return 0
	}
	m := g.top
	var p uint64
	for {
		if a&m != 0 {
			p ^= b
			if a&(m-1) == 0 {
				break
			}
		}
		m >>= 1
		if b&1 != 0 {
			b = b>>1 ^ g.poly
		} else {
			b >>= 1
		}
	}
	return p
}

// xPow8n returns x^(8n) mod P.
func (g *gf2) xPow8n(n uint64) uint64 {
	p := g.top
	k := 3 // 8n = n * 2^3
	for n != 0 {
		if n&1 != 0 {
			p = g.mul(g.x2n[k], p)
		}
		n >>= 1
		k++
	}
	return p
}

var (
	gfIEEE       = sync.OnceValue(func() *gf2 { return newGF2(32, crc32IEEEPoly) })
	gfCastagnoli = sync.OnceValue(func() *gf2 { return newGF2(32, crc32CPoly) })
	gfNVME       = sync.OnceValue(func() *gf2 { return newGF2(64, crc64NVMEPoly) })
)
