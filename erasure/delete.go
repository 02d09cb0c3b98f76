package erasure

import (
	"context"
	"fmt"
)

// DeleteObject removes bucket/key on every drive (write quorum) and then
// its data; deleting a missing key is not an error.
func (s *Store) DeleteObject(ctx context.Context, bucket, key string) error {
	if err := s.check(bucket, key); err != nil {
		return err
	}
	h := objectHash(bucket, key)
	set := s.setFor(h)
	mk := objectKey(nil, bucket, key)
	lk := s.keyLock(h)
	lk.Lock()
	var sv setValues
	var buf []byte
	s.readValues(set, mk, &buf, &sv)
	any := false
	txs := make([]*driveTx, set.n())
	for i := 0; i < set.n(); i++ {
		if sv.offline[i] {
			continue
		}
		tx := &driveTx{ops: []metaOp{{key: mk, del: true}}}
		if sv.vals[i] != nil {
			any = true
			// Restore only while the key is still absent (a writer on
			// another node may have committed meanwhile).
			tx.undo = []metaOp{{key: mk, value: sv.vals[i], cas: true}}
		}
		txs[i] = tx
	}
	if !any {
		lk.Unlock()
		return nil
	}
	ok, err := s.applyQuorum(set, txs)
	lk.Unlock()
	if err != nil {
		return err
	}
	s.removeValueData(set, &sv, &ok, id16{})
	return nil
}

// removeValueData removes the data dirs that drive i's old value
// referenced, on the drives where ok[i], except keep.
func (s *Store) removeValueData(set *erasureSet, sv *setValues, ok *[MaxSetDrives]bool, keep id16) {
	var recs [maxValueRecords][]byte
	for i := 0; i < set.n(); i++ {
		if !ok[i] || sv.vals[i] == nil {
			continue
		}
		rs, _ := splitValue(sv.vals[i], recs[:0])
		for _, r := range rs {
			var h recHeader
			if parseRecHeader(r, &h) && h.flags&flagInline == 0 && h.dataDir != keep {
				s.removeDataDir(set.drives[i], h.dataDir)
			}
		}
	}
}

// UpdateObjectMeta changes the metadata of the current version in place: fn
// may change ContentType, UserMeta, Headers, Tags, StorageClass, Owner,
// UID, GID, Checksum and ModTime (other fields are ignored). The change is
// written to every drive holding the version (write quorum).
func (s *Store) UpdateObjectMeta(ctx context.Context, bucket, key string, fn func(*ObjectInfo) error) (ObjectInfo, error) {
	if err := s.check(bucket, key); err != nil {
		return ObjectInfo{}, err
	}
	h := objectHash(bucket, key)
	set := s.setFor(h)
	mk := objectKey(nil, bucket, key)
	lk := s.keyLock(h)
	lk.Lock()
	defer lk.Unlock()
	var sv setValues
	var buf []byte
	s.readValues(set, mk, &buf, &sv)
	var p pick
	pickVersion(set, &sv, &p)
	if !p.found {
		return ObjectInfo{}, p.notFoundErr(set)
	}
	var base objectRecord
	if err := decodeObjectRecord(p.hdr[p.meta].raw, &base); err != nil {
		return ObjectInfo{}, fmt.Errorf("%w: %s/%s: %v", ErrCorrupt, bucket, key, err)
	}
	oi := base.info(bucket, key)
	if err := fn(&oi); err != nil {
		return ObjectInfo{}, fmt.Errorf("erasure: update metadata: %w", err)
	}
	gen := base.metaGen + 1
	txs := make([]*driveTx, set.n())
	for i := 0; i < set.n(); i++ {
		if p.hdr[i].raw == nil {
			continue
		}
		var r objectRecord
		if err := decodeObjectRecord(p.hdr[i].raw, &r); err != nil {
			continue
		}
		r.metaGen = gen
		r.contentType = oi.ContentType
		r.userMeta = oi.UserMeta
		r.headers = oi.Headers
		r.tags = oi.Tags
		r.storageClass = oi.StorageClass
		r.owner = oi.Owner
		r.uid, r.gid = oi.UID, oi.GID
		r.checksum = oi.Checksum
		if !oi.ModTime.IsZero() {
			r.modNanos = oi.ModTime.UnixNano()
		}
		val := encodeValue(nil, encodeObjectRecord(nil, &r))
		txs[i] = &driveTx{
			ops:  []metaOp{{key: mk, value: val, cas: true, old: sv.vals[i]}},
			undo: []metaOp{{key: mk, value: sv.vals[i], cas: true, old: val}},
		}
	}
	ok, err := s.applyQuorum(set, txs)
	if err != nil {
		return ObjectInfo{}, err
	}
	// Values that held other versions were normalized to this one: remove
	// their data.
	s.removeValueData(set, &sv, &ok, base.dataDir)
	var out objectRecord
	_ = decodeObjectRecord(p.hdr[p.meta].raw, &out)
	out.metaGen = gen
	out.contentType, out.userMeta, out.headers, out.tags = oi.ContentType, oi.UserMeta, oi.Headers, oi.Tags
	out.storageClass, out.owner, out.uid, out.gid, out.checksum = oi.StorageClass, oi.Owner, oi.UID, oi.GID, oi.Checksum
	if !oi.ModTime.IsZero() {
		out.modNanos = oi.ModTime.UnixNano()
	}
	return out.info(bucket, key), nil
}
