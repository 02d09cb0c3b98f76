package sigv4

import (
	"bytes"
	"strconv"
	"time"

	"github.com/tessera-s3/tessera/s3api/s3err"
	"github.com/valyala/fasthttp"
)

var unsignedPayloadBytes = []byte(unsignedPayload)

var (
	errPresignParams   = s3err.ErrAuthorizationQueryParametersError.WithMessage("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
	errPresignAlg      = s3err.ErrAuthorizationQueryParametersError.WithMessage(`X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`)
	errPresignDate     = s3err.ErrAuthorizationQueryParametersError.WithMessage(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`)
	errPresignExpires  = s3err.ErrAuthorizationQueryParametersError.WithMessage("X-Amz-Expires should be a number")
	errPresignNegative = s3err.ErrAuthorizationQueryParametersError.WithMessage("X-Amz-Expires must be non-negative")
	errPresignZero     = s3err.ErrAuthorizationQueryParametersError.WithMessage("X-Amz-Expires must be greater than 0")
	errPresignHeaders  = s3err.ErrAuthorizationQueryParametersError.WithMessage("X-Amz-SignedHeaders must be a ';'-separated list of lower-case header names that includes host.")
	errPresignPayload  = s3err.ErrInvalidArgument.WithMessage("X-Amz-Content-Sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.")
)

// verifyPresigned checks query-string authentication.
func (v *Verifier) verifyPresigned(s *scratch, req *fasthttp.Request, hd *reqHeaders, path []byte, secret SecretFunc) (Result, error) {
	alg, ok1 := s.queryValue("X-Amz-Algorithm")
	credV, ok2 := s.queryValue("X-Amz-Credential")
	dateV, ok3 := s.queryValue("X-Amz-Date")
	expV, ok4 := s.queryValue("X-Amz-Expires")
	signedHeaders, ok5 := s.queryValue("X-Amz-SignedHeaders")
	sigV, ok6 := s.queryValue("X-Amz-Signature")
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return Result{}, errPresignParams
	}
	switch string(alg) {
	case algHMAC:
	case algECDSA:
		return Result{}, errSigV4a
	default:
		return Result{}, errPresignAlg
	}
	var cred credential
	if reason := parseCredential(credV, &cred); reason != "" {
		return Result{}, s3err.ErrAuthorizationQueryParametersError.WithMessage("Error parsing the X-Amz-Credential parameter; " + reason)
	}
	if !bytes.Equal(cred.region, v.region) {
		return Result{}, s3err.ErrAuthorizationQueryParametersError.WithMessage(
			"Error parsing the X-Amz-Credential parameter; the region '" + clip(cred.region) + "' is wrong; expecting '" + v.cfg.Region + "'")
	}
	t, ok := parseAmzDate(dateV)
	if !ok {
		return Result{}, errPresignDate
	}
	if !bytes.Equal(cred.date, dateV[:8]) {
		return Result{}, s3err.ErrAuthorizationQueryParametersError.WithMessage(
			`Invalid credential date "` + clip(cred.date) + `". This date is not the same as X-Amz-Date: "` + clip(dateV[:8]) + `".`)
	}
	expires, err := v.parseExpires(expV)
	if err != nil {
		return Result{}, err
	}
	if !validSignedHeaders(signedHeaders) || !listHas(signedHeaders, "host") {
		return Result{}, errPresignHeaders
	}
	var sig [32]byte
	if !decodeSignature(sigV, &sig) {
		return Result{}, s3err.ErrSignatureDoesNotMatch
	}

	now := v.cfg.Now()
	if t.Sub(now) > v.cfg.MaxSkew {
		return Result{}, s3err.ErrRequestTimeTooSkewed
	}
	if now.After(t.Add(expires)) {
		return Result{}, s3err.ErrExpiredPresignRequest
	}

	res := Result{Presigned: true, Mode: PayloadUnsigned}
	payload := unsignedPayloadBytes
	if ph, ok := s.queryValue("X-Amz-Content-Sha256"); ok {
		mode, err := parseMode(ph, &res.payloadHash)
		if err != nil || (mode != PayloadUnsigned && mode != PayloadSigned) {
			return Result{}, errPresignPayload
		}
		res.Mode, payload = mode, ph
	}

	sec, err := secret(cred.accessKey)
	if err != nil {
		return Result{}, err
	}
	k := v.keys.get(&cred, sec)
	copy(res.amzDate[:], dateV)
	token, _ := s.queryValue("X-Amz-Security-Token")
	if len(token) == 0 {
		token = hd.securityToken
	}

	s.canon = s.appendCanonicalRequest(s.canon[:0], req, path, true, signedHeaders, payload)
	if !s.signatureMatches(k, res.amzDate[:], cred.scope, &sig) {
		return Result{}, s3err.ErrSignatureDoesNotMatch
	}
	res.AccessKey = k.accessKey
	res.Service = cred.service
	res.SecurityToken = k.internToken(token)
	res.Time = t
	res.region = v.cfg.Region
	res.seed = sig
	res.key = k.key
	return res, nil
}

// parseExpires parses X-Amz-Expires (seconds) and bounds it by
// MaxPresignExpiry.
func (v *Verifier) parseExpires(b []byte) (time.Duration, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	switch {
	case err != nil && len(b) > 0 && b[0] == '-' && allDigits(b[1:]) && len(b) > 1:
		return 0, errPresignNegative
	case err != nil:
		return 0, errPresignExpires
	case n < 0:
		return 0, errPresignNegative
	case n == 0:
		return 0, errPresignZero
	}
	max := int64(v.cfg.MaxPresignExpiry / time.Second)
	if n > max {
		if max == 604800 {
			return 0, s3err.ErrPresignTooLong
		}
		return 0, s3err.ErrPresignTooLong.WithMessage("X-Amz-Expires must be less than " + strconv.FormatInt(max, 10) + " seconds")
	}
	return time.Duration(n) * time.Second, nil
}
