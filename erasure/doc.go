// Package erasure owns Tessera's object data on a node's drives: it
// stripes every object with Reed-Solomon (klauspost/reedsolomon) over an
// erasure set of drives, places data and parity shards by a hash of
// bucket/key, writes and reads with quorums, checks every shard block with
// xxhash64 (bitrot), and heals missing or corrupt shards on read and on
// demand.
//
// A Store is opened over drive folders (Config.Drives), or over a
// cluster's global drive list (Config.Endpoints). Each drive holds a
// format file, an ordered group-committed metadata store (pebble) with the
// object and multipart records of that drive, and shard files of larger
// objects under folders named only by generated ids. Objects up to
// Config.InlineThreshold live entirely in the metadata records.
//
// The Store logic (quorum, encode, decode, heal) talks to drives only
// through the internal shardStore interface. In a cluster every node opens
// the same global drive list (Config.Endpoints): its own drives are local
// folders, the other nodes' drives are reached over the cluster port
// through their DriveServer (a framed protocol over the authenticated
// mux) with pooled connections, streamed shard data, bounded timeouts and
// offline peers skipped until they answer again.
//
// All Store methods are safe for concurrent use. An Object (from
// OpenObject) is used by one goroutine and must be closed.
//
// See DESIGN.md for the on-disk layout, record formats, invariants, what
// runs concurrently with what, and failure modes.
package erasure
