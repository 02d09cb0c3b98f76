// Package iam parses and evaluates AWS-style IAM policies for Tessera:
// identity policies (attached to users, STS sessions and service
// accounts) and bucket policies. It is pure: no I/O, no globals that
// change, no clock (time comes in Request.Now).
//
// It owns:
//
//   - the policy grammar: Parse checks a document against AWS's rules
//     (case-sensitive element names and Effect values, Version
//     "2012-10-17" or "2008-10-17", Statement as an object or array,
//     Action/NotAction, Resource/NotResource, Principal/NotPrincipal for
//     bucket policies only, Condition) and a size limit, and returns a
//     *PolicyError naming the statement and the problem, which unwraps to
//     ErrMalformedPolicy;
//   - the action table (LookupAction, Actions, ActionForOperation): every
//     S3 action a policy may name, its resource level, and which action
//     authorizes each S3 API operation;
//   - the condition keys it understands (ConditionKeys, ConditionKey) and
//     the condition operators (String*, Numeric*, Date*, Bool, IpAddress,
//     NotIpAddress, Arn*, BinaryEquals, Null, the IfExists suffix and the
//     ForAnyValue:/ForAllValues: set qualifiers);
//   - evaluation: Policy.Evaluate, Decide (Deny wins, then Allow, else
//     implicit deny), DecideIntersect, Union and Intersect for combining
//     identity, session and bucket policies;
//   - the built-in policies: Predefined (readonly, writeonly, readwrite)
//     and CannedBucketPolicy (none, download, upload, public).
//
// It does not own where policies are stored or which policies apply to a
// caller: the replicated state (raftfsm) stores documents, and the S3
// layer's Authorizer collects a caller's policies, builds the Request and
// maps decisions to S3 errors.
//
// # Parsing
//
// Documents are decoded by a small JSON decoder of this package (checked
// against encoding/json by a fuzz target) so that Parse can reject
// duplicated member names (two "Effect" members would otherwise mean
// whichever one a JSON library keeps) and report syntax errors as
// "invalid JSON at offset N: ..." with N the 0-based offset of the
// offending byte. Element names, Effect values and condition operator
// names are case-sensitive, as in AWS; action names and condition keys are
// not. Identity policies are limited to Config.MaxPolicySize bytes (2048
// by default), bucket policies to Config.MaxBucketPolicySize (20 KiB, as
// AWS S3).
//
// # Compilation
//
// Parse does all the work it can: actions are resolved to a bitset over
// the action table (wildcards expanded once, case-insensitively),
// resources and StringLike values are compiled into wildcard patterns
// split at '*', and numbers, dates, CIDR blocks, booleans and base64
// values are parsed. Evaluate then does no parsing and, for ordinary
// requests, no allocation. Parse is much slower than Evaluate, so callers
// should cache *Policy values (for example keyed by the document text).
//
// # Semantics
//
// Matching follows AWS: actions are case-insensitive, resources and
// StringLike values are case-sensitive, '*' matches any run of characters
// (including '/'), '?' one character. In Version 2012-10-17 documents,
// Resource and string/ARN Condition values may use policy variables
// (${aws:username}, ${s3:prefix}, any single-valued supported key, with
// an optional default: ${aws:username, 'nobody'}) and the escapes ${*},
// ${?} and ${$}. A variable's value is matched literally (a '*' in a user
// name is not a wildcard). A Resource whose variable has no value matches
// nothing; a Condition value whose variable has no value equals nothing,
// and a negated operator with such a value is false.
//
// Within a Condition, operators are ANDed, keys within an operator are
// ANDed, and values for a key are ORed (negated operators: NOR). A
// missing key makes a condition false, except that negated operators are
// then true, ...IfExists operators are true, ForAllValues is true and
// ForAnyValue is false. Under ForAnyValue/ForAllValues a negated
// operator is applied to each request value (ForAllValues:StringNotLike
// holds when no request value is like any policy value).
//
// All exported functions and *Policy methods are safe for concurrent
// use.
package iam
