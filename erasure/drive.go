package erasure

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/bits"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"
)

// shardStore is one drive as the Store uses it: an ordered, group-committed
// metadata store plus shard streams addressed only by generated ids. The
// Store's quorum, encode, decode and heal logic only talks to this
// interface, so a drive on another node can implement it over the network.
// Implementations are safe for concurrent use.
type shardStore interface {
	// name identifies the drive in logs and DriveStatus (its path).
	name() string
	// online reports whether the drive is serving.
	online() bool
	// status describes the drive for health and metrics.
	status() DriveStatus
	// check verifies the drive (format file present and unchanged); a
	// failing drive goes offline. An offline drive is retried (reopened,
	// or formatted afresh when its folder is back and empty).
	check()
	// close releases the drive; in-flight operations finish first.
	close() error

	// metaGet appends the value of key to dst; errNotFound when absent.
	metaGet(key, dst []byte) ([]byte, error)
	// metaApply applies ops atomically, durably when sync. When an op has
	// cas set and the key's current value differs from op.old, nothing is
	// applied and the error is errConflict.
	metaApply(ops []metaOp, sync bool) error
	// metaIter iterates keys in [lower, upper). The caller must Close it
	// and must not call other methods of the same drive while it is open
	// from the same goroutine in a way that waits on the iterator.
	metaIter(lower, upper []byte) (metaIter, error)

	// createShard creates shard file name in data dir dir (created when
	// missing). With o.replace the file is written aside and renamed over
	// name on commit.
	createShard(dir id16, name string, o createOpts) (shardWriter, error)
	// openShard opens a shard file for reading.
	openShard(dir id16, name string) (shardReader, error)
	// removeShard removes one shard file (missing is not an error).
	removeShard(dir id16, name string) error
	// removeDataDir removes a data dir and everything in it.
	removeDataDir(dir id16) error
	// listDataDir returns the file names in a data dir.
	listDataDir(dir id16) ([]string, error)
	// walkDataDirs calls fn for every data dir on the drive.
	walkDataDirs(fn func(dir id16, modTime time.Time) error) error
	// local reports whether the drive is a folder of this node (only local
	// drives are scanned for orphans and served by a DriveServer).
	local() bool
}

// metaOp is one Set (del false) or Delete of a metadata key, or with del
// and end set, a Delete of every key in [key, end).
//
// With cas set the op is conditional: the whole batch applies only if the
// key's current value equals old (old nil: the key must be absent),
// checked and applied atomically on the drive. This is how writers on
// different nodes, which share no lock, avoid overwriting each other's
// records (see DESIGN.md, "Several nodes").
type metaOp struct {
	key, value []byte
	del        bool
	end        []byte
	cas        bool
	old        []byte
}

// metaIter is an ordered iterator over metadata keys.
type metaIter interface {
	SeekGE(key []byte) bool
	Next() bool
	Valid() bool
	Key() []byte
	Value() []byte
	// Error is the error that ended the iteration early, if any.
	Error() error
	Close() error
}

// shardWriter writes one shard stream.
type shardWriter interface {
	io.Writer
	// commit flushes (fsyncs the file and its folders when sync) and
	// closes; the shard is then in place.
	commit(sync bool) error
	// abort closes and removes what was written.
	abort()
}

// shardReader reads one shard stream.
type shardReader interface {
	io.ReaderAt
	io.Closer
}

type createOpts struct {
	replace  bool
	chown    bool
	uid, gid uint32
}

var (
	errNotFound     = errors.New("erasure: metadata key not found")
	errDriveOffline = errors.New("erasure: drive offline")
	// errConflict: a conditional metadata op found another value.
	errConflict = errors.New("erasure: metadata changed concurrently")
)

// DriveStatus describes one drive for health checks and metrics.
type DriveStatus struct {
	// Path is the drive folder (for a remote drive: its folder on its
	// node, as last reported; empty until it was reached).
	Path string
	// Node is the node serving a remote drive ("" for a local one).
	Node       string
	Set, Index int // erasure set and position in it
	Online     bool
	Error      string // why the drive is offline, or its last error
	FreeBytes  uint64
	TotalBytes uint64
}

