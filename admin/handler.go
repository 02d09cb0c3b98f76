package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/raftfsm"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// Prefix is the path prefix of the admin API.
const Prefix = "/_tessera/admin/v1/"

// Config configures a Handler.
type Config struct {
	// MaxPolicyBytes is the largest accepted policy document (default 2048).
	MaxPolicyBytes int
	// MaxBodyBytes caps request bodies (default 64 KiB).
	MaxBodyBytes int
	// Logger receives the handler's logs (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{MaxPolicyBytes: 2048, MaxBodyBytes: 64 << 10}
}

// Deps are the Handler's collaborators.
type Deps struct {
	Auth     Authenticator
	Identity Identity
	Sealer   Sealer
	Objects  Objects
	// ValidatePolicy parses an IAM identity policy document and returns an
	// error naming what is wrong.
	ValidatePolicy func(doc []byte) error
	// PredefinedPolicy returns the JSON of a built-in policy.
	PredefinedPolicy func(name string) (string, bool)
	// Cluster serves membership and status (optional).
	Cluster Cluster
}

// Handler serves the admin API. Safe for concurrent use.
type Handler struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
}

// New returns a Handler.
func New(cfg Config, deps Deps) (*Handler, error) {
	if cfg.MaxPolicyBytes == 0 {
		cfg.MaxPolicyBytes = 2048
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if deps.Auth == nil || deps.Identity == nil || deps.Sealer == nil || deps.Objects == nil || deps.ValidatePolicy == nil || deps.PredefinedPolicy == nil {
		return nil, errors.New("admin: every field of Deps must be set")
	}
	return &Handler{cfg: cfg, deps: deps, log: cfg.Logger}, nil
}

// Error is an admin API error: an HTTP status, a stable code and a message
// that names what is wrong.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func badInput(format string, args ...any) *Error {
	return errorf(400, "InvalidInput", format, args...)
}

// route is one admin operation.
type route struct {
	method string
	// pattern segments; "{}" matches one segment.
	pattern []string
	// perm says who may call it.
	perm perm
	fn   func(h *Handler, c *call) (any, error)
}

// perm is who may call a route.
type perm uint8

const (
	// permRead: cluster admins and readonly users.
	permRead perm = iota
	// permWrite: cluster admins.
	permWrite
	// permSelf: an S3 user signing with its own keys (service accounts).
	permSelf
)

// call is one admin request being served.
type call struct {
	ctx    context.Context
	rc     *fasthttp.RequestCtx
	who    Principal
	params []string
}

var routes = []route{
	{"GET", []string{"users"}, permRead, (*Handler).listUsers},
	{"POST", []string{"users"}, permWrite, (*Handler).createUser},
	{"GET", []string{"users", "{}"}, permRead, (*Handler).getUser},
	{"PATCH", []string{"users", "{}"}, permWrite, (*Handler).updateUser},
	{"DELETE", []string{"users", "{}"}, permWrite, (*Handler).deleteUser},
	{"PUT", []string{"users", "{}", "policy"}, permWrite, (*Handler).attachPolicy},
	{"DELETE", []string{"users", "{}", "policy"}, permWrite, (*Handler).detachPolicy},
	{"GET", []string{"policies"}, permRead, (*Handler).listPolicies},
	{"GET", []string{"policies", "{}"}, permRead, (*Handler).getPolicy},
	{"PUT", []string{"policies", "{}"}, permWrite, (*Handler).putPolicy},
	{"DELETE", []string{"policies", "{}"}, permWrite, (*Handler).deletePolicy},
	{"GET", []string{"objects", "stat"}, permRead, (*Handler).statObject},
	{"GET", []string{"sts", "sessions"}, permRead, (*Handler).listSessions},
	{"DELETE", []string{"sts", "sessions"}, permWrite, (*Handler).revokeUserSessions},
	{"DELETE", []string{"sts", "sessions", "{}"}, permWrite, (*Handler).revokeSession},
	{"GET", []string{"cluster", "status"}, permRead, (*Handler).clusterStatus},
	{"POST", []string{"cluster", "nodes"}, permWrite, (*Handler).addNode},
	{"DELETE", []string{"cluster", "nodes", "{}"}, permWrite, (*Handler).removeNode},
	{"POST", []string{"cluster", "heal"}, permWrite, (*Handler).heal},
	{"POST", []string{"service-accounts"}, permSelf, (*Handler).addServiceAccount},
	{"GET", []string{"service-accounts"}, permSelf, (*Handler).listServiceAccounts},
	{"GET", []string{"service-accounts", "{}"}, permSelf, (*Handler).showServiceAccount},
	{"DELETE", []string{"service-accounts", "{}"}, permSelf, (*Handler).removeServiceAccount},
	{"GET", []string{"audit-webhook"}, permRead, (*Handler).getAuditWebhook},
	{"PUT", []string{"audit-webhook"}, permWrite, (*Handler).putAuditWebhook},
	{"DELETE", []string{"audit-webhook"}, permWrite, (*Handler).deleteAuditWebhook},
}

