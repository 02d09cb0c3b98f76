package erasure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
)

// mergedIter merges the ordered key streams of every online drive of every
// set over one key range. At each step it exposes the smallest key and the
// drives (iterators) positioned on it.
type mergedIter struct {
	remote bool // some iterators are remote: seek them in parallel
	its    []metaIter
	set    []*erasureSet
	drive  []int // index of the iterator's drive in its set
	valid  []bool
	cur    []byte
	at     []int // iterators positioned on cur
}

// newMerged opens iterators over [lower, upper) on the online drives of
// sets. A set with fewer than its read quorum of drives fails the call
// with ErrReadQuorum.
func (s *Store) newMerged(sets []*erasureSet, lower, upper []byte) (*mergedIter, error) {
	m := &mergedIter{}
	for _, set := range sets {
		m.remote = m.remote || set.remote
		n := 0
		for j, d := range set.drives {
			it, err := d.metaIter(lower, upper)
			if err != nil {
				continue
			}
			m.its = append(m.its, it)
			m.set = append(m.set, set)
			m.drive = append(m.drive, j)
			m.valid = append(m.valid, false)
			n++
		}
		if n < set.rq {
			m.close()
			return nil, fmt.Errorf("%w: set %d has %d of %d drives online", ErrReadQuorum, set.idx, n, set.n())
		}
	}
	return m, nil
}

func (m *mergedIter) close() {
	for _, it := range m.its {
		_ = it.Close()
	}
	m.its = nil
}

// seek positions every iterator at the first key >= key and finds the
// smallest.
func (m *mergedIter) seek(key []byte) bool {
	if m.remote {
		parallel(len(m.its), func(i int) { m.valid[i] = m.its[i].SeekGE(key) })
		return m.settle()
	}
	for i, it := range m.its {
		m.valid[i] = it.SeekGE(key)
	}
	return m.settle()
}

// failed returns an error when some set lost its read quorum because
// iterators failed during the scan (the listing may then miss keys).
func (m *mergedIter) failed() error {
	type count struct{ ok, failed int }
	per := map[*erasureSet]*count{}
	var errs []error
	for i, it := range m.its {
		c := per[m.set[i]]
		if c == nil {
			c = &count{}
			per[m.set[i]] = c
		}
		if err := it.Error(); err != nil {
			c.failed++
			errs = append(errs, err)
		} else {
			c.ok++
		}
	}
	for set, c := range per {
		if c.failed > 0 && c.ok < set.rq {
			return fmt.Errorf("%w: set %d: %d drives failed during the listing (%v)", ErrReadQuorum, set.idx, c.failed, errors.Join(errs...))
		}
	}
	return nil
}

// next moves past the current key.
func (m *mergedIter) next() bool {
	for _, i := range m.at {
		m.valid[i] = m.its[i].Next()
	}
	return m.settle()
}

func (m *mergedIter) settle() bool {
	m.at = m.at[:0]
	var min []byte
	for i, it := range m.its {
		if !m.valid[i] {
			continue
		}
		k := it.Key()
		switch c := bytes.Compare(k, min); {
		case min == nil || c < 0:
			min = k
			m.at = append(m.at[:0], i)
		case c == 0:
			m.at = append(m.at, i)
		}
	}
	m.cur = append(m.cur[:0], min...)
	return min != nil
}

// values fills sv with the values at the current key from the drives of
// set (drives without the key count as missing, offline ones as offline).
// The values alias the iterators: use them before moving.
func (m *mergedIter) values(set *erasureSet, sv *setValues) {
	for j := 0; j < set.n(); j++ {
		sv.vals[j] = nil
		sv.missing[j] = false
		sv.offline[j] = true
	}
	for i, it := range m.its {
		if m.set[i] == set {
			sv.offline[m.drive[i]] = false
			sv.missing[m.drive[i]] = true
		}
		_ = it
	}
	for _, i := range m.at {
		if m.set[i] != set {
			continue
		}
		j := m.drive[i]
		sv.vals[j] = m.its[i].Value()
		sv.missing[j] = false
	}
}

