package erasure

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"sort"
	"time"
)

// Record formats. Every stored value starts with a format byte; a decoder
// rejects formats it does not know (the drive's copy then counts as
// missing and is healed from the others). Add new formats, never change old
// ones.
const (
	valueFormatV1  = 1 // object value: uvarint count, then count x (uvarint len, record)
	objectFormatV1 = 1 // object record, see encodeObjectRecord
	uploadFormatV1 = 1 // upload record
	partFormatV1   = 1 // part record
)

// Object record flags.
const (
	flagInline    = 1 << 0 // shard bytes are in the record
	flagMultipart = 1 << 1 // made by CompleteMultipartUpload
)

// maxValueRecords bounds the records kept in one object value: the current
// one plus the versions it superseded while its commit is in flight.
const maxValueRecords = 3

// Fixed header of an object record (offsets into the record).
const (
	ohFormat    = 0
	ohVersion   = 1  // [16] version id
	ohCommit    = 17 // int64 commit nanos (orders versions)
	ohMod       = 25 // int64 Last-Modified nanos
	ohMetaGen   = 33 // uint32 metadata generation
	ohFlags     = 37
	ohData      = 38
	ohParity    = 39
	ohShard     = 40 // this drive's shard index
	ohBlockSize = 41 // uint32
	ohDataDir   = 45 // [16]
	ohInlineLen = 61 // uint32, the inline bytes are the record's tail
	ohSize      = 65
)

var errBadRecord = errors.New("erasure: malformed metadata record")

// id16 is a random 16-byte id (version ids, data-dir ids).
type id16 [16]byte

func (id id16) isZero() bool { return id == id16{} }

// partMeta is one part of an object as stored in its record. Single-part
// objects have one implicit part (number 1, fileID 0).
type partMeta struct {
	number   int
	size     int64
	etag     string
	modNanos int64
	checksum Checksum
	fileID   uint64
}

// objectRecord is one drive's record of one object version. Everything but
// shardIdx and inline is the same on every drive.
type objectRecord struct {
	versionID   id16
	commitNanos int64
	modNanos    int64
	metaGen     uint32
	flags       byte
	data        int
	parity      int
	shardIdx    int
	blockSize   int
	dataDir     id16
	size        int64

	etag, contentType, storageClass, owner, tags string
	uid, gid                                     uint32
	checksum                                     Checksum
	userMeta, headers                            map[string]string
	parts                                        []partMeta // only with flagMultipart

	inline []byte // this drive's shard stream, with flagInline
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendMap(dst []byte, m map[string]string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(m)))
	if len(m) == 0 {
		return dst
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		dst = appendStr(dst, k)
		dst = appendStr(dst, m[k])
	}
	return dst
}

func appendChecksum(dst []byte, c Checksum) []byte {
	dst = appendStr(dst, c.Algorithm)
	dst = appendStr(dst, c.Value)
	return appendStr(dst, c.Type)
}

// encodeObjectRecord appends r to dst:
//
//	fixed header (ohSize bytes, see the oh* offsets), then
//	varint size, str etag, contentType, storageClass, owner, tags,
//	uvarint uid, gid, checksum (3 str), map userMeta, map headers,
//	uvarint nparts, nparts x (uvarint number, varint size, str etag,
//	  int64 modNanos (8 bytes), checksum, uint64 fileID (8 bytes)),
//	inline bytes (length in the header).
//
// str is uvarint length + bytes; map is uvarint count + sorted (str, str).
func encodeObjectRecord(dst []byte, r *objectRecord) []byte {
	dst = slices.Grow(dst, ohSize+256+len(r.inline)+len(r.parts)*64)
	var h [ohSize]byte
	h[ohFormat] = objectFormatV1
	copy(h[ohVersion:], r.versionID[:])
	binary.BigEndian.PutUint64(h[ohCommit:], uint64(r.commitNanos))
	binary.BigEndian.PutUint64(h[ohMod:], uint64(r.modNanos))
	binary.BigEndian.PutUint32(h[ohMetaGen:], r.metaGen)
	h[ohFlags] = r.flags
	h[ohData] = byte(r.data)
	h[ohParity] = byte(r.parity)
	h[ohShard] = byte(r.shardIdx)
	binary.BigEndian.PutUint32(h[ohBlockSize:], uint32(r.blockSize))
	copy(h[ohDataDir:], r.dataDir[:])
	binary.BigEndian.PutUint32(h[ohInlineLen:], uint32(len(r.inline)))
	dst = append(dst, h[:]...)
	dst = binary.AppendVarint(dst, r.size)
	dst = appendStr(dst, r.etag)
	dst = appendStr(dst, r.contentType)
	dst = appendStr(dst, r.storageClass)
	dst = appendStr(dst, r.owner)
	dst = appendStr(dst, r.tags)
	dst = binary.AppendUvarint(dst, uint64(r.uid))
	dst = binary.AppendUvarint(dst, uint64(r.gid))
	dst = appendChecksum(dst, r.checksum)
	dst = appendMap(dst, r.userMeta)
	dst = appendMap(dst, r.headers)
	dst = binary.AppendUvarint(dst, uint64(len(r.parts)))
	for i := range r.parts {
		p := &r.parts[i]
		dst = binary.AppendUvarint(dst, uint64(p.number))
		dst = binary.AppendVarint(dst, p.size)
		dst = appendStr(dst, p.etag)
		dst = binary.BigEndian.AppendUint64(dst, uint64(p.modNanos))
		dst = appendChecksum(dst, p.checksum)
		dst = binary.BigEndian.AppendUint64(dst, p.fileID)
	}
	return append(dst, r.inline...)
}

