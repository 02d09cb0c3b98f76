package sigv4

// TEMPORARY: signatures agreed with s3api. The sigv4 implementer replaces this
// file with the real implementation (same exported signatures).

import (
	"errors"
	"io"
	"time"

	"github.com/valyala/fasthttp"
)

var errTODO = errors.New("sigv4: not implemented yet")

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

// Config configures a Verifier.
type Config struct {
	// Region is the region the server answers for (default "us-east-1").
	// Requests signed for another region get AuthorizationHeaderMalformed.
	Region string
	// MaxSkew is the allowed clock difference (default 15 minutes).
	MaxSkew time.Duration
	// MaxPresignExpiry caps X-Amz-Expires (default 7 days).
	MaxPresignExpiry time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// SecretFunc returns the secret key of accessKey, or
// s3err.ErrInvalidAccessKeyID when there is none. accessKey must not be
// retained after the call.
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
}

// Verifier checks AWS Signature Version 4. Safe for concurrent use.
type Verifier struct{}

// NewVerifier returns a Verifier for cfg.
func NewVerifier(cfg Config) *Verifier { return &Verifier{} }

// Verify authenticates req by header or query signature. Errors are
// *s3err.Error values.
func (v *Verifier) Verify(req *fasthttp.Request, secret SecretFunc) (Result, error) {
	return Result{}, errTODO
}

// BodyReader yields the request's payload, verifying as it reads: the signed
// SHA-256, aws-chunked decoding with chunk signatures and trailers, and
// x-amz-checksum-* from header or trailer. Verification failures surface as
// a *s3err.Error from Read (at the latest, in place of io.EOF).
type BodyReader struct{}

// NewBodyReader wraps body (the raw request body stream) for res.
func (v *Verifier) NewBodyReader(res *Result, req *fasthttp.Request, body io.Reader) (*BodyReader, error) {
	return nil, errTODO
}

// Read implements io.Reader.
func (b *BodyReader) Read(p []byte) (int, error) { return 0, errTODO }

// DecodedLength is the payload's length (x-amz-decoded-content-length for
// aws-chunked, else Content-Length), or -1 when unknown.
func (b *BodyReader) DecodedLength() int64 { return -1 }

// Checksum returns the verified x-amz-checksum algorithm (upper case, e.g.
// "CRC32C") and base64 value after the body was read to EOF, or "", "".
func (b *BodyReader) Checksum() (algorithm, value string) { return "", "" }
