package raftfsm

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func applyErr(t *testing.T, f *FSM, ct CommandType, p any) error {
	t.Helper()
	r := f.ApplyCommand(mustEncode(t, ct, p))
	if r == nil {
		return nil
	}
	return r.(error)
}

func TestIdentityCommands(t *testing.T) {
	f := NewFSM()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	uid := uint32(1000)
	steps := []struct {
		name string
		ct   CommandType
		p    any
		want error
	}{
		{"admin", CmdCreateUser, createUserCmd{User: User{Name: "admin", Role: RoleClusterAdmin, Secret: []byte{1}, Created: now}}, nil},
		{"alice", CmdCreateUser, createUserCmd{User: User{Name: "alice", Role: RoleS3, Created: now}, MaxUsers: 3}, nil},
		{"alice again", CmdCreateUser, createUserCmd{User: User{Name: "alice", Role: RoleS3}}, ErrUserExists},
		{"bob with unknown policy", CmdCreateUser, createUserCmd{User: User{Name: "bob", Role: RoleS3, Policy: "nope"}}, ErrPolicyNotFound},
		{"bob", CmdCreateUser, createUserCmd{User: User{Name: "bob", Role: RoleS3, Policy: "readonly"}, MaxUsers: 3}, nil},
		{"carol over limit", CmdCreateUser, createUserCmd{User: User{Name: "carol"}, MaxUsers: 3}, ErrTooManyUsers},
		{"predefined policy", CmdPutPolicy, putPolicyCmd{Policy: Policy{Name: "readwrite"}}, ErrPolicyPredefined},
		{"custom policy", CmdPutPolicy, putPolicyCmd{Policy: Policy{Name: "p1", Document: "{}"}, MaxPolicies: 1}, nil},
		{"custom again", CmdPutPolicy, putPolicyCmd{Policy: Policy{Name: "p1"}}, ErrPolicyExists},
		{"too many policies", CmdPutPolicy, putPolicyCmd{Policy: Policy{Name: "p2"}, MaxPolicies: 1}, ErrTooManyPolicies},
		{"attach", CmdAttachPolicy, attachPolicyCmd{User: "alice", Policy: "p1"}, nil},
		{"attach unknown", CmdAttachPolicy, attachPolicyCmd{User: "alice", Policy: "zz"}, ErrPolicyNotFound},
		{"attach unknown user", CmdAttachPolicy, attachPolicyCmd{User: "zz", Policy: "p1"}, ErrUserNotFound},
		{"delete attached", CmdDeletePolicy, deletePolicyCmd{Name: "p1"}, ErrPolicyAttached},
		{"delete predefined", CmdDeletePolicy, deletePolicyCmd{Name: "readonly"}, ErrPolicyPredefined},
		{"update", CmdUpdateUser, updateUserCmd{Name: "alice", UID: &uid, Secret: []byte{9}, Updated: now}, nil},
		{"demote last admin", CmdUpdateUser, updateUserCmd{Name: "admin", Role: RoleS3}, ErrLastClusterAdmin},
		{"delete last admin", CmdDeleteUser, deleteUserCmd{Name: "admin"}, ErrLastClusterAdmin},
		{"detach", CmdAttachPolicy, attachPolicyCmd{User: "alice"}, nil},
		{"detach again", CmdAttachPolicy, attachPolicyCmd{User: "alice"}, ErrNoPolicyAttached},
		{"delete policy", CmdDeletePolicy, deletePolicyCmd{Name: "p1"}, nil},
		{"delete policy again", CmdDeletePolicy, deletePolicyCmd{Name: "p1"}, ErrPolicyNotFound},
		{"delete bob", CmdDeleteUser, deleteUserCmd{Name: "bob"}, nil},
		{"delete bob again", CmdDeleteUser, deleteUserCmd{Name: "bob"}, ErrUserNotFound},
	}
	for _, s := range steps {
		if got := applyErr(t, f, s.ct, s.p); !errors.Is(got, s.want) || (got == nil) != (s.want == nil) {
			t.Fatalf("%s: got %v, want %v", s.name, got, s.want)
		}
	}
	u, ok := f.User("alice")
	if !ok || u.UID != 1000 || u.GID != 0 || !bytes.Equal(u.Secret, []byte{9}) || u.Policy != "" || !u.Updated.Equal(now) {
		t.Fatalf("alice = %+v", u)
	}
	if us := f.Users(); len(us) != 2 || us[0].Name != "admin" {
		t.Fatalf("users = %+v", us)
	}
	if len(f.Policies()) != 0 {
		t.Fatal("policy left")
	}
}

func TestSealer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal("alice", "Secret-Key-1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("Secret-Key-1")) {
		t.Fatal("plain secret inside sealed value")
	}
	if got, err := s.Open("alice", sealed); err != nil || got != "Secret-Key-1" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := s.Open("bob", sealed); !errors.Is(err, ErrUnseal) {
		t.Fatalf("open as other identity: %v", err)
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open("alice", sealed); !errors.Is(err, ErrUnseal) {
		t.Fatalf("open with other key: %v", err)
	}
	if _, err := s.Open("alice", sealed[:5]); !errors.Is(err, ErrUnseal) {
		t.Fatalf("open truncated: %v", err)
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}
