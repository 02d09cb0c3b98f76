package sigv4

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"hash"
	"io"
	"strconv"

	"github.com/tessera-s3/tessera/s3api/checksum"
	"github.com/tessera-s3/tessera/s3api/s3err"
	"github.com/valyala/fasthttp"
)

var (
	errMultipleChecksums = s3err.ErrInvalidRequest.WithMessage("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	errSDKAlgInvalid     = s3err.ErrInvalidRequest.WithMessage("Value for x-amz-sdk-checksum-algorithm header is invalid.")
	errSDKAlgNoValue     = s3err.ErrInvalidRequest.WithMessage("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
	errSDKAlgMismatch    = s3err.ErrInvalidRequest.WithMessage("Value for x-amz-sdk-checksum-algorithm header does not match the x-amz-checksum-* header or x-amz-trailer.")
	errTrailerHeader     = s3err.ErrInvalidRequest.WithMessage("The value specified in the x-amz-trailer header is not supported")
	errTrailerNotAllowed = s3err.ErrInvalidRequest.WithMessage("x-amz-trailer requires x-amz-content-sha256 STREAMING-UNSIGNED-PAYLOAD-TRAILER or STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER.")
	errDecodedLength     = s3err.ErrInvalidArgument.WithMessage("x-amz-decoded-content-length must be a non-negative integer.")
	errPayloadLength     = s3err.ErrIncompleteBody
	errStreamingAnon     = s3err.ErrInvalidRequest.WithMessage("Signed streaming payloads need a header-signed request.")
)

// BodyReader yields the request's payload, verifying as it reads: the signed
// SHA-256, aws-chunked decoding with chunk signatures and trailers, and
// x-amz-checksum-* from header or trailer. Verification failures surface as
// a *s3err.Error from Read (at the latest, in place of io.EOF). Callers
// must read to io.EOF (as io.Copy does): the final chunk, the trailer and
// the payload hash and checksum are checked only there, so reading exactly
// DecodedLength bytes is not enough. A BodyReader is for one goroutine;
// everything read before an error must be discarded.
type BodyReader struct {
	top      io.Reader
	chunked  *chunkedReader
	sum      *checksumReader
	declared int64
	err      error
}

// bodyHeaders are the headers NewBodyReader reads.
type bodyHeaders struct {
	contentEncoding []byte
	decodedLength   []byte
	trailer         []byte
	sdkAlgorithm    []byte
	checksumAlg     checksum.Algorithm
	checksumValue   []byte
	checksumCount   int
}

func (h *bodyHeaders) collect(req *fasthttp.Request) {
	for k, v := range req.Header.All() {
		switch {
		case equalFold(k, "content-encoding"):
			h.contentEncoding = v
		case equalFold(k, "x-amz-decoded-content-length"):
			h.decodedLength = v
		case equalFold(k, "x-amz-trailer"):
			h.trailer = v
		case equalFold(k, "x-amz-sdk-checksum-algorithm"):
			h.sdkAlgorithm = v
		default:
			if alg := checksum.FromHeader(k); alg != checksum.None {
				h.checksumAlg, h.checksumValue = alg, v
				h.checksumCount++
			}
		}
	}
}

// NewBodyReader wraps body (the raw request body stream) for res.
func (v *Verifier) NewBodyReader(res *Result, req *fasthttp.Request, body io.Reader) (*BodyReader, error) {
	var hd bodyHeaders
	hd.collect(req)
	if hd.checksumCount > 1 {
		return nil, errMultipleChecksums
	}

	b := &BodyReader{declared: -1}
	mode := res.Mode
	if mode.Streaming() {
		if len(hd.decodedLength) != 0 {
			n, err := strconv.ParseInt(string(trimSpace(hd.decodedLength)), 10, 64)
			if err != nil || n < 0 {
				return nil, errDecodedLength
			}
			b.declared = n
		}
	} else if n := req.Header.ContentLength(); n >= 0 {
		b.declared = int64(n)
	}

	// The checksum: from a header, or declared by x-amz-trailer.
	trailerAlg := checksum.None
	if len(hd.trailer) != 0 {
		if mode != PayloadStreamingSignedTrailer && mode != PayloadStreamingUnsignedTrailer {
			return nil, errTrailerNotAllowed
		}
		alg, err := parseTrailerHeader(hd.trailer)
		if err != nil {
			return nil, err
		}
		trailerAlg = alg
	}
	if trailerAlg != checksum.None && hd.checksumAlg != checksum.None {
		return nil, errMultipleChecksums
	}
	alg := hd.checksumAlg
	if trailerAlg != checksum.None {
		alg = trailerAlg
	}
	if len(hd.sdkAlgorithm) != 0 {
		sdk := checksum.ParseAlgorithmBytes(trimSpace(hd.sdkAlgorithm))
		switch {
		case sdk == checksum.None:
			return nil, errSDKAlgInvalid
		case alg == checksum.None:
			return nil, errSDKAlgNoValue
		case sdk != alg:
			return nil, errSDKAlgMismatch
		}
	}
	var want []byte
	if hd.checksumAlg != checksum.None {
		var err error
		want, err = checksum.AppendDecode(nil, hd.checksumAlg, trimSpace(hd.checksumValue))
		if err != nil {
			return nil, invalidChecksum(hd.checksumAlg)
		}
	}

	// The chain: [aws-chunked decoder | SHA-256 check] -> [checksum].
	var r io.Reader = body
	switch mode {
	case PayloadStreamingSigned, PayloadStreamingSignedTrailer:
		if res.Anonymous || res.Presigned {
			return nil, errStreamingAnon
		}
		b.chunked = newChunkedReader(body, newChunkSigner(res), mode == PayloadStreamingSignedTrailer, b.declared, trailerAlg)
		r = b.chunked
	case PayloadStreamingUnsignedTrailer:
		b.chunked = newChunkedReader(body, nil, true, b.declared, trailerAlg)
		r = b.chunked
	case PayloadSigned:
		r = newHashReader(body, &res.payloadHash, b.declared)
	}
	if alg != checksum.None {
		b.sum = newChecksumReader(r, alg, want, b.chunked)
		r = b.sum
	}
	b.top = r
	return b, nil
}

// parseTrailerHeader parses x-amz-trailer: one x-amz-checksum-* name
// (S3 supports no other trailer).
func parseTrailerHeader(v []byte) (checksum.Algorithm, error) {
	alg := checksum.None
	for _, name := range bytes.Split(v, []byte{','}) {
		name = trimSpace(name)
		if len(name) == 0 {
			continue
		}
		a := checksum.FromHeader(name)
		if a == checksum.None {
			return checksum.None, errTrailerHeader
		}
		if alg != checksum.None {
			return checksum.None, errMultipleChecksums
		}
		alg = a
	}
	if alg == checksum.None {
		return checksum.None, errTrailerHeader
	}
	return alg, nil
}

func invalidChecksum(alg checksum.Algorithm) error {
	return s3err.ErrInvalidChecksum.WithMessage("Value for " + alg.HeaderName() + " header is invalid.")
}

// Read implements io.Reader.
func (b *BodyReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.top.Read(p)
	if err != nil {
		b.err = err
	}
	return n, err
}

// DecodedLength is the payload's length (x-amz-decoded-content-length for
// aws-chunked, else Content-Length), or -1 when unknown.
func (b *BodyReader) DecodedLength() int64 { return b.declared }

// Checksum returns the verified x-amz-checksum algorithm (upper case, e.g.
// "CRC32C") and base64 value after the body was read to EOF, or "", "".
func (b *BodyReader) Checksum() (algorithm, value string) {
	if b.sum == nil || !b.sum.verified {
		return "", ""
	}
	return b.sum.alg.String(), b.sum.value
}

// hashReader checks the SHA-256 of a PayloadSigned body (and its length
// against Content-Length) at EOF.
type hashReader struct {
	src      io.Reader
	h        hash.Hash
	want     [32]byte
	n        int64
	declared int64
}

func newHashReader(src io.Reader, want *[32]byte, declared int64) *hashReader {
	return &hashReader{src: src, h: sha256.New(), want: *want, declared: declared}
}

func (r *hashReader) Read(p []byte) (int, error) {
	n, err := r.src.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	if err == io.EOF {
		if r.declared >= 0 && r.n != r.declared {
			return n, errPayloadLength
		}
		var sum [32]byte
		r.h.Sum(sum[:0])
		if subtle.ConstantTimeCompare(sum[:], r.want[:]) != 1 {
			return n, s3err.ErrXAmzContentSHA256Mismatch
		}
	}
	return n, err
}

// checksumReader computes an x-amz-checksum-* algorithm over the payload
// and compares it at EOF with the header value, or with the trailer value
// the chunked decoder collected.
type checksumReader struct {
	src      io.Reader
	alg      checksum.Algorithm
	h        hash.Hash
	want     []byte         // from the header; nil when from the trailer
	trailer  *chunkedReader // source of the trailer value
	verified bool
	value    string
}

func newChecksumReader(src io.Reader, alg checksum.Algorithm, want []byte, trailer *chunkedReader) *checksumReader {
	return &checksumReader{src: src, alg: alg, h: checksum.New(alg), want: want, trailer: trailer}
}

func (r *checksumReader) Read(p []byte) (int, error) {
	n, err := r.src.Read(p)
	r.h.Write(p[:n])
	if err == io.EOF && !r.verified {
		if cerr := r.check(); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

func (r *checksumReader) check() error {
	want := r.want
	if want == nil {
		if r.trailer == nil {
			return errTrailerMissing
		}
		alg, v, ok := r.trailer.trailerChecksum()
		if alg != r.alg {
			return errTrailerMissing
		}
		var err error
		if want, err = checksum.AppendDecode(nil, alg, v); err != nil || !ok {
			return invalidChecksum(alg)
		}
	}
	var buf [checksum.MaxSize]byte
	got := r.h.Sum(buf[:0])
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return s3err.ErrXAmzContentChecksumMismatch.WithMessage("The " + r.alg.String() + " you specified did not match the calculated checksum.")
	}
	r.verified = true
	r.value = checksum.Encode(got)
	return nil
}
