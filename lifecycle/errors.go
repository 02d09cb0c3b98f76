package lifecycle

import "errors"

// Errors. A *ValidationError from ParseXML unwraps to one of the first
// five; match with errors.Is.
var (
	// ErrMalformedXML: the document is not well-formed or breaks the S3
	// schema (unknown or repeated elements, bad Status, no or too many
	// rules, Filter with more than one predicate, ...). S3 code
	// MalformedXML.
	ErrMalformedXML = errors.New("lifecycle: malformed configuration")
	// ErrInvalidArgument: a value is out of range (Days < 1, Date not at
	// midnight UTC, ID too long, duplicate IDs). S3 code InvalidArgument.
	ErrInvalidArgument = errors.New("lifecycle: invalid argument")
	// ErrInvalidRequest: a rule has no action, repeats a tag key, or has
	// a prefix that is too long. S3 code InvalidRequest.
	ErrInvalidRequest = errors.New("lifecycle: invalid request")
	// ErrInvalidTag: a filter tag key or value is empty, too long or not
	// UTF-8. S3 code InvalidTag.
	ErrInvalidTag = errors.New("lifecycle: invalid tag")
	// ErrNotImplemented: a valid S3 lifecycle feature Tessera does not
	// support (any action but Expiration, object-size filters,
	// ExpiredObjectDeleteMarker). S3 code NotImplemented (HTTP 501).
	ErrNotImplemented = errors.New("lifecycle: not implemented")

	// ErrBadStoredConfig: a stored (JSON) configuration cannot be decoded
	// or breaks the model's invariants.
	ErrBadStoredConfig = errors.New("lifecycle: bad stored configuration")
	// ErrInvalidConfig is wrapped by Config.Validate errors.
	ErrInvalidConfig = errors.New("lifecycle: invalid scanner config")
	// ErrNotLeader: the scan was skipped or stopped because this node is
	// no longer the Raft leader (Config.IsLeader returned false).
	ErrNotLeader = errors.New("lifecycle: not the leader")
)

// S3 error codes carried by ValidationError.Code.
const (
	CodeMalformedXML    = "MalformedXML"
	CodeInvalidArgument = "InvalidArgument"
	CodeInvalidRequest  = "InvalidRequest"
	CodeInvalidTag      = "InvalidTag"
	CodeNotImplemented  = "NotImplemented"
)

// msgMalformed is AWS's message for MalformedXML.
const msgMalformed = "The XML you provided was not well-formed or did not validate against our published schema"

// ValidationError says why a lifecycle configuration was refused, in S3
// terms: Code is the S3 error code and Message the text AWS answers with
// (or, for what AWS does not do, a message in its style). Rule is the
// 1-based position of the offending rule, 0 for the document as a whole.
type ValidationError struct {
	Code    string
	Message string
	Rule    int
	kind    error
}

// Error implements error.
func (e *ValidationError) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the sentinel of the error's Code (ErrMalformedXML, ...).
func (e *ValidationError) Unwrap() error { return e.kind }

func malformed(rule int, detail string) *ValidationError {
	msg := msgMalformed
	if detail != "" {
		msg += " (" + detail + ")"
	}
	return &ValidationError{Code: CodeMalformedXML, Message: msg, Rule: rule, kind: ErrMalformedXML}
}

func invalidArgument(rule int, msg string) *ValidationError {
	return &ValidationError{Code: CodeInvalidArgument, Message: msg, Rule: rule, kind: ErrInvalidArgument}
}

func invalidRequest(rule int, msg string) *ValidationError {
	return &ValidationError{Code: CodeInvalidRequest, Message: msg, Rule: rule, kind: ErrInvalidRequest}
}

func invalidTag(rule int, msg string) *ValidationError {
	return &ValidationError{Code: CodeInvalidTag, Message: msg, Rule: rule, kind: ErrInvalidTag}
}

func notImplemented(rule int, msg string) *ValidationError {
	return &ValidationError{Code: CodeNotImplemented, Message: msg, Rule: rule, kind: ErrNotImplemented}
}
