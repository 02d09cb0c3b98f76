package s3api_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/tessera-s3/tessera/node/nodetest"
)

// These tests run the aws-sdk-go-v2 S3 client, with its default
// configuration (CRC checksums in aws-chunked trailers), against a real
// single node.

var bg = context.Background()

// errCode returns the S3 error code and HTTP status of an SDK error.
func errCode(err error) (string, int) {
	code, status := "", 0
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

func wantErr(t *testing.T, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s (%d), got success", code, status)
	}
	gotCode, gotStatus := errCode(err)
	if gotCode != code || gotStatus != status {
		t.Fatalf("want %s (%d), got %s (%d): %v", code, status, gotCode, gotStatus, err)
	}
}

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func putBytes(t *testing.T, c *s3.Client, bucket, key string, data []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(bg, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(data)})
	mustNoErr(t, err)
	return out
}

func getBytes(t *testing.T, c *s3.Client, in *s3.GetObjectInput) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	out, err := c.GetObject(bg, in)
	mustNoErr(t, err)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	mustNoErr(t, err)
	return b, out
}

func createBucket(t *testing.T, c *s3.Client, name string) {
	t.Helper()
	_, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: &name})
	mustNoErr(t, err)
}

// TestClient runs the client tests against one shared node (starting a
// node costs a Raft election); each subtest uses its own buckets.
func TestClient(t *testing.T) {
	n := nodetest.Start(t, nodetest.WithDomain("localhost"))
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *nodetest.Node)
	}{
		{"Buckets", testClientBuckets},
		{"Objects", testClientObjects},
		{"OddKeys", testClientOddKeys},
		{"Copy", testClientCopy},
		{"Tagging", testClientTagging},
		{"Listing", testClientListing},
		{"DeleteObjects", testClientDeleteObjects},
		{"MultipartManager", testClientMultipartManager},
		{"MultipartLowLevel", testClientMultipartLowLevel},
		{"Presigned", testClientPresigned},
		{"VirtualHosted", testClientVirtualHosted},
		{"AuthErrors", testClientAuthErrors},
		{"Misc", testClientMisc},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, n) })
	}
}

