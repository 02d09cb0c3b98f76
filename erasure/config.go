package erasure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Limits of the S3 data model enforced by Store.
const (
	// MaxObjectSize is the largest object PutObject accepts (5 TiB, as S3).
	MaxObjectSize = 5 << 40
	// MaxKeyLength is the longest object key in bytes (1024, as S3).
	MaxKeyLength = 1024
	// MaxPartNumber is the highest multipart part number (10000, as S3).
	MaxPartNumber = 10000
	// MaxSetDrives is the largest erasure set; more drives form several sets.
	MaxSetDrives = 16
	// maxListParts caps ListParts pages (as S3).
	maxListParts = 1000
)

// Defaults used by DefaultConfig and for zero fields of Config.
const (
	DefaultBlockSize        = 1 << 20
	DefaultInlineThreshold  = 128 << 10
	DefaultMinPartSize      = 5 << 20
	DefaultMetaCacheSize    = 256 << 20
	DefaultBufferedPrefix   = 1 << 20
	DefaultMetaMemTableSize = 32 << 20
	DefaultHealthInterval   = 5 * time.Second
	DefaultRemoteTimeout    = 5 * time.Second
	DefaultRemoteRetry      = time.Second
)

// More errors returned by Store (see api.go for the agreed set).
var (
	// ErrInvalidKey: the bucket or key is empty or the key is longer than
	// MaxKeyLength.
	ErrInvalidKey = errors.New("erasure: invalid bucket or key")
	// ErrInvalidRange: Object.Range was asked for bytes outside the object.
	ErrInvalidRange = errors.New("erasure: invalid range")
	// ErrInvalidPartNumber: a part number outside 1..MaxPartNumber.
	ErrInvalidPartNumber = errors.New("erasure: invalid part number")
	// ErrCorrupt: too many shards of an object failed their checksums or
	// are missing for the data to be rebuilt.
	ErrCorrupt = errors.New("erasure: object data corrupt or missing beyond repair")
)

// Config configures a Store. Zero values of the numeric fields select the
// defaults (DefaultConfig shows them); Sync's zero value is false, so start
// from DefaultConfig.
type Config struct {
	// Drives are the drive folders (absolute or relative paths) of a
	// single-node store. Their order fixes each drive's erasure set and
	// position: keep it stable across restarts (the format file of each
	// drive records it). Set Drives or Endpoints, not both.
	Drives []string
	// Endpoints is the global drive list of a multi-node deployment: every
	// drive of every node, each either a folder of this node or a drive
	// another node serves (see DriveEndpoint). Every node opens the same
	// list in the same order, so all agree on erasure sets and placement;
	// each node formats only its own drives.
	Endpoints []DriveEndpoint
	// DeploymentID is recorded in every drive's format file; a drive
	// formatted for another deployment is refused. Required with remote
	// Endpoints (every node must format its fresh drives with the same id;
	// 1..128 bytes of printable ASCII). Empty for Drives: the id the
	// formatted drives agree on, or a new random one.
	DeploymentID string
	// Dial opens a connection to the drive server at a remote endpoint's
	// Addr, e.g. func(ctx, addr) { return mux.Dial(ctx, addr,
	// transport.TagShard) }. Required with remote Endpoints.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// RemoteTimeout bounds every wait on a remote drive: dial and hello,
	// each request's answer, each chunk of a streamed read or write
	// (default 5 s, range 10ms..10m). A peer that misses it is taken
	// offline at once (its drives are skipped) and re-probed every
	// RemoteRetry.
	RemoteTimeout time.Duration
	// RemoteRetry is how often a peer that failed is re-probed in the
	// background while it is used (default 1 s, range 10ms..1m); the health
	// loop re-probes it every HealthInterval as well.
	RemoteRetry time.Duration
	// DataShards and ParityShards: 0 and 0 choose the default for the number
	// of drives per set (see DefaultLayout). Otherwise DataShards >= 1,
	// ParityShards >= 0, ParityShards <= DataShards and DataShards +
	// ParityShards must equal the drives per set.
	DataShards, ParityShards int
	// BlockSize is the erasure block size in bytes (default 1 MiB, range
	// 4 KiB..64 MiB). Each shard gets ceil(BlockSize/DataShards) bytes of
	// every block.
	BlockSize int
	// InlineThreshold: objects of at most this many bytes are stored inline
	// in the metadata record (default 128 KiB, capped at BlockSize; negative
	// disables inlining).
	InlineThreshold int
	// MinPartSize is the minimum size in bytes of a multipart part other
	// than the last (default 5 MiB, as AWS; range 1..5 GiB).
	MinPartSize int64
	// Sync makes writes durable (fsync / synced commits) before they are
	// acknowledged (default true).
	Sync bool
	// BufferedIO, when true, writes shard files through the page cache
	// (plain write(2)). Default false: on Linux they are written with
	// O_DIRECT, from aligned buffers, which saves the kernel's copy of
	// every byte into the page cache (most of a large PUT's CPU); a drive
	// whose file system refuses O_DIRECT falls back to buffered writes by
	// itself. Reads always go through the page cache; with O_DIRECT a new
	// object's pages are cached by its first read instead of its write,
	// which makes cached GETs cost more CPU (DESIGN.md, "Shard files:
	// O_DIRECT"). Inline objects and metadata are not affected.
	BufferedIO bool
	// BufferedPrefix is how many bytes at the start of every shard file
	// are still written through the page cache when O_DIRECT is on
	// (rounded up to 4 KiB; default 1 MiB, i.e. objects up to about
	// k MiB stay page-cache friendly for the GETs that follow their PUT;
	// negative: none).
	BufferedPrefix int64
	// Chown, when true and the process runs as root, makes each object's
	// shard files and folders owned by the object's UID/GID.
	Chown bool
	// MetaCacheSize is the block cache in bytes shared by all drives'
	// metadata stores (default 256 MiB).
	MetaCacheSize int64
	// MetaMemTableSize is each drive's metadata memtable in bytes (default
	// 32 MiB, range 256 KiB..256 MiB).
	MetaMemTableSize int
	// HealthInterval is how often every drive's format file is checked and
	// offline drives are retried (default 5 s; negative disables the loop).
	HealthInterval time.Duration
	// Logger receives the store's logs (default slog.Default()).
	Logger *slog.Logger
	// Clock returns the current time (default time.Now).
	Clock func() time.Time

	// Cross-node read leases (lease.go); tests shorten them.
	leaseRenew, leaseTTL, removeGrace time.Duration
}

