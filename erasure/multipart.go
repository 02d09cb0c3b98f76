package erasure

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Multipart uploads. The upload record ('u' key) and one record per part
// ('p' key) live in every drive's metadata store of the object's set (write
// quorum, read quorum like objects). Parts are erasure-coded into the
// upload's data dir as part.<N>.<fileID>; a re-uploaded part gets a new
// fileID, and the old file is removed after the new record is committed.
// CompleteMultipartUpload commits the object record (pointing at the part
// files, no copy) and deletes the upload and part records in the same
// per-drive batch.

func newUploadID(now time.Time) uploadID {
	var u uploadID
	binary.BigEndian.PutUint64(u[:8], uint64(now.UnixNano()))
	_, _ = rand.Read(u[8:])
	return u
}

// NewMultipartUpload starts an upload and returns its id (40 hex digits:
// url-safe, and ordered by initiation time).
func (s *Store) NewMultipartUpload(ctx context.Context, bucket, key string, opts PutOptions) (string, error) {
	if err := s.check(bucket, key); err != nil {
		return "", err
	}
	h := objectHash(bucket, key)
	set := s.setFor(h)
	id := newUploadID(s.clock())
	opts.Verify = nil
	u := uploadRecord{dataDir: newID(), data: set.lay.data, parity: set.lay.parity, blockSize: set.lay.blockSize, opts: opts}
	uk := uploadKey(nil, bucket, key, id)
	val := encodeUploadRecord(nil, &u)
	txs := make([]*driveTx, set.n())
	for i := range txs {
		txs[i] = &driveTx{ops: []metaOp{{key: uk, value: val}}, undo: []metaOp{{key: uk, del: true}}}
	}
	if _, err := s.applyQuorum(set, txs); err != nil {
		return "", err
	}
	return id.String(), nil
}

// readUpload returns the upload record that at least the read quorum of
// drives hold identically.
func (s *Store) readUpload(set *erasureSet, uk []byte) (uploadRecord, error) {
	var u uploadRecord
	var sv setValues
	var buf []byte
	s.readValues(set, uk, &buf, &sv)
	best, offline := 0, 0
	for i := 0; i < set.n(); i++ {
		if sv.offline[i] {
			offline++
			continue
		}
		if sv.vals[i] == nil {
			continue
		}
		c := 0
		for j := 0; j < set.n(); j++ {
			if sv.vals[j] != nil && bytes.Equal(sv.vals[i], sv.vals[j]) {
				c++
			}
		}
		best = max(best, c)
		if c >= set.rq {
			if err := decodeUploadRecord(sv.vals[i], &u); err != nil {
				continue
			}
			return u, nil
		}
	}
	if offline > 0 && best+offline >= set.wq {
		return u, fmt.Errorf("%w: %d of %d drives offline", ErrReadQuorum, offline, set.n())
	}
	return u, ErrUploadNotFound
}

func (s *Store) lookupUpload(bucket, key, uploadID string) (set *erasureSet, h uint64, id uploadID, u uploadRecord, err error) {
	if err = s.check(bucket, key); err != nil {
		return
	}
	var ok bool
	if id, ok = parseUploadID(uploadID); !ok {
		err = ErrUploadNotFound
		return
	}
	h = objectHash(bucket, key)
	set = s.setFor(h)
	u, err = s.readUpload(set, uploadKey(nil, bucket, key, id))
	if err == nil && (u.data+u.parity != set.n()) {
		err = fmt.Errorf("%w: upload layout %d+%d on a set of %d drives", ErrCorrupt, u.data, u.parity, set.n())
	}
	return
}

// GetMultipartUpload describes an upload in progress.
func (s *Store) GetMultipartUpload(ctx context.Context, bucket, key, uploadID string) (MultipartInfo, error) {
	_, _, id, u, err := s.lookupUpload(bucket, key, uploadID)
	if err != nil {
		return MultipartInfo{}, err
	}
	return MultipartInfo{Bucket: bucket, Key: key, UploadID: uploadID,
		Initiated: time.Unix(0, id.initiatedNanos()).UTC(), Opts: u.opts}, nil
}

