package sigv4

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"slices"
	"sync"

	"github.com/valyala/fasthttp"
)

// scratch is the per-Verify working memory, pooled.
type scratch struct {
	canon  []byte  // canonical request
	sts    []byte  // string to sign
	dec    []byte  // decoded query names and values
	enc    []byte  // encoded query names and values
	pairs  []qpair // query parameters in arrival order, then sorted
	mac    hmacSHA256
	hexbuf [64]byte
}

// span is a [start, end) range of scratch.dec or scratch.enc.
type span struct{ start, end int32 }

// qpair is one query parameter: decoded and canonically encoded forms.
type qpair struct {
	dk, dv span // in dec
	ek, ev span // in enc
}

var scratchPool = sync.Pool{New: func() any { return &scratch{mac: hmacSHA256{h: sha256.New()}} }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// putScratch returns s to the pool unless an unusual request grew it.
func putScratch(s *scratch) {
	const maxKeep = 64 << 10
	if cap(s.canon) > maxKeep || cap(s.dec) > maxKeep || cap(s.enc) > maxKeep || cap(s.pairs) > 1024 {
		return
	}
	scratchPool.Put(s)
}

// hmacSHA256 computes HMAC-SHA256 with a reused hash; it does not allocate.
type hmacSHA256 struct {
	h     hash.Hash
	pad   [64]byte
	inner [32]byte
	out   [32]byte
}

// sum returns HMAC-SHA256(key, msg). The result is valid until the next call.
func (m *hmacSHA256) sum(key *[32]byte, msg []byte) *[32]byte {
	for i := range m.pad {
		m.pad[i] = 0x36
	}
	for i, b := range key {
		m.pad[i] ^= b
	}
	m.h.Reset()
	m.h.Write(m.pad[:])
	m.h.Write(msg)
	m.h.Sum(m.inner[:0])
	for i := range m.pad {
		m.pad[i] ^= 0x36 ^ 0x5c
	}
	m.h.Reset()
	m.h.Write(m.pad[:])
	m.h.Write(m.inner[:])
	m.h.Sum(m.out[:0])
	return &m.out
}

// splitRequestURI splits a raw request URI (origin or absolute form) into
// its path and raw query.
func splitRequestURI(uri []byte) (path, query []byte) {
	// Absolute form: "http://host/path?query".
	if i := bytes.Index(uri, []byte("://")); i > 0 && bytes.IndexByte(uri[:i], '/') < 0 && bytes.IndexByte(uri[:i], '?') < 0 {
		rest := uri[i+3:]
		j := bytes.IndexAny(rest, "/?")
		if j < 0 {
			uri = nil
		} else {
			uri = rest[j:]
		}
	}
	if i := bytes.IndexByte(uri, '#'); i >= 0 {
		uri = uri[:i]
	}
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		return uri[:i], uri[i+1:]
	}
	return uri, nil
}

// parseQuery splits the raw query into s.pairs, decoding each name and
// value and encoding them canonically. Empty segments are skipped.
func (s *scratch) parseQuery(q []byte) {
	s.pairs = s.pairs[:0]
	s.dec = s.dec[:0]
	s.enc = s.enc[:0]
	for len(q) > 0 {
		var seg []byte
		if i := bytes.IndexByte(q, '&'); i >= 0 {
			seg, q = q[:i], q[i+1:]
		} else {
			seg, q = q, nil
		}
		if len(seg) == 0 {
			continue
		}
		k, v := seg, []byte(nil)
		if i := bytes.IndexByte(seg, '='); i >= 0 {
			k, v = seg[:i], seg[i+1:]
		}
		var p qpair
		p.dk.start = int32(len(s.dec))
		s.dec = appendQueryUnescape(s.dec, k)
		p.dk.end = int32(len(s.dec))
		p.dv.start = p.dk.end
		s.dec = appendQueryUnescape(s.dec, v)
		p.dv.end = int32(len(s.dec))
		p.ek.start = int32(len(s.enc))
		s.enc = appendURIEncode(s.enc, s.dec[p.dk.start:p.dk.end], false)
		p.ek.end = int32(len(s.enc))
		p.ev.start = p.ek.end
		s.enc = appendURIEncode(s.enc, s.dec[p.dv.start:p.dv.end], false)
		p.ev.end = int32(len(s.enc))
		s.pairs = append(s.pairs, p)
	}
}

func (s *scratch) decoded(sp span) []byte { return s.dec[sp.start:sp.end] }
func (s *scratch) encoded(sp span) []byte { return s.enc[sp.start:sp.end] }

// queryValue returns the decoded value of the first parameter named name.
func (s *scratch) queryValue(name string) ([]byte, bool) {
	for _, p := range s.pairs {
		if string(s.decoded(p.dk)) == name {
			return s.decoded(p.dv), true
		}
	}
	return nil, false
}

// hasPresignParams reports whether the query asks for query-string
// authentication.
func (s *scratch) hasPresignParams() bool {
	for _, p := range s.pairs {
		switch string(s.decoded(p.dk)) {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature":
			return true
		}
	}
	return false
}

