package iam

import (
	"encoding/base64"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// cmpKind is the comparison behind a condition operator.
type cmpKind uint8

const (
	cmpStrEq cmpKind = iota
	cmpStrEqFold
	cmpStrLike
	cmpNumEq
	cmpNumLt
	cmpNumLe
	cmpNumGt
	cmpNumGe
	cmpDateEq
	cmpDateLt
	cmpDateLe
	cmpDateGt
	cmpDateGe
	cmpBool
	cmpIP
	cmpArn
	cmpBinary
	cmpNull
)

// opInfo is one condition operator. A negated operator (StringNotEquals,
// NotIpAddress, ...) is the NOT of its positive comparison.
type opInfo struct {
	name string
	cmp  cmpKind
	neg  bool
}

var opTable = [...]opInfo{
	{"StringEquals", cmpStrEq, false},
	{"StringNotEquals", cmpStrEq, true},
	{"StringEqualsIgnoreCase", cmpStrEqFold, false},
	{"StringNotEqualsIgnoreCase", cmpStrEqFold, true},
	{"StringLike", cmpStrLike, false},
	{"StringNotLike", cmpStrLike, true},
	{"NumericEquals", cmpNumEq, false},
	{"NumericNotEquals", cmpNumEq, true},
	{"NumericLessThan", cmpNumLt, false},
	{"NumericLessThanEquals", cmpNumLe, false},
	{"NumericGreaterThan", cmpNumGt, false},
	{"NumericGreaterThanEquals", cmpNumGe, false},
	{"DateEquals", cmpDateEq, false},
	{"DateNotEquals", cmpDateEq, true},
	{"DateLessThan", cmpDateLt, false},
	{"DateLessThanEquals", cmpDateLe, false},
	{"DateGreaterThan", cmpDateGt, false},
	{"DateGreaterThanEquals", cmpDateGe, false},
	{"Bool", cmpBool, false},
	{"IpAddress", cmpIP, false},
	{"NotIpAddress", cmpIP, true},
	{"ArnEquals", cmpArn, false},
	{"ArnLike", cmpArn, false},
	{"ArnNotEquals", cmpArn, true},
	{"ArnNotLike", cmpArn, true},
	{"BinaryEquals", cmpBinary, false},
	{"Null", cmpNull, false},
}

var opByName = func() map[string]*opInfo {
	m := make(map[string]*opInfo, len(opTable))
	for i := range opTable {
		m[opTable[i].name] = &opTable[i]
	}
	return m
}()

// qualifier is a set operator prefix.
type qualifier uint8

const (
	qualNone qualifier = iota
	qualAny            // ForAnyValue:
	qualAll            // ForAllValues:
)

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts.
// Operator names are case-sensitive, as AWS has them.
func parseOperator(name string) (op *opInfo, q qualifier, ifExists bool, msg string) {
	base := name
	switch {
	case strings.HasPrefix(base, "ForAnyValue:"):
		q, base = qualAny, base[len("ForAnyValue:"):]
	case strings.HasPrefix(base, "ForAllValues:"):
		q, base = qualAll, base[len("ForAllValues:"):]
	}
	if b, ok := strings.CutSuffix(base, "IfExists"); ok {
		base, ifExists = b, true
	}
	op = opByName[base]
	if op == nil {
		return nil, 0, false, "unknown condition operator " + quote(name)
	}
	if op.cmp == cmpNull && (q != qualNone || ifExists) {
		return nil, 0, false, "condition operator " + quote(name) + ": Null takes no set qualifier and no IfExists"
	}
	return op, q, ifExists, ""
}

// strValue is a string-operator value: a plain string, or a compiled
// pattern (StringLike, or a value with policy variables).
type strValue struct {
	s   string
	pat *pattern
}

// arnValue is an ARN pattern split into its six colon-separated parts,
// each matched on its own (ArnEquals/ArnLike).
type arnValue [6]*pattern

// condition is one (operator, key) pair of a Condition block with its
// values pre-parsed for its operator.
type condition struct {
	op       *opInfo
	qual     qualifier
	ifExists bool
	key      condKey
	hasVars  bool

	strs     []strValue     // string operators; BinaryEquals (decoded)
	nums     []float64      // numeric
	dates    []time.Time    // date
	bools    []bool         // Bool; Null ("true" = key must be absent)
	prefixes []netip.Prefix // IpAddress
	arns     []arnValue     // Arn*
}

// compileCondition builds a condition from its values. vars says whether
// policy variables are recognized (Version 2012-10-17).
func compileCondition(op *opInfo, q qualifier, ifExists bool, key condKey, vals []string, vars bool) (*condition, string) {
	c := &condition{op: op, qual: q, ifExists: ifExists, key: key}
	bad := func(v, what string) string {
		return op.name + " value " + quote(v) + " for key " + quote(key.name) + " is not " + what
	}
	for _, v := range vals {
		switch op.cmp {
		case cmpStrEq, cmpStrEqFold, cmpStrLike:
			sv := strValue{s: v}
			like := op.cmp == cmpStrLike
			if like || (vars && strings.Contains(v, "${")) {
				p, msg := compilePattern(v, patOpts{wild: like, vars: vars, fold: op.cmp == cmpStrEqFold})
				if msg != "" {
					return nil, msg
				}
				sv.pat = p
				c.hasVars = c.hasVars || p.hasVars
			}
			c.strs = append(c.strs, sv)
		case cmpNumEq, cmpNumLt, cmpNumLe, cmpNumGt, cmpNumGe:
			f, ok := parseNumber(v)
			if !ok {
				return nil, bad(v, "a number")
			}
			c.nums = append(c.nums, f)
		case cmpDateEq, cmpDateLt, cmpDateLe, cmpDateGt, cmpDateGe:
			t, ok := parseDate(v)
			if !ok {
				return nil, bad(v, "a date (ISO 8601 or epoch seconds)")
			}
			c.dates = append(c.dates, t)
		case cmpBool, cmpNull:
			b, ok := parseBool(v)
			if !ok {
				return nil, bad(v, "true or false")
			}
			c.bools = append(c.bools, b)
		case cmpIP:
			pfx, ok := parsePrefix(v)
			if !ok {
				return nil, bad(v, "an IP address or CIDR block")
			}
			c.prefixes = append(c.prefixes, pfx)
		case cmpArn:
			parts, ok := splitARN(v)
			if !ok {
				return nil, bad(v, "an ARN (arn:partition:service:region:account:resource)")
			}
			var av arnValue
			for i, part := range parts {
				p, msg := compilePattern(part, patOpts{wild: true, vars: vars})
				if msg != "" {
					return nil, msg
				}
				av[i] = p
				c.hasVars = c.hasVars || p.hasVars
			}
			c.arns = append(c.arns, av)
		case cmpBinary:
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return nil, bad(v, "base64")
			}
			c.strs = append(c.strs, strValue{s: string(b)})
		}
	}
	return c, ""
}

