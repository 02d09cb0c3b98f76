package node

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// rootCredentials are the root user's access and secret key.
type rootCredentials struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

const (
	akAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	skAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randomString returns n characters drawn uniformly from alphabet.
func randomString(n int, alphabet string) (string, error) {
	out := make([]byte, n)
	buf := make([]byte, 1)
	limit := 256 - 256%len(alphabet)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		if int(buf[0]) >= limit {
			continue
		}
		out[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(out), nil
}

// loadRootCredentials returns root's credentials: from the config when set;
// else from the file kept in the data folder; else newly generated, kept in
// that file (mode 0600) and printed once to out. They are never logged.
func loadRootCredentials(cfg RootConfig, dataDir string, out io.Writer) (rootCredentials, error) {
	if cfg.User != "" {
		return rootCredentials{AccessKey: cfg.User, SecretKey: cfg.Password}, nil
	}
	path := filepath.Join(dataDir, ".tessera", "root-credentials.json")
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		var rc rootCredentials
		if err := json.Unmarshal(b, &rc); err != nil || rc.AccessKey == "" || rc.SecretKey == "" {
			return rootCredentials{}, fmt.Errorf("root credentials file %s is damaged; remove it to generate new ones", path)
		}
		return rc, nil
	case !errors.Is(err, os.ErrNotExist):
		return rootCredentials{}, fmt.Errorf("read root credentials: %w", err)
	}
	ak, err := randomString(20, akAlphabet)
	if err != nil {
		return rootCredentials{}, err
	}
	sk, err := randomString(40, skAlphabet)
	if err != nil {
		return rootCredentials{}, err
	}
	rc := rootCredentials{AccessKey: ak, SecretKey: sk}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return rootCredentials{}, err
	}
	b, _ = json.Marshal(rc)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return rootCredentials{}, fmt.Errorf("write root credentials: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return rootCredentials{}, fmt.Errorf("write root credentials: %w", err)
	}
	fmt.Fprintf(out, "Generated root credentials (shown only this once; kept in %s):\n  access key: %s\n  secret key: %s\n", path, ak, sk)
	return rc, nil
}
