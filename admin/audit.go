package admin

import (
	"encoding/json"
	"fmt"
	"net/url"
)

// SettingAuditWebhook is the cluster setting (raftfsm Settings key) that
// holds the audit webhook as JSON (auditWebhookSetting). Endpoint and token
// live in one setting so that they change together in one Raft command: no
// node ever posts to a new endpoint with the old token, or the other way
// round. The token is sealed with the cluster key, bound to this key.
const SettingAuditWebhook = "audit.webhook"

// Limits of the audit webhook settings.
const (
	// MaxAuditEndpointLen is the longest accepted endpoint URL, in bytes.
	MaxAuditEndpointLen = 2048
	// MaxAuditTokenLen is the longest accepted bearer token, in bytes.
	MaxAuditTokenLen = 1024
)

// AuditWebhookRequest is the body of PUT audit-webhook.
type AuditWebhookRequest struct {
	// Endpoint is the http or https URL events are POSTed to.
	Endpoint string `json:"endpoint"`
	// AuthToken, when set, is sent as "Authorization: Bearer AuthToken".
	AuthToken string `json:"auth_token,omitempty"`
}

// AuditWebhookInfo is the answer of GET and PUT audit-webhook. It never
// carries the token.
type AuditWebhookInfo struct {
	Enabled      bool   `json:"enabled"`
	Endpoint     string `json:"endpoint,omitempty"`
	AuthTokenSet bool   `json:"auth_token_set"`
}

// auditWebhookSetting is the stored value of SettingAuditWebhook.
type auditWebhookSetting struct {
	Endpoint string `json:"endpoint"`
	// SealedToken is Sealer.Seal(SettingAuditWebhook, token); JSON base64.
	SealedToken []byte `json:"sealed_token,omitempty"`
}

// Opener opens secrets sealed by Sealer. *raftfsm.Sealer satisfies it.
type Opener interface {
	Open(accessKey string, sealed []byte) (string, error)
}

// ReadAuditWebhook decodes the value of SettingAuditWebhook ("" = disabled)
// and unseals its token. Nodes call it to (re)target their audit sender.
func ReadAuditWebhook(value string, op Opener) (endpoint, token string, err error) {
	if value == "" {
		return "", "", nil
	}
	var s auditWebhookSetting
	if err := json.Unmarshal([]byte(value), &s); err != nil {
		return "", "", fmt.Errorf("admin: setting %s does not decode: %w", SettingAuditWebhook, err)
	}
	if len(s.SealedToken) > 0 {
		if token, err = op.Open(SettingAuditWebhook, s.SealedToken); err != nil {
			return "", "", fmt.Errorf("admin: setting %s: token: %w", SettingAuditWebhook, err)
		}
	}
	return s.Endpoint, token, nil
}

// ValidateAuditEndpoint checks a webhook URL: http or https, a host, at most
// MaxAuditEndpointLen bytes, and no user:password (credentials belong in
// the sealed token, never in a URL the API shows).
func ValidateAuditEndpoint(endpoint string) error {
	if endpoint == "" {
		return badInput("endpoint is required (use DELETE to disable the webhook)")
	}
	if len(endpoint) > MaxAuditEndpointLen {
		return badInput("endpoint is %d bytes, at most %d", len(endpoint), MaxAuditEndpointLen)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return badInput("endpoint %q is not a URL: %v", endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return badInput("endpoint %q must be an http:// or https:// URL", endpoint)
	}
	if u.Hostname() == "" {
		return badInput("endpoint %q has no host", endpoint)
	}
	if u.User != nil {
		return badInput("endpoint must not contain user:password; give the credential as auth_token")
	}
	if u.Fragment != "" || u.RawFragment != "" {
		return badInput("endpoint %q must not have a #fragment", endpoint)
	}
	return nil
}

// ValidateAuditToken checks a bearer token: at most MaxAuditTokenLen bytes
// of visible ASCII (no spaces or control characters, which would break or
// inject into the Authorization header).
func ValidateAuditToken(token string) error {
	if len(token) > MaxAuditTokenLen {
		return badInput("auth_token is %d bytes, at most %d", len(token), MaxAuditTokenLen)
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c < 0x21 || c > 0x7e {
			return badInput("auth_token may contain only visible ASCII characters (byte %d is 0x%02x)", i, c)
		}
	}
	return nil
}

func (h *Handler) auditWebhookInfo() (AuditWebhookInfo, error) {
	v := h.deps.Identity.Setting(SettingAuditWebhook)
	if v == "" {
		return AuditWebhookInfo{}, nil
	}
	var s auditWebhookSetting
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return AuditWebhookInfo{}, fmt.Errorf("setting %s: %w", SettingAuditWebhook, err)
	}
	return AuditWebhookInfo{Enabled: s.Endpoint != "", Endpoint: s.Endpoint, AuthTokenSet: len(s.SealedToken) > 0}, nil
}

func (h *Handler) getAuditWebhook(c *call) (any, error) {
	return h.auditWebhookInfo()
}

func (h *Handler) putAuditWebhook(c *call) (any, error) {
	var req AuditWebhookRequest
	if err := h.readJSON(c, &req); err != nil {
		return nil, err
	}
	if err := ValidateAuditEndpoint(req.Endpoint); err != nil {
		return nil, err
	}
	if err := ValidateAuditToken(req.AuthToken); err != nil {
		return nil, err
	}
	s := auditWebhookSetting{Endpoint: req.Endpoint}
	if req.AuthToken != "" {
		sealed, err := h.deps.Sealer.Seal(SettingAuditWebhook, req.AuthToken)
		if err != nil {
			return nil, err
		}
		s.SealedToken = sealed
	}
	v, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	if err := h.deps.Identity.SetSetting(c.ctx, SettingAuditWebhook, string(v)); err != nil {
		return nil, err
	}
	h.log.Info("audit webhook enabled", "endpoint", req.Endpoint, "token", req.AuthToken != "", "by", c.who.Name)
	return AuditWebhookInfo{Enabled: true, Endpoint: req.Endpoint, AuthTokenSet: req.AuthToken != ""}, nil
}

func (h *Handler) deleteAuditWebhook(c *call) (any, error) {
	if err := h.deps.Identity.SetSetting(c.ctx, SettingAuditWebhook, ""); err != nil {
		return nil, err
	}
	h.log.Info("audit webhook disabled", "by", c.who.Name)
	return nil, nil
}
