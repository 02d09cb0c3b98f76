// Package nodetest starts real Tessera nodes inside tests: a node on a free
// 127.0.0.1 port with its drives in a temporary folder, and aws-sdk-go-v2
// clients pointed at it. It is for tests only; production code never imports
// it.
package nodetest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/node"
)

// Node is a running test node.
type Node struct {
	// Endpoint is the S3 endpoint, "http://127.0.0.1:PORT".
	Endpoint string
	// Region is the node's region.
	Region string
	// AccessKey and SecretKey are root's credentials.
	AccessKey, SecretKey string
	// DataDir is the node's data folder.
	DataDir string
	// Drives are the node's drive folders.
	Drives []string
	// Node is the running node (nil while stopped).
	Node *node.Node

	cfg  node.Config
	addr string
}

// Option changes the node's configuration.
type Option func(*node.Config)

// WithDrives sets the number of drive folders.
func WithDrives(n int) Option { return func(c *node.Config) { c.Drives = n } }

// WithDomain enables virtual-hosted-style addressing for domain d.
func WithDomain(d string) Option { return func(c *node.Config) { c.Domains = append(c.Domains, d) } }

// WithConfig applies fn to the configuration.
func WithConfig(fn func(*node.Config)) Option { return Option(fn) }

// Start starts a node and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Node {
	t.Helper()
	dir := t.TempDir()
	cfg := node.DefaultConfig()
	cfg.DataDir = dir
	cfg.Listen = "127.0.0.1:0"
	cfg.ClusterListen = "127.0.0.1:0"
	cfg.Root = node.RootConfig{User: "tessera-test-root", Password: "Test-Root-Secret-1"}
	cfg.Stdout = io.Discard
	cfg.ShutdownTimeout = node.Duration(10 * time.Second)
	cfg.DrainDelay = 0
	if os.Getenv("TESSERA_TEST_LOG") == "" {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, o := range opts {
		o(&cfg)
	}
	n := &Node{cfg: cfg, Region: cfg.Region, AccessKey: cfg.Root.User, SecretKey: cfg.Root.Password, DataDir: dir}
	for i := 0; i < cfg.Drives && len(cfg.DrivePaths) == 0; i++ {
		n.Drives = append(n.Drives, filepath.Join(dir, "drives", "drive"+strconv.Itoa(i+1)))
	}
	if len(cfg.DrivePaths) > 0 {
		n.Drives = cfg.DrivePaths
	}
	n.start(t)
	t.Cleanup(func() { n.Stop(t) })
	return n
}

func (n *Node) start(t testing.TB) {
	t.Helper()
	if err := n.startErr(); err != nil {
		t.Fatalf("nodetest: start: %v", err)
	}
	// Keep the ports across restarts, as a real node's are.
	n.cfg.ClusterListen = n.Node.ClusterAddr()
}

// Stop shuts the node down gracefully (no-op when stopped).
func (n *Node) Stop(t testing.TB) {
	t.Helper()
	if n.Node == nil {
		return
	}
	if err := n.Node.Shutdown(context.Background()); err != nil {
		t.Errorf("nodetest: shutdown: %v", err)
	}
	n.Node = nil
}

// Restart stops the node and starts it again on the same address and data.
func (n *Node) Restart(t testing.TB) {
	t.Helper()
	n.Stop(t)
	n.start(t)
}

// S3 returns an aws-sdk-go-v2 S3 client with the SDK's default
// configuration (including its default request checksums), root's static
// credentials, path-style addressing and BaseEndpoint set to the node.
func (n *Node) S3(t testing.TB, optFns ...func(*s3.Options)) *s3.Client {
	t.Helper()
	return n.S3With(t, n.AccessKey, n.SecretKey, "", optFns...)
}

// S3With is S3 with other credentials (sessionToken may be empty).
func (n *Node) S3With(t testing.TB, accessKey, secretKey, sessionToken string, optFns ...func(*s3.Options)) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(n.Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKey, secretKey, sessionToken)),
	)
	if err != nil {
		t.Fatalf("nodetest: aws config: %v", err)
	}
	ep := n.Endpoint
	opts := append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(ep)
		o.UsePathStyle = true
	}}, optFns...)
	return s3.NewFromConfig(cfg, opts...)
}
