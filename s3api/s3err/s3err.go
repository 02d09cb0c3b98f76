// Package s3err holds the one table of S3 API errors: code, message and HTTP
// status. Every S3 error Tessera returns comes from this table, so that the
// code, the message and the status always agree with AWS.
//
// Values are immutable and safe for concurrent use; WithMessage returns a copy.
package s3err

import "net/http"

// Error is an S3 API error as AWS returns it in the <Error> XML body.
type Error struct {
	// Code is the S3 error code, e.g. "NoSuchKey".
	Code string
	// Message is the human-readable description.
	Message string
	// HTTPStatus is the response status code.
	HTTPStatus int
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, s3err.ErrNoSuchKey) matches copies made by WithMessage.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// WithMessage returns a copy of e with another message.
func (e *Error) WithMessage(msg string) *Error {
	c := *e
	c.Message = msg
	return &c
}

// The table. Messages follow AWS's wording.
var (
	ErrAccessDenied                       = &Error{"AccessDenied", "Access Denied", http.StatusForbidden}
	ErrAccountProblem                     = &Error{"AccountProblem", "There is a problem with your AWS account that prevents the operation from completing successfully.", http.StatusForbidden}
	ErrAuthorizationHeaderMalformed       = &Error{"AuthorizationHeaderMalformed", "The authorization header is malformed.", http.StatusBadRequest}
	ErrAuthorizationQueryParametersError  = &Error{"AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter.", http.StatusBadRequest}
	ErrBadDigest                          = &Error{"BadDigest", "The Content-MD5 you specified did not match what we received.", http.StatusBadRequest}
	ErrBucketAlreadyExists                = &Error{"BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.", http.StatusConflict}
	ErrBucketAlreadyOwnedByYou            = &Error{"BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", http.StatusConflict}
	ErrBucketNotEmpty                     = &Error{"BucketNotEmpty", "The bucket you tried to delete is not empty", http.StatusConflict}
	ErrEntityTooLarge                     = &Error{"EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.", http.StatusBadRequest}
	ErrEntityTooSmall                     = &Error{"EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.", http.StatusBadRequest}
	ErrExpiredToken                       = &Error{"ExpiredToken", "The provided token has expired.", http.StatusBadRequest}
	ErrIllegalLocationConstraintException = &Error{"IllegalLocationConstraintException", "The specified location-constraint is not valid for this request.", http.StatusBadRequest}
	ErrIncompleteBody                     = &Error{"IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.", http.StatusBadRequest}
	ErrInternalError                      = &Error{"InternalError", "We encountered an internal error. Please try again.", http.StatusInternalServerError}
	ErrInvalidAccessKeyID                 = &Error{"InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", http.StatusForbidden}
	ErrInvalidArgument                    = &Error{"InvalidArgument", "Invalid Argument", http.StatusBadRequest}
	ErrInvalidBucketName                  = &Error{"InvalidBucketName", "The specified bucket is not valid.", http.StatusBadRequest}
	ErrInvalidBucketState                 = &Error{"InvalidBucketState", "The request is not valid with the current state of the bucket.", http.StatusConflict}
	ErrInvalidDigest                      = &Error{"InvalidDigest", "The Content-MD5 you specified is not valid.", http.StatusBadRequest}
	ErrInvalidEncodingMethod              = &Error{"InvalidArgument", "Invalid Encoding Method specified in Request", http.StatusBadRequest}
	ErrInvalidMaxKeys                     = &Error{"InvalidArgument", "Argument maxKeys must be an integer between 0 and 2147483647", http.StatusBadRequest}
	ErrInvalidMaxParts                    = &Error{"InvalidArgument", "Argument max-parts must be an integer between 0 and 2147483647", http.StatusBadRequest}
	ErrInvalidMaxUploads                  = &Error{"InvalidArgument", "Argument max-uploads must be an integer between 0 and 2147483647", http.StatusBadRequest}
	ErrInvalidPart                        = &Error{"InvalidPart", "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.", http.StatusBadRequest}
	ErrInvalidPartNumber                  = &Error{"InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", http.StatusBadRequest}
	ErrInvalidPartOrder                   = &Error{"InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.", http.StatusBadRequest}
	ErrInvalidRange                       = &Error{"InvalidRange", "The requested range is not satisfiable", http.StatusRequestedRangeNotSatisfiable}
	ErrInvalidRequest                     = &Error{"InvalidRequest", "Invalid Request", http.StatusBadRequest}
	ErrInvalidStorageClass                = &Error{"InvalidStorageClass", "The storage class you specified is not valid", http.StatusBadRequest}
	ErrInvalidTag                         = &Error{"InvalidTag", "The TagKey you have provided is invalid", http.StatusBadRequest}
	ErrInvalidToken                       = &Error{"InvalidToken", "The provided token is malformed or otherwise invalid.", http.StatusBadRequest}
	ErrKeyTooLong                         = &Error{"KeyTooLongError", "Your key is too long", http.StatusBadRequest}
	ErrMalformedDate                      = &Error{"AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", http.StatusForbidden}
	ErrMalformedPolicy                    = &Error{"MalformedPolicy", "Policy has invalid resource.", http.StatusBadRequest}
	ErrMalformedXML                       = &Error{"MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.", http.StatusBadRequest}
	ErrMaxMessageLengthExceeded           = &Error{"MaxMessageLengthExceeded", "Your request was too big.", http.StatusBadRequest}
	ErrMetadataTooLarge                   = &Error{"MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.", http.StatusBadRequest}
	ErrMethodNotAllowed                   = &Error{"MethodNotAllowed", "The specified method is not allowed against this resource.", http.StatusMethodNotAllowed}
	ErrMissingContentLength               = &Error{"MissingContentLength", "You must provide the Content-Length HTTP header.", http.StatusLengthRequired}
	ErrMissingRequestBodyError            = &Error{"MissingRequestBodyError", "Request Body is empty.", http.StatusBadRequest}
	ErrMissingSecurityHeader              = &Error{"MissingSecurityHeader", "Your request was missing a required header", http.StatusBadRequest}
	ErrNoSuchBucket                       = &Error{"NoSuchBucket", "The specified bucket does not exist", http.StatusNotFound}
	ErrNoSuchBucketPolicy                 = &Error{"NoSuchBucketPolicy", "The bucket policy does not exist", http.StatusNotFound}
	ErrNoSuchKey                          = &Error{"NoSuchKey", "The specified key does not exist.", http.StatusNotFound}
	ErrNoSuchLifecycleConfiguration       = &Error{"NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", http.StatusNotFound}
	ErrNoSuchTagSet                       = &Error{"NoSuchTagSet", "The TagSet does not exist", http.StatusNotFound}
	ErrNoSuchUpload                       = &Error{"NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", http.StatusNotFound}
	ErrNotImplemented                     = &Error{"NotImplemented", "A header you provided implies functionality that is not implemented", http.StatusNotImplemented}
	ErrPreconditionFailed                 = &Error{"PreconditionFailed", "At least one of the pre-conditions you specified did not hold", http.StatusPreconditionFailed}
	ErrRequestTimeTooSkewed               = &Error{"RequestTimeTooSkewed", "The difference between the request time and the server's time is too large.", http.StatusForbidden}
	ErrServiceUnavailable                 = &Error{"ServiceUnavailable", "Please reduce your request rate.", http.StatusServiceUnavailable}
	ErrSignatureDoesNotMatch              = &Error{"SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", http.StatusForbidden}
	ErrSlowDown                           = &Error{"SlowDown", "Please reduce your request rate.", http.StatusServiceUnavailable}
	ErrTooManyBuckets                     = &Error{"TooManyBuckets", "You have attempted to create more buckets than allowed", http.StatusBadRequest}
	ErrXAmzContentSHA256Mismatch          = &Error{"XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", http.StatusBadRequest}
	ErrXAmzContentChecksumMismatch        = &Error{"BadDigest", "The checksum you specified did not match the calculated checksum.", http.StatusBadRequest}
	ErrInvalidChecksum                    = &Error{"InvalidRequest", "Value for x-amz-checksum header is invalid.", http.StatusBadRequest}
	ErrUnsupportedSignature               = &Error{"InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.", http.StatusBadRequest}
	ErrExpiredPresignRequest              = &Error{"AccessDenied", "Request has expired", http.StatusForbidden}
	ErrPresignTooLong                     = &Error{"AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is 604800", http.StatusBadRequest}
	ErrNotModified                        = &Error{"NotModified", "Not Modified", http.StatusNotModified}
	ErrInvalidCopySource                  = &Error{"InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey", http.StatusBadRequest}
	ErrInvalidCopyDest                    = &Error{"InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.", http.StatusBadRequest}
	ErrInvalidMetadataDirective           = &Error{"InvalidArgument", "Unknown metadata directive.", http.StatusBadRequest}
	ErrInvalidTaggingDirective            = &Error{"InvalidArgument", "Unknown tagging directive.", http.StatusBadRequest}
	ErrBadRequest                         = &Error{"BadRequest", "400 BadRequest", http.StatusBadRequest}
)

