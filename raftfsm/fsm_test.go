package raftfsm

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata fixtures")

func mustEncode(t *testing.T, ct CommandType, payload any) []byte {
	t.Helper()
	b, err := encodeCommand(ct, payload)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestApplyBuckets(t *testing.T) {
	f := NewFSM()
	created := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		name string
		ct   CommandType
		p    any
		want error
	}{
		{"create", CmdCreateBucket, createBucketCmd{Bucket: Bucket{Name: "a", Owner: "root", Created: created}, MaxBuckets: 2}, nil},
		{"create again", CmdCreateBucket, createBucketCmd{Bucket: Bucket{Name: "a"}, MaxBuckets: 2}, ErrBucketExists},
		{"create b", CmdCreateBucket, createBucketCmd{Bucket: Bucket{Name: "b"}, MaxBuckets: 2}, nil},
		{"over limit", CmdCreateBucket, createBucketCmd{Bucket: Bucket{Name: "c"}, MaxBuckets: 2}, ErrTooManyBuckets},
		{"tags", CmdSetBucketTags, setBucketTagsCmd{Name: "a", Tags: map[string]string{"k": "v"}}, nil},
		{"tags missing", CmdSetBucketTags, setBucketTagsCmd{Name: "zz"}, ErrBucketNotFound},
		{"policy", CmdSetBucketPolicy, setBucketPolicyCmd{Name: "a", Policy: `{"Version":"2012-10-17"}`}, nil},
		{"delete b", CmdDeleteBucket, deleteBucketCmd{Name: "b"}, nil},
		{"delete b again", CmdDeleteBucket, deleteBucketCmd{Name: "b"}, ErrBucketNotFound},
	}
	for _, s := range steps {
		got := f.ApplyCommand(mustEncode(t, s.ct, s.p))
		var gotErr error
		if got != nil {
			gotErr = got.(error)
		}
		if !errors.Is(gotErr, s.want) || (s.want == nil) != (gotErr == nil) {
			t.Fatalf("%s: got %v, want %v", s.name, gotErr, s.want)
		}
	}
	b, ok := f.Bucket("a")
	if !ok || b.Owner != "root" || !b.Created.Equal(created) || b.Tags["k"] != "v" || b.Policy == "" {
		t.Fatalf("bucket a = %+v, %v", b, ok)
	}
	if bs := f.Buckets(); len(bs) != 1 || bs[0].Name != "a" {
		t.Fatalf("buckets = %+v", bs)
	}
	// Copies: mutating a returned bucket must not change the state.
	b.Tags["k"] = "changed"
	if b2, _ := f.Bucket("a"); b2.Tags["k"] != "v" {
		t.Fatal("Bucket returned shared tags map")
	}
}

func TestApplyRejectsGarbage(t *testing.T) {
	f := NewFSM()
	for _, b := range [][]byte{nil, {1}, {99, 1, '{', '}'}, {byte(CmdCreateBucket), 9, '{', '}'}, {byte(CmdCreateBucket), 1, 'x'}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("command %v applied without panic", b)
				}
			}()
			f.ApplyCommand(b)
		}()
	}
	// Unknown but skippable commands are ignored.
	if r := f.ApplyCommand([]byte{byte(SkippableBit | 0x7f), 1, '{', '}'}); r != nil {
		t.Fatalf("skippable command: %v", r)
	}
}

