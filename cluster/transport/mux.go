package transport

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Mux is a node's cluster port: one TCP listener whose connections are
// authenticated with the cluster secret and then routed to a service
// listener by their tag. It also dials peers' cluster ports. Safe for
// concurrent use; create with Listen, end with Close.
type Mux struct {
	cfg       Config
	secret    []byte
	log       *slog.Logger
	ln        net.Listener
	advertise net.Addr
	dial      func(ctx context.Context, addr string) (net.Conn, error)
	rand      io.Reader
	rejLog    rateLimiter
	stats     counters

	mu       sync.Mutex
	closed   bool
	services map[byte]*serviceListener
	pending  map[net.Conn]struct{} // inbound connections in the handshake
	perHost  map[string]int        // pending handshakes per remote IP
	done     chan struct{}         // closed by Close
	wg       sync.WaitGroup        // accept loop and per-connection goroutines
}

// Listen validates cfg (after filling zero tuning fields with defaults),
// binds cfg.BindAddr and starts accepting. The returned Mux serves no
// service until Listener (or RaftStreamLayer) registers one; a peer asking
// for an unregistered tag gets ErrServiceUnavailable.
func Listen(cfg Config) (*Mux, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.BindAddr)
	if err != nil {
		return nil, fmt.Errorf("transport: listen on %s: %w", cfg.BindAddr, err)
	}
	adv := cfg.AdvertiseAddr
	if adv == "" {
		adv = ln.Addr().String()
		if err := validAdvertise(adv); err != nil {
			ln.Close()
			return nil, fmt.Errorf("transport: bound address %s cannot be advertised (set Config.AdvertiseAddr): %w", adv, err)
		}
	}
	m := &Mux{
		cfg:       cfg,
		secret:    append([]byte(nil), cfg.Secret...),
		log:       cfg.Logger,
		ln:        ln,
		advertise: advertiseAddr(adv),
		dial:      cfg.DialFunc,
		rand:      rand.Reader,
		services:  make(map[byte]*serviceListener),
		pending:   make(map[net.Conn]struct{}),
		perHost:   make(map[string]int),
		done:      make(chan struct{}),
	}
	m.cfg.Secret = nil // only m.secret, our private copy, is used
	if m.log == nil {
		m.log = slog.Default()
	}
	m.log = m.log.With("component", "cluster-transport", "node", cfg.NodeID)
	if m.dial == nil {
		d := &net.Dialer{}
		m.dial = func(ctx context.Context, addr string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	m.wg.Add(1)
	go m.acceptLoop()
	return m, nil
}

// Addr is the address peers dial to reach this node (Config.AdvertiseAddr,
// or the bound address).
func (m *Mux) Addr() net.Addr { return m.advertise }

// ListenAddr is the address the TCP listener is bound to.
func (m *Mux) ListenAddr() net.Addr { return m.ln.Addr() }

// NodeID is this node's id as sent in handshakes.
func (m *Mux) NodeID() string { return m.cfg.NodeID }

// Listener returns the listener for service tag, registering it on first
// use; later calls return the same listener until it is closed, after which
// a call registers a new one. Its Accept returns only connections that
// completed the handshake and asked for tag, as *Conn. After the Mux is
// closed it returns a closed listener.
func (m *Mux) Listener(tag byte) net.Listener {
	return m.listener(tag)
}

func (m *Mux) listener(tag byte) *serviceListener {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.services[tag]; ok {
		return l
	}
	l := &serviceListener{m: m, tag: tag, ch: make(chan *Conn), done: make(chan struct{})}
	if m.closed {
		l.once.Do(func() { close(l.done) })
		return l
	}
	m.services[tag] = l
	return l
}

// serves reports whether tag has an open listener.
func (m *Mux) serves(tag byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.services[tag]
	return ok
}

// Dial connects to the cluster port at addr, runs the handshake as the
// dialer and asks for service tag. The returned connection (a *Conn) has
// proven the peer holds the cluster secret and that the peer serves tag.
// The handshake is bounded by ctx and by Config.HandshakeTimeout; ctx has
// no effect on the connection once Dial returns. A timed-out Dial's error
// matches context.DeadlineExceeded, a cancelled one's context.Canceled.
func (m *Mux) Dial(ctx context.Context, addr string, tag byte) (net.Conn, error) {
	select {
	case <-m.done:
		return nil, closedErr()
	default:
	}
	c, err := m.dialConn(ctx, addr, tag)
	if err != nil {
		m.stats.dialFailed.Add(1)
		return nil, err
	}
	m.stats.dialed.Add(1)
	return c, nil
}

func (m *Mux) dialConn(ctx context.Context, addr string, tag byte) (*Conn, error) {
	hctx, cancel := context.WithTimeout(ctx, m.cfg.HandshakeTimeout)
	defer cancel()
	nc, err := m.dial(hctx, addr)
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", addr, err)
	}
	dl, _ := hctx.Deadline()
	if err := nc.SetDeadline(dl); err != nil {
		nc.Close()
		return nil, fmt.Errorf("transport: dial %s: %w", addr, err)
	}
	// Cancelling ctx interrupts the handshake's blocking reads and writes.
	stop := context.AfterFunc(hctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	peer, err := clientHandshake(nc, m.rand, m.secret, m.cfg.NodeID, tag)
	if !stop() && err == nil {
		err = hctx.Err() // cancelled at the last moment: the deadline may be in the past
	}
	if err != nil {
		nc.Close()
		if isTimeout(err) {
			// The socket deadline is hctx's deadline, so it may fire just
			// before hctx's own timer: report it as the context error.
			cerr := hctx.Err()
			if cerr == nil {
				cerr = context.DeadlineExceeded
			}
			err = fmt.Errorf("%w (%w)", cerr, err)
		}
		return nil, fmt.Errorf("transport: handshake with %s for service %q: %w", addr, tag, err)
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		nc.Close()
		return nil, fmt.Errorf("transport: dial %s: %w", addr, err)
	}
	return &Conn{Conn: nc, peerID: peer, tag: tag}, nil
}

// Close stops the listener, drops connections still in the handshake,
// closes every service listener (their Accept returns ErrClosed) and waits
// for the mux's goroutines to exit. Connections already accepted or dialed
// stay open; their owners close them. Close is idempotent.
func (m *Mux) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	close(m.done)
	services := make([]*serviceListener, 0, len(m.services))
	for _, l := range m.services {
		services = append(services, l)
	}
	pending := make([]net.Conn, 0, len(m.pending))
	for c := range m.pending {
		pending = append(pending, c)
	}
	m.mu.Unlock()

	err := m.ln.Close()
	for _, c := range pending {
		c.Close()
	}
	for _, l := range services {
		l.Close()
	}
	m.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("transport: close listener: %w", err)
	}
	return nil
}

