package sigv4

import (
	"testing"
	"time"
)

func BenchmarkVerifyHeader(b *testing.B) {
	v := NewVerifier(Config{Now: func() time.Time { return docTime }})
	req := parseRequest(b, getObjectHead, nil)
	secret := func([]byte) (string, error) { return docSecret, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(req, secret); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAuthorization(b *testing.B) {
	h := []byte("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
	var a authHeader
	b.ReportAllocs()
	for b.Loop() {
		if err := parseAuthorization(h, &a); err != nil {
			b.Fatal(err)
		}
	}
}
