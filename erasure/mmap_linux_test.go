//go:build linux

package erasure

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"os"
	"testing"
)

// TestGetMapped: GETs of large objects read their local shard files
// through a mapping; a flipped byte in a data shard is caught by the block
// hash and rebuilt from parity, and a shard file truncated under an open
// object (reading its mapping then raises SIGBUS) counts as a bad shard,
// not a crash.
func TestGetMapped(t *testing.T) {
	cfg := testConfig(t, 4)
	s := openStore(t, cfg)
	rng := rand.New(rand.NewSource(9))
	data := randBytes(rng, 3<<20+77) // 2+2: shard files of ~1.5 MiB
	mustPut(t, s, "b", "big", data)
	files := newShardFiles(t, cfg, map[string]bool{})
	if len(files) != 4 {
		t.Fatalf("%d shard files", len(files))
	}

	// The mapped path is taken.
	o, err := s.OpenObject(context.Background(), "b", "big")
	if err != nil {
		t.Fatal(err)
	}
	rc := o.Range(0, int64(len(data)))
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, rc); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("mapped GET: %v, equal %v", err, bytes.Equal(buf.Bytes(), data))
	}
	mapped := 0
	for i := range o.src {
		if o.src[i].mapped != nil {
			mapped++
		}
	}
	rc.Close()
	if mapped == 0 {
		t.Fatal("no shard file was mapped")
	}

	// Bitrot in every shard file, one at a time: the read still returns
	// the object (k of the 4 shards verify).
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		orig := append([]byte(nil), b...)
		b[hashLen+1000] ^= 0x40
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		checkGet(t, s, "b", "big", data)
		if err := os.WriteFile(f, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Truncated under an open object: the first block was served, the
	// rest of a truncated shard file faults; the object still reads whole.
	o, err = s.OpenObject(context.Background(), "b", "big")
	if err != nil {
		t.Fatal(err)
	}
	rc = o.Range(0, int64(len(data)))
	defer rc.Close()
	first := make([]byte, 100)
	if _, err := io.ReadFull(rc, first); err != nil {
		t.Fatal(err)
	}
	truncated := 0
	for i := range o.src {
		if o.src[i].mapped != nil {
			if err := os.Truncate(o.src[i].file.(*os.File).Name(), 0); err != nil {
				t.Fatal(err)
			}
			truncated++
			if truncated == 2 { // parity rebuilds up to 2 of 4
				break
			}
		}
	}
	// Bytes already verified fault when read from the truncated mapping:
	// the read fails (the client's connection is dropped) or, when the
	// faulting pages were not touched, returns the object; never wrong
	// bytes and never a crash.
	rest, err := io.ReadAll(rc)
	if err == nil {
		if got := append(first, rest...); !bytes.Equal(got, data) {
			t.Fatalf("read after truncation: %d bytes, first diff at %d", len(got), firstDiff(got, data))
		}
	} else if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("read after truncation: %v, want ErrCorrupt", err)
	}
	// The next GET rebuilds the truncated shards from the others.
	checkGet(t, s, "b", "big", data)
}
