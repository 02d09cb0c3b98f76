package erasure

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Client side of the drive protocol (wire.go): a peer is one remote node
// (its drive server), shared by the remoteDrives it serves; it pools
// persistent connections, each carrying one request at a time.

const (
	// peerMaxIdle caps the idle connections kept per peer.
	peerMaxIdle = 64
	// idleCheckAfter: a connection idle longer than this is checked for a
	// close by the server before it is reused.
	idleCheckAfter = time.Second
	// idleDropAfter: idle connections older than this are closed rather
	// than reused (the server closes them after its IdleTimeout).
	idleDropAfter = time.Minute
	// drainLimit: an abandoned read stream with at most this many bytes
	// left is drained (and its connection reused) rather than closed.
	drainLimit = 256 << 10
)

// peer is one remote node's drive server.
type peer struct {
	node, addr string
	dial       func(ctx context.Context, addr string) (net.Conn, error)
	timeout    time.Duration
	retry      time.Duration
	log        *slog.Logger

	mu      sync.Mutex
	idle    []*rconn
	closed  bool
	lastErr string
	drives  []*remoteDrive
	leases  map[id16]int // data dirs this node's open Objects read there

	down      atomic.Bool  // the last contact failed: skip the peer's drives
	nextProbe atomic.Int64 // unix ns of the next background re-probe
	probing   atomic.Bool
	wg        sync.WaitGroup
}

func newPeer(node, addr string, cfg *Config) *peer {
	return &peer{node: node, addr: addr, dial: cfg.Dial, timeout: cfg.RemoteTimeout, retry: cfg.RemoteRetry,
		log: cfg.Logger}
}

// rconn is one pooled connection.
type rconn struct {
	p    *peer
	c    net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	out  wbuf
	in   []byte
	used time.Time
}

// conn returns a connection: an idle one, or a new one (dialed and
// greeted within the timeout). Unless probe, a peer that is down fails at
// once with errDriveOffline (and a background re-probe is due).
func (p *peer) conn(probe bool) (*rconn, error) {
	if !probe && p.down.Load() {
		p.maybeReprobe()
		return nil, p.offlineErr()
	}
	now := time.Now()
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, fmt.Errorf("%w: store closed", errDriveOffline)
		}
		var rc *rconn
		if n := len(p.idle); n > 0 {
			rc = p.idle[n-1]
			p.idle = p.idle[:n-1]
		}
		p.mu.Unlock()
		if rc == nil {
			break
		}
		idle := now.Sub(rc.used)
		if idle > idleDropAfter || (idle > idleCheckAfter && !rc.alive()) {
			rc.c.Close()
			continue
		}
		return rc, nil
	}
	rc, err := p.dialConn()
	if err != nil {
		p.fail(err)
		return nil, fmt.Errorf("%w: node %s (%s): %v", errDriveOffline, p.node, p.addr, err)
	}
	return rc, nil
}

func (p *peer) offlineErr() error {
	p.mu.Lock()
	msg := p.lastErr
	p.mu.Unlock()
	return fmt.Errorf("%w: node %s unreachable: %s", errDriveOffline, p.node, msg)
}