// formatFile is <drive>/.tessera/format.json.
type formatFile struct {
	Version    int    `json:"version"`
	Deployment string `json:"deployment"`
	Drive      string `json:"drive"`
	Set        int    `json:"set"`
	Index      int    `json:"index"`
	Sets       int    `json:"sets"`
	SetDrives  int    `json:"setDrives"`
	Data       int    `json:"data"`
	Parity     int    `json:"parity"`
}

const (
	sysDir     = ".tessera"
	formatName = "format.json"
	metaDir    = "meta"
	dataDir    = "data"
)

// driveOptions are shared by all local drives of a Store.
type driveOptions struct {
	sync     bool
	cache    *pebble.Cache
	memtable int
	logger   *slog.Logger
	// buffered writes shard files through the page cache, never with
	// O_DIRECT (Config.BufferedIO; see direct_linux.go).
	buffered bool
	// bufferedPrefix is the start of each shard file written through the
	// page cache even with O_DIRECT (Config.BufferedPrefix).
	bufferedPrefix int64
	// openFile opens shard files for writing; nil means os.OpenFile
	// (tests inject failures).
	openFile func(name string, flag int, perm os.FileMode) (*os.File, error)
}

// dbHandle reference-counts a pebble DB so a drive can be closed (when it
// fails) while operations are in flight: the drive holds one reference and
// the last release closes the DB.
type dbHandle struct {
	db   *pebble.DB
	fmt  *os.File // the format file, kept open for the cheap liveness check
	refs atomic.Int64
	done chan struct{}
	bad  *atomic.Bool
}

func (h *dbHandle) tryAcquire() bool {
	for {
		r := h.refs.Load()
		if r <= 0 {
			return false
		}
		if h.refs.CompareAndSwap(r, r+1) {
			return true
		}
	}
}

func (h *dbHandle) release() {
	if h.refs.Add(-1) == 0 {
		if !h.bad.Load() {
			_ = h.db.Close()
		}
		_ = h.fmt.Close()
		close(h.done)
	}
}

// localDrive is a drive folder on this node.
type localDrive struct {
	dir        string
	set, index int
	want       formatFile // expected format (Drive empty until known)
	o          *driveOptions

	h        atomic.Pointer[dbHandle]
	poisoned atomic.Bool // pebble hit a fatal error: never trust this DB again
	noDirect atomic.Bool // the file system refused O_DIRECT: write shards buffered

	mu      sync.Mutex // serializes open/close/check
	id      string
	lastErr string
	closed  bool // by close: never reopen

	// keyLocks make conditional ops (metaOp.cas) atomic: a batch with a
	// conditional op holds the write lock of its keys' stripes while it
	// checks and applies; other batches hold the read locks.
	keyLocks [driveKeyStripes]sync.RWMutex

	// A commit reads each drive's value (metaGet, for the quorum), then
	// writes it conditionally on that value (metaApply): the memo lets the
	// condition be checked without a second pebble lookup. writeSeq[i]
	// counts writes to stripe i (bumped before and after each write, under
	// the stripe lock), rangeSeq range deletes (which lock no stripe); a
	// memo taken with the same counters as now, by the same DB handle, is
	// still the key's value.
	writeSeq [driveKeyStripes]atomic.Uint64
	rangeSeq atomic.Uint64
	memo     [driveKeyStripes]getMemo
}

// getMemo is the last metaGet of a stripe: the key, whether it had a value
// and the value's length and xxhash, and the counters read before the
// lookup.
type getMemo struct {
	mu        sync.Mutex
	h         *dbHandle
	seq, rseq uint64
	key       []byte
	present   bool
	n         int
	sum       uint64
}