// PutObjectPart stores one part (number 1..MaxPartNumber); uploading a
// number again replaces the part. verify, when set, runs after the body
// was read and before the part is committed; its error is returned
// wrapped.
func (s *Store) PutObjectPart(ctx context.Context, bucket, key, uploadID string, partNumber int, r io.Reader, size int64, verify func(*PartInfo) error) (PartInfo, error) {
	if partNumber < 1 || partNumber > MaxPartNumber {
		return PartInfo{}, fmt.Errorf("%w: %d", ErrInvalidPartNumber, partNumber)
	}
	if size > MaxObjectSize {
		return PartInfo{}, ErrTooLarge
	}
	set, h, id, u, err := s.lookupUpload(bucket, key, uploadID)
	if err != nil {
		return PartInfo{}, err
	}
	var fb [8]byte
	for binary.BigEndian.Uint64(fb[:]) == 0 {
		_, _ = rand.Read(fb[:])
	}
	fileID := binary.BigEndian.Uint64(fb[:])
	lay := layout{data: u.data, parity: u.parity, blockSize: u.blockSize}
	enc, err := s.codecs.encoder(u.data, u.parity)
	if err != nil {
		return PartInfo{}, err
	}
	rot := rotation(h, set.n())
	w := &streamWrite{s: s, set: set, lay: lay, enc: enc, rot: rot, dir: u.dataDir,
		file: partFileName(partNumber, fileID), inlineMax: -1, co: s.chownOpts(u.opts.UID, u.opts.GID)}
	if err := w.run(ctx, r, size); err != nil {
		w.cleanup(false)
		return PartInfo{}, err
	}
	now := s.clock()
	pi := PartInfo{Number: partNumber, Size: w.size, ETag: hex.EncodeToString(w.md5[:]), ModTime: now.UTC()}
	if verify != nil {
		if err := verify(&pi); err != nil {
			w.cleanup(false)
			return PartInfo{}, fmt.Errorf("erasure: verify: %w", err)
		}
	}
	pr := partRecord{commitNanos: now.UnixNano(), modNanos: now.UnixNano(), fileID: fileID, data: u.data,
		parity: u.parity, blockSize: u.blockSize, number: partNumber, size: w.size, etag: pi.ETag, checksum: pi.Checksum}
	pk := partKey(nil, id, partNumber)
	uk := uploadKey(nil, bucket, key, id)

	ul := s.uploadLock(id)
	ul.Lock()
	if _, err := s.readUpload(set, uk); err != nil {
		ul.Unlock()
		w.cleanup(false)
		return PartInfo{}, err
	}
	var sv setValues
	var buf []byte
	s.readValues(set, pk, &buf, &sv)
	txs := make([]*driveTx, set.n())
	for i := 0; i < set.n(); i++ {
		if !w.ok[i] || sv.offline[i] {
			continue
		}
		pr.shardIdx = shardOfDrive(i, rot, set.n())
		tx := &driveTx{ops: []metaOp{{key: pk, value: encodePartRecord(nil, &pr)}}}
		if sv.vals[i] != nil {
			tx.undo = []metaOp{{key: pk, value: sv.vals[i]}}
		} else {
			tx.undo = []metaOp{{key: pk, del: true}}
		}
		txs[i] = tx
	}
	ok, err := s.applyQuorum(set, txs)
	ul.Unlock()
	if err != nil {
		w.cleanup(false)
		return PartInfo{}, err
	}
	for i := 0; i < set.n(); i++ {
		var old partRecord
		if ok[i] && sv.vals[i] != nil && decodePartRecord(sv.vals[i], &old) == nil && old.fileID != fileID {
			_ = set.drives[i].removeShard(u.dataDir, partFileName(old.number, old.fileID))
		}
	}
	return pi, nil
}

// uploadParts is every drive's part records of one upload.
type uploadParts struct {
	// byNum[number][drive] is the drive's record (nil = none).
	byNum   map[int]*[MaxSetDrives][]byte
	raw     [MaxSetDrives][]metaOp // per drive: the part keys and values (for undo)
	offline [MaxSetDrives]bool
}

