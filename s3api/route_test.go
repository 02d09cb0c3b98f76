package s3api

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// newTestCtx builds a RequestCtx for method and raw request target with
// optional header pairs.
func newTestCtx(method, target string, headers ...string) *fasthttp.RequestCtx {
	ctx := &fasthttp.RequestCtx{}
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(target)
	ctx.Request.Header.SetHost("localhost:9000")
	for i := 0; i+1 < len(headers); i += 2 {
		ctx.Request.Header.Set(headers[i], headers[i+1])
	}
	return ctx
}

func TestClassify(t *testing.T) {
	tests := []struct {
		method, target string
		headers        []string
		op             opID
		action         string
	}{
		{"GET", "/", nil, opListBuckets, "s3:ListAllMyBuckets"},
		{"PUT", "/", nil, opMethodNotAllowed, ""},
		{"PUT", "/b", nil, opCreateBucket, "s3:CreateBucket"},
		{"PUT", "/b/", nil, opCreateBucket, "s3:CreateBucket"},
		{"HEAD", "/b", nil, opHeadBucket, "s3:ListBucket"},
		{"DELETE", "/b", nil, opDeleteBucket, "s3:DeleteBucket"},
		{"GET", "/b", nil, opListObjects, "s3:ListBucket"},
		{"GET", "/b?prefix=a&delimiter=/", nil, opListObjects, "s3:ListBucket"},
		{"GET", "/b?list-type=2&prefix=a", nil, opListObjectsV2, "s3:ListBucket"},
		{"GET", "/b?versions", nil, opListObjectVersions, "s3:ListBucketVersions"},
		{"GET", "/b?location", nil, opGetBucketLocation, "s3:GetBucketLocation"},
		{"GET", "/b?tagging", nil, opGetBucketTagging, "s3:GetBucketTagging"},
		{"PUT", "/b?tagging", nil, opPutBucketTagging, "s3:PutBucketTagging"},
		{"DELETE", "/b?tagging", nil, opDeleteBucketTagging, "s3:PutBucketTagging"},
		{"GET", "/b?uploads", nil, opListMultipartUploads, "s3:ListBucketMultipartUploads"},
		{"POST", "/b?delete", nil, opDeleteObjects, ""},
		{"GET", "/b?versioning", nil, opGetBucketVersioning, "s3:GetBucketVersioning"},
		{"GET", "/b?acl", nil, opGetBucketAcl, "s3:GetBucketAcl"},
		{"GET", "/b?policy", nil, opGetBucketPolicy, "s3:GetBucketPolicy"},
		{"GET", "/b?cors", nil, opGetBucketCors, "s3:GetBucketCORS"},
		{"GET", "/b?encryption", nil, opGetBucketEncryption, "s3:GetEncryptionConfiguration"},
		{"GET", "/b?lifecycle", nil, opGetBucketLifecycle, "s3:GetLifecycleConfiguration"},
		{"GET", "/b?object-lock", nil, opGetObjectLockConfiguration, "s3:GetBucketObjectLockConfiguration"},
		{"DELETE", "/b?cors", nil, opDeleteBucketCors, "s3:PutBucketCORS"},
		{"PUT", "/b?versioning", nil, opNotImplemented, ""},
		{"PUT", "/b?policy", nil, opPutBucketPolicy, "s3:PutBucketPolicy"},
		{"DELETE", "/b?policy", nil, opDeleteBucketPolicy, "s3:DeleteBucketPolicy"},
		{"PUT", "/b?lifecycle", nil, opPutBucketLifecycle, "s3:PutLifecycleConfiguration"},
		{"DELETE", "/b?lifecycle", nil, opDeleteBucketLifecycle, "s3:PutLifecycleConfiguration"},
		{"GET", "/b?inventory", nil, opNotImplemented, ""},
		{"POST", "/b", nil, opNotImplemented, ""},
		{"PATCH", "/b", nil, opMethodNotAllowed, ""},

		{"PUT", "/b/k", nil, opPutObject, "s3:PutObject"},
		{"PUT", "/b/k", []string{"x-amz-copy-source", "/s/k"}, opCopyObject, "s3:PutObject"},
		{"GET", "/b/k", nil, opGetObject, "s3:GetObject"},
		{"GET", "/b/k?partNumber=2", nil, opGetObject, "s3:GetObject"},
		{"GET", "/b/k?response-content-type=a", nil, opGetObject, "s3:GetObject"},
		{"HEAD", "/b/k", nil, opHeadObject, "s3:GetObject"},
		{"DELETE", "/b/k", nil, opDeleteObject, "s3:DeleteObject"},
		{"GET", "/b/k?tagging", nil, opGetObjectTagging, "s3:GetObjectTagging"},
		{"PUT", "/b/k?tagging", nil, opPutObjectTagging, "s3:PutObjectTagging"},
		{"DELETE", "/b/k?tagging", nil, opDeleteObjectTagging, "s3:DeleteObjectTagging"},
		{"GET", "/b/k?acl", nil, opGetObjectAcl, "s3:GetObjectAcl"},
		{"PUT", "/b/k?acl", nil, opNotImplemented, ""},
		{"GET", "/b/k?attributes", nil, opNotImplemented, ""},
		{"POST", "/b/k?uploads", nil, opCreateMultipartUpload, "s3:PutObject"},
		{"PUT", "/b/k?partNumber=1&uploadId=u", nil, opUploadPart, "s3:PutObject"},
		{"PUT", "/b/k?partNumber=1&uploadId=u", []string{"x-amz-copy-source", "s/k"}, opUploadPartCopy, "s3:PutObject"},
		{"POST", "/b/k?uploadId=u", nil, opCompleteMultipartUpload, "s3:PutObject"},
		{"DELETE", "/b/k?uploadId=u", nil, opAbortMultipartUpload, "s3:AbortMultipartUpload"},
		{"GET", "/b/k?uploadId=u", nil, opListParts, "s3:ListMultipartUploadParts"},
		{"POST", "/b/k?select&select-type=2", nil, opNotImplemented, ""},
		{"OPTIONS", "/b/k", nil, opMethodNotAllowed, ""},
		// Presigned query parameters do not change the operation.
		{"GET", "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00", nil, opGetObject, "s3:GetObject"},
		{"PUT", "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00", nil, opPutObject, "s3:PutObject"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			ctx := newTestCtx(tt.method, tt.target, tt.headers...)
			r := newRequest()
			r.ctx = ctx
			if err := r.parseTarget(nil, rawPath(ctx.Request.Header.RequestURI())); err != nil {
				t.Fatal(err)
			}
			got := classify(&ctx.Request.Header, ctx.QueryArgs(), r.bucket != "", r.hasKey)
			if got != tt.op {
				t.Fatalf("op = %v, want %v", got, tt.op)
			}
			if a := got.action(); a != tt.action {
				t.Fatalf("action = %q, want %q", a, tt.action)
			}
		})
	}
}

