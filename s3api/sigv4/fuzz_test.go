package sigv4

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/s3api/checksum"
	"github.com/tessera-s3/tessera/s3api/s3err"
	"github.com/valyala/fasthttp"
)

func isS3Err(err error) bool {
	var e *s3err.Error
	return errors.As(err, &e)
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" + docSig)
	f.Add("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=" + docSig)
	f.Add("AWS4-HMAC-SHA256  Signature=" + docSig + " ,SignedHeaders=host,Credential=a/b/c/d/e/f/20130524/r/s3/aws4_request")
	f.Add("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=")
	f.Add("AWS4-ECDSA-P256-SHA256 Credential=x")
	f.Add("AWS4-HMAC-SHA256 Credential=,SignedHeaders=;,Signature==")
	f.Fuzz(func(t *testing.T, h string) {
		var a authHeader
		err := parseAuthorization([]byte(h), &a)
		if err != nil {
			if !isS3Err(err) {
				t.Fatalf("non-S3 error %v", err)
			}
			return
		}
		if a.cred.service != serviceS3 && a.cred.service != serviceSTS || len(a.cred.date) != 8 || len(a.cred.accessKey) == 0 ||
			!validSignedHeaders(a.signedHeaders) || !bytes.HasSuffix(a.cred.raw, a.cred.scope) {
			t.Fatalf("inconsistent parse of %q: %+v", h, a)
		}
		// Rendering the parse canonically parses to the same thing.
		re := "AWS4-HMAC-SHA256 Credential=" + string(a.cred.raw) + ", SignedHeaders=" + string(a.signedHeaders) + ", Signature=" + hex.EncodeToString(a.signature[:])
		var b authHeader
		if err := parseAuthorization([]byte(re), &b); err != nil {
			t.Fatalf("re-rendered %q: %v", re, err)
		}
		if !bytes.Equal(a.cred.raw, b.cred.raw) || !bytes.Equal(a.signedHeaders, b.signedHeaders) || a.signature != b.signature {
			t.Fatalf("re-parse differs: %+v vs %+v", a, b)
		}
	})
}

// fuzzChunked is what FuzzChunkedReader decodes against: a request per
// streaming mode (signed by the SDK's signer, 300 payload bytes), its
// Result, and a valid body to seed the corpus with. Seeds stay small so
// that the fuzzer can minimize quickly.
type fuzzChunked struct {
	req  *fasthttp.Request
	res  Result
	body []byte
}

const fuzzPayload = 300

func newFuzzChunked(t testing.TB, v *Verifier) [3]fuzzChunked {
	var out [3]fuzzChunked
	data := payloadOf(fuzzPayload)
	crc := [][2]string{{"x-amz-checksum-crc32", checksum.Encode(checksum.Sum(checksum.CRC32, data))}}
	for i, mode := range []string{streamingSignedPayload, streamingSignedPayloadTrailer, streamingUnsignedPayloadTrailer} {
		o := encodeOpts{chunkSize: 128, signer: stubSigner(i < 2), trailer: i > 0}
		hdr := ""
		if o.trailer {
			o.trailers, hdr = crc, crc[0][0]
		}
		req, signer := streamingRequest(t, mode, fuzzPayload, hdr, encodeAWSChunked(data, o))
		if o.signer != nil {
			o.signer = signer
		}
		res, err := v.Verify(req, secrets(sdkAccessKey, sdkSecret))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = fuzzChunked{req: req, res: res, body: encodeAWSChunked(data, o)}
	}
	return out
}

func FuzzChunkedReader(f *testing.F) {
	v := NewVerifier(Config{Now: func() time.Time { return sdkNow }})
	setup := newFuzzChunked(f, v)
	for i, s := range setup {
		f.Add(s.body, uint8(i), uint16(64))
		f.Add(s.body, uint8(i), uint16(1))
		f.Add(bytes.Replace(s.body, []byte("\r\n"), []byte(" ;x=y\r\n"), 1), uint8(i), uint16(100))
		f.Add(s.body[:len(s.body)/2], uint8(i), uint16(7))
	}
	f.Add([]byte("0\r\n\r\n"), uint8(2), uint16(1))
	f.Add([]byte("0;chunk-signature="+docSig+"\r\n\r\n"), uint8(0), uint16(1))
	f.Add([]byte("fffffffffff\r\n"), uint8(2), uint16(1))
	f.Add([]byte("12c\r\n"), uint8(2), uint16(1000))
	f.Fuzz(func(t *testing.T, body []byte, mode uint8, readSize uint16) {
		s := setup[mode%3]
		res := s.res
		br, err := v.NewBodyReader(&res, s.req, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, int(readSize)%70000+1)
		total := 0
		for {
			n, err := br.Read(buf)
			if n < 0 || n > len(buf) {
				t.Fatalf("Read returned %d", n)
			}
			total += n
			if err == io.EOF {
				break
			}
			if err != nil {
				if !isS3Err(err) {
					t.Fatalf("non-S3 error %v", err)
				}
				if br.chunked.buf != nil {
					t.Fatal("buffer not released after an error")
				}
				return
			}
		}
		if total > len(body) {
			t.Fatalf("decoded %d bytes from %d", total, len(body))
		}
		if total != fuzzPayload {
			t.Fatalf("EOF after %d bytes, x-amz-decoded-content-length is %d", total, fuzzPayload)
		}
		if mode%3 != 0 {
			if alg, _ := br.Checksum(); alg != "CRC32" {
				t.Fatal("EOF without a verified trailer checksum")
			}
		}
	})
}

func FuzzPresignQuery(f *testing.F) {
	v := docVerifier(docTime.Add(time.Hour))
	ok := secrets(docAccessKey, docSecret)
	const docQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	f.Add(docQuery)
	f.Add(docQuery + "&X-Amz-Security-Token=abc%2B%2F&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD")
	f.Add("X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=a")
	f.Add("X-Amz-Signature=&X-Amz-Expires=-1&X-Amz-Date=%zz&&=&%")
	f.Add("X-Amz-Credential=a%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Expires=" + strconv.Itoa(1<<40))
	f.Fuzz(func(t *testing.T, q string) {
		req := parseRequest(t, "GET /test.txt HTTP/1.1\nHost: examplebucket.s3.amazonaws.com", nil)
		req.Header.SetRequestURI("/test.txt?" + q)
		res, err := v.Verify(req, ok)
		if err != nil {
			if !isS3Err(err) {
				t.Fatalf("non-S3 error %v", err)
			}
			return
		}
		if !res.Anonymous && (!res.Presigned || res.AccessKey != docAccessKey) {
			t.Fatalf("query %q verified as %+v", q, res)
		}
	})
}
