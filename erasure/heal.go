package erasure

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/cespare/xxhash/v2"
)

// healer runs heal-on-read requests in the background, one at a time,
// deduplicated, dropping requests when its queue is full (a later read or
// HealAll catches those).
type healer struct {
	s       *Store
	ch      chan [2]string
	mu      sync.Mutex
	pending map[[2]string]bool
	// healed counts completed heal-on-read runs (for tests and metrics).
	healed int64
	idle   *sync.Cond
}

func (h *healer) init(s *Store) {
	h.s = s
	h.ch = make(chan [2]string, 1024)
	h.pending = map[[2]string]bool{}
	h.idle = sync.NewCond(&h.mu)
}

func (h *healer) enqueue(bucket, key string) {
	if h.s.closed.Load() {
		return
	}
	k := [2]string{bucket, key}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pending[k] {
		return
	}
	select {
	case h.ch <- k:
		h.pending[k] = true
	default:
	}
}

func (h *healer) run() {
	defer h.s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-h.s.stop
		cancel()
	}()
	for {
		select {
		case <-h.s.stop:
			h.mu.Lock()
			clear(h.pending)
			h.idle.Broadcast()
			h.mu.Unlock()
			return
		case k := <-h.ch:
			if err := h.s.Heal(ctx, k[0], k[1]); err != nil && !errors.Is(err, ErrObjectNotFound) {
				h.s.log.Warn("erasure: heal on read failed", "bucket", k[0], "key", k[1], "err", err)
			}
			h.mu.Lock()
			delete(h.pending, k)
			h.healed++
			h.idle.Broadcast()
			h.mu.Unlock()
		}
	}
}

// waitIdle blocks until no heal is queued or running.
func (h *healer) waitIdle() {
	h.mu.Lock()
	for len(h.pending) > 0 {
		h.idle.Wait()
	}
	h.mu.Unlock()
}

// WaitHeals blocks until the background heal-on-read queue is empty.
func (s *Store) WaitHeals() { s.healer.waitIdle() }

