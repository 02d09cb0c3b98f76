//go:build !race

package erasure

import (
	"context"
	"io"
	"testing"
)

// TestGetAllocs bounds the allocations of a whole GET (OpenObject, Range,
// copy to the response, Close) of an inline and of a multi-block object.
func TestGetAllocs(t *testing.T) {
	cfg := testConfig(t, 4)
	s := openStore(t, cfg)
	ctx := context.Background()
	mustPut(t, s, "b", "inline", make([]byte, 4<<10))
	mustPut(t, s, "b", "large", make([]byte, 3<<20+5))
	for _, tt := range []struct {
		key string
		max float64
	}{
		{"inline", 4}, // measured: 2 (the Object, its ETag string)
		{"large", 14}, // measured: 10 (+ 2 shard files opened: path, os.File)
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
		allocs := testing.AllocsPerRun(200, get)
		t.Logf("GET %s: %.1f allocs", tt.key, allocs)
		if allocs > tt.max {
			t.Errorf("GET %s: %.1f allocs per request, want <= %v", tt.key, allocs, tt.max)
		}
	}
}
