package erasure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// smallBlocks makes multi-block objects cheap: 16 KiB blocks, 2 KiB inline.
func smallBlocks(cfg Config) Config {
	cfg.BlockSize = 16 << 10
	cfg.InlineThreshold = 2 << 10
	return cfg
}

func TestPutGetSizesAndLayouts(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 6, 8, 12} {
		t.Run(fmt.Sprintf("drives=%d", n), func(t *testing.T) {
			cfg := smallBlocks(testConfig(t, n))
			s := openStore(t, cfg)
			rng := rand.New(rand.NewSource(int64(n)))
			bs := cfg.BlockSize
			sizes := []int{0, 1, 7, 2 << 10, 2<<10 + 1, bs - 1, bs, bs + 1, 3*bs + 17, 5 * bs}
			for _, size := range sizes {
				data := randBytes(rng, size)
				key := fmt.Sprintf("obj-%d", size)
				oi := mustPut(t, s, "bkt", key, data)
				if oi.Size != int64(size) || oi.ETag != md5hex(data) {
					t.Fatalf("PutObject info %+v", oi)
				}
				checkGet(t, s, "bkt", key, data)
				st, err := s.StatObject(context.Background(), "bkt", key)
				if err != nil || st.Size != int64(size) || st.ETag != oi.ETag {
					t.Fatalf("StatObject = %+v, %v", st, err)
				}
			}
		})
	}
}

func TestInlineVersusFiles(t *testing.T) {
	cfg := testConfig(t, 4)
	s := openStore(t, cfg)
	mustPut(t, s, "b", "small", bytes.Repeat([]byte("x"), cfg.InlineThreshold))
	mustPut(t, s, "b", "large", bytes.Repeat([]byte("y"), cfg.InlineThreshold+1))
	files := 0
	for _, d := range cfg.Drives {
		filepath.Walk(filepath.Join(d, "data"), func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				files++
				if strings.Contains(p, "small") || strings.Contains(p, "large") {
					t.Errorf("object key in path %s", p)
				}
			}
			return nil
		})
	}
	if files != 4 {
		t.Fatalf("%d shard files, want 4 (one per drive for the large object only)", files)
	}
}

func TestPutUnknownSize(t *testing.T) {
	cfg := smallBlocks(testConfig(t, 4))
	s := openStore(t, cfg)
	rng := rand.New(rand.NewSource(3))
	for _, size := range []int{0, 100, 2 << 10, 2<<10 + 1, 16 << 10, 100<<10 + 3} {
		data := randBytes(rng, size)
		// A reader returning short reads, of unknown length.
		oi, err := s.PutObject(context.Background(), "b", "k", iotest.HalfReader(bytes.NewReader(data)), -1, PutOptions{})
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if oi.Size != int64(size) || oi.ETag != md5hex(data) {
			t.Fatalf("size %d: info %+v", size, oi)
		}
		checkGet(t, s, "b", "k", data)
	}
}

