package erasure

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/reedsolomon"
)

// blockJob is one erasure block in flight through a write: the body bytes
// (data shards are slices of them), the parity shards, and a count of the
// consumers (MD5, one per drive) still using it.
type blockJob struct {
	buf    *[]byte
	pool   *bufPool
	n      int // body bytes
	shards [MaxSetDrives][]byte
	refs   atomic.Int32
	sem    chan struct{}
}

var jobPool = sync.Pool{New: func() any { return new(blockJob) }}

func (j *blockJob) done() {
	if j.refs.Add(-1) == 0 {
		j.pool.put(j.buf)
		sem := j.sem
		*j = blockJob{}
		jobPool.Put(j)
		<-sem
	}
}

// encodeBlock erasure-codes the n body bytes at the start of buf: the data
// shards are slices of buf (the last one zero-padded), the parity shards
// follow them. shards must have room for k+m entries.
func encodeBlock(enc reedsolomon.Encoder, lay layout, buf []byte, n int, shards [][]byte) error {
	k, m := lay.data, lay.parity
	ss := lay.shardLen(n)
	clear(buf[n : k*ss])
	for i := 0; i < k+m; i++ {
		shards[i] = buf[i*ss : (i+1)*ss]
	}
	if m == 0 {
		return nil
	}
	return enc.Encode(shards[:k+m])
}

// sink writes one drive's shard stream of a write.
type sink struct {
	w     shardWriter
	shard int
	err   error
	ch    chan *blockJob
	hdr   [hashLen]byte
}

func (k *sink) run(wg *sync.WaitGroup, aborted *atomic.Bool, sync bool) {
	defer wg.Done()
	for job := range k.ch {
		if k.err == nil && !aborted.Load() {
			sh := job.shards[k.shard]
			binary.LittleEndian.PutUint64(k.hdr[:], xxhash.Sum64(sh))
			if _, err := k.w.Write(k.hdr[:]); err != nil {
				k.err = err
			} else if _, err := k.w.Write(sh); err != nil {
				k.err = err
			}
		}
		job.done()
	}
	if k.err != nil || aborted.Load() {
		k.w.abort()
		if k.err == nil {
			k.err = errAborted
		}
		return
	}
	k.err = k.w.commit(sync)
}

var errAborted = errors.New("erasure: write aborted")

// streamWrite erasure-codes one body (an object or a part) onto a set.
type streamWrite struct {
	s         *Store
	set       *erasureSet
	lay       layout
	enc       reedsolomon.Encoder
	rot       int
	dir       id16
	file      string
	co        createOpts
	inlineMax int // largest body stored inline; -1 never

	// Results.
	size    int64
	md5     [16]byte
	inline  bool
	streams [MaxSetDrives][]byte // inline: drive i's shard stream
	ok      [MaxSetDrives]bool   // drive i has its shard stream
	wrote   bool                 // shard files were created
}

// readBlock reads up to len(b) bytes; eof reports that r ended first.
func readBlock(r io.Reader, b []byte) (n int, eof bool, err error) {
	if len(b) == 0 {
		return 0, false, nil
	}
	n, err = io.ReadFull(r, b)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return n, true, nil
	}
	return n, false, err
}

// probeEnd checks that r has no more bytes.
func probeEnd(r io.Reader, scratch []byte) error {
	n, eof, err := readBlock(r, scratch[:1])
	if err != nil {
		return fmt.Errorf("erasure: read body: %w", err)
	}
	if n > 0 || !eof {
		return ErrTooLarge
	}
	return nil
}

// run reads the body from r (size bytes, or -1 until EOF) and writes it.
func (w *streamWrite) run(ctx context.Context, r io.Reader, size int64) error {
	lay := w.lay
	if w.inlineMax >= 0 && size >= 0 && size <= int64(w.inlineMax) {
		// Known to be inline: a buffer of the inline size, not a block.
		bp := w.s.codecs.pool(lay.shards() * lay.shardLen(max(w.inlineMax, 1)))
		buf := bp.get()
		defer bp.put(buf)
		n, _, err := readBlock(r, (*buf)[:size])
		if err != nil {
			return fmt.Errorf("erasure: read body: %w", err)
		}
		if int64(n) < size {
			return ErrIncompleteBody
		}
		var one [1]byte
		if err := probeEnd(r, one[:]); err != nil {
			return err
		}
		return w.writeInline(*buf, n)
	}
	bp := w.s.codecs.pool(lay.shards() * lay.shardLen(lay.blockSize))
	first := bp.get()
	want := lay.blockSize
	if size >= 0 {
		want = int(min(int64(want), size))
	}
	n, eof, err := readBlock(r, (*first)[:want])
	if err != nil {
		bp.put(first)
		return fmt.Errorf("erasure: read body: %w", err)
	}
	if size >= 0 && int64(n) < min(size, int64(want)) {
		bp.put(first)
		return ErrIncompleteBody
	}
	if size < 0 && w.inlineMax >= 0 && eof && n <= w.inlineMax {
		defer bp.put(first)
		return w.writeInline(*first, n)
	}
	return w.writeStreamed(ctx, r, size, bp, first, n, eof)
}

