package iam

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestPredefinedPolicies(t *testing.T) {
	ro, ok := Predefined(PolicyReadOnly)
	if !ok {
		t.Fatal("readonly missing")
	}
	wo, _ := Predefined(PolicyWriteOnly)
	rw, _ := Predefined(PolicyReadWrite)
	type c struct {
		action, bucket, key string
		ro, wo, rw          Decision
	}
	cases := []c{
		{"s3:GetObject", "b", "k", Allow, NotApplicable, Allow},
		{"s3:ListBucket", "b", "", Allow, NotApplicable, Allow},
		{"s3:ListAllMyBuckets", "", "", Allow, NotApplicable, Allow},
		{"s3:ListBucketMultipartUploads", "b", "", Allow, NotApplicable, Allow},
		{"s3:ListMultipartUploadParts", "b", "k", Allow, NotApplicable, Allow},
		{"s3:GetBucketLocation", "b", "", Allow, NotApplicable, Allow},
		{"s3:GetBucketPolicy", "b", "", Allow, NotApplicable, Allow},
		{"s3:GetBucketTagging", "b", "", Allow, NotApplicable, Allow},
		{"s3:PutObject", "b", "k", NotApplicable, Allow, Allow},
		{"s3:DeleteObject", "b", "k", NotApplicable, NotApplicable, Allow},
		{"s3:CreateBucket", "b", "", NotApplicable, NotApplicable, Allow},
		{"s3:PutBucketPolicy", "b", "", NotApplicable, NotApplicable, Allow},
		{"s3:GetObjectTagging", "b", "k", NotApplicable, NotApplicable, Allow},
		{"sts:AssumeRole", "", "", NotApplicable, NotApplicable, NotApplicable},
	}
	for _, tc := range cases {
		r := obj(tc.action, tc.bucket, tc.key)
		for _, pc := range []struct {
			name string
			p    *Policy
			want Decision
		}{{"readonly", ro, tc.ro}, {"writeonly", wo, tc.wo}, {"readwrite", rw, tc.rw}} {
			if got := pc.p.Evaluate(&r); got != pc.want {
				t.Errorf("%s %s on %q/%q = %v, want %v", pc.name, tc.action, tc.bucket, tc.key, got, pc.want)
			}
		}
	}
	if _, ok := Predefined("admin"); ok {
		t.Error("unknown predefined policy found")
	}
	if _, ok := PredefinedJSON("admin"); ok {
		t.Error("unknown predefined JSON found")
	}
}

func TestPredefinedJSON(t *testing.T) {
	want := map[string]string{
		PolicyReadOnly:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:ListBucket","s3:ListBucketMultipartUploads","s3:ListMultipartUploadParts","s3:GetBucketLocation","s3:GetBucketPolicy","s3:GetBucketTagging","s3:GetObject"],"Resource":["arn:aws:s3:::*"]}]}`,
		PolicyWriteOnly: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["arn:aws:s3:::*"]}]}`,
		PolicyReadWrite: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}`,
	}
	names := PredefinedNames()
	if !slices.IsSorted(names) || len(names) != len(want) {
		t.Fatalf("PredefinedNames = %v", names)
	}
	for _, name := range names {
		doc, ok := PredefinedJSON(name)
		if !ok || string(doc) != want[name] {
			t.Errorf("%s:\n got %s\nwant %s", name, doc, want[name])
		}
		p, _ := Predefined(name)
		if string(p.JSON()) != want[name] {
			t.Errorf("%s: Policy.JSON differs", name)
		}
		doc[0] = 'X' // callers get copies
		if again, _ := PredefinedJSON(name); again[0] != '{' {
			t.Errorf("%s: PredefinedJSON shares its buffer", name)
		}
	}
}

