package raftfsm

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"sort"
	"sync"

	"github.com/hashicorp/raft"
)

// state is the replicated state. It is only mutated by FSM.Apply and
// FSM.Restore, under FSM.mu.
type state struct {
	Buckets  map[string]*Bucket `json:"buckets"`
	Users    map[string]*User   `json:"users"`
	Policies map[string]*Policy `json:"policies"`
	// Sessions and ServiceAccounts are keyed by access key.
	Sessions        map[string]*Session        `json:"sessions"`
	ServiceAccounts map[string]*ServiceAccount `json:"service_accounts"`
	// Settings are cluster-wide settings (audit webhook, ...). Values that
	// hold secrets are sealed by the proposer.
	Settings map[string]string `json:"settings,omitempty"`
}

func newState() *state {
	return &state{
		Buckets:  make(map[string]*Bucket),
		Users:    make(map[string]*User),
		Policies: make(map[string]*Policy),

		Sessions:        make(map[string]*Session),
		ServiceAccounts: make(map[string]*ServiceAccount),
		Settings:        make(map[string]string),
	}
}

// fill replaces nil maps (from older snapshots) with empty ones.
func (s *state) fill() {
	if s.Buckets == nil {
		s.Buckets = make(map[string]*Bucket)
	}
	if s.Users == nil {
		s.Users = make(map[string]*User)
	}
	if s.Policies == nil {
		s.Policies = make(map[string]*Policy)
	}
	if s.Sessions == nil {
		s.Sessions = make(map[string]*Session)
	}
	if s.ServiceAccounts == nil {
		s.ServiceAccounts = make(map[string]*ServiceAccount)
	}
	if s.Settings == nil {
		s.Settings = make(map[string]string)
	}
}

// applyFunc applies one decoded command payload to the state and returns the
// response handed back to the proposer (nil or a domain error).
type applyFunc func(s *state, payload []byte) any

// FSM is the deterministic state machine. Apply is called by Raft on one
// goroutine; the read methods may be called concurrently from any goroutine.
// Apply uses no clock, no randomness and no I/O: all inputs travel inside
// the command.
type FSM struct {
	mu       sync.RWMutex
	st       *state
	dispatch map[CommandType]applyFunc
	applied  notifier // woken after every applied command (Store.WaitApplied)
}

// NewFSM returns an FSM with empty state.
func NewFSM() *FSM {
	f := &FSM{st: newState()}
	f.dispatch = map[CommandType]applyFunc{
		CmdCreateBucket:    applyCreateBucket,
		CmdDeleteBucket:    applyDeleteBucket,
		CmdSetBucketTags:   applySetBucketTags,
		CmdSetBucketPolicy: applySetBucketPolicy,
		CmdCreateUser:      applyCreateUser,
		CmdUpdateUser:      applyUpdateUser,
		CmdDeleteUser:      applyDeleteUser,
		CmdPutPolicy:       applyPutPolicy,
		CmdDeletePolicy:    applyDeletePolicy,
		CmdAttachPolicy:    applyAttachPolicy,
		CmdCreateSession:   applyCreateSession,
		CmdRevokeSessions:  applyRevokeSessions,
		CmdPurgeSessions:   applyPurgeSessions,

		CmdCreateServiceAccount: applyCreateServiceAccount,
		CmdDeleteServiceAccount: applyDeleteServiceAccount,
		CmdSetBucketLifecycle:   applySetBucketLifecycle,
		CmdSetSetting:           applySetSetting,
	}
	return f
}

// ApplyCommand applies a framed command directly, outside Raft. Tests use it
// to replay commands; Apply is the Raft entry point.
func (f *FSM) ApplyCommand(b []byte) any {
	t, payload, err := decodeCommand(b)
	if err != nil {
		panic(err) // a replica that cannot decode the log must stop, not diverge
	}
	fn, ok := f.dispatch[t]
	if !ok {
		if t&SkippableBit != 0 {
			return nil
		}
		panic(fmt.Sprintf("raftfsm: unknown command type %d", uint8(t)))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return fn(f.st, payload)
}

// Apply implements raft.FSM.
func (f *FSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	r := f.ApplyCommand(l.Data)
	f.applied.notify()
	return r
}

// notifier wakes everyone waiting for the next applied command.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed at the next notify.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

func (n *notifier) notify() {
	n.mu.Lock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
	n.mu.Unlock()
}

func mustUnmarshal(t CommandType, payload []byte, v any) {
	if err := json.Unmarshal(payload, v); err != nil {
		panic(fmt.Sprintf("raftfsm: undecodable %s payload: %v", t, err))
	}
}

func applyCreateBucket(s *state, payload []byte) any {
	var c createBucketCmd
	mustUnmarshal(CmdCreateBucket, payload, &c)
	if _, ok := s.Buckets[c.Bucket.Name]; ok {
		return ErrBucketExists
	}
	if c.MaxBuckets > 0 && len(s.Buckets) >= c.MaxBuckets {
		return ErrTooManyBuckets
	}
	b := c.Bucket
	b.Tags = maps.Clone(b.Tags)
	s.Buckets[b.Name] = &b
	return nil
}

func applyDeleteBucket(s *state, payload []byte) any {
	var c deleteBucketCmd
	mustUnmarshal(CmdDeleteBucket, payload, &c)
	if _, ok := s.Buckets[c.Name]; !ok {
		return ErrBucketNotFound
	}
	delete(s.Buckets, c.Name)
	return nil
}

func applySetBucketTags(s *state, payload []byte) any {
	var c setBucketTagsCmd
	mustUnmarshal(CmdSetBucketTags, payload, &c)
	b, ok := s.Buckets[c.Name]
	if !ok {
		return ErrBucketNotFound
	}
	nb := *b // copy-on-write: readers may hold the old value
	nb.Tags = maps.Clone(c.Tags)
	if len(nb.Tags) == 0 {
		nb.Tags = nil
	}
	s.Buckets[c.Name] = &nb
	return nil
}

func applySetBucketPolicy(s *state, payload []byte) any {
	var c setBucketPolicyCmd
	mustUnmarshal(CmdSetBucketPolicy, payload, &c)
	b, ok := s.Buckets[c.Name]
	if !ok {
		return ErrBucketNotFound
	}
	nb := *b
	nb.Policy = c.Policy
	s.Buckets[c.Name] = &nb
	return nil
}

func applySetBucketLifecycle(s *state, payload []byte) any {
	var c setBucketLifecycleCmd
	mustUnmarshal(CmdSetBucketLifecycle, payload, &c)
	b, ok := s.Buckets[c.Name]
	if !ok {
		return ErrBucketNotFound
	}
	nb := *b
	nb.Lifecycle = c.Lifecycle
	s.Buckets[c.Name] = &nb
	return nil
}

func applySetSetting(s *state, payload []byte) any {
	var c setSettingCmd
	mustUnmarshal(CmdSetSetting, payload, &c)
	if c.Value == "" {
		delete(s.Settings, c.Key)
	} else {
		s.Settings[c.Key] = c.Value
	}
	return nil
}

// Setting returns a cluster setting ("" when unset).
func (f *FSM) Setting(key string) string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.st.Settings[key]
}

