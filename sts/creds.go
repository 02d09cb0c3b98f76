package sts

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const (
	keyAlphabet    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randomString returns n characters from alphabet (whose length divides
// 256, so every character is equally likely).
func randomString(n int, alphabet string) (string, error) {
	if 256%len(alphabet) != 0 {
		return "", errors.New("sts: alphabet length must divide 256")
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

// NewSessionKey returns a temporary access key: "ASIA" and 16 characters,
// as AWS's temporary keys look.
func NewSessionKey() (string, error) {
	s, err := randomString(16, keyAlphabet)
	return "ASIA" + s, err
}

// NewServiceAccountKey returns a service account's access key: "TSA" and
// 17 characters.
func NewServiceAccountKey() (string, error) {
	s, err := randomString(17, keyAlphabet)
	return "TSA" + s, err
}

// NewSecret returns a 40-character secret key.
func NewSecret() (string, error) { return randomString(40, secretAlphabet) }

// NewToken returns a session token: 48 random bytes, base64url.
func NewToken() (string, error) {
	b := make([]byte, 48)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken is what the state keeps of a session token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// TokenMatches compares a presented token with a stored hash in constant
// time.
func TokenMatches(token string, hash []byte) bool {
	h := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(h[:], hash) == 1
}

// ParseDuration reads the CLI forms of a session duration: "900s", "60m",
// "12h", "2d", "1w" (a bare number is seconds).
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	unit := time.Second
	num := s
	switch s[len(s)-1] {
	case 's':
		num = s[:len(s)-1]
	case 'm':
		unit, num = time.Minute, s[:len(s)-1]
	case 'h':
		unit, num = time.Hour, s[:len(s)-1]
	case 'd':
		unit, num = 24*time.Hour, s[:len(s)-1]
	case 'w':
		unit, num = 7*24*time.Hour, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > 1<<20 {
		return 0, fmt.Errorf("duration %q: want a positive number with s, m, h, d or w (e.g. 900s, 60m, 2d, 1w)", s)
	}
	return time.Duration(n) * unit, nil
}