// remember records a lookup of key in stripe st that found val (present)
// or nothing, with the counters read before it.
func (d *localDrive) remember(h *dbHandle, st int, seq, rseq uint64, key []byte, present bool, val []byte) {
	m := &d.memo[st]
	m.mu.Lock()
	m.h, m.seq, m.rseq = h, seq, rseq
	m.key = append(m.key[:0], key...)
	m.present, m.n = present, len(val)
	if present {
		m.sum = xxhash.Sum64(val)
	}
	m.mu.Unlock()
}

// memoMatch reports whether the memo answers the condition of op (known)
// and, if so, whether the current value is op.old (same). The caller holds
// the write lock of the key's stripe st.
func (d *localDrive) memoMatch(h *dbHandle, st int, op *metaOp) (known, same bool) {
	m := &d.memo[st]
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.h != h || m.seq != d.writeSeq[st].Load() || m.rseq != d.rangeSeq.Load() || !bytes.Equal(m.key, op.key) {
		return false, false
	}
	if !m.present {
		return true, op.old == nil
	}
	return true, op.old != nil && len(op.old) == m.n && xxhash.Sum64(op.old) == m.sum
}

func keyStripe(key []byte) int { return int(xxhash.Sum64(key) % driveKeyStripes) }

// driveKeyStripes is the number of per-drive key lock stripes.
const driveKeyStripes = 1024

func newLocalDrive(dir string, set, index int, want formatFile, o *driveOptions) *localDrive {
	return &localDrive{dir: filepath.Clean(dir), set: set, index: index, want: want, o: o}
}

func (d *localDrive) name() string { return d.dir }

func (d *localDrive) local() bool { return true }

// format returns the drive's format as opened (ok false while offline).
func (d *localDrive) format() (formatFile, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f := d.want
	f.Version, f.Drive = 1, d.id
	return f, d.online() && d.id != ""
}

func (d *localDrive) online() bool { return d.h.Load() != nil }

func (d *localDrive) formatPath() string { return filepath.Join(d.dir, sysDir, formatName) }

func readFormat(path string) (formatFile, error) {
	var f formatFile
	b, err := os.ReadFile(path)
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("erasure: %s: %w", path, err)
	}
	if f.Version != 1 || f.Drive == "" || f.Deployment == "" {
		return f, fmt.Errorf("erasure: %s: unsupported format", path)
	}
	return f, nil
}

// formatFresh writes a new format file and the data folders on an empty
// drive folder.
func (d *localDrive) formatFresh() (formatFile, error) {
	f := d.want
	f.Version = 1
	f.Drive = hex.EncodeToString(randomBytes(16))
	if err := os.MkdirAll(filepath.Join(d.dir, sysDir), 0o755); err != nil {
		return f, err
	}
	if err := os.MkdirAll(filepath.Join(d.dir, dataDir), 0o755); err != nil {
		return f, err
	}
	b, _ := json.MarshalIndent(f, "", "  ")
	if err := writeFileSync(d.formatPath(), b); err != nil {
		return f, err
	}
	_ = syncDir(d.dir)
	return f, nil
}

