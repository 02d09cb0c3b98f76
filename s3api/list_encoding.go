package s3api

import (
	"bytes"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

// shouldEscape reports whether c is escaped in URL-encoded listings and
// paths: everything but unreserved characters and '/'.
func shouldEscape(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return false
	}
	switch c {
	case '-', '_', '.', '~', '/':
		return false
	}
	return true
}

// urlEncodeName encodes a key or prefix for encoding-type=url listings as
// S3 does: unreserved characters and '/' stay, a space becomes '+', every
// other byte is %XX (upper-case hex).
func urlEncodeName(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if shouldEscape(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			b.WriteByte('+')
		case shouldEscape(c):
			b.WriteByte('%')
			b.WriteByte(hexUpper[c>>4])
			b.WriteByte(hexUpper[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// escapePath percent-encodes a key for use in a URL path ('/' kept, space
// as %20).
func escapePath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if shouldEscape(c) {
			b.WriteByte('%')
			b.WriteByte(hexUpper[c>>4])
			b.WriteByte(hexUpper[c&15])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// encoder applies encoding-type to names in a listing.
type encoder bool

func (e encoder) name(s string) string {
	if e {
		return urlEncodeName(s)
	}
	return s
}

// encodingType parses encoding-type: "" or "url".
func encodingType(q *fasthttp.Args) (encoder, string, error) {
	v := q.Peek("encoding-type")
	switch {
	case v == nil:
		return false, "", nil
	case bytes.EqualFold(v, []byte("url")):
		return true, "url", nil
	}
	return false, "", s3err.ErrInvalidEncodingMethod
}

// maxArg parses a max-keys / max-parts / max-uploads parameter: absent ->
// 1000, not a non-negative integer -> bad, above 1000 -> 1000.
func maxArg(q *fasthttp.Args, name string, bad error) (int, error) {
	v := q.Peek(name)
	if v == nil {
		return maxListKeys, nil
	}
	n, ok := parseNonNeg(bytes.TrimSpace(v))
	if !ok || n > 2147483647 {
		return 0, bad
	}
	return int(min(n, maxListKeys)), nil
}
