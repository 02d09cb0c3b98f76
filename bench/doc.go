// Package bench owns Tessera's load generator: workloads that drive any S3
// endpoint (Tessera or another S3 server) and the reports of their runs.
//
// A run is described by a Config and started with Run, which prepares the
// endpoint (bucket, objects, users), drives the workload from
// Config.Concurrency workers for Config.Duration or Config.Ops steps, and
// returns a Result: per S3 operation counts, bytes, errors by S3 error code
// or transport failure, latency histograms (a log-linear Histogram with
// better than 1% precision), throughput over time, and the harness's own CPU
// use. Results are written as a summary table (Result.WriteSummary), JSON
// (WriteJSON/ReadResult), a self-contained HTML report with inline SVG
// charts (Result.WriteHTML), and compared side by side (Compare).
//
// The client is lean on purpose so that the generator's own cost stays low:
// one fasthttp.HostClient per run, one reused request/response pair per
// worker, SigV4 signing with aws-sdk-go-v2's signer and UNSIGNED-PAYLOAD
// bodies, object paths computed once, and request bodies sliced from one
// shared pre-generated random buffer. NoopServer is an S3 responder that
// stores nothing and checks no signature: a run against it shows the
// generator's ceiling on a machine.
//
// The workloads (put, get, mixed, list, multipart, delete, sts, auth) are
// small types behind one unexported interface; see workload.go.
//
// RunSuite is what `make bench` runs (`tessera bench suite`): on a shared,
// noisy machine every figure is judged as a ratio to a baseline measured in
// the same run, just before it: the data dir's disk (MeasureDisk), MD5 and
// Reed-Solomon throughput (MeasureMD5, MeasureRS), and the no-op server's
// rates, the latter and the node under test each in a child process so
// that their CPU is counted apart from the harness's. A SuiteResult holds
// the baselines, the figures with their targets, every load run with the
// server's and the machine's CPU use, and optional CPU profiles of the
// node; ParseGoBench and MicroFigures add the hot-path `go test -bench`
// results (SigV4, policy evaluation, auth lookup, snapshots) to it.
package bench
