// Package node builds and wires one Tessera node: it loads and validates the
// configuration, opens the drives (erasure), starts Raft (raftfsm), sets up
// the root credentials, serves the S3 API (s3api) over fasthttp and shuts it
// all down gracefully. Nothing imports node; cmd/tessera and tests do.
package node