// ServeHTTP serves one admin request; the path starts with Prefix.
func (h *Handler) ServeHTTP(rc *fasthttp.RequestCtx) {
	res, err := h.serve(rc)
	if err != nil {
		h.writeError(rc, err)
		return
	}
	if _, ok := res.(streamed); ok {
		return
	}
	status := fasthttp.StatusOK
	if res == nil {
		rc.SetStatusCode(fasthttp.StatusNoContent)
		return
	}
	if s, ok := res.(created); ok {
		status = fasthttp.StatusCreated
		res = s.v
	}
	b, err := json.Marshal(res)
	if err != nil {
		h.writeError(rc, err)
		return
	}
	rc.SetStatusCode(status)
	rc.SetContentType("application/json")
	rc.SetBody(append(b, '\n'))
}

type created struct{ v any }

func (h *Handler) serve(rc *fasthttp.RequestCtx) (any, error) {
	path := string(rc.URI().PathOriginal())
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	rest, ok := strings.CutPrefix(path, Prefix)
	if !ok {
		return nil, errorf(404, "NoSuchRoute", "no admin route %s", path)
	}
	var segs []string
	for _, s := range strings.Split(strings.Trim(rest, "/"), "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, badInput("path segment %q is not valid percent-encoding", s)
		}
		segs = append(segs, u)
	}
	method := string(rc.Method())
	var match *route
	var params []string
	methodSeen := false
	for i := range routes {
		r := &routes[i]
		p, ok := matchPattern(r.pattern, segs)
		if !ok {
			continue
		}
		methodSeen = true
		if r.method == method {
			match, params = r, p
			break
		}
	}
	if match == nil {
		if methodSeen {
			return nil, errorf(405, "MethodNotAllowed", "method %s is not allowed on %s", method, path)
		}
		return nil, errorf(404, "NoSuchRoute", "no admin route %s", path)
	}
	// Admin bodies are small: read a streamed body whole (bounded) so that
	// signature checks and handlers can use Request.Body.
	if stream := rc.RequestBodyStream(); stream != nil {
		b, err := io.ReadAll(io.LimitReader(stream, int64(h.cfg.MaxBodyBytes)+1))
		if err != nil {
			return nil, badInput("reading the request body: %v", err)
		}
		if len(b) > h.cfg.MaxBodyBytes {
			return nil, badInput("request body is larger than %d bytes", h.cfg.MaxBodyBytes)
		}
		rc.Request.SetBody(b)
	}
	who, err := h.deps.Auth.Authenticate(rc)
	if err != nil {
		return nil, err
	}
	if err := checkRole(who, match.perm); err != nil {
		return nil, err
	}
	return match.fn(h, &call{ctx: rc, rc: rc, who: who, params: params})
}

