// Package faultproxy owns a fault-injecting TCP proxy for partition and
// latency tests. It is test tooling that lives in the main tree so that
// any package's tests (transport, raftfsm, erasure, node) can use it; no
// production code imports it.
//
// A Proxy listens on one address and forwards every accepted connection to
// one target. Partition cuts the link: in Blackhole mode existing
// connections stop carrying bytes (both directions are read and discarded,
// nothing is written, so peers see timeouts, as with a pulled cable) and new
// connections are accepted and held without forwarding; in Reset mode every
// connection is reset at once (peers see ECONNRESET, as with a crashed host
// or a firewall REJECT). Heal closes the cut connections and forwards new
// ones again: bytes lost in the partition are never replayed, so a stream
// never resumes with a gap. SetDelay adds one-way latency per direction
// without limiting throughput.
//
// # Routing a cluster test through proxies
//
// Per-link proxies give full control, including one-way partitions. For
// nodes 1..N, create one proxy P(i->j) per ordered pair, targeting node j's
// real cluster port. Nodes keep advertising their real addresses (Raft
// stores them in its configuration, which every node shares), and node i
// dials through its own proxies by rewriting the address in its dialer,
// e.g. with cluster/transport's Config.DialFunc:
//
//	cfg.DialFunc = func(ctx context.Context, addr string) (net.Conn, error) {
//		if p, ok := viaProxy[i][addr]; ok { // real address of j -> P(i->j)
//			addr = p.Addr().String()
//		}
//		var d net.Dialer
//		return d.DialContext(ctx, "tcp", addr)
//	}
//
// Isolating node k is then Partition on every P(k->j) and P(j->k); healing
// is Heal on the same proxies. A TCP connection carries both directions, so
// partitioning P(i->j) alone cuts i's requests to j and j's replies on
// those connections, while j's own connections to i (through P(j->i))
// still work: a one-way partition in the sense of who can reach whom.
//
// A simpler layout is one proxy per node, in front of its port: node j
// advertises P(j)'s address (transport's Config.AdvertiseAddr) so every peer
// reaches j through P(j). Partition(P(j)) then cuts all traffic into j and
// the replies on those connections, but not connections j opens to others;
// that is enough for "node j is unreachable" tests, not for isolating j.
//
// A Proxy is safe for concurrent use. Close stops it and closes every
// connection it holds.
package faultproxy
