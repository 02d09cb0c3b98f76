package node_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/raftfsm"
)

// auditReceiver is a webhook on 127.0.0.1 that keeps every event it gets.
type auditReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events []map[string]any
	auth   map[string]bool // Authorization values seen
}

func newAuditReceiver(t *testing.T) *auditReceiver {
	r := &auditReceiver{auth: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var evs []map[string]any
		sc := bufio.NewScanner(req.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			evs = append(evs, m)
		}
		r.mu.Lock()
		r.events = append(r.events, evs...)
		r.auth[req.Header.Get("Authorization")] = true
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// byRequestID waits for the event of one request.
func (r *auditReceiver) byRequestID(t *testing.T, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		for _, ev := range r.events {
			if ev["requestID"] == id {
				r.mu.Unlock()
				return ev
			}
		}
		r.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no audit event with requestID %s", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// metricValue reads one sample from /_tessera/metrics (-1 when absent).
func metricValue(t *testing.T, e *env, series string) float64 {
	t.Helper()
	_, body := httpGet(t, e.n.Endpoint+"/_tessera/metrics")
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func waitMetric(t *testing.T, e *env, series string, ok func(float64) bool) float64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v := metricValue(t, e, series)
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v", series, v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkEvent(t *testing.T, ev map[string]any, name, bucket, object string, status int, accessKey, parent string) {
	t.Helper()
	api, _ := ev["api"].(map[string]any)
	if api["name"] != name || api["bucket"] != bucket || api["object"] != object || api["statusCode"] != float64(status) {
		t.Errorf("api = %v, want %s %s/%s %d", api, name, bucket, object, status)
	}
	if ev["accessKey"] != accessKey || ev["parentUser"] != parent {
		t.Errorf("accessKey %v parentUser %v, want %q %q", ev["accessKey"], ev["parentUser"], accessKey, parent)
	}
	if ev["version"] != "1" || ev["node"] != "node1" || ev["remotehost"] != "127.0.0.1" || ev["tesseraVersion"] == "" {
		t.Errorf("version/node/remotehost/tesseraVersion: %v %v %v %v", ev["version"], ev["node"], ev["remotehost"], ev["tesseraVersion"])
	}
	if _, err := time.Parse(time.RFC3339Nano, ev["time"].(string)); err != nil {
		t.Errorf("time: %v", err)
	}
	if !regexp.MustCompile(`^\d+ns$`).MatchString(api["timeToResponse"].(string)) {
		t.Errorf("timeToResponse %v", api["timeToResponse"])
	}
	rh, _ := ev["requestHeader"].(map[string]any)
	if rh["Authorization"] != "REDACTED" || !strings.HasPrefix(ev["userAgent"].(string), "aws-sdk-go-v2") {
		t.Errorf("requestHeader Authorization %v, userAgent %v", rh["Authorization"], ev["userAgent"])
	}
	if resp, _ := ev["responseHeader"].(map[string]any); resp["X-Amz-Request-Id"] != ev["requestID"] {
		t.Errorf("responseHeader %v", resp)
	}
}

func TestAuditWebhook(t *testing.T) {
	e := newEnv(t)
	rcv := newAuditReceiver(t)
	const token = "hook-token-0123456789"

	// Only cluster admins may change it; readonly may look; S3 users may not.
	alice := e.user("alice", "Alice-Pass-1", 0)
	if err := e.admin.AttachPolicy(e.ctx, "readwrite", "alice"); err != nil {
		t.Fatal(err)
	}
	aliceAdmin := admin.NewClient(e.n.Endpoint, "alice", "Alice-Pass-1", nil)
	_, err := aliceAdmin.SetAuditWebhook(e.ctx, rcv.srv.URL, "x")
	var ae *admin.Error
	if !errors.As(err, &ae) || ae.Status != 403 {
		t.Fatalf("S3 user enabling the webhook: %v", err)
	}
	if _, err := aliceAdmin.GetAuditWebhook(e.ctx); !errors.As(err, &ae) || ae.Status != 403 {
		t.Fatalf("S3 user showing the webhook: %v", err)
	}
	if _, err := e.admin.CreateUser(e.ctx, admin.CreateUserRequest{Name: "auditor", Role: raftfsm.RoleReadOnly, Password: "Auditor-Pass-1"}); err != nil {
		t.Fatal(err)
	}
	ro := admin.NewClient(e.n.Endpoint, "auditor", "Auditor-Pass-1", nil)
	if _, err := ro.SetAuditWebhook(e.ctx, rcv.srv.URL, ""); !errors.As(err, &ae) || ae.Status != 403 {
		t.Fatalf("readonly enabling the webhook: %v", err)
	}
	if _, err := e.admin.SetAuditWebhook(e.ctx, "ftp://127.0.0.1/", ""); !errors.As(err, &ae) || ae.Status != 400 {
		t.Fatalf("ftp endpoint: %v", err)
	}

	info, err := e.admin.SetAuditWebhook(e.ctx, rcv.srv.URL+"/audit", token)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Enabled || !info.AuthTokenSet || info.Endpoint != rcv.srv.URL+"/audit" {
		t.Fatalf("enable answered %+v", info)
	}
	var raw json.RawMessage
	if err := ro.Do(e.ctx, "GET", "audit-webhook", nil, &raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), token) || !strings.Contains(string(raw), `"auth_token_set":true`) {
		t.Fatalf("show: %s", raw)
	}
	waitMetric(t, e, "tessera_audit_webhook_enabled", func(v float64) bool { return v == 1 })

	// Root: a PUT and a GET of a missing key; the request ids are the ones
	// the client saw.
	e.bucket("audited")
	put, err := e.root.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("audited"), Key: aws.String("dir/a.txt"), Body: strings.NewReader("hello")})
	if err != nil {
		t.Fatal(err)
	}
	putID, _ := awsmiddleware.GetRequestIDMetadata(put.ResultMetadata)
	_, err = e.root.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("audited"), Key: aws.String("missing")})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 404 {
		t.Fatalf("get missing: %v", err)
	}
	getID := re.ServiceRequestID()
	if putID == "" || getID == "" {
		t.Fatalf("request ids %q %q", putID, getID)
	}
	checkEvent(t, rcv.byRequestID(t, putID), "PutObject", "audited", "dir/a.txt", 200, e.n.AccessKey, "")
	ev := rcv.byRequestID(t, getID)
	checkEvent(t, ev, "GetObject", "audited", "missing", 404, e.n.AccessKey, "")
	if ev["api"].(map[string]any)["errorCode"] != "NoSuchKey" {
		t.Errorf("errorCode %v", ev["api"])
	}

	// A user's own key, then its service account (parentUser is the user).
	out, err := alice.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("audited"), Key: aws.String("b"), Body: strings.NewReader("b")})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	checkEvent(t, rcv.byRequestID(t, id), "PutObject", "audited", "b", 200, "alice", "")
	sa, err := aliceAdmin.AddServiceAccount(e.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	saClient := e.n.S3With(t, sa.AccessKey, sa.SecretKey, "")
	out2, err := saClient.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("audited"), Key: aws.String("b")})
	if err != nil {
		t.Fatal(err)
	}
	out2.Body.Close()
	id, _ = awsmiddleware.GetRequestIDMetadata(out2.ResultMetadata)
	checkEvent(t, rcv.byRequestID(t, id), "GetObject", "audited", "b", 200, sa.AccessKey, "alice")

	rcv.mu.Lock()
	auth := rcv.auth
	rcv.mu.Unlock()
	if len(auth) != 1 || !auth["Bearer "+token] {
		t.Fatalf("Authorization headers seen: %v", auth)
	}

	// The webhook goes away: S3 keeps answering at once, drops are counted.
	rcv.srv.Close()
	failedBefore := metricValue(t, e, `tessera_audit_events_dropped_total{reason="webhook_error"}`)
	for i := 0; i < 20; i++ {
		start := time.Now()
		if err := e.put(e.root, "audited", "after-"+strconv.Itoa(i), "x"); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("PutObject took %s with the webhook down", d)
		}
	}
	waitMetric(t, e, `tessera_audit_events_dropped_total{reason="webhook_error"}`, func(v float64) bool { return v >= failedBefore+20 })

	// Disable: show says so, and the sender stops.
	if err := e.admin.DisableAuditWebhook(e.ctx); err != nil {
		t.Fatal(err)
	}
	if info, err := e.admin.GetAuditWebhook(e.ctx); err != nil || info.Enabled || info.AuthTokenSet || info.Endpoint != "" {
		t.Fatalf("after disable: %+v %v", info, err)
	}
	waitMetric(t, e, "tessera_audit_webhook_enabled", func(v float64) bool { return v == 0 })
}
