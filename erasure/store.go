package erasure

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/klauspost/reedsolomon"
)

// lockStripes is the number of striped per-key locks.
const lockStripes = 1024

// Store is an erasure-coded object store over a node's drives. It is safe
// for concurrent use; Close it once when done.
type Store struct {
	cfg   Config
	log   *slog.Logger
	clock func() time.Time

	sets   []*erasureSet
	drives []shardStore  // every drive, in Config.Drives / Endpoints order
	local  []*localDrive // this node's drives, in the same order (served by a DriveServer)
	peers  []*peer       // the nodes serving the remote drives
	codecs *codecs
	cache  *pebble.Cache

	// keyLocks serialize commits to one object key (write lock) against
	// OpenObject's metadata read + lease (read lock). upLocks serialize
	// commits to one multipart upload. Lock order: upload, then key.
	keyLocks [lockStripes]sync.RWMutex
	upLocks  [lockStripes]sync.Mutex

	leases   leaseTable
	inflight inflightSet
	healer   healer

	// multiNode: the drives are shared with other nodes (remote endpoints,
	// or a DriveServer): data dir removals wait for their readers there
	// (lease.go).
	multiNode     atomic.Bool
	removalsStart sync.Once
	lifeMu        sync.Mutex // orders goroutine starts after Open with Close

	closed atomic.Bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

// erasureSet is k+m drives that hold every shard of the objects hashed to
// it.
type erasureSet struct {
	idx    int
	drives []shardStore
	lay    layout // layout for new objects
	wq, rq int
	enc    reedsolomon.Encoder
	remote bool // some drives are remote: fan out metadata reads
}

func (e *erasureSet) n() int { return len(e.drives) }

// Open opens (creating when needed) the drives and their metadata stores.
// It fails when any erasure set has fewer than its read quorum of drives
// online, not counting remote drives: those that cannot be reached yet
// come online when their node answers (see DESIGN.md, "Several nodes").
// Before returning it removes orphaned data dirs of the local drives.
func Open(cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Store{
		cfg:    cfg,
		log:    cfg.Logger,
		clock:  cfg.Clock,
		codecs: newCodecs(),
		stop:   make(chan struct{}),
	}
	s.leases.init()
	s.inflight.init()
	if cfg.MetaCacheSize > 0 {
		s.cache = pebble.NewCache(cfg.MetaCacheSize)
	}
	dopts := &driveOptions{sync: cfg.Sync, cache: s.cache, memtable: cfg.MetaMemTableSize, logger: s.log, buffered: cfg.BufferedIO,
		bufferedPrefix: max(cfg.BufferedPrefix, 0)}

	eps := cfg.endpoints()
	sizes := setSizes(len(eps))
	deployment := cfg.DeploymentID
	if deployment == "" {
		var paths []string
		for _, e := range eps {
			paths = append(paths, e.Path)
		}
		var err error
		if deployment, err = s.deploymentID(paths); err != nil {
			s.releaseCache()
			return nil, err
		}
	}
	peers := map[string]*peer{}
	pos := 0
	for si, n := range sizes {
		k, m := cfg.DataShards, cfg.ParityShards
		if k == 0 && m == 0 {
			k, m = DefaultLayout(n)
		}
		enc, err := s.codecs.encoder(k, m)
		if err != nil {
			s.releaseCache()
			return nil, err
		}
		set := &erasureSet{idx: si, lay: layout{data: k, parity: m, blockSize: cfg.BlockSize},
			wq: writeQuorum(k, m), rq: k, enc: enc}
		want := formatFile{Version: 1, Deployment: deployment, Sets: len(sizes), SetDrives: n, Data: k, Parity: m}
		for j := 0; j < n; j++ {
			ep := eps[pos]
			pos++
			w := want
			w.Set, w.Index = si, j
			if ep.remote() {
				p := peers[ep.Node]
				if p == nil {
					p = newPeer(ep.Node, ep.Addr, &cfg)
					peers[ep.Node] = p
					s.peers = append(s.peers, p)
				}
				d := newRemoteDrive(p, ep.Index, si, j, w)
				set.drives = append(set.drives, d)
				s.drives = append(s.drives, d)
				set.remote = true
				continue
			}
			path := ep.Path
			if f, err := readFormat(formatPathOf(path)); err == nil && f.Deployment == deployment &&
				(f.Data != k || f.Parity != m) {
				s.releaseCache()
				return nil, fmt.Errorf("erasure: drive %s is formatted for layout %d+%d, Config.DataShards/ParityShards give %d+%d",
					path, f.Data, f.Parity, k, m)
			}
			d := newLocalDrive(path, si, j, w, dopts)
			set.drives = append(set.drives, d)
			s.drives = append(s.drives, d)
			s.local = append(s.local, d)
		}
		s.sets = append(s.sets, set)
	}

	errs := make([]error, len(s.drives))
	parallel(len(s.drives), func(i int) {
		switch d := s.drives[i].(type) {
		case *localDrive:
			errs[i] = d.open(true)
		case *remoteDrive:
			d.check()
			if !d.online() {
				errs[i] = fmt.Errorf("%s: %s", d.name(), d.status().Error)
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			s.log.Warn("erasure: drive offline at open", "drive", s.drives[i].name(), "err", err)
		}
	}
	for _, set := range s.sets {
		online := 0
		for _, d := range set.drives {
			if d.online() || !d.local() {
				online++
			}
		}
		if online < set.rq {
			s.closeDrives()
			return nil, fmt.Errorf("erasure: set %d has %d of %d drives online, needs %d: %w (%v)",
				set.idx, online, set.n(), set.rq, ErrReadQuorum, errors.Join(errs...))
		}
	}
	if _, err := s.CleanupOrphans(context.Background(), 0); err != nil {
		s.log.Warn("erasure: orphan cleanup at open", "err", err)
	}
	s.healer.init(s)
	s.wg.Add(1)
	go s.healer.run()
	if cfg.HealthInterval > 0 {
		s.wg.Add(1)
		go s.healthLoop()
	}
	if cfg.hasRemote() {
		s.shareDrives()
	}
	if len(s.peers) > 0 {
		s.wg.Add(1)
		go s.leaseLoop()
	}
	return s, nil
}

func formatPathOf(drive string) string { return drive + "/" + sysDir + "/" + formatName }

// deploymentID returns the deployment id most formatted drives agree on, or
// a new one for a fresh deployment.
func (s *Store) deploymentID(drives []string) (string, error) {
	count := map[string]int{}
	best, bestN := "", 0
	for _, d := range drives {
		if d == "" {
			continue
		}
		f, err := readFormat(formatPathOf(d))
		if err != nil {
			continue
		}
		count[f.Deployment]++
		if count[f.Deployment] > bestN {
			best, bestN = f.Deployment, count[f.Deployment]
		}
	}
	if best == "" {
		return hex.EncodeToString(randomBytes(16)), nil
	}
	return best, nil
}

func (s *Store) releaseCache() {
	if s.cache != nil {
		s.cache.Unref()
		s.cache = nil
	}
}

func (s *Store) closeDrives() {
	for _, d := range s.drives {
		_ = d.close()
	}
	for _, p := range s.peers {
		p.close()
	}
	s.releaseCache()
}

// Close flushes and closes every drive. Operations still running fail or
// finish first; Close waits for background heals to stop.
func (s *Store) Close() error {
	s.lifeMu.Lock()
	if s.closed.Swap(true) {
		s.lifeMu.Unlock()
		return nil
	}
	close(s.stop)
	s.lifeMu.Unlock()
	s.wg.Wait()
	s.runRemovals(true)
	s.closeDrives()
	return nil
}

// Layout returns the data and parity shard counts (of the first erasure
// set; all sets have the same unless the drive count splits unevenly).
func (s *Store) Layout() (data, parity int) {
	return s.sets[0].lay.data, s.sets[0].lay.parity
}

// DriveStatus describes every drive, in Config.Drives order.
func (s *Store) DriveStatus() []DriveStatus {
	out := make([]DriveStatus, len(s.drives))
	for i, d := range s.drives {
		out[i] = d.status()
	}
	return out
}

func (s *Store) healthLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.checkDrives()
		}
	}
}