func writeFileSync(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// dirIsEmpty reports whether dir exists and holds nothing.
func dirIsEmpty(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	return len(names) == 0 && errors.Is(err, io.EOF)
}

// open brings the drive online: it checks (or, on an empty folder, writes)
// the format file and opens the metadata store. create allows making the
// drive folder itself.
func (d *localDrive) open(create bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.online() {
		return nil
	}
	if d.closed {
		return errDriveOffline
	}
	err := d.openLocked(create)
	if err != nil {
		d.lastErr = err.Error()
	} else {
		d.lastErr = ""
	}
	return err
}

func (d *localDrive) openLocked(create bool) error {
	if create {
		if err := os.MkdirAll(d.dir, 0o755); err != nil {
			return err
		}
	}
	if _, err := os.Stat(d.dir); err != nil {
		return err
	}
	f, err := readFormat(d.formatPath())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, serr := os.Stat(filepath.Join(d.dir, sysDir, metaDir)); serr == nil || !dirIsEmptyOrOnly(d.dir, sysDir) {
			return fmt.Errorf("erasure: drive %s: format file missing on a used drive", d.dir)
		}
		if f, err = d.formatFresh(); err != nil {
			return err
		}
		d.o.logger.Info("erasure: formatted drive", "drive", d.dir, "set", d.set, "index", d.index)
	case err != nil:
		return err
	}
	if f.Deployment != d.want.Deployment || f.Set != d.set || f.Index != d.index ||
		f.Sets != d.want.Sets || f.SetDrives != d.want.SetDrives {
		return fmt.Errorf("erasure: drive %s: format (deployment %s set %d index %d of %dx%d) does not match its place (deployment %s set %d index %d of %dx%d)",
			d.dir, f.Deployment, f.Set, f.Index, f.Sets, f.SetDrives, d.want.Deployment, d.set, d.index, d.want.Sets, d.want.SetDrives)
	}
	if d.id != "" && d.id != f.Drive {
		d.o.logger.Warn("erasure: drive id changed (drive replaced)", "drive", d.dir, "old", d.id, "new", f.Drive)
	}
	d.poisoned.Store(false)
	ff, err := os.Open(d.formatPath())
	if err != nil {
		return err
	}
	bad := new(atomic.Bool)
	db, err := pebble.Open(filepath.Join(d.dir, sysDir, metaDir), d.pebbleOptions(bad))
	if err != nil {
		ff.Close()
		return fmt.Errorf("erasure: drive %s: open metadata store: %w", d.dir, err)
	}
	d.id = f.Drive
	h := &dbHandle{db: db, fmt: ff, done: make(chan struct{}), bad: bad}
	h.refs.Store(1)
	d.h.Store(h)
	return nil
}

// dirIsEmptyOrOnly reports whether dir holds nothing, or only an (empty or
// format-less) entry named only.
func dirIsEmptyOrOnly(dir, only string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if e.Name() != only {
			return false
		}
	}
	return true
}

type pebbleLogger struct {
	d   *localDrive
	bad *atomic.Bool
}

func (l pebbleLogger) Infof(format string, args ...any) {
	if l.d.o.logger.Enabled(context.Background(), slog.LevelDebug) {
		l.d.o.logger.Debug("pebble: "+fmt.Sprintf(format, args...), "drive", l.d.dir)
	}
}

// Fatalf is called by pebble on errors it cannot recover from (failed WAL
// or MANIFEST writes, typically because the drive failed). Pebble's default
// exits the process; here the drive is marked poisoned and taken offline
// instead, and every operation that was in flight on it counts as failed.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.d.o.logger.Error("erasure: metadata store failed, drive offline", "drive", l.d.dir, "err", msg)
	l.bad.Store(true)
	l.d.poisoned.Store(true)
	go l.d.goOffline(errors.New("metadata store: " + msg))
}

func (d *localDrive) pebbleOptions(bad *atomic.Bool) *pebble.Options {
	o := &pebble.Options{
		Cache:              d.o.cache,
		MemTableSize:       uint64(d.o.memtable),
		MaxOpenFiles:       256,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{d: d, bad: bad},
	}
	o.WALMinSyncInterval = func() time.Duration { return walMinSyncInterval }
	// A PUT of a new key looks the key up on every drive (the quorum read,
	// then the compare-and-swap): without filters each lookup of an absent
	// key reads an index and a data block of every sstable it could be in.
	o.Levels = make([]pebble.LevelOptions, 7)
	for i := range o.Levels {
		o.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		o.Levels[i].FilterType = pebble.TableFilter
	}
	o.EventListener = &pebble.EventListener{
		BackgroundError: func(err error) {
			d.o.logger.Warn("erasure: metadata store background error", "drive", d.dir, "err", err)
			go d.check()
		},
	}
	o.EnsureDefaults()
	return o
}

