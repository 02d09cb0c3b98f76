package erasure

import (
	"fmt"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/reedsolomon"
)

// Shard streams. Each drive holds, per object part, one shard stream: for
// every erasure block of the part (BlockSize bytes of the object, the last
// one shorter) it holds
//
//	[8-byte little-endian xxhash64 of the shard block][shard block]
//
// where a shard block is ceil(blockLen/k) bytes (the last data shard is
// zero-padded). Every block but the last is full, so block i starts at
// i*(8+ceil(BlockSize/k)). The stream is a file (data/<xx>/<dataDir>/
// part.N...) or, for inline objects, the tail of the metadata record.
const hashLen = 8

// layout is the erasure geometry of one object or part.
type layout struct {
	data, parity, blockSize int
}

func (l layout) shards() int { return l.data + l.parity }

// shardLen is the shard block length for a block of n bytes.
func (l layout) shardLen(n int) int { return (n + l.data - 1) / l.data }

// blockCount is the number of erasure blocks of a part of size bytes.
func (l layout) blockCount(size int64) int64 {
	return (size + int64(l.blockSize) - 1) / int64(l.blockSize)
}

// blockLen is the length of block i of a part of size bytes.
func (l layout) blockLen(size, i int64) int {
	return int(min(int64(l.blockSize), size-i*int64(l.blockSize)))
}

// blockOffset is where block i starts in a shard stream.
func (l layout) blockOffset(i int64) int64 {
	return i * int64(hashLen+l.shardLen(l.blockSize))
}

// streamSize is the length of one shard stream of a part of size bytes.
func (l layout) streamSize(size int64) int64 {
	nb := l.blockCount(size)
	if nb == 0 {
		return 0
	}
	return l.blockOffset(nb-1) + int64(hashLen+l.shardLen(l.blockLen(size, nb-1)))
}

// stripeSize is the buffer one block needs with every shard and its hash:
// n slots of 8+ceil(BlockSize/k) bytes (slot i holds shard i at +8).
func (l layout) stripeSize() int { return l.shards() * (hashLen + l.shardLen(l.blockSize)) }

// objectHash spreads objects over sets and rotates shard placement.
func objectHash(bucket, key string) uint64 {
	var d xxhash.Digest
	d.Reset()
	_, _ = d.WriteString(bucket)
	_, _ = d.Write([]byte{0})
	_, _ = d.WriteString(key)
	return d.Sum64()
}

// rotation is the offset of shard 0 among the n drives of a set: drive j
// holds shard (j+rot) mod n, so data and parity move around the set.
func rotation(h uint64, n int) int { return int((h >> 32) % uint64(n)) }

func shardOfDrive(j, rot, n int) int { return (j + rot) % n }

func driveOfShard(s, rot, n int) int { return (s - rot + n) % n }

// codecs builds each reedsolomon.Encoder once per layout and pools stripe
// buffers per size.
type codecs struct {
	mu    sync.Mutex
	encs  map[[2]int]reedsolomon.Encoder
	pools map[int]*bufPool
}

func newCodecs() *codecs {
	return &codecs{encs: map[[2]int]reedsolomon.Encoder{}, pools: map[int]*bufPool{}}
}

func (c *codecs) encoder(k, m int) (reedsolomon.Encoder, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.encs[[2]int{k, m}]; e != nil {
		return e, nil
	}
	if k < 1 || m < 0 || k+m > 256 {
		return nil, fmt.Errorf("erasure: bad layout %d+%d", k, m)
	}
	e, err := reedsolomon.New(k, m)
	if err != nil {
		return nil, fmt.Errorf("erasure: layout %d+%d: %w", k, m, err)
	}
	c.encs[[2]int{k, m}] = e
	return e, nil
}

func (c *codecs) pool(size int) *bufPool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pools[size]
	if p == nil {
		p = newBufPool(size)
		c.pools[size] = p
	}
	return p
}

// bufPool pools byte slices of one size. Get returns a *[]byte so Put does
// not allocate; the slice has len == size.
type bufPool struct {
	size int
	p    sync.Pool
}

func newBufPool(size int) *bufPool {
	bp := &bufPool{size: size}
	bp.p.New = func() any {
		b := make([]byte, size)
		return &b
	}
	return bp
}

func (p *bufPool) get() *[]byte { return p.p.Get().(*[]byte) }

func (p *bufPool) put(b *[]byte) {
	if b != nil && len(*b) == p.size {
		p.p.Put(b)
	}
}
