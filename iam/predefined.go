package iam

import (
	"fmt"
	"net/netip"
	"strings"
)

// Names of the pre-defined identity policies.
const (
	PolicyReadOnly  = "readonly"
	PolicyWriteOnly = "writeonly"
	PolicyReadWrite = "readwrite"
)

// Names of the canned bucket policies.
const (
	CannedNone     = "none"
	CannedDownload = "download"
	CannedUpload   = "upload"
	CannedPublic   = "public"
)

// predefinedJSON holds the built-in identity policies: Version 2012-10-17,
// one Allow statement on arn:aws:s3:::*, actions as the reference lists
// them.
var predefinedJSON = map[string]string{
	PolicyReadOnly: allowAll(
		"s3:ListAllMyBuckets", "s3:ListBucket", "s3:ListBucketMultipartUploads",
		"s3:ListMultipartUploadParts", "s3:GetBucketLocation", "s3:GetBucketPolicy",
		"s3:GetBucketTagging", "s3:GetObject"),
	PolicyWriteOnly: allowAll("s3:PutObject"),
	PolicyReadWrite: allowAll("s3:*"),
}

// predefined holds them parsed. Built once; Policies are immutable.
var predefined = func() map[string]*Policy {
	m := make(map[string]*Policy, len(predefinedJSON))
	for name, doc := range predefinedJSON {
		p, err := Parse([]byte(doc), IdentityPolicy)
		if err != nil {
			panic("iam: pre-defined policy " + name + ": " + err.Error())
		}
		m[name] = p
	}
	return m
}()

func allowAll(actions ...string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` +
		jsonList(actions) + `,"Resource":["arn:aws:s3:::*"]}]}`
}

// jsonList renders strings that need no escaping as a JSON array.
func jsonList(items []string) string {
	return `["` + strings.Join(items, `","`) + `"]`
}

// Predefined returns a built-in identity policy: "readonly", "writeonly"
// or "readwrite". The *Policy is shared and immutable.
func Predefined(name string) (*Policy, bool) {
	p, ok := predefined[name]
	return p, ok
}

// PredefinedJSON returns the document of a built-in identity policy (a
// fresh copy).
func PredefinedJSON(name string) ([]byte, bool) {
	doc, ok := predefinedJSON[name]
	if !ok {
		return nil, false
	}
	return []byte(doc), true
}

// PredefinedNames returns the built-in policy names, sorted.
func PredefinedNames() []string {
	return []string{PolicyReadOnly, PolicyReadWrite, PolicyWriteOnly}
}

// cannedActions lists, per canned bucket policy, the actions granted on
// the bucket and on its objects.
var cannedActions = map[string][2][]string{
	CannedNone: {},
	CannedDownload: {
		{"s3:GetBucketLocation", "s3:ListBucket"},
		{"s3:GetObject"},
	},
	CannedUpload: {
		{"s3:GetBucketLocation", "s3:ListBucketMultipartUploads"},
		{"s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"},
	},
	CannedPublic: {
		{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"},
		{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"},
	},
}

// CannedBucketPolicy returns the bucket policy document of a canned
// policy ("none", "download", "upload", "public") for bucket: an Allow
// statement for Principal {"AWS":["*"]} on "arn:aws:s3:::bucket" and one
// on "arn:aws:s3:::bucket/*". "none" returns a nil document, meaning no
// bucket policy (delete it). Errors wrap ErrUnknownPolicy or
// ErrInvalidBucketName.
func CannedBucketPolicy(name, bucket string) ([]byte, error) {
	acts, ok := cannedActions[name]
	if !ok {
		return nil, fmt.Errorf("%w: canned bucket policy %q (want none, download, upload or public)", ErrUnknownPolicy, name)
	}
	if err := validBucketName(bucket); err != nil {
		return nil, err
	}
	if name == CannedNone {
		return nil, nil
	}
	stmt := func(actions []string, resource string) string {
		return `{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":` + jsonList(actions) +
			`,"Resource":["` + resource + `"]}`
	}
	doc := `{"Version":"2012-10-17","Statement":[` +
		stmt(acts[0], arnPrefix+bucket) + "," +
		stmt(acts[1], arnPrefix+bucket+"/*") + `]}`
	return []byte(doc), nil
}

// CannedBucketPolicyNames returns the canned bucket policy names.
func CannedBucketPolicyNames() []string {
	return []string{CannedNone, CannedDownload, CannedUpload, CannedPublic}
}

// validBucketName checks the bucket naming rules: 3-63 characters of
// a-z, 0-9, '.' and '-', beginning and ending with a letter or digit, and
// not an IP address. The error wraps ErrInvalidBucketName.
func validBucketName(b string) error {
	bad := func(why string) error { return fmt.Errorf("%w: %q %s", ErrInvalidBucketName, b, why) }
	if len(b) < 3 || len(b) > 63 {
		return bad("must be 3 to 63 characters long")
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return bad("may contain only lower-case letters, digits, '.' and '-'")
		}
	}
	if !isAlnum(b[0]) || !isAlnum(b[len(b)-1]) {
		return bad("must begin and end with a letter or digit")
	}
	if _, err := netip.ParseAddr(b); err == nil {
		return bad("may not be an IP address")
	}
	return nil
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
