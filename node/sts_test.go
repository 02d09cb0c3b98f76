package node_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/node"
	"github.com/tessera-s3/tessera/node/nodetest"
	"github.com/tessera-s3/tessera/raftfsm"
)

// offsetClock is a clock that tests move forward.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) Advance(d time.Duration) { c.off.Add(int64(d)) }
func withCredClock(c *offsetClock) nodetest.Option {
	return nodetest.WithConfig(func(cfg *node.Config) { cfg.CredentialNow = c.Now })
}

func stsClient(t *testing.T, n *nodetest.Node, ak, sk, token string) *sts.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(n.Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(ak, sk, token)))
	if err != nil {
		t.Fatal(err)
	}
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(n.Endpoint) })
}

func assume(t *testing.T, c *sts.Client, dur int32, policy string) (*sts.AssumeRoleOutput, error) {
	t.Helper()
	in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:x:ignored"), RoleSessionName: aws.String("ignored"), DurationSeconds: aws.Int32(dur)}
	if policy != "" {
		in.Policy = aws.String(policy)
	}
	return c.AssumeRole(context.Background(), in)
}

const dataRW = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}]}`

func TestAssumeRole(t *testing.T) {
	clock := &offsetClock{}
	n := nodetest.Start(t, withCredClock(clock))
	e := &env{t: t, n: n, ctx: context.Background(), root: n.S3(t), admin: admin.NewClient(n.Endpoint, n.AccessKey, n.SecretKey, nil)}
	e.bucket("data")
	e.bucket("other")
	e.user("alice", "Alice-Pass-1", 1500)
	if err := e.admin.PutPolicy(e.ctx, "data-rw", []byte(dataRW)); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.AttachPolicy(e.ctx, "data-rw", "alice"); err != nil {
		t.Fatal(err)
	}
	sc := stsClient(t, n, "alice", "Alice-Pass-1", "")

	out, err := assume(t, sc, 900, "")
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	cr := out.Credentials
	if !strings.HasPrefix(*cr.AccessKeyId, "ASIA") || *cr.SessionToken == "" || time.Until(*cr.Expiration) > 16*time.Minute || time.Until(*cr.Expiration) < 14*time.Minute {
		t.Fatalf("credentials: %+v", cr)
	}
	sess := n.S3With(t, *cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken)
	if err := e.put(sess, "data", "by-session", "s"); err != nil {
		t.Fatalf("session put: %v", err)
	}
	if got, err := e.get(sess, "data", "by-session"); err != nil || got != "s" {
		t.Fatalf("session get: %q %v", got, err)
	}
	expectCode(t, "session outside parent policy", e.put(sess, "other", "x", "x"), "AccessDenied")
	st, err := e.admin.StatObject(e.ctx, "data", "by-session")
	if err != nil || st.PosixUID != 1500 || st.Owner != "alice" {
		t.Fatalf("session object owner: %+v %v", st, err)
	}

	// A wrong or missing token is refused.
	expectCode(t, "wrong token", e.put(n.S3With(t, *cr.AccessKeyId, *cr.SecretAccessKey, "bogus"), "data", "x", "x"), "InvalidToken")
	expectCode(t, "missing token", e.put(n.S3With(t, *cr.AccessKeyId, *cr.SecretAccessKey, ""), "data", "x", "x"), "AccessDenied")

	// A session policy narrows; it cannot add.
	readOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}`
	out, err = assume(t, sc, 3600, readOnly)
	if err != nil {
		t.Fatal(err)
	}
	narrow := n.S3With(t, *out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	if _, err := e.get(narrow, "data", "by-session"); err != nil {
		t.Fatalf("narrow get: %v", err)
	}
	expectCode(t, "narrow put", e.put(narrow, "data", "y", "y"), "AccessDenied")
	widen := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	out, err = assume(t, sc, 3600, widen)
	if err != nil {
		t.Fatal(err)
	}
	wide := n.S3With(t, *out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	expectCode(t, "session policy cannot add", e.put(wide, "other", "z", "z"), "AccessDenied")
	if err := e.put(wide, "data", "z", "z"); err != nil {
		t.Fatalf("wide in data: %v", err)
	}

	// Validation.
	_, err = assume(t, sc, 899, "")
	expectCode(t, "duration too short", err, "ValidationError")
	_, err = assume(t, sc, 604801, "")
	expectCode(t, "duration too long", err, "ValidationError")
	_, err = assume(t, sc, 900, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Nope","Resource":"*"}]}`)
	expectCode(t, "bad session policy", err, "MalformedPolicyDocument")
	_, err = assume(t, sc, 900, `{"Version":"2012-10-17","Statement":[{"Sid":"`+strings.Repeat("x", 2100)+`","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	expectCode(t, "oversized session policy", err, "PackedPolicyTooLarge")

	// Only S3 users' own keys may assume roles.
	_, err = assume(t, stsClient(t, n, *cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken), 900, "")
	expectCode(t, "session assumes", err, "AccessDenied")
	_, err = assume(t, stsClient(t, n, n.AccessKey, n.SecretKey, ""), 900, "")
	expectCode(t, "root assumes", err, "AccessDenied")
	_, err = assume(t, stsClient(t, n, "alice", "Wrong-Pass-1", ""), 900, "")
	expectCode(t, "wrong secret", err, "SignatureDoesNotMatch")

	// Changing the parent's policy applies to its sessions at once.
	if err := e.admin.DetachPolicy(e.ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	expectCode(t, "after parent detach", e.put(sess, "data", "w", "w"), "AccessDenied")
	if err := e.admin.AttachPolicy(e.ctx, "data-rw", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := e.put(sess, "data", "w", "w"); err != nil {
		t.Fatalf("after re-attach: %v", err)
	}

	// Admin listing and revocation.
	ss, err := e.admin.ListSessions(e.ctx, "alice")
	if err != nil || len(ss) != 3 {
		t.Fatalf("list sessions: %d %v", len(ss), err)
	}
	if err := e.admin.RevokeSession(e.ctx, *out.Credentials.AccessKeyId); err != nil {
		t.Fatal(err)
	}
	expectCode(t, "revoked session", e.put(wide, "data", "z2", "z"), "InvalidAccessKeyId")

	// Expiry: 15 minutes later every request gets ExpiredToken.
	clock.Advance(901 * time.Second)
	expectCode(t, "expired", e.put(sess, "data", "late", "x"), "ExpiredToken")
	if k, err := n.Node.PurgeExpiredSessions(e.ctx); err != nil || k != 1 {
		t.Fatalf("purge: %d %v", k, err)
	}

	// Sessions survive a restart; deleting the parent revokes the rest.
	n.Restart(t)
	narrow = n.S3With(t, *out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	expectCode(t, "revoked stays revoked", e.put(narrow, "data", "q", "q"), "InvalidAccessKeyId")
	ss, _ = e.admin.ListSessions(e.ctx, "")
	if len(ss) != 1 {
		t.Fatalf("sessions after restart: %+v", ss)
	}
	if err := e.admin.DeleteUser(e.ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if ss, _ := e.admin.ListSessions(e.ctx, ""); len(ss) != 0 {
		t.Fatalf("sessions after parent deletion: %+v", ss)
	}
}

func TestServiceAccounts(t *testing.T) {
	n := nodetest.Start(t)
	e := &env{t: t, n: n, ctx: context.Background(), root: n.S3(t), admin: admin.NewClient(n.Endpoint, n.AccessKey, n.SecretKey, nil)}
	e.bucket("data")
	e.bucket("other")
	e.user("alice", "Alice-Pass-1", 2000)
	if err := e.admin.AttachPolicy(e.ctx, "readwrite", "alice"); err != nil {
		t.Fatal(err)
	}
	alice := admin.NewClient(n.Endpoint, "alice", "Alice-Pass-1", nil)

	inherit, err := alice.AddServiceAccount(e.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	narrowPolicy := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::data/*"}]}`)
	narrow, err := alice.AddServiceAccount(e.ctx, narrowPolicy)
	if err != nil {
		t.Fatal(err)
	}
	if inherit.Parent != "alice" || len(inherit.SecretKey) != 40 || inherit.AccessKey == narrow.AccessKey {
		t.Fatalf("add: %+v %+v", inherit, narrow)
	}
	s3i := n.S3With(t, inherit.AccessKey, inherit.SecretKey, "")
	s3n := n.S3With(t, narrow.AccessKey, narrow.SecretKey, "")
	if err := e.put(s3i, "other", "i", "i"); err != nil {
		t.Fatalf("inherited put: %v", err)
	}
	if err := e.put(s3n, "data", "n", "n"); err != nil {
		t.Fatalf("narrow put: %v", err)
	}
	expectCode(t, "narrow outside", e.put(s3n, "other", "n", "n"), "AccessDenied")
	st, _ := e.admin.StatObject(e.ctx, "data", "n")
	if st.PosixUID != 2000 || st.Owner != "alice" {
		t.Fatalf("service account object: %+v", st)
	}

	list, err := alice.ListServiceAccounts(e.ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %+v %v", list, err)
	}
	show, err := alice.ShowServiceAccount(e.ctx, narrow.AccessKey)
	if err != nil || show.ImpliedPolicy || show.Parent != "alice" || !strings.Contains(string(show.PolicyContent), "s3:PutObject") {
		t.Fatalf("show narrow: %+v %v", show, err)
	}
	show, err = alice.ShowServiceAccount(e.ctx, inherit.AccessKey)
	if err != nil || !show.ImpliedPolicy || !strings.Contains(string(show.PolicyContent), "s3:*") {
		t.Fatalf("show inherited: %+v %v", show, err)
	}

	// Nobody but alice, with her own keys, manages them.
	var ae *admin.Error
	for name, c := range map[string]*admin.Client{
		"root":            e.admin,
		"service account": admin.NewClient(n.Endpoint, inherit.AccessKey, inherit.SecretKey, nil),
	} {
		if _, err := c.AddServiceAccount(e.ctx, nil); !errors.As(err, &ae) || ae.Code != "AccessDenied" || !strings.Contains(ae.Message, "only the S3 user itself") {
			t.Errorf("%s adding a service account: %v", name, err)
		}
	}
	if _, err := e.admin.CreateUser(e.ctx, admin.CreateUserRequest{Name: "boss", Role: raftfsm.RoleClusterAdmin, Password: "Boss-Pass-1"}); err != nil {
		t.Fatal(err)
	}
	boss := admin.NewClient(n.Endpoint, "boss", "Boss-Pass-1", nil)
	if err := boss.RemoveServiceAccount(e.ctx, inherit.AccessKey); !errors.As(err, &ae) || ae.Code != "AccessDenied" {
		t.Errorf("cluster admin removing alice's service account: %v", err)
	}
	e.user("bob", "Bob-Pass-123", 0)
	bob := admin.NewClient(n.Endpoint, "bob", "Bob-Pass-123", nil)
	if err := bob.RemoveServiceAccount(e.ctx, inherit.AccessKey); !errors.As(err, &ae) || ae.Code != "NoSuchEntity" {
		t.Errorf("another user removing alice's service account: %v", err)
	}
	// A service account cannot assume a role.
	_, err = assume(t, stsClient(t, n, inherit.AccessKey, inherit.SecretKey, ""), 900, "")
	expectCode(t, "service account assumes", err, "AccessDenied")

	// The parent's policy change applies at once.
	if err := e.admin.AttachPolicy(e.ctx, "readonly", "alice"); err != nil {
		t.Fatal(err)
	}
	expectCode(t, "after parent narrowed", e.put(s3i, "other", "i2", "i"), "AccessDenied")
	if _, err := e.get(s3i, "other", "i"); err != nil {
		t.Fatalf("read after narrowing: %v", err)
	}

	// At most 100 per user.
	for i := 2; i < 100; i++ {
		if _, err := alice.AddServiceAccount(e.ctx, nil); err != nil {
			t.Fatalf("service account %d: %v", i+1, err)
		}
	}
	if _, err := alice.AddServiceAccount(e.ctx, nil); !errors.As(err, &ae) || ae.Code != "LimitExceeded" || !strings.Contains(ae.Message, "100") {
		t.Fatalf("101st: %v", err)
	}

	// Survive a restart (log and snapshot), then removal and parent
	// deletion revoke.
	if err := n.Node.RaftSnapshot(); err != nil {
		t.Fatal(err)
	}
	n.Restart(t)
	s3n = n.S3With(t, narrow.AccessKey, narrow.SecretKey, "")
	if _, err := e.get(s3n, "data", "n"); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if err := alice.RemoveServiceAccount(e.ctx, narrow.AccessKey); err != nil {
		t.Fatal(err)
	}
	_, err = e.get(s3n, "data", "n")
	expectCode(t, "removed", err, "InvalidAccessKeyId")
	if err := e.admin.DeleteUser(e.ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	_, err = e.get(s3i, "other", "i")
	expectCode(t, "parent deleted", err, "InvalidAccessKeyId")
}
