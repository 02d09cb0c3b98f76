package s3api

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

func TestValidBucketName(t *testing.T) {
	valid := []string{
		"abc", "my-bucket", "my.bucket", "a1b2c3", "123", "docexamplebucket1",
		"log-delivery-march-2020", strings.Repeat("a", 63), "1.2.3", "999.1.1.1x",
	}
	invalid := []string{
		"", "ab", strings.Repeat("a", 64), "My-Bucket", "my_bucket", "-bucket",
		"bucket-", ".bucket", "bucket.", "my..bucket", "my.-bucket", "my-.bucket",
		"192.168.5.4", "xn--bucket", "bucket-s3alias", "bucket--ol-s3", "bucket--x-s3",
		"sthree-bucket", "bucket.mrap", "buc ket", "bücket", "_tessera",
	}
	for _, n := range valid {
		if !validBucketName(n) {
			t.Errorf("validBucketName(%q) = false, want true", n)
		}
	}
	for _, n := range invalid {
		if validBucketName(n) {
			t.Errorf("validBucketName(%q) = true, want false", n)
		}
	}
}

func TestParseRange(t *testing.T) {
	const size = 100
	tests := []struct {
		h      string
		size   int64
		first  int64
		length int64
		res    rangeResult
	}{
		{"", size, 0, 0, rangeNone},
		{"bytes=0-9", size, 0, 10, rangeOK},
		{"bytes=10-", size, 10, 90, rangeOK},
		{"bytes=-10", size, 90, 10, rangeOK},
		{"bytes=-1000", size, 0, 100, rangeOK},
		{"bytes=90-1000", size, 90, 10, rangeOK},
		{"bytes=99-99", size, 99, 1, rangeOK},
		{"bytes=100-", size, 0, 0, rangeUnsatisfiable},
		{"bytes=100-200", size, 0, 0, rangeUnsatisfiable},
		{"bytes=-0", size, 0, 0, rangeUnsatisfiable},
		{"bytes=0-", 0, 0, 0, rangeUnsatisfiable},
		{"bytes=-5", 0, 0, 0, rangeUnsatisfiable},
		// Ignored (whole object), as AWS does.
		{"bytes=0-1,5-6", size, 0, 0, rangeNone},
		{"bytes=5-1", size, 0, 0, rangeNone},
		{"bytes=a-b", size, 0, 0, rangeNone},
		{"items=0-1", size, 0, 0, rangeNone},
		{"bytes=", size, 0, 0, rangeNone},
		{"bytes=-", size, 0, 0, rangeNone},
		{"bytes=99999999999999999999-", size, 0, 0, rangeNone},
		{"bytes= 1-2", size, 1, 2, rangeOK},
	}
	for _, tt := range tests {
		br, res := parseRange([]byte(tt.h), tt.size)
		if res != tt.res || (res == rangeOK && (br.first != tt.first || br.length != tt.length)) {
			t.Errorf("parseRange(%q, %d) = %+v %v, want {%d %d} %v", tt.h, tt.size, br, res, tt.first, tt.length, tt.res)
		}
	}
}

func TestParseCopySourceRange(t *testing.T) {
	tests := []struct {
		h           string
		ok, inRange bool
		first, len  int64
	}{
		{"bytes=0-9", true, true, 0, 10},
		{"bytes=5-5", true, true, 5, 1},
		{"bytes=0-100", true, false, 0, 0},
		{"bytes=5-", false, false, 0, 0},
		{"bytes=-5", false, false, 0, 0},
		{"bytes=9-5", false, false, 0, 0},
		{"0-5", false, false, 0, 0},
	}
	for _, tt := range tests {
		br, ok, in := parseCopySourceRange([]byte(tt.h), 100)
		if ok != tt.ok || in != tt.inRange || (in && (br.first != tt.first || br.length != tt.len)) {
			t.Errorf("parseCopySourceRange(%q) = %+v %v %v", tt.h, br, ok, in)
		}
	}
}

