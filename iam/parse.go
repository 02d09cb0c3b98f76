package iam

import (
	"bytes"
	"sort"
	"strings"
)

// Kind says which grammar a policy document follows.
type Kind uint8

const (
	// IdentityPolicy is a policy attached to a user, an STS session or a
	// service account. It may not have Principal/NotPrincipal.
	IdentityPolicy Kind = iota + 1
	// BucketPolicy is a bucket's resource policy. Each statement needs a
	// Principal or NotPrincipal, and s3:* is not allowed as an Action.
	BucketPolicy
)

// String returns "identity" or "bucket".
func (k Kind) String() string {
	switch k {
	case IdentityPolicy:
		return "identity"
	case BucketPolicy:
		return "bucket"
	}
	return "unknown"
}

const (
	// Version2012 is the current policy language version; policy
	// variables work only in it.
	Version2012 = "2012-10-17"
	// Version2008 is the old policy language version, also assumed when a
	// document has no Version: "${...}" is literal text in it.
	Version2008 = "2008-10-17"
)

// Policy is a parsed, compiled policy. It is immutable and safe for
// concurrent use; callers should parse once and cache it (for example per
// bucket-policy text), since Evaluate is far cheaper than Parse.
type Policy struct {
	kind    Kind
	version string // as written; "" when absent
	id      string
	src     []byte
	// stmts holds Deny statements first, then Allow statements, each group
	// in document order.
	stmts []statement
}

// Kind returns the kind the policy was parsed as.
func (p *Policy) Kind() Kind { return p.kind }

// Version returns the document's Version element, "" when absent.
func (p *Policy) Version() string { return p.version }

// ID returns the document's Id element, "" when absent.
func (p *Policy) ID() string { return p.id }

// JSON returns a copy of the document the policy was parsed from.
func (p *Policy) JSON() []byte { return bytes.Clone(p.src) }

// statement is one compiled statement.
type statement struct {
	num  int // 1-based position in the document
	sid  string
	deny bool

	notAction  bool
	actions    actionSet
	actionPats []*pattern // lower-cased wildcard actions, for actions not in the table

	principals principals

	notResource bool
	resources   []*pattern // compiled from the text after "arn:aws:s3:::"; "*" is patAll

	conds []condition
}

// principals is a statement's Principal or NotPrincipal.
type principals struct {
	not   bool
	any   bool     // "*"
	names []string // user names
}

func (ps *principals) matches(name string) bool {
	in := ps.any
	if !in && name != "" {
		for _, n := range ps.names {
			if n == name {
				in = true
				break
			}
		}
	}
	return in != ps.not
}

// Parse parses and compiles a policy document with DefaultConfig's
// limits. Every error is a *PolicyError (errors.Is(err,
// ErrMalformedPolicy)) whose text says what is wrong and where.
func Parse(doc []byte, kind Kind) (*Policy, error) {
	return DefaultConfig().Parse(doc, kind)
}

// Parse parses and compiles a policy document with c's limits. It
// returns an ErrInvalidConfig error if c is not valid, else as the
// package-level Parse.
func (c Config) Parse(doc []byte, kind Kind) (*Policy, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if kind != IdentityPolicy && kind != BucketPolicy {
		return nil, perr(0, "", "unknown policy kind %d", kind)
	}
	if limit := c.limit(kind); len(doc) > limit {
		return nil, perr(0, "", "policy is %d bytes, the limit is %d", len(doc), limit)
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, perr(0, "", "policy is empty")
	}
	root, err := decodeJSON(doc)
	if err != nil {
		return nil, err
	}
	if root.kind != jObject {
		return nil, perr(0, "", "policy must be a JSON object, not %s", root.kind)
	}
	if root.dup != "" {
		return nil, perr(0, root.dup, "duplicate element %q", root.dup)
	}
	p := &Policy{kind: kind, src: bytes.Clone(doc)}
	var stmtVal *jval
	for i := range root.obj {
		f := &root.obj[i]
		switch f.name {
		case "Version":
			if f.val.kind != jString {
				return nil, perr(0, "Version", "Version must be a string, not %s", f.val.kind)
			}
			if f.val.str != Version2012 && f.val.str != Version2008 {
				return nil, perr(0, "Version", "Version must be %q or %q, got %q", Version2012, Version2008, f.val.str)
			}
			p.version = f.val.str
		case "Id":
			if f.val.kind != jString {
				return nil, perr(0, "Id", "Id must be a string, not %s", f.val.kind)
			}
			p.id = f.val.str
		case "Statement":
			stmtVal = &f.val
		default:
			return nil, unknownElement(0, f.name, "Version", "Id", "Statement")
		}
	}
	if stmtVal == nil {
		return nil, perr(0, "Statement", "missing Statement")
	}
	var raw []jval
	switch stmtVal.kind {
	case jObject:
		raw = []jval{*stmtVal}
	case jArray:
		raw = stmtVal.arr
		if len(raw) == 0 {
			return nil, perr(0, "Statement", "Statement is empty")
		}
	default:
		return nil, perr(0, "Statement", "Statement must be an object or an array of objects, not %s", stmtVal.kind)
	}
	ps := parser{kind: kind, vars: p.version == Version2012}
	sids := make(map[string]int)
	stmts := make([]statement, 0, len(raw))
	for i := range raw {
		st, err := ps.statement(i+1, &raw[i])
		if err != nil {
			return nil, err
		}
		if st.sid != "" {
			if prev, dup := sids[st.sid]; dup {
				return nil, perr(i+1, "Sid", "duplicate Sid %q (also statement %d)", st.sid, prev)
			}
			sids[st.sid] = i + 1
		}
		stmts = append(stmts, st)
	}
	sort.SliceStable(stmts, func(a, b int) bool { return stmts[a].deny && !stmts[b].deny })
	p.stmts = stmts
	return p, nil
}

