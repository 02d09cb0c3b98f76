package iam

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func quote(s string) string { return strconv.Quote(s) }

// text is what patterns match: request strings, or a resource ARN built in
// a stack buffer.
type text interface{ ~string | ~[]byte }

type tokKind uint8

const (
	tokLit  tokKind = iota // literal text
	tokOne                 // '?': exactly one character
	tokStar                // '*': any run of characters (only while compiling)
	tokVar                 // ${key}: the request's value of key, literally
)

// varRef is a policy variable: ${key} or ${key, 'default'}.
type varRef struct {
	key    condKey
	def    string
	hasDef bool
}

type token struct {
	kind tokKind
	lit  string
	v    *varRef
}

// segment is a run of tokens between stars.
type segment struct {
	toks []token
	// fixed is set when the segment is one literal and the pattern is
	// case-sensitive, so it can be searched for as a plain string.
	fixed bool
}

type patKind uint8

const (
	patGeneral patKind = iota
	patAll             // only stars: matches everything
	patLit             // one fixed literal, no stars: equality
	patPrefix          // one fixed literal then a star: prefix test
)

// pattern is a compiled wildcard pattern ("*" and "?"), possibly with
// policy variables. It is immutable after compilation and safe for
// concurrent use.
type pattern struct {
	src         string
	kind        patKind
	lit         string // patLit, patPrefix
	segs        []segment
	lead, trail bool // a star at the start / end
	hasVars     bool
	fold        bool // literal parts compare case-insensitively (Unicode simple folding)
	// litPrefix is the literal text before the first wildcard or variable.
	litPrefix string
}

type patOpts struct {
	wild bool // '*' and '?' are wildcards (else literal characters)
	vars bool // ${...} is a policy variable (Version 2012-10-17)
	fold bool
}

// compilePattern compiles src. The error text (without statement) names
// the problem.
func compilePattern(src string, o patOpts) (*pattern, string) {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: tokLit, lit: lit.String()})
			lit.Reset()
		}
	}
	p := &pattern{src: src, fold: o.fold}
	prefixDone := false
	endPrefix := func() {
		if !prefixDone {
			prefixDone = true
			var b strings.Builder
			for _, t := range toks {
				b.WriteString(t.lit)
			}
			b.WriteString(lit.String())
			p.litPrefix = b.String()
		}
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case o.wild && (c == '*' || c == '?'):
			endPrefix()
			flush()
			if c == '*' {
				toks = append(toks, token{kind: tokStar})
			} else {
				toks = append(toks, token{kind: tokOne})
			}
			i++
		case o.vars && c == '$' && i+1 < len(src) && src[i+1] == '{':
			end, ok := varEnd(src, i+2)
			if !ok {
				return nil, "unterminated policy variable in " + quote(src)
			}
			body := src[i+2 : end]
			switch body {
			case "*", "?", "$":
				lit.WriteString(body)
			default:
				v, msg := parseVar(body)
				if msg != "" {
					return nil, msg
				}
				endPrefix()
				flush()
				toks = append(toks, token{kind: tokVar, v: v})
				p.hasVars = true
			}
			i = end + 1
		default:
			lit.WriteByte(c)
			i++
		}
	}
	endPrefix()
	flush()

	// Split into segments at stars.
	cur := []token(nil)
	stars := false
	for i, t := range toks {
		if t.kind == tokStar {
			stars = true
			if i == 0 {
				p.lead = true
			}
			if len(cur) > 0 {
				p.segs = append(p.segs, segment{toks: cur})
				cur = nil
			}
			continue
		}
		cur = append(cur, t)
	}
	if len(cur) > 0 {
		p.segs = append(p.segs, segment{toks: cur})
	}
	p.trail = len(toks) > 0 && toks[len(toks)-1].kind == tokStar
	for i := range p.segs {
		s := &p.segs[i]
		s.fixed = !o.fold && len(s.toks) == 1 && s.toks[0].kind == tokLit
	}
	switch {
	case stars && len(p.segs) == 0:
		p.kind = patAll
	case !stars && len(p.segs) == 0:
		p.kind, p.lit = patLit, "" // the empty pattern matches only ""
		if o.fold {
			p.kind = patGeneral
		}
	case !stars && len(p.segs) == 1 && p.segs[0].fixed:
		p.kind, p.lit = patLit, p.segs[0].toks[0].lit
	case !p.lead && p.trail && len(p.segs) == 1 && p.segs[0].fixed:
		p.kind, p.lit = patPrefix, p.segs[0].toks[0].lit
	}
	return p, ""
}

