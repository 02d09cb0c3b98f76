package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigValid(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9000" || c.DataDir != "./tessera-data" || len(c.drivePaths()) != 4 {
		t.Fatalf("defaults changed: %+v", c)
	}
}

func TestExampleConfigLoads(t *testing.T) {
	c, err := LoadConfig(filepath.Join("..", "deploy", "tessera.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/var/lib/tessera" || !c.Erasure.Sync || time.Duration(c.StaleUploadAge) != 24*time.Hour {
		t.Fatalf("example config: %+v", c)
	}
}

func TestConfigPrecedenceAndErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.toml")
	if err := os.WriteFile(path, []byte("listen = \"127.0.0.1:9999\"\ndrives = 6\n[erasure]\ndata_shards = 4\nparity_shards = 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TESSERA_DRIVES", "8")
	t.Setenv("TESSERA_ROOT_USER", "admin")
	t.Setenv("TESSERA_ROOT_PASSWORD", "Secret-123")
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9999" || c.Drives != 8 || c.Erasure.DataShards != 4 || c.Root.User != "admin" {
		t.Fatalf("precedence: %+v", c)
	}

	if err := os.WriteFile(path, []byte("listn = \"x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), "listn") {
		t.Fatalf("unknown key: %v", err)
	}
	t.Setenv("TESSERA_DRIVES", "many")
	if _, err := LoadConfig(""); err == nil || !strings.Contains(err.Error(), "TESSERA_DRIVES") {
		t.Fatalf("bad env: %v", err)
	}
}

func TestValidateNamesField(t *testing.T) {
	cases := []struct {
		mut  func(*Config)
		want string
	}{
		{func(c *Config) { c.Listen = "nope" }, "listen"},
		{func(c *Config) { c.Drives = 0 }, "drives = 0, must be between 1 and 64"},
		{func(c *Config) { c.Drives = 65 }, "drives"},
		{func(c *Config) { c.Region = "" }, "region"},
		{func(c *Config) { c.StaleUploadAge = Duration(time.Second) }, "stale_upload_age"},
		{func(c *Config) { c.LogLevel = "loud" }, "log_level"},
		{func(c *Config) { c.Erasure.BlockSize = 10 }, "erasure.block_size"},
		{func(c *Config) { c.Root.User = "admin" }, "root.user and root.password"},
		{func(c *Config) { c.Root = RootConfig{User: "admin", Password: "short"} }, "root.password"},
		{func(c *Config) { c.ClusterListen = "1.2.3.4:99999" }, "cluster_listen"},
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.mut(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want error containing %q, got %v", tc.want, err)
		}
	}
}

func TestRootCredentialsGeneratedOnce(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	rc, err := loadRootCredentials(RootConfig{}, dir, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.AccessKey) != 20 || len(rc.SecretKey) != 40 || !strings.Contains(out.String(), rc.SecretKey) {
		t.Fatalf("generated %+v, printed %q", rc, out.String())
	}
	fi, err := os.Stat(filepath.Join(dir, ".tessera", "root-credentials.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}
	out.Reset()
	rc2, err := loadRootCredentials(RootConfig{}, dir, &out)
	if err != nil || rc2 != rc || out.Len() != 0 {
		t.Fatalf("second start: %+v %v printed %q", rc2, err, out.String())
	}
	rc3, _ := loadRootCredentials(RootConfig{User: "u", Password: "p"}, dir, &out)
	if rc3.AccessKey != "u" {
		t.Fatal("config credentials ignored")
	}
}

func TestClusterLayoutLosesNoNode(t *testing.T) {
	cases := []struct{ nodes, drives, data, parity int }{
		{2, 4, 4, 4}, // erasure's default for 8 drives (6+2) could not lose a node
		{2, 8, 8, 8}, // 12+4 neither
		{3, 4, 0, 0}, // default 8+4 already loses a node
		{4, 2, 0, 0}, // default 6+2, two drives per node
		{1, 4, 0, 0}, // single node: erasure's default
		{5, 8, 0, 0}, // unequal sets: erasure's default (10+4/9+4, 3 per node)
		{2, 1, 0, 0}, // 1+1
	}
	for _, c := range cases {
		d, p := clusterLayout(c.nodes, c.drives)
		if d != c.data || p != c.parity {
			t.Errorf("%d nodes x %d drives: %d+%d, want %d+%d", c.nodes, c.drives, d, p, c.data, c.parity)
		}
	}
}
