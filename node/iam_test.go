package node_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/node/nodetest"
	"github.com/tessera-s3/tessera/raftfsm"
)

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

type env struct {
	t     *testing.T
	n     *nodetest.Node
	ctx   context.Context
	root  *s3.Client
	admin *admin.Client
}

func newEnv(t *testing.T) *env {
	n := nodetest.Start(t)
	e := &env{t: t, n: n, ctx: context.Background(), root: n.S3(t)}
	e.admin = admin.NewClient(n.Endpoint, n.AccessKey, n.SecretKey, nil)
	return e
}

func (e *env) user(name, password string, uid uint32) *s3.Client {
	e.t.Helper()
	_, err := e.admin.CreateUser(e.ctx, admin.CreateUserRequest{Name: name, Role: raftfsm.RoleS3, Password: password, PosixUID: &uid, PosixGID: &uid})
	if err != nil {
		e.t.Fatalf("create user %s: %v", name, err)
	}
	return e.n.S3With(e.t, name, password, "")
}

func (e *env) bucket(name string) {
	e.t.Helper()
	if _, err := e.root.CreateBucket(e.ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		e.t.Fatalf("create bucket %s: %v", name, err)
	}
}

func (e *env) put(c *s3.Client, bucket, key, body string) error {
	_, err := c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	return err
}

func (e *env) get(c *s3.Client, bucket, key string) (string, error) {
	out, err := c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

func (e *env) list(c *s3.Client, bucket, prefix string) error {
	_, err := c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	return err
}

func expectCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := apiCode(err); got != code {
		t.Fatalf("%s: got %q (%v), want %q", what, got, err, code)
	}
}

