package s3api

import (
	"github.com/valyala/fasthttp"
)

// opID identifies an S3 operation.
type opID uint8

// Operations, named as in the AWS S3 API reference.
const (
	opUnknown opID = iota
	opMethodNotAllowed
	opNotImplemented

	opListBuckets

	opCreateBucket
	opHeadBucket
	opDeleteBucket
	opGetBucketLocation
	opGetBucketTagging
	opPutBucketTagging
	opDeleteBucketTagging
	opListObjects
	opListObjectsV2
	opListObjectVersions
	opListMultipartUploads
	opDeleteObjects
	opGetBucketVersioning
	opGetBucketAcl
	opGetBucketPolicy
	opGetBucketPolicyStatus
	opGetBucketCors
	opDeleteBucketCors
	opGetBucketEncryption
	opDeleteBucketEncryption
	opGetBucketLifecycle
	opPutBucketLifecycle
	opDeleteBucketLifecycle
	opGetBucketWebsite
	opDeleteBucketWebsite
	opGetObjectLockConfiguration
	opGetBucketOwnershipControls
	opGetPublicAccessBlock
	opGetBucketLogging
	opGetBucketNotification
	opGetBucketReplication
	opGetBucketAccelerate
	opGetBucketRequestPayment
	opPutBucketPolicy
	opDeleteBucketPolicy

	opPutObject
	opCopyObject
	opGetObject
	opHeadObject
	opDeleteObject
	opGetObjectTagging
	opPutObjectTagging
	opDeleteObjectTagging
	opGetObjectAcl

	opCreateMultipartUpload
	opUploadPart
	opUploadPartCopy
	opCompleteMultipartUpload
	opAbortMultipartUpload
	opListParts

	numOps
)

// scope says what an operation addresses.
type scope uint8

const (
	scopeService scope = iota // no bucket ("/")
	scopeBucket
	scopeObject
)

// bodyKind says what request body an operation takes.
type bodyKind uint8

const (
	bodyNone   bodyKind = iota
	bodyXML             // small XML document, size-capped
	bodyStream          // object data
)

// opInfo describes an operation: its name, IAM action, scope and body.
type opInfo struct {
	name string
	// action is the IAM action authorized before the handler runs; ""
	// when the handler authorizes itself (DeleteObjects: per key).
	action string
	scope  scope
	body   bodyKind
}