// decoder reads the variable part of records. Errors are sticky.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = true
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = true
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) u64() uint64 {
	if len(d.b) < 8 {
		d.err = true
		d.b = nil
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) u32() uint32 {
	v := d.uvarint()
	if v > math.MaxUint32 {
		d.err = true
	}
	return uint32(v)
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = true
		d.b = nil
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	b := d.bytes()
	if len(b) == 0 {
		return ""
	}
	return string(b)
}

func (d *decoder) checksum() Checksum {
	return Checksum{Algorithm: d.str(), Value: d.str(), Type: d.str()}
}

func (d *decoder) strMap() map[string]string {
	n := d.uvarint()
	if n == 0 || d.err {
		return nil
	}
	if n > uint64(len(d.b))/2 {
		d.err = true
		return nil
	}
	m := make(map[string]string, n)
	for i := uint64(0); i < n && !d.err; i++ {
		k := d.str()
		m[k] = d.str()
	}
	return m
}

// recHeader is the fixed header of an object record, read without decoding
// the rest (the hot path reads it from every drive).
type recHeader struct {
	versionID   id16
	commitNanos int64
	metaGen     uint32
	flags       byte
	data        int
	parity      int
	shardIdx    int
	blockSize   int
	dataDir     id16
	inline      []byte
	raw         []byte // the whole record
}

func parseRecHeader(rec []byte, h *recHeader) bool {
	if len(rec) < ohSize || rec[ohFormat] != objectFormatV1 {
		return false
	}
	copy(h.versionID[:], rec[ohVersion:])
	h.commitNanos = int64(binary.BigEndian.Uint64(rec[ohCommit:]))
	h.metaGen = binary.BigEndian.Uint32(rec[ohMetaGen:])
	h.flags = rec[ohFlags]
	h.data = int(rec[ohData])
	h.parity = int(rec[ohParity])
	h.shardIdx = int(rec[ohShard])
	h.blockSize = int(binary.BigEndian.Uint32(rec[ohBlockSize:]))
	copy(h.dataDir[:], rec[ohDataDir:])
	il := int(binary.BigEndian.Uint32(rec[ohInlineLen:]))
	if il > len(rec)-ohSize || h.data < 1 || h.shardIdx >= h.data+h.parity || h.blockSize < 1 {
		return false
	}
	h.inline = rec[len(rec)-il:]
	h.raw = rec
	return true
}

// decodeObjectRecord decodes a whole record. r.inline aliases rec.
func decodeObjectRecord(rec []byte, r *objectRecord) error {
	var h recHeader
	if !parseRecHeader(rec, &h) {
		return errBadRecord
	}
	r.versionID = h.versionID
	r.commitNanos = h.commitNanos
	r.modNanos = int64(binary.BigEndian.Uint64(rec[ohMod:]))
	r.metaGen = h.metaGen
	r.flags = h.flags
	r.data, r.parity, r.shardIdx = h.data, h.parity, h.shardIdx
	r.blockSize = h.blockSize
	r.dataDir = h.dataDir
	r.inline = h.inline
	d := decoder{b: rec[ohSize : len(rec)-len(h.inline)]}
	r.size = d.varint()
	r.etag = d.str()
	r.contentType = d.str()
	r.storageClass = d.str()
	r.owner = d.str()
	r.tags = d.str()
	r.uid = d.u32()
	r.gid = d.u32()
	r.checksum = d.checksum()
	r.userMeta = d.strMap()
	r.headers = d.strMap()
	np := d.uvarint()
	const minPartBytes = 1 + 1 + 1 + 8 + 3 + 8
	if np > MaxPartNumber || np > uint64(len(d.b))/minPartBytes {
		return errBadRecord
	}
	r.parts = nil
	if np > 0 {
		r.parts = make([]partMeta, np)
		for i := range r.parts {
			p := &r.parts[i]
			p.number = int(d.uvarint())
			p.size = d.varint()
			p.etag = d.str()
			p.modNanos = int64(d.u64())
			p.checksum = d.checksum()
			p.fileID = d.u64()
			if d.err || p.size < 0 || p.number < 1 || p.number > MaxPartNumber {
				return errBadRecord
			}
		}
	}
	if d.err || len(d.b) != 0 || r.size < 0 {
		return errBadRecord
	}
	if r.flags&flagMultipart != 0 {
		var sum int64
		for _, p := range r.parts {
			sum += p.size
		}
		if sum != r.size || len(r.parts) == 0 {
			return errBadRecord
		}
	} else if len(r.parts) != 0 {
		return errBadRecord
	}
	return nil
}

// partList returns the parts to read: the stored list for multipart
// objects, else one implicit part.
func (r *objectRecord) partList(one *[1]partMeta) []partMeta {
	if r.flags&flagMultipart != 0 {
		return r.parts
	}
	one[0] = partMeta{number: 1, size: r.size, etag: r.etag, modNanos: r.modNanos}
	return one[:]
}

// info converts r to the public ObjectInfo.
func (r *objectRecord) info(bucket, key string) ObjectInfo {
	oi := ObjectInfo{
		Bucket:       bucket,
		Key:          key,
		Size:         r.size,
		ETag:         r.etag,
		ModTime:      time.Unix(0, r.modNanos).UTC(),
		ContentType:  r.contentType,
		UserMeta:     r.userMeta,
		Headers:      r.headers,
		Tags:         r.tags,
		StorageClass: r.storageClass,
		Owner:        r.owner,
		UID:          r.uid,
		GID:          r.gid,
		Checksum:     r.checksum,
	}
	if r.flags&flagMultipart != 0 {
		oi.Parts = make([]PartInfo, len(r.parts))
		for i, p := range r.parts {
			oi.Parts[i] = PartInfo{Number: p.number, Size: p.size, ETag: p.etag,
				ModTime: time.Unix(0, p.modNanos).UTC(), Checksum: p.checksum}
		}
	}
	return oi
}

// encodeValue appends an object value holding recs (newest first).
func encodeValue(dst []byte, recs ...[]byte) []byte {
	n := 1 + binary.MaxVarintLen64
	for _, r := range recs {
		n += binary.MaxVarintLen64 + len(r)
	}
	dst = slices.Grow(dst, n)
	dst = append(dst, valueFormatV1)
	dst = binary.AppendUvarint(dst, uint64(len(recs)))
	for _, r := range recs {
		dst = binary.AppendUvarint(dst, uint64(len(r)))
		dst = append(dst, r...)
	}
	return dst
}

// splitValue returns the records of an object value (aliasing v) in out.
func splitValue(v []byte, out [][]byte) ([][]byte, bool) {
	out = out[:0]
	if len(v) < 1 || v[0] != valueFormatV1 {
		return out, false
	}
	d := decoder{b: v[1:]}
	n := d.uvarint()
	if d.err || n == 0 || n > maxValueRecords {
		return out, false
	}
	for i := uint64(0); i < n; i++ {
		r := d.bytes()
		if d.err {
			return out[:0], false
		}
		out = append(out, r)
	}
	if len(d.b) != 0 {
		return out[:0], false
	}
	return out, true
}

// uploadRecord is an upload in progress; the same on every drive.
type uploadRecord struct {
	dataDir   id16
	data      int
	parity    int
	blockSize int
	opts      PutOptions // Verify is never stored
}

func encodeUploadRecord(dst []byte, u *uploadRecord) []byte {
	dst = append(dst, uploadFormatV1)
	dst = append(dst, u.dataDir[:]...)
	dst = append(dst, byte(u.data), byte(u.parity))
	dst = binary.BigEndian.AppendUint32(dst, uint32(u.blockSize))
	o := &u.opts
	dst = appendStr(dst, o.ContentType)
	dst = appendMap(dst, o.UserMeta)
	dst = appendMap(dst, o.Headers)
	dst = appendStr(dst, o.Tags)
	dst = appendStr(dst, o.StorageClass)
	dst = binary.AppendUvarint(dst, uint64(o.UID))
	dst = binary.AppendUvarint(dst, uint64(o.GID))
	dst = appendStr(dst, o.Owner)
	var mod int64
	if !o.ModTime.IsZero() {
		mod = o.ModTime.UnixNano()
	}
	return binary.AppendVarint(dst, mod)
}

func decodeUploadRecord(b []byte, u *uploadRecord) error {
	if len(b) < 1+16+2+4 || b[0] != uploadFormatV1 {
		return errBadRecord
	}
	copy(u.dataDir[:], b[1:17])
	u.data, u.parity = int(b[17]), int(b[18])
	u.blockSize = int(binary.BigEndian.Uint32(b[19:23]))
	d := decoder{b: b[23:]}
	o := &u.opts
	o.ContentType = d.str()
	o.UserMeta = d.strMap()
	o.Headers = d.strMap()
	o.Tags = d.str()
	o.StorageClass = d.str()
	o.UID = d.u32()
	o.GID = d.u32()
	o.Owner = d.str()
	mod := d.varint()
	o.ModTime = time.Time{}
	if mod != 0 {
		o.ModTime = time.Unix(0, mod).UTC()
	}
	if d.err || len(d.b) != 0 || u.data < 1 || u.blockSize < 1 {
		return errBadRecord
	}
	return nil
}

// partRecord is one drive's record of an uploaded part.
type partRecord struct {
	commitNanos int64
	modNanos    int64
	fileID      uint64
	data        int
	parity      int
	shardIdx    int
	blockSize   int
	number      int
	size        int64
	etag        string
	checksum    Checksum
}

func encodePartRecord(dst []byte, p *partRecord) []byte {
	dst = append(dst, partFormatV1)
	dst = binary.BigEndian.AppendUint64(dst, uint64(p.commitNanos))
	dst = binary.BigEndian.AppendUint64(dst, uint64(p.modNanos))
	dst = binary.BigEndian.AppendUint64(dst, p.fileID)
	dst = append(dst, byte(p.data), byte(p.parity), byte(p.shardIdx))
	dst = binary.BigEndian.AppendUint32(dst, uint32(p.blockSize))
	dst = binary.AppendUvarint(dst, uint64(p.number))
	dst = binary.AppendVarint(dst, p.size)
	dst = appendStr(dst, p.etag)
	return appendChecksum(dst, p.checksum)
}

func decodePartRecord(b []byte, p *partRecord) error {
	const fixed = 1 + 8 + 8 + 8 + 3 + 4
	if len(b) < fixed || b[0] != partFormatV1 {
		return errBadRecord
	}
	p.commitNanos = int64(binary.BigEndian.Uint64(b[1:]))
	p.modNanos = int64(binary.BigEndian.Uint64(b[9:]))
	p.fileID = binary.BigEndian.Uint64(b[17:])
	p.data, p.parity, p.shardIdx = int(b[25]), int(b[26]), int(b[27])
	p.blockSize = int(binary.BigEndian.Uint32(b[28:]))
	d := decoder{b: b[fixed:]}
	p.number = int(d.uvarint())
	p.size = d.varint()
	p.etag = d.str()
	p.checksum = d.checksum()
	if d.err || len(d.b) != 0 || p.data < 1 || p.shardIdx >= p.data+p.parity ||
		p.blockSize < 1 || p.size < 0 || p.number < 1 || p.number > MaxPartNumber {
		return errBadRecord
	}
	return nil
}

func (p *partRecord) info() PartInfo {
	return PartInfo{Number: p.number, Size: p.size, ETag: p.etag,
		ModTime: time.Unix(0, p.modNanos).UTC(), Checksum: p.checksum}
}