func matchPattern(pat, segs []string) ([]string, bool) {
	if len(pat) != len(segs) {
		return nil, false
	}
	var params []string
	for i, p := range pat {
		if p == "{}" {
			if segs[i] == "" {
				return nil, false
			}
			params = append(params, segs[i])
		} else if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}

// checkRole enforces: cluster admins (and root) may do everything; readonly
// users may read; S3 users, service accounts and sessions may not use the
// admin API.
func checkRole(who Principal, p perm) error {
	if p == permSelf {
		const rule = "only the S3 user itself, signing with its own access and secret key, may manage its service accounts"
		switch {
		case who.Kind == "session":
			return errorf(403, "AccessDenied", "STS temporary credentials cannot manage service accounts: %s", rule)
		case who.Kind == "service-account":
			return errorf(403, "AccessDenied", "a service account cannot manage service accounts: %s", rule)
		case who.Root || who.Role != raftfsm.RoleS3:
			return errorf(403, "AccessDenied", "%q is not an S3 user (role %s): %s", who.Name, who.Role, rule)
		}
		return nil
	}
	write := p == permWrite
	if who.Parent != "" {
		return errorf(403, "AccessDenied", "temporary credentials and service accounts cannot use the admin API")
	}
	switch who.Role {
	case raftfsm.RoleClusterAdmin:
		return nil
	case raftfsm.RoleReadOnly:
		if !write {
			return nil
		}
		return errorf(403, "AccessDenied", "user %q has the readonly role; this call needs the clusteradmin role", who.Name)
	}
	return errorf(403, "AccessDenied", "user %q has the %s role; the admin API needs the clusteradmin role (or readonly for reads)", who.Name, who.Role)
}

func (h *Handler) writeError(rc *fasthttp.RequestCtx, err error) {
	var ae *Error
	var se *s3err.Error
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &se):
		ae = &Error{Status: se.HTTPStatus, Code: se.Code, Message: se.Message}
	default:
		ae = mapStateError(err)
	}
	if ae.Status >= 500 {
		h.log.Error("admin request failed", "path", string(rc.Path()), "err", err)
	}
	b, _ := json.Marshal(struct {
		Error *Error `json:"error"`
	}{ae})
	rc.SetStatusCode(ae.Status)
	rc.SetContentType("application/json")
	rc.SetBody(append(b, '\n'))
}

// mapStateError turns raftfsm's domain errors into API errors.
func mapStateError(err error) *Error {
	switch {
	case errors.Is(err, raftfsm.ErrUserExists):
		return errorf(409, "EntityAlreadyExists", "a user with that name already exists")
	case errors.Is(err, raftfsm.ErrUserNotFound):
		return errorf(404, "NoSuchEntity", "no such user")
	case errors.Is(err, raftfsm.ErrPolicyExists):
		return errorf(409, "EntityAlreadyExists", "a policy with that name already exists")
	case errors.Is(err, raftfsm.ErrPolicyNotFound):
		return errorf(404, "NoSuchEntity", "no such policy")
	case errors.Is(err, raftfsm.ErrPolicyAttached):
		return errorf(409, "DeleteConflict", "the policy is attached to users; detach it first")
	case errors.Is(err, raftfsm.ErrPolicyPredefined):
		return errorf(400, "InvalidInput", "pre-defined policies (readonly, writeonly, readwrite) cannot be changed or removed")
	case errors.Is(err, raftfsm.ErrTooManyPolicies):
		return errorf(409, "LimitExceeded", "the custom policy limit is reached")
	case errors.Is(err, raftfsm.ErrTooManyUsers):
		return errorf(409, "LimitExceeded", "the user limit is reached")
	case errors.Is(err, raftfsm.ErrNoPolicyAttached):
		return errorf(404, "NoSuchEntity", "the user has no policy attached")
	case errors.Is(err, raftfsm.ErrLastClusterAdmin):
		return errorf(409, "DeleteConflict", "the last clusteradmin user cannot be removed or demoted")
	case errors.Is(err, raftfsm.ErrNotLeader):
		return errorf(503, "ServiceUnavailable", "no Raft leader reachable; retry")
	case errors.Is(err, erasure.ErrObjectNotFound):
		return errorf(404, "NoSuchKey", "the object does not exist")
	}
	return errorf(500, "InternalError", "internal error")
}

