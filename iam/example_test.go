package iam_test

import (
	"fmt"
	"net/netip"

	"github.com/tessera-s3/tessera/iam"
)

// An authorizer combines the caller's identity policies, narrowed by a
// session policy, with the bucket policy.
func Example() {
	user, _ := iam.Predefined(iam.PolicyReadWrite)
	session, err := iam.Parse([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/${aws:username}/*"}]}`), iam.IdentityPolicy)
	if err != nil {
		panic(err)
	}
	doc, _ := iam.CannedBucketPolicy(iam.CannedDownload, "public")
	bucket, _ := iam.Parse(doc, iam.BucketPolicy)

	// authorize is what an Authorizer does once it has the policies: the
	// identity side (user policies narrowed by the session policy) and the
	// bucket policy each may grant; an explicit Deny anywhere wins.
	authorize := func(r *iam.Request) iam.Decision {
		var identity iam.Decision
		if r.Principal != "" { // anonymous callers have no identity policies
			identity = iam.DecideIntersect(r, []*iam.Policy{user}, []*iam.Policy{session})
		}
		var fromBucket iam.Decision
		if r.Bucket == "public" {
			fromBucket = bucket.Evaluate(r)
		}
		return iam.Union(identity, fromBucket)
	}
	for _, r := range []iam.Request{
		{Action: "s3:GetObject", Bucket: "photos", Key: "alice/cat.jpg", Principal: "alice", Username: "alice"},
		{Action: "s3:GetObject", Bucket: "photos", Key: "bob/dog.jpg", Principal: "alice", Username: "alice"},
		{Action: "s3:PutObject", Bucket: "photos", Key: "alice/new.jpg", Principal: "alice", Username: "alice"},
		{Action: "s3:GetObject", Bucket: "public", Key: "index.html", SourceIP: netip.MustParseAddr("192.0.2.1")},
	} {
		fmt.Printf("%s %s/%s: %v\n", r.Action, r.Bucket, r.Key, authorize(&r))
	}
	// Output:
	// s3:GetObject photos/alice/cat.jpg: Allow
	// s3:GetObject photos/bob/dog.jpg: NotApplicable
	// s3:PutObject photos/alice/new.jpg: NotApplicable
	// s3:GetObject public/index.html: Allow
}

func ExampleParse_error() {
	_, err := iam.Parse([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
		{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}]}`), iam.IdentityPolicy)
	fmt.Println(err)
	// Output: statement 2: unknown action "s3:GetObjekt"
}