// eval evaluates the condition against the request.
func (c *condition) eval(pr *prepared) bool {
	v := pr.lookup(&c.key)
	n := v.n
	if c.op.cmp == cmpNull {
		absent := n == 0
		for _, want := range c.bools {
			if want == absent {
				return true
			}
		}
		return false
	}
	if n == 0 {
		if c.ifExists {
			return true
		}
		switch c.qual {
		case qualAll:
			return true
		case qualAny:
			return false
		}
		// A missing key matches nothing: negated operators are true.
		return c.op.neg
	}
	// A policy value whose variable has no value is null: nothing equals
	// it, and a negated comparison with it is false too.
	if c.hasVars && c.op.neg && !c.varsResolvable(pr) {
		return false
	}
	switch c.qual {
	case qualAny:
		for i := 0; i < n; i++ {
			if c.matchValue(&v, i, pr) != c.op.neg {
				return true
			}
		}
		return false
	case qualAll:
		for i := 0; i < n; i++ {
			if c.matchValue(&v, i, pr) == c.op.neg {
				return false
			}
		}
		return true
	}
	for i := 0; i < n; i++ {
		if c.matchValue(&v, i, pr) {
			return !c.op.neg
		}
	}
	return c.op.neg
}

func (c *condition) varsResolvable(pr *prepared) bool {
	for i := range c.strs {
		if p := c.strs[i].pat; p != nil && !p.resolvable(pr) {
			return false
		}
	}
	for i := range c.arns {
		for _, p := range c.arns[i] {
			if !p.resolvable(pr) {
				return false
			}
		}
	}
	return true
}