// varEnd returns the index of the '}' closing a variable whose body starts
// at i. Quoted default values may contain '}' (a doubled quote is one quote
// inside them).
func varEnd(s string, i int) (int, bool) {
	inQuote := false
	for ; i < len(s); i++ {
		switch s[i] {
		case '\'':
			if inQuote && i+1 < len(s) && s[i+1] == '\'' {
				i++
				continue
			}
			inQuote = !inQuote
		case '}':
			if !inQuote {
				return i, true
			}
		}
	}
	return 0, false
}

// parseVar parses "key" or "key, 'default'" (spaces around either are
// ignored; a doubled quote inside the default is one quote).
func parseVar(body string) (*varRef, string) {
	name, def, hasDef := strings.Cut(body, ",")
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "empty policy variable \"${" + body + "}\""
	}
	k, msg := resolveKey(name)
	if msg != "" {
		return nil, "unknown policy variable \"${" + body + "}\": " + msg
	}
	if k.def.multi {
		return nil, "policy variable \"${" + body + "}\" names a multivalued key"
	}
	v := &varRef{key: k}
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return nil, "default value of policy variable \"${" + body + "}\" must be in single quotes"
		}
		inner := def[1 : len(def)-1]
		// Quotes inside must come in pairs.
		for i := 0; i < len(inner); i++ {
			if inner[i] == '\'' {
				if i+1 >= len(inner) || inner[i+1] != '\'' {
					return nil, "default value of policy variable \"${" + body + "}\" has an unpaired quote"
				}
				i++
			}
		}
		v.def, v.hasDef = strings.ReplaceAll(inner, "''", "'"), true
	}
	return v, ""
}

// resolvable reports whether every variable in p has a value.
func (p *pattern) resolvable(r *prepared) bool {
	if !p.hasVars {
		return true
	}
	for i := range p.segs {
		for j := range p.segs[i].toks {
			t := &p.segs[i].toks[j]
			if t.kind == tokVar {
				if _, ok := r.varValue(t.v); !ok {
					return false
				}
			}
		}
	}
	return true
}

// match reports whether s matches p. A pattern whose variable has no
// value matches nothing. r may be nil for patterns without variables.
func match[T text](p *pattern, s T, r *prepared) bool {
	switch p.kind {
	case patAll:
		return true
	case patLit:
		return len(s) == len(p.lit) && eqAt(s, 0, p.lit)
	case patPrefix:
		return len(s) >= len(p.lit) && eqAt(s, 0, p.lit)
	}
	if p.hasVars && (r == nil || !p.resolvable(r)) {
		return false
	}
	if len(p.segs) == 0 {
		return len(s) == 0
	}
	segs := p.segs
	pos, i := 0, 0
	if !p.lead {
		end, ok := segAt(&segs[0], s, 0, r, p.fold)
		if !ok {
			return false
		}
		if len(segs) == 1 && !p.trail {
			return end == len(s)
		}
		pos, i = end, 1
	}
	last := len(segs)
	if !p.trail {
		last--
	}
	// Middle segments: the leftmost occurrence is always the best choice,
	// since a segment matches a fixed number of characters.
	for ; i < last; i++ {
		end, ok := findSeg(&segs[i], s, pos, r, p.fold)
		if !ok {
			return false
		}
		pos = end
	}
	if p.trail {
		return true
	}
	// The last segment must end at len(s).
	seg := &segs[last]
	if seg.fixed {
		l := seg.toks[0].lit
		return len(s)-pos >= len(l) && eqAt(s, len(s)-len(l), l)
	}
	for start := pos; start <= len(s); start += runeLenAt(s, start) {
		if end, ok := segAt(seg, s, start, r, p.fold); ok && end == len(s) {
			return true
		}
		if start == len(s) {
			break
		}
	}
	return false
}