// DefaultConfig returns the defaults; Drives must still be set.
func DefaultConfig() Config {
	return Config{
		BlockSize:        DefaultBlockSize,
		InlineThreshold:  DefaultInlineThreshold,
		MinPartSize:      DefaultMinPartSize,
		Sync:             true,
		MetaCacheSize:    DefaultMetaCacheSize,
		MetaMemTableSize: DefaultMetaMemTableSize,
		HealthInterval:   DefaultHealthInterval,
	}
}

// withDefaults returns c with zero fields replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.BlockSize == 0 {
		c.BlockSize = DefaultBlockSize
	}
	if c.InlineThreshold == 0 {
		c.InlineThreshold = min(DefaultInlineThreshold, c.BlockSize)
	}
	if c.MinPartSize == 0 {
		c.MinPartSize = DefaultMinPartSize
	}
	if c.MetaCacheSize == 0 {
		c.MetaCacheSize = DefaultMetaCacheSize
	}
	if c.BufferedPrefix == 0 {
		c.BufferedPrefix = DefaultBufferedPrefix
	}
	if c.MetaMemTableSize == 0 {
		c.MetaMemTableSize = DefaultMetaMemTableSize
	}
	if c.HealthInterval == 0 {
		c.HealthInterval = DefaultHealthInterval
	}
	if c.RemoteTimeout == 0 {
		c.RemoteTimeout = DefaultRemoteTimeout
	}
	if c.RemoteRetry == 0 {
		c.RemoteRetry = DefaultRemoteRetry
	}
	if c.leaseRenew == 0 {
		c.leaseRenew, c.leaseTTL, c.removeGrace = defaultLeaseRenew, defaultLeaseTTL, defaultRemoveGrace
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

// Validate names the bad field and its allowed range. Zero numeric fields
// are valid (they mean "default").
func (c *Config) Validate() error {
	if err := c.validateDrives(); err != nil {
		return err
	}
	n := c.driveCount()
	if c.DataShards != 0 || c.ParityShards != 0 {
		sizes := setSizes(n)
		if c.DataShards < 1 {
			return fmt.Errorf("erasure: Config.DataShards %d must be >= 1", c.DataShards)
		}
		if c.ParityShards < 0 {
			return fmt.Errorf("erasure: Config.ParityShards %d must be >= 0", c.ParityShards)
		}
		if c.ParityShards > c.DataShards {
			return fmt.Errorf("erasure: Config.ParityShards %d must be <= DataShards %d", c.ParityShards, c.DataShards)
		}
		for _, n := range sizes {
			if c.DataShards+c.ParityShards != n {
				return fmt.Errorf("erasure: Config.DataShards+ParityShards = %d must equal the drives per set (%v for %d drives)",
					c.DataShards+c.ParityShards, sizes, n)
			}
		}
	}
	bs := c.BlockSize
	if bs != 0 && (bs < 4<<10 || bs > 64<<20) {
		return fmt.Errorf("erasure: Config.BlockSize %d must be in 4096..%d bytes", bs, 64<<20)
	}
	if bs == 0 {
		bs = DefaultBlockSize
	}
	if c.InlineThreshold > bs {
		return fmt.Errorf("erasure: Config.InlineThreshold %d must be <= BlockSize %d", c.InlineThreshold, bs)
	}
	if c.MinPartSize < 0 || c.MinPartSize > 5<<30 {
		return fmt.Errorf("erasure: Config.MinPartSize %d must be in 1..%d bytes", c.MinPartSize, int64(5<<30))
	}
	if c.MetaCacheSize < 0 {
		return fmt.Errorf("erasure: Config.MetaCacheSize %d must be >= 0", c.MetaCacheSize)
	}
	if m := c.MetaMemTableSize; m != 0 && (m < 256<<10 || m > 256<<20) {
		return fmt.Errorf("erasure: Config.MetaMemTableSize %d must be in %d..%d bytes", m, 256<<10, 256<<20)
	}
	if t := c.RemoteTimeout; t != 0 && (t < 10*time.Millisecond || t > 10*time.Minute) {
		return fmt.Errorf("erasure: Config.RemoteTimeout %v must be in 10ms..10m", t)
	}
	if t := c.RemoteRetry; t != 0 && (t < 10*time.Millisecond || t > time.Minute) {
		return fmt.Errorf("erasure: Config.RemoteRetry %v must be in 10ms..1m", t)
	}
	if c.hasRemote() && c.InlineThreshold > maxRemoteInline {
		return fmt.Errorf("erasure: Config.InlineThreshold %d must be <= %d bytes with remote drives (a record crosses the wire in one frame)",
			c.InlineThreshold, maxRemoteInline)
	}
	return nil
}

// DriveEndpoint is one drive of Config.Endpoints: a folder of this node
// (Path), or a drive served by another node's DriveServer (Node, Addr,
// Index).
type DriveEndpoint struct {
	// Path is the drive folder of a local drive; empty for a remote one.
	Path string
	// Node is the id of the node serving a remote drive; its DriveServer
	// must answer with this id (DriveServerConfig.NodeID).
	Node string
	// Addr is the address Config.Dial connects to for Node (its cluster
	// port). Every endpoint of one node has the same Addr.
	Addr string
	// Index is the remote drive's position among its node's local drives:
	// the Path endpoints of that node's own Config, counted in list order
	// (0-based, < 65536).
	Index int
}

func (e DriveEndpoint) remote() bool { return e.Path == "" }

// maxRemoteInline caps InlineThreshold when drives are remote: a value
// (up to maxValueRecords records with inline shards) must fit a frame.
const maxRemoteInline = 16 << 20

func (c *Config) driveCount() int {
	if len(c.Endpoints) > 0 {
		return len(c.Endpoints)
	}
	return len(c.Drives)
}

func (c *Config) hasRemote() bool {
	for _, e := range c.Endpoints {
		if e.remote() {
			return true
		}
	}
	return false
}

// endpoints returns the drive list (Drives as local endpoints).
func (c *Config) endpoints() []DriveEndpoint {
	if len(c.Endpoints) > 0 {
		return c.Endpoints
	}
	eps := make([]DriveEndpoint, len(c.Drives))
	for i, d := range c.Drives {
		eps[i].Path = d
	}
	return eps
}

func (c *Config) validateDrives() error {
	if len(c.Drives) > 0 && len(c.Endpoints) > 0 {
		return errors.New("erasure: set Config.Drives or Config.Endpoints, not both")
	}
	if len(c.Drives) == 0 && len(c.Endpoints) == 0 {
		return errors.New("erasure: Config.Drives must name at least 1 drive folder")
	}
	if c.DeploymentID != "" {
		if err := validID(c.DeploymentID); err != nil {
			return fmt.Errorf("erasure: Config.DeploymentID: %w", err)
		}
	}
	seen := make(map[string]bool, len(c.Drives))
	for i, d := range c.Drives {
		if d == "" {
			return fmt.Errorf("erasure: Config.Drives[%d] is empty", i)
		}
		if seen[d] {
			return fmt.Errorf("erasure: Config.Drives[%d] %q is listed twice", i, d)
		}
		seen[d] = true
	}
	addrs := map[string]string{}
	remote := 0
	for i, e := range c.Endpoints {
		if !e.remote() {
			if e.Node != "" || e.Addr != "" {
				return fmt.Errorf("erasure: Config.Endpoints[%d] sets Path and Node/Addr; a drive is local or remote", i)
			}
			if seen[e.Path] {
				return fmt.Errorf("erasure: Config.Endpoints[%d] path %q is listed twice", i, e.Path)
			}
			seen[e.Path] = true
			continue
		}
		remote++
		if err := validID(e.Node); err != nil {
			return fmt.Errorf("erasure: Config.Endpoints[%d].Node: %w", i, err)
		}
		if _, _, err := net.SplitHostPort(e.Addr); err != nil {
			return fmt.Errorf("erasure: Config.Endpoints[%d].Addr %q must be host:port: %w", i, e.Addr, err)
		}
		if a, ok := addrs[e.Node]; ok && a != e.Addr {
			return fmt.Errorf("erasure: Config.Endpoints[%d]: node %s has two addresses (%s, %s)", i, e.Node, a, e.Addr)
		}
		addrs[e.Node] = e.Addr
		if e.Index < 0 || e.Index > 0xffff {
			return fmt.Errorf("erasure: Config.Endpoints[%d].Index %d must be in 0..65535", i, e.Index)
		}
		k := fmt.Sprintf("\x00%s\x00%d", e.Node, e.Index)
		if seen[k] {
			return fmt.Errorf("erasure: Config.Endpoints[%d]: drive %d of node %s is listed twice", i, e.Index, e.Node)
		}
		seen[k] = true
	}
	if remote > 0 {
		if c.Dial == nil {
			return errors.New("erasure: Config.Dial is required with remote Endpoints")
		}
		if c.DeploymentID == "" {
			return errors.New("erasure: Config.DeploymentID is required with remote Endpoints (every node formats its drives with it)")
		}
	}
	return nil
}

// validID accepts 1..128 bytes of printable ASCII without spaces.
func validID(id string) error {
	if len(id) == 0 || len(id) > 128 {
		return fmt.Errorf("length %d must be in 1..128", len(id))
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return fmt.Errorf("byte %d (0x%02x) is not printable ASCII", i, id[i])
		}
	}
	return nil
}