func (p *peer) dialConn() (*rconn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	c, err := p.dial(ctx, p.addr)
	if err != nil {
		return nil, err
	}
	rc := &rconn{p: p, c: c, r: bufio.NewReaderSize(c, 64<<10), w: bufio.NewWriterSize(c, 64<<10)}
	// Hello.
	rc.deadline()
	rc.out.start(opHello)
	rc.out.raw([]byte(wireMagic))
	rc.out.u8(wireVersion)
	st, body, err := rc.roundTrip()
	if err == nil {
		r := rbuf{b: body}
		if st != stOK {
			err = errorOf(p.node, st, r.str(maxErrMsg))
		} else {
			v := r.u8()
			id := r.str(128)
			switch {
			case r.end() != nil:
				err = errProtocol
			case v != wireVersion:
				err = fmt.Errorf("erasure: drive protocol version %d, want %d", v, wireVersion)
			case id != p.node:
				err = fmt.Errorf("erasure: %s is node %q, not %q", p.addr, id, p.node)
			}
		}
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return rc, nil
}

// alive reports whether an idle connection was not closed by the server:
// a read with a deadline a few microseconds ahead sees EOF, or times out.
func (rc *rconn) alive() bool {
	_ = rc.c.SetReadDeadline(time.Now().Add(20 * time.Microsecond))
	_, err := rc.r.Peek(1)
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// release returns a healthy connection to the pool.
func (rc *rconn) release() {
	p := rc.p
	rc.used = time.Now()
	if cap(rc.in) > 1<<20 {
		rc.in = nil
	}
	if cap(rc.out.b) > 1<<20 {
		rc.out.b = nil
	}
	p.mu.Lock()
	if p.closed || len(p.idle) >= peerMaxIdle || p.down.Load() {
		p.mu.Unlock()
		rc.c.Close()
		return
	}
	p.idle = append(p.idle, rc)
	p.mu.Unlock()
}

// broken closes a connection after an I/O or protocol error and takes the
// peer offline. It returns the error to report (errDriveOffline).
func (rc *rconn) broken(err error) error {
	rc.c.Close()
	rc.p.fail(err)
	return fmt.Errorf("%w: node %s: %v", errDriveOffline, rc.p.node, err)
}

func (rc *rconn) deadline() { _ = rc.c.SetDeadline(time.Now().Add(rc.p.timeout)) }

// roundTrip sends the frame in rc.out and reads the answer frame (skipping
// keep-alives) into rc.in. err is an I/O or protocol error.
func (rc *rconn) roundTrip() (st byte, body []byte, err error) {
	if _, err := rc.w.Write(rc.out.frame()); err != nil {
		return 0, nil, err
	}
	if err := rc.w.Flush(); err != nil {
		return 0, nil, err
	}
	return rc.readAnswer(time.Time{})
}

// errCommitTooSlow: a shard commit kept the server busy beyond
// maxCommitWait (it sent keep-alives all along).
var errCommitTooSlow = errors.New("erasure: remote shard commit took too long")

// maxCommitWaits bounds a shard commit's total wait, in RemoteTimeouts.
const maxCommitWaits = 12

// readAnswer reads the answer frame, skipping keep-alives (stProgress)
// until the zero-or-not until.
func (rc *rconn) readAnswer(until time.Time) (st byte, body []byte, err error) {
	for {
		if !until.IsZero() && time.Now().After(until) {
			return 0, nil, errCommitTooSlow
		}
		_ = rc.c.SetReadDeadline(time.Now().Add(rc.p.timeout))
		st, n, err := readFrameHeader(rc.r)
		if err != nil {
			return 0, nil, err
		}
		if rc.in, err = readAppend(rc.r, rc.in[:0], n); err != nil {
			return 0, nil, err
		}
		if st == stBadRequest {
			return 0, nil, fmt.Errorf("%w: the server rejected the request", errProtocol)
		}
		if st != stProgress {
			return st, rc.in, nil
		}
	}
}

// fail takes the peer offline after a failed contact: its drives are
// skipped until a re-probe (every retry interval while it is used, and by
// the health loop) reaches it again.
func (p *peer) fail(err error) {
	p.nextProbe.Store(time.Now().Add(p.retry).UnixNano())
	p.mu.Lock()
	p.lastErr = err.Error()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, rc := range idle {
		rc.c.Close()
	}
	if !p.down.Swap(true) {
		p.log.Warn("erasure: remote node unreachable, its drives are offline", "node", p.node, "addr", p.addr, "err", err)
	}
}

// maybeReprobe starts a background re-probe when one is due.
func (p *peer) maybeReprobe() {
	if time.Now().UnixNano() < p.nextProbe.Load() || !p.probing.CompareAndSwap(false, true) {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.probing.Store(false)
		return
	}
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		defer p.probing.Store(false)
		p.reprobe()
	}()
}

// reprobe contacts the peer and refreshes every drive's status; on success
// the peer is up again.
func (p *peer) reprobe() bool {
	p.nextProbe.Store(time.Now().Add(p.retry).UnixNano())
	p.mu.Lock()
	drives := append([]*remoteDrive(nil), p.drives...)
	p.mu.Unlock()
	for _, d := range drives {
		if err := d.refresh(); err != nil {
			return false
		}
	}
	if p.down.Swap(false) {
		p.log.Info("erasure: remote node reachable again", "node", p.node, "addr", p.addr)
	}
	return true
}

func (p *peer) flushIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, rc := range idle {
		rc.c.Close()
	}
}

