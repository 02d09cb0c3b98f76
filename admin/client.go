package admin

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Client calls the admin API of any node, signing with SigV4. Safe for
// concurrent use.
type Client struct {
	// Endpoint is the node's S3 URL, e.g. http://127.0.0.1:9000.
	Endpoint string
	// AccessKey, SecretKey and SessionToken sign the requests.
	AccessKey, SecretKey, SessionToken string
	// Region is the signing region (default us-east-1).
	Region string
	// HTTP is the HTTP client (default: 30 s timeout).
	HTTP *http.Client
}

// NewClient returns a Client; insecure skips TLS verification.
func NewClient(endpoint, accessKey, secretKey string, tlsConfig *tls.Config) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConfig
	return &Client{
		Endpoint: strings.TrimRight(endpoint, "/"), AccessKey: accessKey, SecretKey: secretKey,
		Region: "us-east-1", HTTP: &http.Client{Timeout: 30 * time.Second, Transport: tr},
	}
}

// stream sends a signed request with no body and calls line for each line
// of a successful answer.
func (c *Client) stream(ctx context.Context, method, path string, line func([]byte) error) error {
	// A stream lasts as long as the operation: only ctx bounds it.
	c2 := *c
	if c2.HTTP != nil {
		h := *c2.HTTP
		h.Timeout = 0
		c2.HTTP = &h
	}
	resp, err := c2.send(ctx, method, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if err := line(sc.Bytes()); err != nil {
			return err
		}
	}
	return sc.Err()
}

// Do sends method path (relative to Prefix, with an optional query) with
// body (nil, []byte or a JSON-encodable value) and decodes the JSON answer
// into out (when not nil). API errors come back as *Error.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		payload = b
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			return err
		}
	}
	resp, err := c.send(ctx, method, path, payload)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// send signs and sends one request.
func (c *Client) send(ctx context.Context, method, path string, payload []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.Endpoint+Prefix+path, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(payload)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	creds := aws.Credentials{AccessKeyID: c.AccessKey, SecretAccessKey: c.SecretKey, SessionToken: c.SessionToken}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "s3", region, time.Now()); err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	return hc.Do(req)
}