// Heal checks every drive's copy of bucket/key and repairs it: missing or
// stale records are rewritten, missing or corrupt shards are rebuilt from
// the others, and versions left behind by interrupted writes are removed.
// An object that too few drives hold to be readable is removed when every
// drive of its set is online (it can never be read). Heal returns
// ErrObjectNotFound when no drive knows the key.
func (s *Store) Heal(ctx context.Context, bucket, key string) error {
	if err := s.check(bucket, key); err != nil {
		return err
	}
	h := objectHash(bucket, key)
	set := s.setFor(h)
	mk := objectKey(nil, bucket, key)
	var sv setValues
	var buf []byte
	s.readValues(set, mk, &buf, &sv)
	var p pick
	pickVersion(set, &sv, &p)
	if !p.found {
		return s.purgeDangling(set, h, mk, &sv, &p)
	}
	var rec objectRecord
	if err := decodeObjectRecord(p.hdr[p.meta].raw, &rec); err != nil {
		return fmt.Errorf("%w: %s/%s: %v", ErrCorrupt, bucket, key, err)
	}
	lay := layout{data: rec.data, parity: rec.parity, blockSize: rec.blockSize}
	if lay.shards() != set.n() {
		return fmt.Errorf("%w: %s/%s: layout %d+%d on %d drives", ErrCorrupt, bucket, key, rec.data, rec.parity, set.n())
	}
	enc, err := s.codecs.encoder(rec.data, rec.parity)
	if err != nil {
		return err
	}
	rot := rotation(h, set.n())
	n := set.n()
	// Which drive holds which shard, and which shards need rebuilding.
	var bad [MaxSetDrives]bool // by drive: shard data must be rebuilt
	var srcDrive [MaxSetDrives]int
	for i := range srcDrive {
		srcDrive[i] = -1
	}
	for i := 0; i < n; i++ {
		if sv.offline[i] {
			continue
		}
		want := shardOfDrive(i, rot, n)
		if p.hdr[i].raw == nil || p.hdr[i].shardIdx != want {
			bad[i] = true
			continue
		}
		srcDrive[want] = i
	}
	var one [1]partMeta
	parts := rec.partList(&one)
	inline := rec.flags&flagInline != 0
	// Verify every shard of every part.
	for i := 0; i < n; i++ {
		if bad[i] || sv.offline[i] {
			continue
		}
		if inline {
			bad[i] = !verifyStream(p.hdr[i].inline, lay, rec.size)
			continue
		}
		for pi := range parts {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !s.verifyShardFile(set.drives[i], rec.dataDir, &parts[pi], lay) {
				bad[i] = true
				break
			}
		}
	}
	for i := 0; i < n; i++ {
		if bad[i] {
			srcDrive[shardOfDrive(i, rot, n)] = -1
		}
	}
	need := false
	for i := 0; i < n; i++ {
		if bad[i] || p.dirty[i] {
			need = true
		}
	}
	if !need {
		return nil
	}
	good := 0
	for sIdx := 0; sIdx < n; sIdx++ {
		if srcDrive[sIdx] >= 0 {
			good++
		}
	}
	anyBad := false
	for i := 0; i < n; i++ {
		anyBad = anyBad || bad[i]
	}
	if anyBad && good < lay.data {
		return fmt.Errorf("%w: %s/%s: %d of %d shards intact, need %d", ErrCorrupt, bucket, key, good, n, lay.data)
	}

	// Rebuild the bad shards. The data dir counts as in flight, so an
	// orphan scan does not take a dir heal is filling for a drive that has
	// no record of it yet.
	if anyBad && !inline {
		s.inflight.add(rec.dataDir)
		defer s.inflight.done(rec.dataDir)
	}
	var newInline [MaxSetDrives][]byte
	var writers [MaxSetDrives][]shardWriter // per drive, per part
	abortAll := func() {
		for i := range writers {
			for _, w := range writers[i] {
				if w != nil {
					w.abort()
				}
			}
		}
	}
	if anyBad {
		if inline {
			streams, err := s.rebuildInline(&p, srcDrive, lay, enc, rec.size, rot, n)
			if err != nil {
				return err
			}
			for i := 0; i < n; i++ {
				if bad[i] {
					newInline[i] = streams[i]
				}
			}
		} else {
			for i := 0; i < n; i++ {
				if bad[i] {
					writers[i] = make([]shardWriter, len(parts))
				}
			}
			for pi := range parts {
				if err := s.rebuildPart(ctx, set, &rec, &parts[pi], lay, enc, srcDrive, &bad, rot, &writers, pi); err != nil {
					abortAll()
					return err
				}
			}
		}
	}

	// Commit under the key lock, if the version is still current.
	lk := s.keyLock(h)
	lk.Lock()
	var sv2 setValues
	var buf2 []byte
	s.readValues(set, mk, &buf2, &sv2)
	var p2 pick
	pickVersion(set, &sv2, &p2)
	if !p2.found || p2.hdr[p2.meta].versionID != rec.versionID {
		lk.Unlock()
		abortAll()
		return nil
	}
	// The newest metadata may have changed meanwhile.
	if err := decodeObjectRecord(p2.hdr[p2.meta].raw, &rec); err != nil {
		lk.Unlock()
		abortAll()
		return err
	}
	var fixed [MaxSetDrives]bool
	var errs []error
	for i := 0; i < n; i++ {
		if sv2.offline[i] || !(bad[i] || p2.dirty[i]) {
			// A drive that went offline since the rebuild keeps its bad
			// shard for the next pass: close and remove what was rebuilt
			// for it (a .heal- file and an open descriptor otherwise).
			for _, w := range writers[i] {
				if w != nil {
					w.abort()
				}
			}
			continue
		}
		ok := true
		for _, w := range writers[i] {
			if w != nil {
				if err := w.commit(s.cfg.Sync); err != nil {
					errs = append(errs, err)
					ok = false
				}
			}
		}
		if !ok {
			continue
		}
		r := rec
		r.shardIdx = shardOfDrive(i, rot, n)
		switch {
		case bad[i]:
			r.inline = newInline[i]
		case p2.hdr[i].raw != nil:
			r.inline = p2.hdr[i].inline
		default:
			continue
		}
		if !inline {
			r.inline = nil
		}
		val := encodeValue(nil, encodeObjectRecord(nil, &r))
		// Conditional: a writer on another node may have committed
		// meanwhile (it is not held off by this node's key lock).
		op := metaOp{key: mk, value: val, cas: true, old: sv2.vals[i]}
		if err := set.drives[i].metaApply([]metaOp{op}, s.cfg.Sync); err != nil {
			if !errors.Is(err, errConflict) {
				errs = append(errs, err)
			}
			continue
		}
		fixed[i] = true
	}
	lk.Unlock()
	s.removeValueData(set, &sv2, &fixed, rec.dataDir)
	if len(errs) > 0 {
		return fmt.Errorf("erasure: heal %s/%s: %w", bucket, key, errors.Join(errs...))
	}
	return nil
}