func (w *streamWrite) writeInline(buf []byte, n int) error {
	w.inline = true
	w.size = int64(n)
	w.md5 = md5.Sum(buf[:n])
	nd := w.set.n()
	if n > 0 {
		var shards [MaxSetDrives][]byte
		if err := encodeBlock(w.enc, w.lay, buf, n, shards[:]); err != nil {
			return err
		}
		ss := w.lay.shardLen(n)
		all := make([]byte, nd*(hashLen+ss))
		for j := 0; j < nd; j++ {
			st := all[j*(hashLen+ss) : (j+1)*(hashLen+ss)]
			sh := shards[shardOfDrive(j, w.rot, nd)]
			binary.LittleEndian.PutUint64(st, xxhash.Sum64(sh))
			copy(st[hashLen:], sh)
			w.streams[j] = st
		}
	}
	for j := 0; j < nd; j++ {
		w.ok[j] = w.set.drives[j].online()
	}
	return nil
}

func (w *streamWrite) writeStreamed(ctx context.Context, r io.Reader, size int64, bp *bufPool, first *[]byte, n int, eof bool) error {
	set, lay := w.set, w.lay
	nd := set.n()
	sinks := make([]sink, nd)
	var wg sync.WaitGroup
	var aborted atomic.Bool
	live := 0
	w.wrote = true
	for j := 0; j < nd; j++ {
		k := &sinks[j]
		k.shard = shardOfDrive(j, w.rot, nd)
		k.err = errDriveOffline
		if !set.drives[j].online() {
			continue
		}
		sw, err := set.drives[j].createShard(w.dir, w.file, w.co)
		if err != nil {
			k.err = err
			continue
		}
		k.w, k.err = sw, nil
		k.ch = make(chan *blockJob, 2)
		live++
	}
	if live < set.wq {
		bp.put(first)
		for j := range sinks {
			if sinks[j].w != nil {
				sinks[j].w.abort()
			}
		}
		return fmt.Errorf("%w: %d of %d drives writable, need %d", ErrWriteQuorum, live, nd, set.wq)
	}
	for j := range sinks {
		if sinks[j].ch != nil {
			wg.Add(1)
			go sinks[j].run(&wg, &aborted, w.s.cfg.Sync)
		}
	}
	h := md5.New()
	md5ch := make(chan *blockJob, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for job := range md5ch {
			h.Write((*job.buf)[:job.n])
			job.done()
		}
	}()
	sem := make(chan struct{}, 3)
	finish := func(err error) error {
		if err != nil {
			aborted.Store(true)
		}
		close(md5ch)
		for j := range sinks {
			if sinks[j].ch != nil {
				close(sinks[j].ch)
			}
		}
		wg.Wait()
		if err != nil {
			return err
		}
		copy(w.md5[:], hashSum(h))
		good := 0
		for j := range sinks {
			w.ok[j] = sinks[j].err == nil
			if w.ok[j] {
				good++
			}
		}
		if good < set.wq {
			errs := make([]error, 0, nd)
			for j := range sinks {
				errs = append(errs, sinks[j].err)
			}
			return fmt.Errorf("%w: %d of %d shard writes succeeded, need %d (%v)", ErrWriteQuorum, good, nd, set.wq, errors.Join(errs...))
		}
		return nil
	}

	buf := first
	var total int64
	for {
		if n > 0 {
			total += int64(n)
			if total > MaxObjectSize {
				bp.put(buf)
				return finish(ErrTooLarge)
			}
			sem <- struct{}{}
			job := jobPool.Get().(*blockJob)
			job.buf, job.pool, job.n, job.sem = buf, bp, n, sem
			if err := encodeBlock(w.enc, lay, *buf, n, job.shards[:]); err != nil {
				job.refs.Store(1)
				job.done()
				return finish(err)
			}
			job.refs.Store(int32(1 + live))
			md5ch <- job
			for j := range sinks {
				if sinks[j].ch != nil {
					sinks[j].ch <- job
				}
			}
		} else {
			bp.put(buf)
		}
		if eof || (size >= 0 && total == size) {
			break
		}
		if err := ctx.Err(); err != nil {
			return finish(err)
		}
		buf = bp.get()
		want := lay.blockSize
		if size >= 0 {
			want = int(min(int64(want), size-total))
		}
		var err error
		n, eof, err = readBlock(r, (*buf)[:want])
		if err != nil {
			bp.put(buf)
			return finish(fmt.Errorf("erasure: read body: %w", err))
		}
		if size >= 0 && eof {
			bp.put(buf)
			return finish(ErrIncompleteBody)
		}
	}
	if size >= 0 {
		var one [1]byte
		if err := probeEnd(r, one[:]); err != nil {
			return finish(err)
		}
	}
	if err := ctx.Err(); err != nil {
		return finish(err)
	}
	w.size = total
	return finish(nil)
}