func (s *Store) readUploadParts(set *erasureSet, id uploadID) *uploadParts {
	up := &uploadParts{byNum: map[int]*[MaxSetDrives][]byte{}}
	lower := partPrefix(nil, id)
	upper := prefixEnd(lower)
	for i, d := range set.drives {
		it, err := d.metaIter(lower, upper)
		if err != nil {
			up.offline[i] = true
			continue
		}
		for ok := it.SeekGE(lower); ok; ok = it.Next() {
			k := it.Key()
			if len(k) != len(lower)+2 {
				continue
			}
			num := int(binary.BigEndian.Uint16(k[len(lower):]))
			v := append([]byte(nil), it.Value()...)
			up.raw[i] = append(up.raw[i], metaOp{key: append([]byte(nil), k...), value: v})
			e := up.byNum[num]
			if e == nil {
				e = new([MaxSetDrives][]byte)
				up.byNum[num] = e
			}
			e[i] = v
		}
		_ = it.Close()
	}
	return up
}

// choosePart returns the part version that at least the read quorum of
// drives hold (newest first).
func choosePart(set *erasureSet, recs *[MaxSetDrives][]byte) (partRecord, bool) {
	var best partRecord
	found := false
	for i := 0; i < set.n(); i++ {
		var p partRecord
		if recs[i] == nil || decodePartRecord(recs[i], &p) != nil {
			continue
		}
		c := 0
		for j := 0; j < set.n(); j++ {
			var q partRecord
			if recs[j] != nil && decodePartRecord(recs[j], &q) == nil && q.fileID == p.fileID && q.commitNanos == p.commitNanos {
				c++
			}
		}
		if c >= set.rq && (!found || p.commitNanos > best.commitNanos) {
			best, found = p, true
		}
	}
	return best, found
}

func (up *uploadParts) numbers() []int {
	nums := make([]int, 0, len(up.byNum))
	for n := range up.byNum {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	return nums
}

// ListParts lists the parts after partNumberMarker (at most maxParts,
// 1000 when <= 0 or larger).
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string, partNumberMarker, maxParts int) (ListPartsResult, error) {
	set, _, id, u, err := s.lookupUpload(bucket, key, uploadID)
	if err != nil {
		return ListPartsResult{}, err
	}
	if maxParts <= 0 || maxParts > maxListParts {
		maxParts = maxListParts
	}
	res := ListPartsResult{Upload: MultipartInfo{Bucket: bucket, Key: key, UploadID: uploadID,
		Initiated: time.Unix(0, id.initiatedNanos()).UTC(), Opts: u.opts}}
	up := s.readUploadParts(set, id)
	for _, n := range up.numbers() {
		if n <= partNumberMarker {
			continue
		}
		p, ok := choosePart(set, up.byNum[n])
		if !ok {
			continue
		}
		if len(res.Parts) == maxParts {
			res.IsTruncated = true
			break
		}
		res.Parts = append(res.Parts, p.info())
	}
	if res.IsTruncated {
		res.NextPartNumberMarker = res.Parts[len(res.Parts)-1].Number
	}
	return res, nil
}

