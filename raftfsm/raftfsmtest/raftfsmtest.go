// Package raftfsmtest builds replicated states for tests and benchmarks
// without running Raft. Production code never imports it.
package raftfsmtest

import (
	"fmt"

	"github.com/tessera-s3/tessera/raftfsm"
)

// Apply encodes payload as a command of type t and applies it to f as Raft
// would; a domain error in the response is returned.
func Apply(f *raftfsm.FSM, t raftfsm.CommandType, payload any) error {
	b, err := raftfsm.EncodeCommand(t, payload)
	if err != nil {
		return err
	}
	if r, ok := f.ApplyCommand(b).(error); ok {
		return fmt.Errorf("%s: %w", t, r)
	}
	return nil
}
