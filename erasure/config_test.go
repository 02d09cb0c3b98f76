package erasure

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultLayout(t *testing.T) {
	tests := []struct{ n, data, parity int }{
		{1, 1, 0}, {2, 1, 1}, {3, 2, 1}, {4, 2, 2}, {5, 3, 2}, {6, 4, 2}, {7, 5, 2}, {8, 6, 2},
		{9, 6, 3}, {10, 7, 3}, {11, 8, 3}, {12, 8, 4}, {13, 9, 4}, {14, 10, 4}, {15, 11, 4}, {16, 12, 4},
	}
	for _, tt := range tests {
		d, p := DefaultLayout(tt.n)
		if d != tt.data || p != tt.parity {
			t.Errorf("DefaultLayout(%d) = %d+%d, want %d+%d", tt.n, d, p, tt.data, tt.parity)
		}
		if p > d || d+p != tt.n {
			t.Errorf("DefaultLayout(%d) = %d+%d breaks parity <= data or data+parity == n", tt.n, d, p)
		}
	}
}

func TestWriteQuorum(t *testing.T) {
	tests := []struct{ k, m, want int }{{1, 0, 1}, {1, 1, 2}, {2, 1, 2}, {2, 2, 3}, {4, 2, 4}, {8, 4, 8}, {4, 4, 5}}
	for _, tt := range tests {
		if got := writeQuorum(tt.k, tt.m); got != tt.want {
			t.Errorf("writeQuorum(%d, %d) = %d, want %d", tt.k, tt.m, got, tt.want)
		}
	}
}

func TestSetSizes(t *testing.T) {
	tests := []struct {
		n    int
		want []int
	}{
		{1, []int{1}}, {16, []int{16}}, {17, []int{9, 8}}, {32, []int{16, 16}}, {33, []int{11, 11, 11}}, {40, []int{14, 13, 13}},
	}
	for _, tt := range tests {
		got := setSizes(tt.n)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("setSizes(%d) = %v, want %v", tt.n, got, tt.want)
		}
		sum := 0
		for _, s := range got {
			sum += s
			if s > MaxSetDrives {
				t.Errorf("setSizes(%d) has a set of %d", tt.n, s)
			}
		}
		if sum != tt.n {
			t.Errorf("setSizes(%d) sums to %d", tt.n, sum)
		}
	}
}

func drives(n int) []string {
	var d []string
	for i := 0; i < n; i++ {
		d = append(d, filepath.Join("/x", fmt.Sprint(i)))
	}
	return d
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string // substring naming the field; "" = valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"zero numeric fields mean default", func(c *Config) { *c = Config{Drives: drives(4)} }, ""},
		{"no drives", func(c *Config) { c.Drives = nil }, "Config.Drives"},
		{"empty drive", func(c *Config) { c.Drives[1] = "" }, "Config.Drives[1]"},
		{"duplicate drive", func(c *Config) { c.Drives[2] = c.Drives[0] }, "listed twice"},
		{"explicit 3+1", func(c *Config) { c.DataShards, c.ParityShards = 3, 1 }, ""},
		{"explicit 4+0", func(c *Config) { c.DataShards, c.ParityShards = 4, 0 }, ""},
		{"data 0", func(c *Config) { c.DataShards, c.ParityShards = 0, 4 }, "Config.DataShards"},
		{"parity negative", func(c *Config) { c.DataShards, c.ParityShards = 5, -1 }, "Config.ParityShards"},
		{"parity > data", func(c *Config) { c.DataShards, c.ParityShards = 1, 3 }, "must be <= DataShards"},
		{"sum != drives", func(c *Config) { c.DataShards, c.ParityShards = 2, 1 }, "drives per set"},
		{"block too small", func(c *Config) { c.BlockSize = 100 }, "Config.BlockSize"},
		{"block too large", func(c *Config) { c.BlockSize = 1 << 30 }, "Config.BlockSize"},
		{"inline > block", func(c *Config) { c.BlockSize = 64 << 10; c.InlineThreshold = 65 << 10 }, "Config.InlineThreshold"},
		{"inline disabled", func(c *Config) { c.InlineThreshold = -1 }, ""},
		{"min part negative", func(c *Config) { c.MinPartSize = -1 }, "Config.MinPartSize"},
		{"memtable small", func(c *Config) { c.MetaMemTableSize = 1000 }, "Config.MetaMemTableSize"},
		{"cache negative", func(c *Config) { c.MetaCacheSize = -1 }, "Config.MetaCacheSize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Drives = drives(4)
			tt.mod(&c)
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Validate() = nil, want error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Validate() = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	// Several sets: an explicit layout must fit every set.
	c := DefaultConfig()
	c.Drives = drives(32)
	c.DataShards, c.ParityShards = 12, 4
	if err := c.Validate(); err != nil {
		t.Fatalf("32 drives as 2x(12+4): %v", err)
	}
	c.Drives = drives(17)
	c.DataShards, c.ParityShards = 6, 3
	if err := c.Validate(); err == nil {
		t.Fatal("17 drives (sets of 9 and 8) with 6+3: want error")
	}
}

func TestOpenLayouts(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 6, 8, 12, 17} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			cfg := testConfig(t, n)
			s := openStore(t, cfg)
			d, p := s.Layout()
			sizes := setSizes(n)
			wd, wp := DefaultLayout(sizes[0])
			if d != wd || p != wp {
				t.Fatalf("Layout() = %d+%d, want %d+%d", d, p, wd, wp)
			}
			if len(s.sets) != len(sizes) {
				t.Fatalf("%d sets, want %d", len(s.sets), len(sizes))
			}
			for i, st := range s.DriveStatus() {
				if !st.Online || st.Path != filepath.Clean(cfg.Drives[i]) || st.TotalBytes == 0 {
					t.Fatalf("DriveStatus[%d] = %+v", i, st)
				}
			}
		})
	}
}

