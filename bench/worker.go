package bench

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// opStats are one worker's counters of one Op. The atomics are written by
// the worker and read by the sampler; the histogram and the error maps are
// read only after the worker has stopped.
type opStats struct {
	ok, errs, bytes, latNs atomic.Int64
	hist                   Histogram
	codes                  map[string]int64
	examples               map[string]string
}

// worker issues requests one at a time. Each worker owns its conn, random
// source and counters; nothing in it is shared with other workers.
type worker struct {
	id    int
	e     *env
	k     *conn
	rng   *rand.Rand
	stats [numOps]opStats
	// recording is false during setup: requests then count nowhere.
	recording bool
	cl        call
	// mixed workload state: which of this worker's keys exist.
	present  []bool
	nPresent int
	// list workload state: the next continuation token.
	token string
	// multipart workload scratch.
	etags  []string
	xmlBuf []byte
}

func (w *worker) record(op Op, start time.Time, r *reply) {
	if !w.recording {
		return
	}
	s := &w.stats[op]
	if r.ok() {
		lat := w.e.now().Sub(start)
		s.hist.Record(lat)
		s.latNs.Add(int64(lat))
		s.bytes.Add(r.bytes)
		s.ok.Add(1)
		return
	}
	if s.codes == nil {
		s.codes, s.examples = map[string]int64{}, map[string]string{}
	}
	s.codes[r.code]++
	if _, seen := s.examples[r.code]; !seen {
		s.examples[r.code] = r.detail
	}
	s.errs.Add(1)
}

// exec runs cl, records it under cl.op and returns the reply.
func (w *worker) exec(cl *call) reply {
	start := w.e.now()
	r := w.k.do(cl)
	w.record(cl.op, start, &r)
	return r
}

// payload points cl's body at size bytes of the shared random buffer.
func (w *worker) payload(cl *call, size int64) {
	buf := w.e.payload
	cl.size = size
	if size <= int64(len(buf)) {
		off := 0
		if slack := len(buf) - int(size); slack > 0 {
			off = w.rng.IntN(slack + 1)
		}
		cl.body = buf[off : off+int(size)]
		return
	}
	cl.bodyStream = &repeatReader{buf: buf, off: w.rng.IntN(len(buf)), n: size}
}

func (w *worker) reset(op Op, method, path string) *call {
	w.cl = call{op: op, method: method, path: path, creds: &w.e.creds}
	return &w.cl
}

func (w *worker) put(key int, size int64) reply {
	cl := w.reset(OpPut, http.MethodPut, w.e.objectPath(key))
	w.payload(cl, size)
	return w.exec(cl)
}

func (w *worker) get(key int, creds *aws.Credentials) reply {
	cl := w.reset(OpGet, http.MethodGet, w.e.objectPath(key))
	cl.stream = true
	if creds != nil {
		cl.creds = creds
	}
	return w.exec(cl)
}

func (w *worker) head(key int) reply {
	return w.exec(w.reset(OpHead, http.MethodHead, w.e.objectPath(key)))
}

func (w *worker) del(key int) reply {
	return w.exec(w.reset(OpDelete, http.MethodDelete, w.e.objectPath(key)))
}

// list requests one ListObjectsV2 page, continuing from the worker's last
// page and starting over after the last one.
func (w *worker) list() reply {
	cl := w.reset(OpList, http.MethodGet, w.e.bucketPath)
	q := w.e.listQuery
	if w.token != "" {
		q += "&continuation-token=" + queryEscape(w.token)
	}
	cl.query = q
	r := w.exec(cl)
	w.token = ""
	if r.ok() {
		body := w.k.resp.Body()
		if string(xmlText(body, []byte("<IsTruncated>"), []byte("</IsTruncated>"))) == "true" {
			w.token = xmlUnescape(string(xmlText(body, []byte("<NextContinuationToken>"), []byte("</NextContinuationToken>"))))
		}
	}
	return r
}

// multipart uploads one object of parts x partSize bytes: create, upload
// each part in turn, complete. It stops at the first failed request.
func (w *worker) multipart(key int) {
	path := w.e.objectPath(key)
	cl := w.reset(OpCreateMultipart, http.MethodPost, path)
	cl.query = "uploads="
	r := w.exec(cl)
	if !r.ok() {
		return
	}
	uploadID := xmlUnescape(string(xmlText(w.k.resp.Body(), []byte("<UploadId>"), []byte("</UploadId>"))))
	if uploadID == "" {
		w.record(OpCreateMultipart, w.e.now(), &reply{code: "NoUploadId", detail: "CreateMultipartUpload reply without UploadId"})
		return
	}
	uq := "uploadId=" + queryEscape(uploadID)
	w.etags = w.etags[:0]
	cfg := w.e.cfg
	for p := 1; p <= cfg.Parts; p++ {
		cl = w.reset(OpUploadPart, http.MethodPut, path)
		cl.query = "partNumber=" + strconv.Itoa(p) + "&" + uq
		w.payload(cl, cfg.PartSize)
		if r = w.exec(cl); !r.ok() {
			w.abort(path, uq)
			return
		}
		w.etags = append(w.etags, string(w.k.resp.Header.PeekBytes(hdrETag)))
	}
	b := append(w.xmlBuf[:0], "<CompleteMultipartUpload>"...)
	for i, et := range w.etags {
		b = append(b, "<Part><PartNumber>"...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, "</PartNumber><ETag>"...)
		b = appendXMLEscaped(b, et)
		b = append(b, "</ETag></Part>"...)
	}
	b = append(b, "</CompleteMultipartUpload>"...)
	w.xmlBuf = b
	cl = w.reset(OpCompleteMultipart, http.MethodPost, path)
	cl.query = uq
	cl.body, cl.size, cl.contentType = b, int64(len(b)), "application/xml"
	if r = w.exec(cl); !r.ok() {
		w.abort(path, uq)
	}
}

// abort aborts a failed upload without recording it, so that failed runs
// leave no parts behind.
func (w *worker) abort(path, uploadQuery string) {
	rec := w.recording
	w.recording = false
	cl := w.reset(OpDelete, http.MethodDelete, path)
	cl.query = uploadQuery
	w.exec(cl)
	w.recording = rec
}

// assumeRole calls STS AssumeRole with creds; the form body and its hash
// are computed once per run.
func (w *worker) assumeRole(creds *aws.Credentials) reply {
	cl := w.reset(OpAssumeRole, http.MethodPost, "/")
	cl.creds = creds
	cl.body, cl.size = w.e.stsForm, int64(len(w.e.stsForm))
	cl.payloadHash, cl.service, cl.contentType = w.e.stsFormHash, serviceSTS, formType
	return w.exec(cl)
}

func appendXMLEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&quot;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}
