package erasure

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// testConfig returns a config over n fresh drive folders, not synced (the
// tests that need durability turn Sync on).
func testConfig(t testing.TB, n int) Config {
	t.Helper()
	dir := t.TempDir()
	cfg := DefaultConfig()
	for i := 0; i < n; i++ {
		cfg.Drives = append(cfg.Drives, filepath.Join(dir, fmt.Sprintf("drive%02d", i)))
	}
	cfg.Sync = false
	cfg.HealthInterval = -1
	cfg.MetaCacheSize = 4 << 20
	cfg.MetaMemTableSize = 1 << 20
	cfg.Logger = testLogger(t)
	return cfg
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("ERASURE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func openStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	rng.Read(b)
	return b
}

func mustPut(t testing.TB, s *Store, bucket, key string, data []byte) ObjectInfo {
	t.Helper()
	oi, err := s.PutObject(context.Background(), bucket, key, bytes.NewReader(data), int64(len(data)), PutOptions{})
	if err != nil {
		t.Fatalf("PutObject %s/%q (%d bytes): %v", bucket, key, len(data), err)
	}
	return oi
}

func getRange(s *Store, bucket, key string, off, length int64) ([]byte, ObjectInfo, error) {
	o, err := s.OpenObject(context.Background(), bucket, key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	oi := o.Info()
	rc := o.Range(off, length)
	defer rc.Close()
	var buf bytes.Buffer
	_, err = io.Copy(&buf, rc)
	return buf.Bytes(), oi, err
}

func mustGet(t testing.TB, s *Store, bucket, key string) []byte {
	t.Helper()
	b, _, err := getRange(s, bucket, key, 0, -1)
	if err != nil {
		t.Fatalf("get %s/%q: %v", bucket, key, err)
	}
	return b
}

func checkGet(t testing.TB, s *Store, bucket, key string, want []byte) {
	t.Helper()
	got := mustGet(t, s, bucket, key)
	if !bytes.Equal(got, want) {
		t.Fatalf("get %s/%q: got %d bytes, want %d (first diff at %d)", bucket, key, len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func md5hex(b []byte) string {
	h := md5.Sum(b)
	return hex.EncodeToString(h[:])
}

func fileOwner(t testing.TB, p string) (uid, gid uint32) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

// healCount is the number of heal-on-read runs so far.
func (s *Store) healCount() int64 {
	s.healer.mu.Lock()
	defer s.healer.mu.Unlock()
	return s.healer.healed
}