// CheckDrives runs the drive health check now (it also runs every
// Config.HealthInterval): failed drives go offline, returned ones come back.
func (s *Store) CheckDrives() {
	if s.closed.Load() {
		return
	}
	s.checkDrives()
}

// checkDrives checks every drive, in parallel (a remote check waits up to
// Config.RemoteTimeout).
func (s *Store) checkDrives() {
	parallel(len(s.drives), func(i int) { s.drives[i].check() })
}

func (s *Store) setFor(h uint64) *erasureSet {
	return s.sets[h%uint64(len(s.sets))]
}

func (s *Store) keyLock(h uint64) *sync.RWMutex { return &s.keyLocks[h%lockStripes] }

func (s *Store) uploadLock(id uploadID) *sync.Mutex {
	return &s.upLocks[objectHash("", string(id[:]))%lockStripes]
}

func (s *Store) check(bucket, key string) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if bucket == "" || key == "" || len(key) > MaxKeyLength || len(bucket) > MaxKeyLength {
		return fmt.Errorf("%w: bucket %q, key of %d bytes", ErrInvalidKey, bucket, len(key))
	}
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func newID() (id id16) {
	_, _ = rand.Read(id[:])
	return id
}

// parallel runs fn(0..n-1) concurrently and waits.
func parallel(n int, fn func(i int)) {
	if n == 1 {
		fn(0)
		return
	}
	var wg sync.WaitGroup
	wg.Add(n - 1)
	for i := 1; i < n; i++ {
		t := parTask{fn: fn, i: i, wg: &wg}
		select {
		case parTasks <- t:
		default:
			go parWorker(t)
		}
	}
	fn(0)
	wg.Wait()
}