func testClientBuckets(t *testing.T, n *nodetest.Node) {
	c := n.S3(t)

	createBucket(t, c, "alpha")
	createBucket(t, c, "beta.bucket")
	_, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("alpha")})
	wantErr(t, err, "BucketAlreadyOwnedByYou", 409)
	_, err = c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")})
	wantErr(t, err, "InvalidBucketName", 400)
	_, err = c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("192.168.1.1")})
	wantErr(t, err, "InvalidBucketName", 400)
	_, err = c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("gamma"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}})
	wantErr(t, err, "IllegalLocationConstraintException", 400)

	_, err = c.HeadBucket(bg, &s3.HeadBucketInput{Bucket: aws.String("alpha")})
	mustNoErr(t, err)
	_, err = c.HeadBucket(bg, &s3.HeadBucketInput{Bucket: aws.String("missing")})
	wantErr(t, err, "NotFound", 404)

	lb, err := c.ListBuckets(bg, &s3.ListBucketsInput{})
	mustNoErr(t, err)
	var names []string
	for _, b := range lb.Buckets {
		names = append(names, *b.Name)
		if b.CreationDate == nil || time.Since(*b.CreationDate) > time.Hour {
			t.Errorf("bucket %s creation date %v", *b.Name, b.CreationDate)
		}
	}
	if !slices.Equal(names, []string{"alpha", "beta.bucket"}) {
		t.Fatalf("ListBuckets = %v", names)
	}
	if lb.Owner == nil || aws.ToString(lb.Owner.ID) != n.AccessKey {
		t.Fatalf("owner %+v", lb.Owner)
	}
	// Paginated listing.
	p := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1)})
	names = nil
	for p.HasMorePages() {
		page, err := p.NextPage(bg)
		mustNoErr(t, err)
		for _, b := range page.Buckets {
			names = append(names, *b.Name)
		}
	}
	if !slices.Equal(names, []string{"alpha", "beta.bucket"}) {
		t.Fatalf("paginated ListBuckets = %v", names)
	}

	loc, err := c.GetBucketLocation(bg, &s3.GetBucketLocationInput{Bucket: aws.String("alpha")})
	mustNoErr(t, err)
	if loc.LocationConstraint != "" {
		t.Fatalf("location %q", loc.LocationConstraint)
	}

	// Bucket tagging.
	_, err = c.GetBucketTagging(bg, &s3.GetBucketTaggingInput{Bucket: aws.String("alpha")})
	wantErr(t, err, "NoSuchTagSet", 404)
	_, err = c.PutBucketTagging(bg, &s3.PutBucketTaggingInput{Bucket: aws.String("alpha"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("storage")}, {Key: aws.String("env"), Value: aws.String("")}}}})
	mustNoErr(t, err)
	bt, err := c.GetBucketTagging(bg, &s3.GetBucketTaggingInput{Bucket: aws.String("alpha")})
	mustNoErr(t, err)
	if len(bt.TagSet) != 2 || *bt.TagSet[0].Key != "env" || *bt.TagSet[1].Value != "storage" {
		t.Fatalf("tags %+v", bt.TagSet)
	}
	_, err = c.PutBucketTagging(bg, &s3.PutBucketTaggingInput{Bucket: aws.String("alpha"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k"), Value: aws.String("1")}, {Key: aws.String("k"), Value: aws.String("2")}}}})
	wantErr(t, err, "InvalidTag", 400)
	_, err = c.DeleteBucketTagging(bg, &s3.DeleteBucketTaggingInput{Bucket: aws.String("alpha")})
	mustNoErr(t, err)
	_, err = c.GetBucketTagging(bg, &s3.GetBucketTaggingInput{Bucket: aws.String("alpha")})
	wantErr(t, err, "NoSuchTagSet", 404)

	// Configurations a bucket does not have.
	v, err := c.GetBucketVersioning(bg, &s3.GetBucketVersioningInput{Bucket: aws.String("alpha")})
	mustNoErr(t, err)
	if v.Status != "" {
		t.Fatalf("versioning %q", v.Status)
	}
	acl, err := c.GetBucketAcl(bg, &s3.GetBucketAclInput{Bucket: aws.String("alpha")})
	mustNoErr(t, err)
	if len(acl.Grants) != 1 || acl.Grants[0].Permission != types.PermissionFullControl {
		t.Fatalf("acl %+v", acl.Grants)
	}
	_, err = c.GetBucketEncryption(bg, &s3.GetBucketEncryptionInput{Bucket: aws.String("alpha")})
	wantErr(t, err, "ServerSideEncryptionConfigurationNotFoundError", 404)
	_, err = c.GetBucketCors(bg, &s3.GetBucketCorsInput{Bucket: aws.String("alpha")})
	wantErr(t, err, "NoSuchCORSConfiguration", 404)
	_, err = c.GetBucketPolicy(bg, &s3.GetBucketPolicyInput{Bucket: aws.String("alpha")})
	wantErr(t, err, "NoSuchBucketPolicy", 404)
	_, err = c.GetBucketLifecycleConfiguration(bg, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("alpha")})
	wantErr(t, err, "NoSuchLifecycleConfiguration", 404)
	_, err = c.PutBucketVersioning(bg, &s3.PutBucketVersioningInput{Bucket: aws.String("alpha"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	wantErr(t, err, "NotImplemented", 501)

	// Delete: not while it holds objects.
	putBytes(t, c, "alpha", "k", []byte("x"))
	_, err = c.DeleteBucket(bg, &s3.DeleteBucketInput{Bucket: aws.String("alpha")})
	wantErr(t, err, "BucketNotEmpty", 409)
	_, err = c.DeleteObject(bg, &s3.DeleteObjectInput{Bucket: aws.String("alpha"), Key: aws.String("k")})
	mustNoErr(t, err)
	_, err = c.DeleteBucket(bg, &s3.DeleteBucketInput{Bucket: aws.String("alpha")})
	mustNoErr(t, err)
	_, err = c.HeadBucket(bg, &s3.HeadBucketInput{Bucket: aws.String("alpha")})
	wantErr(t, err, "NotFound", 404)
	_, err = c.DeleteBucket(bg, &s3.DeleteBucketInput{Bucket: aws.String("alpha")})
	wantErr(t, err, "NoSuchBucket", 404)
	_, err = c.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String("alpha"), Key: aws.String("k"), Body: strings.NewReader("x")})
	wantErr(t, err, "NoSuchBucket", 404)

	// Buckets survive a restart (Raft state). The node may serve before
	// Raft has re-applied its log (see the report to node/raftfsm): wait
	// for it, but say so.
	n.Restart(t)
	c = n.S3(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err = c.HeadBucket(bg, &s3.HeadBucketInput{Bucket: aws.String("beta.bucket")})
		if err == nil || time.Now().After(deadline) {
			break
		}
		t.Logf("bucket not yet visible after restart: %v", err)
		time.Sleep(50 * time.Millisecond)
	}
	mustNoErr(t, err)
}

func testClientObjects(t *testing.T, n *nodetest.Node) {
	c := n.S3(t)
	createBucket(t, c, "objs")
	b := aws.String("objs")

	data := randBytes(1, 300<<10)
	out, err := c.PutObject(bg, &s3.PutObjectInput{
		Bucket: b, Key: aws.String("dir/file.bin"), Body: bytes.NewReader(data),
		ContentType:        aws.String("application/x-test"),
		CacheControl:       aws.String("max-age=60"),
		ContentDisposition: aws.String(`attachment; filename="f.bin"`),
		ContentLanguage:    aws.String("en"),
		Metadata:           map[string]string{"color": "blue", "Mixed-Case": "Value"},
		Tagging:            aws.String("a=1&b=two"),
	})
	mustNoErr(t, err)
	etag := `"` + md5hex(data) + `"`
	if aws.ToString(out.ETag) != etag {
		t.Fatalf("PutObject ETag %s, want %s", aws.ToString(out.ETag), etag)
	}
	if out.ChecksumCRC32 == nil {
		t.Fatalf("PutObject: the SDK's default CRC32 was not echoed")
	}

	got, gout := getBytes(t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/file.bin")})
	if !bytes.Equal(got, data) {
		t.Fatalf("GetObject: %d bytes differ", len(got))
	}
	if aws.ToString(gout.ETag) != etag || aws.ToString(gout.ContentType) != "application/x-test" ||
		aws.ToString(gout.CacheControl) != "max-age=60" || aws.ToString(gout.ContentLanguage) != "en" ||
		aws.ToString(gout.ContentDisposition) != `attachment; filename="f.bin"` ||
		gout.Metadata["color"] != "blue" || gout.Metadata["mixed-case"] != "Value" ||
		aws.ToInt32(gout.TagCount) != 2 || aws.ToInt64(gout.ContentLength) != int64(len(data)) ||
		aws.ToString(gout.AcceptRanges) != "bytes" || gout.LastModified == nil ||
		gout.ContentEncoding != nil /* "aws-chunked" describes the upload only */ {
		t.Fatalf("GetObject headers: %+v", gout)
	}
	// The SDK asks for checksums (x-amz-checksum-mode: ENABLED) and
	// validates them; the stored CRC32 comes back.
	if aws.ToString(gout.ChecksumCRC32) != aws.ToString(out.ChecksumCRC32) {
		t.Fatalf("GetObject checksum %q, want %q", aws.ToString(gout.ChecksumCRC32), aws.ToString(out.ChecksumCRC32))
	}

	h, err := c.HeadObject(bg, &s3.HeadObjectInput{Bucket: b, Key: aws.String("dir/file.bin")})
	mustNoErr(t, err)
	if aws.ToInt64(h.ContentLength) != int64(len(data)) || aws.ToString(h.ETag) != etag || h.Metadata["color"] != "blue" {
		t.Fatalf("HeadObject: %+v", h)
	}
	_, err = c.HeadObject(bg, &s3.HeadObjectInput{Bucket: b, Key: aws.String("nope")})
	wantErr(t, err, "NotFound", 404)
	_, err = c.GetObject(bg, &s3.GetObjectInput{Bucket: b, Key: aws.String("nope")})
	wantErr(t, err, "NoSuchKey", 404)

	putBytes(t, c, "objs", "plain", []byte("hello"))

	// Empty object.
	putBytes(t, c, "objs", "empty", nil)
	got, gout = getBytes(t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("empty")})
	if len(got) != 0 || aws.ToString(gout.ETag) != `"d41d8cd98f00b204e9800998ecf8427e"` {
		t.Fatalf("empty object: %d bytes, etag %s", len(got), aws.ToString(gout.ETag))
	}

	// Ranges.
	for _, tc := range []struct {
		rng          string
		first, last  int
		contentRange string
	}{
		{"bytes=0-9", 0, 9, "bytes 0-9/307200"},
		{"bytes=1000-", 1000, len(data) - 1, "bytes 1000-307199/307200"},
		{"bytes=-100", len(data) - 100, len(data) - 1, "bytes 307100-307199/307200"},
		{"bytes=307000-999999", 307000, len(data) - 1, "bytes 307000-307199/307200"},
	} {
		got, gout := getBytes(t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/file.bin"), Range: aws.String(tc.rng)})
		if !bytes.Equal(got, data[tc.first:tc.last+1]) || aws.ToString(gout.ContentRange) != tc.contentRange {
			t.Fatalf("range %s: %d bytes, Content-Range %q", tc.rng, len(got), aws.ToString(gout.ContentRange))
		}
		if gout.ChecksumCRC32 != nil {
			t.Fatalf("range %s: checksum returned for a partial read", tc.rng)
		}
	}
	_, err = c.GetObject(bg, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/file.bin"), Range: aws.String("bytes=307200-")})
	wantErr(t, err, "InvalidRange", 416)
	// Several ranges: the whole object, as AWS does.
	got, _ = getBytes(t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/file.bin"), Range: aws.String("bytes=0-1,5-6")})
	if len(got) != len(data) {
		t.Fatalf("multi-range: %d bytes", len(got))
	}

	// Response header overrides.
	_, gout = getBytes(t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("plain"),
		ResponseContentType: aws.String("text/x-override"), ResponseCacheControl: aws.String("no-store"),
		ResponseContentDisposition: aws.String("inline")})
	if aws.ToString(gout.ContentType) != "text/x-override" || aws.ToString(gout.CacheControl) != "no-store" ||
		aws.ToString(gout.ContentDisposition) != "inline" {
		t.Fatalf("overrides: %+v", gout)
	}

	// Conditional reads.
	_, err = c.GetObject(bg, &s3.GetObjectInput{Bucket: b, Key: aws.String("plain"), IfMatch: aws.String(`"nomatch"`)})
	wantErr(t, err, "PreconditionFailed", 412)
	_, err = c.GetObject(bg, &s3.GetObjectInput{Bucket: b, Key: aws.String("plain"), IfNoneMatch: aws.String(`"` + md5hex([]byte("hello")) + `"`)})
	wantErr(t, err, "NotModified", 304)
	_, err = c.HeadObject(bg, &s3.HeadObjectInput{Bucket: b, Key: aws.String("plain"), IfModifiedSince: aws.Time(time.Now().Add(time.Hour))})
	wantErr(t, err, "NotModified", 304)
	_, err = c.HeadObject(bg, &s3.HeadObjectInput{Bucket: b, Key: aws.String("plain"), IfUnmodifiedSince: aws.Time(time.Now().Add(-time.Hour))})
	wantErr(t, err, "PreconditionFailed", 412)
	// If-Match true wins over If-Unmodified-Since false.
	_, err = c.HeadObject(bg, &s3.HeadObjectInput{Bucket: b, Key: aws.String("plain"),
		IfMatch: aws.String(`"` + md5hex([]byte("hello")) + `"`), IfUnmodifiedSince: aws.Time(time.Now().Add(-time.Hour))})
	mustNoErr(t, err)

	// Conditional writes.
	_, err = c.PutObject(bg, &s3.PutObjectInput{Bucket: b, Key: aws.String("plain"), Body: strings.NewReader("new"), IfNoneMatch: aws.String("*")})
	wantErr(t, err, "PreconditionFailed", 412)
	_, err = c.PutObject(bg, &s3.PutObjectInput{Bucket: b, Key: aws.String("fresh"), Body: strings.NewReader("new"), IfNoneMatch: aws.String("*")})
	mustNoErr(t, err)

	// Content-MD5.
	_, err = c.PutObject(bg, &s3.PutObjectInput{Bucket: b, Key: aws.String("md5"), Body: strings.NewReader("abc"),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(make([]byte, 16)))})
	wantErr(t, err, "BadDigest", 400)
	sum := md5.Sum([]byte("abc"))
	_, err = c.PutObject(bg, &s3.PutObjectInput{Bucket: b, Key: aws.String("md5"), Body: strings.NewReader("abc"),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	mustNoErr(t, err)

	// Explicit checksums: a wrong one is refused, the right one stored.
	_, err = c.PutObject(bg, &s3.PutObjectInput{Bucket: b, Key: aws.String("crc"), Body: strings.NewReader("abc"),
		ChecksumCRC32C: aws.String("AAAAAA==")})
	wantErr(t, err, "BadDigest", 400)
	_, err = c.HeadObject(bg, &s3.HeadObjectInput{Bucket: b, Key: aws.String("crc")})
	wantErr(t, err, "NotFound", 404)
	_, err = c.PutObject(bg, &s3.PutObjectInput{Bucket: b, Key: aws.String("sha"), Body: strings.NewReader("abc"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	mustNoErr(t, err)
	h, err = c.HeadObject(bg, &s3.HeadObjectInput{Bucket: b, Key: aws.String("sha"), ChecksumMode: types.ChecksumModeEnabled})
	mustNoErr(t, err)
	if aws.ToString(h.ChecksumSHA256) != "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=" {
		t.Fatalf("SHA256 checksum %q", aws.ToString(h.ChecksumSHA256))
	}

	// Metadata limit.
	_, err = c.PutObject(bg, &s3.PutObjectInput{Bucket: b, Key: aws.String("meta"), Body: strings.NewReader("x"),
		Metadata: map[string]string{"big": strings.Repeat("v", 2100)}})
	wantErr(t, err, "MetadataTooLarge", 400)
	// Key length limit.
	_, err = c.PutObject(bg, &s3.PutObjectInput{Bucket: b, Key: aws.String(strings.Repeat("k", 1025)), Body: strings.NewReader("x")})
	wantErr(t, err, "KeyTooLongError", 400)
	// Storage class.
	_, err = c.PutObject(bg, &s3.PutObjectInput{Bucket: b, Key: aws.String("sc"), Body: strings.NewReader("x"), StorageClass: "NOPE"})
	wantErr(t, err, "InvalidStorageClass", 400)

	// Delete: 204 also for a missing key.
	_, err = c.DeleteObject(bg, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("plain")})
	mustNoErr(t, err)
	_, err = c.DeleteObject(bg, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("plain")})
	mustNoErr(t, err)
	_, err = c.HeadObject(bg, &s3.HeadObjectInput{Bucket: b, Key: aws.String("plain")})
	wantErr(t, err, "NotFound", 404)
}

// Keys are never normalized: "//", "..", "%2F", "+" and unicode survive.
func testClientOddKeys(t *testing.T, n *nodetest.Node) {
	c := n.S3(t)
	createBucket(t, c, "odd")
	keys := []string{"a//b", "dir/../x", "./dot", "plus+sign", "space key", "percent%2Fliteral", "ünïcödé/日本",
		"trailing/", "q?uestion", "amp&er=sand", "/leading", "tab\tkey", "~tilde*star"}
	for i, k := range keys {
		putBytes(t, c, "odd", k, []byte(fmt.Sprint(i)))
	}
	for i, k := range keys {
		got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("odd"), Key: aws.String(k)})
		if string(got) != fmt.Sprint(i) {
			t.Fatalf("key %q: got %q", k, got)
		}
	}
	var listed []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("odd")})
	for p.HasMorePages() {
		page, err := p.NextPage(bg)
		mustNoErr(t, err)
		for _, o := range page.Contents {
			listed = append(listed, *o.Key)
		}
	}
	want := slices.Clone(keys)
	sort.Strings(want)
	if !slices.Equal(listed, want) {
		t.Fatalf("listed %q\nwant %q", listed, want)
	}
	// encoding-type=url: keys come back URL-encoded.
	lo, err := c.ListObjectsV2(bg, &s3.ListObjectsV2Input{Bucket: aws.String("odd"), Prefix: aws.String("space"), EncodingType: types.EncodingTypeUrl})
	mustNoErr(t, err)
	if len(lo.Contents) != 1 || (*lo.Contents[0].Key != "space+key" && *lo.Contents[0].Key != "space key") {
		t.Fatalf("encoded listing %+v", lo.Contents)
	}

	// Raw HTTP: a literal "+" in the path is a plus, not a space.
	resp, err := http.Get(n.Endpoint + "/odd/plus+sign")
	mustNoErr(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-amz-request-id") == "" {
		t.Fatalf("anonymous GET: %d %v", resp.StatusCode, resp.Header)
	}
}

func testClientCopy(t *testing.T, n *nodetest.Node) {
	c := n.S3(t)
	createBucket(t, c, "src")
	createBucket(t, c, "dst")
	data := randBytes(2, 200<<10)
	_, err := c.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("a b+c"), Body: bytes.NewReader(data),
		ContentType: aws.String("text/x-src"), Metadata: map[string]string{"m": "1"}, Tagging: aws.String("t=1")})
	mustNoErr(t, err)
	src := aws.String("src/a%20b%2Bc")

	co, err := c.CopyObject(bg, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy"), CopySource: src})
	mustNoErr(t, err)
	if aws.ToString(co.CopyObjectResult.ETag) != `"`+md5hex(data)+`"` || co.CopyObjectResult.LastModified == nil {
		t.Fatalf("CopyObjectResult %+v", co.CopyObjectResult)
	}
	got, gout := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy")})
	if !bytes.Equal(got, data) || aws.ToString(gout.ContentType) != "text/x-src" || gout.Metadata["m"] != "1" || aws.ToInt32(gout.TagCount) != 1 {
		t.Fatalf("copy: %d bytes, %+v", len(got), gout)
	}

	// REPLACE directives.
	_, err = c.CopyObject(bg, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("replaced"), CopySource: src,
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/x-new"), Metadata: map[string]string{"n": "2"},
		TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("x=1&y=2")})
	mustNoErr(t, err)
	h, err := c.HeadObject(bg, &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("replaced")})
	mustNoErr(t, err)
	if aws.ToString(h.ContentType) != "text/x-new" || h.Metadata["n"] != "2" || h.Metadata["m"] != "" {
		t.Fatalf("replaced: %+v", h)
	}
	tg, err := c.GetObjectTagging(bg, &s3.GetObjectTaggingInput{Bucket: aws.String("dst"), Key: aws.String("replaced")})
	mustNoErr(t, err)
	if len(tg.TagSet) != 2 {
		t.Fatalf("replaced tags %+v", tg.TagSet)
	}

	// Onto itself: only with REPLACE, and then only the metadata changes.
	_, err = c.CopyObject(bg, &s3.CopyObjectInput{Bucket: aws.String("src"), Key: aws.String("a b+c"), CopySource: src})
	wantErr(t, err, "InvalidRequest", 400)
	_, err = c.CopyObject(bg, &s3.CopyObjectInput{Bucket: aws.String("src"), Key: aws.String("a b+c"), CopySource: src,
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"self": "yes"}})
	mustNoErr(t, err)
	got, gout = getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("src"), Key: aws.String("a b+c")})
	if !bytes.Equal(got, data) || gout.Metadata["self"] != "yes" || gout.Metadata["m"] != "" {
		t.Fatalf("self copy: %+v", gout)
	}

	// Copy-source conditions.
	_, err = c.CopyObject(bg, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("c2"), CopySource: src,
		CopySourceIfMatch: aws.String(`"nomatch"`)})
	wantErr(t, err, "PreconditionFailed", 412)
	_, err = c.CopyObject(bg, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("c2"), CopySource: src,
		CopySourceIfNoneMatch: aws.String(`"` + md5hex(data) + `"`)})
	wantErr(t, err, "PreconditionFailed", 412)
	_, err = c.CopyObject(bg, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("c2"), CopySource: aws.String("src/missing")})
	wantErr(t, err, "NoSuchKey", 404)
	_, err = c.CopyObject(bg, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("c2"), CopySource: aws.String("nobucket/k")})
	wantErr(t, err, "NoSuchBucket", 404)
}

