package s3api

import (
	"hash"
	"io"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/s3api/checksum"
)

// hashReader computes a checksum of what is read through it.
type hashReader struct {
	r   io.Reader
	alg checksum.Algorithm
	h   hash.Hash
}

func newHashReader(r io.Reader, alg checksum.Algorithm) *hashReader {
	return &hashReader{r: r, alg: alg, h: checksum.New(alg)}
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

// checksum returns the full-object checksum of everything read.
func (h *hashReader) checksum() erasure.Checksum {
	var buf [checksum.MaxSize]byte
	return erasure.Checksum{
		Algorithm: h.alg.String(),
		Value:     checksum.Encode(h.h.Sum(buf[:0])),
		Type:      checksum.FullObject.String(),
	}
}
