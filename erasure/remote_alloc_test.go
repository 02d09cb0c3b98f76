//go:build !race

package erasure

import (
	"context"
	"io"
	"testing"
)

// TestRemoteGetAllocs bounds the allocations of a GET through a store
// with 4 of its 6 drives remote.
func TestRemoteGetAllocs(t *testing.T) {
	c := newTestCluster(t, 3, 2, nil)
	s := c.nodes[0].store
	ctx := context.Background()
	mustPut(t, s, "b", "inline", make([]byte, 4<<10))
	mustPut(t, s, "b", "large", make([]byte, 3<<20+5))
	for _, tt := range []struct {
		key string
		max float64
	}{
		{"inline", 28}, // measured: 21 (2 batched metadata requests in parallel)
		{"large", 60},  // measured: 47 (+ 3 remote shard streams)
	} {
		get := func() {
			o, err := s.OpenObject(ctx, "b", tt.key)
			if err != nil {
				t.Fatal(err)
			}
			rc := o.Range(0, -1)
			if _, err := io.Copy(io.Discard, rc); err != nil {
				t.Fatal(err)
			}
			rc.Close()
		}
		get()
		allocs := testing.AllocsPerRun(100, get)
		t.Logf("remote GET %s: %.1f allocs", tt.key, allocs)
		if allocs > tt.max {
			t.Errorf("remote GET %s: %.1f allocs per request, want <= %v", tt.key, allocs, tt.max)
		}
	}
}