// acceptLoop accepts TCP connections and starts a handshake for each,
// within the pending-handshake limits.
func (m *Mux) acceptLoop() {
	defer m.wg.Done()
	var backoff time.Duration
	for {
		c, err := m.ln.Accept()
		if err != nil {
			select {
			case <-m.done:
				return
			default:
			}
			// Out of file descriptors and similar: back off like net/http.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			m.log.Error("cluster port accept failed", "err", err, "retry_in", backoff)
			select {
			case <-m.done:
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		host := remoteHost(c.RemoteAddr())
		if !m.admit(c, host) {
			m.reject(c, ErrOverloaded)
			c.Close()
			continue
		}
		go m.serve(c, host)
	}
}

// admit registers c as a pending handshake if the limits allow, and adds
// the goroutine that will serve it to m.wg.
func (m *Mux) admit(c net.Conn, host string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || len(m.pending) >= m.cfg.MaxPendingHandshakes || m.perHost[host] >= m.cfg.MaxPendingPerHost {
		return false
	}
	m.pending[c] = struct{}{}
	m.perHost[host]++
	m.wg.Add(1)
	return true
}

// release removes c from the pending handshakes.
func (m *Mux) release(c net.Conn, host string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pending, c)
	if m.perHost[host]--; m.perHost[host] <= 0 {
		delete(m.perHost, host)
	}
}

// serve runs the listener's handshake on c and hands the connection to its
// service, or drops it.
func (m *Mux) serve(c net.Conn, host string) {
	defer m.wg.Done()
	timeout := m.cfg.HandshakeTimeout
	err := c.SetDeadline(time.Now().Add(timeout))
	var peer string
	var tag byte
	if err == nil {
		peer, tag, err = serverHandshake(c, m.rand, m.secret, m.cfg.NodeID, m.serves)
	}
	m.release(c, host)
	if err == nil {
		err = c.SetDeadline(time.Time{})
	}
	if err != nil {
		m.reject(c, err)
		c.Close()
		return
	}

	m.mu.Lock()
	l := m.services[tag]
	m.mu.Unlock()
	if l == nil { // closed since the handshake checked
		c.Close()
		return
	}
	conn := &Conn{Conn: c, peerID: peer, tag: tag}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case l.ch <- conn:
		m.stats.accepted.Add(1)
	case <-l.done:
		c.Close()
	case <-m.done:
		c.Close()
	case <-t.C:
		m.stats.notAccepted.Add(1)
		m.log.Warn("cluster service did not accept an authenticated connection in time; dropped",
			"remote", c.RemoteAddr().String(), "peer", peer, "service", string(rune(tag)), "waited", timeout)
		c.Close()
	}
}

