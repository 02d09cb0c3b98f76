package iam

import (
	"net/netip"
	"testing"
	"time"
)

// tenStatements is a 10-statement policy with wildcards in actions and
// resources, a policy variable, Deny statements and conditions. The
// benchmark request is allowed by the last Allow statement, so every
// statement is looked at.
var tenStatements = `{"Version":"2012-10-17","Statement":[
 {"Sid":"D1","Effect":"Deny","Action":"s3:Delete*","Resource":"arn:aws:s3:::prod-*/*"},
 {"Sid":"D2","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
 {"Sid":"D3","Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::*/*","Condition":{"StringNotEqualsIfExists":{"s3:x-amz-server-side-encryption":"AES256"}}},
 {"Sid":"A1","Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"},
 {"Sid":"A2","Effect":"Allow","Action":["s3:List*","s3:GetBucket*"],"Resource":"arn:aws:s3:::logs-*"},
 {"Sid":"A3","Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::logs-*/*/app?.log"},
 {"Sid":"A4","Effect":"Allow","Action":"s3:*Object","Resource":"arn:aws:s3:::home/${aws:username}/*"},
 {"Sid":"A5","Effect":"Allow","Action":"s3:*MultipartUpload*","Resource":"arn:aws:s3:::uploads/*"},
 {"Sid":"A6","Effect":"Allow","Action":"s3:PutObjectTagging","Resource":"arn:aws:s3:::tags/*"},
 {"Sid":"A7","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::data-*/team/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]},"StringLike":{"aws:UserAgent":"*aws-cli*"}}}
]}`

func benchRequest() *Request {
	return &Request{
		Action:          "s3:GetObject",
		Bucket:          "data-eu",
		Key:             "team/reports/2024/q1.csv",
		Username:        "alice",
		SourceIP:        netip.MustParseAddr("10.1.2.3"),
		SecureTransport: true,
		Now:             time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
		Conditions: map[string][]string{
			"aws:useragent": {"aws-cli/2.15.0 Python/3.11"},
		},
	}
}

func BenchmarkEvaluate10Statements(b *testing.B) {
	p := mustParse(b, IdentityPolicy, tenStatements)
	r := benchRequest()
	if d := p.Evaluate(r); d != Allow {
		b.Fatalf("decision %v, want Allow", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Evaluate(r)
	}
}

// BenchmarkEvaluateVariable is allowed by a resource with a policy
// variable (the general matcher with the stack buffer).
func BenchmarkEvaluateVariable(b *testing.B) {
	p := mustParse(b, IdentityPolicy, tenStatements)
	r := benchRequest()
	r.Bucket, r.Key = "home", "alice/notes.txt"
	if d := p.Evaluate(r); d != Allow {
		b.Fatalf("decision %v, want Allow", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Evaluate(r)
	}
}

// BenchmarkDecideReadOnly is the common case: a pre-defined policy.
func BenchmarkDecideReadOnly(b *testing.B) {
	p, _ := Predefined(PolicyReadOnly)
	r := benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		Decide(r, p)
	}
}

func BenchmarkParse(b *testing.B) {
	doc := []byte(tenStatements)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc, IdentityPolicy); err != nil {
			b.Fatal(err)
		}
	}
}
