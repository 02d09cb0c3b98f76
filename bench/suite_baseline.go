package bench

import (
	"crypto/md5"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"github.com/klauspost/reedsolomon"
)

// baselineBlock is the unit of the disk, MD5 and RS baselines: 1 MiB, the
// node's erasure block size.
const baselineBlock = 1 << 20

// randomBlock is n bytes of incompressible data.
func randomBlock(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{7}).Read(b)
	return b
}

// MeasureDisk writes a file of size bytes in dir with plain 1 MiB writes
// and one fsync at the end, then reads it back in 1 MiB reads, and removes
// it. It returns both rates in bytes/s. The write time includes the fsync,
// so it is the rate at which the disk takes data; nothing is dropped from
// the page cache, so the read mostly measures a page-cache read (data
// written a moment ago), which is also the state of a GET of hot data.
func MeasureDisk(dir string, size int64) (write, read float64, err error) {
	f, err := os.CreateTemp(dir, "tessera-bench-disk-*")
	if err != nil {
		return 0, 0, fmt.Errorf("%w: disk baseline: %w", ErrSetup, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := randomBlock(baselineBlock)
	start := time.Now()
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		if _, err := f.Write(buf[:n]); err != nil {
			return 0, 0, fmt.Errorf("%w: disk baseline: %w", ErrSetup, err)
		}
		left -= n
	}
	if err := f.Sync(); err != nil {
		return 0, 0, fmt.Errorf("%w: disk baseline: %w", ErrSetup, err)
	}
	write = float64(size) / time.Since(start).Seconds()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, 0, fmt.Errorf("%w: disk baseline: %w", ErrSetup, err)
	}
	start = time.Now()
	var got int64
	for {
		n, err := f.Read(buf)
		got += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, fmt.Errorf("%w: disk baseline: %w", ErrSetup, err)
		}
	}
	if got != size {
		return 0, 0, fmt.Errorf("%w: disk baseline: read %d bytes back, wrote %d", ErrSetup, got, size)
	}
	read = float64(size) / time.Since(start).Seconds()
	return write, read, nil
}

// MeasureMD5 hashes 1 MiB buffers on the calling goroutine (one core) for
// about d and returns the rate in bytes/s.
func MeasureMD5(d time.Duration) float64 {
	buf := randomBlock(baselineBlock)
	h := md5.New()
	var n int64
	start := time.Now()
	for time.Since(start) < d {
		h.Write(buf)
		n += int64(len(buf))
	}
	_ = h.Sum(nil)
	return float64(n) / time.Since(start).Seconds()
}

// MeasureRS encodes 1 MiB blocks into k data and m parity shards for
// about d, with klauspost/reedsolomon's default options (those the node
// uses), and returns the rate in data bytes/s.
func MeasureRS(k, m int, d time.Duration) (float64, error) {
	enc, err := reedsolomon.New(k, m)
	if err != nil {
		return 0, fmt.Errorf("%w: RS baseline %d+%d: %w", ErrSetup, k, m, err)
	}
	shardLen := (baselineBlock + k - 1) / k
	buf := randomBlock(shardLen * (k + m))
	shards := make([][]byte, k+m)
	for i := range shards {
		shards[i] = buf[i*shardLen : (i+1)*shardLen]
	}
	var n int64
	start := time.Now()
	for time.Since(start) < d {
		if err := enc.Encode(shards); err != nil {
			return 0, fmt.Errorf("%w: RS baseline: %w", ErrSetup, err)
		}
		n += baselineBlock
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
