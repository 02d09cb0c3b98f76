package erasure

// This file is the contract between erasure and its users (s3api, node).
// Signatures here are agreed; bodies live in the other files of the package.

import (
	"errors"
	"time"
)

// Errors returned by Store. Match with errors.Is.
var (
	// ErrObjectNotFound: no readable version of the object exists.
	ErrObjectNotFound = errors.New("erasure: object not found")
	// ErrUploadNotFound: the multipart upload does not exist (never created,
	// completed or aborted), or it belongs to another bucket/key.
	ErrUploadNotFound = errors.New("erasure: multipart upload not found")
	// ErrInvalidPart: a part named in Complete is missing or its ETag differs.
	ErrInvalidPart = errors.New("erasure: invalid part")
	// ErrInvalidPartOrder: parts in Complete are not in strictly ascending order.
	ErrInvalidPartOrder = errors.New("erasure: invalid part order")
	// ErrPartTooSmall: a part other than the last is smaller than MinPartSize.
	ErrPartTooSmall = errors.New("erasure: part too small")
	// ErrWriteQuorum: fewer than the write quorum of drives took the write.
	// Nothing of the write is visible.
	ErrWriteQuorum = errors.New("erasure: write quorum not reached")
	// ErrReadQuorum: fewer than the read quorum of drives could serve a read.
	ErrReadQuorum = errors.New("erasure: read quorum not reached")
	// ErrIncompleteBody: the body ended before the declared size.
	ErrIncompleteBody = errors.New("erasure: body shorter than declared size")
	// ErrTooLarge: the body is longer than the declared size or than MaxObjectSize.
	ErrTooLarge = errors.New("erasure: body larger than declared size")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("erasure: store closed")
)

// PutOptions describe an object being written (PutObject, CopyObject,
// NewMultipartUpload).
type PutOptions struct {
	// ContentType is stored and returned as Content-Type.
	ContentType string
	// UserMeta is the x-amz-meta-* set: keys lower-case without the prefix.
	UserMeta map[string]string
	// Headers holds other stored response headers by canonical name:
	// Cache-Control, Content-Disposition, Content-Encoding,
	// Content-Language, Expires, x-amz-website-redirect-location, ...
	Headers map[string]string
	// Tags is the object's tag set, URL-query encoded ("k1=v1&k2=v2").
	Tags string
	// StorageClass as sent by the client ("" = STANDARD).
	StorageClass string
	// UID and GID are the POSIX owner recorded for the object.
	UID, GID uint32
	// Owner is the access key (or user name) that created the object.
	Owner string
	// ModTime is the object's Last-Modified; zero means now.
	ModTime time.Time
	// Verify, when set, is called after the whole body was read (so the
	// MD5/ETag and size are known and set in *ObjectInfo) and before anything
	// becomes visible. It may fill fields of *ObjectInfo (Checksum). An error
	// aborts the write: nothing is committed and the error is returned
	// wrapped with %w.
	Verify func(oi *ObjectInfo) error
}

// Checksum is an x-amz-checksum-* value stored with an object or part.
type Checksum struct {
	// Algorithm is CRC32, CRC32C, CRC64NVME, SHA1 or SHA256 ("" = none).
	Algorithm string
	// Value is the base64 value as sent in x-amz-checksum-<alg>; for a
	// composite multipart checksum it ends in "-N".
	Value string
	// Type is FULL_OBJECT or COMPOSITE.
	Type string
}

// PartInfo describes one uploaded part, or one part of a completed
// multipart object.
type PartInfo struct {
	Number   int
	Size     int64
	ETag     string // hex MD5 of the part, no quotes
	ModTime  time.Time
	Checksum Checksum
}

// ObjectInfo is the metadata of one object version.
type ObjectInfo struct {
	Bucket, Key  string
	Size         int64
	ETag         string // no quotes; "hex" or "hex-N" for multipart
	ModTime      time.Time
	ContentType  string
	UserMeta     map[string]string
	Headers      map[string]string
	Tags         string
	StorageClass string
	Owner        string
	UID, GID     uint32
	Checksum     Checksum
	// Parts is set for objects made by CompleteMultipartUpload, in order.
	Parts []PartInfo
}

// CompletePart is one entry of a CompleteMultipartUpload request.
type CompletePart struct {
	Number   int
	ETag     string // quotes allowed, ignored
	Checksum Checksum
}

// MultipartInfo describes an upload in progress.
type MultipartInfo struct {
	Bucket, Key string
	UploadID    string
	Initiated   time.Time
	Opts        PutOptions // as given to NewMultipartUpload (Verify is nil)
}

// ListObjectsResult is one page of ListObjects.
type ListObjectsResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	// NextMarker is the last key or common prefix returned, when truncated.
	NextMarker string
}

// ListPartsResult is one page of ListParts.
type ListPartsResult struct {
	Upload               MultipartInfo
	Parts                []PartInfo
	IsTruncated          bool
	NextPartNumberMarker int
}

// ListUploadsResult is one page of ListMultipartUploads.
type ListUploadsResult struct {
	Uploads            []MultipartInfo
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}
