package erasure

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// rawServer is a DriveServer over a single-node Store on a plain TCP
// listener, for protocol-level tests.
func rawServer(t testing.TB) (*Store, *DriveServer, string) {
	t.Helper()
	s := openStore(t, testConfig(t, 2))
	cfg := DefaultDriveServerConfig()
	cfg.NodeID = "srv"
	ds, err := NewDriveServer(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ds.Serve(ln)
	t.Cleanup(func() { ds.Close() })
	return s, ds, ln.Addr().String()
}

type rawClient struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t testing.TB, addr string, hello bool) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	rc := &rawClient{t: t, c: c, r: bufio.NewReader(c)}
	if hello {
		var w wbuf
		w.start(opHello)
		w.raw([]byte(wireMagic))
		w.u8(wireVersion)
		if st, _ := rc.call(w.frame()); st != stOK {
			t.Fatalf("hello: status %d", st)
		}
	}
	return rc
}

// call sends raw bytes and reads one answer frame; st is 255 when the
// connection closed instead.
func (rc *rawClient) call(b []byte) (byte, []byte) {
	if _, err := rc.c.Write(b); err != nil {
		return 255, nil
	}
	st, n, err := readFrameHeader(rc.r)
	if err != nil {
		return 255, nil
	}
	body, err := readAppend(rc.r, nil, n)
	if err != nil {
		return 255, nil
	}
	return st, body
}

// closed reports whether the server closed the connection.
func (rc *rawClient) closed() bool {
	_ = rc.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := rc.r.ReadByte()
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}

func TestDriveServerProtocol(t *testing.T) {
	s, ds, addr := rawServer(t)
	frame := func(build func(w *wbuf), op byte) []byte {
		var w wbuf
		w.start(op)
		build(&w)
		return append([]byte(nil), w.frame()...)
	}

	t.Run("no hello", func(t *testing.T) {
		rc := dialRaw(t, addr, false)
		st, _ := rc.call(frame(func(w *wbuf) { w.u16(0) }, opStatus))
		if st != 255 && !rc.closed() {
			t.Fatalf("status before hello answered %d", st)
		}
	})
	t.Run("bad magic", func(t *testing.T) {
		rc := dialRaw(t, addr, false)
		st, _ := rc.call(frame(func(w *wbuf) { w.raw([]byte("HTTP")); w.u8(1) }, opHello))
		if st != stBadRequest && st != 255 || !rc.closed() {
			t.Fatalf("bad magic: status %d, connection open", st)
		}
	})
	t.Run("other version", func(t *testing.T) {
		rc := dialRaw(t, addr, false)
		st, body := rc.call(frame(func(w *wbuf) { w.raw([]byte(wireMagic)); w.u8(9) }, opHello))
		r := rbuf{b: body}
		if st != stErr || !bytes.Contains([]byte(r.str(maxErrMsg)), []byte("version 9")) {
			t.Fatalf("version 9: status %d %q", st, body)
		}
	})
	t.Run("huge frame", func(t *testing.T) {
		rc := dialRaw(t, addr, true)
		if _, err := rc.c.Write([]byte{0xff, 0xff, 0xff, 0xff, opMetaGet}); err != nil {
			t.Fatal(err)
		}
		if !rc.closed() {
			t.Fatal("a 4 GiB frame header did not close the connection")
		}
	})
	t.Run("path escape", func(t *testing.T) {
		for _, name := range []string{"../../../x", "a/b", ".hidden", "", "part\x00"} {
			rc := dialRaw(t, addr, true)
			st, _ := rc.call(frame(func(w *wbuf) {
				w.u16(0)
				w.raw(make([]byte, 16))
				w.str(name)
				w.u8(0)
				w.u32(0)
				w.u32(0)
			}, opCreate))
			if st != stBadRequest || !rc.closed() {
				t.Fatalf("create %q: status %d", name, st)
			}
			rc = dialRaw(t, addr, true)
			st, _ = rc.call(frame(func(w *wbuf) {
				w.u16(0)
				w.raw(make([]byte, 16))
				w.str(name)
				w.u64(0)
				w.u64(10)
			}, opRead))
			if st != stBadRequest || !rc.closed() {
				t.Fatalf("read %q: status %d", name, st)
			}
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(s.cfg.Drives[0]), "x")); err == nil {
			t.Fatal("a file escaped the drive")
		}
	})
	t.Run("drive errors keep the connection", func(t *testing.T) {
		rc := dialRaw(t, addr, true)
		st, body := rc.call(frame(func(w *wbuf) { w.u16(7) }, opStatus))
		if st != stOffline {
			t.Fatalf("status of drive 7: %d %q", st, body)
		}
		st, _ = rc.call(frame(func(w *wbuf) { w.u16(1); w.bytes([]byte("nokey")) }, opMetaGet))
		if st != stNotFound {
			t.Fatalf("get of a missing key: %d", st)
		}
		// Conditional set: absent -> ok; again -> conflict.
		set := frame(func(w *wbuf) {
			encodeApply(w, 1, []metaOp{{key: []byte("k"), value: []byte("v"), cas: true}}, false)
		}, opMetaApply)
		if st, _ := rc.call(set); st != stOK {
			t.Fatalf("cas set: %d", st)
		}
		if st, _ := rc.call(set); st != stConflict {
			t.Fatalf("second cas set: %d, want conflict", st)
		}
		st, body = rc.call(frame(func(w *wbuf) { w.u16(1); w.bytes([]byte("k")) }, opMetaGet))
		if st != stOK || string(body) != "v" {
			t.Fatalf("get after cas: %d %q", st, body)
		}
		// Reading a missing shard file.
		st, _ = rc.call(frame(func(w *wbuf) {
			w.u16(0)
			w.raw(make([]byte, 16))
			w.str("part.1")
			w.u64(0)
			w.u64(10)
		}, opRead))
		if st != stNoEnt {
			t.Fatalf("read of a missing file: %d", st)
		}
	})
	if st := ds.Stats(); st.BadRequests < 5 {
		t.Fatalf("stats %+v: bad requests not counted", st)
	}
}

