package s3api

import (
	"errors"
	"net/http"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/s3api/checksum"
	"github.com/tessera-s3/tessera/s3api/s3err"
	"github.com/tessera-s3/tessera/s3api/sigv4"
)

// putObject handles PutObject (PUT /bucket/key): the body streams through
// the sigv4 verifying reader into the store; Content-MD5 and the
// x-amz-checksum are checked before the object becomes visible.
func (s *Server) putObject(r *request) (*response, error) {
	opts, err := s.putOptions(r)
	if err != nil {
		return nil, err
	}
	md5sum, err := r.contentMD5()
	if err != nil {
		return nil, err
	}
	br, err := s.bodyReader(r)
	if err != nil {
		return nil, err
	}
	size, err := s.bodySize(br, maxSinglePutSize)
	if err != nil {
		return nil, err
	}
	if err := s.checkWriteConditions(r); err != nil {
		return nil, err
	}
	opts.Verify = func(oi *erasure.ObjectInfo) error {
		if err := checkMD5(md5sum, oi.ETag); err != nil {
			return err
		}
		if alg, val := br.Checksum(); alg != "" {
			oi.Checksum = erasure.Checksum{Algorithm: alg, Value: val, Type: checksum.FullObject.String()}
		}
		return nil
	}
	oi, err := s.objects.PutObject(r.c, r.bucket, r.key, br, size, opts)
	if err != nil {
		return nil, mapBodyError(err)
	}
	p := r.respond(http.StatusOK)
	p.setQuoted(hETag, oi.ETag)
	writeChecksumHeaders(p, oi.Checksum)
	return p, nil
}

// bodySize is the payload length of a streamed body: MissingContentLength
// when unknown, EntityTooLarge above limit or MaxObjectSize.
func (s *Server) bodySize(br *sigv4.BodyReader, limit int64) (int64, error) {
	size := br.DecodedLength()
	if size < 0 {
		return 0, s3err.ErrMissingContentLength
	}
	if size > limit || size > s.cfg.MaxObjectSize {
		return 0, s3err.ErrEntityTooLarge
	}
	return size, nil
}

// checkWriteConditions applies conditional writes: "If-None-Match: *"
// fails when the key exists; If-Match fails unless the key exists with a
// matching ETag (NoSuchKey when it does not exist).
func (s *Server) checkWriteConditions(r *request) error {
	h := &r.ctx.Request.Header
	ifNoneMatch, ifMatch := h.Peek("If-None-Match"), h.Peek("If-Match")
	if ifNoneMatch == nil && ifMatch == nil {
		return nil
	}
	if ifNoneMatch != nil && string(ifNoneMatch) != "*" {
		return s3err.ErrNotImplemented.WithMessage("If-None-Match on writes supports only \"*\"")
	}
	oi, err := s.objects.StatObject(r.c, r.bucket, r.key)
	switch {
	case errors.Is(err, erasure.ErrObjectNotFound):
		if ifMatch != nil {
			return s3err.ErrNoSuchKey
		}
		return nil
	case err != nil:
		return err
	}
	if ifNoneMatch != nil {
		return s3err.ErrPreconditionFailed
	}
	if !etagListMatches(ifMatch, oi.ETag) {
		return s3err.ErrPreconditionFailed
	}
	return nil
}

// writeChecksumHeaders echoes a stored checksum as x-amz-checksum-<alg>
// and x-amz-checksum-type.
func writeChecksumHeaders(p *response, cs erasure.Checksum) {
	if cs.Algorithm == "" {
		return
	}
	if key, ok := checksumHeaders[cs.Algorithm]; ok {
		p.set(key, cs.Value)
		if cs.Type != "" {
			p.set(hAmzChecksumType, cs.Type)
		}
	}
}
