package s3api

import "unsafe"

// s2b returns the bytes of s without copying. The result must not be
// modified.
func s2b(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
