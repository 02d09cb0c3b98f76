// Package admin serves Tessera's admin REST API on the S3 port under
// /_tessera/admin/v1/ (a prefix no bucket name can take): users, IAM
// policies and their attachments, and object ownership. Requests are signed
// with AWS SigV4 by a user's name (access key) and password (secret key);
// bodies and responses are JSON. The API is documented in docs/ADMIN-API.md.
//
// The package owns request parsing, validation and the role checks; the
// replicated state is raftfsm's, reached through the interfaces declared in
// api.go.
package admin
