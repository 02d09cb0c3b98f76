package erasure

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble"
)

// driveWithShard returns the index (in set 0) of the drive holding shard
// sIdx of bucket/key.
func driveWithShard(s *Store, bucket, key string, sIdx int) int {
	n := s.sets[0].n()
	return driveOfShard(sIdx, rotation(objectHash(bucket, key), n), n)
}

// shardFile returns the path of the single shard file on drive dir.
func shardFile(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "data", "*", "*", "part.*"))
	if len(files) != 1 {
		t.Fatalf("%s holds %d shard files: %v", dir, len(files), files)
	}
	return files[0]
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := []byte{0}
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// versionCount is how many drives of set 0 hold the current version, and
// whether any needs healing.
func versionCount(s *Store, bucket, key string) (int, bool) {
	var sv setValues
	var buf []byte
	set := s.setFor(objectHash(bucket, key))
	s.readValues(set, objectKey(nil, bucket, key), &buf, &sv)
	var p pick
	pickVersion(set, &sv, &p)
	return p.count, p.needsHeal(set)
}

func TestCorruptShardFileIsDetectedAndHealed(t *testing.T) {
	cfg := smallBlocks(testConfig(t, 6)) // 4+2
	s := openStore(t, cfg)
	rng := rand.New(rand.NewSource(21))
	data := randBytes(rng, 5*cfg.BlockSize+999)
	mustPut(t, s, "b", "k", data)
	lay := s.sets[0].lay
	slot := int64(hashLen + lay.shardLen(lay.blockSize))

	// Data shard 1, block 2 (its payload) and data shard 3, block 0 (its hash).
	d1 := cfg.Drives[driveWithShard(s, "b", "k", 1)]
	d3 := cfg.Drives[driveWithShard(s, "b", "k", 3)]
	f1, f3 := shardFile(t, d1), shardFile(t, d3)
	orig1, _ := os.ReadFile(f1)
	orig3, _ := os.ReadFile(f3)
	flipByte(t, f1, 2*slot+hashLen+100)
	flipByte(t, f3, 3)
	checkGet(t, s, "b", "k", data)
	// Ranged read inside the corrupt block only.
	got, _, err := getRange(s, "b", "k", 2*int64(lay.blockSize)+int64(lay.shardLen(lay.blockSize))+50, 100)
	if err != nil || !bytes.Equal(got, data[2*lay.blockSize+lay.shardLen(lay.blockSize)+50:][:100]) {
		t.Fatalf("ranged read over a corrupt shard: %v", err)
	}
	// Heal on read rewrote both shards.
	s.WaitHeals()
	if b, _ := os.ReadFile(f1); !bytes.Equal(b, orig1) {
		t.Fatal("shard 1 not healed")
	}
	if b, _ := os.ReadFile(f3); !bytes.Equal(b, orig3) {
		t.Fatal("shard 3 not healed")
	}

	// A corrupt parity shard is not read by GET (no decode while data
	// shards are intact) but Heal finds and repairs it.
	d5 := cfg.Drives[driveWithShard(s, "b", "k", 5)]
	f5 := shardFile(t, d5)
	orig5, _ := os.ReadFile(f5)
	flipByte(t, f5, slot+hashLen)
	healsBefore := s.healCount()
	checkGet(t, s, "b", "k", data)
	s.WaitHeals()
	if s.healCount() != healsBefore {
		t.Fatal("a GET with all data shards intact read the parity shards")
	}
	if err := s.Heal(context.Background(), "b", "k"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(f5); !bytes.Equal(b, orig5) {
		t.Fatal("parity shard not healed")
	}
	// A truncated shard and a missing one (m = 2 bad shards).
	os.Truncate(f1, slot+7)
	os.Remove(f3)
	checkGet(t, s, "b", "k", data)
	s.WaitHeals()
	if b, _ := os.ReadFile(f3); !bytes.Equal(b, orig3) {
		t.Fatal("missing shard not rebuilt")
	}
	// More than m bad shards: the read fails, never returns wrong bytes.
	for sIdx := 0; sIdx < 3; sIdx++ {
		flipByte(t, shardFile(t, cfg.Drives[driveWithShard(s, "b", "k", sIdx)]), hashLen+1)
	}
	if _, _, err := getRange(s, "b", "k", 0, -1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("read with 3 corrupt shards of 4+2: %v", err)
	}
}

func TestCorruptInlineRecordIsDetectedAndHealed(t *testing.T) {
	cfg := testConfig(t, 4) // 2+2
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("inline object payload, stored in the metadata records")
	mustPut(t, s, "b", "k", data)
	j := driveWithShard(s, "b", "k", 0)
	s.Close()

	// Flip a payload byte of the inline shard in drive j's record.
	db, err := pebble.Open(filepath.Join(cfg.Drives[j], sysDir, metaDir), &pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mk := objectKey(nil, "b", "k")
	v, closer, err := db.Get(mk)
	if err != nil {
		t.Fatal(err)
	}
	orig := append([]byte(nil), v...)
	closer.Close()
	bad := append([]byte(nil), orig...)
	bad[len(bad)-2] ^= 0xff
	if err := db.Set(mk, bad, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s = openStore(t, cfg)
	checkGet(t, s, "b", "k", data)
	s.WaitHeals()
	var buf []byte
	got, err := s.sets[0].drives[j].metaGet(mk, buf)
	if err != nil || !bytes.Equal(got, orig) {
		t.Fatalf("inline record not healed: %v", err)
	}
}

func TestDriveFoldersRemoved(t *testing.T) {
	cfg := smallBlocks(testConfig(t, 6)) // 4+2, write quorum 4
	s := openStore(t, cfg)
	ctx := context.Background()
	rng := rand.New(rand.NewSource(4))
	objs := map[string][]byte{"inline": randBytes(rng, 1000), "large": randBytes(rng, 3*cfg.BlockSize+5)}
	for k, v := range objs {
		mustPut(t, s, "b", k, v)
	}
	// Remove m = 2 drive folders while the store is open.
	for _, i := range []int{1, 4} {
		if err := os.RemoveAll(cfg.Drives[i]); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range objs {
		checkGet(t, s, "b", k, v)
	}
	// Writes still reach the write quorum.
	objs["after"] = randBytes(rng, 2*cfg.BlockSize)
	objs["after-inline"] = randBytes(rng, 10)
	mustPut(t, s, "b", "after", objs["after"])
	mustPut(t, s, "b", "after-inline", objs["after-inline"])
	for k, v := range objs {
		checkGet(t, s, "b", k, v)
	}
	st := s.DriveStatus()
	if st[1].Online || st[4].Online || st[1].Error == "" || !st[0].Online {
		t.Fatalf("drive status after removal: %+v", st)
	}
	// The folders must not come back by themselves.
	if _, err := os.Stat(cfg.Drives[1]); !os.IsNotExist(err) {
		t.Fatalf("removed drive folder recreated: %v", err)
	}
	res, err := s.ListObjects(ctx, "b", "", "", "", 100)
	if err != nil || len(res.Objects) != 4 {
		t.Fatalf("list with 2 drives gone: %+v, %v", res, err)
	}
	// A third drive goes away (unmounted: its folder moves): writes fail
	// and leave nothing.
	moved := cfg.Drives[2] + ".away"
	if err := os.Rename(cfg.Drives[2], moved); err != nil {
		t.Fatal(err)
	}
	s.CheckDrives() // the periodic check notices
	for _, size := range []int{10, 2 * cfg.BlockSize} {
		_, err := s.PutObject(ctx, "b", "fails", bytes.NewReader(make([]byte, size)), int64(size), PutOptions{})
		if !errors.Is(err, ErrWriteQuorum) {
			t.Fatalf("put of %d bytes with 3 of 6 drives: %v", size, err)
		}
	}
	if err := s.DeleteObject(ctx, "b", "large"); !errors.Is(err, ErrWriteQuorum) {
		t.Fatalf("delete with 3 of 6 drives: %v", err)
	}
	if _, err := s.NewMultipartUpload(ctx, "b", "mp", PutOptions{}); !errors.Is(err, ErrWriteQuorum) {
		t.Fatalf("new upload with 3 of 6 drives: %v", err)
	}
	// Reads need 4 of 6 now: they fail with a quorum error, not wrong data.
	if _, err := s.OpenObject(ctx, "b", "large"); !errors.Is(err, ErrReadQuorum) {
		t.Fatalf("read with 3 of 6 drives: %v", err)
	}

	// The moved drive comes back as it was; the removed ones come back
	// empty (replaced): they are formatted afresh and HealAll refills them.
	if err := os.Rename(moved, cfg.Drives[2]); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{1, 4} {
		os.MkdirAll(cfg.Drives[i], 0o755)
	}
	s.CheckDrives()
	for i, st := range s.DriveStatus() {
		if !st.Online {
			t.Fatalf("drive %d not back: %+v", i, st)
		}
	}
	for k, v := range objs {
		checkGet(t, s, "b", k, v)
	}
	if _, err := s.StatObject(ctx, "b", "fails"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("failed put visible: %v", err)
	}
	var calls int
	if err := s.HealAll(ctx, func(done, total int) { calls++ }); err != nil {
		t.Fatal(err)
	}
	if calls < len(objs) {
		t.Fatalf("progress called %d times for %d objects", calls, len(objs))
	}
	for k, v := range objs {
		if n, dirty := versionCount(s, "b", k); n != 6 || dirty {
			t.Fatalf("%s on %d drives after HealAll (dirty %v)", k, n, dirty)
		}
		checkGet(t, s, "b", k, v)
	}
	// Now every object survives losing any other 2 drives.
	os.RemoveAll(cfg.Drives[0])
	os.RemoveAll(cfg.Drives[3])
	for k, v := range objs {
		checkGet(t, s, "b", k, v)
	}
}

func TestFormatFileChanged(t *testing.T) {
	cfg := testConfig(t, 4)
	s := openStore(t, cfg)
	mustPut(t, s, "b", "k", []byte("v"))
	fp := formatPathOf(cfg.Drives[3])
	f, err := readFormat(fp)
	if err != nil {
		t.Fatal(err)
	}
	f.Drive = "someone-else"
	b := []byte(`{"version":1,"deployment":"` + f.Deployment + `","drive":"someone-else","set":0,"index":3}`)
	os.WriteFile(fp, b, 0o644)
	s.CheckDrives()
	if st := s.DriveStatus()[3]; st.Online || st.Error == "" {
		t.Fatalf("drive with a changed format: %+v", st)
	}
	checkGet(t, s, "b", "k", []byte("v"))
	// Format file gone: offline, and not reformatted (the drive has data).
	os.Remove(formatPathOf(cfg.Drives[2]))
	s.CheckDrives()
	s.CheckDrives()
	if st := s.DriveStatus()[2]; st.Online {
		t.Fatalf("drive without format file online: %+v", st)
	}
	checkGet(t, s, "b", "k", []byte("v"))
	if _, err := s.PutObject(context.Background(), "b", "k2", bytes.NewReader(nil), 0, PutOptions{}); !errors.Is(err, ErrWriteQuorum) {
		t.Fatalf("2+2 with 2 drives offline must refuse writes: %v", err)
	}
}

var errInjected = errors.New("injected fault")

// faultyDrive fails chosen calls of a drive.
type faultyDrive struct {
	shardStore
	failApply  atomic.Bool
	failCreate atomic.Bool
	applyLeft  atomic.Int32 // with failAfter: applies that still succeed
	failAfter  atomic.Bool
	failGet    atomic.Bool // metaGet fails: the drive looks offline to reads
	// offlineAfterCreate: the drive looks offline (failGet) once a shard
	// file was created on it.
	offlineAfterCreate atomic.Bool
}

func (d *faultyDrive) metaGet(key, dst []byte) ([]byte, error) {
	if d.failGet.Load() {
		return dst, errInjected
	}
	return d.shardStore.metaGet(key, dst)
}

func (d *faultyDrive) metaApply(ops []metaOp, sync bool) error {
	if d.failApply.Load() {
		return errInjected
	}
	if d.failAfter.Load() && d.applyLeft.Add(-1) < 0 {
		return errInjected
	}
	return d.shardStore.metaApply(ops, sync)
}

func (d *faultyDrive) createShard(dir id16, name string, o createOpts) (shardWriter, error) {
	if d.failCreate.Load() {
		return nil, errInjected
	}
	w, err := d.shardStore.createShard(dir, name, o)
	if err == nil && d.offlineAfterCreate.Load() {
		d.failGet.Store(true)
	}
	return w, err
}

// TestHealDriveOfflineBeforeCommit: a drive that goes offline between the
// rebuild of its shard and the commit keeps its bad shard for the next
// pass, and what was rebuilt for it is removed (no .heal- file left).
func TestHealDriveOfflineBeforeCommit(t *testing.T) {
	cfg := smallBlocks(testConfig(t, 6)) // 4+2
	s := openStore(t, cfg)
	rng := rand.New(rand.NewSource(23))
	data := randBytes(rng, 3*cfg.BlockSize+11)
	mustPut(t, s, "b", "k", data)
	di := driveWithShard(s, "b", "k", 5) // parity: GETs do not read it
	f := shardFile(t, cfg.Drives[di])
	orig, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	flipByte(t, f, hashLen+1)
	fds := injectFaults(s)
	fds[di].offlineAfterCreate.Store(true)
	if err := s.Heal(context.Background(), "b", "k"); err != nil {
		t.Fatalf("heal: %v", err)
	}
	if !fds[di].failGet.Load() {
		t.Fatal("no shard was rebuilt for the corrupt drive")
	}
	left, _ := filepath.Glob(filepath.Join(cfg.Drives[di], "data", "*", "*", "*.heal-*"))
	if len(left) != 0 {
		t.Fatalf("rebuilt shards left behind: %v", left)
	}
	// Back online: the next pass repairs it.
	fds[di].offlineAfterCreate.Store(false)
	fds[di].failGet.Store(false)
	if err := s.Heal(context.Background(), "b", "k"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(f); !bytes.Equal(got, orig) {
		t.Fatal("the corrupt parity shard was not repaired once its drive was back")
	}
	checkGet(t, s, "b", "k", data)
}

func injectFaults(s *Store) []*faultyDrive {
	var fds []*faultyDrive
	for i, d := range s.sets[0].drives {
		fd := &faultyDrive{shardStore: d}
		s.sets[0].drives[i] = fd
		fds = append(fds, fd)
	}
	return fds
}

func TestFailedCommitRollsBack(t *testing.T) {
	cfg := smallBlocks(testConfig(t, 4)) // 2+2: write quorum 3
	s := openStore(t, cfg)
	ctx := context.Background()
	fds := injectFaults(s)
	v1 := bytes.Repeat([]byte("1"), 3*cfg.BlockSize)
	mustPut(t, s, "b", "k", v1)
	mustPut(t, s, "b", "small", []byte("small v1"))
	var before [4][]byte
	for i := range fds {
		before[i], _ = fds[i].metaGet(objectKey(nil, "b", "k"), nil)
	}
	// Two drives fail their metadata commit: the other two had committed
	// v2 (enough for the read quorum!) and must be rolled back.
	fds[0].failApply.Store(true)
	fds[3].failApply.Store(true)
	for _, key := range []string{"k", "small", "new"} {
		_, err := s.PutObject(ctx, "b", key, bytes.NewReader(bytes.Repeat([]byte("2"), 2*cfg.BlockSize)), int64(2*cfg.BlockSize), PutOptions{})
		if !errors.Is(err, ErrWriteQuorum) {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	if _, err := s.UpdateObjectMeta(ctx, "b", "k", func(oi *ObjectInfo) error { oi.Tags = "x=y"; return nil }); !errors.Is(err, ErrWriteQuorum) {
		t.Fatalf("update meta: %v", err)
	}
	if err := s.DeleteObject(ctx, "b", "k"); !errors.Is(err, ErrWriteQuorum) {
		t.Fatalf("delete: %v", err)
	}
	fds[0].failApply.Store(false)
	fds[3].failApply.Store(false)
	checkGet(t, s, "b", "k", v1)
	checkGet(t, s, "b", "small", []byte("small v1"))
	if _, err := s.StatObject(ctx, "b", "new"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("failed new object visible: %v", err)
	}
	for i := range fds {
		after, _ := fds[i].metaGet(objectKey(nil, "b", "k"), nil)
		if !bytes.Equal(after, before[i]) {
			t.Fatalf("drive %d record changed by failed writes", i)
		}
	}
	if oi, _ := s.StatObject(ctx, "b", "k"); oi.Tags != "" {
		t.Fatalf("failed metadata update visible: %+v", oi)
	}
	if n := countDataDirs(cfg); n != 4 {
		t.Fatalf("%d data dirs, want 4 (v1 only)", n)
	}
	// Shard files that cannot be created on 2 drives: no quorum either.
	fds[1].failCreate.Store(true)
	fds[2].failCreate.Store(true)
	if _, err := s.PutObject(ctx, "b", "k", bytes.NewReader(make([]byte, 100<<10)), 100<<10, PutOptions{}); !errors.Is(err, ErrWriteQuorum) {
		t.Fatalf("put with 2 failing creates: %v", err)
	}
	fds[2].failCreate.Store(false)
	// One failing drive: the write succeeds, the drive is healed later.
	v3 := bytes.Repeat([]byte("3"), 100<<10)
	mustPut(t, s, "b", "k", v3)
	fds[1].failCreate.Store(false)
	if n, dirty := versionCount(s, "b", "k"); n != 3 || !dirty {
		t.Fatalf("version on %d drives, dirty %v; want 3, true", n, dirty)
	}
	checkGet(t, s, "b", "k", v3)
	s.WaitHeals()
	if n, dirty := versionCount(s, "b", "k"); n != 4 || dirty {
		t.Fatalf("after heal on read: on %d drives, dirty %v", n, dirty)
	}
	if n := countDataDirs(cfg); n != 4 {
		t.Fatalf("%d data dirs after heal, want 4", n)
	}
}

func TestHealRemovesDanglingRecords(t *testing.T) {
	cfg := testConfig(t, 4)
	s := openStore(t, cfg)
	ctx := context.Background()
	fds := injectFaults(s)
	mustPut(t, s, "b", "k", make([]byte, 200<<10))
	// Simulate a crash mid-delete: only one drive deleted the record.
	mk := objectKey(nil, "b", "k")
	for i := 1; i < 4; i++ {
		if err := fds[i].metaApply([]metaOp{{key: mk, del: true}}, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.StatObject(ctx, "b", "k"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("object on 1 of 4 drives: %v", err)
	}
	if res, _ := s.ListObjects(ctx, "b", "", "", "", 10); len(res.Objects) != 0 {
		t.Fatalf("object on 1 of 4 drives listed")
	}
	if err := s.HealAll(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := fds[0].metaGet(mk, nil); !errors.Is(err, errNotFound) {
		t.Fatalf("dangling record left: %v", err)
	}
	// Its data dir went with it; the other drives' dirs (whose records the
	// "crash" removed) are orphans, removed by the cleanup pass.
	if xs, _ := filepath.Glob(filepath.Join(cfg.Drives[0], "data", "*", "*")); len(xs) != 0 {
		t.Fatalf("data dir of the dangling record left: %v", xs)
	}
	if n, err := s.CleanupOrphans(ctx, 0); err != nil || n != 3 {
		t.Fatalf("CleanupOrphans = %d, %v", n, err)
	}
	if n := countDataDirs(cfg); n != 0 {
		t.Fatalf("%d data dirs left", n)
	}
}

// TestCrashMidCommitKeepsOldVersion stops an overwrite's commit after half
// the drives of a 4+2 set took the new record (as a crash would: no roll
// back). The old version must stay readable: the drives that took the new
// record still hold the old one in their value.
func TestCrashMidCommitKeepsOldVersion(t *testing.T) {
	cfg := smallBlocks(testConfig(t, 6))
	s := openStore(t, cfg)
	ctx := context.Background()
	fds := injectFaults(s)
	v1 := bytes.Repeat([]byte("1"), 50<<10)
	mustPut(t, s, "b", "k", v1)
	for i, fd := range fds {
		fd.failAfter.Store(true)
		if i < 3 {
			fd.applyLeft.Store(1) // takes the commit, "crashes" before the roll back
		}
	}
	v2 := bytes.Repeat([]byte("2"), 60<<10)
	if _, err := s.PutObject(ctx, "b", "k", bytes.NewReader(v2), int64(len(v2)), PutOptions{}); !errors.Is(err, ErrWriteQuorum) {
		t.Fatalf("put: %v", err)
	}
	for _, fd := range fds {
		fd.failAfter.Store(false)
	}
	mk := objectKey(nil, "b", "k")
	for i := 0; i < 3; i++ {
		v, _ := fds[i].metaGet(mk, nil)
		if rs, _ := splitValue(v, nil); len(rs) != 2 {
			t.Fatalf("drive %d value holds %d records, want new + old", i, len(rs))
		}
	}
	checkGet(t, s, "b", "k", v1)
	// Heal settles every drive on v1 and drops v2's data.
	if err := s.Heal(ctx, "b", "k"); err != nil {
		t.Fatal(err)
	}
	if n, dirty := versionCount(s, "b", "k"); n != 6 || dirty {
		t.Fatalf("after heal: %d drives, dirty %v", n, dirty)
	}
	if _, err := s.CleanupOrphans(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if n := countDataDirs(cfg); n != 6 {
		t.Fatalf("%d data dirs, want 6 (v1 only)", n)
	}
	checkGet(t, s, "b", "k", v1)
}
