package sts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/raftfsm"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// Kind says what kind of credentials signed a request.
type Kind uint8

// Credential kinds.
const (
	KindRoot Kind = iota + 1
	KindUser
	KindSession
	KindServiceAccount
)

// Caller is the authenticated principal of an STS request.
type Caller struct {
	// AccessKey signed the request.
	AccessKey string
	// User is the user name (the parent for sessions and service accounts).
	User string
	Kind Kind
}

// Authenticator verifies an STS request's SigV4 signature (service "sts")
// and resolves the caller. Errors are *s3err.Error values.
type Authenticator interface {
	AuthenticateSTS(ctx *fasthttp.RequestCtx) (Caller, error)
}

// Sessions stores sessions. *raftfsm.Store satisfies it.
type Sessions interface {
	CreateSession(ctx context.Context, se raftfsm.Session) error
}

// Sealer seals secrets. *raftfsm.Sealer satisfies it.
type Sealer interface {
	Seal(accessKey, secret string) ([]byte, error)
}

// Config configures the STS service.
type Config struct {
	// MinDuration and MaxDuration bound DurationSeconds (AWS: 15 minutes
	// to 12 hours for roles; Tessera: 15 minutes to 1 week).
	MinDuration, MaxDuration time.Duration
	// DefaultDuration applies when DurationSeconds is absent (1 hour).
	DefaultDuration time.Duration
	// MaxPolicyBytes caps the session policy (2048 bytes).
	MaxPolicyBytes int
	// AccountID appears in the assumed-role ARN (12 digits).
	AccountID string
	// Logger receives errors (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now); tests move it.
	Now func() time.Time
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		MinDuration:     15 * time.Minute,
		MaxDuration:     7 * 24 * time.Hour,
		DefaultDuration: time.Hour,
		MaxPolicyBytes:  2048,
		AccountID:       "000000000000",
	}
}

// Validate names the bad field and its range.
func (c *Config) Validate() error {
	switch {
	case c.MinDuration < time.Second:
		return fmt.Errorf("sts: Config.MinDuration %v below 1s", c.MinDuration)
	case c.MaxDuration < c.MinDuration:
		return fmt.Errorf("sts: Config.MaxDuration %v below MinDuration %v", c.MaxDuration, c.MinDuration)
	case c.DefaultDuration < c.MinDuration || c.DefaultDuration > c.MaxDuration:
		return fmt.Errorf("sts: Config.DefaultDuration %v outside [%v, %v]", c.DefaultDuration, c.MinDuration, c.MaxDuration)
	case c.MaxPolicyBytes < 1:
		return fmt.Errorf("sts: Config.MaxPolicyBytes %d below 1", c.MaxPolicyBytes)
	case len(c.AccountID) != 12:
		return fmt.Errorf("sts: Config.AccountID %q must be 12 digits", c.AccountID)
	}
	return nil
}

// Deps are the Service's collaborators.
type Deps struct {
	Auth     Authenticator
	Sessions Sessions
	Sealer   Sealer
	// ValidatePolicy parses a session policy and returns an error naming
	// what is wrong.
	ValidatePolicy func(doc []byte) error
}

// Service serves AssumeRole. Safe for concurrent use.
type Service struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
}

// New returns a Service.
func New(cfg Config, deps Deps) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Auth == nil || deps.Sessions == nil || deps.Sealer == nil || deps.ValidatePolicy == nil {
		return nil, errors.New("sts: every field of Deps must be set")
	}
	return &Service{cfg: cfg, deps: deps, log: cfg.Logger}, nil
}

// Error is an STS error as the query API returns it.
type Error struct {
	Status  int
	Type    string // Sender or Receiver
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func sender(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Type: "Sender", Code: code, Message: fmt.Sprintf(format, args...)}
}