// reject counts and logs (rate limited) an inbound connection dropped
// before reaching a service. Nothing is logged for connections dropped
// because the mux is closing.
func (m *Mux) reject(c net.Conn, err error) {
	select {
	case <-m.done:
		return
	default:
	}
	reason := m.stats.countReject(err)
	if ok, suppressed := m.rejLog.allow(time.Now()); ok {
		attrs := []any{"remote", c.RemoteAddr().String(), "reason", reason, "err", err}
		if suppressed > 0 {
			attrs = append(attrs, "suppressed_since_last", suppressed)
		}
		m.log.Warn("cluster port rejected a connection", attrs...)
	}
}

// Conn is an authenticated cluster-port connection, as returned by
// Mux.Dial and by service listeners' Accept. After the handshake it is the
// plain TCP stream; it is safe for the concurrent use net.Conn allows.
type Conn struct {
	net.Conn
	peerID string
	tag    byte
}

// PeerID is the node id the peer proved in the handshake (MACed with the
// cluster secret, so only a secret holder could have chosen it).
func (c *Conn) PeerID() string { return c.peerID }

// Tag is the service tag the connection was opened for.
func (c *Conn) Tag() byte { return c.tag }

// serviceListener is the net.Listener for one service tag.
type serviceListener struct {
	m    *Mux
	tag  byte
	ch   chan *Conn // unbuffered: a send succeeds only into a waiting Accept
	done chan struct{}
	once sync.Once
}

// Accept returns the next authenticated connection for the tag (a *Conn),
// or an error matching ErrClosed and net.ErrClosed once the listener or the
// mux is closed.
func (l *serviceListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		select {
		case <-l.done: // closed while the send raced with Close
			c.Close()
			return nil, closedErr()
		default:
		}
		return c, nil
	case <-l.done:
		return nil, closedErr()
	}
}

// Close unregisters the service: new connections for its tag are answered
// with ErrServiceUnavailable. Pending Accept calls return ErrClosed.
func (l *serviceListener) Close() error {
	l.once.Do(func() {
		l.m.mu.Lock()
		if l.m.services[l.tag] == l {
			delete(l.m.services, l.tag)
		}
		l.m.mu.Unlock()
		close(l.done)
	})
	return nil
}

