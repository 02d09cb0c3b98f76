package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"time"

	"github.com/tessera-s3/tessera/s3api/s3err"
	"github.com/valyala/fasthttp"
)

// PayloadMode says how the request body is protected.
type PayloadMode uint8

const (
	// PayloadNone: no body expected or anonymous request.
	PayloadNone PayloadMode = iota
	// PayloadUnsigned: x-amz-content-sha256: UNSIGNED-PAYLOAD (or presigned).
	PayloadUnsigned
	// PayloadSigned: x-amz-content-sha256 is the hex SHA-256 of the body.
	PayloadSigned
	// PayloadStreamingSigned: STREAMING-AWS4-HMAC-SHA256-PAYLOAD.
	PayloadStreamingSigned
	// PayloadStreamingSignedTrailer: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER.
	PayloadStreamingSignedTrailer
	// PayloadStreamingUnsignedTrailer: STREAMING-UNSIGNED-PAYLOAD-TRAILER.
	PayloadStreamingUnsignedTrailer
)

// The x-amz-content-sha256 values naming a mode.
const (
	unsignedPayload                 = "UNSIGNED-PAYLOAD"
	streamingSignedPayload          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedPayloadTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingECDSAPayload           = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
	streamingECDSAPayloadTrailer    = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
)

// String returns the x-amz-content-sha256 form of m ("UNSIGNED-PAYLOAD",
// "STREAMING-..."), "SIGNED" for PayloadSigned and "NONE" for PayloadNone.
func (m PayloadMode) String() string {
	switch m {
	case PayloadNone:
		return "NONE"
	case PayloadUnsigned:
		return unsignedPayload
	case PayloadSigned:
		return "SIGNED"
	case PayloadStreamingSigned:
		return streamingSignedPayload
	case PayloadStreamingSignedTrailer:
		return streamingSignedPayloadTrailer
	case PayloadStreamingUnsignedTrailer:
		return streamingUnsignedPayloadTrailer
	}
	return "PayloadMode(?)"
}

// Streaming reports whether the body is aws-chunked encoded.
func (m PayloadMode) Streaming() bool {
	return m == PayloadStreamingSigned || m == PayloadStreamingSignedTrailer || m == PayloadStreamingUnsignedTrailer
}

// SecretFunc returns the secret key of accessKey, or
// s3err.ErrInvalidAccessKeyID when there is none. accessKey must not be
// retained after the call. Any other error is returned from Verify as is.
type SecretFunc func(accessKey []byte) (secret string, err error)

// Result is what Verify learned about the request.
type Result struct {
	// Anonymous is true when the request carries no signature at all.
	Anonymous bool
	// Presigned is true for query-string (presigned URL) authentication.
	Presigned bool
	// AccessKey is the signer's access key.
	AccessKey string
	// Service is the credential scope's service ("s3", "sts").
	Service string
	// SecurityToken is X-Amz-Security-Token (header or query), if any.
	SecurityToken string
	// Mode is the body's protection.
	Mode PayloadMode
	// Time is the signing time (x-amz-date, Date or X-Amz-Date), zero for
	// anonymous requests.
	Time time.Time

	// What the BodyReader needs to verify the body.
	amzDate     [16]byte // the request time as used in the string to sign
	region      string
	seed        [32]byte // the request's signature
	key         [32]byte // the signing key
	payloadHash [32]byte // PayloadSigned: the expected SHA-256
}

// Verifier checks AWS Signature Version 4. Safe for concurrent use.
type Verifier struct {
	cfg    Config
	region []byte
	keys   *keyCache
}

// NewVerifier returns a Verifier for cfg. Zero fields take their
// DefaultConfig values; NewVerifier panics when the result does not pass
// Config.Validate (validate configuration at startup).
func NewVerifier(cfg Config) *Verifier {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	return &Verifier{
		cfg:    cfg,
		region: []byte(cfg.Region),
		keys:   newKeyCache(cfg.KeyCacheSize),
	}
}

