package transport

import (
	"context"
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// RaftStreamLayer returns a raft.StreamLayer over the TagRaft service:
// Accept and Close act on Listener(TagRaft), Addr is the mux's advertised
// address, and Dial opens an authenticated TagRaft connection. Use it with
// raft.NewNetworkTransportWithConfig. Closing the layer (which
// NetworkTransport.Close does) unregisters the Raft service but leaves the
// mux and its other services running.
func (m *Mux) RaftStreamLayer() raft.StreamLayer {
	return &raftLayer{m: m, l: m.listener(TagRaft)}
}

type raftLayer struct {
	m *Mux
	l *serviceListener
}

func (r *raftLayer) Accept() (net.Conn, error) { return r.l.Accept() }
func (r *raftLayer) Close() error              { return r.l.Close() }
func (r *raftLayer) Addr() net.Addr            { return r.m.advertise }

// Dial opens an authenticated Raft connection to address within timeout
// (no bound of its own when timeout <= 0; HandshakeTimeout still applies).
func (r *raftLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return r.m.Dial(ctx, string(address), TagRaft)
}
