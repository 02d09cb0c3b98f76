package node_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t)
	if code, _ := httpGet(t, e.n.Endpoint+"/_tessera/health/live"); code != 200 {
		t.Fatalf("live: %d", code)
	}
	if code, _ := httpGet(t, e.n.Endpoint+"/_tessera/health/ready"); code != 200 {
		t.Fatalf("ready: %d", code)
	}
	e.bucket("metrics-test")
	for i := 0; i < 3; i++ {
		if err := e.put(e.root, "metrics-test", "k", "12345"); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = e.get(e.root, "metrics-test", "missing")
	e.user("user1", "User-Pass-1", 0)

	code, body := httpGet(t, e.n.Endpoint+"/_tessera/metrics")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	for _, re := range []string{
		`tessera_s3_requests_total\{api="PutObject",status="200"\} 3`,
		`tessera_s3_requests_total\{api="GetObject",status="404"\} 1`,
		`tessera_s3_requests_total\{api="CreateBucket",status="200"\} 1`,
		`tessera_s3_request_duration_seconds_count\{api="PutObject"\} 3`,
		`tessera_s3_received_bytes_total 15`,
		`tessera_raft_state 2`,
		`tessera_identity_users 1`,
		`tessera_drive_online\{drive="[^"]+drive1"\} 1`,
		`tessera_raft_commit_seconds_count\{command="CreateBucket"\} 1`,
		`tessera_raft_commit_seconds_count\{command="CreateUser"\} 1`,
		`tessera_heal_backlog_objects 0`,
	} {
		if !regexp.MustCompile(re).MatchString(body) {
			t.Errorf("metrics lack %s", re)
		}
	}
	if t.Failed() {
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "tessera_") {
				t.Log(l)
			}
		}
	}
}
