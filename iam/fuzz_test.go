package iam

import (
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzRequests exercise every source of request values.
func fuzzRequests() []*Request {
	full := map[string][]string{}
	for _, k := range ConditionKeys() {
		mk, _ := ConditionKey(strings.TrimSuffix(k, "/") + map[bool]string{true: "/t", false: ""}[strings.HasSuffix(k, "/")])
		full[mk] = []string{"x", "10", "2024-01-01T00:00:00Z", "arn:aws:iam::1:user/alice", "10.0.0.1", "true", "aGk="}
	}
	return []*Request{
		{Action: "s3:GetObject", Bucket: "b", Key: "home/alice/x.txt", Principal: "alice", Username: "alice", UserID: "AID", PrincipalType: "User",
			SourceIP: netip.MustParseAddr("10.0.0.1"), SecureTransport: true, Now: time.Unix(1700000000, 0), Conditions: full},
		{Action: "s3:ListBucket", Bucket: "b", Conditions: map[string][]string{"s3:prefix": {"home/"}}},
		{Action: "s3:ListAllMyBuckets"},
		{Action: "S3:PUTOBJECT", Bucket: "b", Key: strings.Repeat("é", 700), SourceIP: netip.MustParseAddr("2001:db8::1")},
		{Action: "s3:SomethingNew", Bucket: "x", Key: "y"},
		{Action: "sts:AssumeRole"},
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		tenStatements,
		idPolicy(okStmt),
		`{"Statement":{"Effect":"Deny","NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/${aws:username}"}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*","alice"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAllValues:StringLike":{"s3:RequestObjectTagKeys":"a*"},"Null":{"aws:username":"false"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/${aws:username, 'x'}"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01"},"NumericLessThanIfExists":{"s3:max-keys":"10"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"BinaryEquals":{"s3:x-amz-content-sha256":"aGk="},"StringEqualsIgnoreCase":{"s3:prefix":"${aws:userid}"}}}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	for _, name := range CannedBucketPolicyNames()[1:] {
		doc, _ := CannedBucketPolicy(name, "bucket")
		f.Add(doc, true)
	}
	reqs := fuzzRequests()
	f.Fuzz(func(t *testing.T, doc []byte, bucket bool) {
		kind := IdentityPolicy
		if bucket {
			kind = BucketPolicy
		}
		p, err := Parse(doc, kind)
		if err != nil {
			if _, ok := err.(*PolicyError); !ok {
				t.Fatalf("error %T %v is not a *PolicyError", err, err)
			}
			return
		}
		for _, r := range reqs {
			d := p.Evaluate(r)
			if d2 := Decide(r, p); d2 != d {
				t.Fatalf("Decide %v != Evaluate %v", d2, d)
			}
			if d3 := DecideIntersect(r, []*Policy{p}, []*Policy{p}); d3 != d {
				t.Fatalf("DecideIntersect(p, p) %v != Evaluate %v", d3, d)
			}
		}
		_ = p.ValidateBucket("bucket")
		q, err := Parse(p.JSON(), kind)
		if err != nil {
			t.Fatalf("re-parse of JSON(): %v", err)
		}
		for _, r := range reqs {
			if p.Evaluate(r) != q.Evaluate(r) {
				t.Fatal("re-parsed policy decides differently")
			}
		}
	})
}

func FuzzMatchWildcard(f *testing.F) {
	for _, s := range [][2]string{
		{"*", ""}, {"b/*", "b/k"}, {"a*b?c", "axxbyc"}, {"*.txt", "a/b.txt"}, {"日?語", "日本語"},
		{"*a*a*a*", "aaaa"}, {"?*?", "ab"}, {"x**y", "xy"}, {"k", "\u212A"}, {"ǅ", "ǆ"}, {"home/*/docs/*", "home/alice/docs/a"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		if !utf8.ValidString(pat) || !utf8.ValidString(s) || len(pat) > 256 || len(s) > 2048 {
			return
		}
		p, msg := compilePattern(pat, patOpts{wild: true})
		if msg != "" {
			t.Fatalf("compile %q: %s", pat, msg)
		}
		want := refMatch(pat, s)
		if got := match(p, s, nil); got != want {
			t.Fatalf("match(%q, %q) = %v, reference %v", pat, s, got, want)
		}
		if got := match(p, []byte(s), nil); got != want {
			t.Fatalf("match(%q, []byte(%q)) = %v, reference %v", pat, s, got, want)
		}
		// The resource route (fast paths and the stack buffer) agrees.
		if b, k, _ := strings.Cut(s, "/"); b != "" && b != "*" && (k != "" || !strings.Contains(s, "/")) {
			pr := prep(&Request{Bucket: b, Key: k})
			if got := pr.matchResource(p); got != want {
				t.Fatalf("matchResource(%q, %q/%q) = %v, reference %v", pat, b, k, got, want)
			}
		}
		// Without wildcards, folding compares like strings.EqualFold.
		fp, _ := compilePattern(pat, patOpts{fold: true})
		if got, want := match(fp, s, nil), strings.EqualFold(pat, s); got != want {
			t.Fatalf("fold match(%q, %q) = %v, EqualFold %v", pat, s, got, want)
		}
	})
}