func TestPutBodyErrors(t *testing.T) {
	cfg := smallBlocks(testConfig(t, 4))
	s := openStore(t, cfg)
	ctx := context.Background()
	mustPut(t, s, "b", "k", []byte("old"))
	data := bytes.Repeat([]byte("z"), 40<<10+1)
	for _, size := range []int{10, 40 << 10} {
		// Shorter than declared.
		_, err := s.PutObject(ctx, "b", "k", bytes.NewReader(data[:size-1]), int64(size), PutOptions{})
		if !errors.Is(err, ErrIncompleteBody) {
			t.Fatalf("short body of %d: %v", size, err)
		}
		// Longer than declared.
		_, err = s.PutObject(ctx, "b", "k", bytes.NewReader(data[:size+1]), int64(size), PutOptions{})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("long body of %d: %v", size, err)
		}
		// A failing reader.
		boom := errors.New("boom")
		_, err = s.PutObject(ctx, "b", "k", io.MultiReader(bytes.NewReader(data[:size/2]), iotest.ErrReader(boom)), int64(size), PutOptions{})
		if !errors.Is(err, boom) {
			t.Fatalf("reader error: %v", err)
		}
		// Verify rejects.
		verr := errors.New("bad checksum")
		_, err = s.PutObject(ctx, "b", "k", bytes.NewReader(data[:size]), int64(size), PutOptions{
			Verify: func(oi *ObjectInfo) error {
				if oi.Size != int64(size) || oi.ETag != md5hex(data[:size]) {
					t.Errorf("Verify saw %+v", oi)
				}
				return verr
			}})
		if !errors.Is(err, verr) {
			t.Fatalf("verify error: %v", err)
		}
		// Cancelled context.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err = s.PutObject(cctx, "b", "k", bytes.NewReader(data[:size]), int64(size), PutOptions{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled: %v", err)
		}
	}
	if _, err := s.PutObject(ctx, "b", "k", bytes.NewReader(nil), MaxObjectSize+1, PutOptions{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("size > 5 TiB: %v", err)
	}
	// Nothing of the failed writes is visible, and no data is left.
	checkGet(t, s, "b", "k", []byte("old"))
	if n := countDataDirs(cfg); n != 0 {
		t.Fatalf("%d data dirs left by failed writes", n)
	}
}

func countDataDirs(cfg Config) int {
	n := 0
	for _, d := range cfg.Drives {
		xs, _ := filepath.Glob(filepath.Join(d, "data", "*", "*"))
		n += len(xs)
	}
	return n
}

