package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/raftfsm"
)

// Duration is a time.Duration that reads and writes as text ("24h", "90s")
// in TOML.
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// ErasureConfig is the [erasure] section.
type ErasureConfig struct {
	// DataShards and ParityShards choose the layout; 0 and 0 pick the
	// default for the drive count (see erasure/DESIGN.md).
	DataShards   int `toml:"data_shards"`
	ParityShards int `toml:"parity_shards"`
	// BlockSize is the erasure block size in bytes (0 = 1 MiB).
	BlockSize int `toml:"block_size"`
	// InlineThreshold: objects up to this many bytes are stored inline with
	// their metadata (0 = the erasure default, 128 KiB).
	InlineThreshold int `toml:"inline_threshold"`
	// MetaCacheSize is the block cache of the drives' metadata stores in
	// bytes, shared by all drives (0 = the erasure default, 256 MiB).
	MetaCacheSize int64 `toml:"meta_cache_size"`
	// MetaMemTableSize is each drive's metadata memtable in bytes (0 = the
	// erasure default, 32 MiB).
	MetaMemTableSize int `toml:"meta_memtable_size"`
	// BufferedIO writes shard files through the page cache instead of
	// with O_DIRECT (past their first MiB). Default false.
	BufferedIO bool `toml:"buffered_io"`
	// Sync makes every acknowledged write durable (fsync). Default true.
	Sync bool `toml:"sync"`
}

// RootConfig is the [root] section: the root credentials. When both are
// empty, credentials are generated at the first start, printed once and kept
// in the data folder.
type RootConfig struct {
	// User is root's access key (3-128 characters).
	User string `toml:"user"`
	// Password is root's secret key (8-128 characters).
	Password string `toml:"password"`
}