// multipartETag is hex(md5(concat(binary md5 of each part))) + "-" + N.
func multipartETag(etags []string) (string, error) {
	h := md5.New()
	for _, e := range etags {
		b, err := hex.DecodeString(e)
		if err != nil {
			return "", fmt.Errorf("%w: bad ETag %q", ErrInvalidPart, e)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(etags)), nil
}

// CompleteMultipartUpload assembles the parts into the object: parts must
// be in ascending order (ErrInvalidPartOrder), exist with matching ETags
// (ErrInvalidPart) and all but the last be at least MinPartSize
// (ErrPartTooSmall). The object record points at the part files (no data
// is copied); parts not named are deleted. verify runs before the commit.
func (s *Store) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart, verify func(*ObjectInfo) error) (ObjectInfo, error) {
	if err := s.check(bucket, key); err != nil {
		return ObjectInfo{}, err
	}
	if len(parts) == 0 {
		return ObjectInfo{}, fmt.Errorf("%w: no parts", ErrInvalidPart)
	}
	for i, p := range parts {
		if p.Number < 1 || p.Number > MaxPartNumber {
			return ObjectInfo{}, fmt.Errorf("%w: part number %d", ErrInvalidPart, p.Number)
		}
		if i > 0 && p.Number <= parts[i-1].Number {
			return ObjectInfo{}, ErrInvalidPartOrder
		}
	}
	id, ok := parseUploadID(uploadID)
	if !ok {
		return ObjectInfo{}, ErrUploadNotFound
	}
	ul := s.uploadLock(id)
	ul.Lock()
	defer ul.Unlock()
	set, h, _, u, err := s.lookupUpload(bucket, key, uploadID)
	if err != nil {
		return ObjectInfo{}, err
	}
	up := s.readUploadParts(set, id)
	metas := make([]partMeta, len(parts))
	etags := make([]string, len(parts))
	var size int64
	for i, cp := range parts {
		recs := up.byNum[cp.Number]
		if recs == nil {
			return ObjectInfo{}, fmt.Errorf("%w: part %d was not uploaded", ErrInvalidPart, cp.Number)
		}
		pr, ok := choosePart(set, recs)
		if !ok {
			return ObjectInfo{}, fmt.Errorf("%w: part %d is not readable", ErrInvalidPart, cp.Number)
		}
		if want := strings.Trim(cp.ETag, "\""); !strings.EqualFold(want, pr.etag) {
			return ObjectInfo{}, fmt.Errorf("%w: part %d ETag %q, stored %q", ErrInvalidPart, cp.Number, want, pr.etag)
		}
		if i < len(parts)-1 && pr.size < s.cfg.MinPartSize {
			return ObjectInfo{}, fmt.Errorf("%w: part %d is %d bytes, minimum %d", ErrPartTooSmall, cp.Number, pr.size, s.cfg.MinPartSize)
		}
		if pr.data != u.data || pr.parity != u.parity || pr.blockSize != u.blockSize {
			return ObjectInfo{}, fmt.Errorf("%w: part %d layout differs from the upload's", ErrInvalidPart, cp.Number)
		}
		metas[i] = partMeta{number: pr.number, size: pr.size, etag: pr.etag, modNanos: pr.modNanos,
			checksum: pr.checksum, fileID: pr.fileID}
		etags[i] = pr.etag
		size += pr.size
	}
	etag, err := multipartETag(etags)
	if err != nil {
		return ObjectInfo{}, err
	}
	now := s.clock()
	mod := u.opts.ModTime
	if mod.IsZero() {
		mod = now
	}
	o := &u.opts
	rec := objectRecord{
		versionID: newID(), commitNanos: now.UnixNano(), modNanos: mod.UnixNano(),
		flags: flagMultipart, data: u.data, parity: u.parity, blockSize: u.blockSize,
		dataDir: u.dataDir, size: size, etag: etag,
		contentType: o.ContentType, storageClass: o.StorageClass, owner: o.Owner, tags: o.Tags,
		uid: o.UID, gid: o.GID, userMeta: o.UserMeta, headers: o.Headers, parts: metas,
	}
	oi := rec.info(bucket, key)
	if verify != nil {
		if err := verify(&oi); err != nil {
			return ObjectInfo{}, fmt.Errorf("erasure: verify: %w", err)
		}
		rec.checksum = oi.Checksum
	}
	rot := rotation(h, set.n())
	var recs [MaxSetDrives][]byte
	for j := 0; j < set.n(); j++ {
		if up.offline[j] || !set.drives[j].online() {
			continue
		}
		rec.shardIdx = shardOfDrive(j, rot, set.n())
		recs[j] = encodeObjectRecord(nil, &rec)
	}
	uk := uploadKey(nil, bucket, key, id)
	uval := encodeUploadRecord(nil, &u)
	pp := partPrefix(nil, id)
	extra := func(i int, tx *driveTx) {
		tx.ops = append(tx.ops, metaOp{key: uk, del: true}, metaOp{key: pp, end: prefixEnd(pp), del: true})
		tx.undo = append(tx.undo, metaOp{key: uk, value: uval})
		tx.undo = append(tx.undo, up.raw[i]...)
	}
	mk := objectKey(nil, bucket, key)
	if err := s.commitObject(set, h, mk, &recs, u.dataDir, extra); err != nil {
		return ObjectInfo{}, err
	}
	// Delete the part files no part of the object names.
	keep := make(map[string]bool, len(metas))
	for _, m := range metas {
		keep[partFileName(m.number, m.fileID)] = true
	}
	for _, d := range set.drives {
		names, err := d.listDataDir(u.dataDir)
		if err != nil {
			continue
		}
		for _, n := range names {
			if !keep[n] {
				_ = d.removeShard(u.dataDir, n)
			}
		}
	}
	return oi, nil
}

