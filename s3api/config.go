package s3api

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Errors returned by New and Validate.
var (
	// ErrInvalidConfig: a Config field is out of range.
	ErrInvalidConfig = errors.New("s3api: invalid config")
	// ErrMissingDeps: a required field of Deps is nil.
	ErrMissingDeps = errors.New("s3api: missing dependency")
)

// Limits fixed by the S3 API.
const (
	// maxSinglePutSize is the largest PutObject/UploadPart body (5 GiB).
	maxSinglePutSize = 5 << 30
	// maxCopySize is the largest CopyObject source (5 GiB).
	maxCopySize = 5 << 30
	// maxKeyLength is the longest object key in bytes.
	maxKeyLength = 1024
	// maxUserMetaSize bounds the x-amz-meta-* keys and values (2 KB).
	maxUserMetaSize = 2 << 10
	// maxXMLBody caps request bodies of XML operations (1 MiB).
	maxXMLBody = 1 << 20
	// maxCompleteBody caps CompleteMultipartUpload bodies: 10,000 parts
	// with SHA256 checksums take about 1.5 MB.
	maxCompleteBody = 4 << 20
	// maxParts is the highest part number.
	maxParts = 10000
	// maxListKeys caps max-keys, max-parts and max-uploads.
	maxListKeys = 1000
)

// Config configures a Server.
type Config struct {
	// Region is the region the server answers for (default "us-east-1").
	Region string
	// Domains enable virtual-hosted-style requests: a Host of
	// "<bucket>.<domain>[:port]" addresses <bucket>. Empty: path-style only.
	Domains []string
	// MaxBuckets is the cluster's bucket limit (1-1,000,000; default 10,000).
	MaxBuckets int
	// MaxObjectSize is the largest object in bytes, multipart included
	// (1 byte - 5 TiB; default 5 TiB).
	MaxObjectSize int64
	// AnonymousUID and AnonymousGID are the POSIX owner recorded for
	// objects written anonymously (default 65534).
	AnonymousUID, AnonymousGID uint32
	// MaxSkew is the allowed clock difference of signed requests
	// (default 15 minutes; 1 second - 1 hour).
	MaxSkew time.Duration
	// IdleTimeout closes keep-alive connections idle this long
	// (default 2 minutes; 1 second - 1 hour).
	IdleTimeout time.Duration
	// Logger receives request errors and panics (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Internal serves path-style requests under "/_tessera/" (admin, health,
	// metrics). No bucket can take that path. Nil: such paths are S3 paths
	// and fail with InvalidBucketName.
	Internal fasthttp.RequestHandler
	// Observe, when set, is called once per S3 request after its response
	// is written (metrics, audit). It must not block.
	Observe func(*RequestInfo)
	// STS serves "POST /" requests with a form body and "GET /?Action=..."
	// requests (the STS query API: AssumeRole).
	// Nil: such requests get MethodNotAllowed.
	STS fasthttp.RequestHandler
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Region:        "us-east-1",
		MaxBuckets:    10000,
		MaxObjectSize: 5 << 40,
		AnonymousUID:  65534,
		AnonymousGID:  65534,
		MaxSkew:       15 * time.Minute,
		IdleTimeout:   2 * time.Minute,
	}
}

// Validate names the first bad field and its allowed range. Zero values of
// Logger and Now are filled with their defaults by New, not here.
func (c *Config) Validate() error {
	if c.Region == "" || len(c.Region) > 64 {
		return fmt.Errorf("%w: Region must be 1-64 characters, got %q", ErrInvalidConfig, c.Region)
	}
	for _, d := range c.Domains {
		if d == "" || strings.ContainsAny(d, ":/ ") || strings.HasPrefix(d, ".") {
			return fmt.Errorf("%w: Domains entry %q must be a host name without port", ErrInvalidConfig, d)
		}
	}
	if c.MaxBuckets < 1 || c.MaxBuckets > 1000000 {
		return fmt.Errorf("%w: MaxBuckets must be 1-1000000, got %d", ErrInvalidConfig, c.MaxBuckets)
	}
	if c.MaxObjectSize < 1 || c.MaxObjectSize > 5<<40 {
		return fmt.Errorf("%w: MaxObjectSize must be 1 byte - 5 TiB, got %d", ErrInvalidConfig, c.MaxObjectSize)
	}
	if c.MaxSkew < time.Second || c.MaxSkew > time.Hour {
		return fmt.Errorf("%w: MaxSkew must be 1s-1h, got %s", ErrInvalidConfig, c.MaxSkew)
	}
	if c.IdleTimeout < time.Second || c.IdleTimeout > time.Hour {
		return fmt.Errorf("%w: IdleTimeout must be 1s-1h, got %s", ErrInvalidConfig, c.IdleTimeout)
	}
	return nil
}

// Deps are the services a Server is built on. All are required.
type Deps struct {
	Objects     Objects
	Buckets     Buckets
	Credentials Credentials
	Authorizer  Authorizer
}

func (d *Deps) validate() error {
	switch {
	case d.Objects == nil:
		return fmt.Errorf("%w: Deps.Objects", ErrMissingDeps)
	case d.Buckets == nil:
		return fmt.Errorf("%w: Deps.Buckets", ErrMissingDeps)
	case d.Credentials == nil:
		return fmt.Errorf("%w: Deps.Credentials", ErrMissingDeps)
	case d.Authorizer == nil:
		return fmt.Errorf("%w: Deps.Authorizer", ErrMissingDeps)
	}
	return nil
}