func testClientTagging(t *testing.T, n *nodetest.Node) {
	c := n.S3(t)
	createBucket(t, c, "tags")
	putBytes(t, c, "tags", "k", []byte("x"))
	b, k := aws.String("tags"), aws.String("k")

	tg, err := c.GetObjectTagging(bg, &s3.GetObjectTaggingInput{Bucket: b, Key: k})
	mustNoErr(t, err)
	if len(tg.TagSet) != 0 {
		t.Fatalf("fresh object has tags %+v", tg.TagSet)
	}
	_, err = c.PutObjectTagging(bg, &s3.PutObjectTaggingInput{Bucket: b, Key: k, Tagging: &types.Tagging{TagSet: []types.Tag{
		{Key: aws.String("a b"), Value: aws.String("c&d")}, {Key: aws.String("e"), Value: aws.String("")}}}})
	mustNoErr(t, err)
	tg, err = c.GetObjectTagging(bg, &s3.GetObjectTaggingInput{Bucket: b, Key: k})
	mustNoErr(t, err)
	if len(tg.TagSet) != 2 || *tg.TagSet[0].Key != "a b" || *tg.TagSet[0].Value != "c&d" {
		t.Fatalf("tags %+v", tg.TagSet)
	}
	h, err := c.HeadObject(bg, &s3.HeadObjectInput{Bucket: b, Key: k})
	mustNoErr(t, err)
	if h.ContentLength == nil || *h.ContentLength != 1 {
		t.Fatalf("tagging changed the object: %+v", h)
	}
	var many []types.Tag
	for i := range 11 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")})
	}
	_, err = c.PutObjectTagging(bg, &s3.PutObjectTaggingInput{Bucket: b, Key: k, Tagging: &types.Tagging{TagSet: many}})
	wantErr(t, err, "InvalidTag", 400)
	_, err = c.PutObjectTagging(bg, &s3.PutObjectTaggingInput{Bucket: b, Key: k, Tagging: &types.Tagging{TagSet: []types.Tag{
		{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}}})
	wantErr(t, err, "InvalidTag", 400)
	_, err = c.DeleteObjectTagging(bg, &s3.DeleteObjectTaggingInput{Bucket: b, Key: k})
	mustNoErr(t, err)
	tg, err = c.GetObjectTagging(bg, &s3.GetObjectTaggingInput{Bucket: b, Key: k})
	mustNoErr(t, err)
	if len(tg.TagSet) != 0 {
		t.Fatalf("tags after delete %+v", tg.TagSet)
	}
	_, err = c.GetObjectTagging(bg, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("missing")})
	wantErr(t, err, "NoSuchKey", 404)
	_, err = c.PutObject(bg, &s3.PutObjectInput{Bucket: b, Key: aws.String("t2"), Body: strings.NewReader("x"), Tagging: aws.String("aws:x=1")})
	wantErr(t, err, "InvalidTag", 400)
}