// walMinSyncInterval spaces the WAL syncs of a drive's metadata store:
// a synced write that comes sooner after the previous sync waits for the
// rest of the interval, and shares the sync with every write that arrives
// meanwhile. A lone write does not wait. Under 32 concurrent 4 KiB PUTs
// this took a third off the node's CPU per PUT (fewer fdatasyncs, each
// costing ext4 journal work) and raised the rate by half (PERFORMANCE.md).
const walMinSyncInterval = time.Millisecond

// goOffline closes the drive after err; in-flight operations finish first.
func (d *localDrive) goOffline(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lastErr = err.Error()
	if h := d.h.Swap(nil); h != nil {
		d.o.logger.Warn("erasure: drive offline", "drive", d.dir, "err", err)
		h.release()
	}
}

// aliveFast is the per-commit check that the drive was not deleted under
// us (a pebble write into a deleted folder still "succeeds"): one fstat of
// the open format file, whose link count drops to 0 when the folder is
// removed or the format file replaced. A folder moved away (unmounted) is
// caught by check, which reads the format file by path.
func (d *localDrive) aliveFast(h *dbHandle) error {
	if d.poisoned.Load() {
		return errDriveOffline
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(h.fmt.Fd()), &st); err != nil || st.Nlink == 0 {
		return fmt.Errorf("%w: format file removed", errDriveOffline)
	}
	return nil
}

// alive checks by path that the drive folder still holds its format file.
func (d *localDrive) alive() error {
	if d.poisoned.Load() {
		return errDriveOffline
	}
	if _, err := os.Stat(d.formatPath()); err != nil {
		return fmt.Errorf("%w: %v", errDriveOffline, err)
	}
	return nil
}

func (d *localDrive) check() {
	if d.online() {
		d.mu.Lock()
		id := d.id
		d.mu.Unlock()
		f, err := readFormat(d.formatPath())
		if err == nil && (f.Drive != id || f.Deployment != d.want.Deployment) {
			err = fmt.Errorf("erasure: drive %s: format file changed", d.dir)
		}
		if err == nil && d.poisoned.Load() {
			err = errors.New("erasure: metadata store failed")
		}
		if err == nil {
			return
		}
		d.goOffline(err)
	}
	// Offline: retry (a folder that is back, or replaced by an empty one).
	if err := d.open(false); err == nil {
		d.o.logger.Info("erasure: drive online", "drive", d.dir)
	}
}

// ioFailed is called with a non-"not found" error of an operation on d: it
// re-checks the drive at once.
func (d *localDrive) ioFailed(err error) {
	if err == nil || errors.Is(err, errNotFound) || errors.Is(err, errDriveOffline) {
		return
	}
	d.mu.Lock()
	d.lastErr = err.Error()
	d.mu.Unlock()
	d.check()
}

func (d *localDrive) close() error {
	d.mu.Lock()
	h := d.h.Swap(nil)
	d.lastErr = "closed"
	d.closed = true
	d.mu.Unlock()
	if h != nil {
		h.release()
		<-h.done
	}
	return nil
}

func (d *localDrive) status() DriveStatus {
	d.mu.Lock()
	st := DriveStatus{Path: d.dir, Set: d.set, Index: d.index, Online: d.online(), Error: d.lastErr}
	d.mu.Unlock()
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(d.dir, &sfs); err == nil {
		st.FreeBytes = sfs.Bavail * uint64(sfs.Bsize)
		st.TotalBytes = sfs.Blocks * uint64(sfs.Bsize)
	}
	return st
}

func (d *localDrive) acquire() (*dbHandle, error) {
	h := d.h.Load()
	if h == nil || !h.tryAcquire() {
		return nil, errDriveOffline
	}
	return h, nil
}

func (d *localDrive) metaGet(key, dst []byte) ([]byte, error) { return d.get(key, dst, true) }

// metaGetNoMemo is metaGet for reads that no conditional write follows
// (GETs): it leaves the stripe's memo alone, saving the value's hash.
func (d *localDrive) metaGetNoMemo(key, dst []byte) ([]byte, error) { return d.get(key, dst, false) }