// parTask is one call of a parallel fn.
type parTask struct {
	fn func(int)
	i  int
	wg *sync.WaitGroup
}

// parTasks hands parallel's calls to idle workers. Workers outlive a call
// (until parWorkerIdle without work) so the pebble calls they make run on
// stacks already grown: a fresh goroutine per call spent about a tenth of
// the CPU of a small PUT growing its stack (runtime.newstack).
var parTasks = make(chan parTask)

const parWorkerIdle = 10 * time.Second

func parWorker(t parTask) {
	idle := time.NewTimer(parWorkerIdle)
	defer idle.Stop()
	for {
		t.fn(t.i)
		t.wg.Done()
		t = parTask{}
		idle.Reset(parWorkerIdle)
		select {
		case t = <-parTasks:
		case <-idle.C:
			return
		}
	}
}

// driveTx is one drive's share of a quorum metadata write: ops to apply
// and, should the write miss its quorum, undo to restore what was there.
type driveTx struct {
	ops  []metaOp
	undo []metaOp
}

// applyQuorum applies txs[i] on drive i of set (nil = skip) in parallel.
// When fewer than the write quorum succeed it undoes the successful ones
// and returns ErrWriteQuorum.
func (s *Store) applyQuorum(set *erasureSet, txs []*driveTx) (ok [MaxSetDrives]bool, err error) {
	var errs [MaxSetDrives]error
	parallel(set.n(), func(i int) {
		if txs[i] == nil {
			errs[i] = errDriveOffline
			return
		}
		errs[i] = set.drives[i].metaApply(txs[i].ops, s.cfg.Sync)
		ok[i] = errs[i] == nil
	})
	n := 0
	for i := 0; i < set.n(); i++ {
		if ok[i] {
			n++
		}
	}
	if n >= set.wq {
		return ok, nil
	}
	parallel(set.n(), func(i int) {
		if ok[i] && len(txs[i].undo) > 0 {
			if e := set.drives[i].metaApply(txs[i].undo, s.cfg.Sync); e != nil {
				s.log.Warn("erasure: roll back failed", "drive", set.drives[i].name(), "err", e)
			}
		}
	})
	return [MaxSetDrives]bool{}, fmt.Errorf("%w: %d of %d drives, need %d (%v)", ErrWriteQuorum, n, set.n(), set.wq,
		errors.Join(errs[:set.n()]...))
}

// leaseTable keeps data dirs alive while Objects read them: a data dir
// superseded or deleted while leased is removed when the last reader
// closes.
type leaseTable struct {
	mu      sync.Mutex
	refs    map[id16]int
	pending map[id16][]shardStore
	// With remote drives (lease.go): other nodes' leases (expiry, unix ns)
	// and the removals of local data dirs waiting for them.
	remote map[id16]int64
	queue  []pendingRemoval
}

func (t *leaseTable) init() {
	t.refs = map[id16]int{}
	t.pending = map[id16][]shardStore{}
	t.remote = map[id16]int64{}
}

func (t *leaseTable) acquire(dir id16) {
	t.mu.Lock()
	t.refs[dir]++
	t.mu.Unlock()
}

func (t *leaseTable) release(dir id16) {
	t.mu.Lock()
	n := t.refs[dir] - 1
	if n > 0 {
		t.refs[dir] = n
		t.mu.Unlock()
		return
	}
	delete(t.refs, dir)
	drives := t.pending[dir]
	delete(t.pending, dir)
	t.mu.Unlock()
	for _, d := range drives {
		_ = d.removeDataDir(dir)
	}
}

