package admin

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/tessera-s3/tessera/raftfsm"
)

func TestValidateAuditEndpoint(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"http://127.0.0.1:9999/audit", true},
		{"https://audit.example.com/hook?tenant=a", true},
		{"http://[::1]:8080/", true},
		{"", false},
		{"ftp://example.com/", false},
		{"example.com/audit", false},
		{"http://", false},
		{"http:///path", false},
		{"https://user:pw@example.com/", false},
		{"http://example.com/#frag", false},
		{"http://exa mple.com/", false},
		{"http://example.com/" + strings.Repeat("a", MaxAuditEndpointLen), false},
	} {
		err := ValidateAuditEndpoint(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateAuditEndpoint(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
		var ae *Error
		if err != nil && (!errors.As(err, &ae) || ae.Status != 400) {
			t.Errorf("ValidateAuditEndpoint(%q): %v is not a 400 API error", tc.in, err)
		}
	}
}

func TestValidateAuditToken(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"", true},
		{"abc.DEF-123_~+/=", true},
		{strings.Repeat("x", MaxAuditTokenLen), true},
		{strings.Repeat("x", MaxAuditTokenLen+1), false},
		{"a b", false},
		{"abc\r\nX-Injected: 1", false},
		{"tök", false},
	} {
		if err := ValidateAuditToken(tc.in); (err == nil) != tc.ok {
			t.Errorf("ValidateAuditToken(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func testSealer(t *testing.T, b byte) *raftfsm.Sealer {
	t.Helper()
	s, err := raftfsm.NewSealer([]byte(strings.Repeat(string(rune('a'+b)), 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReadAuditWebhook(t *testing.T) {
	s := testSealer(t, 0)
	if ep, tok, err := ReadAuditWebhook("", s); ep != "" || tok != "" || err != nil {
		t.Fatalf("empty setting: %q %q %v", ep, tok, err)
	}
	sealed, err := s.Seal(SettingAuditWebhook, "secret-token")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := json.Marshal(auditWebhookSetting{Endpoint: "https://h.example/a", SealedToken: sealed})
	if strings.Contains(string(v), "secret-token") {
		t.Fatalf("setting holds the token in clear: %s", v)
	}
	ep, tok, err := ReadAuditWebhook(string(v), s)
	if err != nil || ep != "https://h.example/a" || tok != "secret-token" {
		t.Fatalf("got %q %q %v", ep, tok, err)
	}
	// Another cluster key cannot open it.
	if _, _, err := ReadAuditWebhook(string(v), testSealer(t, 1)); !errors.Is(err, raftfsm.ErrUnseal) {
		t.Fatalf("other key: %v", err)
	}
	// A secret sealed for another identity (a user's password) cannot be
	// moved into the setting.
	other, _ := s.Seal("alice", "alice-password")
	v2, _ := json.Marshal(auditWebhookSetting{Endpoint: "https://h.example/a", SealedToken: other})
	if _, _, err := ReadAuditWebhook(string(v2), s); !errors.Is(err, raftfsm.ErrUnseal) {
		t.Fatalf("moved secret: %v", err)
	}
	if _, _, err := ReadAuditWebhook("{not json", s); err == nil {
		t.Fatal("garbage setting accepted")
	}
	// No token.
	v3, _ := json.Marshal(auditWebhookSetting{Endpoint: "http://h/"})
	if ep, tok, err := ReadAuditWebhook(string(v3), s); ep != "http://h/" || tok != "" || err != nil {
		t.Fatalf("no token: %q %q %v", ep, tok, err)
	}
}

// FuzzValidateAuditEndpoint: whatever passes is an http(s) URL with a host
// and no credentials, and validation never panics.
func FuzzValidateAuditEndpoint(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:9/a", "https://u:p@h/", "http://[::1", "http://h/#x", "HTTP://H", "http://%41/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateAuditEndpoint(s) != nil {
			return
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
			t.Fatalf("accepted %q (%+v, %v)", s, u, err)
		}
	})
}

// FuzzValidateAuditToken: whatever passes fits in a header value as is.
func FuzzValidateAuditToken(f *testing.F) {
	for _, s := range []string{"", "tok", "a\nb", "\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateAuditToken(s) != nil {
			return
		}
		if len(s) > MaxAuditTokenLen || strings.ContainsAny(s, " \t\r\n\x00\x7f") {
			t.Fatalf("accepted %q", s)
		}
	})
}