// TestMetaApplyConditional: conditional ops are checked and applied
// atomically, for the whole batch.
func TestMetaApplyConditional(t *testing.T) {
	s := openStore(t, testConfig(t, 1))
	d := s.drives[0]
	k1, k2 := []byte("k1"), []byte("k2")
	if err := d.metaApply([]metaOp{{key: k1, value: []byte("a")}}, false); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ops  []metaOp
		want error
	}{
		{[]metaOp{{key: k1, value: []byte("b"), cas: true, old: []byte("x")}}, errConflict},
		{[]metaOp{{key: k1, value: []byte("b"), cas: true}}, errConflict}, // must be absent
		{[]metaOp{{key: k2, value: []byte("c")}, {key: k1, del: true, cas: true, old: []byte("zz")}}, errConflict},
		{[]metaOp{{key: k2, value: []byte("c"), cas: true}, {key: k1, value: []byte("b"), cas: true, old: []byte("a")}}, nil},
	} {
		if err := d.metaApply(tc.ops, false); !errors.Is(err, tc.want) && err != tc.want {
			t.Fatalf("%+v: %v, want %v", tc.ops, err, tc.want)
		}
	}
	v1, _ := d.metaGet(k1, nil)
	v2, _ := d.metaGet(k2, nil)
	if string(v1) != "b" || string(v2) != "c" {
		t.Fatalf("after the batch: %q %q", v1, v2)
	}
}

