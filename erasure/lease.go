package erasure

import (
	"errors"
	"time"
)

// Cross-node read leases (DESIGN.md, "Several nodes"). An Object keeps its
// version's data dir alive while it is open: on this node through
// leaseTable.refs, on the nodes that own the set's other drives through
// leases its Store renews there every leaseRenew. The owner of a drive
// removes a data dir (whoever asked for it) only when
//
//   - removeGrace has passed since the removal was asked for (an Object
//     opened just before the version was superseded has renewed its lease
//     by then),
//   - no Object of this node leases it, and
//   - no other node's lease on it is younger than leaseTTL.
//
// Pending removals live in memory: after a crash the dirs are orphans and
// CleanupOrphans (run by Open) removes them.
const (
	defaultLeaseRenew  = 5 * time.Second
	defaultLeaseTTL    = 30 * time.Second
	defaultRemoveGrace = 15 * time.Second
	// maxLeaseDirs caps the dirs of one lease request.
	maxLeaseDirs = 4096
)

// pendingRemoval is a data dir removal waiting for its grace and leases.
type pendingRemoval struct {
	d         shardStore
	dir       id16
	notBefore int64 // unix ns
}

// deferRemoval queues the removal of dir on the local drive d.
func (s *Store) deferRemoval(d shardStore, dir id16) {
	t := &s.leases
	t.mu.Lock()
	t.queue = append(t.queue, pendingRemoval{d: d, dir: dir, notBefore: s.clock().Add(s.cfg.removeGrace).UnixNano()})
	t.mu.Unlock()
}

// leaseRemote records leases of other nodes' readers on dirs.
func (t *leaseTable) leaseRemote(dirs []id16, until int64) {
	t.mu.Lock()
	for _, d := range dirs {
		if t.remote[d] < until {
			t.remote[d] = until
		}
	}
	t.mu.Unlock()
}

// runRemovals removes the queued dirs that are due (all of them when
// force), and forgets expired remote leases.
func (s *Store) runRemovals(force bool) {
	t := &s.leases
	now := s.clock().UnixNano()
	t.mu.Lock()
	var due []pendingRemoval
	keep := t.queue[:0]
	for _, p := range t.queue {
		if !force && (p.notBefore > now || t.refs[p.dir] > 0 || t.remote[p.dir] > now) {
			keep = append(keep, p)
			continue
		}
		due = append(due, p)
	}
	clear(t.queue[len(keep):])
	t.queue = keep
	for dir, until := range t.remote {
		if until <= now {
			delete(t.remote, dir)
		}
	}
	t.mu.Unlock()
	if len(due) == 0 {
		return
	}
	// One goroutine per drive: removals were spread over the writers
	// before they were deferred.
	byDrive := map[shardStore][]id16{}
	var drives []shardStore
	for _, p := range due {
		if byDrive[p.d] == nil {
			drives = append(drives, p.d)
		}
		byDrive[p.d] = append(byDrive[p.d], p.dir)
	}
	parallel(len(drives), func(i int) {
		d := drives[i]
		for _, dir := range byDrive[d] {
			if err := d.removeDataDir(dir); err != nil && !errors.Is(err, errDriveOffline) {
				s.log.Warn("erasure: remove data dir", "drive", d.name(), "err", err)
			}
		}
	})
}

// shareDrives switches the Store to deferred removals (its drives are
// read by other nodes) and starts the removal loop once.
func (s *Store) shareDrives() {
	s.removalsStart.Do(func() {
		s.multiNode.Store(true)
		s.lifeMu.Lock()
		defer s.lifeMu.Unlock()
		if s.closed.Load() {
			return
		}
		s.wg.Add(1)
		go s.removalLoop()
	})
}

// removalLoop runs the due removals every second.
func (s *Store) removalLoop() {
	defer s.wg.Done()
	t := time.NewTicker(min(time.Second, s.cfg.removeGrace))
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.runRemovals(false)
		}
	}
}

// removalPending reports whether a removal of dir is queued or leased by
// another node (orphan cleanup leaves such dirs alone).
func (s *Store) removalPending(dir id16) bool {
	t := &s.leases
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.remote[dir] > s.clock().UnixNano() {
		return true
	}
	for _, p := range t.queue {
		if p.dir == dir {
			return true
		}
	}
	return false
}

// leaseRemoteSet takes (delta 1) or drops (-1) this node's lease on dir
// at every peer serving a drive of set.
func leaseRemoteSet(set *erasureSet, dir id16, delta int) {
	var seen [MaxSetDrives]*peer
	n := 0
outer:
	for _, d := range set.drives {
		rd, ok := d.(*remoteDrive)
		if !ok {
			continue
		}
		for _, p := range seen[:n] {
			if p == rd.p {
				continue outer
			}
		}
		seen[n] = rd.p
		n++
		rd.p.lease(dir, delta)
	}
}

func (p *peer) lease(dir id16, delta int) {
	p.mu.Lock()
	if p.leases == nil {
		p.leases = map[id16]int{}
	}
	if c := p.leases[dir] + delta; c > 0 {
		p.leases[dir] = c
	} else {
		delete(p.leases, dir)
	}
	p.mu.Unlock()
}

// renewLeases sends the peer every dir this node's readers lease there.
func (p *peer) renewLeases() {
	if p.down.Load() {
		return
	}
	p.mu.Lock()
	dirs := make([]id16, 0, len(p.leases))
	for d := range p.leases {
		dirs = append(dirs, d)
	}
	p.mu.Unlock()
	for len(dirs) > 0 {
		batch := dirs[:min(len(dirs), maxLeaseDirs)]
		dirs = dirs[len(batch):]
		err := p.do(false, func(w *wbuf) {
			w.start(opLease)
			w.uv(uint64(len(batch)))
			for _, d := range batch {
				w.raw(d[:])
			}
		}, nil)
		if err != nil {
			p.log.Debug("erasure: lease renewal failed", "node", p.node, "err", err)
			return
		}
	}
}

// leaseLoop renews this node's leases on its peers.
func (s *Store) leaseLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.leaseRenew)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			parallel(len(s.peers), func(i int) { s.peers[i].renewLeases() })
		}
	}
}
