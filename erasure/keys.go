package erasure

import (
	"encoding/binary"
	"encoding/hex"
)

// Metadata store keys. Every key starts with a one-byte namespace:
//
//	'o' esc(bucket) 00 01 key                 -> object value (record list)
//	'u' esc(bucket) 00 01 esc(key) 00 01 id20 -> upload record
//	'p' id20 part(2 bytes, big endian)        -> part record
//
// esc() maps 0x00 to 0x00 0xFF and is terminated by 0x00 0x01, which keeps
// byte order: all keys of one bucket are contiguous and sorted by object
// key, so listing is an ordered range scan. The object key itself is the raw
// tail and needs no escaping. id20 is the decoded upload id (8 bytes of
// big-endian initiation nanoseconds, then 12 random bytes), so the uploads of
// one key sort by initiation time.
const (
	nsObject = 'o'
	nsUpload = 'u'
	nsPart   = 'p'
)

// uploadIDLen is the decoded length of an upload id.
const uploadIDLen = 20

type uploadID [uploadIDLen]byte

func (u uploadID) String() string { return hex.EncodeToString(u[:]) }

func (u uploadID) initiatedNanos() int64 { return int64(binary.BigEndian.Uint64(u[:8])) }

// parseUploadID decodes an upload id; ok is false for anything that is not
// one of ours.
func parseUploadID(s string) (u uploadID, ok bool) {
	if len(s) != 2*uploadIDLen {
		return u, false
	}
	if _, err := hex.Decode(u[:], []byte(s)); err != nil {
		return u, false
	}
	return u, true
}

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			dst = append(dst, 0, 0xff)
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

func appendTerm(dst []byte) []byte { return append(dst, 0, 1) }

// unescape reads one escaped, terminated string from b and returns it with
// the rest of b.
func unescape(b []byte) (s []byte, rest []byte, ok bool) {
	for i := 0; i < len(b); i++ {
		if b[i] != 0 {
			continue
		}
		if i+1 >= len(b) {
			return nil, nil, false
		}
		switch b[i+1] {
		case 1:
			if s == nil {
				return b[:i], b[i+2:], true
			}
			return append(s, b[:i]...), b[i+2:], true
		case 0xff:
			s = append(s, b[:i+1]...)
			b = b[i+2:]
			i = -1
		default:
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// objectPrefix is the key prefix of all objects of bucket.
func objectPrefix(dst []byte, bucket string) []byte {
	dst = append(dst, nsObject)
	return appendTerm(appendEscaped(dst, bucket))
}

func objectKey(dst []byte, bucket, key string) []byte {
	return append(objectPrefix(dst, bucket), key...)
}

func uploadBucketPrefix(dst []byte, bucket string) []byte {
	dst = append(dst, nsUpload)
	return appendTerm(appendEscaped(dst, bucket))
}

func uploadKeyPrefix(dst []byte, bucket, key string) []byte {
	return appendTerm(appendEscaped(uploadBucketPrefix(dst, bucket), key))
}

func uploadKey(dst []byte, bucket, key string, id uploadID) []byte {
	return append(uploadKeyPrefix(dst, bucket, key), id[:]...)
}

// splitUploadKey parses the part of an upload key after its bucket prefix.
func splitUploadKey(rest []byte) (key []byte, id uploadID, ok bool) {
	key, rest, ok = unescape(rest)
	if !ok || len(rest) != uploadIDLen {
		return nil, id, false
	}
	copy(id[:], rest)
	return key, id, true
}

func partPrefix(dst []byte, id uploadID) []byte {
	dst = append(dst, nsPart)
	return append(dst, id[:]...)
}

func partKey(dst []byte, id uploadID, number int) []byte {
	return binary.BigEndian.AppendUint16(partPrefix(dst, id), uint16(number))
}

// prefixEnd returns the smallest key greater than every key that starts with
// p, or nil when there is none (p is empty or all 0xff).
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// stringPrefixEnd is prefixEnd for strings; ok is false when there is no
// such string.
func stringPrefixEnd(p string) (string, bool) {
	e := prefixEnd([]byte(p))
	return string(e), e != nil
}
