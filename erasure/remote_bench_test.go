package erasure

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchStores returns the two stores compared by the remote benchmarks,
// both 4+2 over 6 drives on the file system at root, synced: "local6" (all
// six drives in this process's Store) and "remote4of6" (node 0 of a 3-node
// in-process cluster over loopback TCP and the cluster mux: 2 local
// drives, 4 served by the other two nodes).
func benchStores(b *testing.B, root, which string) *Store {
	if which == "local6" {
		cfg := DefaultConfig()
		dir, err := os.MkdirTemp(root, "local-")
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < 6; i++ {
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
	dir, err := os.MkdirTemp(root, "cluster-")
	if err != nil {
		b.Fatal(err)
	}
	c := newTestClusterAt(b, dir, 3, 2, func(cfg *Config) {
		d := DefaultConfig()
		cfg.Sync = true
		cfg.MetaCacheSize, cfg.MetaMemTableSize = d.MetaCacheSize, d.MetaMemTableSize
	})
	return c.nodes[0].store
}

var remoteBenchSizes = []struct {
	name string
	size int
}{{"4KiB", 4 << 10}, {"1MiB", 1 << 20}}

// BenchmarkRemotePut: synced PUTs, 4+2, all drives local vs 4 of 6 remote.
func BenchmarkRemotePut(b *testing.B) {
	for _, fs := range []string{"disk", "shm"} {
		for _, which := range []string{"local6", "remote4of6"} {
			for _, sz := range remoteBenchSizes {
				b.Run(fs+"/"+which+"/"+sz.name, func(b *testing.B) {
					root, ok := benchRoots(b)[fs]
					if !ok {
						b.Skip("no /dev/shm")
					}
					s := benchStores(b, root, which)
					data := bytes.Repeat([]byte{7}, sz.size)
					r := bytes.NewReader(data)
					ctx := context.Background()
					b.SetBytes(int64(sz.size))
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						r.Reset(data)
						if _, err := s.PutObject(ctx, "b", fmt.Sprint("k", i%64), r, int64(len(data)), PutOptions{}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkRemoteGet: whole-object GETs, 4+2, all drives local vs 4 of 6
// remote (2 or 3 of the 4 data shards come over the network).
func BenchmarkRemoteGet(b *testing.B) {
	for _, fs := range []string{"disk", "shm"} {
		for _, which := range []string{"local6", "remote4of6"} {
			for _, sz := range remoteBenchSizes {
				b.Run(fs+"/"+which+"/"+sz.name, func(b *testing.B) {
					root, ok := benchRoots(b)[fs]
					if !ok {
						b.Skip("no /dev/shm")
					}
					s := benchStores(b, root, which)
					ctx := context.Background()
					const keys = 8
					for i := 0; i < keys; i++ {
						data := bytes.Repeat([]byte{byte(i)}, sz.size)
						if _, err := s.PutObject(ctx, "b", fmt.Sprint("k", i), bytes.NewReader(data), int64(len(data)), PutOptions{}); err != nil {
							b.Fatal(err)
						}
					}
					b.SetBytes(int64(sz.size))
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						o, err := s.OpenObject(ctx, "b", fmt.Sprint("k", i%keys))
						if err != nil {
							b.Fatal(err)
						}
						rc := o.Range(0, -1)
						if n, err := io.Copy(io.Discard, rc); err != nil || n != int64(sz.size) {
							b.Fatal(n, err)
						}
						rc.Close()
					}
				})
			}
		}
	}
}
