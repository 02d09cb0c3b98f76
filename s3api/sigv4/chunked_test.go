package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/s3api/checksum"
	"github.com/valyala/fasthttp"
)

// testChunkSigner signs aws-chunked chunks and trailers the way the SDKs
// do (aws-c-auth, aws-sdk-java-v2, aws-sdk-net), written independently of
// the package's verifier.
type testChunkSigner struct {
	key     []byte
	amzDate string
	scope   string
	prev    string
}

func testHMAC(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func testSigningKey(secret, date, region, service string) []byte {
	return testHMAC(testHMAC(testHMAC(testHMAC([]byte("AWS4"+secret), date), region), service), "aws4_request")
}

func (s *testChunkSigner) next(sts string) string {
	s.prev = hex.EncodeToString(testHMAC(s.key, sts))
	return s.prev
}

func (s *testChunkSigner) chunk(data []byte) string {
	return s.next("AWS4-HMAC-SHA256-PAYLOAD\n" + s.amzDate + "\n" + s.scope + "\n" + s.prev + "\n" + emptySHA256 + "\n" + hashHex(data))
}

func (s *testChunkSigner) trailer(canonical string) string {
	return s.next("AWS4-HMAC-SHA256-TRAILER\n" + s.amzDate + "\n" + s.scope + "\n" + s.prev + "\n" + hashHex([]byte(canonical)))
}

// encodeOpts describes an aws-chunked body to encode.
type encodeOpts struct {
	chunkSize int
	signer    *testChunkSigner // nil: unsigned chunks
	trailer   bool             // a trailer section follows (trailer modes)
	trailers  [][2]string
}

// encodeAWSChunked encodes data as the SDKs do.
func encodeAWSChunked(data []byte, o encodeOpts) []byte {
	var b bytes.Buffer
	for off := 0; ; {
		n := min(o.chunkSize, len(data)-off)
		part := data[off : off+n]
		fmt.Fprintf(&b, "%x", n)
		if o.signer != nil {
			b.WriteString(";chunk-signature=" + o.signer.chunk(part))
		}
		b.WriteString("\r\n")
		if n == 0 {
			break
		}
		b.Write(part)
		b.WriteString("\r\n")
		off += n
	}
	if o.trailer {
		var canon strings.Builder
		for _, kv := range o.trailers {
			b.WriteString(kv[0] + ":" + kv[1] + "\r\n")
			canon.WriteString(kv[0] + ":" + kv[1] + "\n")
		}
		if o.signer != nil {
			b.WriteString("x-amz-trailer-signature:" + o.signer.trailer(canon.String()) + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// streamingRequest signs a PUT with the SDK signer for mode, carrying the
// encoded body, and returns it with a chunk signer seeded from its
// signature.
func streamingRequest(t testing.TB, mode string, decodedLen int, trailer string, encoded []byte) (*fasthttp.Request, *testChunkSigner) {
	t.Helper()
	r := sdkRequest("PUT", "/bucket/chunked", "", encoded)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(decodedLen))
	if trailer != "" {
		r.Header.Set("X-Amz-Trailer", trailer)
	}
	sdkSign(t, r, mode, "s3", "us-east-1", sdkSecret, "", sdkNow)
	_, seed, _ := strings.Cut(r.Header.Get("Authorization"), "Signature=")
	date := sdkNow.Format("20060102")
	return toFast(t, r), &testChunkSigner{
		key:     testSigningKey(sdkSecret, date, "us-east-1", "s3"),
		amzDate: sdkNow.Format(amzDateLayout),
		scope:   date + "/us-east-1/s3/aws4_request",
		prev:    seed,
	}
}

// chunkedCase encodes data for mode, verifies the request and returns the
// BodyReader's output.
func chunkedCase(t testing.TB, mode string, data []byte, o encodeOpts, trailer string, mutate func([]byte) []byte, readSize int) ([]byte, *BodyReader, error) {
	t.Helper()
	v := NewVerifier(Config{Now: func() time.Time { return sdkNow }})
	// Sign once to learn the seed, then encode with it, then sign again
	// with the real Content-Length (the seed does not depend on the body
	// bytes, only on its length, which encoding does not change).
	probe := encodeAWSChunked(data, encodeOpts{chunkSize: o.chunkSize, signer: stubSigner(o.signer != nil), trailer: o.trailer, trailers: o.trailers})
	req, signer := streamingRequest(t, mode, len(data), trailer, probe)
	if o.signer != nil {
		o.signer = signer
	}
	body := encodeAWSChunked(data, o)
	if len(body) != len(probe) {
		t.Fatalf("encoded length changed: %d vs %d", len(body), len(probe))
	}
	if mutate != nil {
		body = mutate(body)
	}
	res, err := v.Verify(req, secrets(sdkAccessKey, sdkSecret))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	br, err := v.NewBodyReader(&res, req, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	out, err := readAllBy(br, readSize)
	return out, br, err
}

// stubSigner returns a signer producing signatures of the right length,
// for computing encoded lengths.
func stubSigner(signed bool) *testChunkSigner {
	if !signed {
		return nil
	}
	return &testChunkSigner{key: []byte("k"), prev: strings.Repeat("0", 64)}
}

func payloadOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func TestChunkedRoundTrip(t *testing.T) {
	modes := []struct {
		mode    string
		signed  bool
		trailer bool
	}{
		{streamingSignedPayload, true, false},
		{streamingSignedPayloadTrailer, true, true},
		{streamingUnsignedPayloadTrailer, false, true},
	}
	for _, m := range modes {
		for _, size := range []int{0, 1, 8191, 8192, 100000} {
			for _, chunk := range []int{1 << 10, 8 << 10, 64 << 10} {
				if size/chunk > 200 {
					continue
				}
				for _, alg := range []checksum.Algorithm{checksum.None, checksum.CRC32C, checksum.CRC64NVME, checksum.SHA256} {
					if alg != checksum.None && !m.trailer {
						continue
					}
					name := fmt.Sprintf("%s/%d/%d/%v", m.mode, size, chunk, alg)
					t.Run(name, func(t *testing.T) {
						data := payloadOf(size)
						o := encodeOpts{chunkSize: chunk, signer: stubSigner(m.signed), trailer: m.trailer}
						hdr := ""
						if alg != checksum.None {
							hdr = alg.HeaderName()
							o.trailers = [][2]string{{hdr, checksum.Encode(checksum.Sum(alg, data))}}
						}
						for _, readSize := range []int{1 << 20, 3} {
							if readSize == 3 && size > 10000 {
								continue
							}
							out, br, err := chunkedCase(t, m.mode, data, o, hdr, nil, readSize)
							if err != nil {
								t.Fatalf("read by %d: %v", readSize, err)
							}
							if !bytes.Equal(out, data) {
								t.Fatalf("read by %d: got %d bytes, want %d", readSize, len(out), len(data))
							}
							gotAlg, gotSum := br.Checksum()
							if alg != checksum.None && (gotAlg != alg.String() || gotSum != o.trailers[0][1]) {
								t.Fatalf("Checksum() = %s %s", gotAlg, gotSum)
							}
							if br.DecodedLength() != int64(size) {
								t.Fatalf("DecodedLength %d", br.DecodedLength())
							}
						}
					})
				}
			}
		}
	}
}

func TestChunkedTolerates(t *testing.T) {
	data := payloadOf(3000)
	crc := checksum.Encode(checksum.Sum(checksum.CRC32, data))
	unsigned := encodeOpts{chunkSize: 1000, trailer: true, trailers: [][2]string{{"x-amz-checksum-crc32", crc}}}
	cases := []struct {
		name   string
		mode   string
		o      encodeOpts
		mutate func([]byte) []byte
	}{
		{"unsigned chunk extension", streamingUnsignedPayloadTrailer, unsigned, func(b []byte) []byte {
			return bytes.Replace(b, []byte("3e8\r\n"), []byte("3e8;ext=1 ; other\r\n"), 1)
		}},
		{"upper-case hex and leading zeros", streamingUnsignedPayloadTrailer, unsigned, func(b []byte) []byte {
			return bytes.Replace(b, []byte("3e8\r\n"), []byte("003E8\r\n"), 2)
		}},
		{"spaces around the size", streamingUnsignedPayloadTrailer, unsigned, func(b []byte) []byte {
			return bytes.Replace(b, []byte("3e8\r\n"), []byte(" 3e8 \r\n"), 1)
		}},
		{"space in trailer", streamingUnsignedPayloadTrailer, unsigned, func(b []byte) []byte {
			return bytes.Replace(b, []byte("crc32:"), []byte("crc32: "), 1)
		}},
		{"no final CRLF", streamingUnsignedPayloadTrailer, unsigned, func(b []byte) []byte { return b[:len(b)-2] }},
		{"blank line before trailers", streamingUnsignedPayloadTrailer, unsigned, func(b []byte) []byte {
			return bytes.Replace(b, []byte("\r\n0\r\n"), []byte("\r\n0\r\n\r\n"), 1)
		}},
		{"bare LF after chunk header", streamingUnsignedPayloadTrailer, unsigned, func(b []byte) []byte {
			return bytes.Replace(b, []byte("3e8\r\n"), []byte("3e8\n"), 1)
		}},
		{"signed: spaces around chunk-signature", streamingSignedPayload, encodeOpts{chunkSize: 1000, signer: stubSigner(true)}, func(b []byte) []byte {
			return bytes.Replace(b, []byte(";chunk-signature="), []byte(" ; chunk-signature = "), -1)
		}},
		{"signed: extra extension", streamingSignedPayload, encodeOpts{chunkSize: 1000, signer: stubSigner(true)}, func(b []byte) []byte {
			return bytes.Replace(b, []byte(";chunk-signature="), []byte(";x-ext=v;chunk-signature="), -1)
		}},
		{"signed: no final CRLF", streamingSignedPayload, encodeOpts{chunkSize: 1000, signer: stubSigner(true)}, func(b []byte) []byte { return b[:len(b)-2] }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := ""
			if c.o.trailer {
				hdr = "x-amz-checksum-crc32"
			}
			out, _, err := chunkedCase(t, c.mode, data, c.o, hdr, c.mutate, 700)
			if err != nil || !bytes.Equal(out, data) {
				t.Fatalf("got %d bytes, %v", len(out), err)
			}
		})
	}
}

func TestChunkedRejects(t *testing.T) {
	data := payloadOf(3000)
	crc := checksum.Encode(checksum.Sum(checksum.CRC32C, data))
	signedTrailer := encodeOpts{chunkSize: 1000, signer: stubSigner(true), trailer: true, trailers: [][2]string{{"x-amz-checksum-crc32c", crc}}}
	unsigned := encodeOpts{chunkSize: 1000, trailer: true, trailers: [][2]string{{"x-amz-checksum-crc32c", crc}}}
	signed := encodeOpts{chunkSize: 1000, signer: stubSigner(true)}
	replace := func(old, new string, n int) func([]byte) []byte {
		return func(b []byte) []byte { return bytes.Replace(b, []byte(old), []byte(new), n) }
	}
	cases := []struct {
		name   string
		mode   string
		o      encodeOpts
		mutate func([]byte) []byte
		code   string
		msg    string
	}{
		{"non-hex size", streamingUnsignedPayloadTrailer, unsigned, replace("3e8\r\n", "3g8\r\n", 1), "IncompleteBody", ""},
		{"empty size", streamingUnsignedPayloadTrailer, unsigned, replace("3e8\r\n", "\r\n", 1), "IncompleteBody", ""},
		{"chunk bigger than declared", streamingUnsignedPayloadTrailer, unsigned, replace("3e8\r\n", "fffff\r\n", 1), "IncompleteBody", ""},
		{"chunk absurdly big", streamingUnsignedPayloadTrailer, unsigned, replace("3e8\r\n", "fffffffffffffffffffffff\r\n", 1), "IncompleteBody", ""},
		{"data longer than size", streamingUnsignedPayloadTrailer, unsigned, replace("3e8\r\n", "3e7\r\n", 1), "IncompleteBody", ""},
		{"fewer bytes than declared", streamingUnsignedPayloadTrailer, unsigned, func(b []byte) []byte {
			i := bytes.Index(b, []byte("3e8\r\n"))
			return append(bytes.Clone(b[:i]), b[i+5+1000+2:]...) // drop one whole chunk
		}, "IncompleteBody", ""},
		{"truncated in data", streamingUnsignedPayloadTrailer, unsigned, func(b []byte) []byte { return b[:1500] }, "IncompleteBody", ""},
		{"truncated in header", streamingUnsignedPayloadTrailer, unsigned, func(b []byte) []byte { return b[:1] }, "IncompleteBody", ""},
		{"empty body", streamingUnsignedPayloadTrailer, unsigned, func(b []byte) []byte { return nil }, "IncompleteBody", ""},
		{"trailer missing", streamingUnsignedPayloadTrailer, unsigned, func(b []byte) []byte {
			i := bytes.Index(b, []byte("x-amz-checksum"))
			return append(bytes.Clone(b[:i]), "\r\n"...)
		}, "IncompleteBody", ""},
		{"trailer without colon", streamingUnsignedPayloadTrailer, unsigned, replace("x-amz-checksum-crc32c:", "x-amz-checksum-crc32c=", 1), "IncompleteBody", ""},
		{"undeclared checksum trailer", streamingUnsignedPayloadTrailer, unsigned, replace("x-amz-checksum-crc32c:", "x-amz-checksum-crc32:", 1), "InvalidRequest", ""},
		{"duplicate checksum trailer", streamingUnsignedPayloadTrailer, unsigned, replace("x-amz-checksum-crc32c:"+crc+"\r\n", "x-amz-checksum-crc32c:"+crc+"\r\nx-amz-checksum-crc32c:"+crc+"\r\n", 1), "InvalidRequest", ""},
		{"too many trailers", streamingUnsignedPayloadTrailer, unsigned, replace("x-amz-checksum-crc32c:", strings.Repeat("x-amz-meta-a:b\r\n", 17)+"x-amz-checksum-crc32c:", 1), "IncompleteBody", ""},
		{"trailer checksum wrong", streamingUnsignedPayloadTrailer, unsigned, replace(crc, checksum.Encode([]byte{1, 2, 3, 4}), 1), "BadDigest",
			"The CRC32C you specified did not match the calculated checksum."},
		{"trailer checksum malformed", streamingUnsignedPayloadTrailer, unsigned, replace(crc, "!!!!!!==", 1), "InvalidRequest", "Value for x-amz-checksum-crc32c header is invalid."},
		{"trailer checksum too long", streamingUnsignedPayloadTrailer, unsigned, replace(crc, strings.Repeat("A", 100), 1), "InvalidRequest", ""},
		{"data changed under a correct checksum", streamingUnsignedPayloadTrailer, unsigned, func(b []byte) []byte {
			b = bytes.Clone(b)
			b[10] ^= 0xff
			return b
		}, "BadDigest", ""},
		{"line too long", streamingUnsignedPayloadTrailer, unsigned, replace("3e8\r\n", "3e8;"+strings.Repeat("x", 5000)+"\r\n", 1), "IncompleteBody",
			"The aws-chunked request body has a chunk header or trailer line longer than 4096 bytes."},
		{"missing chunk-signature", streamingSignedPayload, signed, func(b []byte) []byte {
			i := bytes.Index(b, []byte(";chunk-signature="))
			return append(bytes.Clone(b[:i]), b[i+17+64:]...)
		}, "SignatureDoesNotMatch", ""},
		{"short chunk-signature", streamingSignedPayload, signed, func(b []byte) []byte {
			i := bytes.Index(b, []byte(";chunk-signature="))
			return append(bytes.Clone(b[:i+20]), b[i+17+64:]...)
		}, "SignatureDoesNotMatch", ""},
		{"chunk data changed", streamingSignedPayload, signed, func(b []byte) []byte {
			b = bytes.Clone(b)
			b[len(b)-200] ^= 1
			return b
		}, "SignatureDoesNotMatch", ""},
		{"chunks reordered", streamingSignedPayload, encodeOpts{chunkSize: 1500, signer: stubSigner(true)}, func(b []byte) []byte {
			// Two chunks of 1500: swap them with their signatures.
			i := bytes.Index(b, []byte("5dc;"))
			j := bytes.Index(b[i+1:], []byte("5dc;")) + i + 1
			k := bytes.Index(b, []byte("\r\n0;"))
			out := append(bytes.Clone(b[j:k+2]), b[i:j]...)
			return append(out, b[k+2:]...)
		}, "SignatureDoesNotMatch", ""},
		{"garbage after final chunk", streamingSignedPayload, signed, func(b []byte) []byte {
			return append(b[:len(b)-2], "junk\r\n"...)
		}, "IncompleteBody", ""},
		{"final chunk signature wrong", streamingSignedPayload, signed, func(b []byte) []byte {
			b = bytes.Clone(b)
			b[len(b)-10] ^= 1
			return b
		}, "SignatureDoesNotMatch", ""},
		{"trailer changed", streamingSignedPayloadTrailer, signedTrailer, replace(crc, checksum.Encode([]byte{1, 2, 3, 4}), 1), "SignatureDoesNotMatch", ""},
		{"trailer signature missing", streamingSignedPayloadTrailer, signedTrailer, func(b []byte) []byte {
			i := bytes.Index(b, []byte("x-amz-trailer-signature"))
			return append(bytes.Clone(b[:i]), "\r\n"...)
		}, "SignatureDoesNotMatch", ""},
		{"trailer after signature", streamingSignedPayloadTrailer, signedTrailer, func(b []byte) []byte {
			return append(b[:len(b)-2], "x-amz-meta-late:1\r\n\r\n"...)
		}, "IncompleteBody", ""},
		{"signed trailer checksum wrong", streamingSignedPayloadTrailer, encodeOpts{chunkSize: 1000, signer: stubSigner(true), trailer: true,
			trailers: [][2]string{{"x-amz-checksum-crc32c", "AAAAAA=="}}}, nil, "BadDigest", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := ""
			if c.o.trailer {
				hdr = "x-amz-checksum-crc32c"
			}
			_, _, err := chunkedCase(t, c.mode, data, c.o, hdr, c.mutate, 1000)
			e := wantCode(t, err, c.code)
			if c.msg != "" && e.Message != c.msg {
				t.Fatalf("message %q, want %q", e.Message, c.msg)
			}
		})
	}
}

// countingReader counts what the decoder pulled from the body.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// An endless header line is refused after at most a buffer's worth of
// input; a chunk header claiming gigabytes costs nothing up front.
func TestChunkedBoundedMemory(t *testing.T) {
	endless := &countingReader{r: io.MultiReader(strings.NewReader("1"), newRepeatReader('f'))}
	c := newChunkedReader(endless, nil, true, -1, checksum.None)
	_, err := io.ReadAll(c)
	wantCode(t, err, "IncompleteBody")
	if endless.n > chunkBufSize {
		t.Fatalf("decoder read %d bytes of an endless line", endless.n)
	}
	noNewline := &countingReader{r: newRepeatReader('x')}
	c = newChunkedReader(noNewline, nil, true, -1, checksum.None)
	_, err = io.ReadAll(c)
	wantCode(t, err, "IncompleteBody")
	if noNewline.n > chunkBufSize {
		t.Fatalf("decoder read %d bytes without a newline", noNewline.n)
	}

	allocs := testing.AllocsPerRun(20, func() {
		c := newChunkedReader(strings.NewReader("140000000\r\nshort"), nil, true, -1, checksum.None)
		io.Copy(io.Discard, c)
	})
	if allocs > 10 {
		t.Fatalf("a 5 GiB chunk header cost %v allocations", allocs)
	}
}

type repeatReader byte

func newRepeatReader(c byte) *repeatReader { r := repeatReader(c); return &r }

func (r *repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(*r)
	}
	return len(p), nil
}

// errReader fails after some bytes: the decoder passes the error on.
func TestChunkedSourceError(t *testing.T) {
	body := encodeAWSChunked(payloadOf(5000), encodeOpts{chunkSize: 4000, trailer: true})
	boom := fmt.Errorf("connection reset")
	c := newChunkedReader(io.MultiReader(bytes.NewReader(body[:100]), &failReader{boom}), nil, true, -1, checksum.None)
	_, err := io.ReadAll(c)
	if err != boom {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if _, err2 := c.Read(make([]byte, 10)); err2 != boom {
		t.Fatalf("error not sticky: %v", err2)
	}
}

type failReader struct{ err error }

func (f *failReader) Read([]byte) (int, error) { return 0, f.err }

// The unsigned trailer mode is usable anonymously (public-write buckets).
func TestChunkedAnonymousUnsigned(t *testing.T) {
	data := payloadOf(2000)
	crc := checksum.Encode(checksum.Sum(checksum.CRC32, data))
	body := encodeAWSChunked(data, encodeOpts{chunkSize: 1500, trailer: true, trailers: [][2]string{{"x-amz-checksum-crc32", crc}}})
	head := "PUT /bucket/anon HTTP/1.1\nHost: h\nX-Amz-Content-Sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\nContent-Encoding: aws-chunked\n" +
		"X-Amz-Decoded-Content-Length: 2000\nX-Amz-Trailer: x-amz-checksum-crc32\nX-Amz-Sdk-Checksum-Algorithm: CRC32\nContent-Length: " + strconv.Itoa(len(body))
	v := NewVerifier(Config{})
	req := parseRequest(t, head, body)
	res, err := v.Verify(req, secrets())
	if err != nil || !res.Anonymous || res.Mode != PayloadStreamingUnsignedTrailer {
		t.Fatalf("%+v %v", res, err)
	}
	br, err := v.NewBodyReader(&res, req, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(br)
	if err != nil || !bytes.Equal(out, data) {
		t.Fatalf("%d bytes, %v", len(out), err)
	}
	if alg, sum := br.Checksum(); alg != "CRC32" || sum != crc {
		t.Fatalf("Checksum() = %s %s", alg, sum)
	}
	// Signed streaming cannot be anonymous.
	_, err = v.Verify(parseRequest(t, strings.Replace(head, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", streamingSignedPayload, 1), body), secrets())
	wantCode(t, err, "InvalidRequest")
}

func BenchmarkChunkedReader(b *testing.B) {
	data := payloadOf(1 << 20)
	for _, mode := range []string{streamingSignedPayload, streamingUnsignedPayloadTrailer} {
		b.Run(mode, func(b *testing.B) {
			o := encodeOpts{chunkSize: 64 << 10, signer: stubSigner(mode == streamingSignedPayload), trailer: mode != streamingSignedPayload,
				trailers: [][2]string{{"x-amz-checksum-crc32c", checksum.Encode(checksum.Sum(checksum.CRC32C, data))}}}
			hdr := ""
			if o.trailer {
				hdr = "x-amz-checksum-crc32c"
			}
			probe := encodeAWSChunked(data, encodeOpts{chunkSize: o.chunkSize, signer: stubSigner(o.signer != nil), trailer: o.trailer, trailers: o.trailers})
			req, signer := streamingRequest(b, mode, len(data), hdr, probe)
			if o.signer != nil {
				o.signer = signer
			}
			body := encodeAWSChunked(data, o)
			v := NewVerifier(Config{Now: func() time.Time { return sdkNow }})
			res, err := v.Verify(req, secrets(sdkAccessKey, sdkSecret))
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 32<<10)
			rd := bytes.NewReader(body)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				rd.Reset(body)
				br, err := v.NewBodyReader(&res, req, rd)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{br}, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
