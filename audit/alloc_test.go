//go:build !race

package audit

import (
	"context"
	"testing"
)

// The request path costs nothing while the webhook is disabled, and Emit
// itself never allocates.
func TestAllocs(t *testing.T) {
	s, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	ri, _ := requestInfo(t)
	if n := testing.AllocsPerRun(100, func() { s.Observe(ri) }); n != 0 {
		t.Errorf("Observe while disabled: %v allocs, want 0", n)
	}
	s.SetTarget("http://127.0.0.1:1/", "")
	e := ev(1)
	if n := testing.AllocsPerRun(100, func() { s.Emit(e) }); n != 0 {
		t.Errorf("Emit: %v allocs, want 0", n)
	}
}