// purgeDangling removes the records of an object no version of which has
// the read quorum, when every drive of the set is online.
func (s *Store) purgeDangling(set *erasureSet, h uint64, mk []byte, sv *setValues, p *pick) error {
	if p.offline > 0 {
		return p.notFoundErr(set)
	}
	any := false
	for i := 0; i < set.n(); i++ {
		any = any || sv.vals[i] != nil
	}
	if !any {
		return ErrObjectNotFound
	}
	lk := s.keyLock(h)
	lk.Lock()
	var sv2 setValues
	var buf []byte
	s.readValues(set, mk, &buf, &sv2)
	var p2 pick
	pickVersion(set, &sv2, &p2)
	if p2.found || p2.offline > 0 {
		lk.Unlock()
		return nil
	}
	var ok [MaxSetDrives]bool
	for i := 0; i < set.n(); i++ {
		if sv2.vals[i] != nil {
			op := metaOp{key: mk, del: true, cas: true, old: sv2.vals[i]}
			ok[i] = set.drives[i].metaApply([]metaOp{op}, s.cfg.Sync) == nil
		}
	}
	lk.Unlock()
	s.removeValueData(set, &sv2, &ok, id16{})
	return nil
}

// verifyStream checks an in-memory shard stream of a part of size bytes.
func verifyStream(st []byte, lay layout, size int64) bool {
	if int64(len(st)) != lay.streamSize(size) {
		return false
	}
	for b := int64(0); b < lay.blockCount(size); b++ {
		off := lay.blockOffset(b)
		ss := lay.shardLen(lay.blockLen(size, b))
		blk := st[off : off+int64(hashLen+ss)]
		if binary.LittleEndian.Uint64(blk) != xxhash.Sum64(blk[hashLen:]) {
			return false
		}
	}
	return true
}

// verifyShardFile reads and checks one shard file.
func (s *Store) verifyShardFile(d shardStore, dir id16, part *partMeta, lay layout) bool {
	f, err := d.openShard(dir, partFileName(part.number, part.fileID))
	if err != nil {
		return false
	}
	defer f.Close()
	if pf, ok := f.(shardPrefetcher); ok {
		pf.prefetch(0, lay.streamSize(part.size))
	}
	bp := s.codecs.pool(hashLen + lay.shardLen(lay.blockSize))
	buf := bp.get()
	defer bp.put(buf)
	nb := lay.blockCount(part.size)
	for b := int64(0); b < nb; b++ {
		ss := lay.shardLen(lay.blockLen(part.size, b))
		blk := (*buf)[:hashLen+ss]
		if n, _ := f.ReadAt(blk, lay.blockOffset(b)); n != len(blk) {
			return false
		}
		if binary.LittleEndian.Uint64(blk) != xxhash.Sum64(blk[hashLen:]) {
			return false
		}
	}
	// No trailing bytes.
	var one [1]byte
	if n, _ := f.ReadAt(one[:], lay.streamSize(part.size)); n != 0 {
		return false
	}
	return true
}

func (s *Store) rebuildInline(p *pick, srcDrive [MaxSetDrives]int, lay layout, enc interface {
	Reconstruct([][]byte) error
}, size int64, rot, n int) ([MaxSetDrives][]byte, error) {
	var out [MaxSetDrives][]byte
	if size == 0 {
		return out, nil
	}
	ss := lay.shardLen(int(size))
	var shards [MaxSetDrives][]byte
	for sIdx := 0; sIdx < n; sIdx++ {
		if d := srcDrive[sIdx]; d >= 0 {
			shards[sIdx] = p.hdr[d].inline[hashLen : hashLen+ss]
		} else {
			shards[sIdx] = make([]byte, 0, ss)
		}
	}
	if err := enc.Reconstruct(shards[:n]); err != nil {
		return out, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	for i := 0; i < n; i++ {
		sh := shards[shardOfDrive(i, rot, n)]
		st := make([]byte, hashLen+ss)
		binary.LittleEndian.PutUint64(st, xxhash.Sum64(sh))
		copy(st[hashLen:], sh)
		out[i] = st
	}
	return out, nil
}

// rebuildPart writes the shard streams of part for every bad drive from
// the good shards.
func (s *Store) rebuildPart(ctx context.Context, set *erasureSet, rec *objectRecord, part *partMeta, lay layout,
	enc interface{ Reconstruct([][]byte) error }, srcDrive [MaxSetDrives]int, bad *[MaxSetDrives]bool, rot int,
	writers *[MaxSetDrives][]shardWriter, pi int) error {
	n := set.n()
	name := partFileName(part.number, part.fileID)
	co := s.chownOpts(rec.uid, rec.gid)
	co.replace = true
	for i := 0; i < n; i++ {
		if !bad[i] {
			continue
		}
		w, err := set.drives[i].createShard(rec.dataDir, name, co)
		if err != nil {
			return fmt.Errorf("erasure: heal: %s: %w", set.drives[i].name(), err)
		}
		writers[i][pi] = w
	}
	var readers [MaxSetDrives]shardReader
	defer func() {
		for _, r := range readers {
			if r != nil {
				_ = r.Close()
			}
		}
	}()
	for sIdx := 0; sIdx < n; sIdx++ {
		if d := srcDrive[sIdx]; d >= 0 {
			r, err := set.drives[d].openShard(rec.dataDir, name)
			if err != nil {
				return fmt.Errorf("erasure: heal: %w", err)
			}
			if pf, ok := r.(shardPrefetcher); ok {
				pf.prefetch(0, lay.streamSize(part.size))
			}
			readers[sIdx] = r
		}
	}
	bp := s.codecs.pool(lay.stripeSize())
	buf := bp.get()
	defer bp.put(buf)
	slot := hashLen + lay.shardLen(lay.blockSize)
	var shards [MaxSetDrives][]byte
	var hdr [hashLen]byte
	for b := int64(0); b < lay.blockCount(part.size); b++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		ss := lay.shardLen(lay.blockLen(part.size, b))
		for sIdx := 0; sIdx < n; sIdx++ {
			blk := (*buf)[sIdx*slot : sIdx*slot+hashLen+ss]
			if readers[sIdx] == nil {
				shards[sIdx] = blk[hashLen:hashLen]
				continue
			}
			if m, _ := readers[sIdx].ReadAt(blk, lay.blockOffset(b)); m != len(blk) ||
				binary.LittleEndian.Uint64(blk) != xxhash.Sum64(blk[hashLen:]) {
				return fmt.Errorf("%w: shard %d changed during heal", ErrCorrupt, sIdx)
			}
			shards[sIdx] = blk[hashLen:]
		}
		if err := enc.Reconstruct(shards[:n]); err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		for i := 0; i < n; i++ {
			if !bad[i] {
				continue
			}
			sh := shards[shardOfDrive(i, rot, n)]
			binary.LittleEndian.PutUint64(hdr[:], xxhash.Sum64(sh))
			if _, err := writers[i][pi].Write(hdr[:]); err != nil {
				return err
			}
			if _, err := writers[i][pi].Write(sh); err != nil {
				return err
			}
		}
	}
	return nil
}