func (p *peer) close() {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, rc := range idle {
		rc.c.Close()
	}
	p.wg.Wait()
}

// do runs one request on a pooled connection: build writes the request
// into w, parse reads the answer (st != stOK answers are mapped to errors
// before parse is called). A connection reused from the pool that fails
// before any answer arrived (closed by a restarted server) is retried
// once on a new one.
func (p *peer) do(probe bool, build func(w *wbuf), parse func(r *rbuf) error) error {
	for attempt := 0; ; attempt++ {
		rc, err := p.conn(probe)
		if err != nil {
			return err
		}
		reused := !rc.used.IsZero()
		rc.deadline()
		build(&rc.out)
		st, body, err := rc.roundTrip()
		if err != nil {
			if reused && attempt == 0 && !isTimeout(err) {
				// Probably closed by a restarted server, like the
				// other idle connections: drop them and dial.
				rc.c.Close()
				p.flushIdle()
				continue
			}
			return rc.broken(err)
		}
		r := rbuf{b: body}
		if st != stOK {
			msg := r.str(maxErrMsg)
			rc.release()
			return errorOf(p.node, st, msg)
		}
		if parse != nil {
			if err := parse(&r); err != nil {
				return rc.broken(err)
			}
		}
		rc.release()
		return nil
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// remoteDrive is a drive of another node, reached through its peer.
type remoteDrive struct {
	p          *peer
	idx        uint16 // the drive's index on its node
	set, index int    // position in this Store's layout
	want       formatFile
	log        *slog.Logger

	up     atomic.Bool // the last status said online, with the expected format
	closed atomic.Bool

	mu      sync.Mutex
	lastErr string
	id      string // drive id of the last status
	path    string
	free    uint64
	total   uint64
}

func newRemoteDrive(p *peer, idx, set, index int, want formatFile) *remoteDrive {
	d := &remoteDrive{p: p, idx: uint16(idx), set: set, index: index, want: want, log: p.log}
	d.lastErr = "not contacted yet"
	p.mu.Lock()
	p.drives = append(p.drives, d)
	p.mu.Unlock()
	return d
}

func (d *remoteDrive) name() string { return d.p.node + "#" + strconv.Itoa(int(d.idx)) }

func (d *remoteDrive) local() bool { return false }

func (d *remoteDrive) online() bool {
	if d.closed.Load() {
		return false
	}
	if d.up.Load() && !d.p.down.Load() {
		return true
	}
	d.p.maybeReprobe()
	return false
}

func (d *remoteDrive) status() DriveStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := DriveStatus{Path: d.path, Node: d.p.node, Set: d.set, Index: d.index, Online: d.online(),
		Error: d.lastErr, FreeBytes: d.free, TotalBytes: d.total}
	if d.p.down.Load() {
		d.p.mu.Lock()
		st.Error = "node unreachable: " + d.p.lastErr
		d.p.mu.Unlock()
	}
	return st
}

// check refreshes the drive's status (the health loop calls it).
func (d *remoteDrive) check() {
	if d.closed.Load() {
		return
	}
	if d.p.down.Load() {
		d.p.reprobe()
		return
	}
	_ = d.refresh()
}

// refresh asks the drive's status and checks its format against this
// drive's place; an I/O failure takes the peer offline and is returned.
func (d *remoteDrive) refresh() error {
	var online, formatted bool
	var msg, path string
	var free, total uint64
	var f formatFile
	err := d.p.do(true, func(w *wbuf) {
		w.start(opStatus)
		w.u16(d.idx)
	}, func(r *rbuf) error {
		online = r.u8() == 1
		msg = r.str(maxErrMsg)
		free, total = r.u64(), r.u64()
		formatted = r.u8() == 1
		f.Version = 1
		f.Deployment = r.str(256)
		f.Drive = r.str(256)
		f.Set, f.Index, f.Sets = r.small(1<<20), r.small(1<<20), r.small(1<<20)
		f.SetDrives, f.Data, f.Parity = r.small(1<<20), r.small(1<<20), r.small(1<<20)
		path = r.str(4096)
		return r.end()
	})
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		if !errors.Is(err, errDriveOffline) || !d.p.down.Load() {
			// The server answered with an error about this drive.
			d.setDown(err.Error())
			return nil
		}
		return err
	}
	d.free, d.total, d.path = free, total, path
	w := d.want
	switch {
	case !online:
		d.setDown("offline on its node: " + msg)
	case !formatted:
		d.setDown("not formatted yet")
	case f.Deployment != w.Deployment || f.Set != w.Set || f.Index != w.Index || f.Sets != w.Sets ||
		f.SetDrives != w.SetDrives || f.Data != w.Data || f.Parity != w.Parity:
		d.setDown(fmt.Sprintf("formatted for another place: deployment %s set %d index %d of %dx%d layout %d+%d, this place is deployment %s set %d index %d of %dx%d layout %d+%d",
			f.Deployment, f.Set, f.Index, f.Sets, f.SetDrives, f.Data, f.Parity,
			w.Deployment, w.Set, w.Index, w.Sets, w.SetDrives, w.Data, w.Parity))
	default:
		if d.id != "" && d.id != f.Drive {
			d.log.Warn("erasure: remote drive id changed (drive replaced)", "drive", d.name(), "old", d.id, "new", f.Drive)
		}
		d.id = f.Drive
		d.lastErr = ""
		if !d.up.Swap(true) {
			d.log.Info("erasure: remote drive online", "drive", d.name(), "path", path)
		}
	}
	return nil
}

