package transport

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"
)

// Limits checked by Config.Validate.
const (
	// MinSecretLen is the shortest accepted cluster secret, in bytes.
	MinSecretLen = 32
	// MaxSecretLen is the longest accepted cluster secret, in bytes.
	MaxSecretLen = 4096
	// MaxNodeIDLen is the longest node id, in bytes (it travels in the
	// handshake behind a one-byte length).
	MaxNodeIDLen = 128
)

// Config configures a Mux. Start from DefaultConfig and set NodeID and
// Secret. Zero values of HandshakeTimeout, MaxPendingHandshakes and
// MaxPendingPerHost mean their defaults.
type Config struct {
	// NodeID is this node's id, sent in the handshake and reported to peers
	// (Conn.PeerID). 1..MaxNodeIDLen bytes of printable ASCII, no spaces.
	NodeID string
	// Secret is the shared cluster secret, MinSecretLen..MaxSecretLen bytes.
	// It should be random (e.g. 32 bytes from crypto/rand, or
	// `openssl rand -hex 32`): a peer can test guesses of a low-entropy
	// secret offline against one recorded handshake. Listen copies it.
	Secret []byte
	// BindAddr is the host:port the cluster port listens on (default
	// 127.0.0.1:9100). Port 0 picks a free port (tests).
	BindAddr string
	// AdvertiseAddr is the host:port peers dial to reach this node; empty
	// means the bound address, which must then be a specific IP (not
	// 0.0.0.0 or ::). Raft stores this address in its configuration.
	AdvertiseAddr string
	// HandshakeTimeout bounds the whole handshake of one connection, in
	// both directions, and how long an authenticated inbound connection
	// waits for its service to Accept it (default 5 s, range [10ms, 1m]).
	HandshakeTimeout time.Duration
	// MaxPendingHandshakes caps inbound connections in the handshake at
	// once; more are dropped unread (default 256, range [1, 65536]).
	MaxPendingHandshakes int
	// MaxPendingPerHost caps inbound connections in the handshake from one
	// remote IP (default 32, range [1, MaxPendingHandshakes]), so that one
	// slow or hostile host cannot take every handshake slot.
	MaxPendingPerHost int
	// DialFunc opens the TCP connection for Dial; nil uses a net.Dialer.
	// Tests set it to route node-to-node links through fault proxies (see
	// package cluster/faultproxy). The context carries the handshake
	// deadline.
	DialFunc func(ctx context.Context, addr string) (net.Conn, error)
	// Logger receives rejected-handshake warnings (rate limited) and
	// accept errors; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the defaults; NodeID and Secret must still be set.
func DefaultConfig() Config {
	return Config{
		BindAddr:             "127.0.0.1:9100",
		HandshakeTimeout:     5 * time.Second,
		MaxPendingHandshakes: 256,
		MaxPendingPerHost:    32,
	}
}

// withDefaults fills the zero tuning fields.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = d.HandshakeTimeout
	}
	if c.MaxPendingHandshakes == 0 {
		c.MaxPendingHandshakes = d.MaxPendingHandshakes
	}
	if c.MaxPendingPerHost == 0 {
		c.MaxPendingPerHost = min(d.MaxPendingPerHost, c.MaxPendingHandshakes)
	}
	return c
}

// Validate names the bad field and its allowed range.
func (c *Config) Validate() error {
	if err := validNodeID(c.NodeID); err != nil {
		return fmt.Errorf("transport: Config.NodeID: %w", err)
	}
	if n := len(c.Secret); n < MinSecretLen || n > MaxSecretLen {
		return fmt.Errorf("transport: Config.Secret is %d bytes, want [%d, %d]", n, MinSecretLen, MaxSecretLen)
	}
	if _, _, err := net.SplitHostPort(c.BindAddr); err != nil {
		return fmt.Errorf("transport: Config.BindAddr %q must be host:port: %w", c.BindAddr, err)
	}
	if c.AdvertiseAddr != "" {
		if err := validAdvertise(c.AdvertiseAddr); err != nil {
			return fmt.Errorf("transport: Config.AdvertiseAddr %q: %w", c.AdvertiseAddr, err)
		}
	}
	if c.HandshakeTimeout < 10*time.Millisecond || c.HandshakeTimeout > time.Minute {
		return fmt.Errorf("transport: Config.HandshakeTimeout %v out of range [10ms, 1m]", c.HandshakeTimeout)
	}
	if c.MaxPendingHandshakes < 1 || c.MaxPendingHandshakes > 65536 {
		return fmt.Errorf("transport: Config.MaxPendingHandshakes %d out of range [1, 65536]", c.MaxPendingHandshakes)
	}
	if c.MaxPendingPerHost < 1 || c.MaxPendingPerHost > c.MaxPendingHandshakes {
		return fmt.Errorf("transport: Config.MaxPendingPerHost %d out of range [1, %d (MaxPendingHandshakes)]",
			c.MaxPendingPerHost, c.MaxPendingHandshakes)
	}
	return nil
}

// validNodeID accepts 1..MaxNodeIDLen bytes of printable ASCII without
// spaces; the same rule applies to ids received in a handshake.
func validNodeID[T string | []byte](id T) error {
	if len(id) == 0 || len(id) > MaxNodeIDLen {
		return fmt.Errorf("length %d out of range [1, %d]", len(id), MaxNodeIDLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return fmt.Errorf("byte %d (0x%02x) is not printable ASCII", i, id[i])
		}
	}
	return nil
}

// validAdvertise accepts host:port with a port in [1, 65535] and a host that
// is not an unspecified IP.
func validAdvertise(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("must be host:port: %w", err)
	}
	if host == "" {
		return fmt.Errorf("host is empty")
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("host %s is unspecified; peers cannot dial it", host)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("port %q out of range [1, 65535]", port)
	}
	return nil
}
