package admin

import (
	"context"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/raftfsm"
)

// Principal is the authenticated caller of an admin request.
type Principal struct {
	// Name is the user name (the root user's access key for root).
	Name string
	// Role is the caller's role; root has RoleClusterAdmin.
	Role raftfsm.Role
	// Root is true for the cluster's root user.
	Root bool
	// Parent is the parent user of a service account or STS session, ""
	// for a user's own keys.
	Parent string
	// AccessKey is the key that signed the request.
	AccessKey string
	// Kind is "root", "user", "session" or "service-account".
	Kind string
}

// Authenticator verifies an admin request's SigV4 signature and resolves the
// caller. Errors are *s3err.Error values.
type Authenticator interface {
	Authenticate(ctx *fasthttp.RequestCtx) (Principal, error)
}

// Identity is the replicated identity state the admin API reads and changes.
// *raftfsm.Store satisfies it.
type Identity interface {
	CreateUser(ctx context.Context, u raftfsm.User) error
	UpdateUser(ctx context.Context, name string, upd raftfsm.UserUpdate, now time.Time) error
	DeleteUser(ctx context.Context, name string) error
	PutPolicy(ctx context.Context, p raftfsm.Policy) error
	DeletePolicy(ctx context.Context, name string) error
	AttachPolicy(ctx context.Context, user, policy string) error
	User(name string) (raftfsm.User, bool)
	Users() []raftfsm.User
	Policy(name string) (raftfsm.Policy, bool)
	Policies() []raftfsm.Policy

	CreateServiceAccount(ctx context.Context, sa raftfsm.ServiceAccount) error
	DeleteServiceAccount(ctx context.Context, accessKey, parent string) error
	ServiceAccounts(parent string) []raftfsm.ServiceAccount
	Sessions(parent string) []raftfsm.Session
	RevokeSession(ctx context.Context, accessKey, parent string) error
	RevokeUserSessions(ctx context.Context, user string) (int, error)

	// SetSetting sets a replicated cluster setting ("" deletes it);
	// Setting reads one from local state ("" when unset).
	SetSetting(ctx context.Context, key, value string) error
	Setting(key string) string
}

// Sealer seals secrets before they are proposed. *raftfsm.Sealer satisfies it.
type Sealer interface {
	Seal(accessKey, secret string) ([]byte, error)
}

// Objects is the object metadata the admin API reads. *erasure.Store
// satisfies it.
type Objects interface {
	StatObject(ctx context.Context, bucket, key string) (erasure.ObjectInfo, error)
}