// ListObjects lists keys after marker in lexical order: objects that at
// least the read quorum of drives hold (newest version), and with a
// delimiter the common prefixes. maxKeys counts objects and prefixes;
// maxKeys <= 0 returns an empty page.
func (s *Store) ListObjects(ctx context.Context, bucket, prefix, marker, delimiter string, maxKeys int) (ListObjectsResult, error) {
	var res ListObjectsResult
	if s.closed.Load() {
		return res, ErrClosed
	}
	if bucket == "" {
		return res, ErrInvalidKey
	}
	if maxKeys <= 0 {
		return res, nil
	}
	pfx := objectPrefix(nil, bucket)
	lower := append(append([]byte(nil), pfx...), prefix...)
	upper := prefixEnd(lower)
	m, err := s.newMerged(s.sets, lower, upper)
	if err != nil {
		return res, err
	}
	defer m.close()
	start := lower
	if marker != "" {
		after := append(append(append([]byte(nil), pfx...), marker...), 0)
		if bytes.Compare(after, start) > 0 {
			start = after
		}
	}
	var sv setValues
	var p pick
	count := 0
	ok := m.seek(start)
	for ok {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		okey := m.cur[len(pfx):]
		if delimiter != "" {
			if i := bytes.Index(okey[len(prefix):], []byte(delimiter)); i >= 0 {
				cp := string(okey[:len(prefix)+i+len(delimiter)])
				if strings.HasPrefix(marker, cp) {
					ok = m.skipPrefix(pfx, cp, false)
					continue
				}
				if !s.listedAt(m, bucket, okey, &sv, &p) {
					ok = m.next()
					continue
				}
				if count == maxKeys {
					res.IsTruncated = true
					break
				}
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
				res.NextMarker = cp
				count++
				ok = m.skipPrefix(pfx, cp, false)
				continue
			}
		}
		if !s.listedAt(m, bucket, okey, &sv, &p) {
			ok = m.next()
			continue
		}
		if count == maxKeys {
			res.IsTruncated = true
			break
		}
		var r objectRecord
		if err := decodeObjectRecord(p.hdr[p.meta].raw, &r); err != nil {
			ok = m.next()
			continue
		}
		key := string(okey)
		oi := r.info(bucket, key)
		oi.Parts = nil
		res.Objects = append(res.Objects, oi)
		res.NextMarker = key
		count++
		ok = m.next()
	}
	if err := m.failed(); err != nil {
		return ListObjectsResult{}, err
	}
	if !res.IsTruncated {
		res.NextMarker = ""
	}
	return res, nil
}

// skipPrefix seeks past every key starting with cp (within the namespace
// prefix pfx). escaped: the keys after pfx are escaped (upload records),
// not raw (objects).
func (m *mergedIter) skipPrefix(pfx []byte, cp string, escaped bool) bool {
	end, ok := stringPrefixEnd(cp)
	if !ok {
		for i := range m.valid {
			m.valid[i] = false
		}
		return m.settle()
	}
	k := append([]byte(nil), pfx...)
	if escaped {
		return m.seek(appendEscaped(k, end))
	}
	return m.seek(append(k, end...))
}

// listedAt reports whether the object at the merged iterator's current key
// has a version with read quorum; p is filled.
func (s *Store) listedAt(m *mergedIter, bucket string, okey []byte, sv *setValues, p *pick) bool {
	set := s.setFor(objectHash(bucket, string(okey)))
	m.values(set, sv)
	pickVersion(set, sv, p)
	return p.found
}

// BucketEmpty reports whether bucket holds no objects.
func (s *Store) BucketEmpty(ctx context.Context, bucket string) (bool, error) {
	res, err := s.ListObjects(ctx, bucket, "", "", "", 1)
	if err != nil {
		return false, err
	}
	return len(res.Objects) == 0, nil
}

// DeleteBucketData removes everything left of a deleted bucket: object
// records, uploads and their parts, and all their data dirs, on every
// online drive. It fails with ErrWriteQuorum when a set could not be
// cleared on its write quorum of drives (run it again later).
func (s *Store) DeleteBucketData(ctx context.Context, bucket string) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if bucket == "" {
		return ErrInvalidKey
	}
	opfx := objectPrefix(nil, bucket)
	upfx := uploadBucketPrefix(nil, bucket)
	var errs []error
	for _, set := range s.sets {
		ok := 0
		var derrs []error
		for _, d := range set.drives {
			if err := s.clearBucketOnDrive(d, opfx, upfx); err != nil {
				derrs = append(derrs, fmt.Errorf("%s: %w", d.name(), err))
				continue
			}
			ok++
		}
		if ok < set.wq {
			errs = append(errs, fmt.Errorf("%w: set %d cleared on %d of %d drives (%v)", ErrWriteQuorum, set.idx, ok, set.n(), errors.Join(derrs...)))
		}
	}
	return errors.Join(errs...)
}

func (s *Store) clearBucketOnDrive(d shardStore, opfx, upfx []byte) error {
	var dirs []id16
	it, err := d.metaIter(opfx, prefixEnd(opfx))
	if err != nil {
		return err
	}
	var recs [maxValueRecords][]byte
	for ok := it.SeekGE(opfx); ok; ok = it.Next() {
		rs, _ := splitValue(it.Value(), recs[:0])
		for _, r := range rs {
			var h recHeader
			if parseRecHeader(r, &h) && h.flags&flagInline == 0 {
				dirs = append(dirs, h.dataDir)
			}
		}
	}
	_ = it.Close()
	ops := []metaOp{{key: opfx, end: prefixEnd(opfx), del: true}, {key: upfx, end: prefixEnd(upfx), del: true}}
	it, err = d.metaIter(upfx, prefixEnd(upfx))
	if err != nil {
		return err
	}
	for ok := it.SeekGE(upfx); ok; ok = it.Next() {
		_, id, good := splitUploadKey(it.Key()[len(upfx):])
		if !good {
			continue
		}
		var u uploadRecord
		if decodeUploadRecord(it.Value(), &u) == nil {
			dirs = append(dirs, u.dataDir)
		}
		pp := partPrefix(nil, id)
		ops = append(ops, metaOp{key: pp, end: prefixEnd(pp), del: true})
	}
	_ = it.Close()
	if err := d.metaApply(ops, s.cfg.Sync); err != nil {
		return err
	}
	for _, dir := range dirs {
		s.removeDataDir(d, dir)
	}
	return nil
}
