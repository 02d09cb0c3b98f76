//go:build !race

package erasure

import "testing"

// TestDirectWriteAllocs: the O_DIRECT writer's steady-state Write path (a
// block's hash and shard, staged through the pooled aligned buffer and
// written with pwrite) allocates nothing.
func TestDirectWriteAllocs(t *testing.T) {
	cfg := testConfig(t, 1)
	cfg.BufferedPrefix = -1
	s := openStore(t, cfg)
	w, err := s.local[0].createShard(id16{3}, "part.1", createOpts{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.abort()
	if _, ok := w.(*directShardWriter); !ok {
		t.Skipf("file system refuses O_DIRECT (writer %T)", w)
	}
	hdr := make([]byte, hashLen)
	shard := make([]byte, 64<<10+3)
	write := func() {
		if _, err := w.Write(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(shard); err != nil {
			t.Fatal(err)
		}
	}
	write()
	if allocs := testing.AllocsPerRun(200, write); allocs != 0 {
		t.Errorf("Write: %.1f allocs per block, want 0", allocs)
	}
}