func (d *localDrive) get(key, dst []byte, memo bool) ([]byte, error) {
	h, err := d.acquire()
	if err != nil {
		return dst, err
	}
	defer h.release()
	st := keyStripe(key)
	seq, rseq := d.writeSeq[st].Load(), d.rangeSeq.Load()
	v, closer, err := h.db.Get(key)
	if err != nil {
		if errors.Is(err, pebble.ErrNotFound) {
			if memo {
				d.remember(h, st, seq, rseq, key, false, nil)
			}
			return dst, errNotFound
		}
		go d.ioFailed(err)
		return dst, err
	}
	if memo {
		d.remember(h, st, seq, rseq, key, true, v)
	}
	dst = append(dst, v...)
	closer.Close()
	return dst, nil
}

func (d *localDrive) metaApply(ops []metaOp, sync bool) error {
	h, err := d.acquire()
	if err != nil {
		return err
	}
	defer h.release()
	var ks keyLockSet
	d.lockKeys(ops, &ks)
	defer d.unlockKeys(&ks)
	for i := range ops {
		op := &ops[i]
		if !op.cas {
			continue
		}
		if known, same := d.memoMatch(h, keyStripe(op.key), op); known {
			if !same {
				return errConflict
			}
			continue
		}
		cur, closer, gerr := h.db.Get(op.key)
		switch {
		case errors.Is(gerr, pebble.ErrNotFound):
			if op.old != nil {
				return errConflict
			}
		case gerr != nil:
			go d.ioFailed(gerr)
			return gerr
		default:
			same := op.old != nil && bytes.Equal(cur, op.old)
			closer.Close()
			if !same {
				return errConflict
			}
		}
	}
	wo := pebble.NoSync
	if sync {
		wo = pebble.Sync
	}
	d.bumpWriteSeqs(ops, &ks)
	defer d.bumpWriteSeqs(ops, &ks)
	if len(ops) == 1 && ops[0].end == nil {
		if ops[0].del {
			err = h.db.Delete(ops[0].key, wo)
		} else {
			err = h.db.Set(ops[0].key, ops[0].value, wo)
		}
	} else {
		b := h.db.NewBatch()
		for _, op := range ops {
			if op.del && op.end != nil {
				_ = b.DeleteRange(op.key, op.end, nil)
			} else if op.del {
				_ = b.Delete(op.key, nil)
			} else {
				_ = b.Set(op.key, op.value, nil)
			}
		}
		err = h.db.Apply(b, wo)
		_ = b.Close()
	}
	if err == nil {
		err = d.aliveFast(h)
	}
	if err != nil {
		d.ioFailed(err)
		if errors.Is(err, errDriveOffline) {
			go d.check()
		}
		return err
	}
	return nil
}

// bumpWriteSeqs advances the write counters of the stripes a batch locked,
// and the range counter when it has a range delete: called before and
// after the write, so a memo taken meanwhile never matches.
func (d *localDrive) bumpWriteSeqs(ops []metaOp, ks *keyLockSet) {
	for _, op := range ops {
		if op.end != nil {
			d.rangeSeq.Add(1)
			break
		}
	}
	if ks.one >= 0 {
		d.writeSeq[ks.one].Add(1)
		return
	}
	for w, bs := range ks.set {
		for bs != 0 {
			d.writeSeq[w*64+bits.TrailingZeros64(bs)].Add(1)
			bs &= bs - 1
		}
	}
}

// keyLockSet is the stripes a batch locks (see localDrive.keyLocks).
type keyLockSet struct {
	one  int // the single stripe of a one-key batch, or -1
	set  [driveKeyStripes / 64]uint64
	excl bool
}