func fixtureFSM(t *testing.T) *FSM {
	f := NewFSM()
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.ApplyCommand(mustEncode(t, CmdCreateBucket, createBucketCmd{Bucket: Bucket{Name: "photos", Owner: "root", Created: created}}))
	f.ApplyCommand(mustEncode(t, CmdCreateBucket, createBucketCmd{Bucket: Bucket{Name: "logs", Owner: "alice", Created: created.Add(time.Hour)}}))
	f.ApplyCommand(mustEncode(t, CmdSetBucketTags, setBucketTagsCmd{Name: "logs", Tags: map[string]string{"team": "ops"}}))
	f.ApplyCommand(mustEncode(t, CmdPutPolicy, putPolicyCmd{Policy: Policy{Name: "logs-rw", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::logs/*"}]}`, Created: created}}))
	f.ApplyCommand(mustEncode(t, CmdCreateUser, createUserCmd{User: User{Name: "alice", Role: RoleS3, Secret: []byte{1, 2, 3}, UID: 1001, GID: 100, Policy: "logs-rw", Created: created}}))
	f.ApplyCommand(mustEncode(t, CmdCreateSession, createSessionCmd{Session: Session{AccessKey: "ASIAFIXTURE", Secret: []byte{4}, TokenHash: []byte{5}, Parent: "alice", Policy: `{"Version":"2012-10-17","Statement":[]}`, Created: created, Expiration: created.Add(time.Hour)}}))
	f.ApplyCommand(mustEncode(t, CmdSetBucketLifecycle, setBucketLifecycleCmd{Name: "logs", Lifecycle: `{"rules":[{"id":"r1","days":30}]}`}))
	f.ApplyCommand(mustEncode(t, CmdSetSetting, setSettingCmd{Key: "audit.endpoint", Value: "http://127.0.0.1:9999/audit"}))
	f.ApplyCommand(mustEncode(t, CmdCreateServiceAccount, createServiceAccountCmd{Account: ServiceAccount{AccessKey: "SAFIXTURE", Secret: []byte{6}, Parent: "alice", Created: created}}))
	return f
}

func TestSnapshotRoundTrip(t *testing.T) {
	f := fixtureFSM(t)
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := snap.(*fsmSnapshot).writeTo(&buf); err != nil {
		t.Fatal(err)
	}
	g := NewFSM()
	if err := g.Restore(io.NopCloser(bytes.NewReader(buf.Bytes()))); err != nil {
		t.Fatal(err)
	}
	if got, want := g.Buckets(), f.Buckets(); len(got) != len(want) || got[0].Name != want[0].Name || got[0].Tags["team"] != "ops" {
		t.Fatalf("restored %+v, want %+v", got, want)
	}
	// A broken stream leaves the old state in place.
	if err := g.Restore(io.NopCloser(bytes.NewReader(buf.Bytes()[:buf.Len()/2]))); err == nil {
		t.Fatal("truncated snapshot restored")
	}
	if len(g.Buckets()) != 2 {
		t.Fatal("failed restore changed state")
	}
}

// TestRestoreFixtures restores committed snapshots written by every format
// version so far, so that a format change that breaks old snapshots fails
// here. -update rewrites only the current version's fixture.
func TestRestoreFixtures(t *testing.T) {
	for _, name := range []string{"snapshot-v1.json", "snapshot-v2.bin"} {
		t.Run(name, func(t *testing.T) { restoreFixture(t, name, name == "snapshot-v2.bin") })
	}
}

func restoreFixture(t *testing.T, name string, current bool) {
	path := filepath.Join("testdata", name)
	if *update && current {
		snap, _ := fixtureFSM(t).Snapshot()
		var buf bytes.Buffer
		if err := snap.(*fsmSnapshot).writeTo(&buf); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := NewFSM()
	if err := f.Restore(io.NopCloser(bytes.NewReader(data))); err != nil {
		t.Fatal(err)
	}
	b, ok := f.Bucket("logs")
	if !ok || b.Owner != "alice" || b.Tags["team"] != "ops" || b.Created.Format(time.RFC3339) != "2026-01-02T04:04:05Z" {
		t.Fatalf("logs = %+v %v", b, ok)
	}
	if _, ok := f.Bucket("photos"); !ok {
		t.Fatal("photos missing")
	}
	if u, ok := f.User("alice"); !ok || u.Policy != "logs-rw" || u.UID != 1001 || len(u.Secret) != 3 {
		t.Fatalf("alice = %+v %v", u, ok)
	}
	if p, ok := f.Policy("logs-rw"); !ok || p.Document == "" {
		t.Fatalf("policy = %+v %v", p, ok)
	}
	if se, ok := f.SessionAuth([]byte("ASIAFIXTURE")); !ok || se.Parent != "alice" || se.Expiration.Format(time.RFC3339) != "2026-01-02T04:04:05Z" || len(se.TokenHash) != 1 {
		t.Fatalf("session = %+v %v", se, ok)
	}
	if b, _ := f.Bucket("logs"); b.Lifecycle == "" {
		t.Fatal("lifecycle lost")
	}
	if f.Setting("audit.endpoint") == "" {
		t.Fatal("setting lost")
	}
	if sa, ok := f.ServiceAccountAuth([]byte("SAFIXTURE")); !ok || sa.Parent != "alice" || len(sa.Secret) != 1 {
		t.Fatalf("service account = %+v %v", sa, ok)
	}
}

func TestCommandTypeString(t *testing.T) {
	if CmdCreateBucket.String() != "CreateBucket" || CommandType(200).String() != "CommandType(200)" {
		t.Fatal("String")
	}
}
