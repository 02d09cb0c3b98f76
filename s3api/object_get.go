package s3api

import (
	"fmt"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// invalidRangeError is InvalidRange (416) carrying the object size for
// the "Content-Range: bytes */size" header.
type invalidRangeError struct{ size int64 }

func (e *invalidRangeError) Error() string {
	return fmt.Sprintf("invalid range for object of %d bytes", e.size)
}

func (e *invalidRangeError) Unwrap() error { return s3err.ErrInvalidRange }

// responseOverrides maps the response-* query parameters of GetObject to
// the headers they override.
var responseOverrides = [...]struct {
	param string
	key   []byte
}{
	{"response-content-type", hContentType},
	{"response-content-language", hContentLanguage},
	{"response-expires", hExpires},
	{"response-cache-control", hCacheControl},
	{"response-content-disposition", hContentDisposition},
	{"response-content-encoding", hContentEncoding},
}

var vEnabled = []byte("ENABLED")

// getObject handles GetObject (GET /bucket/key).
func (s *Server) getObject(r *request) (*response, error) {
	return s.readObject(r, false)
}

// headObject handles HeadObject (HEAD /bucket/key): the GetObject headers
// without a body; errors carry no body either.
func (s *Server) headObject(r *request) (*response, error) {
	return s.readObject(r, true)
}

// readObject is GetObject and HeadObject: conditions, Range or
// partNumber, checksum mode, response-* overrides.
func (s *Server) readObject(r *request, head bool) (*response, error) {
	q := r.ctx.QueryArgs()
	if v := q.Peek("versionId"); v != nil && string(v) != "null" {
		return nil, s3err.ErrNoSuchVersion
	}
	rangeHdr := r.ctx.Request.Header.Peek("Range")
	partNumber := 0
	if v := q.Peek("partNumber"); v != nil {
		n, err := fasthttp.ParseUint(v)
		if err != nil || n < 1 || n > maxParts {
			return nil, s3err.ErrInvalidPartNumber
		}
		if len(rangeHdr) > 0 {
			return nil, s3err.ErrInvalidRequest.WithMessage("Cannot specify both Range header and partNumber query parameter")
		}
		partNumber = n
	}
	overrides := false
	if q.Len() > 0 {
		for _, o := range responseOverrides {
			if q.Has(o.param) {
				overrides = true
				break
			}
		}
		if overrides && r.id.Anonymous {
			return nil, s3err.ErrInvalidRequest.WithMessage("Request specific response headers cannot be used for anonymous GET requests.")
		}
	}

	var (
		obj  *erasure.Object
		info erasure.ObjectInfo
		err  error
	)
	if head {
		info, err = s.objects.StatObject(r.c, r.bucket, r.key)
	} else {
		obj, err = s.objects.OpenObject(r.c, r.bucket, r.key)
		if err == nil {
			info = obj.Info()
		}
	}
	if err != nil {
		return nil, err
	}
	closeObj := func() {
		if obj != nil {
			obj.Close()
		}
	}

	cond := r.requestConditions()
	switch evalConditions(&cond, info.ETag, info.ModTime) {
	case condPreconditionFailed:
		closeObj()
		return nil, s3err.ErrPreconditionFailed
	case condNotModified:
		closeObj()
		p := r.respond(http.StatusNotModified)
		p.setQuoted(hETag, info.ETag)
		p.setTime(hLastModified, info.ModTime)
		return p, nil
	}

	status := http.StatusOK
	br := byteRange{first: 0, length: info.Size}
	partial := false
	hopts := objectHeaderOpts{}
	if partNumber > 0 {
		if len(info.Parts) == 0 {
			if partNumber != 1 {
				closeObj()
				return nil, s3err.ErrPartNumberNotSatisfiable
			}
			partial = true
			hopts.checksum = true
			hopts.cs = info.Checksum
		} else {
			if partNumber > len(info.Parts) {
				closeObj()
				return nil, s3err.ErrPartNumberNotSatisfiable
			}
			var off int64
			for _, pi := range info.Parts[:partNumber-1] {
				off += pi.Size
			}
			pi := &info.Parts[partNumber-1]
			br = byteRange{first: off, length: pi.Size}
			partial = true
			hopts.partsCount = len(info.Parts)
			hopts.checksum = true
			hopts.cs = pi.Checksum
			if hopts.cs.Type == "" {
				hopts.cs.Type = info.Checksum.Type
			}
		}
	} else {
		switch rr, res := parseRange(rangeHdr, info.Size); res {
		case rangeOK:
			br, partial = rr, true
		case rangeUnsatisfiable:
			closeObj()
			return nil, &invalidRangeError{size: info.Size}
		default:
			hopts.checksum = true
			hopts.cs = info.Checksum
		}
	}
	hopts.checksum = hopts.checksum && string(r.ctx.Request.Header.Peek("x-amz-checksum-mode")) == string(vEnabled)

	if partial {
		status = http.StatusPartialContent
	}
	p := r.respond(status)
	writeObjectHeaders(p, &info, hopts)
	if partial && br.length > 0 {
		p.setContentRange(br.first, br.length, info.Size)
	}
	if overrides {
		for _, o := range responseOverrides {
			if v := q.Peek(o.param); v != nil {
				p.setBytes(o.key, v)
			}
		}
	}
	if head {
		p.length = br.length
		return p, nil
	}
	p.body = obj.Range(br.first, br.length)
	p.bodyLen = br.length
	return p, nil
}
