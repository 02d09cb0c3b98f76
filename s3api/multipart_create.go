package s3api

import (
	"net/http"

	"github.com/tessera-s3/tessera/s3api/checksum"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// uploadChecksum is the checksum an upload declared at creation.
type uploadChecksum struct {
	alg checksum.Algorithm
	typ checksum.Type
}

// uploadChecksumOf reads the declared checksum from an upload's stored
// headers.
func uploadChecksumOf(headers map[string]string) uploadChecksum {
	alg, err := checksum.ParseAlgorithm(headers[metaChecksumAlgorithm])
	if err != nil {
		return uploadChecksum{}
	}
	typ, err := checksum.ParseType(headers[metaChecksumType])
	if err != nil {
		typ = checksum.DefaultType(alg)
	}
	return uploadChecksum{alg: alg, typ: typ}
}

// createMultipartUpload handles CreateMultipartUpload (POST
// /bucket/key?uploads), with the PutObject metadata handling plus
// x-amz-checksum-algorithm and x-amz-checksum-type.
func (s *Server) createMultipartUpload(r *request) (*response, error) {
	opts, err := s.putOptions(r)
	if err != nil {
		return nil, err
	}
	alg, err := r.requestChecksumAlgorithm()
	if err != nil {
		return nil, err
	}
	typ := checksum.TypeNone
	if v := r.header("x-amz-checksum-type"); v != "" {
		if typ, err = checksum.ParseType(v); err != nil {
			return nil, s3err.ErrInvalidRequest.WithMessage("Value for x-amz-checksum-type header is invalid.")
		}
		if alg == checksum.None {
			return nil, s3err.ErrInvalidRequest.WithMessage("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		}
	}
	if alg != checksum.None {
		if typ == checksum.TypeNone {
			typ = checksum.DefaultType(alg)
		}
		if !alg.Supports(typ) {
			return nil, s3err.ErrInvalidRequest.WithMessage("The " + alg.String() + " checksum algorithm does not support the " + typ.String() + " checksum type.")
		}
		if opts.Headers == nil {
			opts.Headers = make(map[string]string, 2)
		}
		opts.Headers[metaChecksumAlgorithm] = alg.String()
		opts.Headers[metaChecksumType] = typ.String()
	}
	id, err := s.objects.NewMultipartUpload(r.c, r.bucket, r.key, opts)
	if err != nil {
		return nil, err
	}
	p := r.respondXML(http.StatusOK, &initiateMultipartUploadResult{NS: s3NS, Bucket: r.bucket, Key: r.key, UploadID: id})
	if alg != checksum.None {
		p.set(hAmzChecksumAlgorithm, alg.String())
		p.set(hAmzChecksumType, typ.String())
	}
	return p, nil
}
