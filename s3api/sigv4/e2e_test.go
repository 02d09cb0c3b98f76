package sigv4

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/tessera-s3/tessera/s3api/checksum"
	"github.com/tessera-s3/tessera/s3api/s3err"
	"github.com/valyala/fasthttp"
)

// The real aws-sdk-go-v2 S3 and STS clients, with default settings, talk
// to a fasthttp server (TLS and plain) whose handler runs Verify and reads
// the body through a BodyReader: what the SDK's signer and aws-chunked
// encoder put on the wire must verify.

// seen is what the test server learned about one request.
type seen struct {
	method, uri string
	res         Result
	body        []byte
	alg, sum    string
	contentSHA  string
	encoding    string
	err         error
}

type testServer struct {
	v      *Verifier
	secret SecretFunc
	url    string
	mu     sync.Mutex
	log    []seen
	stored map[string][]byte
}

func startServer(t *testing.T, useTLS bool) *testServer {
	t.Helper()
	ts := &testServer{
		v:      NewVerifier(Config{}),
		secret: secrets(sdkAccessKey, sdkSecret),
		stored: map[string][]byte{},
	}
	srv := &fasthttp.Server{Handler: ts.handle, StreamRequestBody: true, MaxRequestBodySize: 64 << 20}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if useTLS {
		cert, key, err := fasthttp.GenerateTestCertificate("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		go srv.ServeTLSEmbed(ln, cert, key)
		ts.url = "https://" + ln.Addr().String()
	} else {
		go srv.Serve(ln)
		ts.url = "http://" + ln.Addr().String()
	}
	t.Cleanup(func() { srv.Shutdown() })
	return ts
}

func (ts *testServer) handle(ctx *fasthttp.RequestCtx) {
	s := seen{
		method:     string(ctx.Method()),
		uri:        string(ctx.RequestURI()),
		contentSHA: string(ctx.Request.Header.Peek("X-Amz-Content-Sha256")),
		encoding:   string(ctx.Request.Header.Peek("Content-Encoding")),
	}
	defer func() {
		ts.mu.Lock()
		ts.log = append(ts.log, s)
		ts.mu.Unlock()
	}()
	res, err := ts.v.Verify(&ctx.Request, ts.secret)
	if err != nil {
		s.err = err
		writeErr(ctx, err)
		return
	}
	s.res = res
	var body io.Reader = ctx.RequestBodyStream()
	if body == nil {
		body = bytes.NewReader(ctx.Request.Body())
	}
	br, err := ts.v.NewBodyReader(&res, &ctx.Request, body)
	if err != nil {
		s.err = err
		writeErr(ctx, err)
		return
	}
	data, err := io.ReadAll(br)
	if err != nil {
		s.err = err
		writeErr(ctx, err)
		return
	}
	s.body = data
	s.alg, s.sum = br.Checksum()

	path := string(ctx.Path())
	switch {
	case res.Service == "sts":
		ctx.SetContentType("text/xml")
		ctx.WriteString(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIATEST</AccessKeyId><SecretAccessKey>x</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>id</AssumedRoleId><Arn>arn:aws:sts::000000000000:assumed-role/r/s</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	case ctx.IsPost() && ctx.QueryArgs().Has("delete"):
		ctx.SetContentType("application/xml")
		ctx.WriteString(`<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></DeleteResult>`)
	case ctx.IsPut():
		ts.mu.Lock()
		ts.stored[path] = data
		ts.mu.Unlock()
		ctx.Response.Header.Set("ETag", `"0123456789abcdef0123456789abcdef"`)
		if s.alg != "" {
			ctx.Response.Header.Set("x-amz-checksum-"+strings.ToLower(s.alg), s.sum)
		}
	case ctx.IsGet():
		ts.mu.Lock()
		b, ok := ts.stored[path]
		ts.mu.Unlock()
		if !ok {
			writeErr(ctx, s3err.ErrNoSuchKey)
			return
		}
		ctx.SetBody(b)
	}
}

func writeErr(ctx *fasthttp.RequestCtx, err error) {
	var e *s3err.Error
	if !errors.As(err, &e) {
		e = s3err.ErrInternalError
	}
	ctx.SetStatusCode(e.HTTPStatus)
	ctx.SetContentType("application/xml")
	ctx.WriteString("<Error><Code>" + e.Code + "</Code><Message>" + e.Message + "</Message></Error>")
}

func (ts *testServer) last() seen {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.log[len(ts.log)-1]
}

func (ts *testServer) httpClient() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

func (ts *testServer) s3Client(secret string, opts ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(ts.url),
		Region:       "us-east-1",
		UsePathStyle: true,
		HTTPClient:   ts.httpClient(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: sdkAccessKey, SecretAccessKey: secret, SessionToken: sdkToken}, nil
		}),
		RetryMaxAttempts: 1,
		// What config.LoadDefaultConfig resolves by default.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
	}, opts...)
}