// Addr is the mux's advertised address.
func (l *serviceListener) Addr() net.Addr { return l.m.advertise }

// advertiseAddr is a host:port as a net.Addr (host may be a name).
type advertiseAddr string

func (a advertiseAddr) Network() string { return "tcp" }
func (a advertiseAddr) String() string  { return string(a) }

// closedErr matches both ErrClosed and net.ErrClosed.
func closedErr() error { return fmt.Errorf("%w: %w", ErrClosed, net.ErrClosed) }

func remoteHost(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// rateLimiter allows up to rejectLogBurst log lines per second and counts
// the ones it suppressed, so a port scan cannot flood the log.
type rateLimiter struct {
	mu         sync.Mutex
	window     time.Time
	n          int
	suppressed int
}

const rejectLogBurst = 10

func (r *rateLimiter) allow(now time.Time) (ok bool, suppressed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.window) >= time.Second {
		r.window, r.n = now, 0
	}
	if r.n >= rejectLogBurst {
		r.suppressed++
		return false, 0
	}
	r.n++
	suppressed, r.suppressed = r.suppressed, 0
	return true, suppressed
}

// Stats counts a Mux's connections since Listen. Rejected* count inbound
// connections dropped before reaching any service.
type Stats struct {
	// Accepted: inbound connections authenticated and handed to a service.
	Accepted uint64
	// Dialed: outbound connections authenticated by Dial.
	Dialed uint64
	// DialFailed: Dial calls that returned an error.
	DialFailed uint64
	// RejectedAuth: the peer's proof did not verify (wrong or no secret).
	RejectedAuth uint64
	// RejectedProtocol: malformed or truncated handshake (garbage, port
	// scans, peers that hang up).
	RejectedProtocol uint64
	// RejectedTimeout: the handshake did not finish within HandshakeTimeout.
	RejectedTimeout uint64
	// RejectedOverload: dropped unread because of MaxPendingHandshakes or
	// MaxPendingPerHost.
	RejectedOverload uint64
	// RejectedService: authenticated, but no listener for the tag.
	RejectedService uint64
	// NotAccepted: authenticated, but the service did not Accept within
	// HandshakeTimeout.
	NotAccepted uint64
}

// Rejected is the number of inbound connections dropped before reaching a
// service, for any reason.
func (s Stats) Rejected() uint64 {
	return s.RejectedAuth + s.RejectedProtocol + s.RejectedTimeout + s.RejectedOverload + s.RejectedService
}

// Stats returns a snapshot of the counters.
func (m *Mux) Stats() Stats {
	return Stats{
		Accepted:         m.stats.accepted.Load(),
		Dialed:           m.stats.dialed.Load(),
		DialFailed:       m.stats.dialFailed.Load(),
		RejectedAuth:     m.stats.rejAuth.Load(),
		RejectedProtocol: m.stats.rejProtocol.Load(),
		RejectedTimeout:  m.stats.rejTimeout.Load(),
		RejectedOverload: m.stats.rejOverload.Load(),
		RejectedService:  m.stats.rejService.Load(),
		NotAccepted:      m.stats.notAccepted.Load(),
	}
}

type counters struct {
	accepted, dialed, dialFailed, notAccepted                 atomic.Uint64
	rejAuth, rejProtocol, rejTimeout, rejOverload, rejService atomic.Uint64
}

// countReject classifies err, bumps its counter and returns the reason.
func (c *counters) countReject(err error) string {
	switch {
	case errors.Is(err, ErrAuthFailed):
		c.rejAuth.Add(1)
		return "auth"
	case errors.Is(err, ErrOverloaded):
		c.rejOverload.Add(1)
		return "overload"
	case errors.Is(err, ErrServiceUnavailable):
		c.rejService.Add(1)
		return "unknown-service"
	case isTimeout(err):
		c.rejTimeout.Add(1)
		return "timeout"
	default:
		c.rejProtocol.Add(1)
		return "protocol"
	}
}