func TestPolicyEnforcement(t *testing.T) {
	e := newEnv(t)
	e.bucket("data")
	e.bucket("other")
	if err := e.put(e.root, "data", "home/alice/a.txt", "alice's"); err != nil {
		t.Fatal(err)
	}
	if err := e.put(e.root, "data", "shared/s.txt", "shared"); err != nil {
		t.Fatal(err)
	}
	alice := e.user("alice", "Alice-Pass-1", 1001)

	// No policy: nothing at all.
	_, err := alice.ListBuckets(e.ctx, &s3.ListBucketsInput{})
	expectCode(t, "no policy ListBuckets", err, "AccessDenied")
	expectCode(t, "no policy Get", func() error { _, err := e.get(alice, "data", "shared/s.txt"); return err }(), "AccessDenied")
	expectCode(t, "no policy Put", e.put(alice, "data", "x", "x"), "AccessDenied")

	// readonly: list and read, no writes.
	if err := e.admin.AttachPolicy(e.ctx, "readonly", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.ListBuckets(e.ctx, &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("readonly ListBuckets: %v", err)
	}
	if got, err := e.get(alice, "data", "shared/s.txt"); err != nil || got != "shared" {
		t.Fatalf("readonly get: %q %v", got, err)
	}
	if err := e.list(alice, "data", ""); err != nil {
		t.Fatalf("readonly list: %v", err)
	}
	expectCode(t, "readonly Put", e.put(alice, "data", "x", "x"), "AccessDenied")
	_, err = alice.DeleteObject(e.ctx, &s3.DeleteObjectInput{Bucket: aws.String("data"), Key: aws.String("shared/s.txt")})
	expectCode(t, "readonly Delete", err, "AccessDenied")

	// writeonly: put, but not read.
	if err := e.admin.AttachPolicy(e.ctx, "writeonly", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := e.put(alice, "data", "w.txt", "written"); err != nil {
		t.Fatalf("writeonly put: %v", err)
	}
	expectCode(t, "writeonly Get", func() error { _, err := e.get(alice, "data", "w.txt"); return err }(), "AccessDenied")
	expectCode(t, "writeonly List", e.list(alice, "data", ""), "AccessDenied")

	// A custom policy limited to one prefix of one bucket works exactly there.
	home := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::data/home/${aws:username}/*"},
	 {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::data","Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}}]}`
	if err := e.admin.PutPolicy(e.ctx, "home", []byte(home)); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.AttachPolicy(e.ctx, "home", "alice"); err != nil {
		t.Fatal(err)
	}
	if got, err := e.get(alice, "data", "home/alice/a.txt"); err != nil || got != "alice's" {
		t.Fatalf("home get: %q %v", got, err)
	}
	if err := e.put(alice, "data", "home/alice/b.txt", "b"); err != nil {
		t.Fatalf("home put: %v", err)
	}
	if err := e.list(alice, "data", "home/alice/"); err != nil {
		t.Fatalf("home list: %v", err)
	}
	expectCode(t, "home list other prefix", e.list(alice, "data", "shared/"), "AccessDenied")
	expectCode(t, "home get outside", func() error { _, err := e.get(alice, "data", "shared/s.txt"); return err }(), "AccessDenied")
	expectCode(t, "home put other bucket", e.put(alice, "other", "home/alice/x", "x"), "AccessDenied")
	expectCode(t, "home put other user's dir", e.put(alice, "data", "home/bob/x", "x"), "AccessDenied")

	// An explicit Deny beats readwrite.
	deny := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"s3:*","Resource":"*"},
	 {"Effect":"Deny","Action":"s3:*","Resource":["arn:aws:s3:::data/shared/*"]}]}`
	if err := e.admin.PutPolicy(e.ctx, "all-but-shared", []byte(deny)); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.AttachPolicy(e.ctx, "all-but-shared", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := e.put(alice, "other", "k", "v"); err != nil {
		t.Fatalf("allow put: %v", err)
	}
	expectCode(t, "explicit deny get", func() error { _, err := e.get(alice, "data", "shared/s.txt"); return err }(), "AccessDenied")

	// Detaching takes effect on the next request.
	if err := e.admin.DetachPolicy(e.ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	expectCode(t, "after detach", e.put(alice, "other", "k2", "v"), "AccessDenied")

	// Objects record the writer's POSIX ids.
	st, err := e.admin.StatObject(e.ctx, "data", "home/alice/b.txt")
	if err != nil || st.PosixUID != 1001 || st.PosixGID != 1001 || st.Owner != "alice" {
		t.Fatalf("stat: %+v %v", st, err)
	}
	st, err = e.admin.StatObject(e.ctx, "data", "shared/s.txt")
	if err != nil || st.PosixUID != 0 {
		t.Fatalf("root's object stat: %+v %v", st, err)
	}
}

func TestAdminAPIRules(t *testing.T) {
	e := newEnv(t)
	e.user("bob", "Bob-Pass-12", 0)
	bob := admin.NewClient(e.n.Endpoint, "bob", "Bob-Pass-12", nil)
	var ae *admin.Error
	if _, err := bob.ListUsers(e.ctx); !errors.As(err, &ae) || ae.Code != "AccessDenied" || !strings.Contains(ae.Message, "clusteradmin") {
		t.Fatalf("s3 user on admin API: %v", err)
	}
	cases := []struct {
		name string
		do   func() error
		code string
		msg  string
	}{
		{"weak password", func() error {
			_, err := e.admin.CreateUser(e.ctx, admin.CreateUserRequest{Name: "carol", Role: "s3", Password: "alllowercase1"})
			return err
		}, "InvalidInput", "upper-case"},
		{"bad role", func() error {
			_, err := e.admin.CreateUser(e.ctx, admin.CreateUserRequest{Name: "carol", Role: "god", Password: "Good-Pass-1"})
			return err
		}, "InvalidInput", "role"},
		{"duplicate", func() error {
			_, err := e.admin.CreateUser(e.ctx, admin.CreateUserRequest{Name: "bob", Role: "s3", Password: "Good-Pass-1"})
			return err
		}, "EntityAlreadyExists", "bob"},
		{"invalid json policy", func() error { return e.admin.PutPolicy(e.ctx, "p", []byte(`{"Version":`)) }, "MalformedPolicyDocument", ""},
		{"unknown action", func() error {
			return e.admin.PutPolicy(e.ctx, "p", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}]}`))
		}, "MalformedPolicyDocument", "GetObjekt"},
		{"oversized policy", func() error {
			big := `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 2100) + `","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
			return e.admin.PutPolicy(e.ctx, "p", []byte(big))
		}, "MalformedPolicyDocument", "2048"},
		{"remove predefined", func() error { return e.admin.DeletePolicy(e.ctx, "readonly") }, "InvalidInput", "pre-defined"},
		{"attach unknown", func() error { return e.admin.AttachPolicy(e.ctx, "nope", "bob") }, "NoSuchEntity", "nope"},
	}
	for _, c := range cases {
		err := c.do()
		if !errors.As(err, &ae) || ae.Code != c.code || !strings.Contains(ae.Message, c.msg) {
			t.Errorf("%s: got %v, want %s containing %q", c.name, err, c.code, c.msg)
		}
	}
	// Removing an attached policy is refused and names the user.
	if err := e.admin.PutPolicy(e.ctx, "mine", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.AttachPolicy(e.ctx, "mine", "bob"); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.DeletePolicy(e.ctx, "mine"); !errors.As(err, &ae) || ae.Code != "DeleteConflict" || !strings.Contains(ae.Message, "bob") {
		t.Fatalf("delete attached: %v", err)
	}
	// Unsigned admin requests are refused.
	resp, err := http.Get(e.n.Endpoint + admin.Prefix + "users")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("anonymous admin call: %d", resp.StatusCode)
	}
}

func TestIdentitySurvivesRestart(t *testing.T) {
	e := newEnv(t)
	e.bucket("keep")
	alice := e.user("alice", "Alice-Pass-1", 7)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::keep","arn:aws:s3:::keep/*"]}]}`
	if err := e.admin.PutPolicy(e.ctx, "keep-rw", []byte(doc)); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.AttachPolicy(e.ctx, "keep-rw", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := e.put(alice, "keep", "a", "1"); err != nil {
		t.Fatal(err)
	}
	// Once from the Raft log ...
	e.n.Restart(t)
	alice = e.n.S3With(t, "alice", "Alice-Pass-1", "")
	if got, err := e.get(alice, "keep", "a"); err != nil || got != "1" {
		t.Fatalf("after restart: %q %v", got, err)
	}
	// ... and once from a snapshot.
	if err := e.n.Node.RaftSnapshot(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.CreateUser(e.ctx, admin.CreateUserRequest{Name: "late", Role: "s3", Password: "Late-Pass-1"}); err != nil {
		t.Fatal(err)
	}
	e.n.Restart(t)
	alice = e.n.S3With(t, "alice", "Alice-Pass-1", "")
	if err := e.put(alice, "keep", "b", "2"); err != nil {
		t.Fatalf("after snapshot restart: %v", err)
	}
	expectCode(t, "still limited", e.put(alice, "other", "b", "2"), "AccessDenied")
	us, err := e.admin.ListUsers(e.ctx)
	if err != nil || len(us) != 2 || us[0].Name != "alice" || us[0].PosixUID != 7 || us[0].Policy != "keep-rw" || us[1].Name != "late" {
		t.Fatalf("users after restarts: %+v %v", us, err)
	}
	// Wrong password is refused.
	bad := e.n.S3With(t, "alice", "Wrong-Pass-1", "")
	expectCode(t, "wrong password", e.put(bad, "keep", "c", "3"), "SignatureDoesNotMatch")
}
