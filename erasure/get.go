package erasure

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/reedsolomon"
)

var isRoot = os.Geteuid() == 0

// readScratch is the per-OpenObject scratch (pooled): the drives' values
// and the version choice.
type readScratch struct {
	sv  setValues
	p   pick
	key []byte
}

var scratchPool = sync.Pool{New: func() any { return new(readScratch) }}

// metaBufPool pools the buffers holding the drives' values of an open
// object (inline shard bytes alias them until Close).
var metaBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// shardSource is where an open object's shard (by shard index) comes from.
type shardSource struct {
	drive  shardStore // nil: no drive holds this shard of the version
	inline []byte     // inline shard stream
	file   shardReader
	mapped []byte // file's read-only mapping (mmap_linux.go), or nil
	part   int    // part index file is open for
	bad    bool   // missing or failed a checksum: do not use again
	okBlk  int64
}

// Object is an open object version: metadata plus the handles needed to read
// its data even if it is overwritten or deleted meanwhile (its data dir is
// leased: removal waits for Close). An Object is not safe for concurrent use.
type Object struct {
	s           *Store
	set         *erasureSet
	bucket, key string
	info        ObjectInfo
	rec         objectRecord
	lay         layout
	enc         reedsolomon.Encoder
	one         [1]partMeta
	parts       []partMeta
	src         [MaxSetDrives]shardSource
	metaBuf     *[]byte
	leased      bool
	heal        bool
	mapped      bool // some shard file was mapped (reads guard against faults)
	closed      bool
	rangeCalled bool
	reader      objectReader
}

// OpenObject opens the current version of bucket/key: the newest version
// that at least the read quorum of drives hold.
func (s *Store) OpenObject(ctx context.Context, bucket, key string) (*Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.openObject(bucket, key, true)
}

// openObject opens the current version; lease takes a lease on its data
// (needed to read it).
func (s *Store) openObject(bucket, key string, lease bool) (*Object, error) {
	if err := s.check(bucket, key); err != nil {
		return nil, err
	}
	h := objectHash(bucket, key)
	set := s.setFor(h)
	o := &Object{s: s, set: set, bucket: bucket, key: key}
	o.metaBuf = metaBufPool.Get().(*[]byte)
	sc := scratchPool.Get().(*readScratch)
	defer scratchPool.Put(sc)
	sc.key = objectKey(sc.key[:0], bucket, key)

	lk := s.keyLock(h)
	lk.RLock()
	sc.sv.noMemo = true
	s.readValues(set, sc.key, o.metaBuf, &sc.sv)
	p := &sc.p
	pickVersion(set, &sc.sv, p)
	if !p.found {
		lk.RUnlock()
		o.free()
		return nil, p.notFoundErr(set)
	}
	if err := o.load(p); err != nil {
		lk.RUnlock()
		o.free()
		return nil, err
	}
	if lease && o.rec.flags&flagInline == 0 {
		s.leases.acquire(o.rec.dataDir)
		if set.remote {
			leaseRemoteSet(set, o.rec.dataDir, 1)
		}
		o.leased = true
	}
	lk.RUnlock()
	o.info = o.rec.info(bucket, key)
	return o, nil
}

// load decodes the chosen version and maps shards to drives.
func (o *Object) load(p *pick) error {
	set := o.set
	err := decodeObjectRecord(p.hdr[p.meta].raw, &o.rec)
	if err != nil {
		for i := 0; i < set.n() && err != nil; i++ {
			if p.hdr[i].raw != nil && i != p.meta {
				err = decodeObjectRecord(p.hdr[i].raw, &o.rec)
			}
		}
		if err != nil {
			return fmt.Errorf("%w: %s/%s: %v", ErrCorrupt, o.bucket, o.key, err)
		}
		o.heal = true
	}
	r := &o.rec
	if r.data+r.parity != set.n() {
		return fmt.Errorf("%w: %s/%s: layout %d+%d on a set of %d drives", ErrCorrupt, o.bucket, o.key, r.data, r.parity, set.n())
	}
	o.lay = layout{data: r.data, parity: r.parity, blockSize: r.blockSize}
	if o.lay == set.lay {
		o.enc = set.enc
	} else if o.enc, err = o.s.codecs.encoder(r.data, r.parity); err != nil {
		return err
	}
	o.parts = r.partList(&o.one)
	o.heal = o.heal || p.needsHeal(set)
	for i := 0; i < set.n(); i++ {
		hd := &p.hdr[i]
		if hd.raw == nil {
			continue
		}
		if hd.data != r.data || hd.parity != r.parity || hd.blockSize != r.blockSize {
			o.heal = true
			continue
		}
		sc := &o.src[hd.shardIdx]
		if sc.drive != nil {
			o.heal = true
			continue
		}
		sc.drive = set.drives[i]
		sc.inline = hd.inline
		sc.part = -1
		sc.okBlk = -1
	}
	return nil
}