// setDown marks the drive offline; d.mu is held.
func (d *remoteDrive) setDown(msg string) {
	if d.up.Swap(false) || d.lastErr != msg {
		d.log.Warn("erasure: remote drive offline", "drive", d.name(), "err", msg)
	}
	d.lastErr = msg
}

// driveErr notes an answer of the server that says this drive is offline.
func (d *remoteDrive) driveErr(err error) error {
	if errors.Is(err, errDriveOffline) && !d.p.down.Load() {
		d.mu.Lock()
		d.setDown(err.Error())
		d.mu.Unlock()
	}
	return err
}

func (d *remoteDrive) close() error {
	d.closed.Store(true)
	return nil
}

func (d *remoteDrive) ready() error {
	if !d.online() {
		if d.closed.Load() {
			return fmt.Errorf("%w: closed", errDriveOffline)
		}
		d.mu.Lock()
		msg := d.lastErr
		d.mu.Unlock()
		if d.p.down.Load() {
			return d.p.offlineErr()
		}
		return fmt.Errorf("%w: %s: %s", errDriveOffline, d.name(), msg)
	}
	return nil
}

func (d *remoteDrive) metaGet(key, dst []byte) ([]byte, error) {
	if err := d.ready(); err != nil {
		return dst, err
	}
	err := d.p.do(false, func(w *wbuf) {
		w.start(opMetaGet)
		w.u16(d.idx)
		w.bytes(key)
	}, func(r *rbuf) error {
		dst = append(dst, r.b...)
		return nil
	})
	return dst, d.driveErr(err)
}

// metaGetN reads key from several drives of this peer in one request;
// out[i] and errs[i] are drive ds[i]'s answer (a value appended to nil).
func (p *peer) metaGetN(ds []*remoteDrive, key []byte, out [][]byte, errs []error) {
	var idx [MaxSetDrives]int
	n := 0
	for i, d := range ds {
		if errs[i] = d.ready(); errs[i] == nil {
			idx[n] = i
			n++
		}
	}
	if n == 0 {
		return
	}
	if n == 1 {
		out[idx[0]], errs[idx[0]] = ds[idx[0]].metaGet(key, nil)
		return
	}
	err := p.do(false, func(w *wbuf) {
		w.start(opMetaGetN)
		w.u8(byte(n))
		for _, i := range idx[:n] {
			w.u16(ds[i].idx)
		}
		w.bytes(key)
	}, func(r *rbuf) error {
		for _, i := range idx[:n] {
			st := r.u8()
			v := r.bytes(maxFrame)
			if r.bad {
				return errProtocol
			}
			if st == stOK {
				out[i] = append([]byte(nil), v...)
			} else {
				errs[i] = ds[i].driveErr(errorOf(p.node, st, string(v)))
			}
		}
		return r.end()
	})
	if err != nil {
		for _, i := range idx[:n] {
			errs[i] = err
		}
	}
}