// Bucket returns a copy of the named bucket.
func (f *FSM) Bucket(name string) (Bucket, bool) {
	f.mu.RLock()
	b, ok := f.st.Buckets[name]
	f.mu.RUnlock()
	if !ok {
		return Bucket{}, false
	}
	c := *b
	c.Tags = maps.Clone(b.Tags)
	return c, true
}

// Buckets returns copies of all buckets sorted by name.
func (f *FSM) Buckets() []Bucket {
	f.mu.RLock()
	out := make([]Bucket, 0, len(f.st.Buckets))
	for _, b := range f.st.Buckets {
		c := *b
		c.Tags = maps.Clone(b.Tags)
		out = append(out, c)
	}
	f.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// snapshotVersion is the format version written at the start of every
// snapshot stream.
// Version 1: header line and the whole state as JSON. Version 2: sessions
// moved to a binary section after the JSON body.
const snapshotVersion = 2

// snapshotHeader starts every snapshot stream.
type snapshotHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
}

const snapshotFormat = "tessera-raftfsm"

// Snapshot implements raft.FSM. It captures an immutable view under the read
// lock (bucket values are copy-on-write, so a shallow copy of the maps is a
// consistent view); Persist does the encoding and I/O.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	view := &state{
		Buckets:  maps.Clone(f.st.Buckets),
		Users:    maps.Clone(f.st.Users),
		Policies: maps.Clone(f.st.Policies),

		Sessions:        maps.Clone(f.st.Sessions),
		ServiceAccounts: maps.Clone(f.st.ServiceAccounts),
		Settings:        maps.Clone(f.st.Settings),
	}
	f.mu.RUnlock()
	return &fsmSnapshot{st: view}, nil
}

// Restore implements raft.FSM: it builds fresh state from the stream and
// swaps it in only when the whole stream decoded.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	st, err := readSnapshot(rc)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.st = st
	f.mu.Unlock()
	return nil
}

func readSnapshot(r io.Reader) (*state, error) {
	dec := json.NewDecoder(r)
	var h snapshotHeader
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("raftfsm: snapshot header: %w", err)
	}
	if h.Format != snapshotFormat {
		return nil, fmt.Errorf("raftfsm: snapshot format %q, want %q", h.Format, snapshotFormat)
	}
	if h.Version < 1 || h.Version > snapshotVersion {
		return nil, fmt.Errorf("raftfsm: snapshot version %d not supported (max %d)", h.Version, snapshotVersion)
	}
	st := newState()
	if err := dec.Decode(st); err != nil {
		return nil, fmt.Errorf("raftfsm: snapshot body: %w", err)
	}
	st.fill()
	if h.Version >= 2 {
		// Sessions follow the JSON body in the compact binary section.
		br := bufio.NewReader(io.MultiReader(dec.Buffered(), r))
		sessions, err := readSessions(br)
		if err != nil {
			return nil, fmt.Errorf("raftfsm: snapshot sessions: %w", err)
		}
		st.Sessions = sessions
	}
	return st, nil
}

type fsmSnapshot struct {
	st *state
}

// writeTo writes format version 2: the header line, the state as JSON
// without sessions, then the sessions in a compact binary section (JSON of
// a million sessions took several seconds each way; see sessions.go).
func (s *fsmSnapshot) writeTo(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(snapshotHeader{Format: snapshotFormat, Version: snapshotVersion}); err != nil {
		return err
	}
	body := *s.st
	body.Sessions = nil
	if err := enc.Encode(&body); err != nil {
		return err
	}
	if err := writeSessions(bw, s.st.Sessions); err != nil {
		return err
	}
	return bw.Flush()
}

// Persist implements raft.FSMSnapshot.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.writeTo(sink); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("raftfsm: persist snapshot: %w", err)
	}
	return sink.Close()
}

// Release implements raft.FSMSnapshot.
func (s *fsmSnapshot) Release() {}