// TestRemoteLeases: an Object open on one node keeps reading its version
// while another node overwrites it and the removal grace passes (its
// lease is renewed on the drives' owners); the old data goes once it
// closes.
func TestRemoteLeases(t *testing.T) {
	c := newTestCluster(t, 3, 2, func(cfg *Config) {
		cfg.leaseRenew, cfg.leaseTTL, cfg.removeGrace = 40*time.Millisecond, 250*time.Millisecond, 150*time.Millisecond
		cfg.BlockSize = 64 << 10
		cfg.InlineThreshold = 1 << 10
	})
	a, cn := c.nodes[0].store, c.nodes[2].store
	rng := rand.New(rand.NewSource(5))
	old := randBytes(rng, 1<<20)
	mustPut(t, a, "b", "k", old)
	files := func() int {
		n := 0
		for _, nd := range c.nodes {
			for _, p := range nd.paths {
				n += countShardFiles(t, p)
			}
		}
		return n
	}
	if f := files(); f != 6 {
		t.Fatalf("%d shard files, want 6", f)
	}
	o, err := cn.OpenObject(context.Background(), "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	rd := o.Range(0, -1)
	head := make([]byte, 100<<10)
	if _, err := io.ReadFull(rd, head); err != nil {
		t.Fatal(err)
	}
	mustPut(t, a, "b", "k", randBytes(rng, 1<<20))
	time.Sleep(600 * time.Millisecond) // > removeGrace + leaseTTL
	rest, err := io.ReadAll(rd)
	if err != nil {
		t.Fatalf("reading the leased version after an overwrite: %v", err)
	}
	if !bytes.Equal(append(head, rest...), old) {
		t.Fatal("leased version read back wrong")
	}
	if f := files(); f != 12 {
		t.Fatalf("%d shard files while the old version is leased, want 12", f)
	}
	rd.Close()
	c.waitFor("old version removed", func() bool { return files() == 6 })
}

// FuzzDriveServer feeds arbitrary bytes (after a valid hello) to a drive
// server connection: it must never panic, hang or allocate by a length it
// was sent.
func FuzzDriveServer(f *testing.F) {
	s := openStore(f, testConfig(f, 2))
	cfg := DefaultDriveServerConfig()
	cfg.NodeID = "fuzz"
	cfg.IdleTimeout = time.Second
	ds, err := NewDriveServer(s, cfg)
	if err != nil {
		f.Fatal(err)
	}
	seed := func(op byte, build func(w *wbuf)) {
		var w wbuf
		w.start(op)
		build(&w)
		f.Add(append([]byte(nil), w.frame()...))
	}
	seed(opStatus, func(w *wbuf) { w.u16(0) })
	seed(opMetaGet, func(w *wbuf) { w.u16(1); w.bytes([]byte("key")) })
	seed(opMetaApply, func(w *wbuf) {
		encodeApply(w, 0, []metaOp{{key: []byte("a"), value: []byte("b"), cas: true, old: []byte("c")},
			{key: []byte("d"), end: []byte("e"), del: true}}, true)
	})
	seed(opMetaIter, func(w *wbuf) {
		w.u16(0)
		w.bytes(nil)
		w.bytes(nil)
		w.bytes([]byte("a"))
		w.uv(10)
		w.uv(100)
	})
	seed(opRead, func(w *wbuf) { w.u16(0); w.raw(make([]byte, 16)); w.str("part.1"); w.u64(0); w.u64(1 << 40) })
	seed(opListDir, func(w *wbuf) { w.u16(0); w.raw(make([]byte, 16)) })
	seed(opLease, func(w *wbuf) { w.uv(1); w.raw(make([]byte, 16)) })
	var cw wbuf
	cw.start(opCreate)
	cw.u16(0)
	cw.raw(bytes.Repeat([]byte{1}, 16))
	cw.str("part.1")
	cw.u8(0)
	cw.u32(0)
	cw.u32(0)
	stream := append([]byte(nil), cw.frame()...)
	stream = append(stream, 0, 0, 0, 4, opData, 1, 2, 3, 0, 0, 0, 2, opCommit, 0)
	f.Add(stream)
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff, opMetaGet, 0})
	var hello wbuf
	hello.start(opHello)
	hello.raw([]byte(wireMagic))
	hello.u8(wireVersion)
	hb := append([]byte(nil), hello.frame()...)
	f.Fuzz(func(t *testing.T, in []byte) {
		c1, c2 := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			ds.serveConn(c2)
			c2.Close()
		}()
		go io.Copy(io.Discard, c1)
		_ = c1.SetWriteDeadline(time.Now().Add(2 * time.Second))
		_, _ = c1.Write(hb)
		_, _ = c1.Write(in)
		c1.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("server connection did not end")
		}
	})
}

// FuzzDecodeApply checks that an apply body that decodes re-encodes to
// the same bytes.
func FuzzDecodeApply(f *testing.F) {
	var w wbuf
	w.start(opMetaApply)
	encodeApply(&w, 3, []metaOp{{key: []byte("k"), value: []byte("v")}, {key: []byte("x"), del: true, cas: true},
		{key: []byte("a"), end: []byte("b"), del: true}, {key: []byte("c"), value: nil, cas: true, old: []byte("o")}}, true)
	f.Add(w.b[5:])
	f.Add([]byte{0, 0, 1, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		drive, ops, sync, err := decodeApply(b)
		if err != nil {
			return
		}
		var w wbuf
		w.start(opMetaApply)
		encodeApply(&w, uint16(drive), ops, sync)
		if !bytes.Equal(w.b[5:], b) && len(ops) > 0 {
			// Non-minimal uvarints decode too; the ops must survive a
			// second round trip unchanged.
			d2, ops2, s2, err := decodeApply(w.b[5:])
			if err != nil || d2 != drive || s2 != sync || len(ops2) != len(ops) {
				t.Fatalf("round trip changed the batch: %v", err)
			}
			for i := range ops {
				a, b := ops[i], ops2[i]
				if !bytes.Equal(a.key, b.key) || !bytes.Equal(a.value, b.value) || !bytes.Equal(a.end, b.end) ||
					a.del != b.del || a.cas != b.cas || (a.old == nil) != (b.old == nil) || !bytes.Equal(a.old, b.old) {
					t.Fatalf("op %d changed: %+v vs %+v", i, a, b)
				}
			}
		}
	})
}