func TestCannedBucketPolicies(t *testing.T) {
	wantJSON := map[string]string{
		CannedDownload: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetBucketLocation","s3:ListBucket"],"Resource":["arn:aws:s3:::photos"]},{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::photos/*"]}]}`,
		CannedUpload:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetBucketLocation","s3:ListBucketMultipartUploads"],"Resource":["arn:aws:s3:::photos"]},{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:PutObject","s3:DeleteObject","s3:AbortMultipartUpload","s3:ListMultipartUploadParts"],"Resource":["arn:aws:s3:::photos/*"]}]}`,
		CannedPublic:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetBucketLocation","s3:ListBucket","s3:ListBucketMultipartUploads"],"Resource":["arn:aws:s3:::photos"]},{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject","s3:PutObject","s3:DeleteObject","s3:AbortMultipartUpload","s3:ListMultipartUploadParts"],"Resource":["arn:aws:s3:::photos/*"]}]}`,
	}
	policies := map[string]*Policy{}
	for _, name := range CannedBucketPolicyNames() {
		doc, err := CannedBucketPolicy(name, "photos")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == CannedNone {
			if doc != nil {
				t.Errorf("none: got %s, want no document", doc)
			}
			continue
		}
		if string(doc) != wantJSON[name] {
			t.Errorf("%s:\n got %s\nwant %s", name, doc, wantJSON[name])
		}
		p := mustParse(t, BucketPolicy, string(doc))
		if err := p.ValidateBucket("photos"); err != nil {
			t.Errorf("%s: ValidateBucket: %v", name, err)
		}
		policies[name] = p
	}

	type c struct {
		action, key              string
		download, upload, public Decision
	}
	A, N := Allow, NotApplicable
	cases := []c{
		{"s3:GetBucketLocation", "", A, A, A},
		{"s3:ListBucket", "", A, N, A},
		{"s3:ListBucketMultipartUploads", "", N, A, A},
		{"s3:GetObject", "k", A, N, A},
		{"s3:PutObject", "k", N, A, A},
		{"s3:DeleteObject", "k", N, A, A},
		{"s3:AbortMultipartUpload", "k", N, A, A},
		{"s3:ListMultipartUploadParts", "k", N, A, A},
		{"s3:DeleteBucket", "", N, N, N},
		{"s3:PutBucketPolicy", "", N, N, N},
		{"s3:GetObjectTagging", "k", N, N, N},
	}
	for _, tc := range cases {
		for _, principal := range []string{"", "someone"} { // anonymous and any user
			r := Request{Action: tc.action, Bucket: "photos", Key: tc.key, Principal: principal}
			for name, want := range map[string]Decision{CannedDownload: tc.download, CannedUpload: tc.upload, CannedPublic: tc.public} {
				if got := policies[name].Evaluate(&r); got != want {
					t.Errorf("%s: %s %q by %q = %v, want %v", name, tc.action, tc.key, principal, got, want)
				}
			}
			// Other buckets are untouched.
			r.Bucket = "other"
			if got := policies[CannedPublic].Evaluate(&r); got != N {
				t.Errorf("public policy applies to another bucket: %s = %v", tc.action, got)
			}
		}
	}

	if _, err := CannedBucketPolicy("private", "photos"); !errors.Is(err, ErrUnknownPolicy) {
		t.Errorf("unknown canned policy: %v", err)
	}
	for _, bad := range []string{"", "ab", strings.Repeat("a", 64), "Photos", "-ab", "ab-", "a_b", `a"b`, "192.168.1.1", "a b"} {
		if _, err := CannedBucketPolicy(CannedPublic, bad); !errors.Is(err, ErrInvalidBucketName) {
			t.Errorf("bucket %q: %v", bad, err)
		}
	}
	for _, good := range []string{"abc", "a.b-c", strings.Repeat("a", 63), "1.2.3"} {
		if err := validBucketName(good); err != nil {
			t.Errorf("bucket %q: %v", good, err)
		}
	}
}