func TestOpTableComplete(t *testing.T) {
	for op := opID(0); op < numOps; op++ {
		if opTable[op].name == "" {
			t.Errorf("op %d has no name", op)
		}
		if opHandlers[op] == nil {
			t.Errorf("op %v has no handler", op)
		}
		if opTable[op].scope == scopeObject && opTable[op].action == "" {
			t.Errorf("object op %v has no action", op)
		}
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		target  string
		vbucket string
		bucket  string
		key     string
		hasKey  bool
		wantErr bool
	}{
		{target: "/", bucket: "", key: ""},
		{target: "/b", bucket: "b"},
		{target: "/b/", bucket: "b"},
		{target: "/b/k", bucket: "b", key: "k", hasKey: true},
		{target: "/b/a//b", bucket: "b", key: "a//b", hasKey: true},
		{target: "/b//lead", bucket: "b", key: "/lead", hasKey: true},
		{target: "/b/a/../c", bucket: "b", key: "a/../c", hasKey: true},
		{target: "/b/./x", bucket: "b", key: "./x", hasKey: true},
		{target: "/b/a%2Fb", bucket: "b", key: "a/b", hasKey: true},
		{target: "/b/a+b", bucket: "b", key: "a+b", hasKey: true},
		{target: "/b/a%20b", bucket: "b", key: "a b", hasKey: true},
		{target: "/b/%E2%82%AC/caf%C3%A9", bucket: "b", key: "€/café", hasKey: true},
		{target: "/b/k?x=1%2F", bucket: "b", key: "k", hasKey: true},
		{target: "/b/%zz", wantErr: true},
		{target: "/b/%4", wantErr: true},
		{target: "//k", wantErr: true},
		{target: "http://host:9000/b/k", bucket: "b", key: "k", hasKey: true},
		// Virtual-hosted style: the whole path is the key.
		{target: "/", vbucket: "b", bucket: "b"},
		{target: "/k", vbucket: "b", bucket: "b", key: "k", hasKey: true},
		{target: "/a//b", vbucket: "b", bucket: "b", key: "a//b", hasKey: true},
		{target: "/_tessera/x", vbucket: "b", bucket: "b", key: "_tessera/x", hasKey: true},
	}
	for _, tt := range tests {
		t.Run(tt.vbucket+tt.target, func(t *testing.T) {
			r := newRequest()
			var vb []byte
			if tt.vbucket != "" {
				vb = []byte(tt.vbucket)
			}
			err := r.parseTarget(vb, rawPath([]byte(tt.target)))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("want error, got bucket %q key %q", r.bucket, r.key)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.bucket != tt.bucket || r.key != tt.key || r.hasKey != tt.hasKey {
				t.Fatalf("got (%q, %q, %v), want (%q, %q, %v)", r.bucket, r.key, r.hasKey, tt.bucket, tt.key, tt.hasKey)
			}
		})
	}
}

func TestVirtualHostBucket(t *testing.T) {
	s := &Server{domains: [][]byte{[]byte("s3.example.com"), []byte("localhost")}}
	tests := []struct{ host, want string }{
		{"s3.example.com", ""},
		{"s3.example.com:9000", ""},
		{"photos.s3.example.com", "photos"},
		{"photos.s3.example.com:9000", "photos"},
		{"my.dotted.bucket.s3.example.com", "my.dotted.bucket"},
		{"Photos.S3.Example.Com", "Photos"},
		{"bucket.localhost:9000", "bucket"},
		{"localhost:9000", ""},
		{"127.0.0.1:9000", ""},
		{"xs3.example.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := string(s.virtualHostBucket([]byte(tt.host))); got != tt.want {
			t.Errorf("virtualHostBucket(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
	if got := (&Server{}).virtualHostBucket([]byte("b.localhost")); got != nil {
		t.Errorf("no domains: got %q", got)
	}
}

func TestParseTargetVirtualHostLowercases(t *testing.T) {
	r := newRequest()
	if err := r.parseTarget([]byte("Photos"), []byte("/K")); err != nil {
		t.Fatal(err)
	}
	if r.bucket != "photos" || r.key != "K" {
		t.Fatalf("got %q %q", r.bucket, r.key)
	}
}
