package bench

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Errors of the package. Match them with errors.Is; the returned errors wrap
// them with the detail.
var (
	// ErrInvalidConfig: a Config field is out of its range (Validate).
	ErrInvalidConfig = errors.New("bench: invalid config")
	// ErrInvalidSize: a size or size distribution does not parse.
	ErrInvalidSize = errors.New("bench: invalid size")
	// ErrInvalidMix: a mixed-workload ratio list does not parse.
	ErrInvalidMix = errors.New("bench: invalid mix")
	// ErrInvalidCredentials: a key-pair file does not parse.
	ErrInvalidCredentials = errors.New("bench: invalid credentials file")
	// ErrSetup: preparing the endpoint (bucket, objects, users) failed.
	ErrSetup = errors.New("bench: setup failed")
	// ErrInvalidResult: a JSON result is not a result of a known version.
	ErrInvalidResult = errors.New("bench: invalid result")
)

// Workload names, as Config.Workload and the CLI spell them.
const (
	WorkloadPut       = "put"
	WorkloadGet       = "get"
	WorkloadMixed     = "mixed"
	WorkloadList      = "list"
	WorkloadMultipart = "multipart"
	WorkloadDelete    = "delete"
	WorkloadSTS       = "sts"
	WorkloadAuth      = "auth"
)

// Workloads lists the workload names in the order the CLI shows them.
var Workloads = []string{WorkloadPut, WorkloadGet, WorkloadMixed, WorkloadList, WorkloadMultipart, WorkloadDelete, WorkloadSTS, WorkloadAuth}

// Credentials are one S3 key pair, with a session token for temporary
// credentials.
type Credentials struct {
	AccessKey    string `json:"access_key"`
	SecretKey    string `json:"secret_key"`
	SessionToken string `json:"session_token,omitempty"`
}

// Config describes one run. The zero value is not valid: start from
// DefaultConfig. A Config is read, never changed, by Run.
type Config struct {
	// Endpoint is the S3 endpoint URL: "http://host:port" or "https://...",
	// without path or query.
	Endpoint string
	// MoreEndpoints are other nodes of the same cluster (same scheme):
	// connections are spread round-robin over Endpoint and these, as a load
	// balancer in front of them would. Requests are signed for Endpoint's
	// host.
	MoreEndpoints []string
	// AccessKey, SecretKey and SessionToken (optional) sign every request
	// except those of the sts and auth workloads, which use the user pool
	// (Users or Credentials) when one is given.
	AccessKey, SecretKey, SessionToken string
	// Region is the SigV4 signing region (default "us-east-1").
	Region string
	// TLS configures https endpoints (CA, InsecureSkipVerify); nil uses the
	// system roots.
	TLS *tls.Config

	// Workload is one of Workloads.
	Workload string
	// Bucket is the bucket the objects live in (3-63 characters).
	Bucket string
	// CreateBucket creates Bucket before the run when it does not exist.
	CreateBucket bool
	// Prefix starts every object key (0-512 bytes).
	Prefix string
	// Sizes are the object sizes in bytes with their weights (put, mixed,
	// and the objects prepared for get, list, delete and auth).
	Sizes SizeDist
	// Concurrency is the number of workers, each with one request in flight
	// (1-10000).
	Concurrency int
	// Duration is the length of the timed phase (0 or 100 ms - 1000 h). With
	// Ops also set, the run ends at whichever comes first; one of the two is
	// required.
	Duration time.Duration
	// Ops ends the run after this many workload steps (0 = no limit). A step
	// is one request, except in multipart where it is one whole upload.
	Ops int64
	// Keys is the number of distinct object keys (1 - 10,000,000): put and
	// multipart write them round-robin; get, mixed, list, delete and auth
	// prepare that many objects first. The mixed workload splits them among
	// the workers and needs at least Concurrency.
	Keys int
	// Mix weighs the operations of the mixed workload.
	Mix Mix
	// PartSize is the multipart part size in bytes (1 byte - 5 GiB; S3
	// servers want at least 5 MiB for all parts but the last).
	PartSize int64
	// Parts is the number of parts per multipart upload (1-10000).
	Parts int
	// ListMaxKeys is max-keys of each ListObjectsV2 request (1-1000).
	ListMaxKeys int
	// Users is the number of users the sts and auth workloads create
	// through the admin API before the run (0-100000; signing with the
	// admin's keys). 0 with no Credentials: they use AccessKey/SecretKey.
	Users int
	// UserPolicy is the IAM policy attached to created users.
	UserPolicy string
	// KeepUsers keeps the created users after the run (default: deleted).
	KeepUsers bool
	// Credentials are the key pairs the sts and auth workloads spread their
	// requests over, instead of creating Users.
	Credentials []Credentials
	// STSDuration is the DurationSeconds the sts workload asks for
	// (15 min - 12 h, whole seconds).
	STSDuration time.Duration
	// RequestTimeout bounds each request (1 ms - 1 h).
	RequestTimeout time.Duration
	// Interval is the sampling period of the throughput timeline and of
	// progress callbacks (100 ms - 1 min).
	Interval time.Duration
	// Seed seeds key and size choices; 0 picks a random seed (the Result
	// records the one used).
	Seed uint64
	// Now is the clock used for signing and timing (nil: time.Now).
	Now func() time.Time
	// Logger receives setup and teardown messages (nil: discarded).
	Logger *slog.Logger
}