// unknownElement reports an element name that is not one of known,
// pointing out a case mismatch (AWS element names are case-sensitive).
func unknownElement(stmt int, name string, known ...string) error {
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return perr(stmt, name, "unknown element %q (element names are case-sensitive: did you mean %q?)", name, k)
		}
	}
	return perr(stmt, name, "unknown element %q", name)
}

type parser struct {
	kind Kind
	vars bool // policy variables are recognized
}

var statementElements = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

func (ps *parser) statement(n int, v *jval) (statement, error) {
	st := statement{num: n}
	if v.kind != jObject {
		return st, perr(n, "", "statement must be a JSON object, not %s", v.kind)
	}
	if v.dup != "" {
		return st, perr(n, v.dup, "duplicate element %q", v.dup)
	}
	el := make(map[string]*jval, len(v.obj))
	for i := range v.obj {
		f := &v.obj[i]
		known := false
		for _, k := range statementElements {
			if f.name == k {
				known = true
				break
			}
		}
		if !known {
			return st, unknownElement(n, f.name, statementElements...)
		}
		el[f.name] = &f.val
	}

	if sid, ok := el["Sid"]; ok {
		if sid.kind != jString {
			return st, perr(n, "Sid", "Sid must be a string, not %s", sid.kind)
		}
		st.sid = sid.str
	}

	eff, ok := el["Effect"]
	switch {
	case !ok:
		return st, perr(n, "Effect", "missing Effect")
	case eff.kind != jString:
		return st, perr(n, "Effect", "Effect must be Allow or Deny, not %s", eff.kind)
	case eff.str == "Allow":
	case eff.str == "Deny":
		st.deny = true
	default:
		return st, perr(n, "Effect", "Effect must be Allow or Deny, got %q", eff.str)
	}

	if err := ps.principal(n, &st, el); err != nil {
		return st, err
	}

	actField, actVal, err := oneOf(n, el, "Action", "NotAction")
	if err != nil {
		return st, err
	}
	st.notAction = actField == "NotAction"
	if err := ps.actions(n, &st, actField, actVal); err != nil {
		return st, err
	}

	resField, resVal, err := oneOf(n, el, "Resource", "NotResource")
	if err != nil {
		return st, err
	}
	st.notResource = resField == "NotResource"
	if err := ps.resources(n, &st, resField, resVal); err != nil {
		return st, err
	}

	if cv, ok := el["Condition"]; ok {
		if err := ps.conditions(n, &st, cv); err != nil {
			return st, err
		}
	}
	return st, nil
}

// oneOf returns whichever of a and b is present; exactly one must be.
func oneOf(n int, el map[string]*jval, a, b string) (string, *jval, error) {
	av, aok := el[a]
	bv, bok := el[b]
	switch {
	case aok && bok:
		return "", nil, perr(n, a, "%s and %s may not both be present", a, b)
	case aok:
		return a, av, nil
	case bok:
		return b, bv, nil
	}
	return "", nil, perr(n, a, "missing %s or %s", a, b)
}

// stringList reads a string or a non-empty array of strings.
func stringList(n int, field string, v *jval) ([]string, error) {
	switch v.kind {
	case jString:
		return []string{v.str}, nil
	case jArray:
		if len(v.arr) == 0 {
			return nil, perr(n, field, "%s is empty", field)
		}
		out := make([]string, len(v.arr))
		for i := range v.arr {
			if v.arr[i].kind != jString {
				return nil, perr(n, field, "%s must be a string or an array of strings, but element %d is %s", field, i+1, v.arr[i].kind)
			}
			out[i] = v.arr[i].str
		}
		return out, nil
	}
	return nil, perr(n, field, "%s must be a string or an array of strings, not %s", field, v.kind)
}

