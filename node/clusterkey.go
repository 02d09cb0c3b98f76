package node

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// loadClusterKey returns the key that seals secrets in the replicated state:
// from cluster_secret (TESSERA_CLUSTER_SECRET) when set, which every node of
// a cluster must share; else from DATA/.tessera/cluster.key, generated with
// mode 0600 at the first start of a single node.
func loadClusterKey(secret, dataDir string) ([]byte, error) {
	if secret != "" {
		if len(secret) < 32 {
			return nil, fmt.Errorf("config: cluster_secret must be at least 32 characters, got %d", len(secret))
		}
		return []byte(secret), nil
	}
	path := filepath.Join(dataDir, ".tessera", "cluster.key")
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		k, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) < 32 {
			return nil, fmt.Errorf("cluster key file %s is damaged", path)
		}
		return k, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("read cluster key: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write cluster key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("write cluster key: %w", err)
	}
	return k, nil
}
