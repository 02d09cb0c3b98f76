package raftfsm

import (
	"bytes"
	"errors"
	"sort"
	"time"
)

// Errors of the temporary-credential and service-account commands.
var (
	ErrSessionNotFound        = errors.New("raftfsm: session not found")
	ErrServiceAccountNotFound = errors.New("raftfsm: service account not found")
	ErrTooManyServiceAccounts = errors.New("raftfsm: too many service accounts for this user")
	ErrTooManySessions        = errors.New("raftfsm: too many STS sessions")
	ErrNotParent              = errors.New("raftfsm: not the parent user of this service account")
)

// Session is an STS AssumeRole session: temporary credentials of a parent
// user, narrowed by an optional session policy, valid until Expiration.
type Session struct {
	AccessKey string `json:"access_key"`
	// Secret is the secret key sealed with the cluster key.
	Secret []byte `json:"secret"`
	// TokenHash is the SHA-256 of the session token (the token itself is
	// never stored).
	TokenHash []byte `json:"token_hash"`
	// Parent is the user whose credentials assumed the role.
	Parent string `json:"parent"`
	// Policy is the session policy JSON; "" when none.
	Policy     string    `json:"policy,omitempty"`
	Created    time.Time `json:"created"`
	Expiration time.Time `json:"expiration"`
}

// ServiceAccount is a child identity of a user, managed by that user; it
// never expires and inherits the parent's current policy, narrowed by its
// own optional policy.
type ServiceAccount struct {
	AccessKey string `json:"access_key"`
	// Secret is the secret key sealed with the cluster key.
	Secret []byte `json:"secret"`
	Parent string `json:"parent"`
	// Policy is the attached policy JSON; "" means the parent's policy
	// applies unchanged.
	Policy  string    `json:"policy,omitempty"`
	Created time.Time `json:"created"`
}

// Kinds of credentials an access key can belong to.
const (
	KeyNone = iota
	KeyUser
	KeySession
	KeyServiceAccount
)

type createSessionCmd struct {
	Session     Session `json:"session"`
	MaxSessions int     `json:"max_sessions"`
}

// revokeSessionsCmd revokes one session (AccessKey) or every session of a
// user (Parent).
type revokeSessionsCmd struct {
	AccessKey string `json:"access_key,omitempty"`
	Parent    string `json:"parent,omitempty"`
}

// purgeSessionsCmd removes sessions that expired at or before Now. Now is
// chosen by the leader that proposes it, so Apply stays deterministic.
type purgeSessionsCmd struct {
	Now time.Time `json:"now"`
}

type createServiceAccountCmd struct {
	Account   ServiceAccount `json:"account"`
	MaxPerUse int            `json:"max_per_user"`
}

type deleteServiceAccountCmd struct {
	AccessKey string `json:"access_key"`
	Parent    string `json:"parent"`
}

func (s *state) keyInUse(ak string) bool {
	if _, ok := s.Users[ak]; ok {
		return true
	}
	if _, ok := s.Sessions[ak]; ok {
		return true
	}
	_, ok := s.ServiceAccounts[ak]
	return ok
}

func applyCreateSession(s *state, payload []byte) any {
	var c createSessionCmd
	mustUnmarshal(CmdCreateSession, payload, &c)
	if _, ok := s.Users[c.Session.Parent]; !ok {
		return ErrUserNotFound
	}
	if old, ok := s.Sessions[c.Session.AccessKey]; ok && bytes.Equal(old.TokenHash, c.Session.TokenHash) && old.Parent == c.Session.Parent {
		return nil // the same command applied again (a retried forward): idempotent
	}
	if s.keyInUse(c.Session.AccessKey) {
		return ErrAccessKeyConflict
	}
	if c.MaxSessions > 0 && len(s.Sessions) >= c.MaxSessions {
		return ErrTooManySessions
	}
	se := c.Session
	s.Sessions[se.AccessKey] = &se
	return nil
}

func applyRevokeSessions(s *state, payload []byte) any {
	var c revokeSessionsCmd
	mustUnmarshal(CmdRevokeSessions, payload, &c)
	if c.AccessKey != "" {
		se, ok := s.Sessions[c.AccessKey]
		if !ok || (c.Parent != "" && se.Parent != c.Parent) {
			return ErrSessionNotFound
		}
		delete(s.Sessions, c.AccessKey)
		return 1
	}
	n := 0
	for k, se := range s.Sessions {
		if se.Parent == c.Parent {
			delete(s.Sessions, k)
			n++
		}
	}
	return n
}

