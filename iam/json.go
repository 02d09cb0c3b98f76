package iam

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jkind is the type of a decoded JSON value.
type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

func (k jkind) String() string {
	switch k {
	case jBool:
		return "a boolean"
	case jNumber:
		return "a number"
	case jString:
		return "a string"
	case jArray:
		return "an array"
	case jObject:
		return "an object"
	}
	return "null"
}

// jval is a decoded JSON value that, unlike map[string]any, keeps the order
// of object members and remembers duplicated member names, so Parse can
// reject them (two "Effect" members would otherwise mean whichever one a
// JSON library happens to keep).
type jval struct {
	kind jkind
	str  string // jString: the value; jNumber: its literal text
	b    bool   // jBool
	arr  []jval
	obj  []jfield
	dup  string // jObject: the first member name that appears twice
}

type jfield struct {
	name string
	val  jval
}

// scalarString returns the text of a string, number or boolean value.
func (v *jval) scalarString() (string, bool) {
	switch v.kind {
	case jString, jNumber:
		return v.str, true
	case jBool:
		if v.b {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// maxJSONDepth bounds nesting; policies need 5 levels.
const maxJSONDepth = 64

// decodeJSON decodes one JSON value (RFC 8259, as encoding/json accepts
// it: invalid UTF-8 and lone surrogates in strings become U+FFFD). Errors
// give the 0-based byte offset of the offending byte (len(doc) for a
// document that ends too early).
func decodeJSON(doc []byte) (jval, error) {
	d := jdecoder{b: doc}
	d.space()
	v, ok := d.value(0)
	if ok {
		d.space()
		if d.i < len(d.b) {
			d.fail("invalid character " + quoteChar(d.b[d.i]) + " after top-level value")
			ok = false
		}
	}
	if !ok {
		return jval{}, perr(0, "", "invalid JSON at offset %d: %s", d.errOff, d.errMsg)
	}
	return v, nil
}

type jdecoder struct {
	b      []byte
	i      int
	errOff int
	errMsg string
}

func (d *jdecoder) fail(msg string) {
	d.errOff, d.errMsg = d.i, msg
}

// unexpected records an error for the byte at d.i (or the end).
func (d *jdecoder) unexpected(context string) {
	if d.i >= len(d.b) {
		d.fail("unexpected end of JSON input")
		return
	}
	d.fail("invalid character " + quoteChar(d.b[d.i]) + " " + context)
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	if c >= utf8.RuneSelf {
		s = strconv.Quote(string([]byte{c}))
	}
	return "'" + s[1:len(s)-1] + "'"
}

func (d *jdecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jdecoder) value(depth int) (jval, bool) {
	if d.i >= len(d.b) {
		d.unexpected("")
		return jval{}, false
	}
	switch c := d.b[d.i]; {
	case c == '{':
		if depth >= maxJSONDepth {
			d.fail("nesting deeper than " + strconv.Itoa(maxJSONDepth) + " levels")
			return jval{}, false
		}
		return d.object(depth + 1)
	case c == '[':
		if depth >= maxJSONDepth {
			d.fail("nesting deeper than " + strconv.Itoa(maxJSONDepth) + " levels")
			return jval{}, false
		}
		return d.array(depth + 1)
	case c == '"':
		s, ok := d.string()
		return jval{kind: jString, str: s}, ok
	case c == '-' || ('0' <= c && c <= '9'):
		return d.number()
	case c == 't':
		return jval{kind: jBool, b: true}, d.literal("true")
	case c == 'f':
		return jval{kind: jBool}, d.literal("false")
	case c == 'n':
		return jval{kind: jNull}, d.literal("null")
	}
	d.unexpected("looking for beginning of value")
	return jval{}, false
}

func (d *jdecoder) literal(word string) bool {
	for j := 0; j < len(word); j++ {
		if d.i >= len(d.b) || d.b[d.i] != word[j] {
			d.unexpected("in literal " + word + " (expecting " + quoteChar(word[j]) + ")")
			return false
		}
		d.i++
	}
	return true
}

func (d *jdecoder) object(depth int) (jval, bool) {
	v := jval{kind: jObject}
	d.i++ // '{'
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return v, true
	}
	for {
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			d.unexpected("looking for beginning of object key string")
			return jval{}, false
		}
		name, ok := d.string()
		if !ok {
			return jval{}, false
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			d.unexpected("after object key")
			return jval{}, false
		}
		d.i++
		d.space()
		mv, ok := d.value(depth)
		if !ok {
			return jval{}, false
		}
		if v.dup == "" {
			for k := range v.obj {
				if v.obj[k].name == name {
					v.dup = name
					break
				}
			}
		}
		v.obj = append(v.obj, jfield{name: name, val: mv})
		d.space()
		if d.i < len(d.b) && d.b[d.i] == ',' {
			d.i++
			d.space()
			continue
		}
		if d.i < len(d.b) && d.b[d.i] == '}' {
			d.i++
			return v, true
		}
		d.unexpected("after object key:value pair")
		return jval{}, false
	}
}

func (d *jdecoder) array(depth int) (jval, bool) {
	v := jval{kind: jArray}
	d.i++ // '['
	d.space()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return v, true
	}
	for {
		ev, ok := d.value(depth)
		if !ok {
			return jval{}, false
		}
		v.arr = append(v.arr, ev)
		d.space()
		if d.i < len(d.b) && d.b[d.i] == ',' {
			d.i++
			d.space()
			continue
		}
		if d.i < len(d.b) && d.b[d.i] == ']' {
			d.i++
			return v, true
		}
		d.unexpected("after array element")
		return jval{}, false
	}
}

