package faultproxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is how Partition cuts connections.
type Mode int

const (
	// Blackhole holds connections open and forwards nothing: the peers'
	// reads time out; their writes succeed and the bytes are lost.
	Blackhole Mode = iota
	// Reset resets existing connections and every new one at once.
	Reset
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case Blackhole:
		return "blackhole"
	case Reset:
		return "reset"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

const (
	// dialTimeout bounds connecting to the target.
	dialTimeout = 5 * time.Second
	// chunkSize is the largest piece forwarded at once.
	chunkSize = 32 << 10
	// queueLen is how many chunks one direction buffers under delay.
	queueLen = 64
)

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// Proxy forwards TCP connections from its listener to a target and injects
// partitions and delay. Safe for concurrent use.
type Proxy struct {
	ln     net.Listener
	target string
	delay  atomic.Int64 // time.Duration

	mu          sync.Mutex
	closed      bool
	partitioned bool
	mode        Mode
	links       map[*link]struct{}
	held        map[net.Conn]struct{} // accepted during a Blackhole partition
	wg          sync.WaitGroup
}

// New listens on listenAddr ("127.0.0.1:0" picks a free port) and forwards
// to targetAddr, which is dialed once per accepted connection.
func New(listenAddr, targetAddr string) (*Proxy, error) {
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen on %s: %w", listenAddr, err)
	}
	p := &Proxy{
		ln:     ln,
		target: targetAddr,
		links:  make(map[*link]struct{}),
		held:   make(map[net.Conn]struct{}),
	}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr is the proxy's listening address; peers dial it instead of the
// target.
func (p *Proxy) Addr() net.Addr { return p.ln.Addr() }

// Target is the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Partition cuts the link in Blackhole mode (see PartitionWith).
func (p *Proxy) Partition() { p.PartitionWith(Blackhole) }

// PartitionWith cuts every current connection and treats new ones per mode
// until Heal. When it returns, no further byte is delivered on any current
// connection. Calling it while partitioned switches the mode for new
// connections and applies it to the ones already cut.
func (p *Proxy) PartitionWith(mode Mode) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.partitioned, p.mode = true, mode
	links := p.snapshotLinks()
	var held []net.Conn
	if mode == Reset {
		for c := range p.held {
			held = append(held, c)
		}
		clear(p.held)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.cut(mode)
	}
	for _, c := range held {
		reset(c)
	}
}

// Heal ends a partition: connections cut by it are closed (their lost
// bytes are never replayed) and new connections are forwarded again.
func (p *Proxy) Heal() {
	p.mu.Lock()
	p.partitioned = false
	var dead []*link
	for l := range p.links {
		if l.dead.Load() {
			dead = append(dead, l)
		}
	}
	held := make([]net.Conn, 0, len(p.held))
	for c := range p.held {
		held = append(held, c)
	}
	clear(p.held)
	p.mu.Unlock()
	for _, l := range dead {
		l.close()
	}
	for _, c := range held {
		c.Close()
	}
}

// Partitioned reports whether the proxy is partitioned, and in which mode.
func (p *Proxy) Partitioned() (bool, Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.partitioned, p.mode
}

// SetDelay delays every chunk forwarded from now on by d in each direction
// (one-way latency d, round trip 2d); 0 removes the delay. Throughput is not
// limited: chunks are queued, not serialized behind the delay.
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(max(d, 0))) }

// Conns is the number of connections currently being forwarded (not cut).
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for l := range p.links {
		if !l.dead.Load() {
			n++
		}
	}
	return n
}

// Close stops listening, closes every connection and waits for the
// proxy's goroutines. Idempotent.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	links := p.snapshotLinks()
	held := make([]net.Conn, 0, len(p.held))
	for c := range p.held {
		held = append(held, c)
	}
	clear(p.held)
	p.mu.Unlock()
	err := p.ln.Close()
	for _, l := range links {
		l.close()
	}
	for _, c := range held {
		c.Close()
	}
	p.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("faultproxy: close: %w", err)
	}
	return nil
}

func (p *Proxy) snapshotLinks() []*link {
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	return links
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			p.mu.Lock()
			closed := p.closed
			p.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			continue
		}
		if p.partitioned {
			p.refuseLocked(c)
			p.mu.Unlock()
			continue
		}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.connect(c)
	}
}

