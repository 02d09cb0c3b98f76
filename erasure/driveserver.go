package erasure

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// DriveServerConfig configures a DriveServer. Zero values of the numeric
// fields select the defaults.
type DriveServerConfig struct {
	// NodeID is this node's id, sent in the hello; clients check it against
	// their endpoint's Node (1..128 bytes of printable ASCII).
	NodeID string
	// IdleTimeout closes a connection that sends no request for this long,
	// and bounds every read and write of a request, including the wait for
	// the next frame of a shard stream (default 5 min, range 1s..1h).
	IdleTimeout time.Duration
	// MaxConns caps the open connections; more are closed at once (default
	// 4096, range 1..65536).
	MaxConns int
	// Logger receives connection errors (default: the Store's logger).
	Logger *slog.Logger
}

// DefaultDriveServerConfig returns the defaults; NodeID must still be set.
func DefaultDriveServerConfig() DriveServerConfig {
	return DriveServerConfig{IdleTimeout: 5 * time.Minute, MaxConns: 4096}
}

// Validate names the bad field and its allowed range.
func (c *DriveServerConfig) Validate() error {
	if err := validID(c.NodeID); err != nil {
		return fmt.Errorf("erasure: DriveServerConfig.NodeID: %w", err)
	}
	if t := c.IdleTimeout; t != 0 && (t < time.Second || t > time.Hour) {
		return fmt.Errorf("erasure: DriveServerConfig.IdleTimeout %v must be in 1s..1h", t)
	}
	if n := c.MaxConns; n != 0 && (n < 1 || n > 65536) {
		return fmt.Errorf("erasure: DriveServerConfig.MaxConns %d must be in 1..65536", n)
	}
	return nil
}

// DriveServerStats are counters of a DriveServer.
type DriveServerStats struct {
	Conns        int64  // open connections
	Requests     uint64 // requests answered
	BytesIn      uint64 // shard bytes received
	BytesOut     uint64 // shard bytes sent
	BadRequests  uint64 // connections dropped for a malformed request
	RejectedConn uint64 // connections closed because MaxConns were open
}

// DriveServer serves the local drives of a Store to the Stores of other
// nodes (their remoteDrives) over connections from a net.Listener, usually
// the cluster mux's transport.TagShard listener. Drive i is the Store's
// i-th local drive in Config.Endpoints (or Config.Drives) order. It shares
// the Store's drives: open metadata stores, in-flight set (shard streams
// being written for other nodes are never taken for orphans) and health.
//
// A DriveServer is safe for concurrent use. Close it before the Store.
type DriveServer struct {
	s      *Store
	cfg    DriveServerConfig
	log    *slog.Logger
	drives []*localDrive
	bufs   *bufPool

	mu     sync.Mutex
	lns    map[net.Listener]struct{}
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup

	nconns                                       atomic.Int64
	requests, bytesIn, bytesOut, bad, rejectConn atomic.Uint64
}

// NewDriveServer returns a server for s's local drives.
func NewDriveServer(s *Store, cfg DriveServerConfig) (*DriveServer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := DefaultDriveServerConfig()
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = d.IdleTimeout
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = d.MaxConns
	}
	if cfg.Logger == nil {
		cfg.Logger = s.log
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	s.shareDrives()
	return &DriveServer{
		s: s, cfg: cfg, log: cfg.Logger, drives: s.local,
		bufs:  s.codecs.pool(copyChunk),
		lns:   map[net.Listener]struct{}{},
		conns: map[net.Conn]struct{}{},
	}, nil
}

