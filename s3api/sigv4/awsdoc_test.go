package sigv4

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/s3api/s3err"
	"github.com/valyala/fasthttp"
)

// The example credentials of the AWS documentation.
const (
	docAccessKey = "AKIAIOSFODNN7EXAMPLE"
	docSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var docTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

// secrets returns a SecretFunc over a fixed map.
func secrets(kv ...string) SecretFunc {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(ak []byte) (string, error) {
		if s, ok := m[string(ak)]; ok {
			return s, nil
		}
		return "", s3err.ErrInvalidAccessKeyID
	}
}

func docVerifier(now time.Time) *Verifier {
	return NewVerifier(Config{Now: func() time.Time { return now }})
}

// parseRequest parses a raw HTTP/1.1 request the way the server does.
// Header lines may end in "\n"; they are rewritten to "\r\n".
func parseRequest(t testing.TB, head string, body []byte) *fasthttp.Request {
	t.Helper()
	head = strings.ReplaceAll(strings.TrimLeft(head, "\n"), "\r\n", "\n")
	head = strings.ReplaceAll(strings.TrimRight(head, "\n"), "\n", "\r\n") + "\r\n\r\n"
	req := new(fasthttp.Request)
	if err := req.Read(bufio.NewReader(io.MultiReader(strings.NewReader(head), bytes.NewReader(body)))); err != nil {
		t.Fatalf("parse request: %v\n%s", err, head)
	}
	return req
}

// parseHead parses only a request's header (its body is supplied
// separately).
func parseHead(t testing.TB, head string) *fasthttp.Request {
	t.Helper()
	head = strings.ReplaceAll(strings.TrimLeft(head, "\n"), "\r\n", "\n")
	head = strings.ReplaceAll(strings.TrimRight(head, "\n"), "\n", "\r\n") + "\r\n\r\n"
	req := new(fasthttp.Request)
	if err := req.Header.Read(bufio.NewReader(strings.NewReader(head))); err != nil {
		t.Fatalf("parse request header: %v\n%s", err, head)
	}
	return req
}

func wantCode(t testing.TB, err error, code string) *s3err.Error {
	t.Helper()
	var e *s3err.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *s3err.Error (want %s)", err, code)
	}
	if e.Code != code {
		t.Fatalf("error code %s (%s), want %s", e.Code, e.Message, code)
	}
	return e
}

// The header-signed examples of "Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk".
func TestAWSDocHeaderExamples(t *testing.T) {
	cases := []struct {
		name string
		head string
		body string
		mode PayloadMode
	}{
		{"GET Object", getObjectHead, "", PayloadSigned},
		{"PUT Object", `
PUT /test$file.text HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Date: Fri, 24 May 2013 00:00:00 GMT
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
Content-Length: 21
`, "Welcome to Amazon S3.", PayloadSigned},
		{"GET Bucket Lifecycle", `
GET /?lifecycle HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543
x-amz-date: 20130524T000000Z
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
`, "", PayloadSigned},
		{"GET Bucket (List Objects)", listObjectsHead, "", PayloadSigned},
	}
	v := docVerifier(docTime.Add(time.Minute))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := parseRequest(t, c.head, []byte(c.body))
			res, err := v.Verify(req, secrets(docAccessKey, docSecret))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.Anonymous || res.Presigned || res.AccessKey != docAccessKey || res.Service != "s3" || res.Mode != c.mode || !res.Time.Equal(docTime) {
				t.Fatalf("result %+v", res)
			}
			br, err := v.NewBodyReader(&res, req, bytes.NewReader(req.Body()))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(br)
			if err != nil || string(got) != c.body {
				t.Fatalf("body %q, %v", got, err)
			}

			// Any change to what was signed breaks the signature.
			tampered := strings.Replace(c.head, "examplebucket", "examplebucker", 1)
			_, err = v.Verify(parseRequest(t, tampered, []byte(c.body)), secrets(docAccessKey, docSecret))
			wantCode(t, err, "SignatureDoesNotMatch")
			_, err = v.Verify(req, secrets(docAccessKey, docSecret[1:]))
			wantCode(t, err, "SignatureDoesNotMatch")
			_, err = v.Verify(req, secrets("someone-else", docSecret))
			wantCode(t, err, "InvalidAccessKeyId")
		})
	}
}

