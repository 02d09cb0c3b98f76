package sigv4

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

const docSig = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"

func TestParseAuthorizationTolerant(t *testing.T) {
	cred := "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"
	sh := "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date"
	sig := "Signature=" + docSig
	for _, h := range []string{
		"AWS4-HMAC-SHA256 " + cred + "," + sh + "," + sig,
		"AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig,
		"  AWS4-HMAC-SHA256   " + cred + " ,  " + sh + " ,\t" + sig + "  ",
		"AWS4-HMAC-SHA256 " + sig + ", " + cred + ", " + sh,
		"AWS4-HMAC-SHA256 " + sh + "," + sig + "," + cred + ",",
		"AWS4-HMAC-SHA256 " + cred + " " + sh + " " + sig,
		"AWS4-HMAC-SHA256 " + cred + "," + sh + ",Signature=" + strings.ToUpper(docSig[:10]) + docSig[10:],
	} {
		var a authHeader
		if err := parseAuthorization([]byte(h), &a); err != nil {
			t.Fatalf("%q: %v", h, err)
		}
		if string(a.cred.accessKey) != docAccessKey || string(a.cred.date) != "20130524" || string(a.cred.region) != "us-east-1" ||
			a.cred.service != "s3" || string(a.cred.scope) != "20130524/us-east-1/s3/aws4_request" ||
			string(a.signedHeaders) != "host;range;x-amz-content-sha256;x-amz-date" || fmt.Sprintf("%x", a.signature) != docSig {
			t.Fatalf("%q parsed as %+v", h, a)
		}
	}
	// The whole doc request verifies with a reordered, spaced header.
	v := docVerifier(docTime)
	head := strings.Replace(getObjectHead,
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature="+docSig,
		"AWS4-HMAC-SHA256  Signature="+docSig+" , SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request", 1)
	if _, err := v.Verify(parseRequest(t, head, nil), secrets(docAccessKey, docSecret)); err != nil {
		t.Fatal(err)
	}
}

func TestParseAuthorizationRejects(t *testing.T) {
	cred := "Credential=AK/20130524/us-east-1/s3/aws4_request"
	sh := "SignedHeaders=host"
	sig := "Signature=" + docSig
	cases := []struct {
		h, code, msg string
	}{
		{"AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."},
		{"Bearer abc", "InvalidRequest", ""},
		{"AWS4-HMAC-SHA512 " + cred + "," + sh + "," + sig, "InvalidRequest", ""},
		{"AWS4-HMAC-SHA256X " + cred, "InvalidRequest", ""},
		{"AWS4-ECDSA-P256-SHA256 " + cred + "," + sh + "," + sig, "NotImplemented", ""},
		{"AWS4-HMAC-SHA256", "AuthorizationHeaderMalformed", "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature."},
		{"AWS4-HMAC-SHA256 " + cred + "," + sh, "AuthorizationHeaderMalformed", ""},
		{"AWS4-HMAC-SHA256 " + cred + "," + sh + "," + sig + "," + sig, "AuthorizationHeaderMalformed", ""},
		{"AWS4-HMAC-SHA256 " + cred + "," + sh + "," + sig + ",Extra=1", "AuthorizationHeaderMalformed", ""},
		{"AWS4-HMAC-SHA256 " + cred + "," + sh + ",Signature", "AuthorizationHeaderMalformed", ""},
		{"AWS4-HMAC-SHA256 credential=AK/20130524/us-east-1/s3/aws4_request," + sh + "," + sig, "AuthorizationHeaderMalformed", ""},
		{"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3," + sh + "," + sig, "AuthorizationHeaderMalformed",
			`The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`},
		{"AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request," + sh + "," + sig, "AuthorizationHeaderMalformed", ""},
		{"AWS4-HMAC-SHA256 Credential=AK/2013052/us-east-1/s3/aws4_request," + sh + "," + sig, "AuthorizationHeaderMalformed", ""},
		{"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws5_request," + sh + "," + sig, "AuthorizationHeaderMalformed",
			`The authorization header is malformed; incorrect terminal "aws5_request". This endpoint uses "aws4_request".`},
		{"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/ec2/aws4_request," + sh + "," + sig, "AuthorizationHeaderMalformed",
			`The authorization header is malformed; incorrect service "ec2". This endpoint belongs to "s3".`},
		{"AWS4-HMAC-SHA256 Credential=AK/20130524//s3/aws4_request," + sh + "," + sig, "AuthorizationHeaderMalformed", ""},
		{"AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=," + sig, "AuthorizationHeaderMalformed", ""},
		{"AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host;;date," + sig, "AuthorizationHeaderMalformed", ""},
		{"AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host:x," + sig, "AuthorizationHeaderMalformed", ""},
		{"AWS4-HMAC-SHA256 " + cred + "," + sh + ",Signature=abc", "SignatureDoesNotMatch", ""},
		{"AWS4-HMAC-SHA256 " + cred + "," + sh + ",Signature=" + strings.Repeat("g", 64), "SignatureDoesNotMatch", ""},
	}
	for _, c := range cases {
		var a authHeader
		err := parseAuthorization([]byte(c.h), &a)
		var e *s3err.Error
		if !errors.As(err, &e) || e.Code != c.code || (c.msg != "" && e.Message != c.msg) {
			t.Errorf("%q: got %v, want %s %q", c.h, err, c.code, c.msg)
		}
	}
}

