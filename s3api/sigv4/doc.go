// Package sigv4 owns AWS Signature Version 4 verification for the S3 and STS
// endpoints: the Authorization header, presigned URLs (query-string
// authentication), the signed payload hash, aws-chunked streaming bodies with
// chunk and trailer signatures, and x-amz-checksum-* checks on the body.
//
// Verify authenticates a *fasthttp.Request from its headers and raw request
// URI and returns a Result; NewBodyReader then wraps the request body in an
// io.Reader chain that decodes aws-chunked framing and verifies, as it reads,
// every chunk signature, the trailer signature, the signed SHA-256 of the
// payload and the declared x-amz-checksum-*. All failures are *s3err.Error
// values from the one S3 error table.
//
// The canonical request is built the way Amazon S3 builds it: the canonical
// URI is the raw request path percent-decoded once and re-encoded per RFC
// 3986 (S3 does not double-encode), the canonical query string is sorted by
// encoded name then value, and header values are trimmed with inner runs of
// spaces collapsed.
//
// Hot path: verifying a header-signed request with a cached signing key does
// not allocate (excluding what the SecretFunc does). Derived signing keys
// are cached per access key, secret, date, region and service in a bounded
// sharded map. Scratch space comes from a sync.Pool.
//
// A Verifier is safe for concurrent use. A BodyReader belongs to one request
// and one goroutine. Bytes a BodyReader returns before an error are not
// trusted: a caller must discard everything it read when Read fails, since
// a chunk's signature is checked when the chunk ends and the payload hash
// and checksums at EOF.
package sigv4