// Serve accepts connections from ln and serves each on its own goroutine
// until ln fails (is closed) or the server is closed; it then closes every
// connection it accepted from ln, waits for them, and returns the accept
// error (nil after Close).
func (ds *DriveServer) Serve(ln net.Listener) error {
	ds.mu.Lock()
	if ds.closed {
		ds.mu.Unlock()
		return nil
	}
	ds.lns[ln] = struct{}{}
	ds.mu.Unlock()
	mine := map[net.Conn]struct{}{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var err error
	for {
		c, aerr := ln.Accept()
		if aerr != nil {
			ds.mu.Lock()
			if !ds.closed {
				err = aerr
			}
			delete(ds.lns, ln)
			ds.mu.Unlock()
			break
		}
		if !ds.track(c) {
			continue
		}
		mu.Lock()
		mine[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			ds.serveConn(c)
			ds.untrack(c)
			mu.Lock()
			delete(mine, c)
			mu.Unlock()
		}()
	}
	mu.Lock()
	for c := range mine {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()
	return err
}

func (ds *DriveServer) track(c net.Conn) bool {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if ds.closed || len(ds.conns) >= ds.cfg.MaxConns {
		c.Close()
		if !ds.closed {
			ds.rejectConn.Add(1)
		}
		return false
	}
	ds.conns[c] = struct{}{}
	ds.nconns.Add(1)
	ds.wg.Add(1)
	return true
}

func (ds *DriveServer) untrack(c net.Conn) {
	c.Close()
	ds.mu.Lock()
	delete(ds.conns, c)
	ds.mu.Unlock()
	ds.nconns.Add(-1)
	ds.wg.Done()
}

// Close stops every Serve (closing their listeners), closes every
// connection and waits for the requests in progress to end.
func (ds *DriveServer) Close() error {
	ds.mu.Lock()
	if ds.closed {
		ds.mu.Unlock()
		return nil
	}
	ds.closed = true
	for ln := range ds.lns {
		ln.Close()
	}
	for c := range ds.conns {
		c.Close()
	}
	ds.mu.Unlock()
	ds.wg.Wait()
	return nil
}

// Stats returns the server's counters.
func (ds *DriveServer) Stats() DriveServerStats {
	return DriveServerStats{
		Conns: ds.nconns.Load(), Requests: ds.requests.Load(), BytesIn: ds.bytesIn.Load(),
		BytesOut: ds.bytesOut.Load(), BadRequests: ds.bad.Load(), RejectedConn: ds.rejectConn.Load(),
	}
}

// serverConn is one client connection.
type serverConn struct {
	ds   *DriveServer
	c    net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	body []byte
	out  wbuf
}

func (ds *DriveServer) serveConn(c net.Conn) {
	sc := &serverConn{ds: ds, c: c, r: bufio.NewReaderSize(c, 64<<10), w: bufio.NewWriterSize(c, 64<<10)}
	hello := true
	for {
		_ = c.SetDeadline(time.Now().Add(ds.cfg.IdleTimeout))
		op, n, err := readFrameHeader(sc.r)
		if err != nil {
			if errors.Is(err, errProtocol) {
				ds.badRequest(c, err)
			}
			return
		}
		if sc.body, err = readAppend(sc.r, sc.body[:0], n); err != nil {
			return
		}
		if hello != (op == opHello) {
			ds.badRequest(c, fmt.Errorf("%w: op %d (hello first, once)", errProtocol, op))
			return
		}
		hello = false
		if err := sc.handle(op); err != nil {
			if errors.Is(err, errProtocol) {
				sc.reply(stBadRequest, nil)
				ds.badRequest(c, err)
			} else if !isClosedConn(err) {
				ds.log.Debug("erasure: drive server connection ended", "remote", c.RemoteAddr(), "err", err)
			}
			return
		}
		ds.requests.Add(1)
		if cap(sc.body) > 1<<20 {
			sc.body = nil
		}
	}
}

func (ds *DriveServer) badRequest(c net.Conn, err error) {
	ds.bad.Add(1)
	ds.log.Warn("erasure: drive server: malformed request, connection closed", "remote", c.RemoteAddr(), "err", err)
}

func isClosedConn(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func (ds *DriveServer) drive(i int) (*localDrive, error) {
	if i < 0 || i >= len(ds.drives) {
		return nil, fmt.Errorf("%w: node %s has no drive %d (it has %d)", errDriveOffline, ds.cfg.NodeID, i, len(ds.drives))
	}
	return ds.drives[i], nil
}

// reply sends a response frame: status, then (for errors) the message or
// the payload written by fill.
func (sc *serverConn) reply(st byte, fill func(w *wbuf)) error {
	sc.out.start(st)
	if fill != nil {
		fill(&sc.out)
	}
	return sc.send()
}

func (sc *serverConn) replyErr(err error) error {
	st := statusOf(err)
	if st == stOK {
		return sc.reply(stOK, nil)
	}
	msg := err.Error()
	if len(msg) > maxErrMsg {
		msg = msg[:maxErrMsg]
	}
	sc.out.start(st)
	sc.out.str(msg)
	return sc.send()
}

func (sc *serverConn) send() error {
	if len(sc.out.b)-4 > maxFrame {
		return sc.replyErr(errors.New("erasure: answer too large for one frame"))
	}
	if _, err := sc.w.Write(sc.out.frame()); err != nil {
		return err
	}
	if cap(sc.out.b) > 1<<20 {
		sc.out.b = nil
	}
	return sc.w.Flush()
}

// handle serves one request whose body is in sc.body. A returned error
// ends the connection (a drive error is answered, not returned).
func (sc *serverConn) handle(op byte) error {
	r := rbuf{b: sc.body}
	switch op {
	case opHello:
		magic := string(r.next(4))
		v := r.u8()
		if r.end() != nil || magic != wireMagic {
			return fmt.Errorf("%w: bad hello", errProtocol)
		}
		if v != wireVersion {
			return sc.replyErr(fmt.Errorf("erasure: drive protocol version %d not supported (want %d)", v, wireVersion))
		}
		return sc.reply(stOK, func(w *wbuf) { w.u8(wireVersion); w.str(sc.ds.cfg.NodeID) })
	case opStatus:
		di := int(r.u16())
		if err := r.end(); err != nil {
			return err
		}
		return sc.status(di)
	case opMetaGet:
		di := int(r.u16())
		key := r.bytes(maxWireKey)
		if err := r.end(); err != nil {
			return err
		}
		d, err := sc.ds.drive(di)
		if err != nil {
			return sc.replyErr(err)
		}
		sc.out.start(stOK)
		v, err := d.metaGet(key, sc.out.b)
		if err != nil {
			return sc.replyErr(err)
		}
		sc.out.b = v
		return sc.send()
	case opMetaGetN:
		n := int(r.u8())
		if n < 1 || n > MaxSetDrives {
			return fmt.Errorf("%w: get of %d drives", errProtocol, n)
		}
		var idx [MaxSetDrives]int
		for i := 0; i < n; i++ {
			idx[i] = int(r.u16())
		}
		key := r.bytes(maxWireKey)
		if err := r.end(); err != nil {
			return err
		}
		sc.out.start(stOK)
		for i := 0; i < n; i++ {
			d, err := sc.ds.drive(idx[i])
			at := len(sc.out.b)
			if err == nil {
				// Value length first: reserve its uvarint at the
				// largest size a value can have, then fix it up.
				sc.out.u8(stOK)
				sc.out.raw([]byte{0x80, 0x80, 0x80, 0x80, 0})
				start := len(sc.out.b)
				var v []byte
				if v, err = d.metaGet(key, sc.out.b); err == nil {
					sc.out.b = v
					putUvarint5(sc.out.b[start-5:start], uint64(len(v)-start))
					continue
				}
				sc.out.b = sc.out.b[:at]
			}
			msg := err.Error()
			sc.out.u8(statusOf(err))
			sc.out.str(msg[:min(len(msg), maxErrMsg)])
		}
		return sc.send()
	case opMetaApply:
		di, ops, sync, err := decodeApply(sc.body)
		if err != nil {
			return err
		}
		d, err := sc.ds.drive(di)
		if err != nil {
			return sc.replyErr(err)
		}
		return sc.replyErr(d.metaApply(ops, sync))
	case opLease:
		n := r.small(maxLeaseDirs)
		if n*16 != len(r.b) {
			return fmt.Errorf("%w: lease of %d dirs in %d bytes", errProtocol, n, len(r.b))
		}
		dirs := make([]id16, n)
		for i := range dirs {
			dirs[i] = r.id()
		}
		if err := r.end(); err != nil {
			return err
		}
		s := sc.ds.s
		s.leases.leaseRemote(dirs, s.clock().Add(s.cfg.leaseTTL).UnixNano())
		return sc.reply(stOK, nil)
	case opMetaIter:
		return sc.iter(&r)
	case opCreate:
		return sc.create(&r)
	case opRead:
		return sc.read(&r)
	case opRemoveShard, opRemoveDir, opListDir:
		di := int(r.u16())
		dir := r.id()
		var name string
		if op == opRemoveShard {
			name = r.str(maxShardName)
			if !r.bad && !validShardName(name) {
				return fmt.Errorf("%w: shard name %q", errProtocol, name)
			}
		}
		if err := r.end(); err != nil {
			return err
		}
		d, err := sc.ds.drive(di)
		if err != nil {
			return sc.replyErr(err)
		}
		switch op {
		case opRemoveShard:
			return sc.replyErr(d.removeShard(dir, name))
		case opRemoveDir:
			if !d.online() {
				return sc.replyErr(errDriveOffline)
			}
			// Deferred for other nodes' readers (lease.go).
			sc.ds.s.removeDataDir(d, dir)
			return sc.reply(stOK, nil)
		}
		names, err := d.listDataDir(dir)
		if err != nil {
			return sc.replyErr(err)
		}
		if len(names) > maxDirNames {
			names = names[:maxDirNames]
		}
		return sc.reply(stOK, func(w *wbuf) {
			w.uv(uint64(len(names)))
			for _, n := range names {
				w.str(n)
			}
		})
	default:
		return fmt.Errorf("%w: unknown op %d", errProtocol, op)
	}
}

// putUvarint5 writes v (< 2^35) as a 5-byte (non-minimal) uvarint.
func putUvarint5(b []byte, v uint64) {
	for i := 0; i < 4; i++ {
		b[i] = byte(v) | 0x80
		v >>= 7
	}
	b[4] = byte(v)
}

func (r *rbuf) next(n int) []byte {
	if len(r.b) < n {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (sc *serverConn) status(di int) error {
	d, err := sc.ds.drive(di)
	if err != nil {
		return sc.replyErr(err)
	}
	st := d.status()
	f, formatted := d.format()
	return sc.reply(stOK, func(w *wbuf) {
		if st.Online {
			w.u8(1)
		} else {
			w.u8(0)
		}
		w.str(st.Error)
		w.u64(st.FreeBytes)
		w.u64(st.TotalBytes)
		if formatted {
			w.u8(1)
		} else {
			w.u8(0)
		}
		w.str(f.Deployment)
		w.str(f.Drive)
		for _, v := range []int{f.Set, f.Index, f.Sets, f.SetDrives, f.Data, f.Parity} {
			w.uv(uint64(v))
		}
		w.str(d.dir)
	})
}

func (sc *serverConn) iter(r *rbuf) error {
	di := int(r.u16())
	lower := r.bytes(maxWireKey)
	upper := r.bytes(maxWireKey)
	start := r.bytes(maxWireKey)
	maxN := r.small(1 << 30)
	maxB := r.small(1 << 30)
	if err := r.end(); err != nil {
		return err
	}
	maxN = max(1, min(maxN, maxIterEntries))
	maxB = max(1, min(maxB, maxIterBytes))
	d, err := sc.ds.drive(di)
	if err != nil {
		return sc.replyErr(err)
	}
	if len(lower) == 0 {
		lower = nil
	}
	if len(upper) == 0 {
		upper = nil
	}
	it, err := d.metaIter(lower, upper)
	if err != nil {
		return sc.replyErr(err)
	}
	sc.out.start(stOK)
	moreAt := len(sc.out.b)
	sc.out.u8(0)
	// The count goes after the entries: reserve a fixed 3-byte uvarint.
	countAt := len(sc.out.b)
	sc.out.raw([]byte{0x80, 0x80, 0x00})
	n, size := 0, 0
	ok := it.SeekGE(start)
	for ; ok && n < maxN; ok = it.Next() {
		k, v := it.Key(), it.Value()
		if n > 0 && size+len(k)+len(v) > maxB {
			break
		}
		sc.out.bytes(k)
		sc.out.bytes(v)
		size += len(k) + len(v)
		n++
	}
	more := ok
	ierr := it.Error()
	_ = it.Close()
	if ierr != nil {
		return sc.replyErr(ierr)
	}
	if more {
		sc.out.b[moreAt] = 1
	}
	sc.out.b[countAt] = byte(n) | 0x80
	sc.out.b[countAt+1] = byte(n>>7) | 0x80
	sc.out.b[countAt+2] = byte(n >> 14)
	return sc.send()
}

// create receives one shard stream: the create request, data frames, and
// a commit frame, which is answered (with keep-alive frames while the
// commit syncs). Errors of the drive are answered at the commit; data that
// arrives after one is discarded.
func (sc *serverConn) create(r *rbuf) error {
	ds := sc.ds
	di := int(r.u16())
	dir := r.id()
	name := r.str(maxShardName)
	fl := r.u8()
	uid, gid := r.u32(), r.u32()
	if err := r.end(); err != nil {
		return err
	}
	if !validShardName(name) || fl&^(flagReplace|flagChown) != 0 {
		return fmt.Errorf("%w: create %q flags %d", errProtocol, name, fl)
	}
	var w shardWriter
	d, werr := ds.drive(di)
	if werr == nil {
		ds.s.inflight.add(dir)
		defer ds.s.inflight.done(dir)
		w, werr = d.createShard(dir, name, createOpts{replace: fl&flagReplace != 0, chown: fl&flagChown != 0 && isRoot, uid: uid, gid: gid})
	}
	done := false
	defer func() {
		if !done && w != nil {
			w.abort()
		}
	}()
	buf := ds.bufs.get()
	defer ds.bufs.put(buf)
	for {
		_ = sc.c.SetDeadline(time.Now().Add(ds.cfg.IdleTimeout))
		op, n, err := readFrameHeader(sc.r)
		if err != nil {
			return err
		}
		switch op {
		case opData:
			for n > 0 {
				c := min(n, len(*buf))
				if _, err := io.ReadFull(sc.r, (*buf)[:c]); err != nil {
					return err
				}
				n -= c
				ds.bytesIn.Add(uint64(c))
				if werr == nil {
					if _, werr = w.Write((*buf)[:c]); werr != nil {
						w.abort()
						w = nil
					}
				}
			}
		case opCommit:
			if n != 1 {
				return fmt.Errorf("%w: commit of %d bytes", errProtocol, n)
			}
			s, err := sc.r.ReadByte()
			if err != nil {
				return err
			}
			if s > 1 {
				return fmt.Errorf("%w: commit sync %d", errProtocol, s)
			}
			if werr == nil {
				done = true
				werr = sc.commitAlive(w, s == 1)
			}
			return sc.replyErr(werr)
		default:
			return fmt.Errorf("%w: op %d inside a shard stream", errProtocol, op)
		}
	}
}

// commitAlive commits w, sending stProgress frames while it runs so the
// client can tell a slow fsync from a dead peer.
func (sc *serverConn) commitAlive(w shardWriter, sync bool) error {
	done := make(chan error, 1)
	go func() { done <- w.commit(sync) }()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-t.C:
			_ = sc.c.SetWriteDeadline(time.Now().Add(sc.ds.cfg.IdleTimeout))
			if err := sc.reply(stProgress, nil); err != nil {
				return errors.Join(<-done, err)
			}
		}
	}
}

// read streams [off, off+n) of a shard file, clipped at its end: the
// answer carries the clipped length, then the raw bytes. A file that
// shrinks meanwhile ends the connection (the client sees a short stream).
func (sc *serverConn) read(r *rbuf) error {
	ds := sc.ds
	di := int(r.u16())
	dir := r.id()
	name := r.str(maxShardName)
	off, n := r.u64(), r.u64()
	if err := r.end(); err != nil {
		return err
	}
	if !validShardName(name) || off > maxReadLen || n > maxReadLen {
		return fmt.Errorf("%w: read %q at %d+%d", errProtocol, name, off, n)
	}
	d, err := ds.drive(di)
	if err != nil {
		return sc.replyErr(err)
	}
	f, err := d.openShard(dir, name)
	if err != nil {
		return sc.replyErr(err)
	}
	defer f.Close()
	st, ok := f.(interface{ Stat() (fs.FileInfo, error) })
	if !ok {
		return sc.replyErr(errors.New("erasure: shard reader without Stat"))
	}
	fi, err := st.Stat()
	if err != nil {
		return sc.replyErr(err)
	}
	m := uint64(0)
	if size := uint64(fi.Size()); off < size {
		m = min(n, size-off)
	}
	if err := sc.reply(stOK, func(w *wbuf) { w.u64(m) }); err != nil {
		return err
	}
	buf := ds.bufs.get()
	defer ds.bufs.put(buf)
	pos := int64(off)
	for m > 0 {
		c := int(min(m, uint64(len(*buf))))
		k, err := f.ReadAt((*buf)[:c], pos)
		if k < c {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("erasure: read %s: %w", name, err)
		}
		_ = sc.c.SetWriteDeadline(time.Now().Add(ds.cfg.IdleTimeout))
		if _, err := sc.c.Write((*buf)[:c]); err != nil {
			return err
		}
		ds.bytesOut.Add(uint64(c))
		pos += int64(c)
		m -= uint64(c)
	}
	return nil
}
