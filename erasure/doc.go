// Package erasure owns Tessera's object data on a node's drives: it
// stripes every object with Reed-Solomon (klauspost/reedsolomon) over an
// erasure set of drives, places data and parity shards by a hash of
// bucket/key, writes and reads with quorums, checks every shard block with
// xxhash64 (bitrot), and heals missing or corrupt shards on read and on
// demand.
//
// A Store is opened over drive folders (Config.Drives). Each drive holds a
// format file, an ordered group-committed metadata store (pebble) with the
// object and multipart records of that drive, and shard files of larger
// objects under folders named only by generated ids. Objects up to
// Config.InlineThreshold live entirely in the metadata records.
//
// The Store logic (quorum, encode, decode, heal) talks to drives only
// through the internal shardStore interface, so a drive of another node can
// later implement it over the network.
//
// All Store methods are safe for concurrent use. An Object (from
// OpenObject) is used by one goroutine and must be closed.
//
// See DESIGN.md for the on-disk layout, record formats, invariants, what
// runs concurrently with what, and failure modes.
package erasure
