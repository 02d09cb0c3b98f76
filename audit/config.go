package audit

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Config configures a Sender.
type Config struct {
	// BufferSize is how many events may wait to be sent, in events
	// (1 - 10,000,000; default 10,000). Events that find it full are
	// dropped.
	BufferSize int
	// BatchSize is the most events one POST carries, in events
	// (1 - 10,000; default 100).
	BatchSize int
	// FlushInterval is how long a batch may wait for more events before it
	// is posted (0 - 1 minute; default 100 ms). 0 posts whatever is queued
	// as soon as the sender is free.
	FlushInterval time.Duration
	// Timeout bounds one POST, connecting and reading the answer included
	// (1 ms - 5 minutes; default 5 s).
	Timeout time.Duration
	// Retries is how many times a failed POST is tried again before its
	// events are dropped (0 - 5; default 1).
	Retries int
	// RetryBackoff is the wait before each retry (0 - 10 s; default 200 ms).
	RetryBackoff time.Duration
	// NodeName is written into every event's "node" field.
	NodeName string
	// Version is the Tessera version written into "tesseraVersion".
	Version string
	// Logger receives delivery failures (once per outage) and recoveries
	// (default slog.Default()).
	Logger *slog.Logger
	// Transport sends the POSTs (default: a clone of
	// http.DefaultTransport). Tests may inject faults here.
	Transport http.RoundTripper
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		BufferSize:    10000,
		BatchSize:     100,
		FlushInterval: 100 * time.Millisecond,
		Timeout:       5 * time.Second,
		Retries:       1,
		RetryBackoff:  200 * time.Millisecond,
	}
}

// Validate checks every field's range and names the first one out of it.
func (c Config) Validate() error {
	switch {
	case c.BufferSize < 1 || c.BufferSize > 10_000_000:
		return fmt.Errorf("%w: BufferSize %d events: must be 1 - 10,000,000", ErrConfig, c.BufferSize)
	case c.BatchSize < 1 || c.BatchSize > 10_000:
		return fmt.Errorf("%w: BatchSize %d events: must be 1 - 10,000", ErrConfig, c.BatchSize)
	case c.FlushInterval < 0 || c.FlushInterval > time.Minute:
		return fmt.Errorf("%w: FlushInterval %s: must be 0 - 1m", ErrConfig, c.FlushInterval)
	case c.Timeout < time.Millisecond || c.Timeout > 5*time.Minute:
		return fmt.Errorf("%w: Timeout %s: must be 1ms - 5m", ErrConfig, c.Timeout)
	case c.Retries < 0 || c.Retries > 5:
		return fmt.Errorf("%w: Retries %d: must be 0 - 5", ErrConfig, c.Retries)
	case c.RetryBackoff < 0 || c.RetryBackoff > 10*time.Second:
		return fmt.Errorf("%w: RetryBackoff %s: must be 0 - 10s", ErrConfig, c.RetryBackoff)
	}
	return nil
}

var (
	// ErrConfig: a Config field is out of range (the message names it).
	ErrConfig = errors.New("audit: invalid config")
	// ErrWebhookStatus: the webhook answered with a status other than 2xx
	// (wrapped in a *StatusError).
	ErrWebhookStatus = errors.New("audit: webhook answered with a non-2xx status")
	// ErrFlushTimeout: Close's deadline passed before every queued event
	// was posted; the rest were dropped.
	ErrFlushTimeout = errors.New("audit: flush cut short by the deadline")
)

// StatusError is a non-2xx answer from the webhook.
type StatusError struct {
	// StatusCode is the HTTP status the webhook sent.
	StatusCode int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("audit: webhook answered HTTP %d", e.StatusCode)
}

// Unwrap makes errors.Is(err, ErrWebhookStatus) true.
func (e *StatusError) Unwrap() error { return ErrWebhookStatus }
