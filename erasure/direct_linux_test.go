package erasure

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"unsafe"
)

// directRoots are the file systems the O_DIRECT tests run on: t.TempDir
// (ext4 or xfs on the build machines) and /dev/shm (tmpfs) when present.
// Linux >= 6.6 accepts O_DIRECT on tmpfs (as buffered I/O); older kernels
// refuse it at open and the drive falls back.
func directRoots(t *testing.T) map[string]string {
	roots := map[string]string{"disk": t.TempDir()}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "erasure-direct-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			roots["shm"] = d
		}
	}
	return roots
}

// configIn is testConfig with the drive folders under root.
func configIn(t *testing.T, root string, n int) Config {
	cfg := testConfig(t, n)
	for i := range cfg.Drives {
		cfg.Drives[i] = filepath.Join(root, fmt.Sprintf("drive%02d", i))
	}
	return cfg
}

const tmpfsMagic = 0x01021994

// caches reports whether writes to dir's file system always leave their
// pages in the page cache (tmpfs), so residency says nothing about
// O_DIRECT.
func caches(t *testing.T, dir string) bool {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return st.Type == tmpfsMagic
}

// residentPages counts the pages of path that are in the page cache
// (mincore over a mapping of the file; mapping faults nothing in).
func residentPages(t *testing.T, path string) (resident, total int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	if fi.Size() == 0 {
		return 0, 0
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(m)
	pg := os.Getpagesize()
	vec := make([]byte, (len(m)+pg-1)/pg)
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatal(e)
	}
	for _, v := range vec {
		resident += int(v & 1)
	}
	return resident, len(vec)
}

