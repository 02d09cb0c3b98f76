package admin

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/tessera-s3/tessera/raftfsm"
	"github.com/tessera-s3/tessera/sts"
)

// SessionInfo is an STS session as the admin API shows it (no secrets).
type SessionInfo struct {
	AccessKey  string          `json:"access_key"`
	Parent     string          `json:"parent_user"`
	Created    time.Time       `json:"created"`
	Expiration time.Time       `json:"expiration"`
	Policy     json.RawMessage `json:"session_policy,omitempty"`
}

// RevokeResult counts revoked sessions.
type RevokeResult struct {
	Revoked int `json:"revoked"`
}

// NewServiceAccountRequest is the body of POST service-accounts.
type NewServiceAccountRequest struct {
	// Policy optionally narrows the parent's policy (IAM JSON).
	Policy json.RawMessage `json:"policy,omitempty"`
}

// NewServiceAccount is the answer of POST service-accounts: the only time
// the secret key is shown.
type NewServiceAccount struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
	Parent    string `json:"parent_user"`
}

// ServiceAccountInfo is a service account as list and show return it.
type ServiceAccountInfo struct {
	AccessKey string `json:"access_key"`
	Parent    string `json:"parent_user"`
	// ImpliedPolicy is true when the parent's policy applies unchanged.
	ImpliedPolicy bool `json:"implied_policy"`
	// PolicyContent is the attached policy, or the parent's current policy
	// document when implied.
	PolicyContent json.RawMessage `json:"policy_content,omitempty"`
	Created       time.Time       `json:"created"`
}

func sessionInfo(se raftfsm.Session) SessionInfo {
	si := SessionInfo{AccessKey: se.AccessKey, Parent: se.Parent, Created: se.Created, Expiration: se.Expiration}
	if se.Policy != "" {
		si.Policy = json.RawMessage(se.Policy)
	}
	return si
}

func (h *Handler) listSessions(c *call) (any, error) {
	user := string(c.rc.QueryArgs().Peek("user"))
	if user != "" {
		if _, ok := h.deps.Identity.User(user); !ok {
			return nil, errorf(404, "NoSuchEntity", "no user %q", user)
		}
	}
	now := h.cfg.Now()
	out := []SessionInfo{}
	for _, se := range h.deps.Identity.Sessions(user) {
		if se.Expiration.After(now) {
			out = append(out, sessionInfo(se))
		}
	}
	return out, nil
}

func (h *Handler) revokeUserSessions(c *call) (any, error) {
	user := string(c.rc.QueryArgs().Peek("user"))
	if user == "" {
		return nil, badInput("query parameter user is required (or DELETE sts/sessions/ACCESS_KEY for one session)")
	}
	if _, ok := h.deps.Identity.User(user); !ok {
		return nil, errorf(404, "NoSuchEntity", "no user %q", user)
	}
	n, err := h.deps.Identity.RevokeUserSessions(c.ctx, user)
	if err != nil {
		return nil, err
	}
	return RevokeResult{Revoked: n}, nil
}

func (h *Handler) revokeSession(c *call) (any, error) {
	if err := h.deps.Identity.RevokeSession(c.ctx, c.params[0], ""); err != nil {
		if errors.Is(err, raftfsm.ErrSessionNotFound) {
			return nil, errorf(404, "NoSuchEntity", "no session %q", c.params[0])
		}
		return nil, err
	}
	return RevokeResult{Revoked: 1}, nil
}

func (h *Handler) addServiceAccount(c *call) (any, error) {
	var req NewServiceAccountRequest
	if len(c.rc.Request.Body()) > 0 {
		if err := h.readJSON(c, &req); err != nil {
			return nil, err
		}
	}
	policy := ""
	if len(req.Policy) > 0 && string(req.Policy) != "null" {
		if len(req.Policy) > h.cfg.MaxPolicyBytes {
			return nil, errorf(400, "MalformedPolicyDocument", "policy is %d bytes, the limit is %d", len(req.Policy), h.cfg.MaxPolicyBytes)
		}
		if err := h.deps.ValidatePolicy(req.Policy); err != nil {
			return nil, errorf(400, "MalformedPolicyDocument", "%v", err)
		}
		policy = string(req.Policy)
	}
	ak, err := sts.NewServiceAccountKey()
	if err != nil {
		return nil, err
	}
	secret, err := sts.NewSecret()
	if err != nil {
		return nil, err
	}
	sealed, err := h.deps.Sealer.Seal(ak, secret)
	if err != nil {
		return nil, err
	}
	sa := raftfsm.ServiceAccount{AccessKey: ak, Secret: sealed, Parent: c.who.Name, Policy: policy, Created: h.cfg.Now().UTC()}
	if err := h.deps.Identity.CreateServiceAccount(c.ctx, sa); err != nil {
		if errors.Is(err, raftfsm.ErrTooManyServiceAccounts) {
			return nil, errorf(409, "LimitExceeded", "user %q already has the maximum number of service accounts (100); remove one first", c.who.Name)
		}
		return nil, err
	}
	return created{NewServiceAccount{AccessKey: ak, SecretKey: secret, Parent: c.who.Name}}, nil
}

func (h *Handler) saInfo(sa raftfsm.ServiceAccount) ServiceAccountInfo {
	info := ServiceAccountInfo{AccessKey: sa.AccessKey, Parent: sa.Parent, Created: sa.Created}
	if sa.Policy != "" {
		info.PolicyContent = json.RawMessage(sa.Policy)
		return info
	}
	info.ImpliedPolicy = true
	if u, ok := h.deps.Identity.User(sa.Parent); ok && u.Policy != "" {
		if doc, ok := h.deps.PredefinedPolicy(u.Policy); ok {
			info.PolicyContent = json.RawMessage(doc)
		} else if p, ok := h.deps.Identity.Policy(u.Policy); ok {
			info.PolicyContent = json.RawMessage(p.Document)
		}
	}
	return info
}

func (h *Handler) listServiceAccounts(c *call) (any, error) {
	out := []ServiceAccountInfo{}
	for _, sa := range h.deps.Identity.ServiceAccounts(c.who.Name) {
		out = append(out, h.saInfo(sa))
	}
	return out, nil
}

func (h *Handler) ownServiceAccount(c *call) (raftfsm.ServiceAccount, error) {
	for _, sa := range h.deps.Identity.ServiceAccounts(c.who.Name) {
		if sa.AccessKey == c.params[0] {
			return sa, nil
		}
	}
	return raftfsm.ServiceAccount{}, errorf(404, "NoSuchEntity", "user %q has no service account %q", c.who.Name, c.params[0])
}

func (h *Handler) showServiceAccount(c *call) (any, error) {
	sa, err := h.ownServiceAccount(c)
	if err != nil {
		return nil, err
	}
	return h.saInfo(sa), nil
}

func (h *Handler) removeServiceAccount(c *call) (any, error) {
	if _, err := h.ownServiceAccount(c); err != nil {
		return nil, err
	}
	if err := h.deps.Identity.DeleteServiceAccount(c.ctx, c.params[0], c.who.Name); err != nil {
		if errors.Is(err, raftfsm.ErrServiceAccountNotFound) || errors.Is(err, raftfsm.ErrNotParent) {
			return nil, errorf(404, "NoSuchEntity", "user %q has no service account %q", c.who.Name, c.params[0])
		}
		return nil, err
	}
	return nil, nil
}