// fromS3 maps authentication failures to STS's codes.
func fromS3(e *s3err.Error) *Error {
	switch e.Code {
	case "InvalidAccessKeyId":
		return sender(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	case "SignatureDoesNotMatch":
		return sender(403, "SignatureDoesNotMatch", "%s", e.Message)
	case "ExpiredToken":
		return sender(400, "ExpiredToken", "The security token included in the request is expired")
	case "InvalidToken":
		return sender(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	case "RequestTimeTooSkewed":
		return sender(400, "RequestExpired", "%s", e.Message)
	case "AccessDenied":
		return sender(403, "AccessDenied", "%s", e.Message)
	case "ServiceUnavailable", "SlowDown":
		return &Error{Status: 503, Type: "Receiver", Code: "ServiceUnavailable", Message: e.Message}
	}
	if e.HTTPStatus >= 500 {
		return &Error{Status: e.HTTPStatus, Type: "Receiver", Code: "InternalFailure", Message: e.Message}
	}
	return sender(e.HTTPStatus, "IncompleteSignature", "%s: %s", e.Code, e.Message)
}

const stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"

// AssumeRoleResponse is the AWS STS response shape.
type AssumeRoleResponse struct {
	XMLName xml.Name `xml:"AssumeRoleResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		AssumedRoleUser struct {
			Arn          string `xml:"Arn"`
			AssumeRoleID string `xml:"AssumeRoleId"`
		} `xml:"AssumedRoleUser"`
		Credentials Credentials `xml:"Credentials"`
	} `xml:"AssumeRoleResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

// Credentials are the temporary credentials of a session.
type Credentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ServeHTTP serves one STS query API request (POST form or GET query).
func (s *Service) ServeHTTP(ctx *fasthttp.RequestCtx) {
	id := newRequestID()
	res, err := s.serve(ctx, id)
	ctx.Response.Header.Set("x-amzn-RequestId", id)
	ctx.SetContentType("text/xml")
	if err != nil {
		var se *Error
		var s3e *s3err.Error
		switch {
		case errors.As(err, &se):
		case errors.As(err, &s3e):
			se = fromS3(s3e)
		default:
			s.log.Error("sts request failed", "err", err, "request_id", id)
			se = &Error{Status: 500, Type: "Receiver", Code: "InternalFailure", Message: "internal failure"}
		}
		var er errorResponse
		er.Xmlns = stsNS
		er.Error.Type, er.Error.Code, er.Error.Message = se.Type, se.Code, se.Message
		er.RequestID = id
		b, _ := xml.Marshal(er)
		ctx.SetStatusCode(se.Status)
		ctx.SetBody(append([]byte(xml.Header), b...))
		return
	}
	b, _ := xml.Marshal(res)
	ctx.SetStatusCode(200)
	ctx.SetBody(append([]byte(xml.Header), b...))
}

// param reads a parameter from the form body (POST) or the query (GET).
func param(ctx *fasthttp.RequestCtx, name string) (string, bool) {
	var v []byte
	if ctx.IsPost() {
		v = ctx.PostArgs().Peek(name)
		if v == nil {
			v = ctx.QueryArgs().Peek(name)
		}
	} else {
		v = ctx.QueryArgs().Peek(name)
	}
	return string(v), v != nil
}

func (s *Service) serve(ctx *fasthttp.RequestCtx, requestID string) (*AssumeRoleResponse, error) {
	action, ok := param(ctx, "Action")
	if !ok || action == "" {
		return nil, sender(400, "MissingAction", "Missing Action")
	}
	if action != "AssumeRole" {
		return nil, sender(400, "InvalidAction", "Could not find operation %s for version 2011-06-15", action)
	}
	if v, ok := param(ctx, "Version"); ok && v != "2011-06-15" {
		return nil, sender(400, "InvalidAction", "Could not find operation AssumeRole for version %s", v)
	}
	caller, err := s.deps.Auth.AuthenticateSTS(ctx)
	if err != nil {
		return nil, err
	}
	switch caller.Kind {
	case KindUser:
	case KindRoot:
		return nil, sender(403, "AccessDenied", "the root user cannot assume roles: create an S3 user and use its keys")
	case KindSession:
		return nil, sender(403, "AccessDenied", "temporary credentials cannot assume roles: only an S3 user's own keys can")
	case KindServiceAccount:
		return nil, sender(403, "AccessDenied", "service accounts cannot assume roles: only an S3 user's own keys can")
	default:
		return nil, sender(403, "AccessDenied", "only S3 users can assume roles")
	}

	dur := s.cfg.DefaultDuration
	if v, ok := param(ctx, "DurationSeconds"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		lo, hi := int64(s.cfg.MinDuration/time.Second), int64(s.cfg.MaxDuration/time.Second)
		if err != nil || n < lo || n > hi {
			return nil, sender(400, "ValidationError", "1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between %d and %d", v, lo, hi)
		}
		dur = time.Duration(n) * time.Second
	}
	sessionName, _ := param(ctx, "RoleSessionName")
	if len(sessionName) > 64 {
		return nil, sender(400, "ValidationError", "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64")
	}
	policy, _ := param(ctx, "Policy")
	if policy != "" {
		if len(policy) > s.cfg.MaxPolicyBytes {
			return nil, sender(400, "PackedPolicyTooLarge", "session policy is %d bytes, the limit is %d", len(policy), s.cfg.MaxPolicyBytes)
		}
		if err := s.deps.ValidatePolicy([]byte(policy)); err != nil {
			return nil, sender(400, "MalformedPolicyDocument", "session policy: %v", err)
		}
	}

	ak, err := NewSessionKey()
	if err != nil {
		return nil, err
	}
	secret, err := NewSecret()
	if err != nil {
		return nil, err
	}
	token, err := NewToken()
	if err != nil {
		return nil, err
	}
	sealed, err := s.deps.Sealer.Seal(ak, secret)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	exp := now.Add(dur).Truncate(time.Second)
	se := raftfsm.Session{
		AccessKey: ak, Secret: sealed, TokenHash: HashToken(token), Parent: caller.User,
		Policy: policy, Created: now, Expiration: exp,
	}
	if err := s.deps.Sessions.CreateSession(ctx, se); err != nil {
		switch {
		case errors.Is(err, raftfsm.ErrTooManySessions):
			return nil, sender(400, "LimitExceeded", "the cluster's STS session limit is reached")
		case errors.Is(err, raftfsm.ErrUserNotFound):
			return nil, sender(403, "AccessDenied", "the calling user no longer exists")
		case errors.Is(err, raftfsm.ErrNotLeader):
			return nil, &Error{Status: 503, Type: "Receiver", Code: "ServiceUnavailable", Message: "no Raft leader reachable; retry"}
		}
		return nil, err
	}
	if sessionName == "" {
		sessionName = "session"
	}
	var r AssumeRoleResponse
	r.Xmlns = stsNS
	r.Result.AssumedRoleUser.Arn = fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", s.cfg.AccountID, caller.User, sessionName)
	r.Result.AssumedRoleUser.AssumeRoleID = ak + ":" + sessionName
	r.Result.Credentials = Credentials{AccessKeyID: ak, SecretAccessKey: secret, SessionToken: token, Expiration: exp.Format("2006-01-02T15:04:05Z")}
	r.RequestID = requestID
	return &r, nil
}