// removeDataDir removes dir on d now, or when its last reader closes.
// With remote drives, a local drive's dir is removed only after the grace
// period and other nodes' leases (lease.go); a remote drive's owner does
// the same.
func (s *Store) removeDataDir(d shardStore, dir id16) {
	if dir.isZero() {
		return
	}
	if d.local() && s.multiNode.Load() {
		s.deferRemoval(d, dir)
		return
	}
	t := &s.leases
	t.mu.Lock()
	if t.refs[dir] > 0 {
		t.pending[dir] = append(t.pending[dir], d)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	if err := d.removeDataDir(dir); err != nil && !errors.Is(err, errDriveOffline) {
		s.log.Warn("erasure: remove data dir", "drive", d.name(), "err", err)
	}
}

// inflightSet holds the data dirs being written, which orphan cleanup
// must not touch.
type inflightSet struct {
	mu       sync.Mutex
	m        map[id16]int
	watchers int
	seenSet  map[id16]bool // ids added while a cleanup watches
}

func (f *inflightSet) init() { f.m = map[id16]int{} }

func (f *inflightSet) add(id id16) {
	f.mu.Lock()
	f.m[id]++
	if f.watchers > 0 {
		f.seenSet[id] = true
	}
	f.mu.Unlock()
}

func (f *inflightSet) done(id id16) {
	f.mu.Lock()
	if f.m[id]--; f.m[id] <= 0 {
		delete(f.m, id)
	}
	f.mu.Unlock()
}

func (f *inflightSet) has(id id16) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[id] > 0
}

// readValues reads the value of mkey from every drive of set, appending
// them to *buf. vals[i] is nil when drive i has no value (missing[i]) or is
// offline / failed (offline[i]).
type setValues struct {
	vals    [MaxSetDrives][]byte
	missing [MaxSetDrives]bool
	offline [MaxSetDrives]bool
	// noMemo (set by the caller): no conditional write follows this read,
	// so local drives need not remember it (localDrive.metaGetNoMemo).
	noMemo bool
}

// getValue reads key from d for readValues.
func (sv *setValues) getValue(d shardStore, key, dst []byte) ([]byte, error) {
	if ld, ok := d.(*localDrive); ok && sv.noMemo {
		return ld.metaGetNoMemo(key, dst)
	}
	return d.metaGet(key, dst)
}

func (s *Store) readValues(set *erasureSet, mkey []byte, buf *[]byte, sv *setValues) {
	if set.remote {
		s.readValuesParallel(set, mkey, buf, sv)
		return
	}
	b := (*buf)[:0]
	var offs [MaxSetDrives + 1]int
	for i, d := range set.drives {
		offs[i] = len(b)
		var err error
		b, err = sv.getValue(d, mkey, b)
		sv.missing[i] = errors.Is(err, errNotFound)
		sv.offline[i] = err != nil && !sv.missing[i]
		if err != nil {
			b = b[:offs[i]]
		}
	}
	offs[set.n()] = len(b)
	for i := range set.drives {
		if sv.missing[i] || sv.offline[i] {
			sv.vals[i] = nil
		} else {
			sv.vals[i] = b[offs[i]:offs[i+1]:offs[i+1]]
		}
	}
	*buf = b
}

