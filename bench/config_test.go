package bench

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	c := DefaultConfig()
	c.AccessKey, c.SecretKey = "ak", "sk"
	return c
}

func TestConfigValidate(t *testing.T) {
	ok := validConfig()
	if err := ok.Validate(); err != nil {
		t.Fatalf("default config with keys: %v", err)
	}
	tests := []struct {
		field string // must appear in the message
		mod   func(*Config)
	}{
		{"Endpoint", func(c *Config) { c.Endpoint = "ftp://x" }},
		{"Endpoint", func(c *Config) { c.Endpoint = "http://host/path" }},
		{"Endpoint", func(c *Config) { c.Endpoint = "127.0.0.1:9000" }},
		{"AccessKey", func(c *Config) { c.AccessKey = "" }},
		{"SecretKey", func(c *Config) { c.SecretKey = "" }},
		{"Region", func(c *Config) { c.Region = "" }},
		{"Workload", func(c *Config) { c.Workload = "copy" }},
		{"Bucket", func(c *Config) { c.Bucket = "ab" }},
		{"Bucket", func(c *Config) { c.Bucket = "a/b/c" }},
		{"Prefix", func(c *Config) { c.Prefix = strings.Repeat("p", 513) }},
		{"Sizes", func(c *Config) { c.Sizes = nil }},
		{"Sizes", func(c *Config) { c.Sizes = SizeDist{{Size: 1, Weight: 0}} }},
		{"Sizes", func(c *Config) { c.Sizes = SizeDist{{Size: MaxObjectSize + 1, Weight: 1}} }},
		{"Concurrency", func(c *Config) { c.Concurrency = 0 }},
		{"Concurrency", func(c *Config) { c.Concurrency = 10001 }},
		{"Duration", func(c *Config) { c.Duration = time.Millisecond }},
		{"Duration or Ops", func(c *Config) { c.Duration = 0 }},
		{"Ops", func(c *Config) { c.Ops = -1 }},
		{"Keys", func(c *Config) { c.Keys = 0 }},
		{"Mix", func(c *Config) { c.Workload = WorkloadMixed; c.Mix = nil }},
		{"Mix", func(c *Config) { c.Workload = WorkloadMixed; c.Mix = Mix{{Op: OpUploadPart, Weight: 1}} }},
		{"Keys must be at least Concurrency", func(c *Config) { c.Workload = WorkloadMixed; c.Keys = 3 }},
		{"PartSize", func(c *Config) { c.PartSize = 0 }},
		{"Parts", func(c *Config) { c.Parts = 10001 }},
		{"ListMaxKeys", func(c *Config) { c.ListMaxKeys = 1001 }},
		{"Users", func(c *Config) { c.Users = -1 }},
		{"Users and Credentials", func(c *Config) { c.Users = 2; c.Credentials = []Credentials{{"a", "b", ""}} }},
		{"UserPolicy", func(c *Config) { c.Users = 2; c.UserPolicy = "" }},
		{"Credentials[1]", func(c *Config) { c.Credentials = []Credentials{{"a", "b", ""}, {"a", "", ""}} }},
		{"STSDuration", func(c *Config) { c.STSDuration = time.Minute }},
		{"STSDuration", func(c *Config) { c.STSDuration = 20*time.Minute + time.Millisecond }},
		{"RequestTimeout", func(c *Config) { c.RequestTimeout = 0 }},
		{"Interval", func(c *Config) { c.Interval = time.Millisecond }},
	}
	for _, tc := range tests {
		c := validConfig()
		tc.mod(&c)
		err := c.Validate()
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: err %v, want ErrInvalidConfig", tc.field, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.field) {
			t.Errorf("message %q does not name %s", err, tc.field)
		}
	}
	// Ops alone is a valid stop condition.
	c := validConfig()
	c.Duration, c.Ops = 0, 10
	if err := c.Validate(); err != nil {
		t.Errorf("Ops without Duration: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0}, {"512", 512}, {"4KiB", 4096}, {"4kib", 4096}, {"4K", 4096}, {"1MiB", 1 << 20}, {"1m", 1 << 20},
		{"2GiB", 2 << 30}, {"1TiB", 1 << 40}, {"4KB", 4000}, {"1MB", 1_000_000}, {"3GB", 3_000_000_000}, {"10B", 10}, {" 8 KiB ", 8192},
	} {
		got, err := ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "KiB", "-1", "1.5MiB", "4XB", "4ib", "9999999999TiB", "0x10"} {
		if _, err := ParseSize(bad); !errors.Is(err, ErrInvalidSize) {
			t.Errorf("ParseSize(%q): err %v, want ErrInvalidSize", bad, err)
		}
	}
	for _, n := range []int64{0, 1, 1000, 4096, 1 << 20, 5 << 20, 3 << 30, 1<<40 + 1} {
		back, err := ParseSize(FormatSize(n))
		if err != nil || back != n {
			t.Errorf("FormatSize(%d) = %q reads back as %d, %v", n, FormatSize(n), back, err)
		}
	}
}

