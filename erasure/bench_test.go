package erasure

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/reedsolomon"
)

var benchSizes = []struct {
	name string
	size int
}{{"4KiB", 4 << 10}, {"1MiB", 1 << 20}, {"64MiB", 64 << 20}}

// benchRoots are the file systems benchmarked: t.TempDir (disk) and
// /dev/shm when present (memory: the store's own CPU cost).
func benchRoots(b *testing.B) map[string]string {
	roots := map[string]string{"disk": b.TempDir()}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		d, err := os.MkdirTemp("/dev/shm", "erasure-bench-")
		if err == nil {
			b.Cleanup(func() { os.RemoveAll(d) })
			roots["shm"] = d
		}
	}
	return roots
}

func benchStore(b *testing.B, root string, drives int) *Store {
	cfg := DefaultConfig()
	dir, err := os.MkdirTemp(root, "store-")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < drives; i++ {
		cfg.Drives = append(cfg.Drives, filepath.Join(dir, fmt.Sprintf("d%d", i)))
	}
	cfg.Logger = testLogger(b)
	cfg.HealthInterval = -1
	s, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkPut measures synced PUTs on a 4-drive (2+2) store; cpu-ms/MiB is
// the process's CPU time (user + system, from getrusage) per MiB stored.
func BenchmarkPut(b *testing.B) {
	for _, fs := range []string{"disk", "shm"} {
		for _, sz := range benchSizes {
			b.Run(fs+"/"+sz.name, func(b *testing.B) {
				root, ok := benchRoots(b)[fs]
				if !ok {
					b.Skip("no /dev/shm")
				}
				s := benchStore(b, root, 4)
				data := make([]byte, sz.size)
				for i := range data {
					data[i] = byte(i * 7)
				}
				r := bytes.NewReader(data)
				ctx := context.Background()
				b.SetBytes(int64(sz.size))
				b.ResetTimer()
				cpu0 := processCPU()
				for i := 0; i < b.N; i++ {
					r.Reset(data)
					if _, err := s.PutObject(ctx, "b", fmt.Sprint("k", i%64), r, int64(len(data)), PutOptions{}); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				mib := float64(b.N) * float64(sz.size) / (1 << 20)
				b.ReportMetric((processCPU()-cpu0).Seconds()*1e3/mib, "cpu-ms/MiB")
			})
		}
	}
}

// processCPU is the user plus system CPU time of the whole process so far
// (every goroutine, the runtime and pebble's background work included).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPutParallel measures concurrent synced 4 KiB PUTs (group commit).
func BenchmarkPutParallel(b *testing.B) {
	for _, fs := range []string{"disk", "shm"} {
		b.Run(fs, func(b *testing.B) {
			root, ok := benchRoots(b)[fs]
			if !ok {
				b.Skip("no /dev/shm")
			}
			s := benchStore(b, root, 4)
			data := make([]byte, 4<<10)
			b.SetBytes(int64(len(data)))
			b.SetParallelism(16)
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					k := fmt.Sprint("k", n.Add(1))
					if _, err := s.PutObject(ctx, "b", k, bytes.NewReader(data), int64(len(data)), PutOptions{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkGet measures whole-object GETs (healthy: no decode).
func BenchmarkGet(b *testing.B) {
	for _, fs := range []string{"disk", "shm"} {
		for _, sz := range benchSizes {
			b.Run(fs+"/"+sz.name, func(b *testing.B) {
				root, ok := benchRoots(b)[fs]
				if !ok {
					b.Skip("no /dev/shm")
				}
				s := benchStore(b, root, 4)
				data := make([]byte, sz.size)
				ctx := context.Background()
				if _, err := s.PutObject(ctx, "b", "k", bytes.NewReader(data), int64(len(data)), PutOptions{}); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(sz.size))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					o, err := s.OpenObject(ctx, "b", "k")
					if err != nil {
						b.Fatal(err)
					}
					rc := o.Range(0, -1)
					if _, err := io.Copy(io.Discard, rc); err != nil {
						b.Fatal(err)
					}
					rc.Close()
				}
			})
		}
	}
}

// BenchmarkGetDegraded measures GETs of a 64 MiB object with one data
// shard missing (every block decoded).
func BenchmarkGetDegraded(b *testing.B) {
	root := benchRoots(b)["disk"]
	s := benchStore(b, root, 4)
	data := make([]byte, 64<<20)
	ctx := context.Background()
	if _, err := s.PutObject(ctx, "b", "k", bytes.NewReader(data), int64(len(data)), PutOptions{}); err != nil {
		b.Fatal(err)
	}
	j := driveWithShard(s, "b", "k", 0)
	files, _ := filepath.Glob(filepath.Join(s.drives[j].name(), "data", "*", "*", "part.1"))
	for _, f := range files {
		os.Remove(f)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o, err := s.OpenObject(ctx, "b", "k")
		if err != nil {
			b.Fatal(err)
		}
		o.heal = false
		rc := o.Range(0, -1)
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatal(err)
		}
		o.heal = false
		rc.Close()
	}
}

// BenchmarkRSEncode is the baseline: encoding one 1 MiB block per layout.
func BenchmarkRSEncode(b *testing.B) {
	for _, l := range [][2]int{{1, 1}, {2, 1}, {2, 2}, {3, 2}, {4, 2}, {6, 2}, {8, 3}, {12, 4}} {
		b.Run(fmt.Sprintf("%d+%d", l[0], l[1]), func(b *testing.B) {
			enc, err := reedsolomon.New(l[0], l[1])
			if err != nil {
				b.Fatal(err)
			}
			lay := layout{data: l[0], parity: l[1], blockSize: 1 << 20}
			buf := make([]byte, lay.shards()*lay.shardLen(lay.blockSize))
			shards := make([][]byte, lay.shards())
			b.SetBytes(1 << 20)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := encodeBlock(enc, lay, buf, 1<<20, shards); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