// A body that does not match the signed x-amz-content-sha256 fails at EOF.
func TestAWSDocPutObjectWrongBody(t *testing.T) {
	v := docVerifier(docTime)
	req := parseRequest(t, `
PUT /test$file.text HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Date: Fri, 24 May 2013 00:00:00 GMT
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
Content-Length: 21
`, []byte("Welcome to Amazon S4."))
	res, err := v.Verify(req, secrets(docAccessKey, docSecret))
	if err != nil {
		t.Fatal(err)
	}
	br, err := v.NewBodyReader(&res, req, bytes.NewReader(req.Body()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(br)
	wantCode(t, err, "XAmzContentSHA256Mismatch")
}

// "Authenticating Requests: Using Query Parameters", the GET Object example.
func TestAWSDocPresignedExample(t *testing.T) {
	head := `
GET /test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1
Host: examplebucket.s3.amazonaws.com
`
	for _, c := range []struct {
		after time.Duration
		code  string
	}{
		{0, ""},
		{86400 * time.Second, ""},
		{86401 * time.Second, "AccessDenied"},
		{-14 * time.Minute, ""},
		{-16 * time.Minute, "RequestTimeTooSkewed"},
	} {
		v := docVerifier(docTime.Add(c.after))
		res, err := v.Verify(parseRequest(t, head, nil), secrets(docAccessKey, docSecret))
		if c.code != "" {
			e := wantCode(t, err, c.code)
			if c.code == "AccessDenied" && e.Message != "Request has expired" {
				t.Errorf("message %q", e.Message)
			}
			continue
		}
		if err != nil {
			t.Fatalf("now+%v: %v", c.after, err)
		}
		if !res.Presigned || res.AccessKey != docAccessKey || res.Mode != PayloadUnsigned {
			t.Fatalf("result %+v", res)
		}
	}
	// The signature is over the path too.
	v := docVerifier(docTime)
	_, err := v.Verify(parseRequest(t, strings.Replace(head, "/test.txt", "/test.txu", 1), nil), secrets(docAccessKey, docSecret))
	wantCode(t, err, "SignatureDoesNotMatch")
}

// docChunkedBody is the body of "Example: PUT Object" in "Signature
// Calculations for the Authorization Header: Transferring Payload in
// Multiple Chunks": 65 KiB of 'a' in a 64 KiB and a 1 KiB chunk.
func docChunkedBody() []byte {
	var b bytes.Buffer
	b.WriteString("10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n")
	b.Write(bytes.Repeat([]byte("a"), 65536))
	b.WriteString("\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n")
	b.Write(bytes.Repeat([]byte("a"), 1024))
	b.WriteString("\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n")
	return b.Bytes()
}

const docChunkedHead = `
PUT /examplebucket/chunkObject.txt HTTP/1.1
Host: s3.amazonaws.com
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9
x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD
Content-Encoding: aws-chunked
x-amz-decoded-content-length: 66560
Content-Length: 66824
`

func TestAWSDocChunkedExample(t *testing.T) {
	body := docChunkedBody()
	if len(body) != 66824 {
		t.Fatalf("example body is %d bytes, the documentation says 66824", len(body))
	}
	v := docVerifier(docTime)
	req := parseRequest(t, docChunkedHead, body)
	res, err := v.Verify(req, secrets(docAccessKey, docSecret))
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != PayloadStreamingSigned {
		t.Fatalf("mode %v", res.Mode)
	}
	for _, readSize := range []int{1, 7, 4096, 70000} {
		br, err := v.NewBodyReader(&res, req, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if br.DecodedLength() != 66560 {
			t.Fatalf("DecodedLength %d", br.DecodedLength())
		}
		got, err := readAllBy(br, readSize)
		if err != nil {
			t.Fatalf("read by %d: %v", readSize, err)
		}
		if !bytes.Equal(got, bytes.Repeat([]byte("a"), 66560)) {
			t.Fatalf("read by %d: decoded %d bytes", readSize, len(got))
		}
	}

	// Flip one data byte in each chunk, one signature digit, and truncate.
	for _, pos := range []int{200, 65536 + 100, len(body) - 3 - 64 + 10} {
		bad := bytes.Clone(body)
		bad[pos] ^= 1
		br, _ := v.NewBodyReader(&res, req, bytes.NewReader(bad))
		_, err := io.ReadAll(br)
		wantCode(t, err, "SignatureDoesNotMatch")
	}
	for _, n := range []int{0, 50, 90, 65536, 66000, len(body) - 90} {
		br, _ := v.NewBodyReader(&res, req, bytes.NewReader(body[:n]))
		_, err := io.ReadAll(br)
		wantCode(t, err, "IncompleteBody")
	}
	// Dropping the second chunk breaks the signature chain.
	i := bytes.Index(body, []byte("400;"))
	j := bytes.Index(body, []byte("0;chunk-signature=b6c6"))
	skipped := append(bytes.Clone(body[:i]), body[j:]...)
	br, _ := v.NewBodyReader(&res, req, bytes.NewReader(skipped))
	_, err = io.ReadAll(br)
	wantCode(t, err, "SignatureDoesNotMatch")
}

func readAllBy(r io.Reader, n int) ([]byte, error) {
	var out []byte
	buf := make([]byte, n)
	for {
		k, err := r.Read(buf)
		out = append(out, buf[:k]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// docTrailerBody is the body of the AWS example with a signed trailer
// ("Signature calculations for trailing headers"), as versitygw's test
// scripts reproduce it against S3.
func docTrailerBody() []byte {
	var b bytes.Buffer
	b.WriteString("10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n")
	b.Write(bytes.Repeat([]byte("a"), 65536))
	b.WriteString("\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n")
	b.Write(bytes.Repeat([]byte("a"), 1024))
	b.WriteString("\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n")
	b.WriteString("x-amz-checksum-crc32c:sOO8/Q==\r\n")
	b.WriteString("x-amz-trailer-signature:63bddb248ad2590c92712055f51b8e78ab024eead08276b24f010b0efd74843f\r\n\r\n")
	return b.Bytes()
}

const docTrailerHead = `
PUT /examplebucket/chunkObject.txt HTTP/1.1
Host: s3.amazonaws.com
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e
x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
Content-Encoding: aws-chunked
x-amz-decoded-content-length: 66560
x-amz-trailer: x-amz-checksum-crc32c
Content-Length: `

func TestAWSDocTrailerExample(t *testing.T) {
	body := docTrailerBody()
	if len(body) != 66946 {
		t.Fatalf("example body is %d bytes, the documentation says 66946", len(body))
	}
	v := docVerifier(docTime)
	req := parseRequest(t, docTrailerHead+strconv.Itoa(len(body)), body)
	res, err := v.Verify(req, secrets(docAccessKey, docSecret))
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != PayloadStreamingSignedTrailer {
		t.Fatalf("mode %v", res.Mode)
	}
	br, err := v.NewBodyReader(&res, req, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bytes.Repeat([]byte("a"), 66560)) {
		t.Fatalf("decoded %d bytes", len(got))
	}
	if alg, val := br.Checksum(); alg != "CRC32C" || val != "sOO8/Q==" {
		t.Fatalf("Checksum() = %s %s", alg, val)
	}

	// A changed trailer value breaks the trailer signature.
	bad := bytes.Replace(body, []byte("sOO8/Q=="), []byte("sOO8/R=="), 1)
	br, _ = v.NewBodyReader(&res, req, bytes.NewReader(bad))
	_, err = io.ReadAll(br)
	wantCode(t, err, "SignatureDoesNotMatch")
	// A missing trailer signature too.
	i := bytes.Index(body, []byte("x-amz-trailer-signature"))
	br, _ = v.NewBodyReader(&res, req, bytes.NewReader(append(bytes.Clone(body[:i]), "\r\n"...)))
	_, err = io.ReadAll(br)
	wantCode(t, err, "SignatureDoesNotMatch")
}

// getObjectHead is the AWS documentation's header-signed GET Object.
const getObjectHead = `
GET /test.txt HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41
Range: bytes=0-9
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-amz-date: 20130524T000000Z
`

// listObjectsHead is the AWS documentation's GET Bucket (List Objects).
const listObjectsHead = `
GET /?max-keys=2&prefix=J HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7
x-amz-date: 20130524T000000Z
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
`
