package iam

import (
	"net/netip"
	"strings"
	"time"
)

// Decision is the outcome of evaluating policies for one request.
type Decision uint8

const (
	// NotApplicable means no statement applied: an implicit deny, unless
	// some other policy allows.
	NotApplicable Decision = iota
	// Allow means an Allow statement applied and no Deny statement did.
	Allow
	// Deny means a Deny statement applied: an explicit deny, which nothing
	// overrides.
	Deny
)

// String returns "NotApplicable", "Allow" or "Deny".
func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "NotApplicable"
}

// Request is what evaluation looks at: the action, the resource, the
// caller, and the request context the conditions and policy variables
// read. The caller owns it; evaluation only reads it, and does not keep it.
//
// Condition keys that have a field here are read only from that field;
// every other key is read from Conditions.
type Request struct {
	// Action is the action to authorize, e.g. "s3:GetObject"; matched
	// case-insensitively.
	Action string
	// Bucket and Key name the resource: "arn:aws:s3:::Bucket" when Key is
	// "", "arn:aws:s3:::Bucket/Key" otherwise, and "arn:aws:s3:::*" when
	// Bucket is "" (s3:ListAllMyBuckets). See ResourceARN.
	Bucket, Key string
	// Principal is the caller as bucket policies' Principal/NotPrincipal
	// see it: a user name (the parent user for service accounts and STS
	// sessions) or an "arn:aws:iam::ACCOUNT:user/NAME" ARN; "" for
	// anonymous requests, which only Principal "*" matches. Identity
	// policies ignore it.
	Principal string

	// Username is aws:username (and ${aws:username}); "" means absent.
	Username string
	// UserID is aws:userid; "" means absent.
	UserID string
	// PrincipalType is aws:PrincipalType ("User", "AssumedRole",
	// "Anonymous", ...); "" means absent.
	PrincipalType string
	// SourceIP is aws:SourceIp; the zero Addr means absent.
	SourceIP netip.Addr
	// SecureTransport is aws:SecureTransport (always present).
	SecureTransport bool
	// Now is aws:CurrentTime and aws:EpochTime; the zero Time means
	// absent. This package has no clock: time comes only from here.
	Now time.Time

	// Conditions holds every other condition key, keyed as ConditionKey
	// returns (lower-cased names; tag keys keep their case), e.g.
	// "s3:prefix", "s3:x-amz-acl", "s3:existingobjecttag/Project". A key
	// with no values is absent.
	Conditions map[string][]string
}

// ResourceARN returns the ARN a request on bucket/key is authorized
// against: "arn:aws:s3:::bucket/key" for objects, "arn:aws:s3:::bucket"
// for buckets (key ""), and "arn:aws:s3:::*" when bucket is "" (service
// level, s3:ListAllMyBuckets).
func ResourceARN(bucket, key string) string {
	switch {
	case bucket == "":
		return arnPrefix + "*"
	case key == "":
		return arnPrefix + bucket
	}
	return arnPrefix + bucket + "/" + key
}

const arnPrefix = "arn:aws:s3:::"

// prepared is a Request with the per-request lookups done once, shared by
// every policy and statement of one decision. It lives on the stack.
type prepared struct {
	r         *Request
	act       int    // actionTable index, -1 when unknown
	principal string // Request.Principal reduced to a user name
	bucket    string // the resource after "arn:aws:s3:::": bucket ...
	key       string // ... and "/" + key when object is set
	object    bool
}

func (pr *prepared) init(r *Request) {
	pr.r = r
	pr.act = lookupActionIndex(r.Action)
	pr.principal = requestPrincipal(r.Principal)
	switch {
	case r.Bucket == "":
		pr.bucket = "*"
	case r.Key == "":
		pr.bucket = r.Bucket
	default:
		pr.bucket, pr.key, pr.object = r.Bucket, r.Key, true
	}
}

// lookup returns the request's values for a condition key.
func (pr *prepared) lookup(k *condKey) ctxVals {
	r := pr.r
	v := ctxVals{src: k.def.src}
	switch k.def.src {
	case srcMap:
		v.many = r.Conditions[k.mapKey]
		v.n = len(v.many)
	case srcUsername:
		v.one = r.Username
	case srcUserID:
		v.one = r.UserID
	case srcPrincipalType:
		v.one = r.PrincipalType
	case srcSecureTransport:
		v.one, v.n = "false", 1
		if r.SecureTransport {
			v.one = "true"
		}
	case srcSourceIP:
		if r.SourceIP.IsValid() {
			v.ip, v.n = r.SourceIP.Unmap().WithZone(""), 1
		}
	case srcCurrentTime, srcEpochTime:
		if !r.Now.IsZero() {
			v.t, v.n = r.Now, 1
		}
	}
	if v.one != "" {
		v.n = 1
	}
	return v
}

// varValue resolves a policy variable: the key's single value, else its
// default, else no value.
func (pr *prepared) varValue(vr *varRef) (string, bool) {
	v := pr.lookup(&vr.key)
	if v.n == 1 {
		return v.str(0), true
	}
	if vr.hasDef {
		return vr.def, true
	}
	return "", false
}

// matchResource reports whether the request's resource matches p (p is
// compiled from the text after "arn:aws:s3:::", or is "*").
func (pr *prepared) matchResource(p *pattern) bool {
	switch p.kind {
	case patAll:
		return true
	case patLit:
		return pr.resourceEquals(p.lit)
	case patPrefix:
		return pr.resourceHasPrefix(p.lit)
	}
	return pr.matchResourceSlow(p)
}