// Config is a node's configuration. Precedence: defaults, then the TOML file,
// then TESSERA_* environment variables, then command-line flags.
type Config struct {
	// Listen is the S3 API address, host:port.
	Listen string `toml:"listen"`
	// DataDir holds drives (when DrivePaths is empty), Raft state and keys.
	DataDir string `toml:"data_dir"`
	// Drives is how many drive folders to create under DataDir/drives when
	// DrivePaths is empty (1-64).
	Drives int `toml:"drives"`
	// DrivePaths lists drive folders explicitly (e.g. NVMe mount points).
	DrivePaths []string `toml:"drive_paths"`
	// TLSCert and TLSKey are PEM files; when both are set the S3 port
	// serves HTTPS. SIGHUP reloads them.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	// Region is the S3 region this node answers for.
	Region string `toml:"region"`
	// Domains enable virtual-hosted-style requests: Host "<bucket>.<domain>".
	Domains []string `toml:"domains"`
	// NodeID is the node's Raft id.
	NodeID string `toml:"node_id"`
	// ClusterListen is the cluster port (Raft and shard traffic), host:port.
	ClusterListen string `toml:"cluster_listen"`
	// ClusterAdvertise is the cluster address peers dial (default: the
	// bound address).
	ClusterAdvertise string `toml:"cluster_advertise"`
	// Peers are the cluster's initial voters, this node included: every
	// node is configured with the same list and they bootstrap together.
	// Empty: a single-node cluster.
	Peers []raftfsm.Peer `toml:"peers"`
	// Join makes a node with no Raft state wait to be added to an existing
	// cluster (`tessera cluster node add`) instead of bootstrapping one.
	Join bool `toml:"join"`
	// Lease: a node that has not heard from the Raft leader for this long
	// refuses authenticated requests with 503 rather than serve stale
	// identity (100ms - 1m; default 3s).
	Lease Duration `toml:"lease"`
	// ClusterDial, when set, opens node-to-node TCP connections (tests
	// route them through fault-injecting proxies).
	ClusterDial func(ctx context.Context, addr string) (net.Conn, error) `toml:"-"`
	// ClusterSecret is shared by every node of a cluster: it authenticates
	// node-to-node connections and seals secrets in the replicated state
	// (at least 32 characters). Empty on a single node: a key is generated.
	ClusterSecret string `toml:"cluster_secret"`
	// AnonymousUID and AnonymousGID are the POSIX owner recorded on objects
	// written anonymously (through a bucket policy); default 65534.
	AnonymousUID uint32 `toml:"anonymous_uid"`
	AnonymousGID uint32 `toml:"anonymous_gid"`
	// ChownObjects makes each object's shard files on every drive owned by
	// the writer's POSIX uid/gid when the server runs as root (default true).
	ChownObjects bool `toml:"chown_objects"`
	// MaxUsers caps the number of users (1 - 10,000,000).
	MaxUsers int `toml:"max_users"`
	// MaxPolicies caps the number of custom IAM policies (1 - 1,000,000).
	MaxPolicies int `toml:"max_policies"`
	// StaleUploadAge: multipart uploads older than this are aborted by a
	// background sweep (1m - 8760h).
	StaleUploadAge Duration `toml:"stale_upload_age"`
	// LifecycleInterval is the time between bucket lifecycle expiry scans,
	// which only the Raft leader runs (1m - 168h).
	LifecycleInterval Duration `toml:"lifecycle_interval"`
	// HealInterval is how often the Raft leader runs a background healing
	// pass over every object (rebuilding shards missing after a node or
	// drive was down); reads also heal what they find (10m - 720h).
	HealInterval Duration `toml:"heal_interval"`
	// DrainDelay: on SIGTERM the node first reports not-ready and keeps
	// serving this long so a load balancer's health checks take it out of
	// rotation before it stops accepting connections (0 - 1m; default 2s).
	DrainDelay Duration `toml:"drain_delay"`
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// on SIGTERM (1s - 1h).
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `toml:"log_level"`
	// Erasure is the [erasure] section.
	Erasure ErasureConfig `toml:"erasure"`
	// Root is the [root] section.
	Root RootConfig `toml:"root"`

	// Version is the binary's version (set by cmd/tessera), reported in
	// audit events.
	Version string `toml:"-"`
	// Logger receives the node's logs (default: text to stderr at LogLevel).
	Logger *slog.Logger `toml:"-"`
	// Stdout receives the one-time print of generated root credentials
	// (default os.Stdout).
	Stdout io.Writer `toml:"-"`
	// Now is the clock (default time.Now); tests override it.
	Now func() time.Time `toml:"-"`
	// CredentialNow is the clock that decides STS session expiry and
	// issues session times (default Now). Tests move it forward to expire
	// sessions without moving the clock SigV4's skew check uses.
	CredentialNow func() time.Time `toml:"-"`
	// LifecycleNow is the clock that decides bucket lifecycle expiry
	// (default Now). Tests move it forward to expire objects.
	LifecycleNow func() time.Time `toml:"-"`
}

// DefaultConfig returns the embedded defaults: a single node on
// 127.0.0.1:9000 with four drive folders under ./tessera-data.
func DefaultConfig() Config {
	return Config{
		Listen:          "127.0.0.1:9000",
		DataDir:         "./tessera-data",
		Drives:          4,
		Region:          "us-east-1",
		NodeID:          "node1",
		ClusterListen:   "127.0.0.1:9100",
		Lease:           Duration(3 * time.Second),
		MaxUsers:        100000,
		AnonymousUID:    65534,
		AnonymousGID:    65534,
		ChownObjects:    true,
		MaxPolicies:     1024,
		StaleUploadAge:  Duration(24 * time.Hour),
		ShutdownTimeout: Duration(30 * time.Second),
		DrainDelay:      Duration(2 * time.Second),
		HealInterval:    Duration(24 * time.Hour),
		LogLevel:        "info",
		Erasure:         ErasureConfig{Sync: true},

		LifecycleInterval: Duration(time.Hour),
	}
}