func testClientListing(t *testing.T, n *nodetest.Node) {
	c := n.S3(t)
	createBucket(t, c, "list")
	var keys []string
	for _, dir := range []string{"a/", "b/", "b/c/", ""} {
		for i := range 6 {
			keys = append(keys, fmt.Sprintf("%sobj%02d", dir, i))
		}
	}
	for _, k := range keys {
		putBytes(t, c, "list", k, []byte(k))
	}
	sort.Strings(keys)

	// V2 paginator, small pages.
	var got []string
	pages := 0
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("list"), MaxKeys: aws.Int32(5)})
	for p.HasMorePages() {
		page, err := p.NextPage(bg)
		mustNoErr(t, err)
		pages++
		if aws.ToInt32(page.KeyCount) != int32(len(page.Contents)) {
			t.Fatalf("KeyCount %d, %d contents", aws.ToInt32(page.KeyCount), len(page.Contents))
		}
		for _, o := range page.Contents {
			got = append(got, *o.Key)
			if aws.ToInt64(o.Size) != int64(len(*o.Key)) || aws.ToString(o.ETag) != `"`+md5hex([]byte(*o.Key))+`"` || o.StorageClass != "STANDARD" {
				t.Fatalf("entry %+v", o)
			}
		}
	}
	if !slices.Equal(got, keys) || pages != 5 {
		t.Fatalf("v2 listing (%d pages) %v", pages, got)
	}

	// Delimiter.
	lo, err := c.ListObjectsV2(bg, &s3.ListObjectsV2Input{Bucket: aws.String("list"), Delimiter: aws.String("/")})
	mustNoErr(t, err)
	var prefixes []string
	for _, cp := range lo.CommonPrefixes {
		prefixes = append(prefixes, *cp.Prefix)
	}
	if !slices.Equal(prefixes, []string{"a/", "b/"}) || len(lo.Contents) != 6 {
		t.Fatalf("delimiter: prefixes %v, %d contents", prefixes, len(lo.Contents))
	}
	lo, err = c.ListObjectsV2(bg, &s3.ListObjectsV2Input{Bucket: aws.String("list"), Delimiter: aws.String("/"), Prefix: aws.String("b/")})
	mustNoErr(t, err)
	if len(lo.CommonPrefixes) != 1 || *lo.CommonPrefixes[0].Prefix != "b/c/" || len(lo.Contents) != 6 {
		t.Fatalf("prefix b/: %+v", lo)
	}
	// StartAfter and fetch-owner.
	lo, err = c.ListObjectsV2(bg, &s3.ListObjectsV2Input{Bucket: aws.String("list"), StartAfter: aws.String("b/c/obj03"), FetchOwner: aws.Bool(true)})
	mustNoErr(t, err)
	if len(lo.Contents) != 14 || *lo.Contents[0].Key != "b/c/obj04" || lo.Contents[0].Owner == nil {
		t.Fatalf("start-after: %d, first %s", len(lo.Contents), *lo.Contents[0].Key)
	}

	// V1 with markers.
	got = nil
	marker := ""
	for {
		page, err := c.ListObjects(bg, &s3.ListObjectsInput{Bucket: aws.String("list"), Marker: aws.String(marker), MaxKeys: aws.Int32(7)})
		mustNoErr(t, err)
		for _, o := range page.Contents {
			got = append(got, *o.Key)
			if o.Owner == nil {
				t.Fatalf("v1 entry without owner")
			}
		}
		if page.NextMarker != nil {
			t.Fatalf("NextMarker without delimiter")
		}
		if !aws.ToBool(page.IsTruncated) {
			break
		}
		marker = got[len(got)-1]
	}
	if !slices.Equal(got, keys) {
		t.Fatalf("v1 listing %v", got)
	}
	page, err := c.ListObjects(bg, &s3.ListObjectsInput{Bucket: aws.String("list"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	mustNoErr(t, err)
	if !aws.ToBool(page.IsTruncated) || aws.ToString(page.NextMarker) == "" {
		t.Fatalf("v1 with delimiter: truncated %v NextMarker %q", aws.ToBool(page.IsTruncated), aws.ToString(page.NextMarker))
	}
	_, err = c.ListObjectsV2(bg, &s3.ListObjectsV2Input{Bucket: aws.String("list"), MaxKeys: aws.Int32(-1)})
	wantErr(t, err, "InvalidArgument", 400)
	_, err = c.ListObjectsV2(bg, &s3.ListObjectsV2Input{Bucket: aws.String("nolist")})
	wantErr(t, err, "NoSuchBucket", 404)
}

func testClientDeleteObjects(t *testing.T, n *nodetest.Node) {
	c := n.S3(t)
	createBucket(t, c, "del")
	for i := range 5 {
		putBytes(t, c, "del", fmt.Sprint("k", i), []byte("x"))
	}
	ids := []types.ObjectIdentifier{{Key: aws.String("k0")}, {Key: aws.String("k1")}, {Key: aws.String("missing")}, {Key: aws.String("k2")}}
	out, err := c.DeleteObjects(bg, &s3.DeleteObjectsInput{Bucket: aws.String("del"), Delete: &types.Delete{Objects: ids}})
	mustNoErr(t, err)
	if len(out.Deleted) != 4 || len(out.Errors) != 0 {
		t.Fatalf("deleted %d, errors %+v", len(out.Deleted), out.Errors)
	}
	out, err = c.DeleteObjects(bg, &s3.DeleteObjectsInput{Bucket: aws.String("del"),
		Delete: &types.Delete{Quiet: aws.Bool(true), Objects: []types.ObjectIdentifier{{Key: aws.String("k3")}, {Key: aws.String("k4"), VersionId: aws.String("v123")}}}})
	mustNoErr(t, err)
	if len(out.Deleted) != 0 || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Key) != "k4" || aws.ToString(out.Errors[0].Code) != "NoSuchVersion" {
		t.Fatalf("quiet: deleted %+v errors %+v", out.Deleted, out.Errors)
	}
	lo, err := c.ListObjectsV2(bg, &s3.ListObjectsV2Input{Bucket: aws.String("del")})
	mustNoErr(t, err)
	if len(lo.Contents) != 1 || *lo.Contents[0].Key != "k4" {
		t.Fatalf("left %+v", lo.Contents)
	}
	var tooMany []types.ObjectIdentifier
	for i := range 1001 {
		tooMany = append(tooMany, types.ObjectIdentifier{Key: aws.String(fmt.Sprint(i))})
	}
	_, err = c.DeleteObjects(bg, &s3.DeleteObjectsInput{Bucket: aws.String("del"), Delete: &types.Delete{Objects: tooMany}})
	wantErr(t, err, "MalformedXML", 400)
}

func testClientMultipartManager(t *testing.T, n *nodetest.Node) {
	c := n.S3(t)
	createBucket(t, c, "mpu")
	const partSize = 5 << 20
	data := randBytes(3, 3*partSize+123457)

	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = partSize; u.Concurrency = 3 })
	res, err := up.Upload(bg, &s3.PutObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big/object"), Body: bytes.NewReader(data),
		ContentType: aws.String("application/x-big"), Metadata: map[string]string{"kind": "multipart"}})
	mustNoErr(t, err)
	if !strings.HasSuffix(aws.ToString(res.ETag), `-4"`) {
		t.Fatalf("multipart ETag %s", aws.ToString(res.ETag))
	}
	// Composite CRC32 (the manager's default): "-4" suffix.
	if !strings.HasSuffix(aws.ToString(res.ChecksumCRC32), "-4") {
		t.Fatalf("composite checksum %q", aws.ToString(res.ChecksumCRC32))
	}

	got, gout := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big/object")})
	if !bytes.Equal(got, data) {
		t.Fatalf("downloaded object differs (%d bytes)", len(got))
	}
	if aws.ToString(gout.ContentType) != "application/x-big" || gout.Metadata["kind"] != "multipart" {
		t.Fatalf("headers %+v", gout)
	}
	if aws.ToString(gout.ChecksumCRC32) != aws.ToString(res.ChecksumCRC32) {
		t.Fatalf("GET checksum %q, want %q", aws.ToString(gout.ChecksumCRC32), aws.ToString(res.ChecksumCRC32))
	}

	// GET by part number.
	got, gout = getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big/object"), PartNumber: aws.Int32(2)})
	if !bytes.Equal(got, data[partSize:2*partSize]) || aws.ToInt32(gout.PartsCount) != 4 ||
		aws.ToString(gout.ContentRange) != fmt.Sprintf("bytes %d-%d/%d", partSize, 2*partSize-1, len(data)) {
		t.Fatalf("part 2: %d bytes, parts %d, range %q", len(got), aws.ToInt32(gout.PartsCount), aws.ToString(gout.ContentRange))
	}
	_, err = c.GetObject(bg, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big/object"), PartNumber: aws.Int32(5)})
	wantErr(t, err, "InvalidPartNumber", 416)

	// Ranged read across a part boundary.
	got, _ = getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big/object"),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", partSize-10, partSize+9))})
	if !bytes.Equal(got, data[partSize-10:partSize+10]) {
		t.Fatalf("cross-part range differs")
	}

	// The manager's downloader (parallel ranged GETs).
	buf := manager.NewWriteAtBuffer(nil)
	dl := manager.NewDownloader(c, func(d *manager.Downloader) { d.PartSize = partSize; d.Concurrency = 3 })
	nbytes, err := dl.Download(bg, buf, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big/object")})
	mustNoErr(t, err)
	if nbytes != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("downloader: %d bytes", nbytes)
	}
}