func (pr *prepared) resourceEquals(lit string) bool {
	b := pr.bucket
	if !pr.object {
		return lit == b
	}
	return len(lit) == len(b)+1+len(pr.key) && lit[:len(b)] == b && lit[len(b)] == '/' && lit[len(b)+1:] == pr.key
}

func (pr *prepared) resourceHasPrefix(lit string) bool {
	b := pr.bucket
	if len(lit) <= len(b) {
		return b[:len(lit)] == lit
	}
	if !pr.object || lit[:len(b)] != b || lit[len(b)] != '/' {
		return false
	}
	return strings.HasPrefix(pr.key, lit[len(b)+1:])
}

// maxResourceLen covers a 63-byte bucket name, "/" and a 1024-byte key;
// longer resources still match, through a heap buffer.
const maxResourceLen = 63 + 1 + 1024

// matchResourceSlow assembles "bucket/key" in a stack buffer and runs the
// general matcher. It is a separate function so that only requests that
// need the buffer pay for zeroing it.
func (pr *prepared) matchResourceSlow(p *pattern) bool {
	var buf [maxResourceLen]byte
	s := append(buf[:0], pr.bucket...)
	if pr.object {
		s = append(s, '/')
		s = append(s, pr.key...)
	}
	return match(p, s, pr)
}

// Evaluate evaluates p alone for r: Deny if a Deny statement applies,
// else Allow if an Allow statement applies, else NotApplicable. A nil
// policy or request gives NotApplicable. Evaluate does not allocate for
// typical requests and is safe for concurrent use.
func (p *Policy) Evaluate(r *Request) Decision {
	if p == nil || r == nil {
		return NotApplicable
	}
	var pr prepared
	pr.init(r)
	return p.eval(&pr)
}

func (p *Policy) eval(pr *prepared) Decision {
	if pr.r.Action == "" {
		return NotApplicable
	}
	// Deny statements come first (Parse orders them), so the first
	// statement that applies decides.
	for i := range p.stmts {
		s := &p.stmts[i]
		if s.applies(pr, p.kind) {
			if s.deny {
				return Deny
			}
			return Allow
		}
	}
	return NotApplicable
}

// Decide combines policies that each may grant access, as AWS combines
// the policies attached to one principal (or an identity's policies and a
// bucket's): Deny if any policy denies, else Allow if any allows, else
// NotApplicable (implicit deny). nil policies are skipped.
func Decide(r *Request, policies ...*Policy) Decision {
	if r == nil {
		return NotApplicable
	}
	var pr prepared
	pr.init(r)
	return decide(&pr, policies)
}

func decide(pr *prepared, policies []*Policy) Decision {
	d := NotApplicable
	for _, p := range policies {
		if p == nil {
			continue
		}
		switch p.eval(pr) {
		case Deny:
			return Deny
		case Allow:
			d = Allow
		}
	}
	return d
}

// DecideIntersect evaluates a narrowing policy set (child: an STS
// session policy or a service account's own policy) against the policies
// of the identity it narrows (parent: the parent user's policies). The
// result is Deny if either side denies, Allow only if both sides allow,
// else NotApplicable: the child can only take capabilities away.
//
// An empty child set allows nothing. A session or service account
// without a policy of its own inherits its parent's: call Decide with the
// parent's policies instead.
func DecideIntersect(r *Request, parent, child []*Policy) Decision {
	if r == nil {
		return NotApplicable
	}
	var pr prepared
	pr.init(r)
	pd := decide(&pr, parent)
	if pd == Deny {
		return Deny
	}
	cd := decide(&pr, child)
	return Intersect(pd, cd)
}

// Union combines two decisions about one request from policies that each
// may grant access (identity policies and a bucket policy): Deny wins,
// then Allow.
func Union(a, b Decision) Decision {
	if a == Deny || b == Deny {
		return Deny
	}
	if a == Allow || b == Allow {
		return Allow
	}
	return NotApplicable
}

// Intersect combines two decisions where both sides must grant access (a
// parent's policies and a session policy that narrows them): Deny wins,
// Allow needs both.
func Intersect(a, b Decision) Decision {
	if a == Deny || b == Deny {
		return Deny
	}
	if a == Allow && b == Allow {
		return Allow
	}
	return NotApplicable
}

// applies reports whether every part of the statement matches.
func (s *statement) applies(pr *prepared, kind Kind) bool {
	// Action.
	var in bool
	if pr.act >= 0 {
		in = s.actions.has(pr.act)
	} else {
		in = s.matchUnknownAction(pr.r.Action)
	}
	if in == s.notAction {
		return false
	}
	// Principal.
	if kind == BucketPolicy && !s.principals.matches(pr.principal) {
		return false
	}
	// Resource.
	in = false
	for i := range s.resources {
		if pr.matchResource(s.resources[i]) {
			in = true
			break
		}
	}
	if in == s.notResource {
		return false
	}
	// Conditions: all must hold.
	for i := range s.conds {
		if !s.conds[i].eval(pr) {
			return false
		}
	}
	return true
}

// matchUnknownAction matches an action missing from the table (so absent
// from the bitsets) against the statement's wildcard action patterns.
func (s *statement) matchUnknownAction(action string) bool {
	if len(s.actionPats) == 0 {
		return false
	}
	var buf [maxActionLen]byte
	var lower []byte
	if len(action) <= maxActionLen {
		lower = lowerASCII(buf[:0], action)
	} else {
		lower = []byte(strings.ToLower(action))
	}
	for _, p := range s.actionPats {
		if match(p, lower, nil) {
			return true
		}
	}
	return false
}