// Info returns the object's metadata.
func (o *Object) Info() ObjectInfo { return o.info }

// Range returns a reader of length bytes starting at offset (length < 0:
// to the end). It may be called once; closing the reader closes the
// Object. A range outside the object makes every Read fail with
// ErrInvalidRange. The reader also implements io.WriterTo.
func (o *Object) Range(offset, length int64) io.ReadCloser {
	r := &o.reader
	*r = objectReader{o: o}
	if o.rangeCalled || o.closed {
		r.err = errors.New("erasure: Object.Range called twice or after Close")
		return r
	}
	o.rangeCalled = true
	size := o.rec.size
	if length < 0 && offset >= 0 && offset <= size {
		length = size - offset
	}
	if offset < 0 || length < 0 || offset > size || length > size-offset {
		r.err = fmt.Errorf("%w: offset %d length %d of %d bytes", ErrInvalidRange, offset, length, size)
		return r
	}
	r.off, r.end = offset, offset+length
	return r
}

// Close releases the Object (needed only when Range was not called, or
// when its reader was not closed). It is safe to call more than once.
func (o *Object) Close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	o.reader.releaseBuf()
	for i := range o.src {
		o.src[i].closeFile()
	}
	if o.leased {
		o.s.leases.release(o.rec.dataDir)
		if o.set.remote {
			leaseRemoteSet(o.set, o.rec.dataDir, -1)
		}
		o.leased = false
	}
	if o.heal {
		o.s.healer.enqueue(o.bucket, o.key)
	}
	o.free()
	return nil
}

func (o *Object) free() {
	if o.metaBuf != nil {
		if cap(*o.metaBuf) <= 1<<20 {
			*o.metaBuf = (*o.metaBuf)[:0]
			metaBufPool.Put(o.metaBuf)
		}
		o.metaBuf = nil
	}
	o.rec.inline = nil
	for i := range o.src {
		o.src[i].inline = nil
	}
}

// objectReader streams a range of an Object, verifying every shard block
// it uses and rebuilding blocks from parity when shards are bad.
type objectReader struct {
	o        *Object
	off, end int64 // next byte to return; end of the range
	err      error

	// Current part.
	pi     int   // part index
	pstart int64 // object offset of the part

	// Current block's output, as segments of shard blocks.
	segs [MaxSetDrives][]byte
	nseg int
	segi int

	stripe *[]byte
	pool   *bufPool
	shards [MaxSetDrives][]byte
}

func (r *objectReader) releaseBuf() {
	if r.stripe != nil {
		r.pool.put(r.stripe)
		r.stripe = nil
	}
}

// Read implements io.Reader.
// Read and WriteTo serve bytes of mapped shard files (mmap_linux.go) when
// the object has some: a page that cannot be read from the device then
// faults in user code (copies, decoding, buffered writes), which the
// guard turns into a read error instead of a crash of the process.
func (r *objectReader) Read(p []byte) (n int, err error) {
	if r.o != nil && r.o.mapped {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer r.faultGuard(&err)
	}
	return r.read(p)
}

// faultGuard recovers a memory fault (and only that) into *err.
func (r *objectReader) faultGuard(err *error) {
	if e := recover(); e != nil {
		if _, fault := e.(interface{ Addr() uintptr }); !fault {
			panic(e)
		}
		r.err = fmt.Errorf("%w: a mapped shard file could not be read: %v", ErrCorrupt, e)
		*err = r.err
	}
}

func (r *objectReader) read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for r.segi == r.nseg {
		if r.off >= r.end {
			return 0, io.EOF
		}
		if err := r.fill(); err != nil {
			r.err = err
			return 0, err
		}
	}
	n := 0
	for len(p) > 0 && r.segi < r.nseg {
		c := copy(p, r.segs[r.segi])
		p = p[c:]
		n += c
		r.segs[r.segi] = r.segs[r.segi][c:]
		if len(r.segs[r.segi]) == 0 {
			r.segi++
		}
	}
	return n, nil
}

// WriteTo implements io.WriterTo: it writes the range's bytes straight from
// the verified shard blocks (no intermediate copy).
func (r *objectReader) WriteTo(w io.Writer) (n int64, err error) {
	if r.o != nil && r.o.mapped {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer r.faultGuard(&err)
	}
	return r.writeTo(w)
}

