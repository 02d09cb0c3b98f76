package bench

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/node/nodetest"
)

// TestWorkloadsNode runs every workload, short, against a real in-process
// node, and checks what the node holds afterwards.
func TestWorkloadsNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	n := nodetest.Start(t)
	ctx := context.Background()
	sc := n.S3(t)
	ac := admin.NewClient(n.Endpoint, n.AccessKey, n.SecretKey, nil)
	cfgFor := func(wl, prefix string, ops int64) Config {
		c := runConfig(n.Endpoint, n.AccessKey, n.SecretKey, wl, ops)
		c.Region, c.Prefix, c.Bucket = n.Region, prefix, "bench-node"
		return c
	}
	noErrors := func(t *testing.T, r *Result) {
		t.Helper()
		checkConsistent(t, r)
		if r.Total.Errors != 0 {
			t.Fatalf("errors: %v %v", r.Total.ErrorCodes, r.Ops)
		}
	}
	countObjects := func(t *testing.T, prefix string) int {
		t.Helper()
		out, err := sc.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bench-node"), Prefix: aws.String(prefix)})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Contents)
	}
	benchUsers := func(t *testing.T) int {
		t.Helper()
		us, err := ac.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for _, u := range us {
			if strings.HasPrefix(u.Name, "bench-") {
				k++
			}
		}
		return k
	}

	t.Run("put", func(t *testing.T) {
		cfg := cfgFor(WorkloadPut, "put/", 200)
		cfg.Keys = 50
		cfg.Sizes, _ = ParseSizeDist("1KiB:1,8KiB:1")
		r := mustRun(t, cfg)
		noErrors(t, r)
		if opCount(r, OpPut) != 200 {
			t.Fatalf("PutObject %d", opCount(r, OpPut))
		}
		if got := countObjects(t, "put/"); got != 50 {
			t.Fatalf("node holds %d objects under put/, want 50", got)
		}
		h, err := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bench-node"), Key: aws.String("put/obj-7")})
		if err != nil || (*h.ContentLength != 1024 && *h.ContentLength != 8192) {
			t.Fatalf("put/obj-7: %v %v", h, err)
		}
	})
	t.Run("escaped keys", func(t *testing.T) {
		// Keys that need escaping sign and land under their own name.
		cfg := cfgFor(WorkloadPut, "spé cial+key=&/", 20)
		cfg.Keys = 5
		r := mustRun(t, cfg)
		noErrors(t, r)
		if got := countObjects(t, "spé cial+key=&/obj-"); got != 5 {
			t.Fatalf("%d objects under the escaped prefix, want 5", got)
		}
		lc := cfgFor(WorkloadList, "spé cial+key=&/", 5)
		lc.CreateBucket = false
		lr := mustRun(t, lc)
		noErrors(t, lr)
	})
	t.Run("get", func(t *testing.T) {
		cfg := cfgFor(WorkloadGet, "get/", 300)
		cfg.Keys = 40
		r := mustRun(t, cfg)
		noErrors(t, r)
		if o := r.Op("GetObject"); o.Count != 300 || o.Bytes != 300*4096 {
			t.Fatalf("GetObject %d ops %d bytes", o.Count, o.Bytes)
		}
	})
	t.Run("mixed", func(t *testing.T) {
		// Many deletes: gets and deletes must only name existing keys.
		cfg := cfgFor(WorkloadMixed, "mixed/", 300)
		cfg.Keys = 40
		cfg.Mix, _ = ParseMix("get=40,delete=30,put=15,head=10,list=5")
		r := mustRun(t, cfg)
		noErrors(t, r)
		if r.Total.Count != 300 || len(r.Ops) != 5 {
			t.Fatalf("%d ops over %d types", r.Total.Count, len(r.Ops))
		}
		// Gets after heads on the same connection still read whole bodies.
		if o := r.Op("GetObject"); o.Bytes != o.Count*4096 {
			t.Fatalf("GetObject: %d bytes for %d gets of 4KiB", o.Bytes, o.Count)
		}
	})
	t.Run("list", func(t *testing.T) {
		cfg := cfgFor(WorkloadList, "list/", 60)
		cfg.Keys, cfg.ListMaxKeys = 25, 10
		r := mustRun(t, cfg)
		noErrors(t, r)
		if opCount(r, OpList) != 60 || r.Op("ListObjectsV2").Bytes == 0 {
			t.Fatalf("list: %+v", r.Op("ListObjectsV2"))
		}
	})
	t.Run("multipart", func(t *testing.T) {
		cfg := cfgFor(WorkloadMultipart, "mpu/", 2)
		cfg.Concurrency, cfg.Keys, cfg.PartSize, cfg.Parts = 2, 2, 5<<20, 2
		r := mustRun(t, cfg)
		noErrors(t, r)
		if opCount(r, OpCreateMultipart) != 2 || opCount(r, OpUploadPart) != 4 || opCount(r, OpCompleteMultipart) != 2 {
			t.Fatalf("multipart: %v", r.Ops)
		}
		h, err := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bench-node"), Key: aws.String("mpu/obj-1")})
		if err != nil || *h.ContentLength != 10<<20 {
			t.Fatalf("mpu/obj-1: %v %v", h, err)
		}
	})
	t.Run("delete", func(t *testing.T) {
		cfg := cfgFor(WorkloadDelete, "del/", 0)
		cfg.Keys = 60
		r := mustRun(t, cfg)
		noErrors(t, r)
		if opCount(r, OpDelete) != 60 || countObjects(t, "del/") != 0 {
			t.Fatalf("deleted %d, %d left", opCount(r, OpDelete), countObjects(t, "del/"))
		}
	})
	t.Run("sts", func(t *testing.T) {
		cfg := cfgFor(WorkloadSTS, "", 40)
		cfg.Users = 2
		r := mustRun(t, cfg)
		noErrors(t, r)
		if opCount(r, OpAssumeRole) != 40 || r.Settings.KeyPairs != 2 {
			t.Fatalf("AssumeRole %d with %d key pairs", opCount(r, OpAssumeRole), r.Settings.KeyPairs)
		}
		if k := benchUsers(t); k != 0 {
			t.Fatalf("%d bench users left after the run", k)
		}
	})
	t.Run("sts root refused", func(t *testing.T) {
		// Root may not assume roles: every request fails with its code.
		r := mustRun(t, cfgFor(WorkloadSTS, "", 10))
		checkConsistent(t, r)
		if r.Total.ErrorCodes["AccessDenied"] != 10 || r.Total.Count != 0 {
			t.Fatalf("root AssumeRole: %d ok, %v", r.Total.Count, r.Total.ErrorCodes)
		}
	})
	t.Run("auth", func(t *testing.T) {
		cfg := cfgFor(WorkloadAuth, "auth/", 150)
		cfg.Users, cfg.KeepUsers, cfg.Keys = 3, true, 20
		r := mustRun(t, cfg)
		noErrors(t, r)
		if opCount(r, OpGet) != 150 || r.Settings.KeyPairs != 3 {
			t.Fatalf("auth: %d gets with %d key pairs", opCount(r, OpGet), r.Settings.KeyPairs)
		}
		if k := benchUsers(t); k != 3 {
			t.Fatalf("KeepUsers: %d bench users left, want 3", k)
		}
	})
	t.Run("invalid secret", func(t *testing.T) {
		cfg := cfgFor(WorkloadPut, "bad/", 50)
		cfg.SecretKey, cfg.CreateBucket = "Not-The-Secret-1", false
		r := mustRun(t, cfg)
		checkConsistent(t, r)
		o := r.Op("PutObject")
		if o == nil || o.Count != 0 || o.Errors != 50 || o.ErrorCodes["SignatureDoesNotMatch"] != 50 {
			t.Fatalf("wrong secret: %+v", o)
		}
		if ex := o.ErrorExamples["SignatureDoesNotMatch"]; ex == "" {
			t.Fatal("no example message for SignatureDoesNotMatch")
		}
	})
	t.Run("missing bucket", func(t *testing.T) {
		cfg := cfgFor(WorkloadGet, "x/", 10)
		cfg.Bucket, cfg.CreateBucket = "no-such-bucket-here", false
		_, err := Run(ctx, cfg, nil)
		if !errors.Is(err, ErrSetup) || !strings.Contains(err.Error(), "NoSuchBucket") {
			t.Fatalf("get from a missing bucket: %v", err)
		}
	})
}
