package raftfsm

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"
)

// bufSink is an in-memory raft.SnapshotSink.
type bufSink struct{ bytes.Buffer }

func (s *bufSink) ID() string    { return "bench" }
func (s *bufSink) Cancel() error { return nil }
func (s *bufSink) Close() error  { return nil }

// BenchmarkSnapshotRestore1MSessions: snapshot (capture + persist) and
// restore of a state with 1,000,000 STS sessions; the target is under 10 s
// for both together.
func BenchmarkSnapshotRestore1MSessions(b *testing.B) {
	if testing.Short() {
		b.Skip("large state")
	}
	f := NewFSM()
	f.st.Users["parent"] = &User{Name: "parent", Role: RoleS3}
	exp := time.Now().Add(time.Hour)
	for i := 0; i < 1_000_000; i++ {
		ak := fmt.Sprintf("ASIA%016d", i)
		f.st.Sessions[ak] = &Session{AccessKey: ak, Secret: bytes.Repeat([]byte{1}, 69), TokenHash: bytes.Repeat([]byte{2}, 32), Parent: "parent", Created: exp, Expiration: exp}
	}
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		snap, err := f.Snapshot()
		if err != nil {
			b.Fatal(err)
		}
		var sink bufSink
		if err := snap.Persist(&sink); err != nil {
			b.Fatal(err)
		}
		persisted := time.Since(start)
		g := NewFSM()
		if err := g.Restore(io.NopCloser(&sink)); err != nil {
			b.Fatal(err)
		}
		if _, _, s, _ := g.Counts(); s != 1_000_000 {
			b.Fatalf("restored %d sessions", s)
		}
		b.ReportMetric(persisted.Seconds(), "snapshot-s")
		b.ReportMetric(time.Since(start).Seconds()-persisted.Seconds(), "restore-s")
	}
}
