// Package s3api serves the S3 REST API over fasthttp.
//
// It owns the request pipeline of every S3 call: routing (classifying the
// operation from method, path, query and headers, path-style or
// virtual-hosted-style), authentication through the sigv4 package,
// resolution of the caller's Identity through Credentials, authorization of
// the operation's IAM action through an Authorizer, the per-operation
// handlers, and the single writer of responses and S3 XML errors (from the
// s3err table).
//
// It does not own storage or metadata: objects live behind the Objects
// interface (satisfied by *erasure.Store), buckets behind Buckets (satisfied
// by the Raft-backed bucket store), and identities and policies behind
// Credentials and Authorizer, all supplied by the node through Deps.
//
// Layout: one file per resource and verb (bucket_create.go,
// object_get.go, multipart_complete.go, ...). Each handler takes the pooled
// per-request state and returns a *response or an error; writeResponse and
// writeError are the only functions that write to the wire. Request-scoped
// state is pooled and never outlives the fasthttp handler call; response
// bodies that stream object data are handed to fasthttp, which closes them.
//
// A Server is safe for concurrent use by many fasthttp workers.
package s3api