func TestPutCancelMidStream(t *testing.T) {
	cfg := smallBlocks(testConfig(t, 4))
	s := openStore(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	r := &cancelAfter{r: bytes.NewReader(make([]byte, 1<<20)), n: 100 << 10, cancel: cancel}
	_, err := s.PutObject(ctx, "b", "k", r, 1<<20, PutOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.StatObject(context.Background(), "b", "k"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("stat after cancelled put: %v", err)
	}
	if n := countDataDirs(cfg); n != 0 {
		t.Fatalf("%d data dirs left", n)
	}
}

type cancelAfter struct {
	r      io.Reader
	n      int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n -= n
	if c.n <= 0 {
		c.cancel()
	}
	return n, err
}

func TestMetadata(t *testing.T) {
	cfg := testConfig(t, 4)
	s := openStore(t, cfg)
	ctx := context.Background()
	mod := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	opts := PutOptions{ContentType: "text/plain", UserMeta: map[string]string{"color": "blue"},
		Headers: map[string]string{"Cache-Control": "max-age=1"}, Tags: "a=1", StorageClass: "STANDARD_IA",
		UID: 1001, GID: 1002, Owner: "alice", ModTime: mod,
		Verify: func(oi *ObjectInfo) error {
			oi.Checksum = Checksum{Algorithm: "CRC32", Value: "abcd", Type: "FULL_OBJECT"}
			return nil
		}}
	for _, size := range []int{10, 300 << 10} {
		key := fmt.Sprint("k", size)
		data := bytes.Repeat([]byte("m"), size)
		if _, err := s.PutObject(ctx, "b", key, bytes.NewReader(data), int64(size), opts); err != nil {
			t.Fatal(err)
		}
		oi, err := s.StatObject(ctx, "b", key)
		if err != nil {
			t.Fatal(err)
		}
		want := ObjectInfo{Bucket: "b", Key: key, Size: int64(size), ETag: md5hex(data), ModTime: mod,
			ContentType: opts.ContentType, UserMeta: opts.UserMeta, Headers: opts.Headers, Tags: "a=1",
			StorageClass: "STANDARD_IA", Owner: "alice", UID: 1001, GID: 1002,
			Checksum: Checksum{Algorithm: "CRC32", Value: "abcd", Type: "FULL_OBJECT"}}
		if fmt.Sprint(oi) != fmt.Sprint(want) {
			t.Fatalf("StatObject:\n got %+v\nwant %+v", oi, want)
		}
		// Metadata-only update: data unchanged, metadata replaced.
		upd, err := s.UpdateObjectMeta(ctx, "b", key, func(oi *ObjectInfo) error {
			oi.Tags = "b=2"
			oi.UserMeta = map[string]string{"shape": "round"}
			oi.ContentType = "image/png"
			oi.Size = 1 // ignored
			return nil
		})
		if err != nil || upd.Tags != "b=2" || upd.ContentType != "image/png" || upd.Size != int64(size) {
			t.Fatalf("UpdateObjectMeta = %+v, %v", upd, err)
		}
		oi, _ = s.StatObject(ctx, "b", key)
		if oi.Tags != "b=2" || oi.UserMeta["shape"] != "round" || len(oi.UserMeta) != 1 || oi.ContentType != "image/png" || oi.UID != 1001 {
			t.Fatalf("after update: %+v", oi)
		}
		checkGet(t, s, "b", key, data)
		// fn's error aborts.
		ferr := errors.New("no")
		if _, err := s.UpdateObjectMeta(ctx, "b", key, func(*ObjectInfo) error { return ferr }); !errors.Is(err, ferr) {
			t.Fatalf("update error: %v", err)
		}
	}
	if _, err := s.UpdateObjectMeta(ctx, "b", "missing", func(*ObjectInfo) error { return nil }); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("update missing: %v", err)
	}
}

func TestRanges(t *testing.T) {
	cfg := smallBlocks(testConfig(t, 6))
	s := openStore(t, cfg)
	rng := rand.New(rand.NewSource(11))
	for _, size := range []int{1000, 5*16<<10 + 333} {
		data := randBytes(rng, size)
		mustPut(t, s, "b", "k", data)
		ranges := [][2]int64{{0, 0}, {0, 1}, {int64(size) - 1, 1}, {0, int64(size)}, {int64(size), 0}, {5, -1}}
		for i := 0; i < 60; i++ {
			off := rng.Int63n(int64(size))
			ranges = append(ranges, [2]int64{off, rng.Int63n(int64(size) - off + 1)})
		}
		for _, r := range ranges {
			want := data[r[0]:]
			if r[1] >= 0 {
				want = data[r[0] : r[0]+r[1]]
			}
			got, _, err := getRange(s, "b", "k", r[0], r[1])
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("size %d range %v: %d bytes, %v", size, r, len(got), err)
			}
			// Plain Read with odd buffer sizes, without WriterTo.
			o, err := s.OpenObject(context.Background(), "b", "k")
			if err != nil {
				t.Fatal(err)
			}
			rc := o.Range(r[0], r[1])
			got, err = io.ReadAll(iotest.OneByteReader(struct{ io.Reader }{rc}))
			rc.Close()
			if r[1] < 1000 && (err != nil || !bytes.Equal(got, want)) {
				t.Fatalf("byte reads of range %v: %v", r, err)
			}
			if err := iotest.TestReader(readerOnly(s, r[0], r[1]), want); err != nil && len(want) < 20000 {
				t.Fatalf("iotest of range %v: %v", r, err)
			}
		}
		for _, bad := range [][2]int64{{-1, 1}, {0, int64(size) + 1}, {int64(size) + 1, 0}, {int64(size) - 1, 2}} {
			_, _, err := getRange(s, "b", "k", bad[0], bad[1])
			if !errors.Is(err, ErrInvalidRange) {
				t.Fatalf("range %v: %v", bad, err)
			}
		}
	}
}

func readerOnly(s *Store, off, length int64) io.Reader {
	o, err := s.OpenObject(context.Background(), "b", "k")
	if err != nil {
		return iotest.ErrReader(err)
	}
	return struct{ io.Reader }{o.Range(off, length)}
}