func (h *Handler) readJSON(c *call, v any) error {
	body := c.rc.Request.Body()
	if len(body) > h.cfg.MaxBodyBytes {
		return badInput("request body is %d bytes, at most %d", len(body), h.cfg.MaxBodyBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badInput("request body: %v", err)
	}
	return nil
}

// UserInfo is a user as the admin API shows it (never the secret).
type UserInfo struct {
	Name     string       `json:"name"`
	Role     raftfsm.Role `json:"role"`
	PosixUID uint32       `json:"posix_uid"`
	PosixGID uint32       `json:"posix_gid"`
	Policy   string       `json:"policy,omitempty"`
	Created  time.Time    `json:"created"`
}

func userInfo(u raftfsm.User) UserInfo {
	return UserInfo{Name: u.Name, Role: u.Role, PosixUID: u.UID, PosixGID: u.GID, Policy: u.Policy, Created: u.Created}
}

// CreateUserRequest is the body of POST users.
type CreateUserRequest struct {
	Name     string       `json:"name"`
	Role     raftfsm.Role `json:"role"`
	Password string       `json:"password"`
	PosixUID *uint32      `json:"posix_uid,omitempty"`
	PosixGID *uint32      `json:"posix_gid,omitempty"`
}

// UpdateUserRequest is the body of PATCH users/NAME; absent fields stay.
type UpdateUserRequest struct {
	Password *string `json:"password,omitempty"`
	PosixUID *uint32 `json:"posix_uid,omitempty"`
	PosixGID *uint32 `json:"posix_gid,omitempty"`
}

// AttachRequest is the body of PUT users/NAME/policy.
type AttachRequest struct {
	Policy string `json:"policy"`
}

// PolicyInfo is a policy as the admin API shows it.
type PolicyInfo struct {
	Name       string          `json:"name"`
	Predefined bool            `json:"predefined"`
	Document   json.RawMessage `json:"document"`
	Users      []string        `json:"users"`
}

// ObjectStat is the answer of GET objects/stat.
type ObjectStat struct {
	Bucket       string    `json:"bucket"`
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"`
	LastModified time.Time `json:"last_modified"`
	ContentType  string    `json:"content_type"`
	Owner        string    `json:"owner"`
	PosixUID     uint32    `json:"posix_uid"`
	PosixGID     uint32    `json:"posix_gid"`
	Parts        int       `json:"parts,omitempty"`
}

// ValidateUserName checks a user name (its access key): 3-128 characters of
// letters, digits and ._-@+=; it cannot contain '/', which SigV4 credential
// scopes use as a separator.
func ValidateUserName(name string) error {
	if n := len(name); n < 3 || n > 128 {
		return badInput("user name must be 3-128 characters, got %d", n)
	}
	for _, r := range name {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-@+=", r))) {
			return badInput("user name %q may contain only letters, digits and . _ - @ + =", name)
		}
	}
	return nil
}

// ValidatePassword enforces the password rules: at least 8 characters, an
// upper-case and a lower-case letter, and a digit or special character.
func ValidatePassword(p string) error {
	if len(p) < 8 {
		return badInput("password must be at least 8 characters")
	}
	if len(p) > 128 {
		return badInput("password must be at most 128 characters")
	}
	var upper, lower, other bool
	for _, r := range p {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r):
			other = true
		}
	}
	if !upper || !lower || !other {
		return badInput("password must contain an upper-case letter, a lower-case letter, and a digit or special character")
	}
	return nil
}

func (h *Handler) listUsers(c *call) (any, error) {
	us := h.deps.Identity.Users()
	out := make([]UserInfo, 0, len(us))
	for _, u := range us {
		out = append(out, userInfo(u))
	}
	return out, nil
}

func (h *Handler) getUser(c *call) (any, error) {
	u, ok := h.deps.Identity.User(c.params[0])
	if !ok {
		return nil, errorf(404, "NoSuchEntity", "no user %q", c.params[0])
	}
	return userInfo(u), nil
}

func (h *Handler) createUser(c *call) (any, error) {
	var req CreateUserRequest
	if err := h.readJSON(c, &req); err != nil {
		return nil, err
	}
	if err := ValidateUserName(req.Name); err != nil {
		return nil, err
	}
	if !req.Role.Valid() {
		return nil, badInput("role %q is not one of clusteradmin, readonly, s3", req.Role)
	}
	if err := ValidatePassword(req.Password); err != nil {
		return nil, err
	}
	sealed, err := h.deps.Sealer.Seal(req.Name, req.Password)
	if err != nil {
		return nil, err
	}
	now := h.cfg.Now().UTC()
	u := raftfsm.User{Name: req.Name, Role: req.Role, Secret: sealed, Created: now, Updated: now}
	if req.PosixUID != nil {
		u.UID = *req.PosixUID
	}
	if req.PosixGID != nil {
		u.GID = *req.PosixGID
	}
	if err := h.deps.Identity.CreateUser(c.ctx, u); err != nil {
		if errors.Is(err, raftfsm.ErrUserExists) {
			return nil, errorf(409, "EntityAlreadyExists", "user %q already exists", req.Name)
		}
		return nil, err
	}
	return created{userInfo(u)}, nil
}

