package sigv4

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/tessera-s3/tessera/s3api/checksum"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

// anonPut builds an anonymous PUT with extra header lines and body, and
// returns its Result and BodyReader.
func anonPut(t *testing.T, headers string, body []byte) (*BodyReader, error) {
	t.Helper()
	v := NewVerifier(Config{})
	head := "PUT /bucket/key HTTP/1.1\nHost: h\nContent-Length: " + strconv.Itoa(len(body)) + "\n" + headers
	req := parseRequest(t, head, body)
	res, err := v.Verify(req, secrets())
	if err != nil {
		return nil, err
	}
	return v.NewBodyReader(&res, req, bytes.NewReader(body))
}

func TestChecksumHeaders(t *testing.T) {
	body := []byte("The quick brown fox jumps over the lazy dog")
	for _, alg := range checksum.Algorithms {
		good := checksum.Encode(checksum.Sum(alg, body))
		wrong := checksum.Encode(checksum.Sum(alg, body[1:]))
		t.Run(alg.String(), func(t *testing.T) {
			for _, mode := range []string{"", "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD\n"} {
				br, err := anonPut(t, mode+alg.HeaderName()+": "+good+"\nX-Amz-Sdk-Checksum-Algorithm: "+strings.ToLower(alg.String()), body)
				if err != nil {
					t.Fatal(err)
				}
				if a, s := br.Checksum(); a != "" || s != "" {
					t.Fatal("Checksum() before EOF must be empty")
				}
				out, err := io.ReadAll(br)
				if err != nil || !bytes.Equal(out, body) {
					t.Fatalf("%q %v", out, err)
				}
				if a, s := br.Checksum(); a != alg.String() || s != good {
					t.Fatalf("Checksum() = %s %s", a, s)
				}
			}
			br, err := anonPut(t, alg.HeaderName()+": "+wrong, body)
			if err != nil {
				t.Fatal(err)
			}
			_, err = io.ReadAll(br)
			e := wantCode(t, err, "BadDigest")
			if want := "The " + alg.String() + " you specified did not match the calculated checksum."; e.Message != want {
				t.Fatalf("message %q", e.Message)
			}
			if a, _ := br.Checksum(); a != "" {
				t.Fatal("Checksum() after a mismatch must be empty")
			}
			for _, bad := range []string{good[:len(good)-4], good + "AAAA", "!" + good[1:], strings.Repeat("=", len(good))} {
				_, err = anonPut(t, alg.HeaderName()+": "+bad, body)
				e := wantCode(t, err, "InvalidRequest")
				if e.Message != "Value for "+alg.HeaderName()+" header is invalid." {
					t.Fatalf("message %q", e.Message)
				}
			}
		})
	}
}

func TestChecksumHeaderRules(t *testing.T) {
	body := []byte("data")
	crc32 := checksum.Encode(checksum.Sum(checksum.CRC32, body))
	sha := checksum.Encode(checksum.Sum(checksum.SHA256, body))
	cases := []struct {
		name, headers, code, msg string
	}{
		{"two checksum headers", "x-amz-checksum-crc32: " + crc32 + "\nx-amz-checksum-sha256: " + sha, "InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."},
		{"sdk algorithm without value", "x-amz-sdk-checksum-algorithm: CRC32", "InvalidRequest", "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found."},
		{"sdk algorithm unknown", "x-amz-sdk-checksum-algorithm: MD5\nx-amz-checksum-crc32: " + crc32, "InvalidRequest", ""},
		{"sdk algorithm differs", "x-amz-sdk-checksum-algorithm: SHA256\nx-amz-checksum-crc32: " + crc32, "InvalidRequest", ""},
		{"trailer without trailer mode", "x-amz-trailer: x-amz-checksum-crc32", "InvalidRequest", ""},
		{"unsupported trailer", "X-Amz-Content-Sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\nx-amz-trailer: x-amz-meta-foo", "InvalidRequest", "The value specified in the x-amz-trailer header is not supported"},
		{"two trailers", "X-Amz-Content-Sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\nx-amz-trailer: x-amz-checksum-crc32, x-amz-checksum-sha256", "InvalidRequest", ""},
		{"trailer and header", "X-Amz-Content-Sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\nx-amz-trailer: x-amz-checksum-crc32\nx-amz-checksum-sha256: " + sha, "InvalidRequest", ""},
		{"bad decoded length", "X-Amz-Content-Sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\nx-amz-decoded-content-length: -1", "InvalidArgument", ""},
		{"bad content sha256", "X-Amz-Content-Sha256: 1234", "InvalidArgument", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := anonPut(t, c.headers, body)
			e := wantCode(t, err, c.code)
			if c.msg != "" && e.Message != c.msg {
				t.Fatalf("message %q, want %q", e.Message, c.msg)
			}
		})
	}
}

// An anonymous request that names the body's SHA-256 gets it checked.
func TestAnonymousSignedPayload(t *testing.T) {
	body := []byte("payload")
	br, err := anonPut(t, "X-Amz-Content-Sha256: "+hashHex(body), body)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := io.ReadAll(br); err != nil || !bytes.Equal(out, body) {
		t.Fatalf("%q %v", out, err)
	}
	br, err = anonPut(t, "X-Amz-Content-Sha256: "+hashHex([]byte("other")), body)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(br)
	wantCode(t, err, "XAmzContentSHA256Mismatch")
}

func TestHashReader(t *testing.T) {
	body := []byte("0123456789")
	want := sha256.Sum256(body)
	cases := []struct {
		name     string
		src      []byte
		declared int64
		code     string
	}{
		{"match", body, 10, ""},
		{"match unknown length", body, -1, ""},
		{"mismatch", []byte("0123456780"), 10, "XAmzContentSHA256Mismatch"},
		{"short", body[:9], 10, "IncompleteBody"},
		{"long", append(body, 'x'), 10, "IncompleteBody"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newHashReader(bytes.NewReader(c.src), &want, c.declared)
			out, err := readAllBy(r, 3)
			if c.code == "" {
				if err != nil || !bytes.Equal(out, c.src) {
					t.Fatalf("%q %v", out, err)
				}
				return
			}
			wantCode(t, err, c.code)
		})
	}
}

func TestChecksumReader(t *testing.T) {
	body := payloadOf(100000)
	for _, alg := range checksum.Algorithms {
		sum := checksum.Sum(alg, body)
		r := newChecksumReader(bytes.NewReader(body), alg, sum, nil)
		out, err := readAllBy(r, 4097)
		if err != nil || !bytes.Equal(out, body) || !r.verified || r.value != checksum.Encode(sum) {
			t.Fatalf("%v: %v verified=%v", alg, err, r.verified)
		}
		bad := bytes.Clone(sum)
		bad[0] ^= 1
		r = newChecksumReader(bytes.NewReader(body), alg, bad, nil)
		_, err = io.ReadAll(r)
		if !errors.Is(err, s3err.ErrXAmzContentChecksumMismatch) {
			t.Fatalf("%v: err = %v", alg, err)
		}
	}
}