// lockKeys takes the key stripe locks of a batch (write locks when it has
// a conditional op, else read locks; range deletes take none), in stripe
// order. Release with unlockKeys.
func (d *localDrive) lockKeys(ops []metaOp, ks *keyLockSet) {
	ks.one = -1
	for _, op := range ops {
		ks.excl = ks.excl || op.cas
	}
	if len(ops) == 1 {
		if ops[0].end == nil {
			ks.one = keyStripe(ops[0].key)
			if ks.excl {
				d.keyLocks[ks.one].Lock()
			} else {
				d.keyLocks[ks.one].RLock()
			}
		}
		return
	}
	for _, op := range ops {
		if op.end == nil {
			i := xxhash.Sum64(op.key) % driveKeyStripes
			ks.set[i/64] |= 1 << (i % 64)
		}
	}
	for w, bs := range ks.set {
		for bs != 0 {
			i := w*64 + bits.TrailingZeros64(bs)
			bs &= bs - 1
			if ks.excl {
				d.keyLocks[i].Lock()
			} else {
				d.keyLocks[i].RLock()
			}
		}
	}
}

func (d *localDrive) unlockKeys(ks *keyLockSet) {
	if ks.one >= 0 {
		if ks.excl {
			d.keyLocks[ks.one].Unlock()
		} else {
			d.keyLocks[ks.one].RUnlock()
		}
		return
	}
	for w, bs := range ks.set {
		for bs != 0 {
			i := w*64 + bits.TrailingZeros64(bs)
			bs &= bs - 1
			if ks.excl {
				d.keyLocks[i].Unlock()
			} else {
				d.keyLocks[i].RUnlock()
			}
		}
	}
}

type localIter struct {
	*pebble.Iterator
	h *dbHandle
}

func (it *localIter) Close() error {
	err := it.Iterator.Close()
	it.h.release()
	return err
}

func (d *localDrive) metaIter(lower, upper []byte) (metaIter, error) {
	h, err := d.acquire()
	if err != nil {
		return nil, err
	}
	it, err := h.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		h.release()
		return nil, err
	}
	return &localIter{Iterator: it, h: h}, nil
}

// dataDirPath is <drive>/data/<xx>/<32 hex>.
func (d *localDrive) dataDirPath(dir id16) string {
	var b [2 * 16]byte
	hex.Encode(b[:], dir[:])
	return d.dir + "/" + dataDir + "/" + string(b[:2]) + "/" + string(b[:])
}

func (d *localDrive) shardPath(dir id16, name string) string {
	var b [2 * 16]byte
	hex.Encode(b[:], dir[:])
	return d.dir + "/" + dataDir + "/" + string(b[:2]) + "/" + string(b[:]) + "/" + name
}

// mkdirData creates a data dir (and its <xx> parent when missing) without
// ever creating the drive folder itself: a vanished drive must fail, not
// silently come back on the root file system. created counts the folders
// this call made (0, 1: the data dir, 2: also <xx>), so commit knows which
// parents to fsync.
func (d *localDrive) mkdirData(p string) (created int, err error) {
	err = os.Mkdir(p, 0o755)
	if err == nil {
		return 1, nil
	}
	if errors.Is(err, fs.ErrExist) {
		return 0, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	// <xx> (or data/) is missing: create it only while the drive's format
	// file is in place.
	if aerr := d.alive(); aerr != nil {
		return 0, aerr
	}
	xx := filepath.Dir(p)
	if e := os.Mkdir(filepath.Dir(xx), 0o755); e != nil && !errors.Is(e, fs.ErrExist) {
		return 0, e
	}
	created = 1
	if e := os.Mkdir(xx, 0o755); e == nil {
		created = 2
	} else if !errors.Is(e, fs.ErrExist) {
		return 0, e
	}
	if err = os.Mkdir(p, 0o755); err == nil {
		return created, nil
	}
	if errors.Is(err, fs.ErrExist) {
		return 0, nil
	}
	return 0, err
}

type localShardWriter struct {
	d       *localDrive
	f       *os.File
	dirPath string
	final   string
	tmp     string
	created int // folders created for this shard (see mkdirData)
}

func (d *localDrive) createShard(dir id16, name string, o createOpts) (shardWriter, error) {
	if !d.online() {
		return nil, errDriveOffline
	}
	dp := d.dataDirPath(dir)
	created, err := d.mkdirData(dp)
	if err != nil {
		d.ioFailed(err)
		return nil, err
	}
	w := &localShardWriter{d: d, dirPath: dp, final: dp + "/" + name, created: created}
	path := w.final
	if o.replace {
		w.tmp = w.final + ".heal-" + hex.EncodeToString(randomBytes(4))
		path = w.tmp
	}
	f, direct, err := d.openShardFile(path)
	if err != nil {
		d.ioFailed(err)
		return nil, err
	}
	if o.chown {
		if created > 0 {
			_ = os.Chown(dp, int(o.uid), int(o.gid))
		}
		_ = f.Chown(int(o.uid), int(o.gid))
	}
	w.f = f
	if direct {
		return newDirectShardWriter(w, d.o.bufferedPrefix), nil
	}
	return w, nil
}

func (w *localShardWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		w.d.ioFailed(err)
	}
	return n, err
}