func TestDelete(t *testing.T) {
	cfg := testConfig(t, 4)
	s := openStore(t, cfg)
	ctx := context.Background()
	if err := s.DeleteObject(ctx, "b", "never"); err != nil {
		t.Fatalf("delete missing: %v", err)
	}
	mustPut(t, s, "b", "small", []byte("x"))
	mustPut(t, s, "b", "large", make([]byte, 300<<10))
	if countDataDirs(cfg) != 4 {
		t.Fatalf("%d data dirs", countDataDirs(cfg))
	}
	for _, k := range []string{"small", "large"} {
		if err := s.DeleteObject(ctx, "b", k); err != nil {
			t.Fatal(err)
		}
		if _, err := s.OpenObject(ctx, "b", k); !errors.Is(err, ErrObjectNotFound) {
			t.Fatalf("open deleted %s: %v", k, err)
		}
		if err := s.DeleteObject(ctx, "b", k); err != nil {
			t.Fatalf("delete twice: %v", err)
		}
	}
	if n := countDataDirs(cfg); n != 0 {
		t.Fatalf("%d data dirs after delete", n)
	}
}

func TestReadSurvivesOverwriteAndDelete(t *testing.T) {
	cfg := smallBlocks(testConfig(t, 4))
	s := openStore(t, cfg)
	ctx := context.Background()
	v1 := bytes.Repeat([]byte("1"), 200<<10)
	mustPut(t, s, "b", "k", v1)
	o, err := s.OpenObject(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "b", "k", bytes.Repeat([]byte("2"), 100<<10))
	if err := s.DeleteObject(ctx, "b", "k"); err != nil {
		t.Fatal(err)
	}
	rc := o.Range(0, -1)
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, v1) {
		t.Fatalf("read of the opened version after overwrite+delete: %d bytes, %v", len(got), err)
	}
	if n := countDataDirs(cfg); n != 0 {
		t.Fatalf("%d data dirs left after the reader closed", n)
	}
}

func TestWeirdKeys(t *testing.T) {
	cfg := testConfig(t, 4)
	s := openStore(t, cfg)
	ctx := context.Background()
	keys := []string{"../../x", "a//b", "/leading", "trailing/", "..", ".", "ünïcödé/日本語", "with space", "nul\x00byte",
		"\xff\xfe", strings.Repeat("k", MaxKeyLength), "a/../../../etc/passwd", "%2e%2e/x"}
	buckets := []string{"b", "../b", "b\x00c"}
	for _, b := range buckets {
		for i, k := range keys {
			data := []byte(fmt.Sprint(b, i, k))
			if i%2 == 0 {
				data = bytes.Repeat(data, 20000) // not inline
			}
			mustPut(t, s, b, k, data)
			checkGet(t, s, b, k, data)
		}
		res, err := s.ListObjects(ctx, b, "", "", "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		want := append([]string(nil), keys...)
		sort.Strings(want)
		var got []string
		for _, o := range res.Objects {
			got = append(got, o.Key)
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Fatalf("list %q:\n got %q\nwant %q", b, got, want)
		}
	}
	for _, k := range []string{"", strings.Repeat("k", MaxKeyLength+1)} {
		if _, err := s.PutObject(ctx, "b", k, bytes.NewReader(nil), 0, PutOptions{}); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("key of %d bytes: %v", len(k), err)
		}
	}
	// Nothing outside the drive folders.
	root := filepath.Dir(cfg.Drives[0])
	ents, _ := os.ReadDir(root)
	if len(ents) != len(cfg.Drives) {
		t.Fatalf("%d entries next to the drives", len(ents))
	}
}

// listModel is the reference ListObjects over a sorted key set.
func listModel(keys []string, prefix, marker, delim string, max int) (objs, cps []string, truncated bool, next string) {
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) || k <= marker {
			continue
		}
		entry, isCP := k, false
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				entry, isCP = k[:len(prefix)+i+len(delim)], true
				if entry <= marker || seen[entry] {
					continue
				}
			}
		}
		if len(objs)+len(cps) == max {
			return objs, cps, true, next
		}
		if isCP {
			seen[entry] = true
			cps = append(cps, entry)
		} else {
			objs = append(objs, entry)
		}
		next = entry
	}
	return objs, cps, false, ""
}

