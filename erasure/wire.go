package erasure

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
)

// Drive protocol (version 1): how a remoteDrive talks to a DriveServer
// over one authenticated cluster-port connection (transport.TagShard).
// DESIGN.md ("Remote drives") has the overview; this is the byte layout.
//
// Every message is a frame: [u32 BE length L][L bytes of body], 1 <= L <=
// maxFrame. A request body starts with its op byte, a response body with
// its status byte. Integers in bodies are big-endian fixed width (u8, u16,
// u32, u64) or uvarints (uv); bytes/strings are uv length + bytes. Every
// length is checked against the bytes left in the frame and against its
// own cap; buffers grow with the bytes that actually arrived, never to a
// length the peer announced.
//
//	hello    C: opHello "TSDR" u8 version          S: st u8 version, str nodeID
//	status   C: opStatus u16 drive                  S: st u8 online, str err, u64 free, u64 total,
//	                                                   u8 formatted, str deployment, str driveID,
//	                                                   uv set, uv index, uv sets, uv setDrives,
//	                                                   uv data, uv parity, str path
//	get      C: opMetaGet u16 drive, bytes key      S: st, value (rest of the frame)
//	getn     C: opMetaGetN u8 n, n x u16 drive, bytes key
//	                                                S: st, n x (u8 st, bytes value or message)
//	apply    C: opMetaApply u16 drive, u8 sync, uv n, n x op   S: st
//	         op: u8 kind (0 set, 1 del, 2 delrange), u8 flags (1 cas, 2 old present),
//	             bytes key, [bytes value | bytes end], [bytes old]
//	iter     C: opMetaIter u16 drive, bytes lower, bytes upper, bytes start,
//	            uv maxEntries, uv maxBytes          S: st u8 more, uv n, n x (bytes key, bytes value)
//	create   C: opCreate u16 drive, 16 dir, str name, u8 flags (1 replace, 2 chown), u32 uid, u32 gid
//	         then opData frames (shard stream bytes), then opCommit u8 sync
//	                                                S: (stProgress frames while syncing) st
//	read     C: opRead u16 drive, 16 dir, str name, u64 off, u64 n
//	                                                S: st u64 m, then m raw bytes (outside frames)
//	rmshard  C: opRemoveShard u16 drive, 16 dir, str name   S: st
//	rmdir    C: opRemoveDir u16 drive, 16 dir               S: st
//	lsdir    C: opListDir u16 drive, 16 dir                 S: st uv n, n x str name
//	lease    C: opLease uv n, n x 16 dir                    S: st
//	         (readers of this node hold these data dirs: keep them leaseTTL)
//
// An error status carries str message. One request runs at a time per
// connection; a client aborts a shard stream by closing the connection.
const (
	wireMagic   = "TSDR"
	wireVersion = 1

	// maxFrame caps every frame body (raw read bytes are not framed, data
	// frames are streamed through a fixed buffer).
	maxFrame = 64 << 20
	// maxWireKey caps a metadata key.
	maxWireKey = 64 << 10
	// maxShardName caps a shard file name.
	maxShardName = 128
	// maxIterEntries and maxIterBytes cap one iteration page.
	maxIterEntries = 1024
	maxIterBytes   = 4 << 20
	// maxDirNames caps a data dir listing.
	maxDirNames = 1 << 16
	// maxBatchOps caps the ops of one apply.
	maxBatchOps = 1 << 20
	// maxErrMsg caps an error message.
	maxErrMsg = 1024
	// maxReadLen caps one read request (a part's shard stream).
	maxReadLen = 1 << 42
	// dataChunk is the largest opData frame a client sends.
	dataChunk = 1 << 20
	// copyChunk is the server's read/copy buffer and the client's deadline
	// refresh interval for streamed bytes.
	copyChunk = 256 << 10
)

// Request ops.
const (
	opHello       = 1
	opStatus      = 2
	opMetaGet     = 3
	opMetaApply   = 4
	opMetaIter    = 5
	opCreate      = 6
	opData        = 7
	opCommit      = 8
	opRead        = 9
	opRemoveShard = 10
	opRemoveDir   = 11
	opListDir     = 12
	opLease       = 13
	opMetaGetN    = 14
)

