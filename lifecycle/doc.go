// Package lifecycle owns Tessera's bucket lifecycle expiry: the rule model,
// the S3 LifecycleConfiguration XML (parsed and validated as AWS accepts it,
// and written back for GetBucketLifecycleConfiguration), the JSON form kept
// in the replicated bucket metadata (raftfsm.Bucket.Lifecycle), the expiry
// computation, and the Scanner that deletes expired objects.
//
// # What is supported
//
// Only the Expiration action, by Days (at least 1) or by Date (midnight
// UTC). A rule selects objects by key prefix and/or object tags (Filter
// with Prefix, Tag or And; also the legacy top-level Prefix element). A
// bucket holds 1 to 1000 rules with unique IDs; IDs missing from a PUT are
// generated. Rules may overlap: an object's expiry is the earliest expiry of
// every enabled rule that matches it.
//
// Other actions (Transition, NoncurrentVersionTransition,
// NoncurrentVersionExpiration, AbortIncompleteMultipartUpload), an
// Expiration that has only ExpiredObjectDeleteMarker, and object-size
// filters (ObjectSizeGreaterThan, ObjectSizeLessThan) are refused with
// NotImplemented (HTTP 501) rather than InvalidArgument: the request is
// valid S3, Tessera just cannot honour it, and a 501 tells the client (and
// the person reading its error) exactly that; SDKs do not retry 501.
// Tessera has no object versioning, so there are no noncurrent versions or
// delete markers to act on, and incomplete multipart uploads are already
// aborted by the node's stale-upload sweep (node Config.StaleUploadAge).
// ExpiredObjectDeleteMarker false next to Days or Date asks for nothing and
// is accepted (and not written back); true next to them is
// InvalidArgument, as AWS answers.
//
// # Errors
//
// ParseXML returns a *ValidationError that unwraps to one of
// ErrMalformedXML, ErrInvalidArgument, ErrInvalidRequest, ErrInvalidTag or
// ErrNotImplemented; its Code is the S3 error code AWS answers with and its
// Message the text to send.
//
// # Expiry
//
// As AWS: a Days rule expires an object at modification time + Days,
// rounded up to the next midnight UTC (an object written on 2026-01-15 at
// any time, with Days 1, expires at 2026-01-17T00:00:00Z). A Date rule
// expires every object it matches once Date has passed, whenever the object
// was written.
//
// # Scanner
//
// The Scanner walks every bucket that has a lifecycle configuration, lists
// the objects under the rules' prefixes in pages, and deletes those whose
// expiry has passed. It runs on one node at a time: the node runs it only
// while it is the Raft leader (Config.IsLeader), and a scan stops between
// pages when leadership is lost. RunOnce calls on one Scanner never overlap.
//
// Between listing an object and deleting it, the Scanner reads the object's
// metadata again and deletes only when that fresh metadata is still
// expired, so an object overwritten since the listing is kept. A client
// overwriting the object in the instant between that check and the delete
// can still lose the new version (the store has no conditional delete);
// the window is one metadata read long.
//
// Deletes go to the object store directly: they are not S3 requests, are
// not authorized against IAM or bucket policies (the bucket's lifecycle
// configuration is the authority) and do not pass through Config.Observe.
//
// # Thread safety
//
// Configurations, rules and Expiry are plain values and pure functions,
// safe for concurrent use when not modified. A Scanner is safe for
// concurrent use.
package lifecycle
