package iam

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformedPolicy is the sentinel every *PolicyError unwraps to. The
	// S3 layer maps it to MalformedPolicy, the admin API to a 400 carrying
	// the error's message.
	ErrMalformedPolicy = errors.New("malformed policy")

	// ErrUnknownPolicy is returned for a canned bucket policy or
	// pre-defined policy name that does not exist.
	ErrUnknownPolicy = errors.New("unknown policy name")

	// ErrInvalidBucketName is returned by CannedBucketPolicy for a bucket
	// name that breaks the naming rules (3-63 characters of a-z, 0-9, '.'
	// and '-', beginning and ending with a letter or digit, not an IP
	// address).
	ErrInvalidBucketName = errors.New("invalid bucket name")

	// ErrInvalidConfig is wrapped by Config.Validate errors.
	ErrInvalidConfig = errors.New("invalid iam config")
)

// PolicyError says what is wrong with a policy document. It unwraps to
// ErrMalformedPolicy. Its Error text is meant for people (admin API
// responses, CLI output), e.g.
//
//	statement 2: unknown action "s3:GetObjekt"
type PolicyError struct {
	// Statement is the 1-based position of the offending statement in the
	// document's Statement array (1 for a lone statement object), or 0 when
	// the problem is with the document as a whole.
	Statement int
	// Field is the policy element at fault ("Effect", "Action",
	// "Condition", ...), or "" for document-level problems such as size or
	// JSON syntax.
	Field string
	// Msg describes the problem.
	Msg string
}

// Error returns "statement N: Msg", or Msg alone for document-level errors.
func (e *PolicyError) Error() string {
	if e.Statement > 0 {
		return fmt.Sprintf("statement %d: %s", e.Statement, e.Msg)
	}
	return e.Msg
}

// Unwrap returns ErrMalformedPolicy.
func (e *PolicyError) Unwrap() error { return ErrMalformedPolicy }

// perr builds a *PolicyError.
func perr(stmt int, field, format string, args ...any) *PolicyError {
	return &PolicyError{Statement: stmt, Field: field, Msg: fmt.Sprintf(format, args...)}
}