func TestEvalConditions(t *testing.T) {
	mod := time.Date(2024, 5, 1, 12, 0, 0, 500e6, time.UTC)
	before := "Tue, 30 Apr 2024 12:00:00 GMT"
	same := "Wed, 01 May 2024 12:00:00 GMT"
	after := "Thu, 02 May 2024 12:00:00 GMT"
	const etag = "abc"
	tests := []struct {
		name string
		c    conditions
		want condResult
	}{
		{"none", conditions{}, condOK},
		{"if-match hit", conditions{ifMatch: []byte(`"abc"`)}, condOK},
		{"if-match unquoted", conditions{ifMatch: []byte(`abc`)}, condOK},
		{"if-match list", conditions{ifMatch: []byte(`"x", "abc"`)}, condOK},
		{"if-match star", conditions{ifMatch: []byte(`*`)}, condOK},
		{"if-match miss", conditions{ifMatch: []byte(`"x"`)}, condPreconditionFailed},
		{"if-unmodified-since ok", conditions{ifUnmodifiedSince: []byte(same)}, condOK},
		{"if-unmodified-since fail", conditions{ifUnmodifiedSince: []byte(before)}, condPreconditionFailed},
		{"if-unmodified-since bad date ignored", conditions{ifUnmodifiedSince: []byte("yesterday")}, condOK},
		// AWS: If-Match true and If-Unmodified-Since false -> 200.
		{"if-match true + ius false", conditions{ifMatch: []byte(`"abc"`), ifUnmodifiedSince: []byte(before)}, condOK},
		{"if-none-match hit", conditions{ifNoneMatch: []byte(`"abc"`)}, condNotModified},
		{"if-none-match weak", conditions{ifNoneMatch: []byte(`W/"abc"`)}, condNotModified},
		{"if-none-match star", conditions{ifNoneMatch: []byte(`*`)}, condNotModified},
		{"if-none-match miss", conditions{ifNoneMatch: []byte(`"x"`)}, condOK},
		{"if-modified-since not modified", conditions{ifModifiedSince: []byte(same)}, condNotModified},
		{"if-modified-since after", conditions{ifModifiedSince: []byte(after)}, condNotModified},
		{"if-modified-since modified", conditions{ifModifiedSince: []byte(before)}, condOK},
		// AWS: If-None-Match false and If-Modified-Since true -> 304.
		{"if-none-match false + ims true", conditions{ifNoneMatch: []byte(`"abc"`), ifModifiedSince: []byte(before)}, condNotModified},
		// If-None-Match true makes If-Modified-Since moot.
		{"if-none-match true + ims false", conditions{ifNoneMatch: []byte(`"x"`), ifModifiedSince: []byte(after)}, condOK},
		// 412 wins over 304.
		{"if-match miss + inm hit", conditions{ifMatch: []byte(`"x"`), ifNoneMatch: []byte(`"abc"`)}, condPreconditionFailed},
	}
	for _, tt := range tests {
		if got := evalConditions(&tt.c, etag, mod); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestUserMetaLimit(t *testing.T) {
	r := newRequest()
	// 2 KB exactly: key "k" (1) + value 2047.
	r.ctx = newTestCtx("PUT", "/b/k", "x-amz-meta-k", strings.Repeat("v", 2047))
	m, err := r.userMeta()
	if err != nil || len(m["k"]) != 2047 {
		t.Fatalf("2048 bytes: %v %d", err, len(m["k"]))
	}
	r.ctx = newTestCtx("PUT", "/b/k", "x-amz-meta-k", strings.Repeat("v", 2048))
	if _, err := r.userMeta(); !errors.Is(err, s3err.ErrMetadataTooLarge) {
		t.Fatalf("2049 bytes: err = %v", err)
	}
	r.ctx = newTestCtx("PUT", "/b/k", "X-Amz-Meta-Camel-Case", "V", "x-amz-meta-other", "w", "x-amz-metadata-directive", "COPY")
	m, err = r.userMeta()
	if err != nil || len(m) != 2 || m["camel-case"] != "V" || m["other"] != "w" {
		t.Fatalf("got %v %v", m, err)
	}
}

func TestStdHeadersStripAWSChunked(t *testing.T) {
	tests := map[string]string{
		"aws-chunked":       "",
		"aws-chunked,gzip":  "gzip",
		"gzip, aws-chunked": "gzip",
		"gzip":              "gzip",
		"AWS-CHUNKED":       "",
	}
	for in, want := range tests {
		if got := stripAWSChunked(in); got != want {
			t.Errorf("stripAWSChunked(%q) = %q, want %q", in, got, want)
		}
	}
	r := newRequest()
	r.ctx = newTestCtx("PUT", "/b/k", "Content-Encoding", "aws-chunked", "Cache-Control", "max-age=1",
		"Content-Disposition", "attachment", "Content-Language", "en", "Expires", "Thu, 01 Dec 1994 16:00:00 GMT",
		"x-amz-website-redirect-location", "/x")
	h := r.stdHeaders()
	if _, ok := h["Content-Encoding"]; ok || h["Cache-Control"] != "max-age=1" || h["Content-Disposition"] != "attachment" ||
		h["Content-Language"] != "en" || h["Expires"] == "" || h["x-amz-website-redirect-location"] != "/x" {
		t.Fatalf("got %v", h)
	}
}

func TestCheckStorageClass(t *testing.T) {
	for in, want := range map[string]string{"": "", "STANDARD": "", "STANDARD_IA": "STANDARD_IA", "GLACIER": "GLACIER"} {
		got, err := checkStorageClass(in)
		if err != nil || got != want {
			t.Errorf("checkStorageClass(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"standard", "FAST", "EXPRESS"} {
		if _, err := checkStorageClass(in); !errors.Is(err, s3err.ErrInvalidStorageClass) {
			t.Errorf("checkStorageClass(%q) err = %v", in, err)
		}
	}
}

func TestContentMD5(t *testing.T) {
	r := newRequest()
	r.ctx = newTestCtx("PUT", "/b/k", "Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")
	sum, err := r.contentMD5()
	if err != nil || len(sum) != 16 {
		t.Fatalf("valid: %x %v", sum, err)
	}
	if err := checkMD5(sum, "d41d8cd98f00b204e9800998ecf8427e"); err != nil {
		t.Fatalf("matching md5: %v", err)
	}
	if err := checkMD5(sum, "00000000000000000000000000000000"); !errors.Is(err, s3err.ErrBadDigest) {
		t.Fatalf("other md5: %v", err)
	}
	for _, bad := range []string{"abc", "!!!!", "AAAA"} {
		r.ctx = newTestCtx("PUT", "/b/k", "Content-MD5", bad)
		if _, err := r.contentMD5(); !errors.Is(err, s3err.ErrInvalidDigest) {
			t.Errorf("Content-MD5 %q: err = %v", bad, err)
		}
	}
}

func TestTagValidation(t *testing.T) {
	mk := func(k, v string) tag { return tag{Key: k, Value: v} }
	many := func(n int) []tag {
		var ts []tag
		for i := range n {
			ts = append(ts, mk("k"+itoa(int64(i)), "v"))
		}
		return ts
	}
	tests := []struct {
		name string
		tags []tag
		max  int
		ok   bool
	}{
		{"empty", nil, maxObjectTags, true},
		{"10 object tags", many(10), maxObjectTags, true},
		{"11 object tags", many(11), maxObjectTags, false},
		{"50 bucket tags", many(50), maxBucketTags, true},
		{"51 bucket tags", many(51), maxBucketTags, false},
		{"key 128", []tag{mk(strings.Repeat("k", 128), "")}, maxObjectTags, true},
		{"key 128 runes", []tag{mk(strings.Repeat("é", 128), "")}, maxObjectTags, true},
		{"key 129", []tag{mk(strings.Repeat("k", 129), "")}, maxObjectTags, false},
		{"empty key", []tag{mk("", "v")}, maxObjectTags, false},
		{"value 256", []tag{mk("k", strings.Repeat("v", 256))}, maxObjectTags, true},
		{"value 257", []tag{mk("k", strings.Repeat("v", 257))}, maxObjectTags, false},
		{"duplicate", []tag{mk("k", "1"), mk("k", "2")}, maxObjectTags, false},
		{"aws prefix", []tag{mk("aws:k", "1")}, maxObjectTags, false},
		{"bad utf8", []tag{mk("\xff", "1")}, maxObjectTags, false},
	}
	for _, tt := range tests {
		err := validateTags(tt.tags, tt.max)
		if tt.ok != (err == nil) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
		if err != nil && !errors.Is(err, s3err.ErrInvalidTag) {
			t.Errorf("%s: err = %v, want InvalidTag", tt.name, err)
		}
	}
}

func TestTagQueryRoundTrip(t *testing.T) {
	tags, err := parseTagQuery("b=2&a=1&c%20d=e%26f&empty=")
	if err != nil {
		t.Fatal(err)
	}
	enc := encodeTags(tags)
	if enc != "a=1&b=2&c+d=e%26f&empty=" {
		t.Fatalf("encoded %q", enc)
	}
	back := decodeTags(enc)
	if len(back) != 4 || back[2].Key != "c d" || back[2].Value != "e&f" || back[3].Value != "" {
		t.Fatalf("decoded %+v", back)
	}
	if tagCount(enc) != 4 || tagCount("") != 0 {
		t.Fatalf("tagCount")
	}
	if _, err := parseTagQuery("a=1&a=2"); !errors.Is(err, s3err.ErrInvalidTag) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := parseTagQuery("a=%zz"); !errors.Is(err, s3err.ErrInvalidTag) {
		t.Fatalf("bad escape: %v", err)
	}
}

func TestURLEncodeName(t *testing.T) {
	tests := map[string]string{
		"plain/key.txt": "plain/key.txt",
		"a b":           "a+b",
		"a+b":           "a%2Bb",
		"café":          "caf%C3%A9",
		"x&y=z?":        "x%26y%3Dz%3F",
		"tab\there":     "tab%09here",
		"~_-.":          "~_-.",
		"\x01":          "%01",
	}
	for in, want := range tests {
		if got := urlEncodeName(in); got != want {
			t.Errorf("urlEncodeName(%q) = %q, want %q", in, got, want)
		}
	}
	if escapePath("a b/c+d") != "a%20b/c%2Bd" {
		t.Errorf("escapePath = %q", escapePath("a b/c+d"))
	}
}

func TestMaxArg(t *testing.T) {
	tests := []struct {
		q    string
		want int
		ok   bool
	}{
		{"", 1000, true},
		{"max-keys=0", 0, true},
		{"max-keys=5", 5, true},
		{"max-keys=1000", 1000, true},
		{"max-keys=5000", 1000, true},
		{"max-keys=2147483647", 1000, true},
		{"max-keys=2147483648", 0, false},
		{"max-keys=-1", 0, false},
		{"max-keys=abc", 0, false},
		{"max-keys=", 0, false},
	}
	for _, tt := range tests {
		ctx := newTestCtx("GET", "/b?"+tt.q)
		got, err := maxArg(ctx.QueryArgs(), "max-keys", s3err.ErrInvalidMaxKeys)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%q: got %d %v", tt.q, got, err)
		}
		if err != nil && !errors.Is(err, s3err.ErrInvalidMaxKeys) {
			t.Errorf("%q: err %v", tt.q, err)
		}
	}
}

func TestParseCopySource(t *testing.T) {
	tests := []struct {
		in, bucket, key string
		err             error
	}{
		{"b/k", "b", "k", nil},
		{"/b/k", "b", "k", nil},
		{"b/dir/k%20x", "b", "dir/k x", nil},
		{"b/a%2Bb+c", "b", "a+b+c", nil},
		{"b/k?versionId=null", "b", "k", nil},
		{"b/k?versionId=abc", "", "", s3err.ErrNoSuchVersion},
		{"b", "", "", s3err.ErrInvalidCopySource},
		{"b/", "", "", s3err.ErrInvalidCopySource},
		{"/k", "", "", s3err.ErrInvalidCopySource},
		{"b/%zz", "", "", s3err.ErrInvalidCopySource},
		{"b/" + strings.Repeat("k", 1025), "", "", s3err.ErrKeyTooLong},
	}
	for _, tt := range tests {
		b, k, err := parseCopySource(tt.in)
		if !errors.Is(err, tt.err) || (err == nil && tt.err != nil) || b != tt.bucket || k != tt.key {
			t.Errorf("parseCopySource(%q) = %q %q %v", tt.in, b, k, err)
		}
		if tt.err == nil && err != nil {
			t.Errorf("parseCopySource(%q): %v", tt.in, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*Config){
		func(c *Config) { c.Region = "" },
		func(c *Config) { c.MaxBuckets = 0 },
		func(c *Config) { c.MaxObjectSize = 6 << 40 },
		func(c *Config) { c.Domains = []string{"host:9000"} },
		func(c *Config) { c.MaxSkew = 0 },
		func(c *Config) { c.IdleTimeout = 0 },
	}
	for i, f := range bad {
		c := DefaultConfig()
		f(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("case %d: err = %v", i, err)
		}
	}
	if _, err := New(DefaultConfig(), Deps{}); !errors.Is(err, ErrMissingDeps) {
		t.Errorf("New without deps: %v", err)
	}
}