func TestReadAppendGrowsWithData(t *testing.T) {
	// A length of 64 MiB with 10 bytes behind it allocates for the bytes.
	b, err := readAppend(bytes.NewReader(make([]byte, 10)), nil, 64<<20)
	if err == nil || cap(b) > 128<<10 {
		t.Fatalf("readAppend: cap %d, err %v", cap(b), err)
	}
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], maxFrame+1)
	if _, _, err := readFrameHeader(bufio.NewReader(bytes.NewReader(append(h[:], 1)))); !errors.Is(err, errProtocol) {
		t.Fatalf("oversize frame: %v", err)
	}
}

// TestMetaApplyMemo: the condition of a conditional op may be answered by
// the drive's memo of the last lookup, but never once anything wrote to
// the key (or its stripe, or a range) after that lookup.
func TestMetaApplyMemo(t *testing.T) {
	s := openStore(t, testConfig(t, 1))
	d := s.drives[0].(*localDrive)
	k := []byte("memo-key")
	get := func() []byte {
		v, err := d.metaGet(k, nil)
		if errors.Is(err, errNotFound) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	apply := func(want error, ops ...metaOp) {
		t.Helper()
		if err := d.metaApply(ops, false); !errors.Is(err, want) && err != want {
			t.Fatalf("%+v: %v, want %v", ops, err, want)
		}
	}
	h := d.h.Load()
	st := keyStripe(k)

	// Absent, read, then written by someone else: "must be absent" fails.
	if v := get(); v != nil {
		t.Fatalf("fresh key has %q", v)
	}
	if known, same := d.memoMatch(h, st, &metaOp{key: k, cas: true}); !known || !same {
		t.Fatalf("memo after a lookup: known %v same %v", known, same)
	}
	apply(nil, metaOp{key: k, value: []byte("other")})
	if known, _ := d.memoMatch(h, st, &metaOp{key: k, cas: true}); known {
		t.Fatal("memo still answers after a write to the key")
	}
	apply(errConflict, metaOp{key: k, value: []byte("mine"), cas: true})

	// Read "other", then swap it: the memo answers, right both ways.
	old := get()
	apply(errConflict, metaOp{key: k, value: []byte("x"), cas: true, old: []byte("otheR")})
	old = get()
	apply(nil, metaOp{key: k, value: []byte("mine"), cas: true, old: old})
	if v := get(); string(v) != "mine" {
		t.Fatalf("after the swap: %q", v)
	}

	// A write to another key of the same stripe invalidates it too.
	var other []byte
	for i := 0; ; i++ {
		other = []byte(fmt.Sprint("o", i))
		if keyStripe(other) == st && !bytes.Equal(other, k) {
			break
		}
	}
	get()
	apply(nil, metaOp{key: other, value: []byte("v")})
	if known, _ := d.memoMatch(h, st, &metaOp{key: k, cas: true, old: []byte("mine")}); known {
		t.Fatal("memo still answers after a write to its stripe")
	}

	// A range delete invalidates every memo; the real lookup then decides.
	get()
	apply(nil, metaOp{key: []byte("m"), end: []byte("n"), del: true})
	if known, _ := d.memoMatch(h, st, &metaOp{key: k, cas: true, old: []byte("mine")}); known {
		t.Fatal("memo still answers after a range delete")
	}
	apply(errConflict, metaOp{key: k, value: []byte("y"), cas: true, old: []byte("mine")})
	apply(nil, metaOp{key: k, value: []byte("y"), cas: true})

	// A read for a GET leaves no memo behind.
	apply(nil, metaOp{key: other, value: []byte("w")})
	if _, err := d.metaGetNoMemo(k, nil); err != nil {
		t.Fatal(err)
	}
	if known, _ := d.memoMatch(h, st, &metaOp{key: k, cas: true, old: []byte("y")}); known {
		t.Fatal("metaGetNoMemo left a memo")
	}
}