func TestListObjects(t *testing.T) {
	cfg := testConfig(t, 4)
	s := openStore(t, cfg)
	ctx := context.Background()
	rng := rand.New(rand.NewSource(5))
	parts := []string{"a", "b", "photos", "2024", "x.jpg", "", "日", "z"}
	keySet := map[string]bool{}
	for len(keySet) < 400 {
		n := 1 + rng.Intn(4)
		var segs []string
		for i := 0; i < n; i++ {
			segs = append(segs, parts[rng.Intn(len(parts))])
		}
		k := strings.Join(segs, "/")
		if k == "" {
			continue
		}
		keySet[k] = true
	}
	var keys []string
	for k := range keySet {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			mustPut(t, s, "bkt", k, []byte(k))
		}()
	}
	wg.Wait()
	mustPut(t, s, "other", "a/x", []byte("not in bkt"))

	type q struct {
		prefix, delim string
		max           int
	}
	queries := []q{{"", "", 1000}, {"", "/", 1000}, {"", "/", 7}, {"photos/", "/", 3}, {"a/", "", 11}, {"a", "/", 5},
		{"b/2024/", "/", 2}, {"nope", "/", 10}, {"", "2024", 4}, {"", "", 1}}
	for _, qq := range queries {
		// Page through and compare every page to the model.
		marker := ""
		for page := 0; ; page++ {
			res, err := s.ListObjects(ctx, "bkt", qq.prefix, marker, qq.delim, qq.max)
			if err != nil {
				t.Fatal(err)
			}
			wo, wc, wt, wn := listModel(keys, qq.prefix, marker, qq.delim, qq.max)
			var go_ []string
			for _, o := range res.Objects {
				go_ = append(go_, o.Key)
				if o.Size != int64(len(o.Key)) || o.Bucket != "bkt" {
					t.Fatalf("listed %+v", o)
				}
			}
			if fmt.Sprint(go_) != fmt.Sprint(wo) || fmt.Sprint(res.CommonPrefixes) != fmt.Sprint(wc) ||
				res.IsTruncated != wt || res.NextMarker != wn {
				t.Fatalf("query %+v marker %q page %d:\n got %q %q %v %q\nwant %q %q %v %q", qq, marker, page,
					go_, res.CommonPrefixes, res.IsTruncated, res.NextMarker, wo, wc, wt, wn)
			}
			if !res.IsTruncated {
				break
			}
			marker = res.NextMarker
		}
	}
	// max-keys 0: empty, not truncated.
	if res, err := s.ListObjects(ctx, "bkt", "", "", "", 0); err != nil || len(res.Objects) != 0 || res.IsTruncated {
		t.Fatalf("maxKeys 0: %+v %v", res, err)
	}
	// A marker in the middle of a common prefix does not repeat it.
	res, _ := s.ListObjects(ctx, "bkt", "", "photos/", "/", 1000)
	for _, cp := range res.CommonPrefixes {
		if cp <= "photos/" {
			t.Fatalf("prefix %q repeated after marker", cp)
		}
	}
	empty, err := s.BucketEmpty(ctx, "bkt")
	if err != nil || empty {
		t.Fatalf("BucketEmpty = %v, %v", empty, err)
	}
	if err := s.DeleteBucketData(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	if empty, err := s.BucketEmpty(ctx, "bkt"); err != nil || !empty {
		t.Fatalf("BucketEmpty after DeleteBucketData = %v, %v", empty, err)
	}
	checkGet(t, s, "other", "a/x", []byte("not in bkt"))
}

func TestListSkipsCommonPrefixBySeeking(t *testing.T) {
	cfg := testConfig(t, 1)
	s := openStore(t, cfg)
	ctx := context.Background()
	for i := 0; i < 3000; i++ {
		mustPut(t, s, "b", fmt.Sprintf("dir/%05d", i), nil)
	}
	mustPut(t, s, "b", "file", nil)
	var steps atomic.Int64
	d := s.sets[0].drives[0]
	s.sets[0].drives[0] = &countingDrive{shardStore: d, steps: &steps}
	res, err := s.ListObjects(ctx, "b", "", "", "/", 1000)
	s.sets[0].drives[0] = d
	if err != nil || fmt.Sprint(res.CommonPrefixes) != "[dir/]" || len(res.Objects) != 1 {
		t.Fatalf("list = %+v, %v", res, err)
	}
	if steps.Load() > 10 {
		t.Fatalf("listing read %d keys: it must seek past dir/, not scan it", steps.Load())
	}
}