// Config returns the Verifier's configuration with defaults applied.
func (v *Verifier) Config() Config { return v.cfg }

// Errors with AWS's wording, made once.
var (
	errMissingContentSHA256 = s3err.ErrInvalidRequest.WithMessage("Missing required header for this request: x-amz-content-sha256")
	errBadContentSHA256     = s3err.ErrInvalidArgument.WithMessage("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")
	errSigV4a               = s3err.ErrNotImplemented.WithMessage("AWS Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not implemented.")
	errMultipleAuth         = s3err.ErrInvalidArgument.WithMessage("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	errCredentialDate       = s3err.ErrAuthorizationHeaderMalformed.WithMessage("The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.")
	errStreamingNeedsHeader = s3err.ErrInvalidRequest.WithMessage("Streaming (aws-chunked) payloads require Authorization header signing with service s3.")
	errHeadersNotSigned     = s3err.ErrAccessDenied.WithMessage("There were headers present in the request which were not signed")
)

// Verify authenticates req by header or query signature. Errors are
// *s3err.Error values, or whatever secret returned.
//
// A request with neither an Authorization header nor X-Amz-Algorithm,
// X-Amz-Credential or X-Amz-Signature in its query is anonymous: Verify
// returns Result{Anonymous: true} and no error. Every x-amz-* header of a
// header-signed request must be signed, as S3 requires.
func (v *Verifier) Verify(req *fasthttp.Request, secret SecretFunc) (Result, error) {
	s := getScratch()
	defer putScratch(s)

	var hd reqHeaders
	hd.collect(req)
	path, query := splitRequestURI(req.Header.RequestURI())
	s.parseQuery(query)
	presign := s.hasPresignParams()

	switch {
	case len(hd.authorization) == 0 && !presign:
		if s.hasV2PresignParams() {
			return Result{}, s3err.ErrUnsupportedSignature
		}
		return v.anonymous(&hd)
	case len(hd.authorization) != 0 && presign:
		return Result{}, errMultipleAuth
	case presign:
		return v.verifyPresigned(s, req, &hd, path, secret)
	}
	return v.verifyHeader(s, req, &hd, path, secret)
}

func (v *Verifier) anonymous(hd *reqHeaders) (Result, error) {
	res := Result{Anonymous: true}
	if len(hd.contentSHA256) == 0 {
		return res, nil
	}
	mode, err := parseMode(hd.contentSHA256, &res.payloadHash)
	if err != nil {
		return Result{}, err
	}
	if mode == PayloadStreamingSigned || mode == PayloadStreamingSignedTrailer {
		return Result{}, errStreamingNeedsHeader
	}
	res.Mode = mode
	return res, nil
}

func (v *Verifier) verifyHeader(s *scratch, req *fasthttp.Request, hd *reqHeaders, path []byte, secret SecretFunc) (Result, error) {
	var a authHeader
	if err := parseAuthorization(hd.authorization, &a); err != nil {
		return Result{}, err
	}
	if !bytes.Equal(a.cred.region, v.region) {
		return Result{}, s3err.ErrAuthorizationHeaderMalformed.WithMessage(
			"The authorization header is malformed; the region '" + clip(a.cred.region) + "' is wrong; expecting '" + v.cfg.Region + "'")
	}

	var res Result
	t, err := v.requestTime(hd, &res.amzDate)
	if err != nil {
		return Result{}, err
	}
	if err := v.checkSkew(t); err != nil {
		return Result{}, err
	}
	if !bytes.Equal(a.cred.date, res.amzDate[:8]) {
		return Result{}, errCredentialDate
	}
	if err := checkSignedHeaders(req, a.signedHeaders); err != nil {
		return Result{}, err
	}
	if len(hd.amzDate) == 0 && !listHas(a.signedHeaders, "date") {
		return Result{}, errDateNotSigned
	}

	// The payload line of the canonical request.
	payload := hd.contentSHA256
	switch {
	case len(payload) != 0:
		if res.Mode, err = parseMode(payload, &res.payloadHash); err != nil {
			return Result{}, err
		}
		if res.Mode.Streaming() && a.cred.service != serviceS3 {
			return Result{}, errStreamingNeedsHeader
		}
	case a.cred.service == serviceSTS:
		// STS clients sign form POSTs with the body hash and do not send
		// the header: hash the in-memory body.
		body, err := stsBody(req)
		if err != nil {
			return Result{}, err
		}
		res.payloadHash = sha256.Sum256(body)
		hex.Encode(s.hexbuf[:], res.payloadHash[:])
		payload = s.hexbuf[:]
		res.Mode = PayloadSigned
	default:
		return Result{}, errMissingContentSHA256
	}

	sec, err := secret(a.cred.accessKey)
	if err != nil {
		return Result{}, err
	}
	k := v.keys.get(&a.cred, sec)

	s.canon = s.appendCanonicalRequest(s.canon[:0], req, path, false, a.signedHeaders, payload)
	if !s.signatureMatches(k, res.amzDate[:], a.cred.scope, &a.signature) {
		return Result{}, s3err.ErrSignatureDoesNotMatch
	}

	res.AccessKey = k.accessKey
	res.Service = a.cred.service
	res.SecurityToken = k.internToken(hd.securityToken)
	res.Time = t
	res.region = v.cfg.Region
	res.seed = a.signature
	res.key = k.key
	return res, nil
}

// MaxSTSBody bounds the body Verify reads to hash an STS request that has
// no x-amz-content-sha256 header, in bytes.
const MaxSTSBody = 256 << 10

var errSTSBodyTooBig = s3err.ErrMaxMessageLengthExceeded.WithMessage("The STS request body is larger than 262144 bytes.")

// stsBody returns the request body, reading a streamed body (at most
// MaxSTSBody bytes) into the request so that the handler finds it there.
func stsBody(req *fasthttp.Request) ([]byte, error) {
	if !req.IsBodyStream() {
		if b := req.Body(); len(b) <= MaxSTSBody {
			return b, nil
		}
		return nil, errSTSBodyTooBig
	}
	data, err := io.ReadAll(io.LimitReader(req.BodyStream(), MaxSTSBody+1))
	if err != nil {
		return nil, s3err.ErrIncompleteBody
	}
	if len(data) > MaxSTSBody {
		return nil, errSTSBodyTooBig
	}
	req.SetBody(data)
	return req.Body(), nil
}

// signatureMatches builds the string to sign over s.canon and compares its
// HMAC under k with sig in constant time.
func (s *scratch) signatureMatches(k *signingKey, amzDate, scope []byte, sig *[32]byte) bool {
	sum := sha256.Sum256(s.canon)
	hex.Encode(s.hexbuf[:], sum[:])
	s.sts = append(s.sts[:0], "AWS4-HMAC-SHA256\n"...)
	s.sts = append(s.sts, amzDate...)
	s.sts = append(s.sts, '\n')
	s.sts = append(s.sts, scope...)
	s.sts = append(s.sts, '\n')
	s.sts = append(s.sts, s.hexbuf[:]...)
	mac := s.mac.sum(&k.key, s.sts)
	return hmac.Equal(mac[:], sig[:])
}

// requestTime returns the request's time from x-amz-date (or Date) and
// writes its ISO 8601 basic form to amzDate.
func (v *Verifier) requestTime(hd *reqHeaders, amzDate *[16]byte) (time.Time, error) {
	if len(hd.amzDate) != 0 {
		t, ok := parseAmzDate(hd.amzDate)
		if !ok {
			return time.Time{}, s3err.ErrMalformedDate
		}
		copy(amzDate[:], hd.amzDate)
		return t, nil
	}
	if len(hd.date) == 0 {
		return time.Time{}, s3err.ErrMalformedDate
	}
	t, err := http.ParseTime(string(hd.date))
	if err != nil {
		return time.Time{}, s3err.ErrMalformedDate
	}
	t = t.UTC()
	t.AppendFormat(amzDate[:0], amzDateLayout)
	return t, nil
}

func (v *Verifier) checkSkew(t time.Time) error {
	d := v.cfg.Now().Sub(t)
	if d > v.cfg.MaxSkew || d < -v.cfg.MaxSkew {
		return s3err.ErrRequestTimeTooSkewed
	}
	return nil
}

const amzDateLayout = "20060102T150405Z"

// parseAmzDate parses "yyyymmddThhmmssZ" without allocating.
func parseAmzDate(b []byte) (time.Time, bool) {
	if len(b) != 16 || b[8] != 'T' || b[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(p []byte) int {
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d := num(b[0:4]), num(b[4:6]), num(b[6:8])
	h, mi, sec := num(b[9:11]), num(b[11:13]), num(b[13:15])
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	if t.Day() != d { // 31 April and the like
		return time.Time{}, false
	}
	return t, true
}

// parseMode classifies an x-amz-content-sha256 value; for a hash it
// decodes it into sum.
func parseMode(v []byte, sum *[32]byte) (PayloadMode, error) {
	switch string(v) {
	case unsignedPayload:
		return PayloadUnsigned, nil
	case streamingSignedPayload:
		return PayloadStreamingSigned, nil
	case streamingSignedPayloadTrailer:
		return PayloadStreamingSignedTrailer, nil
	case streamingUnsignedPayloadTrailer:
		return PayloadStreamingUnsignedTrailer, nil
	case streamingECDSAPayload, streamingECDSAPayloadTrailer:
		return 0, errSigV4a
	}
	if len(v) == 64 {
		if _, err := hex.Decode(sum[:], v); err == nil {
			return PayloadSigned, nil
		}
	}
	return 0, errBadContentSHA256
}

// checkSignedHeaders enforces that host and every x-amz-* header present
// are signed.
func checkSignedHeaders(req *fasthttp.Request, signed []byte) error {
	if !listHas(signed, "host") {
		return errHostNotSigned
	}
	for k := range req.Header.All() {
		if len(k) > 6 && equalFold(k[:6], "x-amz-") && !listHas(signed, k) {
			return errHeadersNotSigned
		}
	}
	return nil
}

var errDateNotSigned = s3err.ErrAccessDenied.WithMessage("There were headers present in the request which were not signed: date")

var errHostNotSigned = s3err.ErrAccessDenied.WithMessage("There were headers present in the request which were not signed: host")

// listHas reports whether the ';'-separated list has name (ASCII case
// insensitive).
func listHas[T string | []byte](list []byte, name T) bool {
	for len(list) > 0 {
		i := bytes.IndexByte(list, ';')
		var tok []byte
		if i < 0 {
			tok, list = list, nil
		} else {
			tok, list = list[:i], list[i+1:]
		}
		if equalFold(tok, name) {
			return true
		}
	}
	return false
}

// reqHeaders are the headers Verify reads, found in one pass.
type reqHeaders struct {
	authorization []byte
	amzDate       []byte
	date          []byte
	contentSHA256 []byte
	securityToken []byte
}

func (h *reqHeaders) collect(req *fasthttp.Request) {
	for k, v := range req.Header.All() {
		switch len(k) {
		case len("authorization"):
			if equalFold(k, "authorization") {
				h.authorization = v
			}
		case len("x-amz-date"):
			if equalFold(k, "x-amz-date") {
				h.amzDate = v
			}
		case len("date"):
			if equalFold(k, "date") {
				h.date = v
			}
		case len("x-amz-content-sha256"): // == len("x-amz-security-token")
			if equalFold(k, "x-amz-content-sha256") {
				h.contentSHA256 = v
			} else if equalFold(k, "x-amz-security-token") {
				h.securityToken = v
			}
		}
	}
}

// equalFold compares ASCII case-insensitively; b is usually the header
// name as fasthttp normalized it.
func equalFold[A, B string | []byte](a A, b B) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// clip bounds attacker-chosen text quoted in error messages.
func clip(b []byte) string {
	const max = 64
	if len(b) > max {
		b = b[:max]
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			c = '?'
		}
		out = append(out, c)
	}
	return string(out)
}
