package s3api

import (
	"context"
	"io"
	"net/netip"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/raftfsm"
	"github.com/tessera-s3/tessera/s3api/sigv4"
)

// Objects is the object store s3api needs. *erasure.Store satisfies it.
// Errors are erasure's (erasure.ErrObjectNotFound, erasure.ErrUploadNotFound,
// ...), possibly wrapping the *s3err.Error returned by a Verify callback or
// by the body reader.
type Objects interface {
	PutObject(ctx context.Context, bucket, key string, r io.Reader, size int64, opts erasure.PutOptions) (erasure.ObjectInfo, error)
	OpenObject(ctx context.Context, bucket, key string) (*erasure.Object, error)
	StatObject(ctx context.Context, bucket, key string) (erasure.ObjectInfo, error)
	UpdateObjectMeta(ctx context.Context, bucket, key string, fn func(*erasure.ObjectInfo) error) (erasure.ObjectInfo, error)
	DeleteObject(ctx context.Context, bucket, key string) error
	ListObjects(ctx context.Context, bucket, prefix, marker, delimiter string, maxKeys int) (erasure.ListObjectsResult, error)
	BucketEmpty(ctx context.Context, bucket string) (bool, error)
	DeleteBucketData(ctx context.Context, bucket string) error

	NewMultipartUpload(ctx context.Context, bucket, key string, opts erasure.PutOptions) (string, error)
	GetMultipartUpload(ctx context.Context, bucket, key, uploadID string) (erasure.MultipartInfo, error)
	PutObjectPart(ctx context.Context, bucket, key, uploadID string, partNumber int, r io.Reader, size int64, verify func(*erasure.PartInfo) error) (erasure.PartInfo, error)
	ListParts(ctx context.Context, bucket, key, uploadID string, partNumberMarker, maxParts int) (erasure.ListPartsResult, error)
	CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []erasure.CompletePart, verify func(*erasure.ObjectInfo) error) (erasure.ObjectInfo, error)
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error
	ListMultipartUploads(ctx context.Context, bucket, prefix, keyMarker, uploadIDMarker, delimiter string, maxUploads int) (erasure.ListUploadsResult, error)
}

// Buckets is the replicated bucket metadata s3api needs. The Raft-backed
// bucket store (raftfsm) satisfies it. Reads are local; writes return after
// the change is committed and applied on this node.
type Buckets interface {
	// CreateBucket returns raftfsm.ErrBucketExists or raftfsm.ErrTooManyBuckets.
	CreateBucket(ctx context.Context, b raftfsm.Bucket) error
	// DeleteBucket returns raftfsm.ErrBucketNotFound.
	DeleteBucket(ctx context.Context, name string) error
	// Bucket is a local read, no network.
	Bucket(name string) (raftfsm.Bucket, bool)
	// Buckets returns every bucket sorted by name.
	Buckets() []raftfsm.Bucket
	// SetBucketTags replaces the tag set; nil tags delete it.
	SetBucketTags(ctx context.Context, name string, tags map[string]string) error
	// SetBucketPolicy replaces the bucket policy JSON; "" deletes it.
	SetBucketPolicy(ctx context.Context, name, policy string) error
	// SetBucketLifecycle replaces the lifecycle configuration (the stored
	// JSON of the lifecycle package); "" deletes it.
	SetBucketLifecycle(ctx context.Context, name, lifecycle string) error
}

// Identity is the authenticated principal of a request.
type Identity struct {
	// AccessKey is the key that signed the request ("" when anonymous).
	AccessKey string
	// User is the user name the key belongs to (the parent user for
	// service accounts and STS sessions).
	User string
	// Anonymous is true for unsigned requests.
	Anonymous bool
	// Root is true for the cluster's root user.
	Root bool
	// UID and GID are the POSIX owner recorded on objects the principal
	// writes.
	UID, GID uint32
}

// owner is the name recorded as the owner of buckets and objects.
func (id *Identity) owner() string {
	if id.User != "" {
		return id.User
	}
	return id.AccessKey
}

// Credentials resolves access keys and identities. Implementations must be
// safe for concurrent use and must not do network I/O on these calls.
type Credentials interface {
	// Secret returns the secret key of accessKey (for sigv4.SecretFunc), or
	// s3err.ErrInvalidAccessKeyID when the key is unknown. accessKey must not
	// be retained.
	Secret(accessKey []byte) (string, error)
	// Identity resolves the principal after a valid signature. It returns
	// an *s3err.Error (e.g. ExpiredToken, InvalidToken) to refuse.
	Identity(res *sigv4.Result) (Identity, error)
}

// Authorizer decides whether an identity may perform an action.
// Implementations must be safe for concurrent use.
type Authorizer interface {
	// Authorize returns nil when allowed, else an *s3err.Error
	// (normally s3err.ErrAccessDenied). r and its Header are valid only
	// during the call.
	Authorize(id *Identity, r *AuthzRequest) error
}

// AuthzRequest describes one action to authorize. It is owned by the
// request and valid only during Authorize.
type AuthzRequest struct {
	// Action is the IAM action, e.g. "s3:GetObject".
	Action string
	// Bucket and Key name the resource: arn:aws:s3:::Bucket for bucket
	// actions (Key == ""), arn:aws:s3:::Bucket/Key for object actions, and
	// "*" (both empty) for s3:ListAllMyBuckets.
	Bucket, Key string
	// BucketOwner is the owner of Bucket, "" when the bucket does not exist.
	BucketOwner string
	// BucketPolicy is the bucket policy JSON, "" when none.
	BucketPolicy string
	// SourceIP is the client's address (aws:SourceIp).
	SourceIP netip.Addr
	// SecureTransport is true for TLS connections (aws:SecureTransport).
	SecureTransport bool
	// Prefix, Delimiter and MaxKeys are the listing parameters
	// (s3:prefix, s3:delimiter, s3:max-keys); MaxKeys is -1 when absent.
	Prefix, Delimiter string
	MaxKeys           int
	// Header gives access to the request headers (s3:x-amz-* conditions).
	// It is nil for checks made outside a request's own headers.
	Header *fasthttp.RequestHeader
}

// RequestInfo describes one finished S3 request, for metrics and audit.
// It and everything it points to are valid only during Config.Observe.
type RequestInfo struct {
	// API is the operation name, e.g. "PutObject" ("STS" and "Internal" are
	// not reported here).
	API string
	// Bucket and Key are the request's target ("" when none).
	Bucket, Key string
	// Status is the HTTP status sent; ErrorCode the S3 error code, if any.
	Status    int
	ErrorCode string
	// Start is when the request arrived; Duration the time to the response
	// (a streamed body may still be in flight).
	Start    time.Time
	Duration time.Duration
	// RequestID is x-amz-request-id.
	RequestID []byte
	// Identity is the caller (AccessKey and User empty when anonymous or
	// when authentication failed).
	Identity *Identity
	// BytesIn is the request's declared payload length, BytesOut the
	// response body's length (-1 when unknown).
	BytesIn, BytesOut int64
	// Ctx gives the remote address and headers.
	Ctx *fasthttp.RequestCtx
}
