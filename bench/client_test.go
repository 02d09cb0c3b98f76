package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
)

func TestErrorCode(t *testing.T) {
	tests := []struct {
		status     int
		body       string
		head       bool
		code, note string
	}{
		{403, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message></Error>`, false, "SignatureDoesNotMatch", "The request signature we calculated does not match"},
		{400, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code> ValidationError </Code><Message>x</Message></Error></ErrorResponse>`, false, "ValidationError", "x"},
		{200, `<Error><Code>InternalError</Code></Error>`, false, "InternalError", ""},
		{404, ``, true, "NotFound", ""},
		{403, ``, true, "Forbidden", ""},
		{503, `Service Unavailable`, false, "HTTP 503", "Service Unavailable"},
		{500, `<Error><Code>has space</Code></Error>`, false, "HTTP 500", `<Error><Code>has space</Code></Error>`},
		{500, `<Error><Code>` + strings.Repeat("A", 65) + `</Code></Error>`, false, "HTTP 500", ""},
		{502, `<Code>unterminated`, false, "HTTP 502", "<Code>unterminated"},
	}
	for _, tc := range tests {
		code, note := errorCode(tc.status, []byte(tc.body), tc.head)
		if code != tc.code || (tc.note != "" && note != tc.note) {
			t.Errorf("%d %q: got %q %q, want %q %q", tc.status, tc.body, code, note, tc.code, tc.note)
		}
	}
}

func TestS3Escape(t *testing.T) {
	for in, want := range map[string]string{
		"/bucket/bench/obj-1":     "/bucket/bench/obj-1",
		"/b/a b+c":                "/b/a%20b%2Bc",
		"/b/ü~._-":                "/b/%C3%BC~._-",
		"/b/100%/?#=&":            "/b/100%25/%3F%23%3D%26",
		"/b/" + string([]byte{0}): "/b/%00",
	} {
		if got := s3Escape(in); got != want {
			t.Errorf("s3Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTransportCode(t *testing.T) {
	// A port nobody listens on: connection refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = net.Dial("tcp", addr)
	if err == nil {
		t.Skip("the closed port accepted a connection")
	}
	if got := transportCode(err); got != "transport: connection refused" {
		t.Errorf("refused: %q (%v)", got, err)
	}
	if got := transportCode(fmt.Errorf("read: %w", io.ErrUnexpectedEOF)); got != "transport: connection closed" {
		t.Errorf("EOF: %q", got)
	}
	if got := transportCode(&net.DNSError{Err: "no such host", Name: "x"}); got != "transport: dns" {
		t.Errorf("dns: %q", got)
	}
	if got := transportCode(errors.New("something else")); got != "transport: other" {
		t.Errorf("other: %q", got)
	}
}

func TestRepeatReader(t *testing.T) {
	r := &repeatReader{buf: []byte("abc"), off: 1, n: 8}
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "bcabcabc" {
		t.Fatalf("got %q, %v", b, err)
	}
}

func FuzzXMLCode(f *testing.F) {
	f.Add([]byte(`<Error><Code>NoSuchKey</Code><Message>m</Message></Error>`))
	f.Add([]byte(`<Code></Code>`))
	f.Add([]byte(`<Code>a</Code><Code>b</Code>`))
	f.Add([]byte(`</Code><Code>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		code := xmlCode(body)
		if len(code) > 64 {
			t.Fatalf("code of %d bytes", len(code))
		}
		for _, c := range []byte(code) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
				t.Fatalf("code %q has byte %q", code, c)
			}
		}
		if code != "" && !strings.Contains(string(body), code) {
			t.Fatalf("code %q not in body", code)
		}
		c2, _ := errorCode(500, body, false)
		if c2 == "" {
			t.Fatal("errorCode returned no code")
		}
	})
}
