// Package checksum owns the S3 additional checksums (x-amz-checksum-*):
// CRC32 (IEEE), CRC32C (Castagnoli), CRC64NVME, SHA1 and SHA256.
//
// It names the algorithms and parses them from header names
// ("x-amz-checksum-crc32c") and from x-amz-sdk-checksum-algorithm values
// ("CRC32C"); builds their hash.Hash; encodes and decodes the base64 values
// S3 sends on the wire; and derives the checksum of a multipart object from
// its parts, either COMPOSITE (the checksum of the concatenated raw part
// checksums, suffixed "-N") or FULL_OBJECT (the CRC of the whole object,
// combined from the part CRCs and sizes without reading the data again).
//
// CRC64NVME is the reflected CRC-64 with polynomial 0x9a6c9329ac4bc9b5,
// initial value and final xor all ones, as the AWS SDKs compute it; this
// package carries its own slicing-by-8 tables because hash/crc64 rebuilds
// its helper table on every large write for non-standard polynomials.
//
// Everything here is a pure function or an immutable value and safe for
// concurrent use; a hash.Hash returned by New is not.
package checksum
