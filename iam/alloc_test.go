//go:build !race

package iam

import "testing"

func TestEvaluateAllocations(t *testing.T) {
	p := mustParse(t, IdentityPolicy, tenStatements)
	bucketPolicy := mustParse(t, BucketPolicy, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":["bob","alice"]},"Action":"s3:Get*","Resource":"arn:aws:s3:::data-eu/*"}]}`)
	parent := []*Policy{p}
	child := []*Policy{mustParse(t, IdentityPolicy, idPolicy(allow(`"s3:GetObject"`, `"arn:aws:s3:::data-*/*"`, `{"StringLike":{"s3:prefix":"${aws:username}*"}}`)))}

	variants := map[string]func(r *Request){
		"object":   func(r *Request) {},
		"variable": func(r *Request) { r.Bucket, r.Key = "home", "alice/x" },
		"bucket":   func(r *Request) { r.Action, r.Bucket, r.Key = "s3:ListBucket", "logs-1", "" },
		"service":  func(r *Request) { r.Action, r.Bucket, r.Key = "s3:ListAllMyBuckets", "", "" },
		"denied":   func(r *Request) { r.Action, r.Bucket = "s3:DeleteObject", "prod-1" },
		"implicit": func(r *Request) { r.Action = "s3:PutBucketPolicy" },
		"unknown":  func(r *Request) { r.Action = "s3:GetSomethingNew" },
		"case":     func(r *Request) { r.Action = "S3:GETOBJECT" },
	}
	for name, mod := range variants {
		r := benchRequest()
		r.Principal = "alice"
		mod(r)
		n := testing.AllocsPerRun(100, func() {
			p.Evaluate(r)
			Decide(r, p, bucketPolicy)
			DecideIntersect(r, parent, child)
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", name, n)
		}
	}
}
