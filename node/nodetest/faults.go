package nodetest

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/tessera-s3/tessera/cluster/faultproxy"
	"github.com/tessera-s3/tessera/node"
)

// LinkFaults routes every node-to-node connection of a cluster through a
// fault-injecting proxy per ordered pair of nodes, so a test can cut one
// node off from the others (in both directions) and heal it again.
type LinkFaults struct {
	mu      sync.Mutex
	proxies map[link]*faultproxy.Proxy
}

type link struct{ src, dstAddr string }

// NewLinkFaults returns a LinkFaults whose proxies close when the test ends.
func NewLinkFaults(t testing.TB) *LinkFaults {
	lf := &LinkFaults{proxies: map[link]*faultproxy.Proxy{}}
	t.Cleanup(func() {
		lf.mu.Lock()
		defer lf.mu.Unlock()
		for _, p := range lf.proxies {
			p.Close()
		}
	})
	return lf
}

// Option makes the cluster's nodes dial each other through the proxies.
func (lf *LinkFaults) Option() Option {
	return WithConfig(func(cfg *node.Config) {
		src := cfg.NodeID
		cfg.ClusterDial = func(ctx context.Context, addr string) (net.Conn, error) {
			lf.mu.Lock()
			p := lf.proxies[link{src, addr}]
			if p == nil {
				var err error
				if p, err = faultproxy.New("127.0.0.1:0", addr); err != nil {
					lf.mu.Unlock()
					return nil, err
				}
				lf.proxies[link{src, addr}] = p
			}
			lf.mu.Unlock()
			var d net.Dialer
			return d.DialContext(ctx, "tcp", p.Addr().String())
		}
	})
}

// Isolate cuts every link from and to n (heal=false) or restores them.
func (lf *LinkFaults) Isolate(n *Node, heal bool) {
	id, addr := n.cfg.NodeID, n.cfg.ClusterListen
	lf.mu.Lock()
	defer lf.mu.Unlock()
	for l, p := range lf.proxies {
		if l.src == id || l.dstAddr == addr {
			if heal {
				p.Heal()
			} else {
				p.Partition()
			}
		}
	}
}
