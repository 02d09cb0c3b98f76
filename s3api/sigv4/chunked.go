package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"sync"

	"github.com/tessera-s3/tessera/s3api/checksum"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// Framing limits of the aws-chunked decoder.
const (
	// maxLine bounds a chunk header or trailer line, in bytes.
	maxLine = 4 << 10
	// chunkBufSize is the decoder's read buffer (pooled), in bytes.
	chunkBufSize = 8 << 10
	// maxTrailers bounds the number of trailer lines.
	maxTrailers = 16
	// maxChunkSize bounds one chunk's declared size, in bytes (S3's
	// largest single PUT is 5 GiB).
	maxChunkSize = 5 << 30
)

// emptySHA256 is hex(sha256("")), part of every chunk's string to sign.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

var colon1, newline1 = []byte{':'}, []byte{'\n'}

var chunkBufPool = sync.Pool{New: func() any { return new([chunkBufSize]byte) }}

var (
	errChunkIncomplete   = s3err.ErrIncompleteBody.WithMessage("The aws-chunked request body ended before its final chunk.")
	errChunkHeader       = s3err.ErrIncompleteBody.WithMessage("The aws-chunked request body has a malformed chunk header.")
	errChunkLineTooLong  = s3err.ErrIncompleteBody.WithMessage("The aws-chunked request body has a chunk header or trailer line longer than 4096 bytes.")
	errChunkCRLF         = s3err.ErrIncompleteBody.WithMessage("The aws-chunked request body has chunk data not followed by CRLF.")
	errChunkTooBig       = s3err.ErrIncompleteBody.WithMessage("The aws-chunked request body has a chunk larger than allowed.")
	errChunkLength       = s3err.ErrIncompleteBody.WithMessage("The decoded aws-chunked payload length does not match x-amz-decoded-content-length.")
	errChunkSigMissing   = s3err.ErrSignatureDoesNotMatch.WithMessage("The aws-chunked chunk has no chunk-signature.")
	errChunkSig          = s3err.ErrSignatureDoesNotMatch.WithMessage("The chunk signature we calculated does not match the signature you provided.")
	errTrailerSig        = s3err.ErrSignatureDoesNotMatch.WithMessage("The trailer signature we calculated does not match the signature you provided.")
	errTrailerSigMissing = s3err.ErrSignatureDoesNotMatch.WithMessage("The signed trailer has no x-amz-trailer-signature.")
	errTrailerMalformed  = s3err.ErrIncompleteBody.WithMessage("The aws-chunked request body has a malformed trailer.")
	errTrailerTooMany    = s3err.ErrIncompleteBody.WithMessage("The aws-chunked request body has too many trailers.")
	errTrailerMissing    = s3err.ErrIncompleteBody.WithMessage("The aws-chunked request body lacks the trailer named by x-amz-trailer.")
	errTrailerUndeclared = s3err.ErrInvalidRequest.WithMessage("The aws-chunked request body has a checksum trailer that x-amz-trailer does not declare.")
	errTrailerDuplicate  = s3err.ErrInvalidRequest.WithMessage("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
)

// chunkSigner holds what chunk and trailer signatures are computed from.
type chunkSigner struct {
	key       [32]byte
	dateScope []byte   // "<amz-date>\n<scope>\n"
	prev      [32]byte // the previous signature (the seed at first)
	mac       hmacSHA256
	sts       []byte
	hexbuf    [64]byte
}

func newChunkSigner(res *Result) *chunkSigner {
	cs := &chunkSigner{key: res.key, prev: res.seed, mac: hmacSHA256{h: sha256.New()}}
	cs.dateScope = append(cs.dateScope, res.amzDate[:]...)
	cs.dateScope = append(cs.dateScope, '\n')
	cs.dateScope = append(cs.dateScope, res.amzDate[:8]...)
	cs.dateScope = append(cs.dateScope, '/')
	cs.dateScope = append(cs.dateScope, res.region...)
	cs.dateScope = append(cs.dateScope, '/')
	cs.dateScope = append(cs.dateScope, res.Service...)
	cs.dateScope = append(cs.dateScope, "/"+terminal+"\n"...)
	return cs
}

// verify checks sig against the string to sign
// algorithm \n date \n scope \n prev \n [emptySHA256 \n] hex(sum), and on
// success makes sig the previous signature. Chunks use the algorithm
// AWS4-HMAC-SHA256-PAYLOAD with the empty-hash line; trailers use
// AWS4-HMAC-SHA256-TRAILER without it, as the SDKs sign them. The trailer
// example in the S3 documentation was signed with the PAYLOAD algorithm
// name and no empty-hash line; that form is accepted too.
func (cs *chunkSigner) verify(trailer bool, sum *[32]byte, sig *[32]byte) bool {
	if trailer {
		if !cs.verifyAs("AWS4-HMAC-SHA256-TRAILER\n", "", sum, sig) &&
			!cs.verifyAs("AWS4-HMAC-SHA256-PAYLOAD\n", "", sum, sig) {
			return false
		}
	} else if !cs.verifyAs("AWS4-HMAC-SHA256-PAYLOAD\n", emptySHA256+"\n", sum, sig) {
		return false
	}
	cs.prev = *sig
	return true
}

func (cs *chunkSigner) verifyAs(alg, mid string, sum *[32]byte, sig *[32]byte) bool {
	cs.sts = append(cs.sts[:0], alg...)
	cs.sts = append(cs.sts, cs.dateScope...)
	hex.Encode(cs.hexbuf[:], cs.prev[:])
	cs.sts = append(cs.sts, cs.hexbuf[:]...)
	cs.sts = append(cs.sts, '\n')
	cs.sts = append(cs.sts, mid...)
	hex.Encode(cs.hexbuf[:], sum[:])
	cs.sts = append(cs.sts, cs.hexbuf[:]...)
	mac := cs.mac.sum(&cs.key, cs.sts)
	return hmac.Equal(mac[:], sig[:])
}

// Decoder states.
const (
	stHeader   = iota // expecting a chunk header line
	stData            // inside chunk data
	stDataEnd         // expecting the CRLF after chunk data
	stTrailers        // after the final chunk, trailer lines (trailer modes)
	stEnd             // after the final chunk, the closing CRLF (no trailers)
	stDone
)

// chunkedReader decodes an aws-chunked body, yielding the payload. In
// signed modes it verifies every chunk signature (when the chunk ends) and
// the trailer signature; it checks the decoded length against
// x-amz-decoded-content-length and collects the checksum trailer. Header
// and trailer lines are bounded by maxLine; memory use is constant.
type chunkedReader struct {
	src       io.Reader
	buf       *[chunkBufSize]byte // pooled; nil once done
	r, w      int
	srcEOF    bool
	state     int
	trailers  bool         // a trailer section follows the final chunk
	signer    *chunkSigner // nil when chunks are unsigned
	h         hash.Hash    // SHA-256 of the current chunk or of the trailers
	want      [32]byte     // the current chunk's signature
	sum       [32]byte
	remaining int64 // data bytes left in the current chunk
	decoded   int64
	declared  int64 // -1 when unknown

	// Trailers.
	trailerAlg    checksum.Algorithm // declared by x-amz-trailer
	gotAlg        checksum.Algorithm
	gotValue      [checksum.MaxEncodedLen]byte
	gotLen        int
	gotTooLong    bool
	nTrailers     int
	trailerSigned bool
	skippedBlank  bool

	err error
}

// newChunkedReader returns a decoder of src. signer is nil for
// STREAMING-UNSIGNED-PAYLOAD-TRAILER; trailers says whether a trailer
// section follows; declared is x-amz-decoded-content-length or -1;
// trailerAlg is the checksum x-amz-trailer declares, or None.
func newChunkedReader(src io.Reader, signer *chunkSigner, trailers bool, declared int64, trailerAlg checksum.Algorithm) *chunkedReader {
	c := &chunkedReader{
		src:        src,
		buf:        chunkBufPool.Get().(*[chunkBufSize]byte),
		signer:     signer,
		trailers:   trailers,
		declared:   declared,
		trailerAlg: trailerAlg,
	}
	if signer != nil {
		c.h = sha256.New()
	}
	return c
}

// Read implements io.Reader. It returns io.EOF only after the final chunk,
// the trailers and every signature were verified.
func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	for {
		switch c.state {
		case stHeader:
			line, err := c.readLine()
			if err != nil {
				return 0, c.fail(err)
			}
			if err := c.startChunk(line); err != nil {
				return 0, c.fail(err)
			}
		case stData:
			if c.remaining == 0 {
				c.state = stDataEnd
				continue
			}
			if len(p) == 0 {
				return 0, nil
			}
			n, err := c.readData(p)
			if err != nil {
				return n, c.fail(err)
			}
			if n > 0 {
				return n, nil
			}
		case stDataEnd:
			if err := c.expectCRLF(); err != nil {
				return 0, c.fail(err)
			}
			if c.signer != nil {
				c.h.Sum(c.sum[:0])
				if !c.signer.verify(false, &c.sum, &c.want) {
					return 0, c.fail(errChunkSig)
				}
			}
			c.state = stHeader
		case stTrailers:
			if err := c.readTrailers(); err != nil {
				return 0, c.fail(err)
			}
			c.finish()
		case stEnd:
			line, err := c.readLine()
			if err != nil && err != io.EOF {
				return 0, c.fail(err)
			}
			if err == nil && len(trimSpace(line)) != 0 {
				return 0, c.fail(errChunkHeader)
			}
			c.finish()
		case stDone:
			return 0, io.EOF
		}
	}
}