func TestVerifyAnonymous(t *testing.T) {
	v := NewVerifier(Config{})
	called := false
	secret := func([]byte) (string, error) { called = true; return "", nil }
	for _, head := range []string{
		"GET /bucket/key HTTP/1.1\nHost: h",
		"GET /bucket/key?versionId=1&X-Amz-Expires=5 HTTP/1.1\nHost: h",
		"PUT /bucket/key HTTP/1.1\nHost: h\nX-Amz-Content-Sha256: UNSIGNED-PAYLOAD\nContent-Length: 0",
	} {
		res, err := v.Verify(parseRequest(t, head, nil), secret)
		if err != nil || !res.Anonymous || res.AccessKey != "" || res.Presigned {
			t.Fatalf("%q: %+v %v", head, res, err)
		}
	}
	if called {
		t.Fatal("SecretFunc called for an anonymous request")
	}
	// Signature Version 2 query authentication is refused, not ignored.
	_, err := v.Verify(parseRequest(t, "GET /b/k?AWSAccessKeyId=AK&Expires=1&Signature=abc%3D HTTP/1.1\nHost: h", nil), secret)
	wantCode(t, err, "InvalidRequest")
	// A query that starts query-string authentication is not anonymous.
	for _, q := range []string{"X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Credential=a", "X-Amz-Signature=00"} {
		_, err := v.Verify(parseRequest(t, "GET /b/k?"+q+" HTTP/1.1\nHost: h", nil), secret)
		wantCode(t, err, "AuthorizationQueryParametersError")
	}
}

func TestVerifyDateRules(t *testing.T) {
	v := docVerifier(docTime)
	ok := secrets(docAccessKey, docSecret)
	// x-amz-date on another day than the credential scope.
	head := strings.Replace(getObjectHead, "x-amz-date: 20130524T000000Z", "x-amz-date: 20130525T000000Z", 1)
	_, err := docVerifier(docTime.Add(24*time.Hour)).Verify(parseRequest(t, head, nil), ok)
	e := wantCode(t, err, "AuthorizationHeaderMalformed")
	if !strings.Contains(e.Message, "Date is not the same as X-Amz-Date") {
		t.Fatalf("message %q", e.Message)
	}
	for _, bad := range []string{"20130524T000000", "2013-05-24T00:00:00Z", "20131324T000000Z", "20130231T000000Z", "20130524T250000Z", "2013052AT000000Z"} {
		head := strings.Replace(getObjectHead, "20130524T000000Z", bad, 1)
		_, err := v.Verify(parseRequest(t, head, nil), ok)
		e := wantCode(t, err, "AccessDenied")
		if e.Message != "AWS authentication requires a valid Date or x-amz-date header" {
			t.Fatalf("%s: message %q", bad, e.Message)
		}
	}
	// The Date header used as the signing time must be signed.
	head = strings.Replace(getObjectHead, "x-amz-date: 20130524T000000Z", "Date: Fri, 24 May 2013 00:00:00 GMT", 1)
	head = strings.Replace(head, "x-amz-date,Signature", "x-amz-date;zzz,Signature", 1)
	_, err = v.Verify(parseRequest(t, head, nil), ok)
	e = wantCode(t, err, "AccessDenied")
	if !strings.Contains(e.Message, "date") {
		t.Fatalf("message %q", e.Message)
	}
	// Only a Date header: it is the signing time, in ISO 8601 basic form.
	var amz [16]byte
	tm, err := v.requestTime(&reqHeaders{date: []byte("Fri, 24 May 2013 00:00:00 GMT")}, &amz)
	if err != nil || !tm.Equal(docTime) || string(amz[:]) != "20130524T000000Z" {
		t.Fatalf("requestTime = %v %s %v", tm, amz, err)
	}
	if _, err := v.requestTime(&reqHeaders{date: []byte("yesterday")}, &amz); err == nil {
		t.Fatal("bad Date accepted")
	}
	if _, err := v.requestTime(&reqHeaders{}, &amz); err == nil {
		t.Fatal("missing date accepted")
	}
}

