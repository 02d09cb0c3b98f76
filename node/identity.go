package node

import (
	"bytes"
	"crypto/subtle"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/iam"
	"github.com/tessera-s3/tessera/raftfsm"
	"github.com/tessera-s3/tessera/s3api"
	"github.com/tessera-s3/tessera/s3api/s3err"
	"github.com/tessera-s3/tessera/s3api/sigv4"
	"github.com/tessera-s3/tessera/sts"
)

// identities resolves access keys to principals and decides what they may
// do. It implements s3api.Credentials, s3api.Authorizer and
// admin.Authenticator over the replicated identity state. Safe for
// concurrent use; nothing here does network I/O.
type identities struct {
	root     rootCredentials
	rootAK   []byte
	state    identityState
	sealer   *raftfsm.Sealer
	verifier *sigv4.Verifier
	now      func() time.Time

	// secrets caches unsealed secrets by access key. An entry is valid while
	// the user record it was unsealed from is the current one (records are
	// replaced on every change, so pointer equality is exact).
	secretsMu sync.RWMutex
	secrets   map[string]cachedSecret

	// leaseOK reports whether this node may serve authenticated requests
	// (it has heard from the Raft leader within its lease).
	leaseOK func() bool

	// policies caches parsed policy documents by their text.
	policies sync.Map // string -> *iam.Policy (or error)
}

// errLeaseExpired refuses authenticated requests on a node cut off from
// the Raft leader: its identity state may be stale.
var errLeaseExpired = s3err.ErrServiceUnavailable.WithMessage("this node has lost contact with the cluster leader; retry, possibly on another node")

type cachedSecret struct {
	rec    any // *raftfsm.User, *raftfsm.Session or *raftfsm.ServiceAccount
	secret string
}

// identityState is the replicated identity the layer reads: local map
// lookups, no network. *raftfsm.Store and *raftfsm.FSM satisfy it.
type identityState interface {
	UserAuth(ak []byte) (*raftfsm.User, bool)
	SessionAuth(ak []byte) (*raftfsm.Session, bool)
	ServiceAccountAuth(ak []byte) (*raftfsm.ServiceAccount, bool)
	Policy(name string) (raftfsm.Policy, bool)
}

func newIdentities(root rootCredentials, state identityState, sealer *raftfsm.Sealer, region string, now, credNow func() time.Time) *identities {
	return &identities{
		root: root, rootAK: []byte(root.AccessKey), state: state, sealer: sealer, now: credNow,
		verifier: sigv4.NewVerifier(sigv4.Config{Region: region, Now: now}),
		secrets:  make(map[string]cachedSecret),
	}
}

// Secret implements s3api.Credentials.
func (d *identities) Secret(ak []byte) (string, error) {
	if d.leaseOK != nil && !d.leaseOK() {
		return "", errLeaseExpired
	}
	if subtle.ConstantTimeCompare(ak, d.rootAK) == 1 {
		return d.root.SecretKey, nil
	}
	var rec any
	var name string
	var sealed []byte
	if u, ok := d.state.UserAuth(ak); ok {
		rec, name, sealed = u, u.Name, u.Secret
	} else if se, ok := d.state.SessionAuth(ak); ok {
		if !d.now().Before(se.Expiration) {
			return "", s3err.ErrExpiredToken
		}
		rec, name, sealed = se, se.AccessKey, se.Secret
	} else if sa, ok := d.state.ServiceAccountAuth(ak); ok {
		rec, name, sealed = sa, sa.AccessKey, sa.Secret
	} else {
		return "", s3err.ErrInvalidAccessKeyID
	}
	d.secretsMu.RLock()
	c, ok := d.secrets[string(ak)]
	d.secretsMu.RUnlock()
	if ok && c.rec == rec {
		return c.secret, nil
	}
	secret, err := d.sealer.Open(name, sealed)
	if err != nil {
		return "", s3err.ErrInternalError.WithMessage("cannot unseal the secret: is the cluster key the one the cluster was created with?")
	}
	d.secretsMu.Lock()
	if len(d.secrets) > 1<<20 {
		clear(d.secrets) // bound memory; entries are cheap to rebuild
	}
	d.secrets[name] = cachedSecret{rec: rec, secret: secret}
	d.secretsMu.Unlock()
	return secret, nil
}

// Identity implements s3api.Credentials.
func (d *identities) Identity(res *sigv4.Result) (s3api.Identity, error) {
	if res.AccessKey == d.root.AccessKey {
		return s3api.Identity{AccessKey: res.AccessKey, User: res.AccessKey, Root: true}, nil
	}
	c, err := d.resolve(res)
	if err != nil {
		return s3api.Identity{}, err
	}
	return s3api.Identity{AccessKey: res.AccessKey, User: c.parent.Name, UID: c.parent.UID, GID: c.parent.GID}, nil
}

