//go:build !race

package lifecycle

import (
	"testing"
	"time"
)

// TestExpiryAllocations: Expiry runs once per listed object in every scan
// and must not allocate for ordinary (unescaped) tags.
func TestExpiryAllocations(t *testing.T) {
	rules := benchRules()
	mod := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	for _, o := range []struct{ key, tags string }{
		{"logs/2026/01/15/app.log", ""},
		{"tmp/upload", "temp=yes&owner=alice"},
		{"tax/2026/return.pdf", "k1=v1&k2=v2&k3=v3"},
		{"other/x", "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10"},
	} {
		n := testing.AllocsPerRun(100, func() { Expiry(rules, o.key, o.tags, mod) })
		if n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", o.key, n)
		}
	}
}