func (d *remoteDrive) metaApply(ops []metaOp, sync bool) error {
	if err := d.ready(); err != nil {
		return err
	}
	return d.driveErr(d.p.do(false, func(w *wbuf) {
		w.start(opMetaApply)
		encodeApply(w, d.idx, ops, sync)
	}, nil))
}

func (d *remoteDrive) metaIter(lower, upper []byte) (metaIter, error) {
	if err := d.ready(); err != nil {
		return nil, err
	}
	return &remoteIter{d: d, lower: lower, upper: upper, page: 32}, nil
}

func (d *remoteDrive) createShard(dir id16, name string, o createOpts) (shardWriter, error) {
	if err := d.ready(); err != nil {
		return nil, err
	}
	rc, err := d.p.conn(false)
	if err != nil {
		return nil, err
	}
	var fl byte
	if o.replace {
		fl |= flagReplace
	}
	if o.chown {
		fl |= flagChown
	}
	rc.out.start(opCreate)
	rc.out.u16(d.idx)
	rc.out.raw(dir[:])
	rc.out.str(name)
	rc.out.u8(fl)
	rc.out.u32(o.uid)
	rc.out.u32(o.gid)
	_ = rc.c.SetWriteDeadline(time.Now().Add(d.p.timeout))
	if _, err := rc.w.Write(rc.out.frame()); err != nil {
		return nil, rc.broken(err)
	}
	return &remoteWriter{d: d, rc: rc}, nil
}

func (d *remoteDrive) openShard(dir id16, name string) (shardReader, error) {
	if err := d.ready(); err != nil {
		return nil, err
	}
	return &remoteReader{d: d, dir: dir, name: name}, nil
}

func (d *remoteDrive) removeShard(dir id16, name string) error {
	if err := d.ready(); err != nil {
		return err
	}
	return d.driveErr(d.p.do(false, func(w *wbuf) {
		w.start(opRemoveShard)
		w.u16(d.idx)
		w.raw(dir[:])
		w.str(name)
	}, nil))
}

func (d *remoteDrive) removeDataDir(dir id16) error {
	if err := d.ready(); err != nil {
		return err
	}
	return d.driveErr(d.p.do(false, func(w *wbuf) {
		w.start(opRemoveDir)
		w.u16(d.idx)
		w.raw(dir[:])
	}, nil))
}

func (d *remoteDrive) listDataDir(dir id16) ([]string, error) {
	if err := d.ready(); err != nil {
		return nil, err
	}
	var names []string
	err := d.p.do(false, func(w *wbuf) {
		w.start(opListDir)
		w.u16(d.idx)
		w.raw(dir[:])
	}, func(r *rbuf) error {
		n := r.small(maxDirNames)
		if n > len(r.b) {
			return errProtocol
		}
		names = make([]string, 0, n)
		for i := 0; i < n && !r.bad; i++ {
			names = append(names, r.str(maxShardName))
		}
		return r.end()
	})
	return names, d.driveErr(err)
}

func (d *remoteDrive) walkDataDirs(fn func(dir id16, modTime time.Time) error) error {
	return errRemoteWalk
}

// remoteWriter streams one shard file to the drive server. The connection
// is held until commit or abort.
type remoteWriter struct {
	d   *remoteDrive
	rc  *rconn
	err error
}