func (ps *parser) actions(n int, st *statement, field string, v *jval) error {
	list, err := stringList(n, field, v)
	if err != nil {
		return err
	}
	for _, a := range list {
		if a == "" {
			return perr(n, field, "empty action")
		}
		lower := strings.ToLower(a)
		if field == "Action" && ps.kind == BucketPolicy && (lower == "s3:*" || lower == "*") {
			return perr(n, field, "bucket policies may not use %q as an Action", a)
		}
		if lower != "*" {
			svc, name, ok := strings.Cut(lower, ":")
			switch {
			case !ok:
				return perr(n, field, "action %q has no service prefix (as in \"s3:GetObject\")", a)
			case hasWildcard(svc):
				return perr(n, field, "action %q: wildcards are not allowed in the service prefix", a)
			case svc != "s3" && svc != "sts":
				return perr(n, field, "action %q: service %q is not supported (only s3 and sts actions are)", a, svc)
			case name == "":
				return perr(n, field, "action %q has no action name", a)
			}
		}
		if !hasWildcard(lower) {
			i, ok := actionIndexLower[lower]
			if !ok {
				return perr(n, field, "unknown action %q", a)
			}
			st.actions.set(i)
			continue
		}
		// A wildcard that matches no known action is accepted (as AWS
		// does); it can still match actions added to the table later.
		p, _ := compilePattern(lower, patOpts{wild: true})
		for i, name := range actionLower {
			if match(p, name, nil) {
				st.actions.set(i)
			}
		}
		st.actionPats = append(st.actionPats, p)
	}
	return nil
}

func (ps *parser) resources(n int, st *statement, field string, v *jval) error {
	list, err := stringList(n, field, v)
	if err != nil {
		return err
	}
	for _, r := range list {
		if r == "*" {
			p, _ := compilePattern("*", patOpts{wild: true})
			st.resources = append(st.resources, p)
			continue
		}
		rest, ok := strings.CutPrefix(r, arnPrefix)
		if !ok {
			return perr(n, field, "resource %q is not \"*\" or an %q ARN", r, arnPrefix)
		}
		if rest == "" {
			return perr(n, field, "resource %q names no bucket", r)
		}
		p, msg := compilePattern(rest, patOpts{wild: true, vars: ps.vars})
		if msg != "" {
			return perr(n, field, "resource %q: %s", r, msg)
		}
		p.src = r
		st.resources = append(st.resources, p)
	}
	return nil
}

func (ps *parser) principal(n int, st *statement, el map[string]*jval) error {
	if ps.kind == IdentityPolicy {
		_, pok := el["Principal"]
		_, npok := el["NotPrincipal"]
		switch {
		case pok:
			return perr(n, "Principal", "identity policies may not have a Principal")
		case npok:
			return perr(n, "NotPrincipal", "identity policies may not have a NotPrincipal")
		}
		return nil
	}
	field, v, err := oneOf(n, el, "Principal", "NotPrincipal")
	if err != nil {
		return err
	}
	st.principals.not = field == "NotPrincipal"
	switch v.kind {
	case jString:
		if v.str != "*" {
			return perr(n, field, "%s must be \"*\" or {\"AWS\": ...}, got %q", field, v.str)
		}
		st.principals.any = true
		return nil
	case jObject:
	default:
		return perr(n, field, "%s must be \"*\" or {\"AWS\": ...}, not %s", field, v.kind)
	}
	if v.dup != "" {
		return perr(n, field, "duplicate %s type %q", field, v.dup)
	}
	if len(v.obj) == 0 {
		return perr(n, field, "%s is empty", field)
	}
	for i := range v.obj {
		f := &v.obj[i]
		if f.name != "AWS" {
			return perr(n, field, "unsupported %s type %q (only \"AWS\" is supported)", field, f.name)
		}
		list, err := stringList(n, field, &f.val)
		if err != nil {
			return err
		}
		for _, s := range list {
			if s == "*" {
				st.principals.any = true
				continue
			}
			name, msg := principalName(s)
			if msg != "" {
				return perr(n, field, "invalid principal %q: %s", s, msg)
			}
			st.principals.names = append(st.principals.names, name)
		}
	}
	return nil
}

const iamARNPrefix = "arn:aws:iam::"

