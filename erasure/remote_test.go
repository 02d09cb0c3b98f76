package erasure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// countShardFiles counts the shard files under a drive folder.
func countShardFiles(t testing.TB, drive string) int {
	t.Helper()
	n := 0
	_ = filepath.Walk(filepath.Join(drive, dataDir), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.HasPrefix(fi.Name(), "part.") {
			n++
		}
		return nil
	})
	return n
}

func listKeys(t testing.TB, s *Store, bucket, prefix, delim string) ([]string, []string) {
	t.Helper()
	res, err := s.ListObjects(context.Background(), bucket, prefix, "", delim, 1000)
	if err != nil {
		t.Fatalf("ListObjects: %v", err)
	}
	var keys []string
	for _, o := range res.Objects {
		keys = append(keys, o.Key)
	}
	return keys, res.CommonPrefixes
}

// TestRemoteCluster: three nodes with two drives each, one 4+2 set over
// all six drives; every node reads what another wrote, byte for byte.
func TestRemoteCluster(t *testing.T) {
	c := newTestCluster(t, 3, 2, func(cfg *Config) { cfg.MinPartSize = 64 << 10 })
	a, b, cn := c.nodes[0].store, c.nodes[1].store, c.nodes[2].store
	if k, m := a.Layout(); k != 4 || m != 2 {
		t.Fatalf("layout %d+%d, want 4+2", k, m)
	}
	ctx := context.Background()
	rng := rand.New(rand.NewSource(1))
	objs := map[string][]byte{
		"empty":        {},
		"small":        randBytes(rng, 4<<10),
		"dir/inline":   randBytes(rng, 100<<10),
		"dir/big":      randBytes(rng, 3<<20+12345),
		"dir/sub/mid":  randBytes(rng, 1<<20),
		"odd\x00key/x": randBytes(rng, 200<<10),
	}
	for k, v := range objs {
		oi := mustPut(t, a, "bkt", k, v)
		if oi.ETag != md5hex(v) || oi.Size != int64(len(v)) {
			t.Fatalf("put %q: %+v", k, oi)
		}
	}
	// Unknown size, streamed.
	objs["stream"] = randBytes(rng, 2<<20+3)
	if _, err := a.PutObject(ctx, "bkt", "stream", bytes.NewReader(objs["stream"]), -1, PutOptions{ContentType: "x/y"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{b, cn, a} {
		for k, v := range objs {
			checkGet(t, s, "bkt", k, v)
		}
	}
	// Ranges through C (start inside a block, span blocks, tail).
	big := objs["dir/big"]
	for _, r := range [][2]int64{{1<<20 + 7, 1<<20 + 100}, {0, 1}, {3 << 20, -1}, {5, 3<<20 + 12000}} {
		got, _, err := getRange(cn, "bkt", "dir/big", r[0], r[1])
		end := int64(len(big))
		if r[1] >= 0 {
			end = r[0] + r[1]
		}
		if err != nil || !bytes.Equal(got, big[r[0]:end]) {
			t.Fatalf("range %v via C: %d bytes, %v", r, len(got), err)
		}
	}
	oi, err := b.StatObject(ctx, "bkt", "stream")
	if err != nil || oi.ContentType != "x/y" || oi.ETag != md5hex(objs["stream"]) {
		t.Fatalf("stat via B: %+v %v", oi, err)
	}
	// Shards really are on the other nodes' drives.
	for _, n := range c.nodes {
		files := 0
		for _, p := range n.paths {
			files += countShardFiles(t, p)
		}
		if files < 4 {
			t.Errorf("%s holds %d shard files, want >= 4 (2 drives x 3 large objects)", n.id, files)
		}
	}

	// Multipart: create through B, parts through A and C, complete through B.
	id, err := b.NewMultipartUpload(ctx, "bkt", "mp", PutOptions{ContentType: "video/mp4"})
	if err != nil {
		t.Fatal(err)
	}
	p1, p2, p3 := randBytes(rng, 1<<20+5), randBytes(rng, 700<<10), randBytes(rng, 33)
	i1 := putPart(t, a, "bkt", "mp", id, 1, p1)
	i2 := putPart(t, cn, "bkt", "mp", id, 2, p2)
	i3 := putPart(t, a, "bkt", "mp", id, 3, p3)
	ups, err := cn.ListMultipartUploads(ctx, "bkt", "", "", "", "", 10)
	if err != nil || len(ups.Uploads) != 1 || ups.Uploads[0].UploadID != id {
		t.Fatalf("ListMultipartUploads via C: %+v %v", ups, err)
	}
	lp, err := a.ListParts(ctx, "bkt", "mp", id, 0, 10)
	if err != nil || len(lp.Parts) != 3 {
		t.Fatalf("ListParts via A: %+v %v", lp, err)
	}
	if _, err := b.CompleteMultipartUpload(ctx, "bkt", "mp", id, []CompletePart{
		{Number: 1, ETag: i1.ETag}, {Number: 2, ETag: i2.ETag}, {Number: 3, ETag: i3.ETag}}, nil); err != nil {
		t.Fatal(err)
	}
	objs["mp"] = append(append(append([]byte(nil), p1...), p2...), p3...)
	checkGet(t, a, "bkt", "mp", objs["mp"])
	checkGet(t, cn, "bkt", "mp", objs["mp"])
	got, _, err := getRange(b, "bkt", "mp", 1<<20, 200<<10)
	if err != nil || !bytes.Equal(got, objs["mp"][1<<20:1<<20+200<<10]) {
		t.Fatalf("multipart range across parts via B: %v", err)
	}

	// Listing from every node.
	var want []string
	for k := range objs {
		want = append(want, k)
	}
	sort.Strings(want)
	for _, s := range []*Store{a, b, cn} {
		keys, _ := listKeys(t, s, "bkt", "", "")
		if strings.Join(keys, "|") != strings.Join(want, "|") {
			t.Fatalf("list: %q, want %q", keys, want)
		}
		keys, cps := listKeys(t, s, "bkt", "dir/", "/")
		if strings.Join(keys, "|") != "dir/big|dir/inline" || strings.Join(cps, "|") != "dir/sub/" {
			t.Fatalf("list dir/ with delimiter: %q %q", keys, cps)
		}
	}
	// Paged listing (many keys: several iterator pages per drive).
	for i := 0; i < 150; i++ {
		mustPut(t, b, "many", fmt.Sprintf("k%04d", i), []byte{byte(i)})
	}
	marker, n := "", 0
	for {
		res, err := cn.ListObjects(ctx, "many", "", marker, "", 40)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			if o.Key != fmt.Sprintf("k%04d", n) {
				t.Fatalf("listing page: got %q at %d", o.Key, n)
			}
			n++
		}
		if !res.IsTruncated {
			break
		}
		marker = res.NextMarker
	}
	if n != 150 {
		t.Fatalf("listed %d keys, want 150", n)
	}

	// Metadata update via C, seen via A; delete via C, gone everywhere.
	if _, err := cn.UpdateObjectMeta(ctx, "bkt", "small", func(oi *ObjectInfo) error { oi.ContentType = "a/b"; return nil }); err != nil {
		t.Fatal(err)
	}
	if oi, err := a.StatObject(ctx, "bkt", "small"); err != nil || oi.ContentType != "a/b" {
		t.Fatalf("stat after update: %+v %v", oi, err)
	}
	for _, k := range []string{"dir/big", "small"} {
		if err := cn.DeleteObject(ctx, "bkt", k); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*Store{a, b} {
			if _, err := s.StatObject(ctx, "bkt", k); !errors.Is(err, ErrObjectNotFound) {
				t.Fatalf("stat %s after delete: %v", k, err)
			}
		}
	}
	st := a.DriveStatus()
	if len(st) != 6 || st[0].Node != "" || st[2].Node != "node1" || !st[5].Online || st[5].Path != c.nodes[2].paths[1] {
		t.Fatalf("DriveStatus: %+v", st)
	}
	for _, n := range c.nodes {
		if s := n.srv.Stats(); s.Requests == 0 || s.BadRequests != 0 {
			t.Errorf("%s server stats %+v", n.id, s)
		}
	}
}

// TestRemoteNodeLoss: with a node's drive server gone, reads and writes
// keep their quorums; with two gone writes fail and leave nothing; once
// the nodes are back, heal rebuilds what they missed.
func TestRemoteNodeLoss(t *testing.T) {
	for _, lay := range [][2]int{{4, 2}, {3, 3}} {
		t.Run(fmt.Sprintf("%d+%d", lay[0], lay[1]), func(t *testing.T) {
			c := newTestCluster(t, 3, 2, func(cfg *Config) { cfg.DataShards, cfg.ParityShards = lay[0], lay[1] })
			na, nb, nc := c.nodes[0], c.nodes[1], c.nodes[2]
			a, b, cn := na.store, nb.store, nc.store
			ctx := context.Background()
			rng := rand.New(rand.NewSource(2))
			before := randBytes(rng, 2<<20+1)
			mustPut(t, a, "b", "before", before)

			nc.stopServer()
			during := map[string][]byte{"inline": randBytes(rng, 5000), "large": randBytes(rng, 3<<20+17)}
			for k, v := range during {
				mustPut(t, a, "b", k, v) // 4 drives left: write quorum 4 in both layouts
			}
			for k, v := range during {
				checkGet(t, b, "b", k, v)
			}
			checkGet(t, b, "b", "before", before)
			if keys, _ := listKeys(t, b, "b", "", ""); len(keys) != 3 {
				t.Fatalf("list with a node down: %q", keys)
			}

			nb.stopServer()
			_, err := a.PutObject(ctx, "b", "fail", bytes.NewReader(randBytes(rng, 1<<20)), 1<<20, PutOptions{})
			if !errors.Is(err, ErrWriteQuorum) {
				t.Fatalf("put with two nodes down: %v, want ErrWriteQuorum", err)
			}
			_, err = a.PutObject(ctx, "b", "fail-inline", bytes.NewReader([]byte("x")), 1, PutOptions{})
			if !errors.Is(err, ErrWriteQuorum) {
				t.Fatalf("inline put with two nodes down: %v, want ErrWriteQuorum", err)
			}
			if _, err := a.StatObject(ctx, "b", "before"); !errors.Is(err, ErrReadQuorum) {
				t.Fatalf("stat with two nodes down: %v, want ErrReadQuorum", err)
			}

			nb.restart()
			nc.restart()
			c.waitOnline()
			for _, k := range []string{"fail", "fail-inline"} {
				if _, err := cn.StatObject(ctx, "b", k); !errors.Is(err, ErrObjectNotFound) {
					t.Fatalf("failed put %s is visible: %v", k, err)
				}
			}
			if err := a.HealAll(ctx, nil); err != nil {
				t.Fatal(err)
			}
			// Read with B's drives gone: A's and C's must hold every shard
			// now (with 4+2 exactly the 4 needed), so C's were rebuilt.
			nb.stopServer()
			for k, v := range during {
				checkGet(t, cn, "b", k, v)
			}
			checkGet(t, cn, "b", "before", before)
			nb.restart()
			c.waitOnline()
			if keys, _ := listKeys(t, cn, "b", "", ""); strings.Join(keys, ",") != "before,inline,large" {
				t.Fatalf("final listing %q", keys)
			}
		})
	}
}

// TestRemoteHangingPeer: a peer that stops answering (blackholed link)
// costs at most one RemoteTimeout; after that its drives are skipped at
// once, and it comes back by itself when the link heals.
func TestRemoteHangingPeer(t *testing.T) {
	const timeout = 400 * time.Millisecond
	c := newTestCluster(t, 3, 2, func(cfg *Config) { cfg.RemoteTimeout = timeout })
	na, nc := c.nodes[0], c.nodes[2]
	proxy := na.route(t, nc)
	// Connections of A to C now go through the proxy.
	na.store.peers[1].flushIdle()
	a := na.store
	ctx := context.Background()
	rng := rand.New(rand.NewSource(3))
	data := randBytes(rng, 3<<20)
	mustPut(t, a, "b", "k", data)
	checkGet(t, a, "b", "k", data)
	if proxy.Conns() == 0 {
		t.Fatal("no connection went through the proxy")
	}

	proxy.Partition()
	start := time.Now()
	checkGet(t, a, "b", "k", data)
	if d := time.Since(start); d > 3*timeout {
		t.Fatalf("GET with a hanging peer took %v (timeout %v)", d, timeout)
	}
	start = time.Now()
	data2 := randBytes(rng, 2<<20)
	mustPut(t, a, "b", "k2", data2)
	small := randBytes(rng, 1000)
	mustPut(t, a, "b", "small", small)
	checkGet(t, a, "b", "k2", data2)
	checkGet(t, a, "b", "small", small)
	if _, err := a.ListObjects(ctx, "b", "", "", "", 10); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*timeout {
		t.Fatalf("requests after the first failure took %v: the hanging peer was not skipped", d)
	}
	for i := 0; i < 5; i++ { // quick: the peer is skipped
		start = time.Now()
		mustPut(t, a, "b", fmt.Sprint("q", i), small)
		if d := time.Since(start); d > timeout/2 {
			t.Fatalf("put %d took %v with the peer known down", i, d)
		}
	}
	if on := na.online(); on != 4 {
		t.Fatalf("A sees %d drives online, want 4", on)
	}

	proxy.Heal()
	c.waitFor("C back online on A", func() bool { return na.online() == 6 })
	if err := a.HealAll(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// C's drives now hold k2: read it with B gone.
	c.nodes[1].stopServer()
	checkGet(t, a, "b", "k2", data2)
	checkGet(t, a, "b", "small", small)
}

// TestRemoteConcurrentWriters: two nodes overwrite the same keys at once
// (their key locks are per node); readers on a third node always get one
// complete version, and all nodes agree on the final one.
func TestRemoteConcurrentWriters(t *testing.T) {
	c := newTestCluster(t, 3, 2, nil)
	ctx := context.Background()
	const rounds = 12
	sizes := map[string]int{"inline": 3000, "large": 300 << 10}
	var mu sync.Mutex
	written := map[string]map[string]bool{} // key -> etags written
	for k := range sizes {
		written[k] = map[string]bool{}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errc := make(chan error, 100)
	for w := 0; w < 2; w++ {
		s := c.nodes[w].store
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			for r := 0; r < rounds; r++ {
				for k, n := range sizes {
					v := randBytes(rng, n)
					mu.Lock()
					written[k][md5hex(v)] = true
					mu.Unlock()
					if _, err := s.PutObject(ctx, "b", k, bytes.NewReader(v), int64(n), PutOptions{}); err != nil &&
						!errors.Is(err, ErrWriteQuorum) {
						errc <- fmt.Errorf("writer %d: %w", w, err)
						return
					}
				}
			}
		}()
	}
	var rwg sync.WaitGroup
	reads := 0
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		s := c.nodes[2].store
		for {
			select {
			case <-stop:
				return
			default:
			}
			for k := range sizes {
				got, oi, err := getRange(s, "b", k, 0, -1)
				if errors.Is(err, ErrObjectNotFound) || errors.Is(err, ErrReadQuorum) {
					continue
				}
				if err != nil {
					errc <- fmt.Errorf("read %s: %w", k, err)
					return
				}
				mu.Lock()
				ok := written[k][md5hex(got)] && md5hex(got) == oi.ETag
				mu.Unlock()
				if !ok {
					errc <- fmt.Errorf("read %s: %d bytes that no writer wrote (etag %s)", k, len(got), oi.ETag)
					return
				}
				reads++
			}
		}
	}()
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	t.Logf("%d consistent reads during the writes", reads)
	for k := range sizes {
		var etag string
		for i, n := range c.nodes {
			got, oi, err := getRange(n.store, "b", k, 0, -1)
			if err != nil {
				t.Fatalf("%s: final read of %s: %v", n.id, k, err)
			}
			if md5hex(got) != oi.ETag || !written[k][oi.ETag] {
				t.Fatalf("%s: final %s is not a written version", n.id, k)
			}
			if i > 0 && oi.ETag != etag {
				t.Fatalf("nodes disagree on %s: %s vs %s", k, etag, oi.ETag)
			}
			etag = oi.ETag
		}
	}
}

// TestRemoteFormatChecks: a Store refuses remote drives formatted for
// another place, another deployment, or served by another node id.
func TestRemoteFormatChecks(t *testing.T) {
	c := newTestCluster(t, 3, 2, nil)
	base := c.nodes[0].cfg
	open := func(mod func(eps []DriveEndpoint, cfg *Config)) *Store {
		cfg := base
		cfg.Endpoints = nil
		for _, o := range c.nodes {
			for d := range o.paths {
				cfg.Endpoints = append(cfg.Endpoints, DriveEndpoint{Node: o.id, Addr: o.addr, Index: d})
			}
		}
		mod(cfg.Endpoints, &cfg)
		s, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	// An observer with every drive remote, in the right order: all online.
	s := open(func([]DriveEndpoint, *Config) {})
	for _, st := range s.DriveStatus() {
		if !st.Online {
			t.Fatalf("remote-only store: %+v", st)
		}
	}
	checkGetAfterPut := func() {
		data := []byte("through an observer")
		mustPut(t, c.nodes[1].store, "b", "obs", data)
		checkGet(t, s, "b", "obs", data)
	}
	checkGetAfterPut()

	// Node 1's drives swapped: both refused.
	s = open(func(eps []DriveEndpoint, _ *Config) { eps[2].Index, eps[3].Index = 1, 0 })
	st := s.DriveStatus()
	for _, i := range []int{2, 3} {
		if st[i].Online || !strings.Contains(st[i].Error, "formatted for another place") {
			t.Fatalf("swapped drive %d: %+v", i, st[i])
		}
	}
	if !st[0].Online || !st[5].Online {
		t.Fatalf("other drives: %+v", st)
	}
	// Another deployment: all refused.
	s = open(func(_ []DriveEndpoint, cfg *Config) { cfg.DeploymentID = "other" })
	for _, st := range s.DriveStatus() {
		if st.Online {
			t.Fatalf("drive of another deployment online: %+v", st)
		}
	}
	// A wrong node id for an address.
	s = open(func(eps []DriveEndpoint, _ *Config) { eps[4].Node, eps[5].Node = "nodeX", "nodeX" })
	st = s.DriveStatus()
	if st[4].Online || !strings.Contains(st[4].Error, `not "nodeX"`) {
		t.Fatalf("wrong node id: %+v", st[4])
	}
	// A drive index the node does not have.
	s = open(func(eps []DriveEndpoint, _ *Config) { eps[5].Index = 7 })
	if st := s.DriveStatus()[5]; st.Online || !strings.Contains(st.Error, "no drive 7") {
		t.Fatalf("missing drive index: %+v", st)
	}
}

func testDial(context.Context, string) (net.Conn, error) {
	return nil, errors.New("no dial in this test")
}

func TestRemoteConfigValidate(t *testing.T) {
	good := func() Config {
		cfg := DefaultConfig()
		cfg.Endpoints = []DriveEndpoint{{Path: "/a"}, {Node: "n1", Addr: "10.0.0.1:9100", Index: 0}}
		cfg.DeploymentID = "dep"
		cfg.Dial = testDial
		return cfg
	}
	c := good()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Config){
		"both lists":     func(c *Config) { c.Drives = []string{"/x"} },
		"no dial":        func(c *Config) { c.Dial = nil },
		"no deployment":  func(c *Config) { c.DeploymentID = "" },
		"bad deployment": func(c *Config) { c.DeploymentID = "a b" },
		"path and node":  func(c *Config) { c.Endpoints[0].Node = "n2" },
		"bad addr":       func(c *Config) { c.Endpoints[1].Addr = "nope" },
		"bad node":       func(c *Config) { c.Endpoints[1].Node = "" },
		"bad index":      func(c *Config) { c.Endpoints[1].Index = 70000 },
		"dup remote": func(c *Config) {
			c.Endpoints = append(c.Endpoints, DriveEndpoint{Node: "n1", Addr: "10.0.0.1:9100"})
		},
		"two addrs": func(c *Config) {
			c.Endpoints = append(c.Endpoints, DriveEndpoint{Node: "n1", Addr: "10.0.0.2:9100", Index: 1})
		},
		"dup path":     func(c *Config) { c.Endpoints = append(c.Endpoints, DriveEndpoint{Path: "/a"}) },
		"timeout":      func(c *Config) { c.RemoteTimeout = time.Millisecond },
		"retry":        func(c *Config) { c.RemoteRetry = time.Hour },
		"inline limit": func(c *Config) { c.BlockSize = 64 << 20; c.InlineThreshold = 32 << 20 },
	} {
		c := good()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, c.Endpoints)
		}
	}
}

func TestDriveServerConfigValidate(t *testing.T) {
	c := DefaultDriveServerConfig()
	if err := c.Validate(); err == nil {
		t.Fatal("Validate accepted an empty NodeID")
	}
	c.NodeID = "n1"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*DriveServerConfig){
		"node id":   func(c *DriveServerConfig) { c.NodeID = "has space" },
		"idle":      func(c *DriveServerConfig) { c.IdleTimeout = time.Millisecond },
		"max conns": func(c *DriveServerConfig) { c.MaxConns = -1 },
	} {
		c := DefaultDriveServerConfig()
		c.NodeID = "n1"
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, c)
		}
	}
}