// Response statuses.
const (
	stOK         = 0
	stNotFound   = 1 // errNotFound
	stOffline    = 2 // errDriveOffline
	stConflict   = 3 // errConflict
	stNoEnt      = 4 // fs.ErrNotExist (shard file or data dir missing)
	stErr        = 5 // any other error, with its message
	stBadRequest = 6 // malformed request; the server closes the connection
	stProgress   = 7 // keep-alive while a commit syncs; the answer follows
)

// Apply op kinds and flags.
const (
	kindSet      = 0
	kindDel      = 1
	kindDelRange = 2

	flagCAS     = 1
	flagOldSet  = 2
	flagReplace = 1
	flagChown   = 2
)

var (
	// errProtocol: a frame or message was malformed.
	errProtocol = errors.New("erasure: drive protocol: malformed message")
	// errRemoteWalk: walking data dirs is only done by a drive's own node.
	errRemoteWalk = errors.New("erasure: data dirs of a remote drive are walked by its own node")
)

// remoteError is an error a drive server reported by message.
type remoteError struct {
	node string
	msg  string
}

func (e *remoteError) Error() string { return "erasure: node " + e.node + ": " + e.msg }

// wbuf builds one frame: a 4-byte length placeholder, then the body.
type wbuf struct{ b []byte }

func (w *wbuf) start(first byte) { w.b = append(w.b[:0], 0, 0, 0, 0, first) }
func (w *wbuf) u8(v byte)        { w.b = append(w.b, v) }
func (w *wbuf) u16(v uint16)     { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *wbuf) u32(v uint32)     { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *wbuf) u64(v uint64)     { w.b = binary.BigEndian.AppendUint64(w.b, v) }
func (w *wbuf) uv(v uint64)      { w.b = binary.AppendUvarint(w.b, v) }
func (w *wbuf) raw(p []byte)     { w.b = append(w.b, p...) }
func (w *wbuf) bytes(p []byte) {
	w.uv(uint64(len(p)))
	w.b = append(w.b, p...)
}
func (w *wbuf) str(s string) {
	w.uv(uint64(len(s)))
	w.b = append(w.b, s...)
}

// frame fills in the length and returns the frame.
func (w *wbuf) frame() []byte {
	binary.BigEndian.PutUint32(w.b, uint32(len(w.b)-4))
	return w.b
}

// rbuf parses a frame body; any overrun sets bad and returns zero values.
type rbuf struct {
	b   []byte
	bad bool
}