// readValuesParallel is readValues with one request per drive in flight at
// once (for sets with remote drives).
func (s *Store) readValuesParallel(set *erasureSet, mkey []byte, buf *[]byte, sv *setValues) {
	var vals [MaxSetDrives][]byte
	var errs [MaxSetDrives]error
	var wg sync.WaitGroup
	// One request per peer for all its drives of the set.
	var done [MaxSetDrives]bool
	for i, d := range set.drives {
		rd, ok := d.(*remoteDrive)
		if !ok || done[i] {
			continue
		}
		var group [MaxSetDrives]int
		var ds [MaxSetDrives]*remoteDrive
		n := 0
		for j := i; j < set.n(); j++ {
			if o, ok := set.drives[j].(*remoteDrive); ok && o.p == rd.p {
				group[n], ds[n], done[j] = j, o, true
				n++
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out [MaxSetDrives][]byte
			var es [MaxSetDrives]error
			rd.p.metaGetN(ds[:n], mkey, out[:n], es[:n])
			for k := 0; k < n; k++ {
				vals[group[k]], errs[group[k]] = out[k], es[k]
			}
		}()
	}
	for i, d := range set.drives { // local ones meanwhile
		if d.local() {
			vals[i], errs[i] = sv.getValue(d, mkey, nil)
		}
	}
	wg.Wait()
	b := (*buf)[:0]
	var offs [MaxSetDrives + 1]int
	for i := range set.drives {
		offs[i] = len(b)
		sv.missing[i] = errors.Is(errs[i], errNotFound)
		sv.offline[i] = errs[i] != nil && !sv.missing[i]
		if errs[i] == nil {
			b = append(b, vals[i]...)
		}
	}
	offs[set.n()] = len(b)
	for i := range set.drives {
		if errs[i] != nil {
			sv.vals[i] = nil
		} else {
			sv.vals[i] = b[offs[i]:offs[i+1]:offs[i+1]]
		}
	}
	*buf = b
}

// pick is the version of an object chosen from the drives' values: the
// newest version that at least the read quorum of drives hold.
type pick struct {
	found   bool
	hdr     [MaxSetDrives]recHeader // per drive: its record of the version (raw nil = none)
	count   int                     // drives holding it
	meta    int                     // drive whose record has the newest metadata
	dirty   [MaxSetDrives]bool      // drive needs healing (missing, other version, extra records, old metadata)
	offline int
	best    int // most drives any version has (for the error)
}

type candidate struct {
	vid    id16
	commit int64
	count  int
}

// pickVersion chooses the version to serve from sv.
func pickVersion(set *erasureSet, sv *setValues, p *pick) {
	*p = pick{meta: -1}
	var cands [MaxSetDrives * maxValueRecords]candidate
	nc := 0
	var recs [maxValueRecords][]byte
	for i := 0; i < set.n(); i++ {
		if sv.offline[i] {
			p.offline++
			continue
		}
		if sv.vals[i] == nil {
			continue
		}
		rs, ok := splitValue(sv.vals[i], recs[:0])
		if !ok {
			continue
		}
		for _, r := range rs {
			var h recHeader
			if !parseRecHeader(r, &h) {
				continue
			}
			j := 0
			for ; j < nc; j++ {
				if cands[j].vid == h.versionID {
					break
				}
			}
			if j == nc {
				cands[nc] = candidate{vid: h.versionID, commit: h.commitNanos}
				nc++
			}
			cands[j].count++
		}
	}
	bi := -1
	for j := 0; j < nc; j++ {
		c := &cands[j]
		if c.count > p.best {
			p.best = c.count
		}
		if c.count < set.rq {
			continue
		}
		if bi < 0 || c.commit > cands[bi].commit ||
			(c.commit == cands[bi].commit && bytes.Compare(c.vid[:], cands[bi].vid[:]) > 0) {
			bi = j
		}
	}
	if bi < 0 {
		for i := 0; i < set.n(); i++ {
			p.dirty[i] = !sv.offline[i] && sv.vals[i] != nil
		}
		return
	}
	p.found = true
	vid := cands[bi].vid
	for i := 0; i < set.n(); i++ {
		if sv.offline[i] {
			continue
		}
		p.dirty[i] = true
		if sv.vals[i] == nil {
			continue
		}
		rs, _ := splitValue(sv.vals[i], recs[:0])
		for ri, r := range rs {
			var h recHeader
			if parseRecHeader(r, &h) && h.versionID == vid {
				p.hdr[i] = h
				p.count++
				p.dirty[i] = ri != 0 || len(rs) != 1
				if p.meta < 0 || h.metaGen > p.hdr[p.meta].metaGen {
					p.meta = i
				}
				break
			}
		}
	}
	for i := 0; i < set.n(); i++ {
		if p.hdr[i].raw != nil && p.hdr[i].metaGen != p.hdr[p.meta].metaGen {
			p.dirty[i] = true
		}
	}
}

// notFoundErr is the error for an object without a readable version: a
// committed version is on at least the write quorum of drives, so unless
// the offline drives could hide one, the object does not exist.
func (p *pick) notFoundErr(set *erasureSet) error {
	if p.offline > 0 && p.best+p.offline >= set.wq {
		return fmt.Errorf("%w: %d of %d drives offline", ErrReadQuorum, p.offline, set.n())
	}
	return ErrObjectNotFound
}

func (p *pick) needsHeal(set *erasureSet) bool {
	for i := 0; i < set.n(); i++ {
		if p.dirty[i] {
			return true
		}
	}
	return false
}
