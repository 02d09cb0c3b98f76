package s3api

import (
	"bytes"
	"time"

	"github.com/valyala/fasthttp"
)

// condResult is the outcome of evaluating conditional headers.
type condResult uint8

const (
	condOK                 condResult = iota
	condNotModified                   // 304
	condPreconditionFailed            // 412
)

// conditions are the four conditional request headers, raw.
type conditions struct {
	ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince []byte
}

// evalConditions applies AWS's precedence to an object with etag (no
// quotes) and modTime:
//   - If-Match false -> 412; If-Match true makes If-Unmodified-Since moot.
//   - otherwise If-Unmodified-Since false -> 412.
//   - If-None-Match false (the ETag matches) -> 304 (GET/HEAD) even when
//     If-Modified-Since is true; If-None-Match true makes
//     If-Modified-Since moot.
//   - otherwise If-Modified-Since false -> 304.
//
// Unparsable dates are ignored, as HTTP requires. For copy sources
// (x-amz-copy-source-if-*), callers turn 304 into 412.
func evalConditions(c *conditions, etag string, modTime time.Time) condResult {
	mod := modTime.Truncate(time.Second)
	if c.ifMatch != nil {
		if !etagListMatches(c.ifMatch, etag) {
			return condPreconditionFailed
		}
	} else if c.ifUnmodifiedSince != nil {
		if t, err := fasthttp.ParseHTTPDate(c.ifUnmodifiedSince); err == nil && mod.After(t) {
			return condPreconditionFailed
		}
	}
	if c.ifNoneMatch != nil {
		if etagListMatches(c.ifNoneMatch, etag) {
			return condNotModified
		}
	} else if c.ifModifiedSince != nil {
		if t, err := fasthttp.ParseHTTPDate(c.ifModifiedSince); err == nil && !mod.After(t) {
			return condNotModified
		}
	}
	return condOK
}

// etagListMatches reports whether list ("*", or comma-separated ETags,
// quoted or not, optionally weak "W/") contains etag.
func etagListMatches(list []byte, etag string) bool {
	for len(list) > 0 {
		var item []byte
		if i := bytes.IndexByte(list, ','); i >= 0 {
			item, list = list[:i], list[i+1:]
		} else {
			item, list = list, nil
		}
		item = bytes.TrimSpace(item)
		if len(item) == 1 && item[0] == '*' {
			return true
		}
		item = bytes.TrimPrefix(item, []byte("W/"))
		if len(item) >= 2 && item[0] == '"' && item[len(item)-1] == '"' {
			item = item[1 : len(item)-1]
		}
		if string(item) == etag {
			return true
		}
	}
	return false
}

// requestConditions reads the standard conditional headers.
func (r *request) requestConditions() conditions {
	h := &r.ctx.Request.Header
	return conditions{
		ifMatch:           h.Peek("If-Match"),
		ifNoneMatch:       h.Peek("If-None-Match"),
		ifModifiedSince:   h.Peek("If-Modified-Since"),
		ifUnmodifiedSince: h.Peek("If-Unmodified-Since"),
	}
}

// copySourceConditions reads the x-amz-copy-source-if-* headers.
func (r *request) copySourceConditions() conditions {
	h := &r.ctx.Request.Header
	return conditions{
		ifMatch:           h.Peek("x-amz-copy-source-if-match"),
		ifNoneMatch:       h.Peek("x-amz-copy-source-if-none-match"),
		ifModifiedSince:   h.Peek("x-amz-copy-source-if-modified-since"),
		ifUnmodifiedSince: h.Peek("x-amz-copy-source-if-unmodified-since"),
	}
}