// refuseLocked handles a connection that arrives during a partition.
func (p *Proxy) refuseLocked(c net.Conn) {
	if p.mode == Reset {
		reset(c)
		return
	}
	p.held[c] = struct{}{}
	p.wg.Add(1)
	go func() { // read and drop, as the network would
		defer p.wg.Done()
		discard(c)
	}()
}

// connect dials the target for client connection c and starts forwarding.
func (p *Proxy) connect(c net.Conn) {
	defer p.wg.Done()
	s, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		reset(c) // the target is down: the client sees a reset, as it would directly
		return
	}
	l := &link{p: p, a: c, b: s, done: make(chan struct{})}
	p.mu.Lock()
	if p.closed || p.partitioned { // partitioned while dialing
		s.Close()
		if p.closed {
			c.Close()
		} else {
			p.refuseLocked(c)
		}
		p.mu.Unlock()
		return
	}
	p.links[l] = struct{}{}
	p.wg.Add(2)
	p.mu.Unlock()
	go l.pump(c, s)
	go l.pump(s, c)
}

// link is one proxied connection: a is the client side, b the target side.
type link struct {
	p    *Proxy
	a, b net.Conn
	dead atomic.Bool  // cut by a partition: nothing is written any more
	wmu  sync.RWMutex // held (read) around each forwarding write
	done chan struct{}
	once sync.Once
	ends atomic.Int32 // directions finished
}

type chunk struct {
	buf *[]byte
	n   int
	due time.Time
}

// pump forwards src to dst: a reader queues chunks stamped with their due
// time and this goroutine writes them when due.
func (l *link) pump(src, dst net.Conn) {
	defer l.p.wg.Done()
	q := make(chan chunk, queueLen)
	var readErr error // set before q is closed
	go func() {
		defer close(q)
		for {
			buf := chunkPool.Get().(*[]byte)
			n, err := src.Read(*buf)
			if n > 0 && !l.dead.Load() {
				select {
				case q <- chunk{buf: buf, n: n, due: time.Now().Add(time.Duration(l.p.delay.Load()))}:
				case <-l.done:
					chunkPool.Put(buf)
					readErr = net.ErrClosed
					return
				}
			} else {
				chunkPool.Put(buf)
			}
			if err != nil {
				readErr = err
				return
			}
		}
	}()
	failed := false
	for ch := range q {
		if !failed && l.wait(ch.due) && !l.write(dst, (*ch.buf)[:ch.n]) {
			failed = true
			l.close() // also ends the reader: src is closed
		}
		chunkPool.Put(ch.buf)
	}
	switch {
	case l.dead.Load():
		// A partition swallows FINs and resets too; Heal or Close ends the link.
	case failed:
	case !errors.Is(readErr, io.EOF):
		l.close() // src was reset or closed: pass that on
	default:
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite() // propagate the half-close
		}
		if l.ends.Add(1) == 2 {
			l.close()
		}
	}
}

// wait sleeps until due; false if the link closed meanwhile.
func (l *link) wait(due time.Time) bool {
	d := time.Until(due)
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.done:
		return false
	}
}

// write forwards b unless the link is cut; false on a write error on a
// live link.
func (l *link) write(dst net.Conn, b []byte) bool {
	l.wmu.RLock()
	defer l.wmu.RUnlock()
	if l.dead.Load() {
		return true
	}
	_, err := dst.Write(b)
	return err == nil || l.dead.Load()
}

// cut stops the link per mode. On return, no write is in progress and none
// will start.
func (l *link) cut(mode Mode) {
	l.dead.Store(true)
	past := time.Unix(1, 0)
	l.a.SetWriteDeadline(past) // unblock a write stuck on a full peer
	l.b.SetWriteDeadline(past)
	// Barrier: wait out a write in progress; later writes see dead.
	l.wmu.Lock()
	l.wmu.Unlock()
	if mode == Reset {
		reset(l.a)
		reset(l.b)
		l.close()
	}
}

// close closes both sides and forgets the link. Idempotent.
func (l *link) close() {
	l.once.Do(func() {
		close(l.done)
		l.a.Close()
		l.b.Close()
		l.p.mu.Lock()
		delete(l.p.links, l)
		l.p.mu.Unlock()
	})
}

// reset closes c with an RST rather than a FIN.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// discard reads c until it fails.
func discard(c net.Conn) {
	buf := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(buf)
	for {
		if _, err := c.Read(*buf); err != nil {
			return
		}
	}
}
