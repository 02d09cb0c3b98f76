package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/raftfsm"
	"github.com/tessera-s3/tessera/raftfsm/raftfsmtest"
)

// loadIdentities builds an FSM with users users (each with a sealed secret)
// and sessions sessions, through the same commands Raft applies.
func loadIdentities(tb testing.TB, sealer *raftfsm.Sealer, users, sessions int) *raftfsm.FSM {
	tb.Helper()
	f := raftfsm.NewFSM()
	for i := 0; i < users; i++ {
		name := fmt.Sprintf("user%07d", i)
		sealed, err := sealer.Seal(name, "Secret-"+name)
		if err != nil {
			tb.Fatal(err)
		}
		if err := raftfsmtest.Apply(f, raftfsm.CmdCreateUser, map[string]any{"user": raftfsm.User{Name: name, Role: raftfsm.RoleS3, Secret: sealed, Policy: "readwrite"}}); err != nil {
			tb.Fatal(err)
		}
	}
	exp := time.Now().Add(time.Hour)
	for i := 0; i < sessions; i++ {
		if err := raftfsmtest.Apply(f, raftfsm.CmdCreateSession, map[string]any{"session": raftfsm.Session{
			AccessKey: fmt.Sprintf("ASIA%016d", i), Secret: []byte{1}, TokenHash: []byte{2}, Parent: fmt.Sprintf("user%07d", i%users), Expiration: exp,
		}}); err != nil {
			tb.Fatal(err)
		}
	}
	return f
}

// signedRequest returns a fasthttp GET signed by the SDK's signer.
func signedRequest(tb testing.TB, ak, sk string) *fasthttp.Request {
	tb.Helper()
	hr, _ := http.NewRequest("GET", "http://127.0.0.1:9000/bucket/key", nil)
	sum := sha256.Sum256(nil)
	h := hex.EncodeToString(sum[:])
	hr.Header.Set("X-Amz-Content-Sha256", h)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}, hr, h, "s3", "us-east-1", time.Now()); err != nil {
		tb.Fatal(err)
	}
	var req fasthttp.Request
	req.Header.SetMethod("GET")
	req.SetRequestURI("/bucket/key")
	req.Header.SetHost("127.0.0.1:9000")
	for k, v := range hr.Header {
		req.Header.Set(k, v[0])
	}
	return &req
}

// BenchmarkAuthLookup measures SigV4 verification plus identity
// resolution against a state of 10 users and against 100,000 users with
// 1,000,000 STS sessions; the two must be within 20% (issue: benchmark).
func BenchmarkAuthLookup(b *testing.B) {
	sealer, err := raftfsm.NewSealer(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []struct {
		name            string
		users, sessions int
	}{{"users=10", 10, 0}, {"users=100000,sessions=1000000", 100000, 1000000}} {
		if testing.Short() && size.sessions > 0 {
			continue
		}
		f := loadIdentities(b, sealer, size.users, size.sessions)
		d := newIdentities(rootCredentials{AccessKey: "root", SecretKey: "root-secret-key"}, f, sealer, "us-east-1", time.Now, time.Now)
		name := fmt.Sprintf("user%07d", size.users/2)
		req := signedRequest(b, name, "Secret-"+name)
		b.Run(size.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := d.verifier.Verify(req, d.Secret)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := d.Identity(&res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
