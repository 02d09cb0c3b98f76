package audit

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/s3api"
)

// requestInfo builds the RequestInfo s3api reports for a signed GetObject
// that failed with NoSuchKey.
func requestInfo(t testing.TB) (*s3api.RequestInfo, *fasthttp.RequestCtx) {
	t.Helper()
	var req fasthttp.Request
	req.Header.SetMethod("GET")
	req.SetRequestURI("/photos/2024/cat.jpg")
	req.Header.SetHost("127.0.0.1:9000")
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.0 test")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=svcacct1/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc")
	req.Header.Set("X-Amz-Security-Token", "session-token-secret")
	req.Header.Set("X-Amz-Server-Side-Encryption-Customer-Key", "c2VjcmV0LWtleQ==")
	req.Header.Set("X-Amz-Date", "20240101T000000Z")
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 50123}, nil)
	ctx.Response.SetStatusCode(404)
	ctx.Response.Header.SetCanonical([]byte("x-amz-request-id"), []byte("17A2B3C4D5E6F708")) // as s3api writes it
	ctx.Response.Header.SetContentType("application/xml")
	ri := &s3api.RequestInfo{
		API: "GetObject", Bucket: "photos", Key: "2024/cat.jpg",
		Status: 404, ErrorCode: "NoSuchKey",
		Start:     time.Date(2024, 1, 2, 3, 4, 5, 6789, time.FixedZone("x", 3600)),
		Duration:  1234567 * time.Nanosecond,
		RequestID: []byte("17A2B3C4D5E6F708"),
		Identity:  &s3api.Identity{AccessKey: "svcacct1", User: "alice"},
		Ctx:       ctx,
	}
	return ri, ctx
}

func TestNewEventFields(t *testing.T) {
	ri, _ := requestInfo(t)
	ev := NewEvent(ri, "node1", "v1.2.3")
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"version": "1", "time": "2024-01-02T02:04:05.000006789Z", "node": "node1",
		"requestID": "17A2B3C4D5E6F708", "remotehost": "192.0.2.7", "userAgent": "aws-sdk-go-v2/1.0 test",
		"accessKey": "svcacct1", "parentUser": "alice", "tesseraVersion": "v1.2.3",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	api, _ := m["api"].(map[string]any)
	wantAPI := map[string]any{
		"name": "GetObject", "bucket": "photos", "object": "2024/cat.jpg", "status": "Not Found",
		"statusCode": float64(404), "errorCode": "NoSuchKey",
		"timeToResponse": "1234567ns", "timeToResponseInNS": "1234567",
	}
	for k, v := range wantAPI {
		if api[k] != v {
			t.Errorf("api.%s = %#v, want %#v", k, api[k], v)
		}
	}
	rh, _ := m["requestHeader"].(map[string]any)
	if rh["X-Amz-Date"] != "20240101T000000Z" || rh["Host"] != "127.0.0.1:9000" {
		t.Errorf("requestHeader lacks X-Amz-Date or Host: %v", rh)
	}
	for _, h := range []string{"Authorization", "X-Amz-Security-Token", "X-Amz-Server-Side-Encryption-Customer-Key"} {
		if rh[h] != Redacted {
			t.Errorf("requestHeader[%s] = %v, want %s", h, rh[h], Redacted)
		}
	}
	for _, secret := range []string{"Signature=abc", "session-token-secret", "c2VjcmV0LWtleQ=="} {
		if strings.Contains(string(b), secret) {
			t.Errorf("event JSON contains %q: %s", secret, b)
		}
	}
	resp, _ := m["responseHeader"].(map[string]any)
	if resp["X-Amz-Request-Id"] != "17A2B3C4D5E6F708" || resp["Content-Type"] != "application/xml" {
		t.Errorf("responseHeader = %v", resp)
	}
}

func TestNewEventIdentities(t *testing.T) {
	for _, tc := range []struct {
		name              string
		id                *s3api.Identity
		wantAK, wantParen string
	}{
		{"user's own key", &s3api.Identity{AccessKey: "alice", User: "alice"}, "alice", ""},
		{"root", &s3api.Identity{AccessKey: "root", User: "root", Root: true}, "root", ""},
		{"session", &s3api.Identity{AccessKey: "ASIAXYZ", User: "bob"}, "ASIAXYZ", "bob"},
		{"anonymous", &s3api.Identity{Anonymous: true}, "", ""},
		{"failed auth", &s3api.Identity{}, "", ""},
		{"no identity", nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ri, _ := requestInfo(t)
			ri.Identity = tc.id
			ev := NewEvent(ri, "n", "v")
			if ev.AccessKey != tc.wantAK || ev.ParentUser != tc.wantParen {
				t.Fatalf("accessKey %q parentUser %q, want %q %q", ev.AccessKey, ev.ParentUser, tc.wantAK, tc.wantParen)
			}
		})
	}
}

// The event must not alias the request's buffers, which fasthttp reuses.
func TestNewEventCopies(t *testing.T) {
	ri, ctx := requestInfo(t)
	ev := NewEvent(ri, "n", "v")
	copy(ri.RequestID, "XXXXXXXXXXXXXXXX")
	ctx.Request.Header.Set("X-Amz-Date", "changed")
	ctx.Request.Header.Set("User-Agent", "changed")
	ctx.Response.Header.Set("x-amz-request-id", "changed")
	if ev.RequestID != "17A2B3C4D5E6F708" || ev.RequestHeader["X-Amz-Date"] != "20240101T000000Z" ||
		ev.UserAgent != "aws-sdk-go-v2/1.0 test" || ev.ResponseHeader["X-Amz-Request-Id"] != "17A2B3C4D5E6F708" {
		t.Fatalf("event changed with the request: %+v", ev)
	}
}