// countingDrive counts iterator steps.
type countingDrive struct {
	shardStore
	steps *atomic.Int64
}

func (d *countingDrive) metaIter(lower, upper []byte) (metaIter, error) {
	it, err := d.shardStore.metaIter(lower, upper)
	if err != nil {
		return nil, err
	}
	return &countingIter{metaIter: it, steps: d.steps}, nil
}

type countingIter struct {
	metaIter
	steps *atomic.Int64
}

func (it *countingIter) Next() bool           { it.steps.Add(1); return it.metaIter.Next() }
func (it *countingIter) SeekGE(k []byte) bool { it.steps.Add(1); return it.metaIter.SeekGE(k) }

func TestOverwriteAtomicity(t *testing.T) {
	cfg := smallBlocks(testConfig(t, 4))
	s := openStore(t, cfg)
	ctx := context.Background()
	// Versions of different sizes (inline and multi-block), each filled
	// with its own byte.
	sizes := []int{100, 40 << 10, 1 << 10, 70<<10 + 5}
	version := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i%26)}, sizes[i%len(sizes)]) }
	mustPut(t, s, "b", "k", version(0))
	stop := make(chan struct{})
	var readers, writers sync.WaitGroup
	var reads atomic.Int64
	errc := make(chan error, 8)
	for r := 0; r < 3; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, oi, err := getRange(s, "b", "k", 0, -1)
				if err != nil {
					errc <- err
					return
				}
				if len(got) == 0 || int64(len(got)) != oi.Size || !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) || oi.ETag != md5hex(got) {
					errc <- fmt.Errorf("read a mix of versions: %d bytes, info %+v", len(got), oi)
					return
				}
				reads.Add(1)
			}
		}()
	}
	for w := 0; w < 2; w++ {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 1 + w; i < 200; i += 2 {
				if _, err := s.PutObject(ctx, "b", "k", bytes.NewReader(version(i)), int64(len(version(i))), PutOptions{}); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	writers.Wait()
	during := reads.Load()
	close(stop)
	readers.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	if during < 20 {
		t.Fatalf("only %d reads ran during the overwrites", during)
	}
	// Concurrent writers end with one winner on every drive.
	var sv setValues
	var buf []byte
	s.readValues(s.sets[0], objectKey(nil, "b", "k"), &buf, &sv)
	var p pick
	pickVersion(s.sets[0], &sv, &p)
	if !p.found || p.count != 4 || p.needsHeal(s.sets[0]) {
		t.Fatalf("drives disagree after concurrent overwrites: %+v", p)
	}
	if n := countDataDirs(cfg); n > 4 {
		t.Fatalf("%d data dirs left (old versions not removed)", n)
	}
}

func TestClosedStore(t *testing.T) {
	cfg := testConfig(t, 2)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := s.PutObject(context.Background(), "b", "k", bytes.NewReader(nil), 0, PutOptions{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("put after close: %v", err)
	}
	if _, err := s.ListObjects(context.Background(), "b", "", "", "", 10); !errors.Is(err, ErrClosed) {
		t.Fatalf("list after close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestOrphanCleanupAtOpen(t *testing.T) {
	cfg := testConfig(t, 4)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "b", "keep", make([]byte, 300<<10))
	s.Close()
	// A data dir nothing points at (as left by a crash mid-PUT).
	orphan := filepath.Join(cfg.Drives[2], "data", "ab", "ab000000000000000000000000000000")
	if err := os.MkdirAll(orphan, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(orphan, "part.1"), []byte("junk"), 0o644)
	s = openStore(t, cfg)
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Fatalf("orphan still there: %v", err)
	}
	checkGet(t, s, "b", "keep", make([]byte, 300<<10))
	if n := countDataDirs(cfg); n != 4 {
		t.Fatalf("%d data dirs, want 4", n)
	}
}