func testClientMultipartLowLevel(t *testing.T, n *nodetest.Node) {
	c := n.S3(t)
	createBucket(t, c, "mpl")
	b, k := aws.String("mpl"), aws.String("obj")
	const partSize = 5 << 20
	p1, p2 := randBytes(4, partSize), randBytes(5, 1000)

	// FULL_OBJECT CRC32: the object checksum is the CRC32 of the whole data.
	cr, err := c.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: b, Key: k,
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumType: types.ChecksumTypeFullObject, Metadata: map[string]string{"x": "y"}})
	mustNoErr(t, err)
	if cr.ChecksumAlgorithm != types.ChecksumAlgorithmCrc32 || cr.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("create: %+v", cr)
	}
	id := cr.UploadId
	u1, err := c.UploadPart(bg, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: id, PartNumber: aws.Int32(1), Body: bytes.NewReader(p1), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	mustNoErr(t, err)
	u2, err := c.UploadPart(bg, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: id, PartNumber: aws.Int32(2), Body: bytes.NewReader(p2), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	mustNoErr(t, err)
	if aws.ToString(u1.ETag) != `"`+md5hex(p1)+`"` || u1.ChecksumCRC32 == nil {
		t.Fatalf("UploadPart: %+v", u1)
	}
	_, err = c.UploadPart(bg, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: id, PartNumber: aws.Int32(10001), Body: strings.NewReader("x")})
	wantErr(t, err, "InvalidArgument", 400)
	_, err = c.UploadPart(bg, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: aws.String("nope"), PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
	wantErr(t, err, "NoSuchUpload", 404)

	lp, err := c.ListParts(bg, &s3.ListPartsInput{Bucket: b, Key: k, UploadId: id})
	mustNoErr(t, err)
	if len(lp.Parts) != 2 || aws.ToInt64(lp.Parts[0].Size) != partSize || aws.ToString(lp.Parts[1].ETag) != aws.ToString(u2.ETag) ||
		aws.ToString(lp.Parts[0].ChecksumCRC32) != aws.ToString(u1.ChecksumCRC32) || aws.ToBool(lp.IsTruncated) {
		t.Fatalf("ListParts: %+v", lp)
	}
	lp, err = c.ListParts(bg, &s3.ListPartsInput{Bucket: b, Key: k, UploadId: id, MaxParts: aws.Int32(1)})
	mustNoErr(t, err)
	if len(lp.Parts) != 1 || !aws.ToBool(lp.IsTruncated) || aws.ToString(lp.NextPartNumberMarker) != "1" {
		t.Fatalf("ListParts page: %+v", lp)
	}
	lu, err := c.ListMultipartUploads(bg, &s3.ListMultipartUploadsInput{Bucket: b})
	mustNoErr(t, err)
	if len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != aws.ToString(id) || aws.ToString(lu.Uploads[0].Key) != "obj" {
		t.Fatalf("ListMultipartUploads: %+v", lu.Uploads)
	}

	parts := []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: u1.ETag}, {PartNumber: aws.Int32(2), ETag: u2.ETag}}
	_, err = c.CompleteMultipartUpload(bg, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{parts[1], parts[0]}}})
	wantErr(t, err, "InvalidPartOrder", 400)
	_, err = c.CompleteMultipartUpload(bg, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(`"00"`)}, parts[1]}}})
	wantErr(t, err, "InvalidPart", 400)
	_, err = c.CompleteMultipartUpload(bg, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: u1.ETag, ChecksumCRC32: aws.String("AAAAAA==")}, parts[1]}}})
	wantErr(t, err, "InvalidPart", 400)
	co, err := c.CompleteMultipartUpload(bg, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: u1.ETag, ChecksumCRC32: u1.ChecksumCRC32},
			{PartNumber: aws.Int32(2), ETag: u2.ETag, ChecksumCRC32: u2.ChecksumCRC32}}}})
	mustNoErr(t, err)
	all := append(slices.Clone(p1), p2...)
	var crc [4]byte
	v := crc32.ChecksumIEEE(all)
	crc[0], crc[1], crc[2], crc[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	if aws.ToString(co.ChecksumCRC32) != base64.StdEncoding.EncodeToString(crc[:]) || co.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("full-object CRC32 %q (%s), want %q", aws.ToString(co.ChecksumCRC32), co.ChecksumType, base64.StdEncoding.EncodeToString(crc[:]))
	}
	if aws.ToString(co.Bucket) != "mpl" || aws.ToString(co.Key) != "obj" || !strings.HasSuffix(aws.ToString(co.ETag), `-2"`) ||
		!strings.HasSuffix(aws.ToString(co.Location), "/mpl/obj") {
		t.Fatalf("complete: %+v", co)
	}
	got, gout := getBytes(t, c, &s3.GetObjectInput{Bucket: b, Key: k})
	if !bytes.Equal(got, all) || gout.Metadata["x"] != "y" {
		t.Fatalf("completed object differs")
	}
	_, err = c.ListParts(bg, &s3.ListPartsInput{Bucket: b, Key: k, UploadId: id})
	wantErr(t, err, "NoSuchUpload", 404)

	// Too small a part, abort.
	cr, err = c.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("small")})
	mustNoErr(t, err)
	s1, err := c.UploadPart(bg, &s3.UploadPartInput{Bucket: b, Key: aws.String("small"), UploadId: cr.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("tiny")})
	mustNoErr(t, err)
	s2, err := c.UploadPart(bg, &s3.UploadPartInput{Bucket: b, Key: aws.String("small"), UploadId: cr.UploadId, PartNumber: aws.Int32(2), Body: strings.NewReader("tail")})
	mustNoErr(t, err)
	_, err = c.CompleteMultipartUpload(bg, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("small"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: s1.ETag}, {PartNumber: aws.Int32(2), ETag: s2.ETag}}}})
	wantErr(t, err, "EntityTooSmall", 400)

	// UploadPartCopy with a range, then a single-part completion.
	cp, err := c.UploadPartCopy(bg, &s3.UploadPartCopyInput{Bucket: b, Key: aws.String("small"), UploadId: cr.UploadId, PartNumber: aws.Int32(3),
		CopySource: aws.String("mpl/obj"), CopySourceRange: aws.String("bytes=10-109")})
	mustNoErr(t, err)
	if aws.ToString(cp.CopyPartResult.ETag) != `"`+md5hex(all[10:110])+`"` {
		t.Fatalf("UploadPartCopy ETag %s", aws.ToString(cp.CopyPartResult.ETag))
	}
	_, err = c.UploadPartCopy(bg, &s3.UploadPartCopyInput{Bucket: b, Key: aws.String("small"), UploadId: cr.UploadId, PartNumber: aws.Int32(4),
		CopySource: aws.String("mpl/obj"), CopySourceRange: aws.String(fmt.Sprintf("bytes=0-%d", len(all)))})
	wantErr(t, err, "InvalidRange", 416)
	_, err = c.CompleteMultipartUpload(bg, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("small"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(3), ETag: cp.CopyPartResult.ETag}}}})
	mustNoErr(t, err)
	got, _ = getBytes(t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("small")})
	if !bytes.Equal(got, all[10:110]) {
		t.Fatalf("part-copied object differs")
	}

	cr, err = c.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("aborted")})
	mustNoErr(t, err)
	_, err = c.AbortMultipartUpload(bg, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("aborted"), UploadId: cr.UploadId})
	mustNoErr(t, err)
	_, err = c.AbortMultipartUpload(bg, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("aborted"), UploadId: cr.UploadId})
	wantErr(t, err, "NoSuchUpload", 404)
	lu, err = c.ListMultipartUploads(bg, &s3.ListMultipartUploadsInput{Bucket: b})
	mustNoErr(t, err)
	if len(lu.Uploads) != 0 {
		t.Fatalf("uploads left: %+v", lu.Uploads)
	}
}