// principalName reduces a principal to a user name: "alice" or
// "arn:aws:iam::ACCOUNT:user/[PATH/]alice". The account is not checked:
// Tessera has one account.
func principalName(s string) (string, string) {
	if strings.ContainsAny(s, "*?") {
		return "", "wildcards are not allowed in principals other than \"*\""
	}
	if s == "" {
		return "", "empty principal"
	}
	if !strings.HasPrefix(s, "arn:") {
		if strings.ContainsAny(s, " \t\r\n:/") {
			return "", "not a user name or an \"arn:aws:iam::ACCOUNT:user/NAME\" ARN"
		}
		return s, ""
	}
	rest, ok := strings.CutPrefix(s, iamARNPrefix)
	if !ok {
		return "", "only \"arn:aws:iam::ACCOUNT:user/NAME\" ARNs are supported"
	}
	_, res, ok := strings.Cut(rest, ":")
	if !ok {
		return "", "only \"arn:aws:iam::ACCOUNT:user/NAME\" ARNs are supported"
	}
	path, ok := strings.CutPrefix(res, "user/")
	if !ok {
		return "", "only user principals (\"arn:aws:iam::ACCOUNT:user/NAME\") are supported"
	}
	name := path[strings.LastIndexByte(path, '/')+1:]
	if name == "" {
		return "", "no user name"
	}
	return name, ""
}

// requestPrincipal reduces Request.Principal to a user name; anything
// that is not a user ARN is used as is.
func requestPrincipal(s string) string {
	if !strings.HasPrefix(s, iamARNPrefix) {
		return s
	}
	if name, msg := principalName(s); msg == "" {
		return name
	}
	return s
}

func (ps *parser) conditions(n int, st *statement, v *jval) error {
	if v.kind != jObject {
		return perr(n, "Condition", "Condition must be an object, not %s", v.kind)
	}
	if v.dup != "" {
		return perr(n, "Condition", "duplicate condition operator %q", v.dup)
	}
	for i := range v.obj {
		opf := &v.obj[i]
		op, q, ifExists, msg := parseOperator(opf.name)
		if msg != "" {
			return perr(n, "Condition", "%s", msg)
		}
		block := &opf.val
		if block.kind != jObject {
			return perr(n, "Condition", "condition %s must map keys to values, not be %s", opf.name, block.kind)
		}
		if block.dup != "" {
			return perr(n, "Condition", "duplicate key %q in condition %s", block.dup, opf.name)
		}
		if len(block.obj) == 0 {
			return perr(n, "Condition", "condition %s has no keys", opf.name)
		}
		for j := range block.obj {
			kf := &block.obj[j]
			key, msg := resolveKey(kf.name)
			if msg != "" {
				return perr(n, "Condition", "%s in %s", msg, opf.name)
			}
			vals, err := conditionValues(n, opf.name, kf.name, &kf.val)
			if err != nil {
				return err
			}
			c, msg := compileCondition(op, q, ifExists, key, vals, ps.vars)
			if msg != "" {
				return perr(n, "Condition", "%s", msg)
			}
			st.conds = append(st.conds, *c)
		}
	}
	return nil
}

// conditionValues reads a condition's value: a string, number or boolean,
// or a non-empty array of them.
func conditionValues(n int, op, key string, v *jval) ([]string, error) {
	if s, ok := v.scalarString(); ok {
		return []string{s}, nil
	}
	if v.kind != jArray {
		return nil, perr(n, "Condition", "%s value for key %q must be a string, number, boolean or an array of them, not %s", op, key, v.kind)
	}
	if len(v.arr) == 0 {
		return nil, perr(n, "Condition", "%s has no values for key %q", op, key)
	}
	out := make([]string, len(v.arr))
	for i := range v.arr {
		s, ok := v.arr[i].scalarString()
		if !ok {
			return nil, perr(n, "Condition", "%s value for key %q must be a string, number, boolean or an array of them, but element %d is %s", op, key, i+1, v.arr[i].kind)
		}
		out[i] = s
	}
	return out, nil
}

// ValidateBucket checks that a bucket policy only names resources that
// can be in bucket: each Resource must be "*", the bucket's ARN, or an
// object ARN in the bucket (wildcards and variables allowed where they
// can still match it). The error is a *PolicyError.
func (p *Policy) ValidateBucket(bucket string) error {
	for i := range p.stmts {
		st := &p.stmts[i]
		if st.notResource {
			continue
		}
		for _, r := range st.resources {
			if r.kind == patAll {
				continue
			}
			if !resourceInBucket(r, bucket) {
				return perr(st.num, "Resource", "resource %q is not in bucket %q", r.src, bucket)
			}
		}
	}
	return nil
}

func resourceInBucket(r *pattern, bucket string) bool {
	lp := r.litPrefix
	if strings.HasPrefix(lp, bucket+"/") {
		return true
	}
	if r.kind == patLit {
		return lp == bucket
	}
	// A wildcard or variable follows lp: it may still reach bucket.
	return strings.HasPrefix(bucket+"/", lp)
}