func hashSum(h hash.Hash) []byte {
	var b [16]byte
	return h.Sum(b[:0])
}

// cleanup removes the shard files of a write that will not be committed.
func (w *streamWrite) cleanup(wholeDir bool) {
	if !w.wrote {
		return
	}
	for _, d := range w.set.drives {
		if wholeDir {
			_ = d.removeDataDir(w.dir)
		} else {
			_ = d.removeShard(w.dir, w.file)
		}
	}
}

// partFileName is the shard file of part number with fileID (0 for the
// single part of a PutObject).
func partFileName(number int, fileID uint64) string {
	if fileID == 0 && number == 1 {
		return "part.1"
	}
	if fileID == 0 {
		return "part." + strconv.Itoa(number)
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], fileID)
	return "part." + strconv.Itoa(number) + "." + hex.EncodeToString(b[:])
}

// PutObject stores the object read from r (size bytes, or -1 if unknown).
// It returns after the object is durable on at least the write quorum of
// drives; until then (and on any error) the previous version stays
// visible.
func (s *Store) PutObject(ctx context.Context, bucket, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error) {
	if err := s.check(bucket, key); err != nil {
		return ObjectInfo{}, err
	}
	if size > MaxObjectSize {
		return ObjectInfo{}, ErrTooLarge
	}
	h := objectHash(bucket, key)
	set := s.setFor(h)
	w := &streamWrite{
		s: s, set: set, lay: set.lay, enc: set.enc, rot: rotation(h, set.n()),
		dir: newID(), file: partFileName(1, 0), inlineMax: max(s.cfg.InlineThreshold, 0),
		co: s.chownOpts(opts.UID, opts.GID),
	}
	s.inflight.add(w.dir)
	defer s.inflight.done(w.dir)
	if err := w.run(ctx, r, size); err != nil {
		w.cleanup(true)
		return ObjectInfo{}, err
	}
	now := s.clock()
	mod := opts.ModTime
	if mod.IsZero() {
		mod = now
	}
	rec := objectRecord{
		versionID:    newID(),
		commitNanos:  now.UnixNano(),
		modNanos:     mod.UnixNano(),
		data:         w.lay.data,
		parity:       w.lay.parity,
		blockSize:    w.lay.blockSize,
		size:         w.size,
		etag:         hex.EncodeToString(w.md5[:]),
		contentType:  opts.ContentType,
		storageClass: opts.StorageClass,
		owner:        opts.Owner,
		tags:         opts.Tags,
		uid:          opts.UID,
		gid:          opts.GID,
		userMeta:     opts.UserMeta,
		headers:      opts.Headers,
	}
	if w.inline {
		rec.flags |= flagInline
	} else {
		rec.dataDir = w.dir
	}
	oi := rec.info(bucket, key)
	if opts.Verify != nil {
		if err := opts.Verify(&oi); err != nil {
			w.cleanup(true)
			return ObjectInfo{}, fmt.Errorf("erasure: verify: %w", err)
		}
		rec.checksum = oi.Checksum
	}
	if err := ctx.Err(); err != nil {
		w.cleanup(true)
		return ObjectInfo{}, err
	}
	var recs [MaxSetDrives][]byte
	for j := 0; j < set.n(); j++ {
		if !w.ok[j] {
			continue
		}
		rec.shardIdx = shardOfDrive(j, w.rot, set.n())
		rec.inline = w.streams[j]
		recs[j] = encodeObjectRecord(nil, &rec)
	}
	mk := objectKey(nil, bucket, key)
	if err := s.commitObject(set, h, mk, &recs, w.dir, nil); err != nil {
		w.cleanup(true)
		return ObjectInfo{}, err
	}
	return oi, nil
}