func testClientPresigned(t *testing.T, n *nodetest.Node) {
	c := n.S3(t)
	createBucket(t, c, "pre")
	ps := s3.NewPresignClient(c)

	put, err := ps.PresignPutObject(bg, &s3.PutObjectInput{Bucket: aws.String("pre"), Key: aws.String("via presign")})
	mustNoErr(t, err)
	req, err := http.NewRequest(put.Method, put.URL, strings.NewReader("presigned body"))
	mustNoErr(t, err)
	for k, v := range put.SignedHeader {
		if !strings.EqualFold(k, "host") {
			req.Header[k] = v
		}
	}
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("ETag") != `"`+md5hex([]byte("presigned body"))+`"` {
		t.Fatalf("presigned PUT: %d %v", resp.StatusCode, resp.Header)
	}

	// Without Content-Length (chunked transfer): MissingContentLength.
	req, err = http.NewRequest(put.Method, put.URL, io.MultiReader(strings.NewReader("chunked body")))
	mustNoErr(t, err)
	req.ContentLength = -1
	resp, err = http.DefaultClient.Do(req)
	mustNoErr(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusLengthRequired || !strings.Contains(string(body), "<Code>MissingContentLength</Code>") {
		t.Fatalf("chunked presigned PUT: %d %s", resp.StatusCode, body)
	}

	// Sent without Content-Type: stored as AWS does, binary/octet-stream.
	h, err := c.HeadObject(bg, &s3.HeadObjectInput{Bucket: aws.String("pre"), Key: aws.String("via presign")})
	mustNoErr(t, err)
	if aws.ToString(h.ContentType) != "binary/octet-stream" {
		t.Fatalf("default Content-Type %q", aws.ToString(h.ContentType))
	}

	get, err := ps.PresignGetObject(bg, &s3.GetObjectInput{Bucket: aws.String("pre"), Key: aws.String("via presign")})
	mustNoErr(t, err)
	resp, err = http.Get(get.URL)
	mustNoErr(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "presigned body" {
		t.Fatalf("presigned GET: %d %q", resp.StatusCode, body)
	}

	// A tampered URL and an expired one are refused.
	resp, err = http.Get(strings.Replace(get.URL, "via%20presign", "other", 1))
	mustNoErr(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("tampered presign: %d", resp.StatusCode)
	}
	exp, err := ps.PresignGetObject(bg, &s3.GetObjectInput{Bucket: aws.String("pre"), Key: aws.String("via presign")},
		s3.WithPresignExpires(time.Second))
	mustNoErr(t, err)
	time.Sleep(2100 * time.Millisecond)
	resp, err = http.Get(exp.URL)
	mustNoErr(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>AccessDenied</Code>") {
		t.Fatalf("expired presign: %d %s", resp.StatusCode, body)
	}
}

func testClientVirtualHosted(t *testing.T, n *nodetest.Node) {
	addr := strings.TrimPrefix(n.Endpoint, "http://")
	_, port, _ := net.SplitHostPort(addr)
	// "<bucket>.localhost" may not resolve here: dial the node whatever
	// the host, so the Host header still carries the bucket.
	dialer := &net.Dialer{}
	httpc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		}
	})
	c := n.S3(t, func(o *s3.Options) {
		o.UsePathStyle = false
		o.BaseEndpoint = aws.String("http://localhost:" + port)
		o.HTTPClient = httpc
	})
	createBucket(t, c, "vhost")
	putBytes(t, c, "vhost", "dir//key+1", []byte("virtual"))
	got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("vhost"), Key: aws.String("dir//key+1")})
	if string(got) != "virtual" {
		t.Fatalf("got %q", got)
	}
	lo, err := c.ListObjectsV2(bg, &s3.ListObjectsV2Input{Bucket: aws.String("vhost")})
	mustNoErr(t, err)
	if len(lo.Contents) != 1 || *lo.Contents[0].Key != "dir//key+1" {
		t.Fatalf("list %+v", lo.Contents)
	}
	// The same object path-style.
	got, _ = getBytes(t, n.S3(t), &s3.GetObjectInput{Bucket: aws.String("vhost"), Key: aws.String("dir//key+1")})
	if string(got) != "virtual" {
		t.Fatalf("path-style got %q", got)
	}
}