// hasV2PresignParams reports whether the query carries Signature Version 2
// query-string authentication (AWSAccessKeyId and Signature).
func (s *scratch) hasV2PresignParams() bool {
	_, ak := s.queryValue("AWSAccessKeyId")
	_, sig := s.queryValue("Signature")
	return ak && sig
}

// appendCanonicalRequest appends the canonical request:
//
//	method \n canonical-URI \n canonical-query \n canonical-headers \n signed-headers \n payload
func (s *scratch) appendCanonicalRequest(dst []byte, req *fasthttp.Request, path []byte, presigned bool, signedHeaders, payload []byte) []byte {
	dst = append(dst, req.Header.Method()...)
	dst = append(dst, '\n')
	dst = appendCanonicalURI(dst, path)
	dst = append(dst, '\n')
	dst = s.appendCanonicalQuery(dst, presigned)
	dst = append(dst, '\n')
	dst = appendCanonicalHeaders(dst, req, signedHeaders)
	dst = append(dst, '\n')
	dst = append(dst, signedHeaders...)
	dst = append(dst, '\n')
	dst = append(dst, payload...)
	return dst
}

// appendCanonicalURI decodes the raw path once and encodes every byte but
// the RFC 3986 unreserved ones and '/', as S3 does ("/" when empty).
func appendCanonicalURI(dst, path []byte) []byte {
	if len(path) == 0 {
		return append(dst, '/')
	}
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '%' && i+2 < len(path) && isHex(path[i+1]) && isHex(path[i+2]) {
			c = unhex(path[i+1])<<4 | unhex(path[i+2])
			i += 2
		}
		dst = appendEncodedByte(dst, c, true)
	}
	return dst
}

// appendCanonicalQuery appends the parameters sorted by encoded name then
// encoded value, "name=value" joined by '&'; X-Amz-Signature is left out
// of presigned requests.
func (s *scratch) appendCanonicalQuery(dst []byte, presigned bool) []byte {
	if len(s.pairs) == 0 {
		return dst
	}
	pairs := s.pairs
	if presigned {
		// Move X-Amz-Signature out of the way (it is excluded).
		n := 0
		for _, p := range pairs {
			if string(s.decoded(p.dk)) != "X-Amz-Signature" {
				pairs[n] = p
				n++
			}
		}
		pairs = pairs[:n]
	}
	enc := s.enc
	if len(pairs) > 1 {
		slices.SortFunc(pairs, func(a, b qpair) int {
			if c := bytes.Compare(enc[a.ek.start:a.ek.end], enc[b.ek.start:b.ek.end]); c != 0 {
				return c
			}
			return bytes.Compare(enc[a.ev.start:a.ev.end], enc[b.ev.start:b.ev.end])
		})
	}
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, enc[p.ek.start:p.ek.end]...)
		dst = append(dst, '=')
		dst = append(dst, enc[p.ev.start:p.ev.end]...)
	}
	return dst
}

// appendCanonicalHeaders appends "name:value\n" for each signed header, in
// the order of the signed list. Values are trimmed with inner runs of
// spaces collapsed; repeated headers are joined with ','.
func appendCanonicalHeaders(dst []byte, req *fasthttp.Request, signed []byte) []byte {
	for len(signed) > 0 {
		var name []byte
		if i := bytes.IndexByte(signed, ';'); i >= 0 {
			name, signed = signed[:i], signed[i+1:]
		} else {
			name, signed = signed, nil
		}
		dst = append(dst, name...)
		dst = append(dst, ':')
		first := true
		for k, v := range req.Header.All() {
			if !equalFold(k, name) {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendHeaderValue(dst, v)
		}
		dst = append(dst, '\n')
	}
	return dst
}

// appendHeaderValue appends v trimmed of spaces and tabs with inner runs of
// spaces collapsed to one.
func appendHeaderValue(dst, v []byte) []byte {
	v = trimSpace(v)
	space := false
	for _, c := range v {
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		dst = append(dst, c)
	}
	return dst
}

// appendQueryUnescape percent-decodes a query component, '+' meaning a
// space. A '%' not followed by two hex digits stands for itself.
func appendQueryUnescape(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		dst = append(dst, c)
	}
	return dst
}

// appendURIEncode encodes every byte of s but the RFC 3986 unreserved ones
// (and '/' when keepSlash) as %XX with upper-case hex.
func appendURIEncode(dst, s []byte, keepSlash bool) []byte {
	for _, c := range s {
		dst = appendEncodedByte(dst, c, keepSlash)
	}
	return dst
}

func appendEncodedByte(dst []byte, c byte, keepSlash bool) []byte {
	if unreserved[c] || (c == '/' && keepSlash) {
		return append(dst, c)
	}
	const hexUpper = "0123456789ABCDEF"
	return append(dst, '%', hexUpper[c>>4], hexUpper[c&15])
}

var unreserved = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['_'], t['.'], t['~'] = true, true, true, true
	return t
}()

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