// principal is a resolved non-root caller: the user whose rights apply and,
// for sessions and service accounts, the narrowing child policy.
type principal struct {
	parent *raftfsm.User
	kind   string // "user", "session", "service-account"
	policy string // session or service-account policy ("" none)
}

// resolve maps a verified signature to its user, checking session tokens
// and expiry.
func (d *identities) resolve(res *sigv4.Result) (principal, error) {
	ak := []byte(res.AccessKey)
	if u, ok := d.state.UserAuth(ak); ok {
		if res.SecurityToken != "" {
			return principal{}, s3err.ErrInvalidToken.WithMessage("a security token was sent with long-term credentials")
		}
		return principal{parent: u, kind: "user"}, nil
	}
	if se, ok := d.state.SessionAuth(ak); ok {
		if res.SecurityToken == "" {
			return principal{}, s3err.ErrAccessDenied.WithMessage("temporary credentials need their session token (X-Amz-Security-Token)")
		}
		if !sts.TokenMatches(res.SecurityToken, se.TokenHash) {
			return principal{}, s3err.ErrInvalidToken
		}
		if !d.now().Before(se.Expiration) {
			return principal{}, s3err.ErrExpiredToken
		}
		u, ok := d.state.UserAuth([]byte(se.Parent))
		if !ok {
			return principal{}, s3err.ErrInvalidAccessKeyID
		}
		return principal{parent: u, kind: "session", policy: se.Policy}, nil
	}
	if sa, ok := d.state.ServiceAccountAuth(ak); ok {
		if res.SecurityToken != "" {
			return principal{}, s3err.ErrInvalidToken.WithMessage("a security token was sent with service-account credentials")
		}
		u, ok := d.state.UserAuth([]byte(sa.Parent))
		if !ok {
			return principal{}, s3err.ErrInvalidAccessKeyID
		}
		return principal{parent: u, kind: "service-account", policy: sa.Policy}, nil
	}
	return principal{}, s3err.ErrInvalidAccessKeyID
}

// childPolicy returns the session or service-account policy of accessKey
// ("" for a user's own keys).
func (d *identities) childPolicy(accessKey string) string {
	ak := []byte(accessKey)
	if se, ok := d.state.SessionAuth(ak); ok {
		return se.Policy
	}
	if sa, ok := d.state.ServiceAccountAuth(ak); ok {
		return sa.Policy
	}
	return ""
}

// parsed returns the parsed policy for doc (cached), or nil when the
// document does not parse (a stored document always parsed when it was
// accepted; nil then denies).
func (d *identities) parsed(doc string, kind iam.Kind) *iam.Policy {
	if doc == "" {
		return nil
	}
	key := doc
	if kind == iam.BucketPolicy {
		key = "b\x00" + doc
	}
	if v, ok := d.policies.Load(key); ok {
		p, _ := v.(*iam.Policy)
		return p
	}
	p, err := iam.Parse([]byte(doc), kind)
	if err != nil {
		d.policies.Store(key, err)
		return nil
	}
	d.policies.Store(key, p)
	return p
}

// userPolicy returns the parsed IAM policy attached to u, nil for none.
func (d *identities) userPolicy(u *raftfsm.User) *iam.Policy {
	if u.Policy == "" {
		return nil
	}
	if p, ok := iam.Predefined(u.Policy); ok {
		return p
	}
	cp, ok := d.state.Policy(u.Policy)
	if !ok {
		return nil
	}
	return d.parsed(cp.Document, iam.IdentityPolicy)
}

// Authorize implements s3api.Authorizer. Root and cluster admins may do
// everything. Anyone else is allowed when their identity policy or the
// bucket policy allows and neither explicitly denies (AWS's same-account
// rule); an S3 user with no policy and no bucket policy granting access is
// denied; anonymous requests are allowed only by a bucket policy.
func (d *identities) Authorize(id *s3api.Identity, r *s3api.AuthzRequest) error {
	if id.Root {
		return nil
	}
	req := iam.Request{
		Action: r.Action, Bucket: r.Bucket, Key: r.Key,
		SourceIP: r.SourceIP, SecureTransport: r.SecureTransport, Now: d.now(),
		Conditions: conditions(r),
	}
	var identity iam.Decision
	child := ""
	if id.Anonymous {
		req.PrincipalType = "Anonymous"
	} else {
		u, ok := d.state.UserAuth([]byte(id.User))
		if !ok {
			return s3err.ErrInvalidAccessKeyID
		}
		req.Principal, req.Username, req.UserID, req.PrincipalType = u.Name, u.Name, u.Name, "User"
		if id.AccessKey != u.Name {
			child = d.childPolicy(id.AccessKey)
			req.PrincipalType = "AssumedRole"
		}
		if u.Role == raftfsm.RoleClusterAdmin {
			identity = iam.Allow
		} else if p := d.userPolicy(u); p != nil {
			identity = p.Evaluate(&req)
		}
	}
	bucket := iam.NotApplicable
	if p := d.parsed(r.BucketPolicy, iam.BucketPolicy); p != nil {
		bucket = p.Evaluate(&req)
	}
	decision := iam.Union(identity, bucket)
	if child != "" {
		// A session or service-account policy can only narrow: it is
		// intersected with everything the parent may do.
		cp := d.parsed(child, iam.IdentityPolicy)
		cd := iam.NotApplicable
		if cp != nil {
			cd = cp.Evaluate(&req)
		}
		decision = iam.Intersect(decision, cd)
	}
	if decision == iam.Allow {
		return nil
	}
	return s3err.ErrAccessDenied
}

