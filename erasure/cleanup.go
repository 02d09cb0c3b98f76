package erasure

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CleanupOrphans removes data dirs that no record on their drive points
// at: left by writes interrupted by a crash, or by removals that failed.
// Only this node's drives are scanned.
// Only dirs older than olderThan are removed (0: all; Open runs it that
// way before serving), and never one being written or read. It returns
// the number removed.
func (s *Store) CleanupOrphans(ctx context.Context, olderThan time.Duration) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	// Dirs written while the scan runs are protected by the in-flight set
	// (watched from before the scan), the others by their age.
	watch := s.inflight.watch()
	defer s.inflight.unwatch()
	cutoff := s.clock().Add(-olderThan)
	removed := 0
	var errs []error
	for _, d := range s.drives {
		// A remote drive is cleaned by its own node, which knows the
		// shard streams other nodes are writing to it.
		if !d.local() || !d.online() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		refs, err := referencedDirs(d)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.name(), err))
			continue
		}
		var orphans []id16
		err = d.walkDataDirs(func(dir id16, mod time.Time) error {
			if refs[dir] || (olderThan > 0 && mod.After(cutoff)) {
				return nil
			}
			orphans = append(orphans, dir)
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.name(), err))
			continue
		}
		for _, dir := range orphans {
			if watch.seen(dir) || s.leased(dir) || s.removalPending(dir) {
				continue
			}
			if err := d.removeDataDir(dir); err != nil {
				errs = append(errs, err)
				continue
			}
			removed++
		}
	}
	if removed > 0 {
		s.log.Info("erasure: removed orphaned data dirs", "count", removed)
	}
	return removed, errors.Join(errs...)
}

func (s *Store) leased(dir id16) bool {
	s.leases.mu.Lock()
	defer s.leases.mu.Unlock()
	return s.leases.refs[dir] > 0
}

// referencedDirs returns every data dir a record on d points at: object
// versions (all records of each value) and multipart uploads.
func referencedDirs(d shardStore) (map[id16]bool, error) {
	refs := map[id16]bool{}
	lower := []byte{nsObject}
	it, err := d.metaIter(lower, prefixEnd(lower))
	if err != nil {
		return nil, err
	}
	var recs [maxValueRecords][]byte
	for ok := it.SeekGE(lower); ok; ok = it.Next() {
		rs, _ := splitValue(it.Value(), recs[:0])
		for _, r := range rs {
			var h recHeader
			if parseRecHeader(r, &h) && h.flags&flagInline == 0 {
				refs[h.dataDir] = true
			}
		}
	}
	_ = it.Close()
	lower = []byte{nsUpload}
	it, err = d.metaIter(lower, prefixEnd(lower))
	if err != nil {
		return nil, err
	}
	for ok := it.SeekGE(lower); ok; ok = it.Next() {
		var u uploadRecord
		if decodeUploadRecord(it.Value(), &u) == nil {
			refs[u.dataDir] = true
		}
	}
	_ = it.Close()
	return refs, nil
}

// inflightWatch records every data dir that was in flight at any time
// while a cleanup ran.
type inflightWatch struct {
	f *inflightSet
}

func (w inflightWatch) seen(id id16) bool {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	return w.f.seenSet[id] || w.f.m[id] > 0
}

func (f *inflightSet) watch() inflightWatch {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.watchers == 0 {
		f.seenSet = map[id16]bool{}
	}
	f.watchers++
	for id := range f.m {
		f.seenSet[id] = true
	}
	return inflightWatch{f: f}
}

func (f *inflightSet) unwatch() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.watchers--; f.watchers == 0 {
		f.seenSet = nil
	}
}