func (d *jdecoder) number() (jval, bool) {
	start := d.i
	digits := func() int {
		n := 0
		for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case d.i < len(d.b) && '1' <= d.b[d.i] && d.b[d.i] <= '9':
		digits()
	default:
		d.unexpected("in numeric literal")
		return jval{}, false
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			d.unexpected("after decimal point in numeric literal")
			return jval{}, false
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			d.unexpected("in exponent of numeric literal")
			return jval{}, false
		}
	}
	return jval{kind: jNumber, str: string(d.b[start:d.i])}, true
}

// string decodes a string starting at the opening quote.
func (d *jdecoder) string() (string, bool) {
	d.i++ // '"'
	start := d.i
	// Fast path: no escapes, valid UTF-8.
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == '"' {
			s := d.b[start:d.i]
			if utf8.Valid(s) {
				d.i++
				return string(s), true
			}
			break
		}
		if c == '\\' || c < 0x20 {
			break
		}
		d.i++
	}
	d.i = start
	buf := make([]byte, 0, 32)
	for {
		if d.i >= len(d.b) {
			d.unexpected("")
			return "", false
		}
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return string(buf), true
		case c < 0x20:
			d.unexpected("in string literal")
			return "", false
		case c == '\\':
			d.i++
			if d.i >= len(d.b) {
				d.unexpected("")
				return "", false
			}
			switch e := d.b[d.i]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				d.i++
				r, ok := d.hex4()
				if !ok {
					return "", false
				}
				if utf16.IsSurrogate(r) {
					hi := r
					r = utf8.RuneError
					// A high surrogate followed by \u and a low one is
					// one character.
					if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
						save := d.i
						d.i += 2
						lo, ok := d.hex4()
						if !ok {
							return "", false
						}
						if dec := utf16.DecodeRune(hi, lo); dec != utf8.RuneError {
							r = dec
						} else {
							d.i = save
						}
					}
				}
				buf = utf8.AppendRune(buf, r)
				continue
			default:
				d.unexpected("in string escape code")
				return "", false
			}
			d.i++
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			d.i++
		default:
			r, n := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && n == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, d.b[d.i:d.i+n]...)
			}
			d.i += n
		}
	}
}

// hex4 reads the four hex digits of a \u escape.
func (d *jdecoder) hex4() (rune, bool) {
	var r rune
	for k := 0; k < 4; k++ {
		if d.i >= len(d.b) {
			d.unexpected("")
			return 0, false
		}
		c := d.b[d.i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			d.unexpected("in \\u hexadecimal character escape")
			return 0, false
		}
		r = r<<4 | rune(c)
		d.i++
	}
	return r, true
}