// conditions collects the request's condition keys that iam.Request has no
// field for: s3:prefix, s3:delimiter, s3:max-keys and the x-amz-* headers.
func conditions(r *s3api.AuthzRequest) map[string][]string {
	var m map[string][]string
	add := func(k, v string) {
		if m == nil {
			m = make(map[string][]string, 4)
		}
		m[k] = append(m[k], v)
	}
	if r.Prefix != "" {
		add("s3:prefix", r.Prefix)
	}
	if r.Delimiter != "" {
		add("s3:delimiter", r.Delimiter)
	}
	if r.MaxKeys >= 0 && (r.Action == "s3:ListBucket" || r.Action == "s3:ListBucketVersions") {
		add("s3:max-keys", itoa(r.MaxKeys))
	}
	if r.Header != nil {
		r.Header.VisitAll(func(k, v []byte) {
			if len(k) > 6 && strings.EqualFold(string(k[:6]), "x-amz-") {
				add("s3:"+strings.ToLower(string(k)), string(v))
			}
		})
	}
	return m
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// Authenticate implements admin.Authenticator.
func (d *identities) Authenticate(ctx *fasthttp.RequestCtx) (admin.Principal, error) {
	res, err := d.verifier.Verify(&ctx.Request, d.Secret)
	if err != nil {
		return admin.Principal{}, err
	}
	if res.Anonymous {
		return admin.Principal{}, s3err.ErrAccessDenied.WithMessage("the admin API needs a SigV4-signed request")
	}
	if res.Mode == sigv4.PayloadSigned || res.Mode == sigv4.PayloadUnsigned {
		// Admin bodies are small and read whole: check the signed hash.
		br, err := d.verifier.NewBodyReader(&res, &ctx.Request, bytes.NewReader(ctx.Request.Body()))
		if err != nil {
			return admin.Principal{}, err
		}
		if _, err := io.Copy(io.Discard, br); err != nil {
			return admin.Principal{}, err
		}
	} else {
		return admin.Principal{}, s3err.ErrInvalidRequest.WithMessage("the admin API does not take streaming (aws-chunked) bodies")
	}
	if res.AccessKey == d.root.AccessKey {
		return admin.Principal{Name: res.AccessKey, AccessKey: res.AccessKey, Role: raftfsm.RoleClusterAdmin, Root: true, Kind: "root"}, nil
	}
	c, err := d.resolve(&res)
	if err != nil {
		return admin.Principal{}, err
	}
	p := admin.Principal{Name: c.parent.Name, AccessKey: res.AccessKey, Role: c.parent.Role, Kind: c.kind}
	if c.kind != "user" {
		p.Parent = c.parent.Name
	}
	return p, nil
}

// AuthenticateSTS implements sts.Authenticator.
func (d *identities) AuthenticateSTS(ctx *fasthttp.RequestCtx) (sts.Caller, error) {
	res, err := d.verifier.Verify(&ctx.Request, d.Secret)
	if err != nil {
		return sts.Caller{}, err
	}
	if res.Anonymous {
		return sts.Caller{}, s3err.ErrMissingSecurityHeader.WithMessage("Request is missing Authentication Token")
	}
	if res.AccessKey == d.root.AccessKey {
		return sts.Caller{AccessKey: res.AccessKey, User: res.AccessKey, Kind: sts.KindRoot}, nil
	}
	c, err := d.resolve(&res)
	if err != nil {
		return sts.Caller{}, err
	}
	k := sts.KindUser
	switch c.kind {
	case "session":
		k = sts.KindSession
	case "service-account":
		k = sts.KindServiceAccount
	}
	return sts.Caller{AccessKey: res.AccessKey, User: c.parent.Name, Kind: k}, nil
}