func (s *Store) chownOpts(uid, gid uint32) createOpts {
	return createOpts{chown: s.cfg.Chown && isRoot, uid: uid, gid: gid}
}

// commitObject makes recs[i] the current record of mk on drive i (nil =
// skip) under the key lock, keeping the superseded records in the value
// until the write quorum is reached (so a crash mid-commit leaves the old
// version readable). extra adds more ops (and their undo) to drive i's
// batch. Superseded data dirs are removed after the commit.
//
// Each drive's value is replaced by a conditional write (metaOp.cas) of
// [new record, the records read]: a writer on another node that changed
// the value in between makes it re-read and retry, so no drive loses the
// other writer's record; rollback and the removal of superseded records
// are conditional the same way (DESIGN.md, "Several nodes").
func (s *Store) commitObject(set *erasureSet, h uint64, mk []byte, recs *[MaxSetDrives][]byte, newDir id16,
	extra func(i int, tx *driveTx)) error {
	nd := set.n()
	var me recHeader
	for i := 0; i < nd; i++ {
		if recs[i] != nil && parseRecHeader(recs[i], &me) {
			break
		}
	}
	lk := s.keyLock(h)
	lk.Lock()
	// The current values, read in one round (one request per peer).
	var sv setValues
	var buf []byte
	s.readValues(set, mk, &buf, &sv)
	var cs [MaxSetDrives]driveCommit
	var errs [MaxSetDrives]error
	var ok [MaxSetDrives]bool
	parallel(nd, func(i int) {
		if recs[i] == nil {
			errs[i] = errDriveOffline
			return
		}
		if sv.offline[i] {
			errs[i] = errDriveOffline
			return
		}
		errs[i] = s.commitDrive(set.drives[i], mk, recs[i], me.versionID, i, extra, sv.vals[i], &cs[i])
		ok[i] = errs[i] == nil
	})
	n := 0
	for i := 0; i < nd; i++ {
		if ok[i] {
			n++
		}
	}
	if n < set.wq {
		parallel(nd, func(i int) {
			if ok[i] {
				if e := s.undoDrive(set.drives[i], mk, me.versionID, &cs[i]); e != nil {
					s.log.Warn("erasure: roll back failed", "drive", set.drives[i].name(), "err", e)
				}
			}
		})
		lk.Unlock()
		return fmt.Errorf("%w: %d of %d drives, need %d (%v)", ErrWriteQuorum, n, nd, set.wq,
			errors.Join(errs[:nd]...))
	}
	// Committed: drop the superseded records from the values (not synced: a
	// crash before this reaches disk leaves them, and the new version still
	// wins on quorum). Records newer than ours (another node's writer) stay.
	var dropped [MaxSetDrives][][]byte
	parallel(nd, func(i int) {
		if !ok[i] || len(cs[i].prevs) == 0 {
			return
		}
		keep := [][]byte{recs[i]}
		var drop [][]byte
		for _, r := range cs[i].prevs {
			var ph recHeader
			if parseRecHeader(r, &ph) && newerVersion(&ph, &me) {
				keep = append(keep, r)
			} else {
				drop = append(drop, r)
			}
		}
		if len(drop) == 0 {
			return
		}
		op := metaOp{key: mk, value: encodeValue(nil, keep...), cas: true, old: cs[i].wrote}
		if set.drives[i].metaApply([]metaOp{op}, false) == nil {
			dropped[i] = drop
		}
	})
	lk.Unlock()
	for i := 0; i < nd; i++ {
		for _, r := range dropped[i] {
			var ph recHeader
			if parseRecHeader(r, &ph) && ph.flags&flagInline == 0 && ph.dataDir != newDir {
				s.removeDataDir(set.drives[i], ph.dataDir)
			}
		}
	}
	return nil
}

// newerVersion orders versions as pickVersion does: commit time, then
// version id.
func newerVersion(a, b *recHeader) bool {
	return a.commitNanos > b.commitNanos ||
		(a.commitNanos == b.commitNanos && bytes.Compare(a.versionID[:], b.versionID[:]) > 0)
}

