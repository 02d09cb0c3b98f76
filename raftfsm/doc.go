// Package raftfsm owns Tessera's replicated state: the commands proposed
// through hashicorp/raft, the deterministic state machine that applies them,
// snapshots of that state, and the read API over it.
//
// The state (buckets today; users, policies, STS sessions and service
// accounts as they arrive) lives in memory behind a read-write lock. Reads are
// local map lookups with no network; writes are proposed to the Raft leader
// and return after they are committed and applied on this node.
//
// See DESIGN.md for the invariants.
package raftfsm