func (w *remoteWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	rc := w.rc
	done := 0
	for len(p) > 0 {
		c := min(len(p), dataChunk)
		_ = rc.c.SetWriteDeadline(time.Now().Add(w.d.p.timeout))
		var h [5]byte
		h[0], h[1], h[2], h[3] = byte((c+1)>>24), byte((c+1)>>16), byte((c+1)>>8), byte(c+1)
		h[4] = opData
		if _, err := rc.w.Write(h[:]); err != nil {
			w.err = rc.broken(err)
			w.rc = nil
			return done, w.err
		}
		if _, err := rc.w.Write(p[:c]); err != nil {
			w.err = rc.broken(err)
			w.rc = nil
			return done, w.err
		}
		done += c
		p = p[c:]
	}
	return done, nil
}

func (w *remoteWriter) commit(sync bool) error {
	if w.err != nil {
		return w.err
	}
	rc := w.rc
	w.rc = nil
	w.err = errors.New("erasure: shard writer already committed")
	_ = rc.c.SetWriteDeadline(time.Now().Add(w.d.p.timeout))
	rc.out.start(opCommit)
	if sync {
		rc.out.u8(1)
	} else {
		rc.out.u8(0)
	}
	var st byte
	var body []byte
	_, err := rc.w.Write(rc.out.frame())
	if err == nil {
		err = rc.w.Flush()
	}
	if err == nil {
		// The server sends keep-alives while it syncs: a slow disk is not
		// a dead peer, but the wait is still bounded.
		st, body, err = rc.readAnswer(time.Now().Add(maxCommitWaits * w.d.p.timeout))
	}
	if err != nil {
		return rc.broken(err)
	}
	r := rbuf{b: body}
	msg := ""
	if st != stOK {
		msg = r.str(maxErrMsg)
	}
	rc.release()
	return w.d.driveErr(errorOf(w.d.p.node, st, msg))
}

// abort drops the stream: closing the connection makes the server remove
// what it wrote.
func (w *remoteWriter) abort() {
	if w.rc != nil {
		w.rc.c.Close()
		w.rc = nil
	}
	if w.err == nil {
		w.err = errAborted
	}
}

// remoteReader reads a shard file of a remote drive. It implements
// shardPrefetcher: a prefetched range is requested at once and then
// consumed by sequential ReadAt calls (one connection per open stream);
// any other ReadAt is one request.
type remoteReader struct {
	d    *remoteDrive
	dir  id16
	name string

	rc       *rconn // open stream, or nil
	pos, end int64  // next stream byte; end of the stream
	hdr      bool   // the stream's answer header was read
}

func (r *remoteReader) prefetch(off, end int64) {
	if r.rc != nil {
		if r.pos == off && r.end >= end {
			return
		}
		r.abandon()
	}
	if end > off {
		_ = r.request(off, end)
	}
}

func (r *remoteReader) request(off, end int64) error {
	rc, err := r.d.p.conn(false)
	if err != nil {
		return err
	}
	rc.deadline()
	rc.out.start(opRead)
	rc.out.u16(r.d.idx)
	rc.out.raw(r.dir[:])
	rc.out.str(r.name)
	rc.out.u64(uint64(off))
	rc.out.u64(uint64(end - off))
	if _, err := rc.w.Write(rc.out.frame()); err != nil {
		return rc.broken(err)
	}
	if err := rc.w.Flush(); err != nil {
		return rc.broken(err)
	}
	r.rc, r.pos, r.end, r.hdr = rc, off, end, false
	return nil
}

// header reads the stream's answer; the stream's end becomes the clipped
// length the server sends.
func (r *remoteReader) header() error {
	rc := r.rc
	st, body, err := rc.readAnswer(time.Time{})
	if err != nil {
		r.rc = nil
		return rc.broken(err)
	}
	b := rbuf{b: body}
	if st != stOK {
		msg := b.str(maxErrMsg)
		r.rc = nil
		rc.release()
		return r.d.driveErr(errorOf(r.d.p.node, st, msg))
	}
	m := b.u64()
	if b.end() != nil || m > uint64(r.end-r.pos) {
		r.rc = nil
		return rc.broken(errProtocol)
	}
	r.hdr = true
	r.end = r.pos + int64(m)
	if m == 0 {
		r.rc = nil
		rc.release()
	}
	return nil
}