// findSeg finds the leftmost match of seg starting at or after pos and
// returns where it ends.
func findSeg[T text](seg *segment, s T, pos int, r *prepared, fold bool) (int, bool) {
	if seg.fixed {
		l := seg.toks[0].lit
		for start := pos; start+len(l) <= len(s); start += runeLenAt(s, start) {
			if eqAt(s, start, l) {
				return start + len(l), true
			}
		}
		return 0, false
	}
	for start := pos; start <= len(s); start += runeLenAt(s, start) {
		if end, ok := segAt(seg, s, start, r, fold); ok {
			return end, true
		}
		if start == len(s) {
			break
		}
	}
	return 0, false
}

// segAt matches seg at exactly position at and returns where it ends.
func segAt[T text](seg *segment, s T, at int, r *prepared, fold bool) (int, bool) {
	pos := at
	for i := range seg.toks {
		t := &seg.toks[i]
		switch t.kind {
		case tokLit:
			n, ok := prefixAt(s, pos, t.lit, fold)
			if !ok {
				return 0, false
			}
			pos += n
		case tokOne:
			if pos >= len(s) {
				return 0, false
			}
			pos += runeLenAt(s, pos)
		case tokVar:
			val, ok := r.varValue(t.v)
			if !ok {
				return 0, false
			}
			n, ok := prefixAt(s, pos, val, fold)
			if !ok {
				return 0, false
			}
			pos += n
		}
	}
	return pos, true
}

// eqAt reports whether s[at:at+len(lit)] == lit; the caller checks bounds.
func eqAt[T text](s T, at int, lit string) bool {
	for i := 0; i < len(lit); i++ {
		if s[at+i] != lit[i] {
			return false
		}
	}
	return true
}

// prefixAt reports whether lit is a prefix of s[pos:] (under simple case
// folding with fold) and how many bytes of s it covers.
func prefixAt[T text](s T, pos int, lit string, fold bool) (int, bool) {
	if !fold {
		if len(s)-pos < len(lit) || !eqAt(s, pos, lit) {
			return 0, false
		}
		return len(lit), true
	}
	i := pos
	for j := 0; j < len(lit); {
		if i >= len(s) {
			return 0, false
		}
		a, an := decodeRuneAt(s, i)
		b, bn := utf8.DecodeRuneInString(lit[j:])
		if a != b && !foldEq(a, b) {
			return 0, false
		}
		i += an
		j += bn
	}
	return i - pos, true
}

// foldEq reports whether a and b are equal under Unicode simple case
// folding (as strings.EqualFold does for one rune).
func foldEq(a, b rune) bool {
	if a == b {
		return true
	}
	if a < b {
		a, b = b, a
	}
	if a < utf8.RuneSelf { // both ASCII
		return 'A' <= b && b <= 'Z' && a == b+'a'-'A'
	}
	r := unicode.SimpleFold(b)
	for r != b && r < a {
		r = unicode.SimpleFold(r)
	}
	return r == a
}

// runeLenAt returns the byte length of the character at s[i] (1 for an
// invalid byte); i < len(s), or 1 at the end so loops terminate.
func runeLenAt[T text](s T, i int) int {
	if i >= len(s) || s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := decodeRuneAt(s, i)
	return n
}

func decodeRuneAt[T text](s T, i int) (rune, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	var buf [utf8.UTFMax]byte
	n := copy(buf[:], s[i:])
	return utf8.DecodeRune(buf[:n])
}

// hasWildcard reports whether s contains '*' or '?'.
func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }
