package erasure

// TEMPORARY: signatures agreed with s3api. The erasure implementer replaces
// this file with the real implementation (same exported signatures).

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"
)

var errTODO = errors.New("erasure: not implemented yet")

// Config configures a Store.
type Config struct {
	// Drives are the drive folders (absolute or relative paths); at least 1.
	Drives []string
	// DataShards and ParityShards: 0 and 0 choose the default for len(Drives).
	DataShards, ParityShards int
	// BlockSize is the erasure block size in bytes (default 1 MiB).
	BlockSize int
	// InlineThreshold: objects of at most this many bytes are stored inline
	// in the metadata record (default 128 KiB).
	InlineThreshold int
	// MinPartSize is the minimum size of a multipart part other than the last
	// (default 5 MiB, as AWS).
	MinPartSize int64
	// Sync makes writes durable (fsync / synced commits) before they are
	// acknowledged (default true).
	Sync bool
	// Logger receives the store's logs (default slog.Default()).
	Logger *slog.Logger
}

// DefaultConfig returns the defaults; Drives must still be set.
func DefaultConfig() Config { return Config{} }

// Validate names the bad field and its allowed range.
func (c *Config) Validate() error { return errTODO }

// Store is an erasure-coded object store over a node's drives.
type Store struct{}

// Open opens (creating when needed) the drives and their metadata stores.
func Open(cfg Config) (*Store, error) { return nil, errTODO }

// Close flushes and closes every drive.
func (s *Store) Close() error { return errTODO }

// Layout returns the data and parity shard counts.
func (s *Store) Layout() (data, parity int) { return 0, 0 }

// PutObject stores the object read from r (size bytes, or -1 if unknown).
func (s *Store) PutObject(ctx context.Context, bucket, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error) {
	return ObjectInfo{}, errTODO
}

// Object is an open object version: metadata plus the handles needed to read
// its data even if it is overwritten or deleted meanwhile.
type Object struct{}

// OpenObject opens the current version of bucket/key.
func (s *Store) OpenObject(ctx context.Context, bucket, key string) (*Object, error) {
	return nil, errTODO
}

// Info returns the object's metadata.
func (o *Object) Info() ObjectInfo { return ObjectInfo{} }

// Range returns a reader of length bytes starting at offset. It may be called
// once; closing the reader closes the Object.
func (o *Object) Range(offset, length int64) io.ReadCloser { return nil }

// Close releases the Object (needed only when Range was not called).
func (o *Object) Close() error { return errTODO }

// StatObject returns the current version's metadata.
func (s *Store) StatObject(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	return ObjectInfo{}, errTODO
}

// UpdateObjectMeta changes the metadata of the current version in place.
func (s *Store) UpdateObjectMeta(ctx context.Context, bucket, key string, fn func(*ObjectInfo) error) (ObjectInfo, error) {
	return ObjectInfo{}, errTODO
}

// DeleteObject removes bucket/key; deleting a missing key is not an error.
func (s *Store) DeleteObject(ctx context.Context, bucket, key string) error { return errTODO }

// ListObjects lists keys after marker in lexical order.
func (s *Store) ListObjects(ctx context.Context, bucket, prefix, marker, delimiter string, maxKeys int) (ListObjectsResult, error) {
	return ListObjectsResult{}, errTODO
}

// BucketEmpty reports whether bucket holds no objects.
func (s *Store) BucketEmpty(ctx context.Context, bucket string) (bool, error) { return false, errTODO }

// DeleteBucketData removes everything left of a deleted bucket.
func (s *Store) DeleteBucketData(ctx context.Context, bucket string) error { return errTODO }

// NewMultipartUpload starts an upload and returns its id.
func (s *Store) NewMultipartUpload(ctx context.Context, bucket, key string, opts PutOptions) (string, error) {
	return "", errTODO
}

// GetMultipartUpload describes an upload in progress.
func (s *Store) GetMultipartUpload(ctx context.Context, bucket, key, uploadID string) (MultipartInfo, error) {
	return MultipartInfo{}, errTODO
}

// PutObjectPart stores one part.
func (s *Store) PutObjectPart(ctx context.Context, bucket, key, uploadID string, partNumber int, r io.Reader, size int64, verify func(*PartInfo) error) (PartInfo, error) {
	return PartInfo{}, errTODO
}

// ListParts lists the parts after partNumberMarker.
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string, partNumberMarker, maxParts int) (ListPartsResult, error) {
	return ListPartsResult{}, errTODO
}

// CompleteMultipartUpload assembles the parts into the object.
func (s *Store) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart, verify func(*ObjectInfo) error) (ObjectInfo, error) {
	return ObjectInfo{}, errTODO
}

// AbortMultipartUpload removes an upload and its parts.
func (s *Store) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	return errTODO
}

// ListMultipartUploads lists uploads in progress.
func (s *Store) ListMultipartUploads(ctx context.Context, bucket, prefix, keyMarker, uploadIDMarker, delimiter string, maxUploads int) (ListUploadsResult, error) {
	return ListUploadsResult{}, errTODO
}

// CleanupStaleUploads aborts uploads initiated more than olderThan ago.
func (s *Store) CleanupStaleUploads(ctx context.Context, olderThan time.Duration) (int, error) {
	return 0, errTODO
}
