package audit

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/s3api"
)

// EventVersion is the version of the Event format, written into "version".
const EventVersion = "1"

// Event is one audit record: one finished S3 request. It marshals to the
// JSON shape the webhook receives (one object per line). An Event is owned
// by the Sender once passed to Emit; do not change it afterwards.
type Event struct {
	// Version is EventVersion.
	Version string `json:"version"`
	// Time is when the request arrived, UTC (RFC 3339 with nanoseconds).
	Time time.Time `json:"time"`
	// Node is the name of the node that served the request.
	Node string `json:"node"`
	// API describes the operation and its outcome.
	API API `json:"api"`
	// RequestID is the x-amz-request-id the client received.
	RequestID string `json:"requestID"`
	// RemoteHost is the client's IP address.
	RemoteHost string `json:"remotehost"`
	// UserAgent is the request's User-Agent.
	UserAgent string `json:"userAgent"`
	// RequestHeader holds the request's headers by canonical name
	// (X-Amz-Date), repeated headers joined with ","; credentials are
	// redacted (see RedactedHeaders).
	RequestHeader map[string]string `json:"requestHeader"`
	// ResponseHeader holds the response's headers by canonical name
	// (X-Amz-Request-Id).
	ResponseHeader map[string]string `json:"responseHeader"`
	// AccessKey is the access key that signed the request ("" anonymous or
	// when authentication failed).
	AccessKey string `json:"accessKey"`
	// ParentUser is the user a service account or STS session belongs to
	// ("" for a user's own keys, root and anonymous requests).
	ParentUser string `json:"parentUser"`
	// TesseraVersion is the version of the node.
	TesseraVersion string `json:"tesseraVersion"`
}

// API is the "api" object of an Event.
type API struct {
	// Name is the S3 operation, e.g. "PutObject".
	Name string `json:"name"`
	// Bucket and Object are the request's target ("" when none).
	Bucket string `json:"bucket"`
	Object string `json:"object"`
	// Status is the HTTP status text ("OK", "Not Found").
	Status string `json:"status"`
	// StatusCode is the HTTP status code.
	StatusCode int `json:"statusCode"`
	// ErrorCode is the S3 error code sent, if any (a Tessera addition).
	ErrorCode string `json:"errorCode,omitempty"`
	// TimeToResponse is the time to the response, e.g. "1234567ns".
	TimeToResponse string `json:"timeToResponse"`
	// TimeToResponseInNS is the same in nanoseconds, as a decimal string.
	TimeToResponseInNS string `json:"timeToResponseInNS"`
}

// Redacted replaces the values of RedactedHeaders in RequestHeader.
const Redacted = "REDACTED"

// RedactedHeaders are the request headers whose values never reach an
// event: credentials and customer-provided encryption keys. Matching is
// case-insensitive.
var RedactedHeaders = []string{
	"Authorization",
	"Proxy-Authorization",
	"X-Amz-Security-Token",
	"X-Amz-Server-Side-Encryption-Customer-Key",
	"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key",
}

var redactedKeys = func() [][]byte {
	out := make([][]byte, len(RedactedHeaders))
	for i, h := range RedactedHeaders {
		out[i] = []byte(h)
	}
	return out
}()

func redacted(key []byte) bool {
	for _, k := range redactedKeys {
		if bytes.EqualFold(key, k) {
			return true
		}
	}
	return false
}

// NewEvent builds the event of a finished request. It copies everything it
// needs: ri and what it points to are not retained. node and version fill
// Node and TesseraVersion.
func NewEvent(ri *s3api.RequestInfo, node, version string) *Event {
	ns := ri.Duration.Nanoseconds()
	nss := strconv.FormatInt(ns, 10)
	ev := &Event{
		Version: EventVersion,
		Time:    ri.Start.UTC(),
		Node:    node,
		API: API{
			Name: ri.API, Bucket: ri.Bucket, Object: ri.Key,
			Status: http.StatusText(ri.Status), StatusCode: ri.Status, ErrorCode: ri.ErrorCode,
			TimeToResponse: nss + "ns", TimeToResponseInNS: nss,
		},
		RequestID:      string(ri.RequestID),
		TesseraVersion: version,
	}
	if id := ri.Identity; id != nil && !id.Anonymous {
		ev.AccessKey = id.AccessKey
		if id.User != "" && id.User != id.AccessKey {
			ev.ParentUser = id.User
		}
	}
	if ctx := ri.Ctx; ctx != nil {
		ev.RemoteHost = ctx.RemoteIP().String()
		ev.UserAgent = string(ctx.Request.Header.UserAgent())
		ev.RequestHeader = requestHeaders(&ctx.Request.Header)
		ev.ResponseHeader = responseHeaders(&ctx.Response.Header)
	}
	return ev
}

func requestHeaders(h *fasthttp.RequestHeader) map[string]string {
	m := make(map[string]string, h.Len())
	for k, v := range h.All() {
		if redacted(k) {
			m[http.CanonicalHeaderKey(string(k))] = Redacted
			continue
		}
		add(m, k, v)
	}
	return m
}

func responseHeaders(h *fasthttp.ResponseHeader) map[string]string {
	m := make(map[string]string, h.Len())
	for k, v := range h.All() {
		add(m, k, v)
	}
	return m
}

// add sets header k (in canonical form, e.g. X-Amz-Request-Id, whatever
// case it was sent in) to v, joining repeated headers with ",".
func add(m map[string]string, k, v []byte) {
	key := http.CanonicalHeaderKey(string(k))
	if old, ok := m[key]; ok {
		m[key] = old + "," + string(v)
		return
	}
	m[key] = string(v)
}