// AbortMultipartUpload removes an upload and its parts.
func (s *Store) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	id, ok := parseUploadID(uploadID)
	if !ok {
		if err := s.check(bucket, key); err != nil {
			return err
		}
		return ErrUploadNotFound
	}
	ul := s.uploadLock(id)
	ul.Lock()
	defer ul.Unlock()
	set, _, _, u, err := s.lookupUpload(bucket, key, uploadID)
	if err != nil {
		return err
	}
	return s.dropUpload(set, uploadKey(nil, bucket, key, id), id, &u, true)
}

// dropUpload deletes an upload's records (write quorum when quorum) and
// its data dir. The caller holds the upload lock.
func (s *Store) dropUpload(set *erasureSet, uk []byte, id uploadID, u *uploadRecord, quorum bool) error {
	up := s.readUploadParts(set, id)
	pp := partPrefix(nil, id)
	uval := encodeUploadRecord(nil, u)
	txs := make([]*driveTx, set.n())
	for i := range txs {
		if up.offline[i] {
			continue
		}
		txs[i] = &driveTx{
			ops:  []metaOp{{key: uk, del: true}, {key: pp, end: prefixEnd(pp), del: true}},
			undo: append([]metaOp{{key: uk, value: uval}}, up.raw[i]...),
		}
	}
	var ok [MaxSetDrives]bool
	if quorum {
		var err error
		if ok, err = s.applyQuorum(set, txs); err != nil {
			return err
		}
	} else {
		for i, tx := range txs {
			if tx != nil {
				ok[i] = set.drives[i].metaApply(tx.ops, s.cfg.Sync) == nil
			}
		}
	}
	for i, d := range set.drives {
		if ok[i] {
			s.removeDataDir(d, u.dataDir)
		}
	}
	return nil
}

// ListMultipartUploads lists uploads in progress ordered by key, then
// initiation time: those after (keyMarker, uploadIDMarker), under prefix,
// rolled up into CommonPrefixes by delimiter. maxUploads counts uploads
// and prefixes; <= 0 returns an empty page, more than 1000 is capped.
func (s *Store) ListMultipartUploads(ctx context.Context, bucket, prefix, keyMarker, uploadIDMarker, delimiter string, maxUploads int) (ListUploadsResult, error) {
	var res ListUploadsResult
	if s.closed.Load() {
		return res, ErrClosed
	}
	if bucket == "" {
		return res, ErrInvalidKey
	}
	if maxUploads <= 0 {
		return res, nil
	}
	maxUploads = min(maxUploads, 1000)
	pfx := uploadBucketPrefix(nil, bucket)
	lower := appendEscaped(append([]byte(nil), pfx...), prefix)
	upper := prefixEnd(lower)
	m, err := s.newMerged(s.sets, lower, upper)
	if err != nil {
		return res, err
	}
	defer m.close()
	start := lower
	if keyMarker != "" {
		var after []byte
		if id, ok := parseUploadID(uploadIDMarker); ok {
			after = append(uploadKey(nil, bucket, keyMarker, id), 0)
		} else {
			after = prefixEnd(uploadKeyPrefix(nil, bucket, keyMarker))
		}
		if bytes.Compare(after, start) > 0 {
			start = after
		}
	}
	var sv setValues
	count := 0
	ok := m.seek(start)
	for ok {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		kb, id, good := splitUploadKey(m.cur[len(pfx):])
		if !good {
			ok = m.next()
			continue
		}
		key := string(kb)
		if delimiter != "" {
			if i := strings.Index(key[len(prefix):], delimiter); i >= 0 {
				cp := key[:len(prefix)+i+len(delimiter)]
				if strings.HasPrefix(keyMarker, cp) {
					ok = m.skipPrefix(pfx, cp, true)
					continue
				}
				if _, listed := s.uploadAt(m, bucket, key, &sv); !listed {
					ok = m.next()
					continue
				}
				if count == maxUploads {
					res.IsTruncated = true
					break
				}
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
				res.NextKeyMarker, res.NextUploadIDMarker = cp, ""
				count++
				ok = m.skipPrefix(pfx, cp, true)
				continue
			}
		}
		u, listed := s.uploadAt(m, bucket, key, &sv)
		if !listed {
			ok = m.next()
			continue
		}
		if count == maxUploads {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, MultipartInfo{Bucket: bucket, Key: key, UploadID: id.String(),
			Initiated: time.Unix(0, id.initiatedNanos()).UTC(), Opts: u.opts})
		res.NextKeyMarker, res.NextUploadIDMarker = key, id.String()
		count++
		ok = m.next()
	}
	if err := m.failed(); err != nil {
		return ListUploadsResult{}, err
	}
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = "", ""
	}
	return res, nil
}

