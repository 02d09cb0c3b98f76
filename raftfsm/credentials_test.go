package raftfsm

import (
	"errors"
	"testing"
	"time"
)

func TestSessionsAndServiceAccounts(t *testing.T) {
	f := NewFSM()
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, u := range []string{"alice", "bob"} {
		if err := applyErr(t, f, CmdCreateUser, createUserCmd{User: User{Name: u, Role: RoleS3}}); err != nil {
			t.Fatal(err)
		}
	}
	sess := func(ak, parent string, exp time.Duration) createSessionCmd {
		return createSessionCmd{Session: Session{AccessKey: ak, Parent: parent, Created: t0, Expiration: t0.Add(exp)}, MaxSessions: 4}
	}
	steps := []struct {
		name string
		ct   CommandType
		p    any
		want error
	}{
		{"s1", CmdCreateSession, sess("ASIA1", "alice", time.Hour), nil},
		{"s2", CmdCreateSession, sess("ASIA2", "alice", 2*time.Hour), nil},
		{"s3", CmdCreateSession, sess("ASIA3", "bob", time.Minute), nil},
		{"dup key", CmdCreateSession, sess("ASIA1", "bob", time.Hour), ErrAccessKeyConflict},
		{"same command again", CmdCreateSession, sess("ASIA1", "alice", time.Hour), nil},
		{"user name key", CmdCreateSession, sess("bob", "alice", time.Hour), ErrAccessKeyConflict},
		{"no parent", CmdCreateSession, sess("ASIA4", "zed", time.Hour), ErrUserNotFound},
		{"s4", CmdCreateSession, sess("ASIA4", "bob", time.Hour), nil},
		{"session limit", CmdCreateSession, sess("ASIA5", "bob", time.Hour), ErrTooManySessions},
		{"sa1", CmdCreateServiceAccount, createServiceAccountCmd{Account: ServiceAccount{AccessKey: "SA1", Parent: "alice"}, MaxPerUse: 2}, nil},
		{"sa2", CmdCreateServiceAccount, createServiceAccountCmd{Account: ServiceAccount{AccessKey: "SA2", Parent: "alice", Policy: "{}"}, MaxPerUse: 2}, nil},
		{"sa limit", CmdCreateServiceAccount, createServiceAccountCmd{Account: ServiceAccount{AccessKey: "SA3", Parent: "alice"}, MaxPerUse: 2}, ErrTooManyServiceAccounts},
		{"sa other parent", CmdCreateServiceAccount, createServiceAccountCmd{Account: ServiceAccount{AccessKey: "SA3", Parent: "bob"}, MaxPerUse: 2}, nil},
		{"user with sa key", CmdCreateUser, createUserCmd{User: User{Name: "SA3"}}, ErrAccessKeyConflict},
		{"delete sa not parent", CmdDeleteServiceAccount, deleteServiceAccountCmd{AccessKey: "SA1", Parent: "bob"}, ErrNotParent},
		{"delete sa", CmdDeleteServiceAccount, deleteServiceAccountCmd{AccessKey: "SA1", Parent: "alice"}, nil},
		{"delete sa again", CmdDeleteServiceAccount, deleteServiceAccountCmd{AccessKey: "SA1"}, ErrServiceAccountNotFound},
		{"revoke wrong parent", CmdRevokeSessions, revokeSessionsCmd{AccessKey: "ASIA1", Parent: "bob"}, ErrSessionNotFound},
	}
	for _, s := range steps {
		if got := applyErr(t, f, s.ct, s.p); !errors.Is(got, s.want) || (got == nil) != (s.want == nil) {
			t.Fatalf("%s: got %v, want %v", s.name, got, s.want)
		}
	}
	if n := f.ApplyCommand(mustEncode(t, CmdRevokeSessions, revokeSessionsCmd{AccessKey: "ASIA1"})); n != 1 {
		t.Fatalf("revoke one: %v", n)
	}
	// Purge removes exactly the expired ones (ASIA3 expired at t0+1m).
	if n := f.ApplyCommand(mustEncode(t, CmdPurgeSessions, purgeSessionsCmd{Now: t0.Add(30 * time.Minute)})); n != 1 {
		t.Fatalf("purge: %v", n)
	}
	if _, ok := f.SessionAuth([]byte("ASIA3")); ok {
		t.Fatal("expired session kept")
	}
	if got := f.Sessions(""); len(got) != 2 || got[0].AccessKey != "ASIA4" || got[1].AccessKey != "ASIA2" {
		t.Fatalf("sessions: %+v", got)
	}
	// Deleting the parent removes its sessions and service accounts.
	if err := applyErr(t, f, CmdDeleteUser, deleteUserCmd{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if len(f.Sessions("alice")) != 0 || len(f.ServiceAccounts("alice")) != 0 {
		t.Fatal("parent's credentials survived its deletion")
	}
	if sas := f.ServiceAccounts(""); len(sas) != 1 || sas[0].AccessKey != "SA3" {
		t.Fatalf("service accounts: %+v", sas)
	}
	if n := f.ApplyCommand(mustEncode(t, CmdRevokeSessions, revokeSessionsCmd{Parent: "bob"})); n != 1 {
		t.Fatalf("revoke all of bob: %v", n)
	}
	u, p, s, sa := f.Counts()
	if u != 1 || p != 0 || s != 0 || sa != 1 {
		t.Fatalf("counts %d %d %d %d", u, p, s, sa)
	}
}
