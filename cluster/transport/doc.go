// Package transport owns Tessera's cluster port: one TCP listener per node
// that carries several node-to-node services (Raft, RPC, shard traffic) and
// authenticates every connection with the shared cluster secret before any
// byte reaches a service.
//
// A Mux is created by Listen. Each service takes its connections from
// Mux.Listener(tag) and opens connections to peers with Mux.Dial(ctx, addr,
// tag); both hand out only connections that completed the mutual HMAC
// handshake described in DESIGN.md. Mux.RaftStreamLayer adapts the TagRaft
// service to hashicorp/raft's StreamLayer so Raft runs over
// raft.NewNetworkTransportWithConfig.
//
// After the handshake a connection is a plain TCP stream: the mux adds no
// framing and no per-byte cost. The handshake authenticates the peer; it does
// not encrypt or integrity-protect the traffic that follows (see DESIGN.md,
// "Not covered").
//
// A Mux is safe for concurrent use. Its lifetime ends with Close, which
// stops accepting, drops connections still in the handshake and closes every
// service listener; connections already handed to a service belong to that
// service and are not closed by the mux.
package transport

import "errors"

// Service tags: the one byte a dialer names its service with. Any byte value
// may be used; these are the ones Tessera assigns.
const (
	// TagRaft is hashicorp/raft's NetworkTransport (see RaftStreamLayer).
	TagRaft byte = 'R'
	// TagRPC is node-to-node request forwarding and admin RPCs.
	TagRPC byte = 'P'
	// TagShard is erasure-coded shard traffic.
	TagShard byte = 'S'
)

// Errors returned by the package. Dial errors wrap one of these (and, for
// I/O failures, the underlying net error); match them with errors.Is.
var (
	// ErrClosed: the Mux or the service listener was closed. Errors carrying
	// it also match net.ErrClosed.
	ErrClosed = errors.New("transport: closed")
	// ErrAuthFailed: the peer's proof of the cluster secret did not verify;
	// it does not hold the same secret (or is not a Tessera node).
	ErrAuthFailed = errors.New("transport: peer failed cluster-secret authentication")
	// ErrRejected: the listening peer closed the connection during the
	// handshake without an answer. The usual cause is that it rejected our
	// proof (a different cluster secret); overload also causes it.
	ErrRejected = errors.New("transport: peer rejected the handshake (different cluster secret?)")
	// ErrProtocol: a handshake message was malformed (wrong magic or
	// version, bad node id length, truncated message).
	ErrProtocol = errors.New("transport: malformed cluster handshake")
	// ErrServiceUnavailable: the peer authenticated but has no listener for
	// the requested service tag.
	ErrServiceUnavailable = errors.New("transport: peer does not serve this service tag")
	// ErrOverloaded: too many handshakes were in progress (in total or from
	// one host); the connection was dropped unread.
	ErrOverloaded = errors.New("transport: too many pending handshakes")
)