// uploadAt returns the upload at the merged iterator's key when at least
// the read quorum of drives hold the same record.
func (s *Store) uploadAt(m *mergedIter, bucket, key string, sv *setValues) (uploadRecord, bool) {
	var u uploadRecord
	set := s.setFor(objectHash(bucket, key))
	m.values(set, sv)
	for i := 0; i < set.n(); i++ {
		if sv.vals[i] == nil {
			continue
		}
		c := 0
		for j := 0; j < set.n(); j++ {
			if sv.vals[j] != nil && bytes.Equal(sv.vals[i], sv.vals[j]) {
				c++
			}
		}
		if c >= set.rq && decodeUploadRecord(sv.vals[i], &u) == nil {
			return u, true
		}
	}
	return u, false
}

// CleanupStaleUploads aborts uploads initiated more than olderThan ago
// (also those only some drives still know of) and returns how many.
func (s *Store) CleanupStaleUploads(ctx context.Context, olderThan time.Duration) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	cutoff := s.clock().Add(-olderThan).UnixNano()
	type stale struct {
		bucket, key string
		id          uploadID
	}
	var found []stale
	lower := []byte{nsUpload}
	m, err := s.newMerged(s.sets, lower, prefixEnd(lower))
	if err != nil {
		return 0, err
	}
	for ok := m.seek(lower); ok; ok = m.next() {
		b, rest, good := unescape(m.cur[1:])
		if !good {
			continue
		}
		k, id, good := splitUploadKey(rest)
		if !good || id.initiatedNanos() >= cutoff {
			continue
		}
		found = append(found, stale{bucket: string(b), key: string(k), id: id})
	}
	m.close()
	n := 0
	var errs []error
	for _, st := range found {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		set := s.setFor(objectHash(st.bucket, st.key))
		uk := uploadKey(nil, st.bucket, st.key, st.id)
		ul := s.uploadLock(st.id)
		ul.Lock()
		u, err := s.readUpload(set, uk)
		quorum := err == nil
		if errors.Is(err, ErrUploadNotFound) {
			// Known to too few drives to be visible: purge what is left.
			u, err = s.anyUpload(set, uk)
		}
		if err == nil {
			err = s.dropUpload(set, uk, st.id, &u, quorum)
		}
		ul.Unlock()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// anyUpload returns the upload record of any drive.
func (s *Store) anyUpload(set *erasureSet, uk []byte) (uploadRecord, error) {
	var u uploadRecord
	var sv setValues
	var buf []byte
	s.readValues(set, uk, &buf, &sv)
	for i := 0; i < set.n(); i++ {
		if sv.vals[i] != nil && decodeUploadRecord(sv.vals[i], &u) == nil {
			return u, nil
		}
	}
	return u, ErrUploadNotFound
}
