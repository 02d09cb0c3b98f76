// Package audit sends one audit event per finished S3 request to an HTTP
// webhook, asynchronously.
//
// It owns the event shape (Event, built from s3api.RequestInfo by NewEvent),
// the bounded in-memory queue between the request path and the webhook, the
// background goroutine that posts events, and the counters that say what
// happened to every event (sent, dropped with a reason).
//
// # Guarantees
//
// The request path is never held up: Emit (and Observe) is a non-blocking
// send of a pointer into a buffered channel of Config.BufferSize events.
// When the buffer is full the event is dropped and counted
// (reason "buffer_full"). While no webhook is configured, Emit does nothing
// and counts nothing; Observe does not even build the event.
//
// Delivery is best effort, at most once. One goroutine takes events from the
// queue and POSTs them in batches of up to Config.BatchSize events as
// newline-delimited JSON (Content-Type application/x-ndjson, one JSON object
// per line, each line one Event), with "Authorization: Bearer TOKEN" when a
// token is set. A batch is posted as soon as BatchSize events are queued or
// Config.FlushInterval after its first event arrived. A POST that fails
// (connection refused, Config.Timeout exceeded, a non-2xx answer) is retried
// Config.Retries times after Config.RetryBackoff; then its events are dropped
// and counted (reason "webhook_error"). There is no retry queue: while the
// webhook is down, events keep being taken from the queue, tried and dropped.
//
// SetTarget switches the webhook at run time; events already queued go to
// the target current when their batch is posted (or are dropped with reason
// "disabled" when there is none any more). Close flushes what is queued
// within the caller's deadline and drops the rest (reason "shutdown").
//
// Collectors exposes the counters as Prometheus metrics; the caller owns the
// registry.
package audit
