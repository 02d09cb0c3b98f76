package bench

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/valyala/fasthttp"
)

// TestNoopRepliesAreValidS3 drives the no-op responder with the AWS SDK's
// S3 and STS clients (default settings): every reply must parse.
func TestNoopRepliesAreValidS3(t *testing.T) {
	srv := startNoop(t, 3000)
	ctx := context.Background()
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("ak", "sk", "")))
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.Endpoint()); o.UsePathStyle = true })
	b, k := aws.String("bkt"), aws.String("dir/key <&>")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b}); err != nil {
		t.Fatalf("HeadBucket: %v", err)
	}
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: bytes.NewReader(make([]byte, 100000))})
	if err != nil || aws.ToString(put.ETag) == "" {
		t.Fatalf("PutObject: %v %v", put, err)
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	body, err := io.ReadAll(get.Body)
	get.Body.Close()
	if err != nil || len(body) != 3000 || aws.ToInt64(get.ContentLength) != 3000 {
		t.Fatalf("GetObject body %d bytes, %v", len(body), err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: k})
	if err != nil || aws.ToInt64(head.ContentLength) != 3000 {
		t.Fatalf("HeadObject: %v %v", head, err)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("dir/")})
	if err != nil || aws.ToString(list.Name) != "bkt" || aws.ToBool(list.IsTruncated) {
		t.Fatalf("ListObjectsV2: %v %v", list, err)
	}
	if _, err := c.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: k})
	if err != nil || aws.ToString(mpu.UploadId) == "" || aws.ToString(mpu.Key) != *k {
		t.Fatalf("CreateMultipartUpload: %v %v", mpu, err)
	}
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: mpu.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(make([]byte, 1000))})
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: mpu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
	if err != nil || aws.ToString(done.ETag) == "" {
		t.Fatalf("CompleteMultipartUpload: %v %v", done, err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: k}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: k}}}}); err != nil {
		t.Fatalf("DeleteObjects: %v", err)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy"), CopySource: aws.String("bkt/x")}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}

	sc := sts.NewFromConfig(awsCfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.Endpoint()) })
	out, err := sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::1:role/x"), RoleSessionName: aws.String("s")})
	if err != nil || aws.ToString(out.Credentials.AccessKeyId) == "" || out.Credentials.Expiration.Before(time.Now()) {
		t.Fatalf("AssumeRole: %v %v", out, err)
	}
	if _, err := sc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		t.Fatal("GetCallerIdentity must fail: only AssumeRole is served")
	}
	if srv.Requests() < 15 {
		t.Fatalf("server counted %d requests", srv.Requests())
	}
}

func TestNoopConfigValidate(t *testing.T) {
	c := DefaultNoopConfig()
	c.ObjectSize = -1
	if _, err := NewNoopServer(c); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("ObjectSize -1: %v", err)
	}
	c = DefaultNoopConfig()
	c.IdleTimeout = 0
	if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("IdleTimeout 0: %v", err)
	}
}

// noopCtx builds a request context for calling the handler directly.
func noopCtx(method, uri string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetHost("127.0.0.1")
	return &ctx
}

func BenchmarkNoopHandlerGet(b *testing.B) {
	s, err := NewNoopServer(DefaultNoopConfig())
	if err != nil {
		b.Fatal(err)
	}
	ctx := noopCtx("GET", "/bucket/bench/obj-1")
	for b.Loop() {
		ctx.Response.Reset()
		s.Handler(ctx)
	}
}

// BenchmarkClientPutNoop is one signed 4 KiB PUT through the worker path
// against the no-op responder over loopback.
func BenchmarkClientPutNoop(b *testing.B) {
	w := noopWorker(b)
	for b.Loop() {
		if r := w.put(1, 4096); !r.ok() {
			b.Fatal(r.code)
		}
	}
}

func BenchmarkClientGetNoop(b *testing.B) {
	w := noopWorker(b)
	for b.Loop() {
		if r := w.get(1, nil); !r.ok() || r.bytes != 4096 {
			b.Fatal(r.code, r.bytes)
		}
	}
}

// noopWorker is a recording worker with its own client against a fresh
// no-op responder.
func noopWorker(t testing.TB) *worker {
	srv := startNoop(t, 4096)
	cfg := runConfig(srv.Endpoint(), "k", "s", WorkloadPut, 1)
	cl, err := newClient(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.close)
	e := &env{cfg: &cfg, cl: cl, now: cl.now, payload: make([]byte, 1<<20), keyBase: "/bucket/bench/obj-"}
	e.creds.AccessKeyID, e.creds.SecretAccessKey = cfg.AccessKey, cfg.SecretKey
	w := &worker{e: e, k: cl.newConn(), rng: newTestRand(), recording: true}
	e.workers = []*worker{w}
	return w
}