func TestActionTable(t *testing.T) {
	// Every action the reference lists, plus those the brief names.
	required := []string{
		"AbortMultipartUpload", "CreateBucket", "DeleteBucket", "DeleteBucketPolicy", "DeleteObject",
		"GetBucketLocation", "GetLifecycleConfiguration", "PutLifecycleConfiguration",
		"ListBucketMultipartUploads", "ListMultipartUploadParts", "GetBucketPolicy", "GetObject",
		"ListAllMyBuckets", "ListBucket", "PutBucketPolicy", "PutObject", "GetBucketTagging", "PutBucketTagging",
		"GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", "GetObjectAcl", "PutObjectAcl",
		"GetBucketAcl", "PutBucketAcl", "GetBucketVersioning", "PutBucketVersioning", "ListBucketVersions",
		"GetObjectVersion", "DeleteObjectVersion", "GetBucketCors", "PutBucketCors", "GetBucketPolicyStatus",
		"GetEncryptionConfiguration", "PutEncryptionConfiguration", "GetBucketObjectLockConfiguration",
		"GetObjectRetention", "GetObjectLegalHold", "GetObjectAttributes", "RestoreObject",
	}
	for _, a := range required {
		if _, ok := LookupAction("s3:" + a); !ok {
			t.Errorf("action s3:%s missing", a)
		}
	}
	seen := map[string]bool{}
	for _, a := range Actions() {
		l := strings.ToLower(a.Name)
		if seen[l] {
			t.Errorf("duplicate action %s", a.Name)
		}
		seen[l] = true
		if a.Level < LevelService || a.Level > LevelObject {
			t.Errorf("%s: bad level", a.Name)
		}
		got, ok := LookupAction(strings.ToUpper(a.Name))
		if !ok || got != a {
			t.Errorf("LookupAction(upper %s) = %v, %v", a.Name, got, ok)
		}
	}
	for name, level := range map[string]Level{"s3:ListAllMyBuckets": LevelService, "s3:ListBucket": LevelBucket, "s3:GetObject": LevelObject, "s3:CreateBucket": LevelBucket} {
		if a, _ := LookupAction(name); a.Level != level {
			t.Errorf("%s level %v, want %v", name, a.Level, level)
		}
	}
	if _, ok := LookupAction("s3:GetObjekt"); ok {
		t.Error("typo found")
	}
	if _, ok := LookupAction(strings.Repeat("s", 100)); ok {
		t.Error("long name found")
	}
	if LevelObject.String() != "object" || Level(0).String() != "unknown" {
		t.Error("Level.String")
	}
}

func TestActionForOperation(t *testing.T) {
	cases := []struct {
		op        string
		versioned bool
		want      string
	}{
		{"GetObject", false, "s3:GetObject"},
		{"GetObject", true, "s3:GetObjectVersion"},
		{"HeadObject", false, "s3:GetObject"},
		{"HeadBucket", false, "s3:ListBucket"},
		{"ListObjectsV2", false, "s3:ListBucket"},
		{"ListBuckets", false, "s3:ListAllMyBuckets"},
		{"DeleteBucketTagging", false, "s3:PutBucketTagging"},
		{"DeleteBucketCors", false, "s3:PutBucketCORS"},
		{"UploadPart", false, "s3:PutObject"},
		{"CopyObject", true, "s3:PutObject"},
		{"DeleteObject", true, "s3:DeleteObjectVersion"},
		{"PutObjectTagging", true, "s3:PutObjectVersionTagging"},
		{"ListParts", false, "s3:ListMultipartUploadParts"},
		{"GetObjectLockConfiguration", false, "s3:GetBucketObjectLockConfiguration"},
	}
	for _, c := range cases {
		got, ok := ActionForOperation(c.op, c.versioned)
		if !ok || got != c.want {
			t.Errorf("ActionForOperation(%q, %v) = %q, %v; want %q", c.op, c.versioned, got, ok, c.want)
		}
	}
	if _, ok := ActionForOperation("Frobnicate", false); ok {
		t.Error("unknown operation found")
	}
	// Every mapped action is in the table.
	for op, a := range operationActions {
		for _, name := range []string{a.action, a.versioned} {
			if name == "" {
				continue
			}
			if info, ok := LookupAction(name); !ok || info.Name != name {
				t.Errorf("operation %s maps to %q, not a canonical table action", op, name)
			}
		}
	}
}