func (r *objectReader) writeTo(w io.Writer) (int64, error) {
	if r.err != nil {
		return 0, r.err
	}
	var total int64
	for {
		for r.segi < r.nseg {
			n, err := w.Write(r.segs[r.segi])
			total += int64(n)
			if err != nil {
				r.segs[r.segi] = r.segs[r.segi][n:]
				return total, err
			}
			r.segi++
		}
		if r.off >= r.end {
			return total, nil
		}
		if err := r.fill(); err != nil {
			r.err = err
			return total, err
		}
	}
}

// Close closes the reader and its Object.
func (r *objectReader) Close() error {
	if r.o == nil {
		return nil
	}
	o := r.o
	r.o = nil
	return o.Close()
}

// fill loads the block holding r.off and sets the segments for
// [r.off, min(block end, r.end)).
func (r *objectReader) fill() error {
	o := r.o
	if o == nil || o.closed {
		return errors.New("erasure: read of a closed object")
	}
	lay := o.lay
	// Find the part of r.off (skipping empty parts).
	for r.pi < len(o.parts) && r.off >= r.pstart+o.parts[r.pi].size {
		r.pstart += o.parts[r.pi].size
		r.pi++
	}
	if r.pi >= len(o.parts) {
		return io.ErrUnexpectedEOF
	}
	part := &o.parts[r.pi]
	po := r.off - r.pstart
	b := po / int64(lay.blockSize)
	blen := lay.blockLen(part.size, b)
	ss := lay.shardLen(blen)
	bstart := po - b*int64(lay.blockSize)
	bend := min(int64(blen), r.end-r.pstart-b*int64(lay.blockSize))
	s0, s1 := int(bstart)/ss, int(bend-1)/ss
	if o.set.remote && o.rec.flags&flagInline == 0 {
		// Ask every remote drive for its shard's bytes up to the range's
		// end at once: the requests run in parallel and stream ahead.
		for i := s0; i <= s1; i++ {
			r.prefetchShard(i, b)
		}
	}
	if err := r.loadBlock(b, ss, s0, s1); err != nil {
		return err
	}
	r.nseg, r.segi = 0, 0
	for i := s0; i <= s1; i++ {
		lo := max(int64(i*ss), bstart) - int64(i*ss)
		hi := min(int64((i+1)*ss), bend) - int64(i*ss)
		r.segs[r.nseg] = r.shards[i][lo:hi]
		r.nseg++
	}
	r.off = r.pstart + b*int64(lay.blockSize) + bend
	return nil
}

// loadBlock makes r.shards[s0..s1] hold verified shard blocks of block b
// (of ss bytes each) of the current part, reconstructing when needed.
func (r *objectReader) loadBlock(b int64, ss, s0, s1 int) error {
	o := r.o
	lay := o.lay
	k, n := lay.data, lay.shards()
	var ok [MaxSetDrives]bool
	have, missing := 0, false
	for i := s0; i <= s1; i++ {
		if sh, good := r.readShard(i, b, ss); good {
			r.shards[i] = sh
			ok[i] = true
			have++
		} else {
			missing = true
		}
	}
	if !missing {
		return nil
	}
	// Rebuild: collect any k verified shards, data shards first.
	if o.set.remote && o.rec.flags&flagInline == 0 {
		for i, want := 0, k-have; i < n && want > 0; i++ {
			if (i < s0 || i > s1) && r.prefetchShard(i, b) {
				want--
			}
		}
	}
	for i := 0; i < n && have < k; i++ {
		if i >= s0 && i <= s1 {
			continue
		}
		if sh, good := r.readShard(i, b, ss); good {
			r.shards[i] = sh
			ok[i] = true
			have++
		}
	}
	if have < k {
		return fmt.Errorf("%w: %s/%s: block %d of part %d: %d of %d shards readable, need %d",
			ErrCorrupt, o.bucket, o.key, b, r.pi+1, have, n, k)
	}
	r.ensureStripe()
	slot := hashLen + lay.shardLen(lay.blockSize)
	for i := 0; i < n; i++ {
		if !ok[i] {
			r.shards[i] = (*r.stripe)[i*slot+hashLen : i*slot+hashLen]
		}
	}
	if err := o.enc.ReconstructData(r.shards[:n]); err != nil {
		return fmt.Errorf("%w: %s/%s: %v", ErrCorrupt, o.bucket, o.key, err)
	}
	return nil
}

func (r *objectReader) ensureStripe() {
	if r.stripe == nil {
		r.pool = r.o.s.codecs.pool(r.o.lay.stripeSize())
		r.stripe = r.pool.get()
	}
}