func applyPurgeSessions(s *state, payload []byte) any {
	var c purgeSessionsCmd
	mustUnmarshal(CmdPurgeSessions, payload, &c)
	n := 0
	for k, se := range s.Sessions {
		if !se.Expiration.After(c.Now) {
			delete(s.Sessions, k)
			n++
		}
	}
	return n
}

func applyCreateServiceAccount(s *state, payload []byte) any {
	var c createServiceAccountCmd
	mustUnmarshal(CmdCreateServiceAccount, payload, &c)
	if _, ok := s.Users[c.Account.Parent]; !ok {
		return ErrUserNotFound
	}
	if old, ok := s.ServiceAccounts[c.Account.AccessKey]; ok && bytes.Equal(old.Secret, c.Account.Secret) && old.Parent == c.Account.Parent {
		return nil // the same command applied again (a retried forward): idempotent
	}
	if s.keyInUse(c.Account.AccessKey) {
		return ErrAccessKeyConflict
	}
	if c.MaxPerUse > 0 {
		n := 0
		for _, sa := range s.ServiceAccounts {
			if sa.Parent == c.Account.Parent {
				n++
			}
		}
		if n >= c.MaxPerUse {
			return ErrTooManyServiceAccounts
		}
	}
	sa := c.Account
	s.ServiceAccounts[sa.AccessKey] = &sa
	return nil
}

func applyDeleteServiceAccount(s *state, payload []byte) any {
	var c deleteServiceAccountCmd
	mustUnmarshal(CmdDeleteServiceAccount, payload, &c)
	sa, ok := s.ServiceAccounts[c.AccessKey]
	if !ok {
		return ErrServiceAccountNotFound
	}
	if c.Parent != "" && sa.Parent != c.Parent {
		return ErrNotParent
	}
	delete(s.ServiceAccounts, c.AccessKey)
	return nil
}

// deleteUserCredentials removes every session and service account of user.
func (s *state) deleteUserCredentials(user string) {
	for k, se := range s.Sessions {
		if se.Parent == user {
			delete(s.Sessions, k)
		}
	}
	for k, sa := range s.ServiceAccounts {
		if sa.Parent == user {
			delete(s.ServiceAccounts, k)
		}
	}
}

// SessionAuth returns the session whose access key is ak (no allocation).
// The record is immutable.
func (f *FSM) SessionAuth(ak []byte) (*Session, bool) {
	f.mu.RLock()
	se, ok := f.st.Sessions[string(ak)]
	f.mu.RUnlock()
	return se, ok
}

// ServiceAccountAuth returns the service account whose access key is ak.
// The record is immutable.
func (f *FSM) ServiceAccountAuth(ak []byte) (*ServiceAccount, bool) {
	f.mu.RLock()
	sa, ok := f.st.ServiceAccounts[string(ak)]
	f.mu.RUnlock()
	return sa, ok
}

// Sessions returns copies of the sessions of parent ("" for all), sorted
// by expiration then access key.
func (f *FSM) Sessions(parent string) []Session {
	f.mu.RLock()
	var out []Session
	for _, se := range f.st.Sessions {
		if parent == "" || se.Parent == parent {
			out = append(out, *se)
		}
	}
	f.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Expiration.Equal(out[j].Expiration) {
			return out[i].Expiration.Before(out[j].Expiration)
		}
		return out[i].AccessKey < out[j].AccessKey
	})
	return out
}

// ServiceAccounts returns copies of parent's service accounts ("" for all),
// sorted by access key.
func (f *FSM) ServiceAccounts(parent string) []ServiceAccount {
	f.mu.RLock()
	var out []ServiceAccount
	for _, sa := range f.st.ServiceAccounts {
		if parent == "" || sa.Parent == parent {
			out = append(out, *sa)
		}
	}
	f.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].AccessKey < out[j].AccessKey })
	return out
}

// Counts returns the number of users, custom policies, sessions and service
// accounts (for metrics).
func (f *FSM) Counts() (users, policies, sessions, serviceAccounts int) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.st.Users), len(f.st.Policies), len(f.st.Sessions), len(f.st.ServiceAccounts)
}