func (h *Handler) updateUser(c *call) (any, error) {
	var req UpdateUserRequest
	if err := h.readJSON(c, &req); err != nil {
		return nil, err
	}
	name := c.params[0]
	var upd raftfsm.UserUpdate
	if req.Password != nil {
		if err := ValidatePassword(*req.Password); err != nil {
			return nil, err
		}
		sealed, err := h.deps.Sealer.Seal(name, *req.Password)
		if err != nil {
			return nil, err
		}
		upd.Secret = sealed
	}
	upd.UID, upd.GID = req.PosixUID, req.PosixGID
	if upd.Secret == nil && upd.UID == nil && upd.GID == nil {
		return nil, badInput("nothing to update: give password, posix_uid or posix_gid")
	}
	if err := h.deps.Identity.UpdateUser(c.ctx, name, upd, h.cfg.Now().UTC()); err != nil {
		if errors.Is(err, raftfsm.ErrUserNotFound) {
			return nil, errorf(404, "NoSuchEntity", "no user %q", name)
		}
		return nil, err
	}
	u, _ := h.deps.Identity.User(name)
	return userInfo(u), nil
}

func (h *Handler) deleteUser(c *call) (any, error) {
	name := c.params[0]
	if name == c.who.Name && !c.who.Root {
		return nil, errorf(409, "DeleteConflict", "you cannot delete the user you are signed in as")
	}
	if err := h.deps.Identity.DeleteUser(c.ctx, name); err != nil {
		if errors.Is(err, raftfsm.ErrUserNotFound) {
			return nil, errorf(404, "NoSuchEntity", "no user %q", name)
		}
		return nil, err
	}
	return nil, nil
}

func (h *Handler) attachPolicy(c *call) (any, error) {
	var req AttachRequest
	if err := h.readJSON(c, &req); err != nil {
		return nil, err
	}
	if req.Policy == "" {
		return nil, badInput("policy must name a policy; use DELETE to detach")
	}
	user := c.params[0]
	if err := h.deps.Identity.AttachPolicy(c.ctx, user, req.Policy); err != nil {
		switch {
		case errors.Is(err, raftfsm.ErrUserNotFound):
			return nil, errorf(404, "NoSuchEntity", "no user %q", user)
		case errors.Is(err, raftfsm.ErrPolicyNotFound):
			return nil, errorf(404, "NoSuchEntity", "no policy %q", req.Policy)
		}
		return nil, err
	}
	u, _ := h.deps.Identity.User(user)
	return userInfo(u), nil
}

func (h *Handler) detachPolicy(c *call) (any, error) {
	user := c.params[0]
	if err := h.deps.Identity.AttachPolicy(c.ctx, user, ""); err != nil {
		switch {
		case errors.Is(err, raftfsm.ErrUserNotFound):
			return nil, errorf(404, "NoSuchEntity", "no user %q", user)
		case errors.Is(err, raftfsm.ErrNoPolicyAttached):
			return nil, errorf(404, "NoSuchEntity", "user %q has no policy attached", user)
		}
		return nil, err
	}
	return nil, nil
}

func (h *Handler) usersOf(policy string) []string {
	out := []string{}
	for _, u := range h.deps.Identity.Users() {
		if u.Policy == policy {
			out = append(out, u.Name)
		}
	}
	return out
}

func (h *Handler) listPolicies(c *call) (any, error) {
	var out []PolicyInfo
	for _, name := range raftfsm.PredefinedPolicies {
		doc, _ := h.deps.PredefinedPolicy(name)
		out = append(out, PolicyInfo{Name: name, Predefined: true, Document: json.RawMessage(doc), Users: h.usersOf(name)})
	}
	for _, p := range h.deps.Identity.Policies() {
		out = append(out, PolicyInfo{Name: p.Name, Document: json.RawMessage(p.Document), Users: h.usersOf(p.Name)})
	}
	return out, nil
}