// opTable describes every operation, indexed by opID.
var opTable = [numOps]opInfo{
	opUnknown:          {"Unknown", "", scopeService, bodyNone},
	opMethodNotAllowed: {"MethodNotAllowed", "", scopeService, bodyNone},
	opNotImplemented:   {"NotImplemented", "", scopeService, bodyStream},

	opListBuckets: {"ListBuckets", "s3:ListAllMyBuckets", scopeService, bodyNone},

	opCreateBucket:               {"CreateBucket", "s3:CreateBucket", scopeBucket, bodyXML},
	opHeadBucket:                 {"HeadBucket", "s3:ListBucket", scopeBucket, bodyNone},
	opDeleteBucket:               {"DeleteBucket", "s3:DeleteBucket", scopeBucket, bodyNone},
	opGetBucketLocation:          {"GetBucketLocation", "s3:GetBucketLocation", scopeBucket, bodyNone},
	opGetBucketTagging:           {"GetBucketTagging", "s3:GetBucketTagging", scopeBucket, bodyNone},
	opPutBucketTagging:           {"PutBucketTagging", "s3:PutBucketTagging", scopeBucket, bodyXML},
	opDeleteBucketTagging:        {"DeleteBucketTagging", "s3:PutBucketTagging", scopeBucket, bodyNone},
	opListObjects:                {"ListObjects", "s3:ListBucket", scopeBucket, bodyNone},
	opListObjectsV2:              {"ListObjectsV2", "s3:ListBucket", scopeBucket, bodyNone},
	opListObjectVersions:         {"ListObjectVersions", "s3:ListBucketVersions", scopeBucket, bodyNone},
	opListMultipartUploads:       {"ListMultipartUploads", "s3:ListBucketMultipartUploads", scopeBucket, bodyNone},
	opDeleteObjects:              {"DeleteObjects", "", scopeBucket, bodyXML},
	opGetBucketVersioning:        {"GetBucketVersioning", "s3:GetBucketVersioning", scopeBucket, bodyNone},
	opGetBucketAcl:               {"GetBucketAcl", "s3:GetBucketAcl", scopeBucket, bodyNone},
	opGetBucketPolicy:            {"GetBucketPolicy", "s3:GetBucketPolicy", scopeBucket, bodyNone},
	opGetBucketPolicyStatus:      {"GetBucketPolicyStatus", "s3:GetBucketPolicyStatus", scopeBucket, bodyNone},
	opGetBucketCors:              {"GetBucketCors", "s3:GetBucketCORS", scopeBucket, bodyNone},
	opDeleteBucketCors:           {"DeleteBucketCors", "s3:PutBucketCORS", scopeBucket, bodyNone},
	opGetBucketEncryption:        {"GetBucketEncryption", "s3:GetEncryptionConfiguration", scopeBucket, bodyNone},
	opDeleteBucketEncryption:     {"DeleteBucketEncryption", "s3:PutEncryptionConfiguration", scopeBucket, bodyNone},
	opGetBucketLifecycle:         {"GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration", scopeBucket, bodyNone},
	opPutBucketLifecycle:         {"PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration", scopeBucket, bodyXML},
	opDeleteBucketLifecycle:      {"DeleteBucketLifecycle", "s3:PutLifecycleConfiguration", scopeBucket, bodyNone},
	opGetBucketWebsite:           {"GetBucketWebsite", "s3:GetBucketWebsite", scopeBucket, bodyNone},
	opDeleteBucketWebsite:        {"DeleteBucketWebsite", "s3:DeleteBucketWebsite", scopeBucket, bodyNone},
	opGetObjectLockConfiguration: {"GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration", scopeBucket, bodyNone},
	opGetBucketOwnershipControls: {"GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", scopeBucket, bodyNone},
	opGetPublicAccessBlock:       {"GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", scopeBucket, bodyNone},
	opGetBucketLogging:           {"GetBucketLogging", "s3:GetBucketLogging", scopeBucket, bodyNone},
	opGetBucketNotification:      {"GetBucketNotificationConfiguration", "s3:GetBucketNotification", scopeBucket, bodyNone},
	opGetBucketReplication:       {"GetBucketReplication", "s3:GetReplicationConfiguration", scopeBucket, bodyNone},
	opGetBucketAccelerate:        {"GetBucketAccelerateConfiguration", "s3:GetAccelerateConfiguration", scopeBucket, bodyNone},
	opGetBucketRequestPayment:    {"GetBucketRequestPayment", "s3:GetBucketRequestPayment", scopeBucket, bodyNone},
	opPutBucketPolicy:            {"PutBucketPolicy", "s3:PutBucketPolicy", scopeBucket, bodyXML},
	opDeleteBucketPolicy:         {"DeleteBucketPolicy", "s3:DeleteBucketPolicy", scopeBucket, bodyNone},

	opPutObject:           {"PutObject", "s3:PutObject", scopeObject, bodyStream},
	opCopyObject:          {"CopyObject", "s3:PutObject", scopeObject, bodyNone},
	opGetObject:           {"GetObject", "s3:GetObject", scopeObject, bodyNone},
	opHeadObject:          {"HeadObject", "s3:GetObject", scopeObject, bodyNone},
	opDeleteObject:        {"DeleteObject", "s3:DeleteObject", scopeObject, bodyNone},
	opGetObjectTagging:    {"GetObjectTagging", "s3:GetObjectTagging", scopeObject, bodyNone},
	opPutObjectTagging:    {"PutObjectTagging", "s3:PutObjectTagging", scopeObject, bodyXML},
	opDeleteObjectTagging: {"DeleteObjectTagging", "s3:DeleteObjectTagging", scopeObject, bodyNone},
	opGetObjectAcl:        {"GetObjectAcl", "s3:GetObjectAcl", scopeObject, bodyNone},

	opCreateMultipartUpload:   {"CreateMultipartUpload", "s3:PutObject", scopeObject, bodyNone},
	opUploadPart:              {"UploadPart", "s3:PutObject", scopeObject, bodyStream},
	opUploadPartCopy:          {"UploadPartCopy", "s3:PutObject", scopeObject, bodyNone},
	opCompleteMultipartUpload: {"CompleteMultipartUpload", "s3:PutObject", scopeObject, bodyXML},
	opAbortMultipartUpload:    {"AbortMultipartUpload", "s3:AbortMultipartUpload", scopeObject, bodyNone},
	opListParts:               {"ListParts", "s3:ListMultipartUploadParts", scopeObject, bodyNone},
}

