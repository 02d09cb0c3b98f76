package node_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/iam"
)

// anonGet and anonPut use plain HTTP: what a browser or curl would send.
func anonGet(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func anonPut(t *testing.T, url, body string) int {
	t.Helper()
	req, _ := http.NewRequest("PUT", url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func anonDelete(t *testing.T, url string) int {
	t.Helper()
	req, _ := http.NewRequest("DELETE", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestBucketPolicies(t *testing.T) {
	e := newEnv(t)
	e.bucket("pub")
	if err := e.put(e.root, "pub", "f.txt", "hello"); err != nil {
		t.Fatal(err)
	}
	base := e.n.Endpoint + "/pub"
	setCanned := func(name string) {
		t.Helper()
		doc, err := iam.CannedBucketPolicy(name, "pub")
		if err != nil {
			t.Fatal(err)
		}
		if doc == nil {
			_, err = e.root.DeleteBucketPolicy(e.ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("pub")})
		} else {
			_, err = e.root.PutBucketPolicy(e.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pub"), Policy: aws.String(string(doc))})
		}
		if err != nil {
			t.Fatalf("set %s: %v", name, err)
		}
	}
	type want struct{ get, list, put, del int }
	cases := []struct {
		canned string
		want   want
	}{
		{"none", want{403, 403, 403, 403}},
		{"download", want{200, 200, 403, 403}},
		{"upload", want{403, 403, 200, 204}},
		{"public", want{200, 200, 200, 204}},
		{"none", want{403, 403, 403, 403}},
	}
	for _, c := range cases {
		setCanned(c.canned)
		got := want{
			get:  anonGet(t, base+"/f.txt"),
			list: anonGet(t, base+"?list-type=2"),
			put:  anonPut(t, base+"/up-"+c.canned, "x"),
			del:  anonDelete(t, base+"/up-"+c.canned),
		}
		if got != c.want {
			t.Errorf("canned %s: anonymous get/list/put/delete = %+v, want %+v", c.canned, got, c.want)
		}
		// Nothing beyond the bucket: other buckets and the bucket list stay closed.
		if s := anonGet(t, e.n.Endpoint+"/"); s != 403 {
			t.Errorf("canned %s: anonymous ListBuckets = %d", c.canned, s)
		}
	}
	// An anonymous write records the anonymous POSIX ids.
	setCanned("upload")
	if s := anonPut(t, base+"/anon.txt", "a"); s != 200 {
		t.Fatalf("anonymous put: %d", s)
	}
	st, err := e.admin.StatObject(e.ctx, "pub", "anon.txt")
	if err != nil || st.PosixUID != 65534 || st.PosixGID != 65534 {
		t.Fatalf("anonymous object ids: %+v %v", st, err)
	}

	// GetBucketPolicy returns what was set.
	out, err := e.root.GetBucketPolicy(e.ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pub")})
	if err != nil || !strings.Contains(aws.ToString(out.Policy), "s3:PutObject") {
		t.Fatalf("get policy: %v %v", out, err)
	}

	// Custom bucket policies: s3:* is refused, resources must be this bucket.
	bad := []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::pub/*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`,
		`not json`,
	}
	for _, doc := range bad {
		_, err := e.root.PutBucketPolicy(e.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pub"), Policy: aws.String(doc)})
		expectCode(t, "bad bucket policy "+doc, err, "MalformedPolicy")
	}

	// A bucket policy naming a user grants that user access without any IAM
	// policy; other users stay denied.
	e.bucket("team")
	bob := e.user("bob", "Bob-Pass-123", 0)
	carol := e.user("carol", "Carol-Pass-1", 0)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::team/*"}]}`
	if _, err := e.root.PutBucketPolicy(e.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("team"), Policy: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	if err := e.put(bob, "team", "b", "b"); err != nil {
		t.Fatalf("bob via bucket policy: %v", err)
	}
	expectCode(t, "carol", e.put(carol, "team", "c", "c"), "AccessDenied")
	// An explicit Deny in the user's policy beats the bucket policy's Allow.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}`
	if err := e.admin.PutPolicy(e.ctx, "no-put", []byte(deny)); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.AttachPolicy(e.ctx, "no-put", "bob"); err != nil {
		t.Fatal(err)
	}
	expectCode(t, "deny beats bucket allow", e.put(bob, "team", "b2", "b"), "AccessDenied")
}
