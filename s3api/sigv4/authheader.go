package sigv4

import (
	"bytes"
	"encoding/hex"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

// The services a credential scope may name.
const (
	serviceS3  = "s3"
	serviceSTS = "sts"
)

const (
	algHMAC  = "AWS4-HMAC-SHA256"
	algECDSA = "AWS4-ECDSA-P256-SHA256"
	terminal = "aws4_request"
)

// credential is a parsed "AK/yyyymmdd/region/service/aws4_request". The
// slices alias the request.
type credential struct {
	raw       []byte // the whole value; the signing-key cache key
	accessKey []byte
	date      []byte
	region    []byte
	service   string // serviceS3 or serviceSTS
	scope     []byte // "yyyymmdd/region/service/aws4_request"
}

// authHeader is a parsed Authorization header.
type authHeader struct {
	cred          credential
	signedHeaders []byte
	signature     [32]byte
}

const credentialShape = `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`

// parseCredential fills c from v and returns "" or the reason v is
// malformed, in AWS's wording.
func parseCredential(v []byte, c *credential) string {
	// Split from the right: the access key is everything before the four
	// scope fields.
	var parts [4][]byte
	rest := v
	for i := 3; i >= 0; i-- {
		j := bytes.LastIndexByte(rest, '/')
		if j < 0 {
			return credentialShape
		}
		parts[i], rest = rest[j+1:], rest[:j]
	}
	if len(rest) == 0 || len(parts[1]) == 0 {
		return credentialShape
	}
	date, region, service, term := parts[0], parts[1], parts[2], parts[3]
	if len(date) != 8 || !allDigits(date) {
		return `incorrect date format "` + clip(date) + `". This date in the credential must be in the format "yyyyMMdd".`
	}
	if string(term) != terminal {
		return `incorrect terminal "` + clip(term) + `". This endpoint uses "aws4_request".`
	}
	switch string(service) {
	case serviceS3:
		c.service = serviceS3
	case serviceSTS:
		c.service = serviceSTS
	default:
		return `incorrect service "` + clip(service) + `". This endpoint belongs to "s3".`
	}
	c.raw = v
	c.accessKey = rest
	c.date = date
	c.region = region
	c.scope = v[len(rest)+1:]
	return ""
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

var (
	errAuthComponents = s3err.ErrAuthorizationHeaderMalformed.WithMessage("The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.")
	errSignedHeaders  = s3err.ErrAuthorizationHeaderMalformed.WithMessage("The authorization header is malformed; SignedHeaders must be a ';'-separated list of lower-case header names.")
)

// parseAuthorization parses an Authorization header value into a. It
// tolerates extra spaces and the three components in any order. It does
// not allocate unless it fails.
func parseAuthorization(h []byte, a *authHeader) error {
	h = trimSpace(h)
	if !bytes.HasPrefix(h, []byte(algHMAC)) || (len(h) > len(algHMAC) && h[len(algHMAC)] != ' ' && h[len(algHMAC)] != '\t') {
		if bytes.HasPrefix(h, []byte(algECDSA)) {
			return errSigV4a
		}
		return s3err.ErrUnsupportedSignature
	}
	rest := h[len(algHMAC):]
	const haveCred, haveSigned, haveSig = 1, 2, 4
	var have int
	for {
		// Skip separators, then take one "Name=value" component.
		for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t' || rest[0] == ',') {
			rest = rest[1:]
		}
		if len(rest) == 0 {
			break
		}
		end := 0
		for end < len(rest) && rest[end] != ',' && rest[end] != ' ' && rest[end] != '\t' {
			end++
		}
		tok := rest[:end]
		rest = rest[end:]
		eq := bytes.IndexByte(tok, '=')
		if eq < 0 {
			return malformedComponent(tok)
		}
		name, val := tok[:eq], tok[eq+1:]
		switch string(name) {
		case "Credential":
			if have&haveCred != 0 {
				return malformedComponent(tok)
			}
			have |= haveCred
			if reason := parseCredential(val, &a.cred); reason != "" {
				return s3err.ErrAuthorizationHeaderMalformed.WithMessage("The authorization header is malformed; " + reason)
			}
		case "SignedHeaders":
			if have&haveSigned != 0 {
				return malformedComponent(tok)
			}
			have |= haveSigned
			if !validSignedHeaders(val) {
				return errSignedHeaders
			}
			a.signedHeaders = val
		case "Signature":
			if have&haveSig != 0 {
				return malformedComponent(tok)
			}
			have |= haveSig
			if !decodeSignature(val, &a.signature) {
				return s3err.ErrSignatureDoesNotMatch
			}
		default:
			return malformedComponent(tok)
		}
	}
	if have != haveCred|haveSigned|haveSig {
		return errAuthComponents
	}
	return nil
}

func malformedComponent(tok []byte) error {
	return s3err.ErrAuthorizationHeaderMalformed.WithMessage(`The authorization header is malformed; the authorization component "` + clip(tok) + `" is malformed.`)
}

// decodeSignature decodes 64 hex digits.
func decodeSignature(v []byte, sig *[32]byte) bool {
	if len(v) != 64 {
		return false
	}
	_, err := hex.Decode(sig[:], v)
	return err == nil
}

// validSignedHeaders accepts a non-empty ';'-separated list of non-empty
// header names made of visible ASCII other than ':' and ';'.
func validSignedHeaders(v []byte) bool {
	if len(v) == 0 || v[0] == ';' || v[len(v)-1] == ';' {
		return false
	}
	prev := byte(0)
	for _, c := range v {
		if c <= ' ' || c >= 0x7f || c == ':' || (c == ';' && prev == ';') {
			return false
		}
		prev = c
	}
	return true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
