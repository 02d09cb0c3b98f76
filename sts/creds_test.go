package sts

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"900s": 900 * time.Second, "900": 900 * time.Second, "60m": time.Hour, "12h": 12 * time.Hour,
		"2d": 48 * time.Hour, "1w": 7 * 24 * time.Hour, " 15m ": 15 * time.Minute,
	}
	for in, want := range good {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "s", "-5m", "0s", "1.5h", "10y", "1e3s", "99999999999w"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}

func TestGeneratedCredentials(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		ak, err := NewSessionKey()
		if err != nil || len(ak) != 20 || !strings.HasPrefix(ak, "ASIA") || strings.ContainsAny(ak, "/+=") {
			t.Fatalf("session key %q %v", ak, err)
		}
		sa, _ := NewServiceAccountKey()
		if len(sa) != 20 || !strings.HasPrefix(sa, "TSA") {
			t.Fatalf("service account key %q", sa)
		}
		if seen[ak] || seen[sa] {
			t.Fatal("duplicate key")
		}
		seen[ak], seen[sa] = true, true
	}
	sk, _ := NewSecret()
	if len(sk) != 40 {
		t.Fatalf("secret %q", sk)
	}
	tok, _ := NewToken()
	h := HashToken(tok)
	if !TokenMatches(tok, h) || TokenMatches(tok+"x", h) || TokenMatches("", h) {
		t.Fatal("token hash comparison")
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.DefaultDuration = time.Minute
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "DefaultDuration") {
		t.Fatalf("bad default duration: %v", err)
	}
}
