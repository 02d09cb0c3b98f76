package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
	"github.com/valyala/fasthttp"
)

// Requests signed and presigned by aws-sdk-go-v2's own SigV4 signer must
// verify; every variation the signer does not cover must not.

const (
	sdkAccessKey = "TESSERAEXAMPLEKEY01"
	sdkSecret    = "s3cr3t/With+Odd=Chars0123456789abcdefghij"
	sdkToken     = "FwoGZXIvYXdzEXAMPLE//token+with/odd=chars"
	sdkHost      = "tessera.test:9000"
)

var sdkNow = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// newSigner returns the SDK's signer configured as the S3 client does. A
// fresh one per request: the SDK caches derived keys by access key alone,
// which would hide a wrong secret.
func newSigner() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

// sdkRequest builds an http.Request the way the S3 client serializes one:
// the key path escaped per RFC 3986 with '/' kept.
func sdkRequest(method, path, rawQuery string, body []byte) *http.Request {
	u := &url.URL{Scheme: "http", Host: sdkHost, Path: path, RawPath: httpbinding.EscapePath(path, false), RawQuery: rawQuery}
	r := &http.Request{Method: method, URL: u, Host: sdkHost, Header: http.Header{}, ContentLength: int64(len(body))}
	if len(body) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return r
}