func TestVerifyHostMustBeSigned(t *testing.T) {
	v := docVerifier(docTime)
	head := strings.Replace(getObjectHead, "SignedHeaders=host;range;", "SignedHeaders=range;", 1)
	_, err := v.Verify(parseRequest(t, head, nil), secrets(docAccessKey, docSecret))
	e := wantCode(t, err, "AccessDenied")
	if !strings.Contains(e.Message, "host") {
		t.Fatalf("message %q", e.Message)
	}
}

func TestVerifyAbsoluteFormURI(t *testing.T) {
	v := docVerifier(docTime)
	head := strings.Replace(getObjectHead, "GET /test.txt HTTP/1.1", "GET http://examplebucket.s3.amazonaws.com/test.txt HTTP/1.1", 1)
	if _, err := v.Verify(parseRequest(t, head, nil), secrets(docAccessKey, docSecret)); err != nil {
		t.Fatal(err)
	}
}

func TestCanonicalEncoding(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"", "/"},
		{"/", "/"},
		{"/test$file.text", "/test%24file.text"},
		{"/a%20b/c+d%252F..", "/a%20b/c%2Bd%252F.."},
		{"/%7Euser/%7e", "/~user/~"},
		{"/caf%C3%A9/ü", "/caf%C3%A9/%C3%BC"},
		{"/bad%zz/%", "/bad%25zz/%25"},
		{"//double//", "//double//"},
	}
	for _, c := range cases {
		if got := string(appendCanonicalURI(nil, []byte(c.raw))); got != c.want {
			t.Errorf("canonical URI of %q = %q, want %q", c.raw, got, c.want)
		}
	}
	s := getScratch()
	defer putScratch(s)
	for _, c := range []struct{ raw, want string }{
		{"", ""},
		{"acl", "acl="},
		{"b=2&a=1&a=0", "a=0&a=1&b=2"},
		{"a-b=2&a%2Fb=1", "a%2Fb=1&a-b=2"}, // sorted after encoding, and % < -
		{"k=a+b&k2=a%2Bb&k3=a%20b", "k=a%20b&k2=a%2Bb&k3=a%20b"},
		{"&&x=1&", "x=1"},
		{"e=&e", "e=&e="},
		{"~=%7E&*=()", "%2A=%28%29&~=~"},
	} {
		s.parseQuery([]byte(c.raw))
		if got := string(s.appendCanonicalQuery(nil, false)); got != c.want {
			t.Errorf("canonical query of %q = %q, want %q", c.raw, got, c.want)
		}
	}
	s.parseQuery([]byte("X-Amz-Signature=abc&b=1&X-Amz-Date=2"))
	if got := string(s.appendCanonicalQuery(nil, true)); got != "X-Amz-Date=2&b=1" {
		t.Errorf("presigned canonical query = %q", got)
	}
	for _, c := range []struct{ in, want string }{
		{"  a   b  c ", "a b c"},
		{"\ta\t", "a"},
		{"x", "x"},
		{"", ""},
	} {
		if got := string(appendHeaderValue(nil, []byte(c.in))); got != c.want {
			t.Errorf("header value %q = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestKeyCache(t *testing.T) {
	c := newKeyCache(64)
	cred := func(ak, date string) *credential {
		var cr credential
		if reason := parseCredential([]byte(ak+"/"+date+"/us-east-1/s3/aws4_request"), &cr); reason != "" {
			t.Fatal(reason)
		}
		return &cr
	}
	k1 := c.get(cred("AK", "20130524"), "secret")
	if string(k1.key[:]) != string(testSigningKey("secret", "20130524", "us-east-1", "s3")) {
		t.Fatal("derived key differs from an independent derivation")
	}
	if c.get(cred("AK", "20130524"), "secret") != k1 {
		t.Fatal("cache miss on the same credential")
	}
	// A rotated secret yields a new key.
	k2 := c.get(cred("AK", "20130524"), "rotated")
	if k2 == k1 || k2.key == k1.key {
		t.Fatal("secret change not noticed")
	}
	// Bounded: many distinct keys never exceed the configured size.
	for i := range 1000 {
		c.get(cred(fmt.Sprintf("AK%d", i), "20130525"), "s")
		if n := c.len(); n > 64 {
			t.Fatalf("cache holds %d keys, bound 64", n)
		}
	}
	// Keys of the old date are evicted first when a shard fills.
	c = newKeyCache(16 * keyShards)
	for i := range 16 * keyShards {
		c.get(cred(fmt.Sprintf("OLD%d", i), "20130524"), "s")
	}
	for i := range 16 * keyShards {
		c.get(cred(fmt.Sprintf("NEW%d", i), "20130525"), "s")
	}
	old := 0
	for i := range c.shards {
		for _, k := range c.shards[i].m {
			if string(k.date[:]) == "20130524" {
				old++
			}
		}
	}
	if old > 16*keyShards/2 {
		t.Fatalf("%d keys of the previous day survived", old)
	}
}

func TestTokenInterning(t *testing.T) {
	k := &signingKey{}
	a := k.internToken([]byte("tok"))
	b := k.internToken([]byte("tok"))
	if a != "tok" || b != "tok" || k.internToken(nil) != "" || k.internToken([]byte("other")) != "other" {
		t.Fatal("internToken")
	}
}

// Verify from many goroutines with rotating keys (run with -race).
func TestVerifyConcurrent(t *testing.T) {
	v := NewVerifier(Config{Now: func() time.Time { return docTime }, KeyCacheSize: 16})
	ok := secrets(docAccessKey, docSecret)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				head := getObjectHead
				if (i+g)%3 == 0 {
					head = listObjectsHead
				}
				if _, err := v.Verify(parseRequest(t, head, nil), ok); err != nil {
					errs <- err
					return
				}
				// Churn the cache with other keys.
				var cr credential
				parseCredential([]byte(fmt.Sprintf("AK%d-%d/20130524/us-east-1/s3/aws4_request", g, i)), &cr)
				v.keys.get(&cr, "s")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestConfig(t *testing.T) {
	d := DefaultConfig()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*Config){
		func(c *Config) { c.Region = "" },
		func(c *Config) { c.Region = "us east" },
		func(c *Config) { c.Region = "a/b" },
		func(c *Config) { c.MaxSkew = time.Millisecond },
		func(c *Config) { c.MaxSkew = 25 * time.Hour },
		func(c *Config) { c.MaxPresignExpiry = 8 * 24 * time.Hour },
		func(c *Config) { c.Now = nil },
		func(c *Config) { c.KeyCacheSize = 1 },
	}
	for i, f := range bad {
		c := DefaultConfig()
		f(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("case %d: Validate = %v", i, err)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("NewVerifier accepted an invalid config")
			}
		}()
		NewVerifier(Config{MaxSkew: -time.Second})
	}()
	// A shorter presign cap is enforced and worded with its value.
	v := NewVerifier(Config{MaxPresignExpiry: time.Hour, Region: "eu-west-3"})
	if v.Config().Region != "eu-west-3" || v.Config().MaxSkew != 15*time.Minute {
		t.Fatalf("config %+v", v.Config())
	}
	_, err := v.parseExpires([]byte("3601"))
	e := wantCode(t, err, "AuthorizationQueryParametersError")
	if !strings.Contains(e.Message, "3600") {
		t.Fatalf("message %q", e.Message)
	}
}

func TestPayloadModeString(t *testing.T) {
	for m := PayloadNone; m <= PayloadStreamingUnsignedTrailer; m++ {
		if m.String() == "" || strings.Contains(m.String(), "?") {
			t.Errorf("mode %d has no name", m)
		}
		if m.Streaming() != (m >= PayloadStreamingSigned) {
			t.Errorf("%v.Streaming() wrong", m)
		}
	}
}