func (r *remoteReader) ReadAt(p []byte, off int64) (int, error) {
	if r.rc != nil && (off != r.pos || off+int64(len(p)) > r.end) {
		r.abandon()
	}
	if r.rc == nil {
		if err := r.request(off, off+int64(len(p))); err != nil {
			return 0, err
		}
	}
	if !r.hdr {
		if err := r.header(); err != nil {
			return 0, err
		}
	}
	want := min(int64(len(p)), r.end-r.pos)
	n := 0
	for int64(n) < want {
		c := min(want-int64(n), copyChunk)
		rc := r.rc
		_ = rc.c.SetReadDeadline(time.Now().Add(r.d.p.timeout))
		m, err := io.ReadFull(rc.r, p[n:n+int(c)])
		n += m
		if err != nil {
			r.rc = nil
			return n, rc.broken(err)
		}
	}
	r.pos += int64(n)
	if r.pos == r.end && r.rc != nil {
		r.rc.release()
		r.rc = nil
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// abandon ends an open stream early: a short rest is drained, a long one
// closes the connection.
func (r *remoteReader) abandon() {
	rc := r.rc
	if rc == nil {
		return
	}
	r.rc = nil
	if r.end-r.pos > drainLimit {
		rc.c.Close()
		return
	}
	if !r.hdr {
		r.rc = rc
		if err := r.header(); err != nil || r.rc == nil {
			return
		}
		r.rc = nil
	}
	_ = rc.c.SetReadDeadline(time.Now().Add(rc.p.timeout))
	if _, err := rc.r.Discard(int(r.end - r.pos)); err != nil {
		rc.c.Close()
		return
	}
	rc.release()
}

func (r *remoteReader) Close() error {
	r.abandon()
	return nil
}

// remoteIter iterates a remote drive's keys in pages (32 entries first,
// growing to maxIterEntries), each page one request. Pages are read at
// different times: unlike a local iterator, it is not a snapshot.
type remoteIter struct {
	d            *remoteDrive
	lower, upper []byte
	page         int

	buf  []byte // the page's entries: key and value slices alias it
	keys [][]byte
	vals [][]byte
	i    int
	more bool
	next []byte // first key of the next page
	err  error
}

func (it *remoteIter) fetch(start []byte) bool {
	it.keys, it.vals, it.i, it.more = it.keys[:0], it.vals[:0], 0, false
	if it.err != nil {
		return false
	}
	err := it.d.p.do(false, func(w *wbuf) {
		w.start(opMetaIter)
		w.u16(it.d.idx)
		w.bytes(it.lower)
		w.bytes(it.upper)
		w.bytes(start)
		w.uv(uint64(it.page))
		w.uv(1 << 20)
	}, func(r *rbuf) error {
		more := r.u8()
		n := r.small(maxIterEntries)
		if r.bad || more > 1 || n > len(r.b)/2 {
			return errProtocol
		}
		it.buf = append(it.buf[:0], r.b...)
		r.b = it.buf
		for i := 0; i < n; i++ {
			k, v := r.bytes(maxWireKey), r.bytes(maxFrame)
			if r.bad {
				return errProtocol
			}
			it.keys = append(it.keys, k)
			it.vals = append(it.vals, v)
		}
		it.more = more == 1 && n > 0
		return r.end()
	})
	if err != nil {
		it.err = it.d.driveErr(err)
		it.keys, it.vals = it.keys[:0], it.vals[:0]
		return false
	}
	if it.more {
		it.next = append(append(it.next[:0], it.keys[len(it.keys)-1]...), 0)
	}
	it.page = min(it.page*4, maxIterEntries)
	return len(it.keys) > 0
}

func (it *remoteIter) SeekGE(key []byte) bool {
	if it.lower != nil && string(key) < string(it.lower) {
		key = it.lower
	}
	return it.fetch(key)
}

func (it *remoteIter) Next() bool {
	it.i++
	if it.i < len(it.keys) {
		return true
	}
	if it.more {
		return it.fetch(it.next)
	}
	return false
}

func (it *remoteIter) Valid() bool   { return it.i < len(it.keys) }
func (it *remoteIter) Key() []byte   { return it.keys[it.i] }
func (it *remoteIter) Value() []byte { return it.vals[it.i] }
func (it *remoteIter) Error() error  { return it.err }
func (it *remoteIter) Close() error  { return nil }
