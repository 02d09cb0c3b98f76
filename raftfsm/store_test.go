package raftfsm

import (
	"context"
	"errors"
	"testing"
	"time"
)

func openTestStore(t *testing.T, dir string) *Store {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Dir = dir
	cfg.BindAddr = "127.0.0.1:0"
	cfg.SnapshotThreshold = 16
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStorePersistsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	ctx := context.Background()
	for _, n := range []string{"alpha", "beta", "gamma"} {
		if err := s.CreateBucket(ctx, Bucket{Name: n, Owner: "root", Created: time.Unix(1700000000, 0).UTC()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateBucket(ctx, Bucket{Name: "alpha"}); !errors.Is(err, ErrBucketExists) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	// Entries after the snapshot come back from the log.
	if err := s.DeleteBucket(ctx, "beta"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetBucketTags(ctx, "gamma", map[string]string{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := openTestStore(t, dir)
	defer s2.Close()
	bs := s2.Buckets()
	if len(bs) != 2 || bs[0].Name != "alpha" || bs[1].Name != "gamma" || bs[1].Tags["a"] != "b" {
		t.Fatalf("after restart: %+v", bs)
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err == nil {
		t.Fatal("empty Dir accepted")
	}
	c.Dir = t.TempDir()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.MaxBuckets = 0
	if err := c.Validate(); err == nil {
		t.Fatal("MaxBuckets 0 accepted")
	}
}