// opHandlers is the literal dispatch table, indexed by opID.
var opHandlers = [numOps]func(s *Server, r *request) (*response, error){

	opUnknown:          (*Server).notImplemented,
	opMethodNotAllowed: (*Server).methodNotAllowed,
	opNotImplemented:   (*Server).notImplemented,

	opListBuckets: (*Server).listBuckets,

	opCreateBucket:               (*Server).createBucket,
	opHeadBucket:                 (*Server).headBucket,
	opDeleteBucket:               (*Server).deleteBucket,
	opGetBucketLocation:          (*Server).getBucketLocation,
	opGetBucketTagging:           (*Server).getBucketTagging,
	opPutBucketTagging:           (*Server).putBucketTagging,
	opDeleteBucketTagging:        (*Server).deleteBucketTagging,
	opListObjects:                (*Server).listObjects,
	opListObjectsV2:              (*Server).listObjectsV2,
	opListObjectVersions:         (*Server).listObjectVersions,
	opListMultipartUploads:       (*Server).listMultipartUploads,
	opDeleteObjects:              (*Server).deleteObjects,
	opGetBucketVersioning:        (*Server).getBucketVersioning,
	opGetBucketAcl:               (*Server).getBucketAcl,
	opGetBucketPolicy:            (*Server).getBucketPolicy,
	opGetBucketPolicyStatus:      (*Server).getBucketPolicyStatus,
	opGetBucketCors:              (*Server).getBucketCors,
	opDeleteBucketCors:           (*Server).deleteBucketConfig,
	opGetBucketEncryption:        (*Server).getBucketEncryption,
	opDeleteBucketEncryption:     (*Server).deleteBucketConfig,
	opGetBucketLifecycle:         (*Server).getBucketLifecycle,
	opPutBucketLifecycle:         (*Server).putBucketLifecycle,
	opDeleteBucketLifecycle:      (*Server).deleteBucketLifecycle,
	opGetBucketWebsite:           (*Server).getBucketWebsite,
	opDeleteBucketWebsite:        (*Server).deleteBucketConfig,
	opGetObjectLockConfiguration: (*Server).getObjectLockConfiguration,
	opGetBucketOwnershipControls: (*Server).getBucketOwnershipControls,
	opGetPublicAccessBlock:       (*Server).getPublicAccessBlock,
	opGetBucketLogging:           (*Server).getBucketLogging,
	opGetBucketNotification:      (*Server).getBucketNotification,
	opGetBucketReplication:       (*Server).getBucketReplication,
	opGetBucketAccelerate:        (*Server).getBucketAccelerate,
	opGetBucketRequestPayment:    (*Server).getBucketRequestPayment,
	opPutBucketPolicy:            (*Server).putBucketPolicy,
	opDeleteBucketPolicy:         (*Server).deleteBucketPolicy,

	opPutObject:           (*Server).putObject,
	opCopyObject:          (*Server).copyObject,
	opGetObject:           (*Server).getObject,
	opHeadObject:          (*Server).headObject,
	opDeleteObject:        (*Server).deleteObject,
	opGetObjectTagging:    (*Server).getObjectTagging,
	opPutObjectTagging:    (*Server).putObjectTagging,
	opDeleteObjectTagging: (*Server).deleteObjectTagging,
	opGetObjectAcl:        (*Server).getObjectAcl,

	opCreateMultipartUpload:   (*Server).createMultipartUpload,
	opUploadPart:              (*Server).uploadPart,
	opUploadPartCopy:          (*Server).uploadPartCopy,
	opCompleteMultipartUpload: (*Server).completeMultipartUpload,
	opAbortMultipartUpload:    (*Server).abortMultipartUpload,
	opListParts:               (*Server).listParts,
}

// String returns the AWS operation name.
func (o opID) String() string {
	if o < numOps {
		return opTable[o].name
	}
	return "Unknown"
}

// Action returns the IAM action authorized for the operation.
func (o opID) action() string { return opTable[o].action }

// Subresources a bucket request may name that Tessera does not implement.
var unsupportedBucketSubresources = [...]string{
	"analytics", "intelligent-tiering", "inventory", "metrics", "object-lock",
	"ownershipControls", "publicAccessBlock", "logging", "notification",
	"replication", "accelerate", "requestPayment", "website", "cors",
	"lifecycle", "encryption", "policy", "acl", "versioning", "versions",
	"policyStatus", "metadataTable", "session",
}

// Subresources of objects that Tessera does not implement.
var unsupportedObjectSubresources = [...]string{
	"acl", "retention", "legal-hold", "torrent", "restore", "select",
	"attributes", "renameObject",
}

// classify returns the operation of a request from its method, whether it
// names a bucket and a key, its query and its headers. It does not
// allocate.
func classify(h *fasthttp.RequestHeader, q *fasthttp.Args, hasBucket, hasKey bool) opID {
	m := h.Method()
	switch {
	case !hasBucket:
		if string(m) == fasthttp.MethodGet {
			return opListBuckets
		}
		return opMethodNotAllowed
	case !hasKey:
		return classifyBucket(m, h, q)
	default:
		return classifyObject(m, h, q)
	}
}

