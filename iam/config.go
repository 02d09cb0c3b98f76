package iam

import "fmt"

const (
	// DefaultMaxPolicySize is the default limit, in bytes, on an identity
	// policy document (user, session and service-account policies), as the
	// reference gateway has it.
	DefaultMaxPolicySize = 2048

	// DefaultMaxBucketPolicySize is the default limit, in bytes, on a
	// bucket policy document (AWS S3's limit, 20 KiB).
	DefaultMaxBucketPolicySize = 20 * 1024

	// maxPolicySizeLimit bounds both limits in Validate.
	maxPolicySizeLimit = 1 << 20
)

// Config holds the parse-time limits. The zero value is not valid; start
// from DefaultConfig. A Config is a plain value, safe to copy and share.
type Config struct {
	// MaxPolicySize is the largest identity policy document accepted, in
	// bytes (the raw document, white space included). 1 to 1 MiB; default
	// DefaultMaxPolicySize (2048).
	MaxPolicySize int
	// MaxBucketPolicySize is the largest bucket policy document accepted, in
	// bytes. 1 to 1 MiB; default DefaultMaxBucketPolicySize (20480).
	MaxBucketPolicySize int
}

// DefaultConfig returns the limits Tessera uses.
func DefaultConfig() Config {
	return Config{MaxPolicySize: DefaultMaxPolicySize, MaxBucketPolicySize: DefaultMaxBucketPolicySize}
}

// Validate reports the first field out of range.
func (c Config) Validate() error {
	if c.MaxPolicySize < 1 || c.MaxPolicySize > maxPolicySizeLimit {
		return fmt.Errorf("%w: MaxPolicySize is %d bytes, want 1 to %d", ErrInvalidConfig, c.MaxPolicySize, maxPolicySizeLimit)
	}
	if c.MaxBucketPolicySize < 1 || c.MaxBucketPolicySize > maxPolicySizeLimit {
		return fmt.Errorf("%w: MaxBucketPolicySize is %d bytes, want 1 to %d", ErrInvalidConfig, c.MaxBucketPolicySize, maxPolicySizeLimit)
	}
	return nil
}

// limit returns the size limit for kind.
func (c Config) limit(kind Kind) int {
	if kind == BucketPolicy {
		return c.MaxBucketPolicySize
	}
	return c.MaxPolicySize
}