// decodeError reads an API error answer.
func decodeError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e struct {
		Error *Error `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil && e.Error != nil {
		e.Error.Status = resp.StatusCode
		return e.Error
	}
	return &Error{Status: resp.StatusCode, Code: http.StatusText(resp.StatusCode), Message: strings.TrimSpace(string(data))}
}

// CreateUser adds a user.
func (c *Client) CreateUser(ctx context.Context, req CreateUserRequest) (UserInfo, error) {
	var u UserInfo
	return u, c.Do(ctx, "POST", "users", req, &u)
}

// UpdateUser changes a user's password or POSIX ids.
func (c *Client) UpdateUser(ctx context.Context, name string, req UpdateUserRequest) (UserInfo, error) {
	var u UserInfo
	return u, c.Do(ctx, "PATCH", "users/"+url.PathEscape(name), req, &u)
}

// DeleteUser removes a user.
func (c *Client) DeleteUser(ctx context.Context, name string) error {
	return c.Do(ctx, "DELETE", "users/"+url.PathEscape(name), nil, nil)
}

// ListUsers lists users.
func (c *Client) ListUsers(ctx context.Context) ([]UserInfo, error) {
	var us []UserInfo
	return us, c.Do(ctx, "GET", "users", nil, &us)
}

// GetUser shows one user.
func (c *Client) GetUser(ctx context.Context, name string) (UserInfo, error) {
	var u UserInfo
	return u, c.Do(ctx, "GET", "users/"+url.PathEscape(name), nil, &u)
}

// ListPolicies lists pre-defined and custom policies.
func (c *Client) ListPolicies(ctx context.Context) ([]PolicyInfo, error) {
	var ps []PolicyInfo
	return ps, c.Do(ctx, "GET", "policies", nil, &ps)
}

// GetPolicy shows one policy.
func (c *Client) GetPolicy(ctx context.Context, name string) (PolicyInfo, error) {
	var p PolicyInfo
	return p, c.Do(ctx, "GET", "policies/"+url.PathEscape(name), nil, &p)
}

// PutPolicy adds a custom policy from its JSON document.
func (c *Client) PutPolicy(ctx context.Context, name string, doc []byte) error {
	return c.Do(ctx, "PUT", "policies/"+url.PathEscape(name), doc, nil)
}

// DeletePolicy removes a custom policy.
func (c *Client) DeletePolicy(ctx context.Context, name string) error {
	return c.Do(ctx, "DELETE", "policies/"+url.PathEscape(name), nil, nil)
}

// AttachPolicy attaches a policy to a user.
func (c *Client) AttachPolicy(ctx context.Context, policy, user string) error {
	return c.Do(ctx, "PUT", "users/"+url.PathEscape(user)+"/policy", AttachRequest{Policy: policy}, nil)
}

// DetachPolicy detaches the user's policy.
func (c *Client) DetachPolicy(ctx context.Context, user string) error {
	return c.Do(ctx, "DELETE", "users/"+url.PathEscape(user)+"/policy", nil, nil)
}

// StatObject shows an object's size, owner and POSIX ids.
func (c *Client) StatObject(ctx context.Context, bucket, key string) (ObjectStat, error) {
	var s ObjectStat
	q := url.Values{"bucket": {bucket}, "key": {key}}
	return s, c.Do(ctx, "GET", "objects/stat?"+q.Encode(), nil, &s)
}

// String formats an API error for people.
func (e *Error) String() string { return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message) }

// ListSessions lists live STS sessions, of one user when user != "".
func (c *Client) ListSessions(ctx context.Context, user string) ([]SessionInfo, error) {
	var out []SessionInfo
	p := "sts/sessions"
	if user != "" {
		p += "?" + url.Values{"user": {user}}.Encode()
	}
	return out, c.Do(ctx, "GET", p, nil, &out)
}

// RevokeSession revokes one session.
func (c *Client) RevokeSession(ctx context.Context, accessKey string) error {
	return c.Do(ctx, "DELETE", "sts/sessions/"+url.PathEscape(accessKey), nil, nil)
}

// RevokeUserSessions revokes every session of user.
func (c *Client) RevokeUserSessions(ctx context.Context, user string) (int, error) {
	var r RevokeResult
	err := c.Do(ctx, "DELETE", "sts/sessions?"+url.Values{"user": {user}}.Encode(), nil, &r)
	return r.Revoked, err
}

// AddServiceAccount creates a service account of the signing user; policy
// may be nil.
func (c *Client) AddServiceAccount(ctx context.Context, policy []byte) (NewServiceAccount, error) {
	var out NewServiceAccount
	req := NewServiceAccountRequest{}
	if policy != nil {
		req.Policy = policy
	}
	return out, c.Do(ctx, "POST", "service-accounts", req, &out)
}

// ListServiceAccounts lists the signing user's service accounts.
func (c *Client) ListServiceAccounts(ctx context.Context) ([]ServiceAccountInfo, error) {
	var out []ServiceAccountInfo
	return out, c.Do(ctx, "GET", "service-accounts", nil, &out)
}

// ShowServiceAccount shows one of the signing user's service accounts.
func (c *Client) ShowServiceAccount(ctx context.Context, accessKey string) (ServiceAccountInfo, error) {
	var out ServiceAccountInfo
	return out, c.Do(ctx, "GET", "service-accounts/"+url.PathEscape(accessKey), nil, &out)
}

// RemoveServiceAccount removes one of the signing user's service accounts.
func (c *Client) RemoveServiceAccount(ctx context.Context, accessKey string) error {
	return c.Do(ctx, "DELETE", "service-accounts/"+url.PathEscape(accessKey), nil, nil)
}

// SetAuditWebhook enables the cluster's audit webhook (or changes it);
// token may be empty.
func (c *Client) SetAuditWebhook(ctx context.Context, endpoint, token string) (AuditWebhookInfo, error) {
	var out AuditWebhookInfo
	return out, c.Do(ctx, "PUT", "audit-webhook", AuditWebhookRequest{Endpoint: endpoint, AuthToken: token}, &out)
}

// DisableAuditWebhook disables the cluster's audit webhook.
func (c *Client) DisableAuditWebhook(ctx context.Context) error {
	return c.Do(ctx, "DELETE", "audit-webhook", nil, nil)
}

// GetAuditWebhook shows the cluster's audit webhook (never the token).
func (c *Client) GetAuditWebhook(ctx context.Context) (AuditWebhookInfo, error) {
	var out AuditWebhookInfo
	return out, c.Do(ctx, "GET", "audit-webhook", nil, &out)
}

// ClusterStatus shows every node of the cluster.
func (c *Client) ClusterStatus(ctx context.Context) (ClusterStatus, error) {
	var out ClusterStatus
	return out, c.Do(ctx, "GET", "cluster/status", nil, &out)
}

// AddNode adds a voter to the cluster.
func (c *Client) AddNode(ctx context.Context, id, addr string) (ClusterStatus, error) {
	var out ClusterStatus
	return out, c.Do(ctx, "POST", "cluster/nodes", AddNodeRequest{ID: id, Addr: addr}, &out)
}

// RemoveNode removes a node from the cluster.
func (c *Client) RemoveNode(ctx context.Context, id string) error {
	return c.Do(ctx, "DELETE", "cluster/nodes/"+url.PathEscape(id), nil, nil)
}

// Heal runs a healing pass (of one bucket when bucket != "") and calls
// progress for every progress line; it returns the final line.
func (c *Client) Heal(ctx context.Context, bucket string, progress func(HealProgress)) (HealProgress, error) {
	p := "cluster/heal"
	if bucket != "" {
		p += "?" + url.Values{"bucket": {bucket}}.Encode()
	}
	var last HealProgress
	err := c.stream(ctx, "POST", p, func(line []byte) error {
		var hp HealProgress
		if err := json.Unmarshal(line, &hp); err != nil {
			return err
		}
		last = hp
		if progress != nil {
			progress(hp)
		}
		return nil
	})
	if err == nil && !last.Finished {
		err = fmt.Errorf("heal: the answer ended before the pass finished")
	}
	if err == nil && last.Error != "" {
		err = fmt.Errorf("heal: %s", last.Error)
	}
	return last, err
}