func TestOpenRejectsLayoutChange(t *testing.T) {
	cfg := testConfig(t, 6)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "b", "k", []byte("hello"))
	s.Close()
	cfg.DataShards, cfg.ParityShards = 3, 3
	if s2, err := Open(cfg); err == nil {
		s2.Close()
		t.Fatal("reopening 4+2 drives as 3+3: want error")
	} else if !strings.Contains(err.Error(), "layout") {
		t.Fatalf("error %v does not name the layout", err)
	}
	cfg.DataShards, cfg.ParityShards = 0, 0
	s = openStore(t, cfg)
	checkGet(t, s, "b", "k", []byte("hello"))
}

func TestRotationSpreadsParity(t *testing.T) {
	const n = 6
	var data [n]int // objects for which drive j holds a data shard
	for i := 0; i < 600; i++ {
		rot := rotation(objectHash("b", fmt.Sprint("key", i)), n)
		for j := 0; j < n; j++ {
			if shardOfDrive(j, rot, n) < 4 {
				data[j]++
			}
			if driveOfShard(shardOfDrive(j, rot, n), rot, n) != j {
				t.Fatal("driveOfShard does not invert shardOfDrive")
			}
		}
	}
	for j, c := range data {
		// Expected 400 of 600 (4 data shards of 6); parity on every drive.
		if c < 300 || c > 500 {
			t.Fatalf("drive %d holds data shards of %d of 600 objects: %v", j, c, data)
		}
	}
}

func TestSeveralSets(t *testing.T) {
	cfg := testConfig(t, 17) // sets of 9 (6+3) and 8 (6+2)
	s := openStore(t, cfg)
	if len(s.sets) != 2 || s.sets[0].lay.parity != 3 || s.sets[1].lay.parity != 2 {
		t.Fatalf("sets: %d, layouts %+v %+v", len(s.sets), s.sets[0].lay, s.sets[1].lay)
	}
	var keys []string
	perSet := [2]int{}
	for i := 0; i < 60; i++ {
		k := fmt.Sprintf("k%03d", i)
		keys = append(keys, k)
		perSet[s.setFor(objectHash("b", k)).idx]++
		data := []byte(strings.Repeat(k, 1+i*1000))
		mustPut(t, s, "b", k, data)
		checkGet(t, s, "b", k, data)
	}
	if perSet[0] == 0 || perSet[1] == 0 {
		t.Fatalf("objects per set %v", perSet)
	}
	var got []string
	marker := ""
	for {
		res, err := s.ListObjects(context.Background(), "b", "", marker, "", 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			got = append(got, o.Key)
		}
		if !res.IsTruncated {
			break
		}
		marker = res.NextMarker
	}
	if fmt.Sprint(got) != fmt.Sprint(keys) {
		t.Fatalf("list across sets:\n got %v\nwant %v", got, keys)
	}
}
