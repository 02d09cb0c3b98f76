//go:build !race

package sigv4

import (
	"testing"
	"time"
)

func TestAllocsParseAuthorization(t *testing.T) {
	h := []byte("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
	var a authHeader
	allocs := testing.AllocsPerRun(1000, func() {
		if err := parseAuthorization(h, &a); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("parseAuthorization allocs = %v, want 0", allocs)
	}
}

// Verify of a header-signed request with a cached signing key does not
// allocate: a GET with a Range header, and a listing with a sorted query.
func TestAllocsVerifyHeader(t *testing.T) {
	for name, head := range map[string]string{"GET Object": getObjectHead, "List Objects": listObjectsHead} {
		v := NewVerifier(Config{Now: func() time.Time { return docTime }})
		req := parseRequest(t, head, nil)
		secret := func([]byte) (string, error) { return docSecret, nil }
		if _, err := v.Verify(req, secret); err != nil { // fills the key cache
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(1000, func() {
			res, err := v.Verify(req, secret)
			if err != nil || res.AccessKey != docAccessKey {
				t.Fatal(res, err)
			}
		})
		if allocs != 0 {
			t.Fatalf("%s: Verify allocs = %v, want 0", name, allocs)
		}
	}
}