func testClientAuthErrors(t *testing.T, n *nodetest.Node) {
	createBucket(t, n.S3(t), "auth")
	bad := n.S3With(t, n.AccessKey, "wrong-secret-key", "")
	_, err := bad.ListBuckets(bg, &s3.ListBucketsInput{})
	wantErr(t, err, "SignatureDoesNotMatch", 403)
	unknown := n.S3With(t, "NOSUCHACCESSKEY", "whatever-secret", "")
	_, err = unknown.ListBuckets(bg, &s3.ListBucketsInput{})
	wantErr(t, err, "InvalidAccessKeyId", 403)
	anon := n.S3(t, func(o *s3.Options) { o.Credentials = aws.AnonymousCredentials{} })
	_, err = anon.ListObjectsV2(bg, &s3.ListObjectsV2Input{Bucket: aws.String("auth")})
	wantErr(t, err, "AccessDenied", 403)

	// HEAD errors carry no body; every response has a request id.
	req, _ := http.NewRequest("HEAD", n.Endpoint+"/auth/missing", nil)
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(t, err)
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("x-amz-request-id") == "" || resp.Header.Get("Server") != "Tessera" {
		t.Fatalf("anonymous HEAD: %d %v", resp.StatusCode, resp.Header)
	}
	// Health is served beside S3.
	resp, err = http.Get(n.Endpoint + "/_tessera/health/live")
	mustNoErr(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("health: %d", resp.StatusCode)
	}
}

