package erasure

import (
	"bytes"
	"math/rand"
	"reflect"
	"sort"
	"testing"
	"time"
)

func TestKeyOrder(t *testing.T) {
	// Escaped encodings must sort exactly like the raw strings, and
	// unescape must invert them.
	rng := rand.New(rand.NewSource(7))
	alphabet := []byte{0, 1, 2, 'a', 'b', '/', 0xfe, 0xff}
	var strs []string
	for i := 0; i < 2000; i++ {
		b := make([]byte, rng.Intn(6))
		for j := range b {
			b[j] = alphabet[rng.Intn(len(alphabet))]
		}
		strs = append(strs, string(b))
	}
	enc := func(s string) []byte { return appendTerm(appendEscaped(nil, s)) }
	for i := 0; i < len(strs)-1; i++ {
		a, b := strs[i], strs[i+1]
		want := bytes.Compare([]byte(a), []byte(b))
		if got := bytes.Compare(enc(a), enc(b)); got != want {
			t.Fatalf("order of %q vs %q: encoded %d, raw %d", a, b, got, want)
		}
		s, rest, ok := unescape(append(enc(a), 'x'))
		if !ok || string(s) != a || string(rest) != "x" {
			t.Fatalf("unescape(%q) = %q, %q, %v", a, s, rest, ok)
		}
		// Uploads of key a sort before any key with a as strict prefix.
		ua := uploadKey(nil, "b", a, uploadID{0xff})
		ub := uploadKey(nil, "b", a+"\x00", uploadID{})
		if bytes.Compare(ua, ub) >= 0 {
			t.Fatalf("upload keys of %q and %q out of order", a, a+"\x00")
		}
	}
	// Object keys within a bucket: raw order, bucket prefixes disjoint.
	keys := []string{"", "a", "a\x00", "a/b", "a//b", "../../x", "b", "\xff"}
	sort.Strings(keys)
	var encs [][]byte
	for _, k := range keys {
		encs = append(encs, objectKey(nil, "bkt", k))
	}
	if !sort.SliceIsSorted(encs, func(i, j int) bool { return bytes.Compare(encs[i], encs[j]) < 0 }) {
		t.Fatal("object keys not in raw order")
	}
	p1, p2 := objectPrefix(nil, "a"), objectPrefix(nil, "a\x00")
	if bytes.HasPrefix(p2, p1) || bytes.HasPrefix(p1, p2) {
		t.Fatal("bucket prefixes overlap")
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct{ in, want string }{{"a", "b"}, {"a\xff", "b"}, {"\xff\xff", ""}, {"", ""}, {"ab", "ac"}}
	for _, tt := range tests {
		got := prefixEnd([]byte(tt.in))
		if string(got) != tt.want || (tt.want == "") != (got == nil) {
			t.Errorf("prefixEnd(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUploadID(t *testing.T) {
	now := time.Unix(1700000000, 123)
	u := newUploadID(now)
	s := u.String()
	if len(s) != 40 {
		t.Fatalf("upload id %q", s)
	}
	back, ok := parseUploadID(s)
	if !ok || back != u || back.initiatedNanos() != now.UnixNano() {
		t.Fatalf("parse(%q) = %v, %v", s, back, ok)
	}
	for _, bad := range []string{"", "zz", s[:39], s + "0", "../" + s[3:]} {
		if _, ok := parseUploadID(bad); ok {
			t.Errorf("parseUploadID(%q) accepted", bad)
		}
	}
}

func sampleRecord() objectRecord {
	return objectRecord{
		versionID: newID(), commitNanos: 42, modNanos: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC).UnixNano(),
		metaGen: 3, flags: flagMultipart, data: 4, parity: 2, shardIdx: 5, blockSize: 1 << 20, dataDir: newID(),
		size: 15, etag: "abc-2", contentType: "text/plain", storageClass: "STANDARD", owner: "AKIA", tags: "a=b&c=d",
		uid: 1000, gid: 100, checksum: Checksum{Algorithm: "CRC32", Value: "AAAAAA==", Type: "COMPOSITE"},
		userMeta: map[string]string{"x": "1", "y": ""}, headers: map[string]string{"Cache-Control": "no-cache"},
		parts: []partMeta{{number: 1, size: 10, etag: "e1", modNanos: 7, fileID: 99},
			{number: 3, size: 5, etag: "e3", modNanos: 8, checksum: Checksum{Algorithm: "SHA1", Value: "v"}, fileID: 1}},
		inline: []byte("0123456789"),
	}
}

func TestObjectRecordRoundTrip(t *testing.T) {
	r := sampleRecord()
	enc := encodeObjectRecord(nil, &r)
	var got objectRecord
	if err := decodeObjectRecord(enc, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
	}
	var h recHeader
	if !parseRecHeader(enc, &h) || h.versionID != r.versionID || h.shardIdx != 5 || !bytes.Equal(h.inline, r.inline) {
		t.Fatalf("header %+v", h)
	}
	// Every truncation is rejected, never a panic.
	for i := 0; i < len(enc); i++ {
		var x objectRecord
		if decodeObjectRecord(enc[:i], &x) == nil {
			t.Fatalf("truncated record (%d of %d bytes) decoded", i, len(enc))
		}
	}
	// Values.
	v := encodeValue(nil, enc, []byte("second"))
	rs, ok := splitValue(v, nil)
	if !ok || len(rs) != 2 || !bytes.Equal(rs[0], enc) || string(rs[1]) != "second" {
		t.Fatalf("splitValue = %q, %v", rs, ok)
	}
	if _, ok := splitValue(v[:len(v)-1], nil); ok {
		t.Fatal("truncated value accepted")
	}
}

func TestUploadAndPartRecordRoundTrip(t *testing.T) {
	u := uploadRecord{dataDir: newID(), data: 3, parity: 2, blockSize: 4096, opts: PutOptions{
		ContentType: "a/b", UserMeta: map[string]string{"k": "v"}, Headers: map[string]string{"Expires": "x"},
		Tags: "t=1", StorageClass: "GLACIER", UID: 5, GID: 6, Owner: "me", ModTime: time.Unix(5, 0).UTC()}}
	var gu uploadRecord
	if err := decodeUploadRecord(encodeUploadRecord(nil, &u), &gu); err != nil || !reflect.DeepEqual(gu, u) {
		t.Fatalf("upload round trip: %v\n got %+v\nwant %+v", err, gu, u)
	}
	p := partRecord{commitNanos: 1, modNanos: 2, fileID: 3, data: 3, parity: 2, shardIdx: 4, blockSize: 4096,
		number: 10000, size: 5 << 20, etag: "abc", checksum: Checksum{Algorithm: "CRC32C", Value: "x"}}
	var gp partRecord
	if err := decodePartRecord(encodePartRecord(nil, &p), &gp); err != nil || gp != p {
		t.Fatalf("part round trip: %v\n got %+v\nwant %+v", err, gp, p)
	}
}

// FuzzDecodeRecords feeds arbitrary bytes to every decoder of stored
// records: they must reject or decode, never panic, and what decodes must
// re-encode to the same bytes.
func FuzzDecodeRecords(f *testing.F) {
	r := sampleRecord()
	f.Add(encodeObjectRecord(nil, &r))
	r.flags, r.parts = flagInline, nil
	f.Add(encodeObjectRecord(nil, &r))
	f.Add(encodeValue(nil, encodeObjectRecord(nil, &r)))
	u := uploadRecord{dataDir: newID(), data: 2, parity: 2, blockSize: 1024, opts: PutOptions{UserMeta: map[string]string{"a": "b"}}}
	f.Add(encodeUploadRecord(nil, &u))
	p := partRecord{data: 2, parity: 2, blockSize: 1024, number: 1, etag: "x"}
	f.Add(encodePartRecord(nil, &p))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var o objectRecord
		if decodeObjectRecord(b, &o) == nil {
			if again := encodeObjectRecord(nil, &o); !bytes.Equal(again, b) {
				// Maps are re-encoded sorted; only canonical input must match.
				var o2 objectRecord
				if err := decodeObjectRecord(again, &o2); err != nil || !reflect.DeepEqual(o, o2) {
					t.Fatalf("object record does not re-encode: %v", err)
				}
			}
		}
		var h recHeader
		parseRecHeader(b, &h)
		splitValue(b, nil)
		var u uploadRecord
		_ = decodeUploadRecord(b, &u)
		var p partRecord
		_ = decodePartRecord(b, &p)
		unescape(b)
		splitUploadKey(b)
		parseUploadID(string(b))
	})
}