// DefaultConfig returns a put workload of 4 KiB objects from 16 workers for
// 10 s against http://127.0.0.1:9000; credentials are left empty.
func DefaultConfig() Config {
	return Config{
		Endpoint:       "http://127.0.0.1:9000",
		Region:         "us-east-1",
		Workload:       WorkloadPut,
		Bucket:         "tessera-bench",
		CreateBucket:   true,
		Prefix:         "bench/",
		Sizes:          SizeDist{{Size: 4 << 10, Weight: 1}},
		Concurrency:    16,
		Duration:       10 * time.Second,
		Keys:           1000,
		Mix:            Mix{{Op: OpGet, Weight: 70}, {Op: OpPut, Weight: 20}, {Op: OpDelete, Weight: 10}},
		PartSize:       5 << 20,
		Parts:          4,
		ListMaxKeys:    1000,
		UserPolicy:     "readwrite",
		STSDuration:    15 * time.Minute,
		RequestTimeout: 60 * time.Second,
		Interval:       time.Second,
	}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// Validate names the first field out of its range.
func (c *Config) Validate() error {
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return invalid("Endpoint must be an http:// or https:// URL without path, got %q", c.Endpoint)
	}
	for _, e := range c.MoreEndpoints {
		m, err := url.Parse(e)
		if err != nil || m.Scheme != u.Scheme || m.Host == "" || (m.Path != "" && m.Path != "/") || m.RawQuery != "" {
			return invalid("MoreEndpoints must be %s:// URLs without path like Endpoint, got %q", u.Scheme, e)
		}
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return invalid("AccessKey and SecretKey are required")
	}
	if c.Region == "" || len(c.Region) > 64 {
		return invalid("Region must be 1-64 characters, got %q", c.Region)
	}
	if !slices.Contains(Workloads, c.Workload) {
		return invalid("Workload must be one of %s, got %q", strings.Join(Workloads, ", "), c.Workload)
	}
	if n := len(c.Bucket); n < 3 || n > 63 || strings.ContainsAny(c.Bucket, "/ ?#") {
		return invalid("Bucket must be a bucket name of 3-63 characters, got %q", c.Bucket)
	}
	if len(c.Prefix) > 512 {
		return invalid("Prefix must be at most 512 bytes, got %d", len(c.Prefix))
	}
	if err := c.Sizes.Validate(); err != nil {
		return invalid("Sizes: %v", err)
	}
	if c.Concurrency < 1 || c.Concurrency > 10000 {
		return invalid("Concurrency must be 1-10000, got %d", c.Concurrency)
	}
	if c.Duration != 0 && (c.Duration < 100*time.Millisecond || c.Duration > 1000*time.Hour) {
		return invalid("Duration must be 0 or 100ms-1000h, got %s", c.Duration)
	}
	if c.Ops < 0 {
		return invalid("Ops must be >= 0, got %d", c.Ops)
	}
	if c.Duration == 0 && c.Ops == 0 {
		return invalid("Duration or Ops must be set")
	}
	if c.Keys < 1 || c.Keys > 10_000_000 {
		return invalid("Keys must be 1-10000000, got %d", c.Keys)
	}
	if c.Workload == WorkloadMixed {
		if err := c.Mix.Validate(); err != nil {
			return invalid("Mix: %v", err)
		}
		if c.Keys < c.Concurrency {
			return invalid("Keys must be at least Concurrency (%d) for the mixed workload, got %d", c.Concurrency, c.Keys)
		}
	}
	if c.PartSize < 1 || c.PartSize > 5<<30 {
		return invalid("PartSize must be 1 byte-5GiB, got %d", c.PartSize)
	}
	if c.Parts < 1 || c.Parts > 10000 {
		return invalid("Parts must be 1-10000, got %d", c.Parts)
	}
	if c.ListMaxKeys < 1 || c.ListMaxKeys > 1000 {
		return invalid("ListMaxKeys must be 1-1000, got %d", c.ListMaxKeys)
	}
	if c.Users < 0 || c.Users > 100000 {
		return invalid("Users must be 0-100000, got %d", c.Users)
	}
	if c.Users > 0 && len(c.Credentials) > 0 {
		return invalid("Users and Credentials exclude each other")
	}
	if c.Users > 0 && c.UserPolicy == "" {
		return invalid("UserPolicy must name a policy when Users > 0")
	}
	for i, cr := range c.Credentials {
		if cr.AccessKey == "" || cr.SecretKey == "" {
			return invalid("Credentials[%d] needs an access key and a secret key", i)
		}
	}
	if c.STSDuration < 15*time.Minute || c.STSDuration > 12*time.Hour || c.STSDuration%time.Second != 0 {
		return invalid("STSDuration must be whole seconds in 15m-12h, got %s", c.STSDuration)
	}
	if c.RequestTimeout < time.Millisecond || c.RequestTimeout > time.Hour {
		return invalid("RequestTimeout must be 1ms-1h, got %s", c.RequestTimeout)
	}
	if c.Interval < 100*time.Millisecond || c.Interval > time.Minute {
		return invalid("Interval must be 100ms-1m, got %s", c.Interval)
	}
	return nil
}