// toFast serializes r on the wire and parses it as the server would.
func toFast(t testing.TB, r *http.Request) *fasthttp.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	req := new(fasthttp.Request)
	if err := req.Read(bufio.NewReader(&buf)); err != nil {
		t.Fatalf("parse: %v\n%s", err, buf.String())
	}
	return req
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func sdkSign(t testing.TB, r *http.Request, payloadHash, service, region, secret, token string, at time.Time) {
	t.Helper()
	if payloadHash != "" && service == "s3" {
		r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	creds := aws.Credentials{AccessKeyID: sdkAccessKey, SecretAccessKey: secret, SessionToken: token}
	if err := newSigner().SignHTTP(context.Background(), creds, r, payloadHash, service, region, at); err != nil {
		t.Fatal(err)
	}
}

var oddKeys = []string{
	"/bucket/a b/c+d%2F..",
	"/bucket/ü/日本語/key",
	"/bucket/!$&'()*,;=:@[]",
	"/bucket/~-_.tilde//double-slash/",
	"/bucket/%",
	"/bucket",
	"/",
}

func TestSDKHeaderSigned(t *testing.T) {
	v := NewVerifier(Config{Now: func() time.Time { return sdkNow.Add(3 * time.Minute) }})
	ok := secrets(sdkAccessKey, sdkSecret)
	queries := []string{
		"",
		"list-type=2&prefix=a+b%2Fc&delimiter=%2F&max-keys=2",
		url.Values{"a b/c+d%2F..": {"a b/c+d%2F..", "0", "~"}, "uploads": {""}, "Z": {"z"}, "a-b": {"1"}, "a/b": {"2"}}.Encode(),
		"versionId=3%2BHgT9%3D&partNumber=1",
	}
	for _, key := range oddKeys {
		for _, q := range queries {
			for _, token := range []string{"", sdkToken} {
				r := sdkRequest("GET", key, q, nil)
				r.Header.Set("Range", "bytes=0-9")
				r.Header.Add("X-Amz-Meta-Spaces", "  a   b  c ")
				r.Header.Add("X-Amz-Meta-Multi", "first")
				r.Header.Add("X-Amz-Meta-Multi", "second,  value")
				sdkSign(t, r, emptySHA256, "s3", "us-east-1", sdkSecret, token, sdkNow)
				req := toFast(t, r)
				res, err := v.Verify(req, ok)
				if err != nil {
					t.Fatalf("key %q query %q: %v\nrequest URI %s", key, q, err, req.Header.RequestURI())
				}
				if res.AccessKey != sdkAccessKey || res.SecurityToken != token || res.Service != "s3" || res.Mode != PayloadSigned || res.Presigned || res.Anonymous || !res.Time.Equal(sdkNow) {
					t.Fatalf("result %+v", res)
				}
			}
		}
	}
}

func TestSDKHeaderSignedPut(t *testing.T) {
	v := NewVerifier(Config{Now: func() time.Time { return sdkNow }})
	ok := secrets(sdkAccessKey, sdkSecret)
	body := []byte("hello, tessera\n")
	for _, payload := range []string{hashHex(body), "UNSIGNED-PAYLOAD"} {
		r := sdkRequest("PUT", "/bucket/dir/obj.txt", "", body)
		r.Header.Set("Content-Type", "text/plain")
		r.Header.Set("X-Amz-Storage-Class", "STANDARD")
		sdkSign(t, r, payload, "s3", "us-east-1", sdkSecret, "", sdkNow)
		req := toFast(t, r)
		res, err := v.Verify(req, ok)
		if err != nil {
			t.Fatalf("%s: %v", payload, err)
		}
		for _, b := range [][]byte{body, []byte("hello, tesserA\n")} {
			br, err := v.NewBodyReader(&res, req, bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(br)
			switch {
			case bytes.Equal(b, body) || payload == "UNSIGNED-PAYLOAD":
				if err != nil || !bytes.Equal(got, b) {
					t.Fatalf("%s: body %q %v", payload, got, err)
				}
			default:
				wantCode(t, err, "XAmzContentSHA256Mismatch")
			}
		}
		if br, _ := v.NewBodyReader(&res, req, bytes.NewReader(body[:5])); br != nil {
			_, err := io.ReadAll(br)
			if payload != "UNSIGNED-PAYLOAD" {
				wantCode(t, err, "IncompleteBody")
			}
		}
	}
}

func TestSDKHeaderSignedRejects(t *testing.T) {
	now := sdkNow
	v := NewVerifier(Config{Now: func() time.Time { return now }})
	ok := secrets(sdkAccessKey, sdkSecret)
	sign := func(secret, region string, at time.Time) *http.Request {
		r := sdkRequest("GET", "/bucket/key", "x=1", nil)
		sdkSign(t, r, emptySHA256, "s3", region, secret, "", at)
		return r
	}
	cases := []struct {
		name string
		req  func() *fasthttp.Request
		code string
		msg  string
	}{
		{"wrong secret", func() *fasthttp.Request { return toFast(t, sign("other", "us-east-1", now)) }, "SignatureDoesNotMatch", ""},
		{"wrong region", func() *fasthttp.Request { return toFast(t, sign(sdkSecret, "eu-west-1", now)) }, "AuthorizationHeaderMalformed",
			"The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'"},
		{"past skew", func() *fasthttp.Request { return toFast(t, sign(sdkSecret, "us-east-1", now.Add(-16*time.Minute))) }, "RequestTimeTooSkewed", ""},
		{"future skew", func() *fasthttp.Request { return toFast(t, sign(sdkSecret, "us-east-1", now.Add(16*time.Minute))) }, "RequestTimeTooSkewed", ""},
		{"query changed", func() *fasthttp.Request {
			req := toFast(t, sign(sdkSecret, "us-east-1", now))
			req.Header.SetRequestURI("/bucket/key?x=2")
			return req
		}, "SignatureDoesNotMatch", ""},
		{"path changed", func() *fasthttp.Request {
			req := toFast(t, sign(sdkSecret, "us-east-1", now))
			req.Header.SetRequestURI("/bucket/kez?x=1")
			return req
		}, "SignatureDoesNotMatch", ""},
		{"method changed", func() *fasthttp.Request {
			req := toFast(t, sign(sdkSecret, "us-east-1", now))
			req.Header.SetMethod("DELETE")
			return req
		}, "SignatureDoesNotMatch", ""},
		{"unsigned x-amz header added", func() *fasthttp.Request {
			req := toFast(t, sign(sdkSecret, "us-east-1", now))
			req.Header.Set("X-Amz-Copy-Source", "/other/secret")
			return req
		}, "AccessDenied", ""},
		{"unknown key", func() *fasthttp.Request {
			r := sdkRequest("GET", "/bucket/key", "", nil)
			r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
			creds := aws.Credentials{AccessKeyID: "NOSUCHKEY", SecretAccessKey: sdkSecret}
			newSigner().SignHTTP(context.Background(), creds, r, emptySHA256, "s3", "us-east-1", now)
			return toFast(t, r)
		}, "InvalidAccessKeyId", ""},
		{"missing x-amz-content-sha256", func() *fasthttp.Request {
			r := sdkRequest("GET", "/bucket/key", "", nil)
			newSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: sdkAccessKey, SecretAccessKey: sdkSecret}, r, emptySHA256, "s3", "us-east-1", now)
			return toFast(t, r)
		}, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"},
		{"bad x-amz-content-sha256", func() *fasthttp.Request {
			r := sdkRequest("GET", "/bucket/key", "", nil)
			sdkSign(t, r, "STREAMING-SOMETHING", "s3", "us-east-1", sdkSecret, "", now)
			return toFast(t, r)
		}, "InvalidArgument", ""},
		{"sigv4a streaming", func() *fasthttp.Request {
			r := sdkRequest("PUT", "/bucket/key", "", nil)
			sdkSign(t, r, "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "s3", "us-east-1", sdkSecret, "", now)
			return toFast(t, r)
		}, "NotImplemented", ""},
		{"both header and query auth", func() *fasthttp.Request {
			req := toFast(t, sign(sdkSecret, "us-east-1", now))
			req.Header.SetRequestURI("/bucket/key?x=1&X-Amz-Signature=00")
			return req
		}, "InvalidArgument", ""},
		{"service not s3 or sts", func() *fasthttp.Request {
			r := sdkRequest("GET", "/bucket/key", "", nil)
			sdkSign(t, r, emptySHA256, "iam", "us-east-1", sdkSecret, "", now)
			return toFast(t, r)
		}, "AuthorizationHeaderMalformed", ""},
		{"no date", func() *fasthttp.Request {
			req := toFast(t, sign(sdkSecret, "us-east-1", now))
			req.Header.Del("X-Amz-Date")
			return req
		}, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Verify(c.req(), ok)
			e := wantCode(t, err, c.code)
			if c.msg != "" && e.Message != c.msg {
				t.Fatalf("message %q, want %q", e.Message, c.msg)
			}
		})
	}
}

// STS requests are form POSTs signed with the body hash and no
// x-amz-content-sha256 header.
func TestSDKSTSBodyHash(t *testing.T) {
	v := NewVerifier(Config{Now: func() time.Time { return sdkNow }})
	ok := secrets(sdkAccessKey, sdkSecret)
	body := []byte("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fx&RoleSessionName=s")
	r := sdkRequest("POST", "/", "", body)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sdkSign(t, r, hashHex(body), "sts", "us-east-1", sdkSecret, "", sdkNow)
	req := toFast(t, r)
	res, err := v.Verify(req, ok)
	if err != nil {
		t.Fatal(err)
	}
	if res.Service != "sts" || res.Mode != PayloadSigned {
		t.Fatalf("result %+v", res)
	}
	req.SetBody(bytes.Replace(body, []byte("RoleSessionName=s"), []byte("RoleSessionName=t"), 1))
	_, err = v.Verify(req, ok)
	wantCode(t, err, "SignatureDoesNotMatch")
}

// sdkPresign presigns with the SDK and returns the request as the holder of
// the URL sends it.
func sdkPresign(t testing.TB, method, path string, expires, secret, region, token string, at time.Time, body []byte) *fasthttp.Request {
	t.Helper()
	r := sdkRequest(method, path, "X-Amz-Expires="+expires, nil)
	creds := aws.Credentials{AccessKeyID: sdkAccessKey, SecretAccessKey: secret, SessionToken: token}
	signed, hdr, err := newSigner().PresignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "s3", region, at)
	if err != nil {
		t.Fatal(err)
	}
	uri := strings.TrimPrefix(signed, "http://"+sdkHost)
	var raw strings.Builder
	raw.WriteString(method + " " + uri + " HTTP/1.1\r\n")
	for k, vs := range hdr {
		for _, v := range vs {
			raw.WriteString(k + ": " + v + "\r\n")
		}
	}
	if len(body) > 0 {
		raw.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	return parseRequest(t, raw.String(), body)
}

func TestSDKPresigned(t *testing.T) {
	now := sdkNow
	v := NewVerifier(Config{Now: func() time.Time { return now }})
	ok := secrets(sdkAccessKey, sdkSecret)
	for _, key := range oddKeys {
		for _, token := range []string{"", sdkToken} {
			req := sdkPresign(t, "GET", key, "3600", sdkSecret, "us-east-1", token, now.Add(-time.Hour+time.Second), nil)
			res, err := v.Verify(req, ok)
			if err != nil {
				t.Fatalf("key %q: %v\n%s", key, err, req.Header.RequestURI())
			}
			if !res.Presigned || res.AccessKey != sdkAccessKey || res.SecurityToken != token || res.Mode != PayloadUnsigned {
				t.Fatalf("result %+v", res)
			}
		}
	}
	body := []byte("uploaded through a presigned URL")
	req := sdkPresign(t, "PUT", "/bucket/up load", "604800", sdkSecret, "us-east-1", sdkToken, now, body)
	res, err := v.Verify(req, ok)
	if err != nil {
		t.Fatal(err)
	}
	br, err := v.NewBodyReader(&res, req, bytes.NewReader(req.Body()))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(br); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("body %q %v", got, err)
	}

	cases := []struct {
		name string
		req  *fasthttp.Request
		code string
		msg  string
	}{
		{"expired", sdkPresign(t, "GET", "/b/k", "60", sdkSecret, "us-east-1", "", now.Add(-61*time.Second), nil), "AccessDenied", "Request has expired"},
		{"future", sdkPresign(t, "GET", "/b/k", "60", sdkSecret, "us-east-1", "", now.Add(16*time.Minute), nil), "RequestTimeTooSkewed", ""},
		{"expiry too long", sdkPresign(t, "GET", "/b/k", "604801", sdkSecret, "us-east-1", "", now, nil), "AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{"expiry not a number", sdkPresign(t, "GET", "/b/k", "1h", sdkSecret, "us-east-1", "", now, nil), "AuthorizationQueryParametersError", "X-Amz-Expires should be a number"},
		{"negative expiry", sdkPresign(t, "GET", "/b/k", "-5", sdkSecret, "us-east-1", "", now, nil), "AuthorizationQueryParametersError", "X-Amz-Expires must be non-negative"},
		{"wrong secret", sdkPresign(t, "GET", "/b/k", "60", "wrong", "us-east-1", "", now, nil), "SignatureDoesNotMatch", ""},
		{"wrong region", sdkPresign(t, "GET", "/b/k", "60", sdkSecret, "us-west-2", "", now, nil), "AuthorizationQueryParametersError",
			"Error parsing the X-Amz-Credential parameter; the region 'us-west-2' is wrong; expecting 'us-east-1'"},
	}
	tampered := sdkPresign(t, "GET", "/b/k", "60", sdkSecret, "us-east-1", sdkToken, now, nil)
	tampered.Header.SetRequestURI(strings.Replace(string(tampered.Header.RequestURI()), "X-Amz-Security-Token=", "X-Amz-Security-Token=x", 1))
	cases = append(cases, struct {
		name string
		req  *fasthttp.Request
		code string
		msg  string
	}{"token changed", tampered, "SignatureDoesNotMatch", ""})
	missing := sdkPresign(t, "GET", "/b/k", "60", sdkSecret, "us-east-1", "", now, nil)
	missing.Header.SetRequestURI(strings.Replace(string(missing.Header.RequestURI()), "X-Amz-Date=", "X-Amz-Datum=", 1))
	cases = append(cases, struct {
		name string
		req  *fasthttp.Request
		code string
		msg  string
	}{"date missing", missing, "AuthorizationQueryParametersError", ""})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Verify(c.req, ok)
			e := wantCode(t, err, c.code)
			if c.msg != "" && e.Message != c.msg {
				t.Fatalf("message %q, want %q", e.Message, c.msg)
			}
		})
	}
}