// driveCommit is what commitDrive wrote on one drive.
type driveCommit struct {
	wrote []byte   // the value written
	prev  []byte   // the value it replaced (nil: none)
	exact bool     // prev is known (false: our write was found applied on a retry)
	prevs [][]byte // the other records kept in wrote
	undo  []metaOp // undo of the extra ops
}

// maxCommitAttempts bounds the retries of a conditional commit that found
// the value changed by another node's writer.
const maxCommitAttempts = 4

// commitDrive writes [rec, current records...] as drive d's value of mk,
// conditional on the value read (first the caller's cur, nil: absent),
// re-reading and retrying when another writer changed it meanwhile.
func (s *Store) commitDrive(d shardStore, mk, rec []byte, vid id16, i int, extra func(int, *driveTx), cur []byte, c *driveCommit) error {
	for attempt := 1; ; attempt++ {
		prev := cur
		if attempt > 1 {
			var err error
			prev, err = d.metaGet(mk, nil)
			if err != nil && !errors.Is(err, errNotFound) {
				return err
			}
			if err != nil {
				prev = nil
			}
		}
		var old [maxValueRecords][]byte
		prs, okv := splitValue(prev, old[:0])
		if prev != nil && !okv {
			prs = nil // unreadable value: replace it
		}
		if attempt > 1 && hasVersion(prs, vid) {
			// An earlier attempt was applied though its answer was lost.
			*c = driveCommit{wrote: prev, prevs: withoutVersion(prs, vid)}
			return nil
		}
		if len(prs) > maxValueRecords-1 {
			prs = prs[:maxValueRecords-1]
		}
		all := make([][]byte, 0, 1+len(prs))
		all = append(all, rec)
		all = append(all, prs...)
		val := encodeValue(nil, all...)
		tx := &driveTx{ops: []metaOp{{key: mk, value: val, cas: true, old: prev}}}
		if extra != nil {
			extra(i, tx)
		}
		err := d.metaApply(tx.ops, s.cfg.Sync)
		if err == nil {
			*c = driveCommit{wrote: val, prev: prev, exact: true, prevs: append([][]byte(nil), prs...), undo: tx.undo}
			return nil
		}
		if !errors.Is(err, errConflict) || attempt == maxCommitAttempts {
			return err
		}
	}
}

// undoDrive rolls back commitDrive: the previous value comes back if the
// value is still the one written, else our record is taken out of
// whatever another writer made of it.
func (s *Store) undoDrive(d shardStore, mk []byte, vid id16, c *driveCommit) error {
	cur := c.wrote
	for attempt := 1; ; attempt++ {
		var ops []metaOp
		if c.exact && bytes.Equal(cur, c.wrote) {
			if c.prev == nil {
				ops = append(ops, metaOp{key: mk, del: true, cas: true, old: cur})
			} else {
				ops = append(ops, metaOp{key: mk, value: c.prev, cas: true, old: cur})
			}
		} else {
			var buf [maxValueRecords][]byte
			rs, _ := splitValue(cur, buf[:0])
			if hasVersion(rs, vid) {
				if rest := withoutVersion(rs, vid); len(rest) == 0 {
					ops = append(ops, metaOp{key: mk, del: true, cas: true, old: cur})
				} else {
					ops = append(ops, metaOp{key: mk, value: encodeValue(nil, rest...), cas: true, old: cur})
				}
			}
		}
		ops = append(ops, c.undo...)
		if len(ops) == 0 {
			return nil
		}
		err := d.metaApply(ops, s.cfg.Sync)
		if !errors.Is(err, errConflict) || attempt == maxCommitAttempts {
			return err
		}
		if cur, err = d.metaGet(mk, nil); errors.Is(err, errNotFound) {
			cur = nil
		} else if err != nil {
			return err
		}
	}
}

func hasVersion(recs [][]byte, vid id16) bool {
	for _, r := range recs {
		var h recHeader
		if parseRecHeader(r, &h) && h.versionID == vid {
			return true
		}
	}
	return false
}

func withoutVersion(recs [][]byte, vid id16) [][]byte {
	var out [][]byte
	for _, r := range recs {
		var h recHeader
		if !parseRecHeader(r, &h) || h.versionID != vid {
			out = append(out, r)
		}
	}
	return out
}