// newShardFiles returns the shard files under the store's drives that are
// not in seen, and adds them to it.
func newShardFiles(t *testing.T, cfg Config, seen map[string]bool) []string {
	t.Helper()
	var out []string
	for _, d := range cfg.Drives {
		files, _ := filepath.Glob(filepath.Join(d, "data", "*", "*", "part.*"))
		for _, f := range files {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// TestDirectRoundTrip writes objects and multipart parts whose shard
// streams end around the 4 KiB alignment (and span several blocks and
// staging buffers) and reads them back byte for byte through the Store
// API. It checks every shard file's size and, on a file system that does
// not cache everything anyway, that the files bypassed the page cache
// (only their unaligned tail page is resident).
func TestDirectRoundTrip(t *testing.T) {
	layouts := []struct {
		name      string
		drives    int
		blockSize int
		sync      bool
	}{
		{"2+2", 4, DefaultBlockSize, true},
		{"3+2-odd-blocks", 5, 100003, false}, // shards of 33335 bytes: no write is aligned
	}
	for rootName, root := range directRoots(t) {
		for _, l := range layouts {
			t.Run(rootName+"/"+l.name, func(t *testing.T) {
				cfg := configIn(t, filepath.Join(root, l.name), l.drives)
				cfg.BlockSize = l.blockSize
				cfg.InlineThreshold = -1 // every object gets shard files
				cfg.MinPartSize = 1
				cfg.Sync = l.sync
				cfg.BufferedPrefix = -1 // O_DIRECT from the first byte
				s := openStore(t, cfg)
				for _, d := range s.local {
					if d.noDirect.Load() {
						t.Fatalf("%s: O_DIRECT refused before any write", d.dir)
					}
				}
				lay := s.sets[0].lay
				k := lay.data
				bs := cfg.BlockSize
				// Object sizes around 4 KiB, and around the sizes whose shard
				// stream (8 + ceil(n/k) for one block) is 4095/4096/4097 bytes.
				sizes := []int{1, 7, 4095, 4096, 4097}
				for _, stream := range []int{4095, 4096, 4097, 8191, 8192, 8193} {
					sizes = append(sizes, (stream-hashLen)*k)
				}
				sizes = append(sizes, 64<<10, bs-1, bs, bs+1, 1<<20+1, 2*bs, 3*bs+5, 5<<20+3)
				checkResident := !caches(t, cfg.Drives[0])
				rng := rand.New(rand.NewSource(int64(l.drives)))
				seen := map[string]bool{}
				for _, size := range sizes {
					data := randBytes(rng, size)
					key := fmt.Sprintf("obj-%d", size)
					mustPut(t, s, "b", key, data)
					files := newShardFiles(t, cfg, seen)
					if len(files) != l.drives {
						t.Fatalf("size %d: %d new shard files, want %d", size, len(files), l.drives)
					}
					want := lay.streamSize(int64(size))
					for _, f := range files {
						fi, err := os.Stat(f)
						if err != nil || fi.Size() != want {
							t.Fatalf("size %d: %s is %d bytes (%v), want %d", size, f, fi.Size(), err, want)
						}
						if checkResident {
							// Only the page holding the tail (written through
							// the page cache after O_DIRECT is cleared) may be
							// cached.
							if r, n := residentPages(t, f); r > 1 {
								t.Fatalf("size %d: %d of %d pages of %s are in the page cache: not written with O_DIRECT", size, r, n, f)
							}
						}
					}
					checkGet(t, s, "b", key, data)
					if size > 3 {
						got, _, err := getRange(s, "b", key, int64(size/3), int64(size/3))
						if err != nil || !bytes.Equal(got, data[size/3:2*(size/3)]) {
							t.Fatalf("size %d: range read: %v", size, err)
						}
					}
				}

				// Multipart: parts of awkward sizes, read across part edges.
				ctx := context.Background()
				id, err := s.NewMultipartUpload(ctx, "b", "mp", PutOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var all []byte
				var parts []CompletePart
				for i, size := range []int{bs + 1, 4097, 8191, 3*bs - 3} {
					data := randBytes(rng, size)
					pi := putPart(t, s, "b", "mp", id, i+1, data)
					parts = append(parts, CompletePart{Number: i + 1, ETag: pi.ETag})
					all = append(all, data...)
				}
				if _, err := s.CompleteMultipartUpload(ctx, "b", "mp", id, parts, nil); err != nil {
					t.Fatal(err)
				}
				checkGet(t, s, "b", "mp", all)
				off := int64(bs + 1 - 100)
				got, _, err := getRange(s, "b", "mp", off, 4097+200)
				if err != nil || !bytes.Equal(got, all[off:off+4097+200]) {
					t.Fatalf("multipart range across parts: %v", err)
				}
				for _, d := range s.local {
					if d.noDirect.Load() {
						t.Errorf("%s: fell back to buffered writes", d.dir)
					}
				}
			})
		}
	}
}

// TestDirectOpenRefused: a file system that refuses O_DIRECT at open
// (EINVAL, as tmpfs before Linux 6.6) gets buffered shard files, and each
// drive tries O_DIRECT once, not once per file.
func TestDirectOpenRefused(t *testing.T) {
	cfg := testConfig(t, 4)
	cfg.InlineThreshold = -1
	s := openStore(t, cfg)
	var tries atomic.Int32
	s.local[0].o.openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		if flag&syscall.O_DIRECT != 0 {
			tries.Add(1)
			return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EINVAL}
		}
		return os.OpenFile(name, flag, perm)
	}
	rng := rand.New(rand.NewSource(5))
	for i, size := range []int{1, 4097, 1<<20 + 1, 3 << 20} {
		data := randBytes(rng, size)
		key := fmt.Sprint("k", i)
		mustPut(t, s, "b", key, data)
		checkGet(t, s, "b", key, data)
	}
	if n := tries.Load(); n != int32(len(cfg.Drives)) {
		t.Errorf("%d O_DIRECT opens, want one per drive (%d)", n, len(cfg.Drives))
	}
	for _, d := range s.local {
		if !d.noDirect.Load() {
			t.Errorf("%s: refusal not remembered", d.dir)
		}
		w, err := d.createShard(id16{1}, "part.1", createOpts{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := w.(*localShardWriter); !ok {
			t.Errorf("%s: writer %T after O_DIRECT was refused, want the buffered one", d.dir, w)
		}
		w.abort()
	}
}

// TestDirectWriteRefused: a file system that takes O_DIRECT at open but
// refuses a write's alignment (EINVAL from pwrite) gets the write retried
// through the page cache, and the drive stops using O_DIRECT. The refusal
// is real: the writer's offset is moved off the sector grid, which every
// file system that honours O_DIRECT rejects.
func TestDirectWriteRefused(t *testing.T) {
	cfg := testConfig(t, 1)
	cfg.BufferedPrefix = -1
	if caches(t, filepath.Dir(cfg.Drives[0])) {
		t.Skip("tmpfs takes unaligned O_DIRECT writes")
	}
	s := openStore(t, cfg)
	d := s.local[0]
	w, err := d.createShard(id16{7}, "part.1", createOpts{})
	if err != nil {
		t.Fatal(err)
	}
	dw, ok := w.(*directShardWriter)
	if !ok {
		t.Skipf("file system refuses O_DIRECT (writer %T)", w)
	}
	dw.off = 1 // aligned for no device
	data := randBytes(rand.New(rand.NewSource(3)), 3<<20+11)
	for p := data; len(p) > 0; {
		c := min(len(p), 100<<10+1)
		if _, err := w.Write(p[:c]); err != nil {
			t.Fatal(err)
		}
		p = p[c:]
	}
	if err := w.commit(true); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(d.shardPath(id16{7}, "part.1"))
	if err != nil {
		t.Fatal(err)
	}
	want := append(make([]byte, 1), data...)
	if !bytes.Equal(got, want) {
		t.Fatalf("file is %d bytes, want %d (first diff at %d)", len(got), len(want), firstDiff(got, want))
	}
	if dw.direct || !d.noDirect.Load() {
		t.Error("refused O_DIRECT write not remembered")
	}
}

// TestDirectAbortAndBuffered: abort removes a partly written O_DIRECT
// file; Config.BufferedIO turns O_DIRECT off.
func TestDirectAbortAndBuffered(t *testing.T) {
	cfg := testConfig(t, 1)
	cfg.BufferedPrefix = -1
	s := openStore(t, cfg)
	d := s.local[0]
	w, err := d.createShard(id16{9}, "part.1", createOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.(*directShardWriter); !ok {
		t.Skipf("file system refuses O_DIRECT (writer %T)", w)
	}
	if _, err := w.Write(make([]byte, 1<<20+5)); err != nil {
		t.Fatal(err)
	}
	w.abort()
	if _, err := os.Stat(d.shardPath(id16{9}, "part.1")); !os.IsNotExist(err) {
		t.Fatalf("aborted shard file still there: %v", err)
	}

	cfg = testConfig(t, 1)
	cfg.BufferedIO = true
	s = openStore(t, cfg)
	w, err = s.local[0].createShard(id16{9}, "part.1", createOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.(*localShardWriter); !ok {
		t.Errorf("BufferedIO: writer %T, want the buffered one", w)
	}
	w.abort()
}

// TestDirectBufferedPrefix: with the default Config.BufferedPrefix the
// first MiB of every shard file goes through the page cache (cached for
// the GETs that follow a PUT) and the rest with O_DIRECT; the object reads
// back whole, also when it ends inside the prefix or right at its end.
func TestDirectBufferedPrefix(t *testing.T) {
	cfg := testConfig(t, 4)
	cfg.InlineThreshold = -1
	s := openStore(t, cfg)
	if cfg.BufferedPrefix != 0 || s.cfg.BufferedPrefix != DefaultBufferedPrefix {
		t.Fatalf("default prefix %d", s.cfg.BufferedPrefix)
	}
	checkResident := !caches(t, cfg.Drives[0])
	lay := s.sets[0].lay
	rng := rand.New(rand.NewSource(11))
	seen := map[string]bool{}
	pg := int64(os.Getpagesize())
	for _, size := range []int{100 << 10, 2<<20 - 16, 2 << 20, 2<<20 + 5, 7<<20 + 3} {
		data := randBytes(rng, size)
		key := fmt.Sprint("p", size)
		mustPut(t, s, "b", key, data)
		checkGet(t, s, "b", key, data)
		files := newShardFiles(t, cfg, seen)
		if len(files) != len(cfg.Drives) {
			t.Fatalf("size %d: %d shard files", size, len(files))
		}
		if !checkResident {
			continue
		}
		stream := lay.streamSize(int64(size))
		for _, f := range files {
			// The buffered prefix stays cached after the PUT (the GET
			// above may have cached more).
			r, n := residentPages(t, f)
			if want := int(min(stream, DefaultBufferedPrefix) / pg); r < want {
				t.Fatalf("size %d: %d of %d pages of %s cached, want at least the %d of the buffered prefix", size, r, n, f, want)
			}
		}
	}
	// A fresh large file: O_DIRECT after the prefix leaves the rest out of
	// the page cache.
	if checkResident {
		w, err := s.local[0].createShard(id16{5}, "part.1", createOpts{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(randBytes(rng, 4<<20+7)); err != nil {
			t.Fatal(err)
		}
		if err := w.commit(true); err != nil {
			t.Fatal(err)
		}
		r, n := residentPages(t, s.local[0].shardPath(id16{5}, "part.1"))
		want := int(DefaultBufferedPrefix / pg)
		if r < want || r > want+1 {
			t.Fatalf("%d of %d pages cached, want the prefix's %d (+ the tail page)", r, n, want)
		}
	}
}