// matchValue reports whether request value i equals (or is like) any of
// the policy values, under the positive form of the operator.
func (c *condition) matchValue(v *ctxVals, i int, pr *prepared) bool {
	switch c.op.cmp {
	case cmpStrEq, cmpStrLike:
		s := v.str(i)
		for j := range c.strs {
			sv := &c.strs[j]
			if sv.pat == nil {
				if s == sv.s {
					return true
				}
			} else if match(sv.pat, s, pr) {
				return true
			}
		}
	case cmpStrEqFold:
		s := v.str(i)
		for j := range c.strs {
			sv := &c.strs[j]
			if sv.pat == nil {
				if strings.EqualFold(s, sv.s) {
					return true
				}
			} else if match(sv.pat, s, pr) {
				return true
			}
		}
	case cmpBinary:
		s := v.str(i)
		for j := range c.strs {
			if s == c.strs[j].s {
				return true
			}
		}
	case cmpNumEq, cmpNumLt, cmpNumLe, cmpNumGt, cmpNumGe:
		x, ok := v.number(i)
		if !ok {
			return false
		}
		for _, y := range c.nums {
			if compareNum(c.op.cmp, x, y) {
				return true
			}
		}
	case cmpDateEq, cmpDateLt, cmpDateLe, cmpDateGt, cmpDateGe:
		t, ok := v.date(i)
		if !ok {
			return false
		}
		for _, d := range c.dates {
			if compareDate(c.op.cmp, t, d) {
				return true
			}
		}
	case cmpBool:
		b, ok := parseBool(v.str(i))
		if !ok {
			return false
		}
		for _, want := range c.bools {
			if b == want {
				return true
			}
		}
	case cmpIP:
		a, ok := v.addr(i)
		if !ok {
			return false
		}
		for _, p := range c.prefixes {
			if p.Contains(a) {
				return true
			}
		}
	case cmpArn:
		parts, ok := splitARN(v.str(i))
		if !ok {
			return false
		}
	arns:
		for j := range c.arns {
			for k, p := range c.arns[j] {
				if !match(p, parts[k], pr) {
					continue arns
				}
			}
			return true
		}
	}
	return false
}

func compareNum(k cmpKind, x, y float64) bool {
	switch k {
	case cmpNumEq:
		return x == y
	case cmpNumLt:
		return x < y
	case cmpNumLe:
		return x <= y
	case cmpNumGt:
		return x > y
	case cmpNumGe:
		return x >= y
	}
	return false
}

func compareDate(k cmpKind, x, y time.Time) bool {
	switch k {
	case cmpDateEq:
		return x.Equal(y)
	case cmpDateLt:
		return x.Before(y)
	case cmpDateLe:
		return !x.After(y)
	case cmpDateGt:
		return x.After(y)
	case cmpDateGe:
		return !x.Before(y)
	}
	return false
}

// ctxVals is a request's value set for one condition key, without copying
// typed fields into strings unless an operator asks for a string.
type ctxVals struct {
	src  keySource
	n    int
	one  string   // srcUsername, srcUserID, srcPrincipalType, srcSecureTransport
	many []string // srcMap
	t    time.Time
	ip   netip.Addr
}

func (v *ctxVals) str(i int) string {
	switch v.src {
	case srcMap:
		return v.many[i]
	case srcSourceIP:
		return v.ip.String()
	case srcCurrentTime:
		return v.t.UTC().Format(time.RFC3339)
	case srcEpochTime:
		return strconv.FormatInt(v.t.Unix(), 10)
	}
	return v.one
}

func (v *ctxVals) number(i int) (float64, bool) {
	switch v.src {
	case srcEpochTime:
		return float64(v.t.Unix()), true
	case srcCurrentTime, srcSourceIP:
		return 0, false
	}
	return parseNumber(v.str(i))
}

func (v *ctxVals) date(i int) (time.Time, bool) {
	switch v.src {
	case srcCurrentTime, srcEpochTime:
		return v.t, true
	case srcSourceIP:
		return time.Time{}, false
	}
	return parseDate(v.str(i))
}

func (v *ctxVals) addr(i int) (netip.Addr, bool) {
	if v.src == srcSourceIP {
		return v.ip, true
	}
	a, err := netip.ParseAddr(v.str(i))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// parseNumber parses a finite decimal number.
func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// dateLayouts are the ISO 8601 forms accepted, tried in order; a string of
// digits is epoch seconds.
var dateLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"20060102T150405Z",
	"2006-01-02",
}

func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if isDigits(s) || (s[0] == '-' && isDigits(s[1:])) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parsePrefix parses a CIDR block or a bare address (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// splitARN splits arn:partition:service:region:account:resource; the
// resource part may itself contain colons.
func splitARN(s string) ([6]string, bool) {
	var parts [6]string
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return parts, false
		}
		parts[i], s = s[:j], s[j+1:]
	}
	parts[5] = s
	return parts, parts[0] == "arn"
}