// DefaultLayout returns the default data and parity shard counts for an
// erasure set of n drives (1 <= n <= MaxSetDrives):
//
//	drives  1    2    3    4    5    6    7    8    9..11   12..16
//	layout  1+0  1+1  2+1  2+2  3+2  4+2  5+2  6+2  n-3+3   n-4+4
func DefaultLayout(n int) (data, parity int) {
	switch {
	case n <= 1:
		return 1, 0
	case n == 2:
		return 1, 1
	case n == 3:
		return 2, 1
	case n == 4:
		return 2, 2
	case n <= 8:
		return n - 2, 2
	case n <= 11:
		return n - 3, 3
	default:
		return n - 4, 4
	}
}

// setSizes splits n drives into erasure sets: one set for n <= 16, else
// ceil(n/16) sets whose sizes differ by at most one (the first sets get the
// extra drive). Drives are assigned to sets in order.
func setSizes(n int) []int {
	if n <= MaxSetDrives {
		return []int{n}
	}
	s := (n + MaxSetDrives - 1) / MaxSetDrives
	sizes := make([]int, s)
	for i := range sizes {
		sizes[i] = n / s
		if i < n%s {
			sizes[i]++
		}
	}
	return sizes
}

// writeQuorum is k, or k+1 when k == m (so two disjoint halves cannot both
// win a write).
func writeQuorum(k, m int) int {
	if k == m {
		return k + 1
	}
	return k
}