func TestSDKClientPutObject(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	ctx := context.Background()
	payload := bytes.Repeat([]byte("tessera!"), 40000) // 320000 bytes, several SDK chunks
	for _, useTLS := range []bool{true, false} {
		ts := startServer(t, useTLS)
		client := ts.s3Client(sdkSecret)
		for _, alg := range []s3types.ChecksumAlgorithm{"", s3types.ChecksumAlgorithmCrc32, s3types.ChecksumAlgorithmCrc32c, s3types.ChecksumAlgorithmCrc64nvme, s3types.ChecksumAlgorithmSha1, s3types.ChecksumAlgorithmSha256} {
			name := map[bool]string{true: "https", false: "http"}[useTLS] + "/" + string(alg)
			t.Run(name, func(t *testing.T) {
				key := "dir/a b+c%2F~ü.txt"
				_, err := client.PutObject(ctx, &s3.PutObjectInput{
					Bucket:            aws.String("bucket"),
					Key:               aws.String(key),
					Body:              bytes.NewReader(payload),
					ChecksumAlgorithm: alg,
				})
				s := ts.last()
				if err != nil {
					t.Fatalf("PutObject: %v (server: %v, content-sha256 %s)", err, s.err, s.contentSHA)
				}
				if !bytes.Equal(s.body, payload) {
					t.Fatalf("server decoded %d bytes, want %d", len(s.body), len(payload))
				}
				want := alg
				if want == "" {
					want = s3types.ChecksumAlgorithmCrc32 // the SDK default
				}
				a, _ := checksum.ParseAlgorithm(string(want))
				if s.alg != string(want) || s.sum != checksum.Encode(checksum.Sum(a, payload)) {
					t.Fatalf("checksum %s %s, want %s", s.alg, s.sum, want)
				}
				if s.res.AccessKey != sdkAccessKey || s.res.SecurityToken != sdkToken {
					t.Fatalf("result %+v", s.res)
				}
				t.Logf("x-amz-content-sha256 %s, content-encoding %q, mode %v", s.contentSHA, s.encoding, s.res.Mode)
				got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)})
				if err != nil {
					t.Fatalf("GetObject: %v (server: %v)", err, ts.last().err)
				}
				b, _ := io.ReadAll(got.Body)
				got.Body.Close()
				if !bytes.Equal(b, payload) {
					t.Fatal("GetObject body differs")
				}
			})
		}
		t.Run("no checksum when not required", func(t *testing.T) {
			c := ts.s3Client(sdkSecret, func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired })
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("plain"), Body: bytes.NewReader(payload)})
			if err != nil {
				t.Fatalf("PutObject: %v (server: %v)", err, ts.last().err)
			}
			if s := ts.last(); !bytes.Equal(s.body, payload) || s.alg != "" {
				t.Fatalf("server decoded %d bytes, checksum %q", len(s.body), s.alg)
			}
		})
		t.Run("unseekable body", func(t *testing.T) {
			_, err := client.PutObject(ctx, &s3.PutObjectInput{
				Bucket:        aws.String("bucket"),
				Key:           aws.String("stream"),
				Body:          io.MultiReader(bytes.NewReader(payload[:1000]), bytes.NewReader(payload[1000:])),
				ContentLength: aws.Int64(int64(len(payload))),
			})
			if err != nil {
				if !useTLS {
					t.Skipf("SDK refuses unseekable bodies without TLS: %v", err)
				}
				t.Fatalf("PutObject: %v (server: %v)", err, ts.last().err)
			}
			if s := ts.last(); !bytes.Equal(s.body, payload) || s.alg != "CRC32" {
				t.Fatalf("server decoded %d bytes, checksum %s", len(s.body), s.alg)
			}
		})
		t.Run("upload part", func(t *testing.T) {
			_, err := client.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: aws.String("bucket"), Key: aws.String("mp"), UploadId: aws.String("u1"), PartNumber: aws.Int32(3),
				Body: bytes.NewReader(payload), ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32c,
			})
			if err != nil {
				t.Fatalf("UploadPart: %v (server: %v)", err, ts.last().err)
			}
			if s := ts.last(); !bytes.Equal(s.body, payload) || s.alg != "CRC32C" {
				t.Fatalf("server decoded %d bytes, checksum %s", len(s.body), s.alg)
			}
		})
		t.Run("delete objects", func(t *testing.T) {
			_, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
				Bucket: aws.String("bucket"),
				Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{{Key: aws.String("a")}, {Key: aws.String("b & c")}}},
			})
			if err != nil {
				t.Fatalf("DeleteObjects: %v (server: %v)", err, ts.last().err)
			}
			if s := ts.last(); s.alg == "" || !bytes.Contains(s.body, []byte("<Key>b &amp; c</Key>")) {
				t.Fatalf("server saw checksum %q body %q", s.alg, s.body)
			}
		})
		t.Run("wrong secret", func(t *testing.T) {
			_, err := ts.s3Client("not-the-secret").PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String("k"), Body: bytes.NewReader(payload[:10]),
			})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "SignatureDoesNotMatch" {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("wrong region", func(t *testing.T) {
			_, err := ts.s3Client(sdkSecret, func(o *s3.Options) { o.Region = "eu-central-1" }).GetObject(ctx, &s3.GetObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String("k"),
			})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "AuthorizationHeaderMalformed" {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestSDKPresignClient(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	ctx := context.Background()
	ts := startServer(t, false)
	pc := s3.NewPresignClient(ts.s3Client(sdkSecret))
	body := []byte("through a presigned PUT")
	put, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("pre/sig ned+key")}, s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(put.Method, put.URL, bytes.NewReader(body))
	for k, vs := range put.SignedHeader {
		if !strings.EqualFold(k, "host") {
			req.Header[k] = vs
		}
	}
	resp, err := ts.httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s := ts.last(); resp.StatusCode != 200 || !s.res.Presigned || !bytes.Equal(s.body, body) || s.res.SecurityToken != sdkToken {
		t.Fatalf("status %d, server %+v", resp.StatusCode, s)
	}

	get, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("pre/sig ned+key")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err = ts.httpClient().Get(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, body) {
		t.Fatalf("status %d body %q (server: %v)", resp.StatusCode, got, ts.last().err)
	}
	// The same URL with the signature altered is refused.
	resp, err = ts.httpClient().Get(strings.Replace(get.URL, "X-Amz-Signature=", "X-Amz-Signature=0", 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("tampered URL: status %d", resp.StatusCode)
	}
}

func TestSDKSTSClient(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	ts := startServer(t, true)
	client := sts.New(sts.Options{
		BaseEndpoint: aws.String(ts.url),
		Region:       "us-east-1",
		HTTPClient:   ts.httpClient(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: sdkAccessKey, SecretAccessKey: sdkSecret}, nil
		}),
		RetryMaxAttempts: 1,
	})
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::000000000000:role/reader"),
		RoleSessionName: aws.String("session one"),
		DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v (server: %v)", err, ts.last().err)
	}
	s := ts.last()
	if s.res.Service != "sts" || s.res.Mode != PayloadSigned || s.contentSHA != "" || !bytes.Contains(s.body, []byte("Action=AssumeRole")) {
		t.Fatalf("server saw %+v body %q", s.res, s.body)
	}
	if aws.ToString(out.Credentials.AccessKeyId) != "ASIATEST" {
		t.Fatalf("client parsed %+v", out.Credentials)
	}
}
