package sigv4

import (
	"errors"
	"fmt"
	"time"
)

// Config configures a Verifier.
type Config struct {
	// Region is the region the server answers for (default "us-east-1").
	// Requests signed for another region get AuthorizationHeaderMalformed.
	Region string
	// MaxSkew is the allowed clock difference between the request's date
	// and Now, as a duration (default 15 minutes; 1 s .. 24 h).
	MaxSkew time.Duration
	// MaxPresignExpiry caps X-Amz-Expires, as a duration (default 7 days,
	// S3's limit; 1 s .. 7 days).
	MaxPresignExpiry time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// KeyCacheSize bounds the number of cached signing keys, in entries
	// (default 8192; 16 .. 1<<20).
	KeyCacheSize int
}

// DefaultConfig returns the defaults: region us-east-1, 15 minutes skew,
// 7 days presign expiry, time.Now, 8192 cached keys.
func DefaultConfig() Config {
	return Config{
		Region:           "us-east-1",
		MaxSkew:          15 * time.Minute,
		MaxPresignExpiry: 7 * 24 * time.Hour,
		Now:              time.Now,
		KeyCacheSize:     8192,
	}
}

// Validate reports the first field out of range.
func (c *Config) Validate() error {
	switch {
	case c.Region == "" || len(c.Region) > 64:
		return fmt.Errorf("%w: Region must be 1..64 bytes, got %q", ErrInvalidConfig, c.Region)
	case c.MaxSkew < time.Second || c.MaxSkew > 24*time.Hour:
		return fmt.Errorf("%w: MaxSkew must be 1s..24h, got %v", ErrInvalidConfig, c.MaxSkew)
	case c.MaxPresignExpiry < time.Second || c.MaxPresignExpiry > 7*24*time.Hour:
		return fmt.Errorf("%w: MaxPresignExpiry must be 1s..168h, got %v", ErrInvalidConfig, c.MaxPresignExpiry)
	case c.Now == nil:
		return fmt.Errorf("%w: Now must be set", ErrInvalidConfig)
	case c.KeyCacheSize < 16 || c.KeyCacheSize > 1<<20:
		return fmt.Errorf("%w: KeyCacheSize must be 16..1048576 entries, got %d", ErrInvalidConfig, c.KeyCacheSize)
	}
	for i := 0; i < len(c.Region); i++ {
		if b := c.Region[i]; b <= ' ' || b == '/' || b >= 0x7f {
			return fmt.Errorf("%w: Region %q has a byte that cannot appear in a credential scope", ErrInvalidConfig, c.Region)
		}
	}
	return nil
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Region == "" {
		c.Region = d.Region
	}
	if c.MaxSkew == 0 {
		c.MaxSkew = d.MaxSkew
	}
	if c.MaxPresignExpiry == 0 {
		c.MaxPresignExpiry = d.MaxPresignExpiry
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	if c.KeyCacheSize == 0 {
		c.KeyCacheSize = d.KeyCacheSize
	}
	return c
}

// Errors that are not S3 errors. Request failures are *s3err.Error values.
var (
	// ErrInvalidConfig: a Config field is out of range (see Validate).
	ErrInvalidConfig = errors.New("sigv4: invalid config")
)