func (r *rbuf) u8() byte {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *rbuf) u16() uint16 {
	if len(r.b) < 2 {
		r.bad = true
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return v
}

func (r *rbuf) u32() uint32 {
	if len(r.b) < 4 {
		r.bad = true
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *rbuf) u64() uint64 {
	if len(r.b) < 8 {
		r.bad = true
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *rbuf) uv() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

// small reads a uvarint that must be <= max.
func (r *rbuf) small(max int) int {
	v := r.uv()
	if v > uint64(max) {
		r.bad = true
		return 0
	}
	return int(v)
}

// bytes returns the next length-prefixed field (aliasing the frame), at
// most max bytes.
func (r *rbuf) bytes(max int) []byte {
	n := r.uv()
	if r.bad || n > uint64(max) || n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *rbuf) str(max int) string { return string(r.bytes(max)) }

func (r *rbuf) id() (id id16) {
	if len(r.b) < 16 {
		r.bad = true
		return id
	}
	copy(id[:], r.b)
	r.b = r.b[16:]
	return id
}

// end reports whether the body parsed exactly.
func (r *rbuf) end() error {
	if r.bad || len(r.b) != 0 {
		return errProtocol
	}
	return nil
}

// readFrameHeader reads a frame's length and first byte; n is the body
// length after that byte.
func readFrameHeader(r *bufio.Reader) (first byte, n int, err error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, 0, err
	}
	l := binary.BigEndian.Uint32(h[:4])
	if l < 1 || l > maxFrame {
		return 0, 0, fmt.Errorf("%w: frame of %d bytes", errProtocol, l)
	}
	return h[4], int(l) - 1, nil
}

// readAppend appends n bytes from r to dst, growing dst only as bytes
// arrive (at most 64 KiB ahead), so a peer's length cannot size an
// allocation by itself.
func readAppend(r io.Reader, dst []byte, n int) ([]byte, error) {
	for n > 0 {
		c := min(n, 64<<10)
		dst = slices.Grow(dst, c)
		m, err := io.ReadFull(r, dst[len(dst):len(dst)+c])
		dst = dst[:len(dst)+m]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return dst, err
		}
		n -= c
	}
	return dst, nil
}

// statusOf maps a drive error to its wire status.
func statusOf(err error) byte {
	switch {
	case err == nil:
		return stOK
	case errors.Is(err, errNotFound):
		return stNotFound
	case errors.Is(err, errDriveOffline):
		return stOffline
	case errors.Is(err, errConflict):
		return stConflict
	case errors.Is(err, fs.ErrNotExist):
		return stNoEnt
	default:
		return stErr
	}
}

// errorOf maps a response status (and its message) back to the sentinel
// errors a local drive returns.
func errorOf(node string, st byte, msg string) error {
	switch st {
	case stOK:
		return nil
	case stNotFound:
		return errNotFound
	case stOffline:
		return fmt.Errorf("%w: node %s: %s", errDriveOffline, node, msg)
	case stConflict:
		return errConflict
	case stNoEnt:
		return fmt.Errorf("erasure: node %s: %s: %w", node, msg, fs.ErrNotExist)
	case stErr:
		return &remoteError{node: node, msg: msg}
	default:
		return fmt.Errorf("%w: status %d", errProtocol, st)
	}
}

// validShardName accepts the shard file names the Store generates
// (part.N, part.N.<hex>): 1..maxShardName bytes of [A-Za-z0-9._-], not
// starting with a dot, so no name can leave its data dir.
func validShardName(s string) bool {
	if len(s) == 0 || len(s) > maxShardName || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// encodeApply writes the body of an apply request after the op byte.
func encodeApply(w *wbuf, drive uint16, ops []metaOp, sync bool) {
	w.u16(drive)
	if sync {
		w.u8(1)
	} else {
		w.u8(0)
	}
	w.uv(uint64(len(ops)))
	for _, op := range ops {
		kind := byte(kindSet)
		switch {
		case op.del && op.end != nil:
			kind = kindDelRange
		case op.del:
			kind = kindDel
		}
		var fl byte
		if op.cas {
			fl |= flagCAS
			if op.old != nil {
				fl |= flagOldSet
			}
		}
		w.u8(kind)
		w.u8(fl)
		w.bytes(op.key)
		switch kind {
		case kindSet:
			w.bytes(op.value)
		case kindDelRange:
			w.bytes(op.end)
		}
		if fl&flagOldSet != 0 {
			w.bytes(op.old)
		}
	}
}

// decodeApply parses an apply request body after the op byte. The ops
// alias the body.
func decodeApply(b []byte) (drive int, ops []metaOp, sync bool, err error) {
	r := rbuf{b: b}
	drive = int(r.u16())
	s := r.u8()
	n := r.small(maxBatchOps)
	if r.bad || s > 1 {
		return 0, nil, false, errProtocol
	}
	// Each op takes at least 4 bytes: never allocate more ops than that.
	if n > len(r.b)/4 {
		return 0, nil, false, errProtocol
	}
	ops = make([]metaOp, 0, n)
	for i := 0; i < n && !r.bad; i++ {
		kind, fl := r.u8(), r.u8()
		if kind > kindDelRange || fl&^(flagCAS|flagOldSet) != 0 || (fl&flagOldSet != 0 && fl&flagCAS == 0) {
			return 0, nil, false, errProtocol
		}
		op := metaOp{key: r.bytes(maxWireKey)}
		if len(op.key) == 0 {
			return 0, nil, false, errProtocol
		}
		switch kind {
		case kindSet:
			op.value = r.bytes(maxFrame)
			if op.value == nil {
				op.value = []byte{}
			}
		case kindDel:
			op.del = true
		case kindDelRange:
			op.del = true
			op.end = r.bytes(maxWireKey)
			if op.end == nil {
				return 0, nil, false, errProtocol
			}
		}
		if fl&flagCAS != 0 {
			op.cas = true
			if fl&flagOldSet != 0 {
				op.old = r.bytes(maxFrame)
				if op.old == nil {
					op.old = []byte{}
				}
			}
		}
		ops = append(ops, op)
	}
	if err := r.end(); err != nil {
		return 0, nil, false, err
	}
	return drive, ops, s == 1, nil
}