// LoadConfig returns the defaults overlaid with the TOML file at path (if
// path is not empty) and then with TESSERA_* environment variables.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	if path != "" {
		md, err := toml.DecodeFile(path, &cfg)
		if err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return cfg, fmt.Errorf("config %s: unknown key %q", path, und[0].String())
		}
	}
	if err := cfg.applyEnv(os.LookupEnv); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// applyEnv overlays TESSERA_* variables.
func (c *Config) applyEnv(lookup func(string) (string, bool)) error {
	str := func(name string, dst *string) {
		if v, ok := lookup(name); ok {
			*dst = v
		}
	}
	num := func(name string, dst *int) error {
		if v, ok := lookup(name); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("environment %s=%q: not an integer", name, v)
			}
			*dst = n
		}
		return nil
	}
	dur := func(name string, dst *Duration) error {
		if v, ok := lookup(name); ok {
			if err := dst.UnmarshalText([]byte(v)); err != nil {
				return fmt.Errorf("environment %s=%q: not a duration (e.g. 24h)", name, v)
			}
		}
		return nil
	}
	str("TESSERA_LISTEN", &c.Listen)
	str("TESSERA_DATA_DIR", &c.DataDir)
	str("TESSERA_REGION", &c.Region)
	str("TESSERA_NODE_ID", &c.NodeID)
	str("TESSERA_CLUSTER_LISTEN", &c.ClusterListen)
	str("TESSERA_CLUSTER_ADVERTISE", &c.ClusterAdvertise)
	str("TESSERA_LOG_LEVEL", &c.LogLevel)
	str("TESSERA_CLUSTER_SECRET", &c.ClusterSecret)
	str("TESSERA_TLS_CERT", &c.TLSCert)
	str("TESSERA_TLS_KEY", &c.TLSKey)
	str("TESSERA_ROOT_USER", &c.Root.User)
	str("TESSERA_ROOT_PASSWORD", &c.Root.Password)
	if v, ok := lookup("TESSERA_DOMAINS"); ok {
		c.Domains = splitList(v)
	}
	if v, ok := lookup("TESSERA_DRIVE_PATHS"); ok {
		c.DrivePaths = splitList(v)
	}
	if v, ok := lookup("TESSERA_SYNC"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("environment TESSERA_SYNC=%q: not a boolean", v)
		}
		c.Erasure.Sync = b
	}
	for _, e := range []error{
		num("TESSERA_DRIVES", &c.Drives),
		num("TESSERA_MAX_USERS", &c.MaxUsers),
		num("TESSERA_MAX_POLICIES", &c.MaxPolicies),
		num("TESSERA_ERASURE_DATA_SHARDS", &c.Erasure.DataShards),
		num("TESSERA_ERASURE_PARITY_SHARDS", &c.Erasure.ParityShards),
		dur("TESSERA_STALE_UPLOAD_AGE", &c.StaleUploadAge),
		dur("TESSERA_LIFECYCLE_INTERVAL", &c.LifecycleInterval),
		dur("TESSERA_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout),
		dur("TESSERA_LEASE", &c.Lease),
		dur("TESSERA_DRAIN_DELAY", &c.DrainDelay),
		dur("TESSERA_HEAL_INTERVAL", &c.HealInterval),
	} {
		if e != nil {
			return e
		}
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Validate names the bad field and its allowed range.
func (c *Config) Validate() error {
	if err := validHostPort("listen", c.Listen); err != nil {
		return err
	}
	if err := validHostPort("cluster_listen", c.ClusterListen); err != nil {
		return err
	}
	if c.DataDir == "" {
		return errors.New("config: data_dir must be set")
	}
	if len(c.DrivePaths) == 0 && (c.Drives < 1 || c.Drives > 64) {
		return fmt.Errorf("config: drives = %d, must be between 1 and 64", c.Drives)
	}
	if len(c.DrivePaths) > 1024 {
		return fmt.Errorf("config: drive_paths has %d entries, at most 1024", len(c.DrivePaths))
	}
	if c.Region == "" || len(c.Region) > 64 {
		return fmt.Errorf("config: region %q must be 1-64 characters", c.Region)
	}
	if c.NodeID == "" || len(c.NodeID) > 128 {
		return fmt.Errorf("config: node_id %q must be 1-128 characters", c.NodeID)
	}
	if d := time.Duration(c.StaleUploadAge); d < time.Minute || d > 8760*time.Hour {
		return fmt.Errorf("config: stale_upload_age = %v, must be between 1m and 8760h", d)
	}
	if d := time.Duration(c.LifecycleInterval); d < time.Minute || d > 168*time.Hour {
		return fmt.Errorf("config: lifecycle_interval = %v, must be between 1m and 168h", d)
	}
	if d := time.Duration(c.HealInterval); d < 10*time.Minute || d > 720*time.Hour {
		return fmt.Errorf("config: heal_interval = %v, must be between 10m and 720h", d)
	}
	if d := time.Duration(c.DrainDelay); d < 0 || d > time.Minute {
		return fmt.Errorf("config: drain_delay = %v, must be between 0s and 1m", d)
	}
	if d := time.Duration(c.ShutdownTimeout); d < time.Second || d > time.Hour {
		return fmt.Errorf("config: shutdown_timeout = %v, must be between 1s and 1h", d)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if d := time.Duration(c.Lease); d < 100*time.Millisecond || d > time.Minute {
		return fmt.Errorf("config: lease = %v, must be between 100ms and 1m", d)
	}
	if len(c.Peers) > 1 && c.ClusterSecret == "" {
		return errors.New("config: cluster_secret (TESSERA_CLUSTER_SECRET) is required when peers lists more than one node")
	}
	if len(c.Peers) > 0 {
		found := false
		for i, p := range c.Peers {
			if p.ID == "" || p.Addr == "" {
				return fmt.Errorf("config: peers[%d] needs id and addr", i)
			}
			found = found || p.ID == c.NodeID
		}
		if !found {
			return fmt.Errorf("config: peers does not list this node's node_id %q", c.NodeID)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("config: tls_cert and tls_key (TESSERA_TLS_CERT, TESSERA_TLS_KEY) must be set together")
	}
	if c.ClusterSecret != "" && len(c.ClusterSecret) < 32 {
		return fmt.Errorf("config: cluster_secret must be at least 32 characters, got %d", len(c.ClusterSecret))
	}
	if c.MaxUsers < 1 || c.MaxUsers > 10_000_000 {
		return fmt.Errorf("config: max_users = %d, must be between 1 and 10000000", c.MaxUsers)
	}
	if c.MaxPolicies < 1 || c.MaxPolicies > 1_000_000 {
		return fmt.Errorf("config: max_policies = %d, must be between 1 and 1000000", c.MaxPolicies)
	}
	if c.Erasure.DataShards < 0 || c.Erasure.DataShards > 256 {
		return fmt.Errorf("config: erasure.data_shards = %d, must be between 0 and 256", c.Erasure.DataShards)
	}
	if c.Erasure.ParityShards < 0 || c.Erasure.ParityShards > 256 {
		return fmt.Errorf("config: erasure.parity_shards = %d, must be between 0 and 256", c.Erasure.ParityShards)
	}
	if c.Erasure.BlockSize != 0 && (c.Erasure.BlockSize < 64<<10 || c.Erasure.BlockSize > 64<<20) {
		return fmt.Errorf("config: erasure.block_size = %d, must be between 65536 and 67108864 bytes", c.Erasure.BlockSize)
	}
	if c.Erasure.InlineThreshold < 0 || c.Erasure.InlineThreshold > 4<<20 {
		return fmt.Errorf("config: erasure.inline_threshold = %d, must be between 0 and 4194304 bytes", c.Erasure.InlineThreshold)
	}
	if c.Erasure.MetaCacheSize < 0 || c.Erasure.MetaCacheSize > 1<<40 {
		return fmt.Errorf("config: erasure.meta_cache_size = %d, must be between 0 and 1099511627776 bytes", c.Erasure.MetaCacheSize)
	}
	if m := c.Erasure.MetaMemTableSize; m != 0 && (m < 256<<10 || m > 256<<20) {
		return fmt.Errorf("config: erasure.meta_memtable_size = %d, must be 0 or between 262144 and 268435456 bytes", m)
	}
	if (c.Root.User == "") != (c.Root.Password == "") {
		return errors.New("config: root.user and root.password (TESSERA_ROOT_USER, TESSERA_ROOT_PASSWORD) must be set together")
	}
	if c.Root.User != "" {
		if n := len(c.Root.User); n < 3 || n > 128 {
			return fmt.Errorf("config: root.user must be 3-128 characters, got %d", n)
		}
		if n := len(c.Root.Password); n < 8 || n > 128 {
			return fmt.Errorf("config: root.password must be 8-128 characters, got %d", n)
		}
	}
	return nil
}

func validHostPort(field, v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("config: %s = %q, must be host:port", field, v)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("config: %s = %q, port must be between 0 and 65535", field, v)
	}
	_ = host
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("config: log_level = %q, must be debug, info, warn or error", s)
}

// driveEndpoints returns the cluster-wide drive list when the node is part
// of a multi-node cluster (nil for a single node). Every node has the same
// number of drives; the list interleaves nodes drive by drive (node1's
// first drive, node2's first, ..., node1's second, ...), so the consecutive
// drives that form an erasure set are spread evenly over the nodes and the
// failure domain is the node. Every node computes the same list from the
// same peers.
func (c *Config) driveEndpoints() []erasure.DriveEndpoint {
	if len(c.Peers) < 2 {
		return nil
	}
	local := c.drivePaths()
	var out []erasure.DriveEndpoint
	for i := range local {
		for _, p := range c.Peers {
			if p.ID == c.NodeID {
				out = append(out, erasure.DriveEndpoint{Path: local[i]})
			} else {
				out = append(out, erasure.DriveEndpoint{Node: p.ID, Addr: p.Addr, Index: i})
			}
		}
	}
	return out
}

// clusterLayout returns the default data and parity shards of a
// multi-node cluster (0, 0 when erasure's own default already lets a whole
// node fail, or when the sets differ in size). With the interleaved drive
// list each set holds at most ceil(set size / nodes) drives of one node;
// parity must cover that many so that losing any one node loses nothing.
// See docs/DESIGN.md for the table.
func clusterLayout(nodes, drivesPerNode int) (data, parity int) {
	total := nodes * drivesPerNode
	sets := (total + erasure.MaxSetDrives - 1) / erasure.MaxSetDrives
	if nodes < 2 || total%sets != 0 {
		return 0, 0
	}
	size := total / sets
	perNode := (size + nodes - 1) / nodes
	_, m := erasure.DefaultLayout(size)
	if m >= perNode || perNode > size/2 {
		return 0, 0
	}
	return size - perNode, perNode
}

// deploymentID names the cluster's drive formats: derived from the cluster
// secret, so every node agrees without coordination.
func deploymentID(secret string) string {
	h := sha256.Sum256([]byte("tessera deployment id\x00" + secret))
	return hex.EncodeToString(h[:16])
}

// drivePaths returns the drive folders: DrivePaths, or Drives folders under
// DataDir/drives.
func (c *Config) drivePaths() []string {
	if len(c.DrivePaths) > 0 {
		return c.DrivePaths
	}
	out := make([]string, c.Drives)
	for i := range out {
		out[i] = filepath.Join(c.DataDir, "drives", fmt.Sprintf("drive%d", i+1))
	}
	return out
}
