package raftfsm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
)

// ErrUnseal: a sealed secret could not be opened with this cluster key
// (wrong key or damaged value).
var ErrUnseal = errors.New("raftfsm: cannot unseal secret (wrong cluster key?)")

// sealVersion prefixes every sealed value so the scheme can change.
const sealVersion = 1

// Sealer encrypts secrets with the cluster key (AES-256-GCM) before they are
// proposed, so that plain secrets never reach the Raft log or snapshots.
// The access key is bound as additional data: a sealed secret cannot be
// moved to another identity. Safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
	rand io.Reader
}

// NewSealer derives the AES-256 key from clusterKey (at least 32 bytes of
// secret material) with SHA-256 under a fixed label.
func NewSealer(clusterKey []byte) (*Sealer, error) {
	if len(clusterKey) < 32 {
		return nil, fmt.Errorf("raftfsm: cluster key has %d bytes, need at least 32", len(clusterKey))
	}
	k := sha256.Sum256(append([]byte("tessera secret sealing v1\x00"), clusterKey...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, rand: rand.Reader}, nil
}

// Seal encrypts secret for the identity accessKey.
func (s *Sealer) Seal(accessKey, secret string) ([]byte, error) {
	ns := s.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(secret)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := io.ReadFull(s.rand, out[1:1+ns]); err != nil {
		return nil, err
	}
	return s.aead.Seal(out, out[1:1+ns], []byte(secret), []byte(accessKey)), nil
}

// Open decrypts a value made by Seal for accessKey.
func (s *Sealer) Open(accessKey string, sealed []byte) (string, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < 1+ns+s.aead.Overhead() || sealed[0] != sealVersion {
		return "", ErrUnseal
	}
	pt, err := s.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], []byte(accessKey))
	if err != nil {
		return "", ErrUnseal
	}
	return string(pt), nil
}