func (c *chunkedReader) fail(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = errChunkIncomplete
	}
	c.err = err
	c.release()
	return err
}

func (c *chunkedReader) finish() {
	c.state = stDone
	c.release()
}

func (c *chunkedReader) release() {
	if c.buf != nil {
		chunkBufPool.Put(c.buf)
		c.buf = nil
	}
}

// startChunk parses "hex-size[;chunk-signature=sig][;ext...]".
func (c *chunkedReader) startChunk(line []byte) error {
	line = trimSpace(line)
	var size int64
	i := 0
	for ; i < len(line) && isHex(line[i]); i++ {
		size = size<<4 | int64(unhex(line[i]))
		if size > maxChunkSize {
			return errChunkTooBig
		}
	}
	if i == 0 {
		return errChunkHeader
	}
	rest := trimSpace(line[i:])
	haveSig := false
	for len(rest) > 0 {
		if rest[0] != ';' {
			return errChunkHeader
		}
		rest = rest[1:]
		ext := rest
		if j := bytes.IndexByte(rest, ';'); j >= 0 {
			ext, rest = rest[:j], rest[j:]
		} else {
			rest = nil
		}
		name, val := ext, []byte(nil)
		if j := bytes.IndexByte(ext, '='); j >= 0 {
			name, val = ext[:j], ext[j+1:]
		}
		if string(trimSpace(name)) == "chunk-signature" && c.signer != nil {
			if haveSig || !decodeSignature(trimSpace(val), &c.want) {
				return errChunkSig
			}
			haveSig = true
		}
	}
	if c.signer != nil && !haveSig {
		return errChunkSigMissing
	}
	if c.declared >= 0 && size > c.declared-c.decoded {
		return errChunkLength
	}
	if c.signer != nil {
		c.h.Reset()
	}
	if size > 0 {
		c.remaining = size
		c.state = stData
		return nil
	}
	// The final chunk: its signature covers no data.
	if c.signer != nil {
		c.h.Sum(c.sum[:0])
		if !c.signer.verify(false, &c.sum, &c.want) {
			return errChunkSig
		}
	}
	if c.declared >= 0 && c.decoded != c.declared {
		return errChunkLength
	}
	if c.trailers {
		c.state = stTrailers
		if c.signer != nil {
			c.h.Reset()
		}
	} else {
		c.state = stEnd
	}
	return nil
}