func (w *localShardWriter) commit(sync bool) error {
	var err error
	if sync {
		err = w.f.Sync()
	}
	return w.place(sync, err)
}

// place finishes a commit once the file's data is written (and synced
// when sync; err is the error of doing so): it closes the file, renames it
// into place, fsyncs the folders, and on any error removes the file.
func (w *localShardWriter) place(sync bool, err error) error {
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil && w.tmp != "" {
		err = os.Rename(w.tmp, w.final)
	}
	if err == nil && sync {
		// The file's entry, the data dir's entry in <xx>, and <xx>'s in data/.
		p := w.dirPath
		for i := 0; i <= w.created && err == nil; i++ {
			err = syncDir(p)
			p = filepath.Dir(p)
		}
	}
	if err != nil {
		w.d.ioFailed(err)
		w.remove()
	}
	return err
}

func (w *localShardWriter) remove() {
	if w.tmp != "" {
		_ = os.Remove(w.tmp)
	} else {
		_ = os.Remove(w.final)
	}
}

func (w *localShardWriter) abort() {
	_ = w.f.Close()
	w.remove()
}

func (d *localDrive) openShard(dir id16, name string) (shardReader, error) {
	if !d.online() {
		return nil, errDriveOffline
	}
	f, err := os.Open(d.shardPath(dir, name))
	if err != nil {
		// A missing file may mean the drive vanished: check at once.
		d.ioFailed(err)
		return nil, err
	}
	return f, nil
}

func (d *localDrive) removeShard(dir id16, name string) error {
	if !d.online() {
		return errDriveOffline
	}
	err := os.Remove(d.shardPath(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (d *localDrive) removeDataDir(dir id16) error {
	if !d.online() {
		return errDriveOffline
	}
	return os.RemoveAll(d.dataDirPath(dir))
}

func (d *localDrive) listDataDir(dir id16) ([]string, error) {
	if !d.online() {
		return nil, errDriveOffline
	}
	f, err := os.Open(d.dataDirPath(dir))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

func (d *localDrive) walkDataDirs(fn func(dir id16, modTime time.Time) error) error {
	if !d.online() {
		return errDriveOffline
	}
	data := filepath.Join(d.dir, dataDir)
	xxs, err := os.ReadDir(data)
	if err != nil {
		return err
	}
	for _, xx := range xxs {
		if !xx.IsDir() || len(xx.Name()) != 2 {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(data, xx.Name()))
		if err != nil {
			return err
		}
		for _, e := range ents {
			var id id16
			if len(e.Name()) != 32 {
				continue
			}
			if _, err := hex.Decode(id[:], []byte(e.Name())); err != nil {
				continue
			}
			var mt time.Time
			if info, err := e.Info(); err == nil {
				mt = info.ModTime()
			}
			if err := fn(id, mt); err != nil {
				return err
			}
		}
	}
	return nil
}