func TestParseSizeDist(t *testing.T) {
	d, err := ParseSizeDist("4KiB:50, 1MiB:50")
	if err != nil || len(d) != 2 || d[0] != (SizeWeight{4096, 50}) || d[1] != (SizeWeight{1 << 20, 50}) {
		t.Fatalf("got %v, %v", d, err)
	}
	if d.Max() != 1<<20 || d.Mean() != float64(4096+1<<20)/2 {
		t.Fatalf("max %d mean %v", d.Max(), d.Mean())
	}
	if s := d.String(); s != "4KiB:50,1MiB:50" {
		t.Fatalf("String() = %q", s)
	}
	one, err := ParseSizeDist("64KiB")
	if err != nil || len(one) != 1 || one[0] != (SizeWeight{64 << 10, 1}) || one.String() != "64KiB" {
		t.Fatalf("single size: %v %v", one, err)
	}
	for _, bad := range []string{"", "4KiB,", "4KiB:0", "4KiB:-1", "4KiB:x", "4KiB:NaN", "4KiB:+Inf", "x:1", "6TiB"} {
		if _, err := ParseSizeDist(bad); !errors.Is(err, ErrInvalidSize) {
			t.Errorf("ParseSizeDist(%q): err %v, want ErrInvalidSize", bad, err)
		}
	}
	// Picking follows the weights.
	p := newSizePicker(SizeDist{{1, 1}, {2, 3}})
	r := newTestRand()
	counts := map[int64]int{}
	for range 40000 {
		counts[p.pick(r)]++
	}
	if f := float64(counts[2]) / 40000; f < 0.73 || f > 0.77 {
		t.Fatalf("size 2 drawn %.3f of the time, want 0.75", f)
	}
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix("get=70, put=20,delete=10,head=0")
	if err != nil || len(m) != 3 || m.String() != "get=70,put=20,delete=10" {
		t.Fatalf("got %v (%s), %v", m, m, err)
	}
	for _, bad := range []string{"", "get", "get=x", "get=-1", "copy=1", "get=1,get=2", "get=0"} {
		if _, err := ParseMix(bad); !errors.Is(err, ErrInvalidMix) {
			t.Errorf("ParseMix(%q): err %v, want ErrInvalidMix", bad, err)
		}
	}
	p := newOpPicker(Mix{{OpGet, 9}, {OpList, 1}})
	r := newTestRand()
	n := 0
	for range 20000 {
		if p.pick(r) == OpList {
			n++
		}
	}
	if n < 1700 || n > 2300 {
		t.Fatalf("list drawn %d of 20000 times, want about 2000", n)
	}
}

func TestLoadCredentials(t *testing.T) {
	in := "# users\nalice Alice-Secret-1\n\nbob,Bob-Secret-2,token-3\n  carol\tCarol-4  \n"
	cs, err := LoadCredentials(strings.NewReader(in))
	want := []Credentials{{"alice", "Alice-Secret-1", ""}, {"bob", "Bob-Secret-2", "token-3"}, {"carol", "Carol-4", ""}}
	if err != nil || len(cs) != 3 || cs[0] != want[0] || cs[1] != want[1] || cs[2] != want[2] {
		t.Fatalf("got %v, %v", cs, err)
	}
	for _, bad := range []string{"", "# only comments\n", "alice\n", "a b c d\n"} {
		if _, err := LoadCredentials(strings.NewReader(bad)); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("%q: err %v, want ErrInvalidCredentials", bad, err)
		}
	}
}

func FuzzParseSizeDist(f *testing.F) {
	for _, s := range []string{"4KiB", "4KiB:50,1MiB:50", "1:1,2:2,3:3", "0", "5TiB", "1e3", "4KiB:0.5", ",", "1MB:1e-300"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseSizeDist(s)
		if err != nil {
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("%q parsed to an invalid %v: %v", s, d, err)
		}
		back, err := ParseSizeDist(d.String())
		if err != nil {
			t.Fatalf("%q -> %q does not parse: %v", s, d.String(), err)
		}
		if len(back) != len(d) {
			t.Fatalf("%q -> %q -> %v", s, d.String(), back)
		}
		for i := range d {
			if back[i].Size != d[i].Size || (len(d) > 1 && back[i].Weight != d[i].Weight) {
				t.Fatalf("%q -> %q -> %v, want %v", s, d.String(), back, d)
			}
		}
	})
}