// readData copies chunk data into p from the buffer, or reads it straight
// from src when the buffer is empty.
func (c *chunkedReader) readData(p []byte) (int, error) {
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	var n int
	if c.r < c.w {
		n = copy(p, c.buf[c.r:c.w])
		c.r += n
	} else {
		if c.srcEOF {
			return 0, errChunkIncomplete
		}
		var err error
		n, err = c.src.Read(p)
		if err == io.EOF {
			c.srcEOF = true
			if n == 0 {
				return 0, errChunkIncomplete
			}
		} else if err != nil {
			return 0, err
		}
	}
	if c.signer != nil {
		c.h.Write(p[:n])
	}
	c.remaining -= int64(n)
	c.decoded += int64(n)
	return n, nil
}

// expectCRLF consumes the "\r\n" after chunk data.
func (c *chunkedReader) expectCRLF() error {
	for c.w-c.r < 2 {
		if err := c.fill(); err != nil {
			if err == io.EOF {
				return errChunkIncomplete
			}
			return err
		}
	}
	if c.buf[c.r] != '\r' || c.buf[c.r+1] != '\n' {
		return errChunkCRLF
	}
	c.r += 2
	return nil
}

// readLine returns the next line without its "\r\n" (or "\n"). The line is
// valid until the next read. It returns io.EOF at a clean end of input and
// errChunkIncomplete when input ends inside a line.
func (c *chunkedReader) readLine() ([]byte, error) {
	for {
		if i := bytes.IndexByte(c.buf[c.r:c.w], '\n'); i >= 0 {
			if i > maxLine {
				return nil, errChunkLineTooLong
			}
			line := c.buf[c.r : c.r+i]
			c.r += i + 1
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return line, nil
		}
		if c.w-c.r >= maxLine {
			return nil, errChunkLineTooLong
		}
		if err := c.fill(); err != nil {
			if err == io.EOF && c.w > c.r {
				return nil, errChunkIncomplete
			}
			return nil, err
		}
	}
}