// readShard returns shard i of block b (ss bytes), verified; ok is false
// (and the shard is marked bad) when it is missing or corrupt.
func (r *objectReader) readShard(i int, b int64, ss int) ([]byte, bool) {
	o := r.o
	src := &o.src[i]
	if src.drive == nil || src.bad {
		o.heal = true
		return nil, false
	}
	lay := o.lay
	var blk []byte
	if o.rec.flags&flagInline != 0 {
		if b != 0 || len(src.inline) != hashLen+ss {
			src.bad, o.heal = true, true
			return nil, false
		}
		blk = src.inline
		if src.okBlk == 0 {
			return blk[hashLen:], true
		}
	} else {
		if !r.openSrc(i) {
			return nil, false
		}
		if m := src.mapped; m != nil {
			off := lay.blockOffset(b)
			if off+int64(hashLen+ss) > int64(len(m)) {
				src.bad, o.heal = true, true
				return nil, false
			}
			blk = m[off : off+int64(hashLen+ss) : off+int64(hashLen+ss)]
			if checkMapped(blk) {
				return blk[hashLen:], true
			}
			blk = nil // a mismatch or an unreadable page: reported below
		} else {
			r.ensureStripe()
			slot := hashLen + lay.shardLen(lay.blockSize)
			blk = (*r.stripe)[i*slot : i*slot+hashLen+ss]
			if n, err := src.file.ReadAt(blk, lay.blockOffset(b)); n != len(blk) {
				_ = err
				src.bad, o.heal = true, true
				return nil, false
			}
		}
	}
	if blk == nil || !blockHashOK(blk) {
		o.s.log.Warn("erasure: shard checksum mismatch", "bucket", o.bucket, "key", o.key,
			"shard", i, "block", b, "drive", src.drive.name())
		src.bad, o.heal = true, true
		return nil, false
	}
	if o.rec.flags&flagInline != 0 {
		src.okBlk = 0
	}
	return blk[hashLen:], true
}

// openSrc makes shard i's file of the current part open (false: it is
// missing; the shard is marked bad).
func (r *objectReader) openSrc(i int) bool {
	o := r.o
	src := &o.src[i]
	if src.file != nil && src.part == r.pi {
		return true
	}
	src.closeFile()
	part := &o.parts[r.pi]
	f, err := src.drive.openShard(o.rec.dataDir, partFileName(part.number, part.fileID))
	if err != nil {
		src.bad, o.heal = true, true
		return false
	}
	src.file, src.part = f, r.pi
	if src.drive.local() {
		if src.mapped = mapShard(f); src.mapped != nil {
			o.mapped = true
		}
	}
	return true
}

// closeFile closes the shard file and its mapping, if open.
func (src *shardSource) closeFile() {
	if src.mapped != nil {
		unmapShard(src.mapped)
		src.mapped = nil
	}
	if src.file != nil {
		_ = src.file.Close()
		src.file = nil
	}
}

// blockHashOK checks a block's [hash][bytes].
func blockHashOK(blk []byte) bool {
	return binary.LittleEndian.Uint64(blk) == xxhash.Sum64(blk[hashLen:])
}

// shardPrefetcher is a shardReader that can fetch ahead (a remote
// drive's): prefetch announces that [off, end) will be read next, in
// order, by ReadAt calls.
type shardPrefetcher interface {
	prefetch(off, end int64)
}

// prefetchShard announces to shard i's reader the bytes of the current
// part the range needs from block b on; false when the shard is unusable.
func (r *objectReader) prefetchShard(i int, b int64) bool {
	o := r.o
	src := &o.src[i]
	if src.drive == nil || src.bad || !r.openSrc(i) {
		return false
	}
	pf, ok := src.file.(shardPrefetcher)
	if !ok {
		return true
	}
	lay := o.lay
	part := &o.parts[r.pi]
	pend := min(r.end-r.pstart, part.size) // end of the range in the part
	lb := (pend - 1) / int64(lay.blockSize)
	lss := lay.shardLen(lay.blockLen(part.size, lb))
	end := lay.blockOffset(lb) + int64(hashLen+lss)
	if lb > b && i < lay.data && int(pend-lb*int64(lay.blockSize)-1)/lss < i {
		end = lay.blockOffset(lb) // the last block does not need this data shard
	}
	pf.prefetch(lay.blockOffset(b), end)
	return true
}

// StatObject returns the current version's metadata.
func (s *Store) StatObject(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return ObjectInfo{}, err
	}
	o, err := s.openObject(bucket, key, false)
	if err != nil {
		return ObjectInfo{}, err
	}
	o.rangeCalled = true // no data reads without the lease
	oi := o.info
	_ = o.Close()
	return oi, nil
}
