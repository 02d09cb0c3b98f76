package erasure

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func putPart(t testing.TB, s *Store, bucket, key, id string, n int, data []byte) PartInfo {
	t.Helper()
	pi, err := s.PutObjectPart(context.Background(), bucket, key, id, n, bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatalf("PutObjectPart %d: %v", n, err)
	}
	return pi
}

func TestMultipartUpload(t *testing.T) {
	cfg := smallBlocks(testConfig(t, 6))
	cfg.MinPartSize = 20 << 10
	s := openStore(t, cfg)
	ctx := context.Background()
	rng := rand.New(rand.NewSource(9))
	mod := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	opts := PutOptions{ContentType: "video/mp4", UserMeta: map[string]string{"a": "b"}, UID: 7, GID: 8, Owner: "bob", ModTime: mod,
		Verify: func(*ObjectInfo) error { panic("Verify must not be stored") }}
	id, err := s.NewMultipartUpload(ctx, "b", "big", opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 40 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Fatalf("upload id %q is not url-safe hex", id)
	}
	mi, err := s.GetMultipartUpload(ctx, "b", "big", id)
	if err != nil || mi.UploadID != id || mi.Opts.ContentType != "video/mp4" || mi.Opts.Verify != nil || time.Since(mi.Initiated) > time.Minute {
		t.Fatalf("GetMultipartUpload = %+v, %v", mi, err)
	}
	sizes := map[int]int{1: 20 << 10, 2: 33<<10 + 7, 3: 20 << 10, 5: 1234}
	data := map[int][]byte{}
	etags := map[int]string{}
	for _, n := range []int{3, 1, 5, 2} { // any order
		data[n] = randBytes(rng, sizes[n])
		pi := putPart(t, s, "b", "big", id, n, data[n])
		if pi.Number != n || pi.Size != int64(sizes[n]) || pi.ETag != md5hex(data[n]) {
			t.Fatalf("part %d info %+v", n, pi)
		}
		etags[n] = pi.ETag
	}
	// Re-upload part 2: replaces it (and its file).
	data[2] = randBytes(rng, 25<<10)
	etags[2] = putPart(t, s, "b", "big", id, 2, data[2]).ETag

	lp, err := s.ListParts(ctx, "b", "big", id, 0, 2)
	if err != nil || len(lp.Parts) != 2 || !lp.IsTruncated || lp.NextPartNumberMarker != 2 || lp.Parts[0].Number != 1 || lp.Upload.Opts.Owner != "bob" {
		t.Fatalf("ListParts page 1 = %+v, %v", lp, err)
	}
	lp, err = s.ListParts(ctx, "b", "big", id, 2, 2)
	if err != nil || len(lp.Parts) != 2 || lp.IsTruncated || lp.Parts[0].Number != 3 || lp.Parts[1].Number != 5 || lp.Parts[1].Size != 1234 {
		t.Fatalf("ListParts page 2 = %+v, %v", lp, err)
	}

	cp := func(nums ...int) []CompletePart {
		var out []CompletePart
		for _, n := range nums {
			out = append(out, CompletePart{Number: n, ETag: `"` + etags[n] + `"`})
		}
		return out
	}
	bad := []struct {
		name  string
		parts []CompletePart
		want  error
	}{
		{"none", nil, ErrInvalidPart},
		{"order", cp(2, 1, 5), ErrInvalidPartOrder},
		{"duplicate", cp(1, 1, 5), ErrInvalidPartOrder},
		{"missing part", cp(1, 4, 5), ErrInvalidPart},
		{"etag", []CompletePart{{Number: 1, ETag: etags[1]}, {Number: 2, ETag: etags[3]}}, ErrInvalidPart},
		{"descending", append(cp(5), cp(1)...), ErrInvalidPartOrder},
	}
	for _, b := range bad {
		if _, err := s.CompleteMultipartUpload(ctx, "b", "big", id, b.parts, nil); !errors.Is(err, b.want) {
			t.Fatalf("%s: Complete = %v, want %v", b.name, err, b.want)
		}
	}
	// Part 5 (small) not last -> too small: need a bigger part after it.
	data[6] = randBytes(rng, 100)
	etags[6] = putPart(t, s, "b", "big", id, 6, data[6]).ETag
	if _, err := s.CompleteMultipartUpload(ctx, "b", "big", id, cp(1, 5, 6), nil); !errors.Is(err, ErrPartTooSmall) {
		t.Fatalf("small middle part: %v", err)
	}
	// Verify's error aborts the complete; the upload stays.
	verr := errors.New("checksum mismatch")
	if _, err := s.CompleteMultipartUpload(ctx, "b", "big", id, cp(1, 2, 3), func(*ObjectInfo) error { return verr }); !errors.Is(err, verr) {
		t.Fatalf("verify: %v", err)
	}

	// Complete with parts 1, 2, 3, 5 (part 6 dropped).
	oi, err := s.CompleteMultipartUpload(ctx, "b", "big", id, cp(1, 2, 3, 5), func(oi *ObjectInfo) error {
		oi.Checksum = Checksum{Algorithm: "CRC32", Value: "x-4", Type: "COMPOSITE"}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var cat []byte
	h := md5.New()
	for _, n := range []int{1, 2, 3, 5} {
		cat = append(cat, data[n]...)
		b, _ := hex.DecodeString(etags[n])
		h.Write(b)
	}
	wantETag := hex.EncodeToString(h.Sum(nil)) + "-4"
	if oi.ETag != wantETag || oi.Size != int64(len(cat)) || len(oi.Parts) != 4 || oi.Parts[1].Number != 2 ||
		oi.Parts[1].Size != 25<<10 || oi.ModTime != mod || oi.ContentType != "video/mp4" || oi.Checksum.Value != "x-4" {
		t.Fatalf("Complete info %+v, want ETag %s", oi, wantETag)
	}
	st, err := s.StatObject(ctx, "b", "big")
	if err != nil || st.ETag != wantETag || len(st.Parts) != 4 || st.UID != 7 || st.Checksum.Value != "x-4" {
		t.Fatalf("Stat = %+v, %v", st, err)
	}
	checkGet(t, s, "b", "big", cat)
	// Ranges across part boundaries.
	for i := 0; i < 100; i++ {
		off := rng.Int63n(int64(len(cat)))
		l := rng.Int63n(int64(len(cat)) - off + 1)
		got, _, err := getRange(s, "b", "big", off, l)
		if err != nil || !bytes.Equal(got, cat[off:off+l]) {
			t.Fatalf("range %d+%d: %v", off, l, err)
		}
	}
	b1 := int64(len(data[1]))
	got, _, _ := getRange(s, "b", "big", b1-3, 6)
	if !bytes.Equal(got, cat[b1-3:b1+3]) {
		t.Fatal("range across part 1/2")
	}
	// The upload is gone; only the 4 used parts' files remain.
	if _, err := s.GetMultipartUpload(ctx, "b", "big", id); !errors.Is(err, ErrUploadNotFound) {
		t.Fatalf("upload after complete: %v", err)
	}
	if _, err := s.CompleteMultipartUpload(ctx, "b", "big", id, cp(1, 2, 3, 5), nil); !errors.Is(err, ErrUploadNotFound) {
		t.Fatalf("second complete: %v", err)
	}
	for _, d := range cfg.Drives {
		files, _ := filepath.Glob(filepath.Join(d, "data", "*", "*", "*"))
		if len(files) != 4 {
			t.Fatalf("drive %s has %d part files, want 4: %v", d, len(files), files)
		}
	}
	// A lost part file on one drive: reads rebuild it, heal on read
	// restores it.
	lost := shardFileOfPart(t, cfg.Drives[driveWithShard(s, "b", "big", 0)], 2)
	orig, _ := os.ReadFile(lost)
	os.Remove(lost)
	checkGet(t, s, "b", "big", cat)
	s.WaitHeals()
	if b, err := os.ReadFile(lost); err != nil || !bytes.Equal(b, orig) {
		t.Fatalf("lost part file not healed: %v", err)
	}
	// Overwriting the multipart object removes its parts.
	mustPut(t, s, "b", "big", []byte("small now"))
	if n := countDataDirs(cfg); n != 0 {
		t.Fatalf("%d data dirs after overwrite", n)
	}
}

func TestMultipartErrors(t *testing.T) {
	cfg := testConfig(t, 4)
	s := openStore(t, cfg)
	ctx := context.Background()
	id, err := s.NewMultipartUpload(ctx, "b", "k", PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, -1, MaxPartNumber + 1} {
		if _, err := s.PutObjectPart(ctx, "b", "k", id, n, bytes.NewReader(nil), 0, nil); !errors.Is(err, ErrInvalidPartNumber) {
			t.Fatalf("part %d: %v", n, err)
		}
	}
	for _, bad := range []struct{ bucket, key, id string }{{"b", "k", "nope"}, {"b", "other", id}, {"c", "k", id},
		{"b", "k", strings.Repeat("0", 40)}, {"b", "k", "../" + id[3:]}} {
		if _, err := s.PutObjectPart(ctx, bad.bucket, bad.key, bad.id, 1, bytes.NewReader([]byte("x")), 1, nil); !errors.Is(err, ErrUploadNotFound) {
			t.Fatalf("part for %+v: %v", bad, err)
		}
		if _, err := s.GetMultipartUpload(ctx, bad.bucket, bad.key, bad.id); !errors.Is(err, ErrUploadNotFound) {
			t.Fatalf("get %+v: %v", bad, err)
		}
		if err := s.AbortMultipartUpload(ctx, bad.bucket, bad.key, bad.id); !errors.Is(err, ErrUploadNotFound) {
			t.Fatalf("abort %+v: %v", bad, err)
		}
		if _, err := s.ListParts(ctx, bad.bucket, bad.key, bad.id, 0, 0); !errors.Is(err, ErrUploadNotFound) {
			t.Fatalf("list parts %+v: %v", bad, err)
		}
	}
	// Part body errors and verify.
	if _, err := s.PutObjectPart(ctx, "b", "k", id, 1, bytes.NewReader([]byte("ab")), 3, nil); !errors.Is(err, ErrIncompleteBody) {
		t.Fatalf("short part: %v", err)
	}
	verr := errors.New("bad md5")
	_, err = s.PutObjectPart(ctx, "b", "k", id, 1, bytes.NewReader([]byte("abc")), 3, func(pi *PartInfo) error {
		if pi.Size != 3 || pi.ETag != md5hex([]byte("abc")) || pi.Number != 1 {
			t.Errorf("verify saw %+v", pi)
		}
		return verr
	})
	if !errors.Is(err, verr) {
		t.Fatalf("verify: %v", err)
	}
	if lp, err := s.ListParts(ctx, "b", "k", id, 0, 0); err != nil || len(lp.Parts) != 0 {
		t.Fatalf("failed parts listed: %+v %v", lp, err)
	}
	// An empty single part makes an empty object.
	pi := putPart(t, s, "b", "k", id, 1, nil)
	oi, err := s.CompleteMultipartUpload(ctx, "b", "k", id, []CompletePart{{Number: 1, ETag: pi.ETag}}, nil)
	if err != nil || oi.Size != 0 {
		t.Fatalf("complete empty: %+v %v", oi, err)
	}
	checkGet(t, s, "b", "k", nil)
}

func TestAbortAndListUploads(t *testing.T) {
	cfg := testConfig(t, 4)
	cfg.MinPartSize = 1
	s := openStore(t, cfg)
	ctx := context.Background()
	keys := []string{"a/1", "a/2", "a/2", "b", "c/d/e", "c/x", "z"}
	var ids []string
	for _, k := range keys {
		id, err := s.NewMultipartUpload(ctx, "bkt", k, PutOptions{Owner: k})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		putPart(t, s, "bkt", k, id, 1, make([]byte, 100<<10+len(ids)))
		time.Sleep(time.Microsecond)
	}
	s.NewMultipartUpload(ctx, "other", "a/1", PutOptions{})
	all, err := s.ListMultipartUploads(ctx, "bkt", "", "", "", "", 1000)
	if err != nil || len(all.Uploads) != len(keys) || all.IsTruncated {
		t.Fatalf("list all = %+v, %v", all, err)
	}
	for i, u := range all.Uploads {
		if u.Key != keys[i] || u.UploadID != ids[i] || u.Opts.Owner != keys[i] || u.Bucket != "bkt" {
			t.Fatalf("upload %d = %+v, want %s %s", i, u, keys[i], ids[i])
		}
	}
	// Paging by (key, upload id) marker, one at a time.
	var got []string
	km, im := "", ""
	for {
		res, err := s.ListMultipartUploads(ctx, "bkt", "", km, im, "", 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range res.Uploads {
			got = append(got, u.UploadID)
		}
		if !res.IsTruncated {
			break
		}
		km, im = res.NextKeyMarker, res.NextUploadIDMarker
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Fatalf("paged uploads %v, want %v", got, ids)
	}
	// Key marker alone skips every upload of that key.
	res, _ := s.ListMultipartUploads(ctx, "bkt", "", "a/2", "", "", 1000)
	if len(res.Uploads) != 4 || res.Uploads[0].Key != "b" {
		t.Fatalf("after key marker a/2: %+v", res.Uploads)
	}
	// Delimiter and prefix.
	res, _ = s.ListMultipartUploads(ctx, "bkt", "", "", "", "/", 1000)
	if fmt.Sprint(res.CommonPrefixes) != "[a/ c/]" || len(res.Uploads) != 2 {
		t.Fatalf("delimited: %+v", res)
	}
	res, _ = s.ListMultipartUploads(ctx, "bkt", "c/", "", "", "/", 1000)
	if fmt.Sprint(res.CommonPrefixes) != "[c/d/]" || len(res.Uploads) != 1 || res.Uploads[0].Key != "c/x" {
		t.Fatalf("prefix c/: %+v", res)
	}
	res, _ = s.ListMultipartUploads(ctx, "bkt", "", "", "", "/", 1)
	if !res.IsTruncated || res.NextKeyMarker != "a/" || len(res.CommonPrefixes) != 1 {
		t.Fatalf("truncated delimited: %+v", res)
	}
	res, _ = s.ListMultipartUploads(ctx, "bkt", "", res.NextKeyMarker, "", "/", 1000)
	if len(res.CommonPrefixes) != 1 || res.CommonPrefixes[0] != "c/" {
		t.Fatalf("after a/: %+v", res)
	}

	// Abort removes the upload and its data.
	if err := s.AbortMultipartUpload(ctx, "bkt", "b", ids[3]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetMultipartUpload(ctx, "bkt", "b", ids[3]); !errors.Is(err, ErrUploadNotFound) {
		t.Fatalf("after abort: %v", err)
	}
	if _, err := s.PutObjectPart(ctx, "bkt", "b", ids[3], 2, bytes.NewReader([]byte("x")), 1, nil); !errors.Is(err, ErrUploadNotFound) {
		t.Fatalf("part after abort: %v", err)
	}
	if n := countDataDirs(cfg); n != 4*(len(keys)-1) {
		t.Fatalf("%d data dirs after abort, want %d", n, 4*(len(keys)-1))
	}
	// Stale cleanup.
	n, err := s.CleanupStaleUploads(ctx, time.Hour)
	if err != nil || n != 0 {
		t.Fatalf("cleanup of fresh uploads = %d, %v", n, err)
	}
	n, err = s.CleanupStaleUploads(ctx, 0)
	if err != nil || n != len(keys)-1+1 {
		t.Fatalf("cleanup all = %d, %v", n, err)
	}
	if res, _ := s.ListMultipartUploads(ctx, "bkt", "", "", "", "", 1000); len(res.Uploads) != 0 {
		t.Fatalf("uploads left: %+v", res.Uploads)
	}
	if n := countDataDirs(cfg); n != 0 {
		t.Fatalf("%d data dirs left", n)
	}
}

func TestMultipartDataDirOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	cfg := testConfig(t, 2)
	cfg.Chown = true
	s := openStore(t, cfg)
	ctx := context.Background()
	if _, err := s.PutObject(ctx, "b", "k", bytes.NewReader(make([]byte, 200<<10)), 200<<10, PutOptions{UID: 4242, GID: 4343}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(cfg.Drives[0], "data", "*", "*", "part.1"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	for _, p := range []string{files[0], filepath.Dir(files[0])} {
		uid, gid := fileOwner(t, p)
		if uid != 4242 || gid != 4343 {
			t.Fatalf("%s owned by %d:%d", p, uid, gid)
		}
	}
}

func shardFileOfPart(t *testing.T, drive string, n int) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(drive, "data", "*", "*", fmt.Sprintf("part.%d.*", n)))
	if len(files) != 1 {
		t.Fatalf("part %d files on %s: %v", n, drive, files)
	}
	return files[0]
}