func testClientMisc(t *testing.T, n *nodetest.Node) {
	c := n.S3(t)
	createBucket(t, c, "misc")
	b := aws.String("misc")
	_, err := c.PutObject(bg, &s3.PutObjectInput{Bucket: b, Key: aws.String("ia"), Body: strings.NewReader("x"), StorageClass: types.StorageClassStandardIa})
	mustNoErr(t, err)
	h, err := c.HeadObject(bg, &s3.HeadObjectInput{Bucket: b, Key: aws.String("ia")})
	mustNoErr(t, err)
	if h.StorageClass != types.StorageClassStandardIa {
		t.Fatalf("storage class %q", h.StorageClass)
	}
	putBytes(t, c, "misc", "std", []byte("y"))
	h, err = c.HeadObject(bg, &s3.HeadObjectInput{Bucket: b, Key: aws.String("std")})
	mustNoErr(t, err)
	if h.StorageClass != "" {
		t.Fatalf("STANDARD announced: %q", h.StorageClass)
	}

	// Unversioned buckets list every object as its "null" version.
	lv, err := c.ListObjectVersions(bg, &s3.ListObjectVersionsInput{Bucket: b})
	mustNoErr(t, err)
	if len(lv.Versions) != 2 || aws.ToString(lv.Versions[0].VersionId) != "null" || !aws.ToBool(lv.Versions[0].IsLatest) ||
		lv.Versions[0].StorageClass != types.ObjectVersionStorageClass("STANDARD_IA") {
		t.Fatalf("versions %+v", lv.Versions)
	}
	acl, err := c.GetObjectAcl(bg, &s3.GetObjectAclInput{Bucket: b, Key: aws.String("std")})
	mustNoErr(t, err)
	if len(acl.Grants) != 1 || aws.ToString(acl.Owner.ID) != n.AccessKey {
		t.Fatalf("object acl %+v", acl)
	}
	_, err = c.GetObject(bg, &s3.GetObjectInput{Bucket: b, Key: aws.String("std"), VersionId: aws.String("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")})
	wantErr(t, err, "NoSuchVersion", 404)
	_, err = c.PutObject(bg, &s3.PutObjectInput{Bucket: b, Key: aws.String("sse"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	wantErr(t, err, "NotImplemented", 501)

	// Uploads listing with prefix and delimiter.
	for _, k := range []string{"u/1", "u/2", "v/1"} {
		_, err := c.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String(k)})
		mustNoErr(t, err)
	}
	lu, err := c.ListMultipartUploads(bg, &s3.ListMultipartUploadsInput{Bucket: b, Delimiter: aws.String("/")})
	mustNoErr(t, err)
	if len(lu.Uploads) != 0 || len(lu.CommonPrefixes) != 2 {
		t.Fatalf("delimited uploads %+v %+v", lu.Uploads, lu.CommonPrefixes)
	}
	lu, err = c.ListMultipartUploads(bg, &s3.ListMultipartUploadsInput{Bucket: b, Prefix: aws.String("u/")})
	mustNoErr(t, err)
	if len(lu.Uploads) != 2 || aws.ToString(lu.Uploads[0].Key) != "u/1" || lu.Uploads[0].Initiated == nil {
		t.Fatalf("prefixed uploads %+v", lu.Uploads)
	}
	lu, err = c.ListMultipartUploads(bg, &s3.ListMultipartUploadsInput{Bucket: b, MaxUploads: aws.Int32(1)})
	mustNoErr(t, err)
	if len(lu.Uploads) != 1 || !aws.ToBool(lu.IsTruncated) || aws.ToString(lu.NextKeyMarker) != "u/1" {
		t.Fatalf("paged uploads %+v", lu)
	}
}

// BenchmarkClientObject measures small-object PUT and GET through the
// whole stack (SDK, HTTP, SigV4, s3api, erasure) on one node.
func BenchmarkClientObject(b *testing.B) {
	n := nodetest.Start(b)
	c := n.S3(b)
	bucket := "bench"
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		b.Fatal(err)
	}
	data := randBytes(9, 4<<10)
	b.Run("PutObject4KiB", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		i := 0
		for b.Loop() {
			key := fmt.Sprint("k", i%64)
			i++
			if _, err := c.PutObject(bg, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(data)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetObject4KiB", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		key := "k0"
		for b.Loop() {
			out, err := c.GetObject(bg, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, out.Body); err != nil {
				b.Fatal(err)
			}
			out.Body.Close()
		}
	})
}