func (h *Handler) getPolicy(c *call) (any, error) {
	name := c.params[0]
	if doc, ok := h.deps.PredefinedPolicy(name); ok {
		return PolicyInfo{Name: name, Predefined: true, Document: json.RawMessage(doc), Users: h.usersOf(name)}, nil
	}
	p, ok := h.deps.Identity.Policy(name)
	if !ok {
		return nil, errorf(404, "NoSuchEntity", "no policy %q", name)
	}
	return PolicyInfo{Name: p.Name, Document: json.RawMessage(p.Document), Users: h.usersOf(name)}, nil
}

// ValidatePolicyName checks a custom policy's name: 1-128 characters of
// letters, digits and +=,.@_-.
func ValidatePolicyName(name string) error {
	if n := len(name); n < 1 || n > 128 {
		return badInput("policy name must be 1-128 characters, got %d", n)
	}
	for _, r := range name {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("+=,.@_-", r))) {
			return badInput("policy name %q may contain only letters, digits and + = , . @ _ -", name)
		}
	}
	return nil
}

func (h *Handler) putPolicy(c *call) (any, error) {
	name := c.params[0]
	if raftfsm.IsPredefinedPolicy(name) {
		return nil, badInput("policy %q is pre-defined and cannot be changed", name)
	}
	if err := ValidatePolicyName(name); err != nil {
		return nil, err
	}
	doc := c.rc.Request.Body()
	if len(doc) > h.cfg.MaxPolicyBytes {
		return nil, errorf(400, "MalformedPolicyDocument", "policy is %d bytes, the limit is %d", len(doc), h.cfg.MaxPolicyBytes)
	}
	if err := h.deps.ValidatePolicy(doc); err != nil {
		return nil, errorf(400, "MalformedPolicyDocument", "%v", err)
	}
	p := raftfsm.Policy{Name: name, Document: string(doc), Created: h.cfg.Now().UTC()}
	if err := h.deps.Identity.PutPolicy(c.ctx, p); err != nil {
		if errors.Is(err, raftfsm.ErrPolicyExists) {
			return nil, errorf(409, "EntityAlreadyExists", "policy %q already exists; remove it first", name)
		}
		return nil, err
	}
	return created{PolicyInfo{Name: name, Document: json.RawMessage(doc), Users: []string{}}}, nil
}

func (h *Handler) deletePolicy(c *call) (any, error) {
	name := c.params[0]
	if raftfsm.IsPredefinedPolicy(name) {
		return nil, badInput("policy %q is pre-defined and cannot be removed", name)
	}
	if err := h.deps.Identity.DeletePolicy(c.ctx, name); err != nil {
		switch {
		case errors.Is(err, raftfsm.ErrPolicyNotFound):
			return nil, errorf(404, "NoSuchEntity", "no policy %q", name)
		case errors.Is(err, raftfsm.ErrPolicyAttached):
			return nil, errorf(409, "DeleteConflict", "policy %q is attached to %s; detach it first", name, strings.Join(h.usersOf(name), ", "))
		}
		return nil, err
	}
	return nil, nil
}

func (h *Handler) statObject(c *call) (any, error) {
	args := c.rc.QueryArgs()
	bucket, key := string(args.Peek("bucket")), string(args.Peek("key"))
	if bucket == "" || key == "" {
		return nil, badInput("query parameters bucket and key are required")
	}
	oi, err := h.deps.Objects.StatObject(c.ctx, bucket, key)
	if err != nil {
		if errors.Is(err, erasure.ErrObjectNotFound) {
			return nil, errorf(404, "NoSuchKey", "no object %q in bucket %q", key, bucket)
		}
		return nil, err
	}
	return ObjectStat{Bucket: bucket, Key: key, Size: oi.Size, ETag: oi.ETag, LastModified: oi.ModTime.UTC(),
		ContentType: oi.ContentType, Owner: oi.Owner, PosixUID: oi.UID, PosixGID: oi.GID, Parts: len(oi.Parts)}, nil
}