// HealAll heals every object key any online drive knows (see Heal),
// calling progress after each with the number done and the total.
func (s *Store) HealAll(ctx context.Context, progress func(done, total int)) error {
	if s.closed.Load() {
		return ErrClosed
	}
	lower := []byte{nsObject}
	upper := prefixEnd(lower)
	total := 0
	if err := s.scanKeys(lower, upper, func(bucket, key string) bool { total++; return true }); err != nil {
		return err
	}
	done := 0
	var errs []error
	start := lower
	for {
		var batch [][2]string
		var last []byte
		err := s.scanKeysFrom(start, upper, func(k []byte, bucket, key string) bool {
			batch = append(batch, [2]string{bucket, key})
			last = append(last[:0], k...)
			return len(batch) < 256
		})
		if err != nil {
			return err
		}
		for _, bk := range batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := s.Heal(ctx, bk[0], bk[1]); err != nil && !errors.Is(err, ErrObjectNotFound) {
				errs = append(errs, err)
			}
			done++
			if progress != nil {
				progress(done, max(total, done))
			}
		}
		if len(batch) < 256 {
			break
		}
		start = append(last, 0)
	}
	if len(errs) > 0 {
		return fmt.Errorf("erasure: heal all: %d of %d objects failed: %w", len(errs), done, errors.Join(errs...))
	}
	return nil
}

func (s *Store) scanKeys(lower, upper []byte, fn func(bucket, key string) bool) error {
	return s.scanKeysFrom(lower, upper, func(_ []byte, b, k string) bool { return fn(b, k) })
}

// scanKeysFrom calls fn for every distinct object key >= start on any
// online drive, in order, until fn returns false. No quorum is required.
func (s *Store) scanKeysFrom(start, upper []byte, fn func(k []byte, bucket, key string) bool) error {
	var m mergedIter
	for _, set := range s.sets {
		m.remote = m.remote || set.remote
		for j, d := range set.drives {
			it, err := d.metaIter(start, upper)
			if err != nil {
				continue
			}
			m.its = append(m.its, it)
			m.set = append(m.set, set)
			m.drive = append(m.drive, j)
			m.valid = append(m.valid, false)
		}
	}
	defer m.close()
	for ok := m.seek(start); ok; ok = m.next() {
		b, rest, good := unescape(m.cur[1:])
		if !good {
			continue
		}
		if !fn(m.cur, string(b), string(rest)) {
			break
		}
	}
	return nil
}

// HealBacklog returns how many objects found damaged by reads wait to be
// healed in the background, and how many heal-on-read runs completed.
func (s *Store) HealBacklog() (pending int, healed int64) {
	s.healer.mu.Lock()
	defer s.healer.mu.Unlock()
	return len(s.healer.pending), s.healer.healed
}