// Codes added by s3api for operations it answers.
var (
	ErrInvalidURI                                = &Error{"InvalidURI", "Couldn't parse the specified URI.", http.StatusBadRequest}
	ErrNoSuchVersion                             = &Error{"NoSuchVersion", "The specified version does not exist.", http.StatusNotFound}
	ErrPartNumberNotSatisfiable                  = &Error{"InvalidPartNumber", "The requested partnumber is not satisfiable", http.StatusRequestedRangeNotSatisfiable}
	ErrInvalidLocationConstraint                 = &Error{"InvalidLocationConstraint", "The specified location-constraint is not valid", http.StatusBadRequest}
	ErrNoSuchCORSConfiguration                   = &Error{"NoSuchCORSConfiguration", "The CORS configuration does not exist", http.StatusNotFound}
	ErrNoSuchWebsiteConfiguration                = &Error{"NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration", http.StatusNotFound}
	ErrObjectLockConfigurationNotFound           = &Error{"ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket", http.StatusNotFound}
	ErrOwnershipControlsNotFound                 = &Error{"OwnershipControlsNotFoundError", "The bucket ownership controls were not found", http.StatusNotFound}
	ErrReplicationConfigurationNotFound          = &Error{"ReplicationConfigurationNotFoundError", "The replication configuration was not found", http.StatusNotFound}
	ErrNoSuchPublicAccessBlockConfiguration      = &Error{"NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", http.StatusNotFound}
	ErrServerSideEncryptionConfigurationNotFound = &Error{"ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found", http.StatusNotFound}
)