// fill compacts the buffer and reads more input. It returns io.EOF when
// src is exhausted and nothing was added.
func (c *chunkedReader) fill() error {
	if c.r > 0 {
		copy(c.buf[:], c.buf[c.r:c.w])
		c.w -= c.r
		c.r = 0
	}
	for tries := 0; tries < 100; tries++ {
		if c.srcEOF {
			return io.EOF
		}
		n, err := c.src.Read(c.buf[c.w:])
		c.w += n
		if err == io.EOF {
			c.srcEOF = true
		} else if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	return io.ErrNoProgress
}

// readTrailers reads "name:value" lines up to the blank line (or a clean
// end of input), verifying the trailer signature in signed mode.
func (c *chunkedReader) readTrailers() error {
	for {
		line, err := c.readLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if len(trimSpace(line)) == 0 {
			// Tolerate one blank line before the trailers of a client that
			// ends the final chunk with an extra CRLF.
			if c.nTrailers == 0 && !c.trailerSigned && c.trailerAlg != checksum.None && !c.skippedBlank {
				c.skippedBlank = true
				continue
			}
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return errTrailerMalformed
		}
		name, val := trimSpace(line[:colon]), trimSpace(line[colon+1:])
		if equalFold(name, "x-amz-trailer-signature") {
			if c.signer == nil {
				continue // unsigned mode: nothing to check it against
			}
			var sig [32]byte
			if c.trailerSigned || !decodeSignature(val, &sig) {
				return errTrailerSig
			}
			c.h.Sum(c.sum[:0])
			if !c.signer.verify(true, &c.sum, &sig) {
				return errTrailerSig
			}
			c.trailerSigned = true
			continue
		}
		if c.trailerSigned {
			return errTrailerMalformed // nothing may follow the signature
		}
		if c.nTrailers++; c.nTrailers > maxTrailers {
			return errTrailerTooMany
		}
		if c.signer != nil {
			c.h.Write(name)
			c.h.Write(colon1)
			c.h.Write(val)
			c.h.Write(newline1)
		}
		if alg := checksum.FromHeader(name); alg != checksum.None {
			switch {
			case c.gotAlg != checksum.None:
				return errTrailerDuplicate
			case alg != c.trailerAlg:
				return errTrailerUndeclared
			}
			c.gotAlg = alg
			c.gotLen = copy(c.gotValue[:], val)
			c.gotTooLong = len(val) > len(c.gotValue)
		}
	}
	if c.signer != nil && !c.trailerSigned {
		return errTrailerSigMissing
	}
	if c.trailerAlg != checksum.None && c.gotAlg == checksum.None {
		return errTrailerMissing
	}
	return nil
}

// trailerChecksum returns the checksum trailer's algorithm and raw
// (base64) value after EOF; ok is false when it was longer than any valid
// value.
func (c *chunkedReader) trailerChecksum() (alg checksum.Algorithm, value []byte, ok bool) {
	return c.gotAlg, c.gotValue[:c.gotLen], !c.gotTooLong
}