func classifyBucket(m []byte, h *fasthttp.RequestHeader, q *fasthttp.Args) opID {
	switch string(m) {
	case fasthttp.MethodGet:
		if q.Len() == 0 {
			return opListObjects
		}
		switch {
		case q.Has("list-type"):
			if string(q.Peek("list-type")) == "2" {
				return opListObjectsV2
			}
			return opListObjects
		case q.Has("location"):
			return opGetBucketLocation
		case q.Has("tagging"):
			return opGetBucketTagging
		case q.Has("uploads"):
			return opListMultipartUploads
		case q.Has("versioning"):
			return opGetBucketVersioning
		case q.Has("versions"):
			return opListObjectVersions
		case q.Has("acl"):
			return opGetBucketAcl
		case q.Has("policy"):
			return opGetBucketPolicy
		case q.Has("policyStatus"):
			return opGetBucketPolicyStatus
		case q.Has("cors"):
			return opGetBucketCors
		case q.Has("encryption"):
			return opGetBucketEncryption
		case q.Has("lifecycle"):
			return opGetBucketLifecycle
		case q.Has("website"):
			return opGetBucketWebsite
		case q.Has("object-lock"):
			return opGetObjectLockConfiguration
		case q.Has("ownershipControls"):
			return opGetBucketOwnershipControls
		case q.Has("publicAccessBlock"):
			return opGetPublicAccessBlock
		case q.Has("logging"):
			return opGetBucketLogging
		case q.Has("notification"):
			return opGetBucketNotification
		case q.Has("replication"):
			return opGetBucketReplication
		case q.Has("accelerate"):
			return opGetBucketAccelerate
		case q.Has("requestPayment"):
			return opGetBucketRequestPayment
		}
		if hasAny(q, unsupportedBucketSubresources[:]) {
			return opNotImplemented
		}
		return opListObjects
	case fasthttp.MethodHead:
		return opHeadBucket
	case fasthttp.MethodPut:
		if q.Len() == 0 {
			return opCreateBucket
		}
		if q.Has("tagging") {
			return opPutBucketTagging
		}
		if q.Has("policy") {
			return opPutBucketPolicy
		}
		if q.Has("lifecycle") {
			return opPutBucketLifecycle
		}
		if hasAny(q, unsupportedBucketSubresources[:]) {
			return opNotImplemented
		}
		return opCreateBucket
	case fasthttp.MethodDelete:
		if q.Len() == 0 {
			return opDeleteBucket
		}
		switch {
		case q.Has("tagging"):
			return opDeleteBucketTagging
		case q.Has("policy"):
			return opDeleteBucketPolicy
		case q.Has("cors"):
			return opDeleteBucketCors
		case q.Has("encryption"):
			return opDeleteBucketEncryption
		case q.Has("lifecycle"):
			return opDeleteBucketLifecycle
		case q.Has("website"):
			return opDeleteBucketWebsite
		}
		if hasAny(q, unsupportedBucketSubresources[:]) {
			return opNotImplemented
		}
		return opDeleteBucket
	case fasthttp.MethodPost:
		if q.Has("delete") {
			return opDeleteObjects
		}
		return opNotImplemented
	}
	return opMethodNotAllowed
}

func classifyObject(m []byte, h *fasthttp.RequestHeader, q *fasthttp.Args) opID {
	switch string(m) {
	case fasthttp.MethodGet:
		if q.Len() == 0 {
			return opGetObject
		}
		switch {
		case q.Has("uploadId"):
			return opListParts
		case q.Has("tagging"):
			return opGetObjectTagging
		case q.Has("acl"):
			return opGetObjectAcl
		}
		if hasAny(q, unsupportedObjectSubresources[:]) {
			return opNotImplemented
		}
		return opGetObject
	case fasthttp.MethodHead:
		return opHeadObject
	case fasthttp.MethodPut:
		copySrc := len(h.Peek("x-amz-copy-source")) > 0
		if q.Len() == 0 {
			if copySrc {
				return opCopyObject
			}
			return opPutObject
		}
		switch {
		case q.Has("partNumber") && q.Has("uploadId"):
			if copySrc {
				return opUploadPartCopy
			}
			return opUploadPart
		case q.Has("tagging"):
			return opPutObjectTagging
		}
		if hasAny(q, unsupportedObjectSubresources[:]) {
			return opNotImplemented
		}
		if copySrc {
			return opCopyObject
		}
		return opPutObject
	case fasthttp.MethodDelete:
		switch {
		case q.Has("uploadId"):
			return opAbortMultipartUpload
		case q.Has("tagging"):
			return opDeleteObjectTagging
		}
		if hasAny(q, unsupportedObjectSubresources[:]) {
			return opNotImplemented
		}
		return opDeleteObject
	case fasthttp.MethodPost:
		switch {
		case q.Has("uploads"):
			return opCreateMultipartUpload
		case q.Has("uploadId"):
			return opCompleteMultipartUpload
		}
		return opNotImplemented
	}
	return opMethodNotAllowed
}

func hasAny(q *fasthttp.Args, names []string) bool {
	for _, n := range names {
		if q.Has(n) {
			return true
		}
	}
	return false
}
