package iam

import "strings"

// Level says which resource an action is authorized against.
type Level uint8

const (
	// LevelService actions (s3:ListAllMyBuckets) act on no bucket; their
	// resource is "arn:aws:s3:::*" (ResourceARN("", "")).
	LevelService Level = iota + 1
	// LevelBucket actions act on "arn:aws:s3:::BUCKET".
	LevelBucket
	// LevelObject actions act on "arn:aws:s3:::BUCKET/KEY".
	LevelObject
)

// String returns "service", "bucket" or "object".
func (l Level) String() string {
	switch l {
	case LevelService:
		return "service"
	case LevelBucket:
		return "bucket"
	case LevelObject:
		return "object"
	}
	return "unknown"
}

// ActionInfo describes one known action.
type ActionInfo struct {
	// Name is the canonical spelling, e.g. "s3:GetObject".
	Name string
	// Level is the resource level the action is authorized against.
	Level Level
}

// actionTable lists every action a policy may name exactly: the S3 actions
// AWS defines for buckets and objects (so AWS policies paste unchanged)
// and sts:AssumeRole. Names are matched case-insensitively. The order is
// the bit order of actionSet; append only.
var actionTable = [...]ActionInfo{
	// Service level.
	{"s3:ListAllMyBuckets", LevelService},
	{"s3:GetAccountPublicAccessBlock", LevelService},
	{"s3:PutAccountPublicAccessBlock", LevelService},
	{"sts:AssumeRole", LevelService},

	// Bucket level.
	{"s3:CreateBucket", LevelBucket},
	{"s3:DeleteBucket", LevelBucket},
	{"s3:ListBucket", LevelBucket},
	{"s3:ListBucketVersions", LevelBucket},
	{"s3:ListBucketMultipartUploads", LevelBucket},
	{"s3:GetBucketLocation", LevelBucket},
	{"s3:GetBucketPolicy", LevelBucket},
	{"s3:PutBucketPolicy", LevelBucket},
	{"s3:DeleteBucketPolicy", LevelBucket},
	{"s3:GetBucketPolicyStatus", LevelBucket},
	{"s3:GetBucketTagging", LevelBucket},
	{"s3:PutBucketTagging", LevelBucket},
	{"s3:GetBucketAcl", LevelBucket},
	{"s3:PutBucketAcl", LevelBucket},
	{"s3:GetBucketVersioning", LevelBucket},
	{"s3:PutBucketVersioning", LevelBucket},
	{"s3:GetBucketCORS", LevelBucket},
	{"s3:PutBucketCORS", LevelBucket},
	{"s3:GetEncryptionConfiguration", LevelBucket},
	{"s3:PutEncryptionConfiguration", LevelBucket},
	{"s3:GetBucketObjectLockConfiguration", LevelBucket},
	{"s3:PutBucketObjectLockConfiguration", LevelBucket},
	{"s3:GetLifecycleConfiguration", LevelBucket},
	{"s3:PutLifecycleConfiguration", LevelBucket},
	{"s3:GetBucketNotification", LevelBucket},
	{"s3:PutBucketNotification", LevelBucket},
	{"s3:GetBucketLogging", LevelBucket},
	{"s3:PutBucketLogging", LevelBucket},
	{"s3:GetBucketWebsite", LevelBucket},
	{"s3:PutBucketWebsite", LevelBucket},
	{"s3:DeleteBucketWebsite", LevelBucket},
	{"s3:GetBucketOwnershipControls", LevelBucket},
	{"s3:PutBucketOwnershipControls", LevelBucket},
	{"s3:GetBucketPublicAccessBlock", LevelBucket},
	{"s3:PutBucketPublicAccessBlock", LevelBucket},
	{"s3:GetBucketRequestPayment", LevelBucket},
	{"s3:PutBucketRequestPayment", LevelBucket},
	{"s3:GetReplicationConfiguration", LevelBucket},
	{"s3:PutReplicationConfiguration", LevelBucket},
	{"s3:GetAccelerateConfiguration", LevelBucket},
	{"s3:PutAccelerateConfiguration", LevelBucket},
	{"s3:GetAnalyticsConfiguration", LevelBucket},
	{"s3:PutAnalyticsConfiguration", LevelBucket},
	{"s3:GetInventoryConfiguration", LevelBucket},
	{"s3:PutInventoryConfiguration", LevelBucket},
	{"s3:GetMetricsConfiguration", LevelBucket},
	{"s3:PutMetricsConfiguration", LevelBucket},
	{"s3:GetIntelligentTieringConfiguration", LevelBucket},
	{"s3:PutIntelligentTieringConfiguration", LevelBucket},

	// Object level.
	{"s3:GetObject", LevelObject},
	{"s3:PutObject", LevelObject},
	{"s3:DeleteObject", LevelObject},
	{"s3:GetObjectVersion", LevelObject},
	{"s3:DeleteObjectVersion", LevelObject},
	{"s3:GetObjectAttributes", LevelObject},
	{"s3:GetObjectVersionAttributes", LevelObject},
	{"s3:GetObjectTagging", LevelObject},
	{"s3:PutObjectTagging", LevelObject},
	{"s3:DeleteObjectTagging", LevelObject},
	{"s3:GetObjectVersionTagging", LevelObject},
	{"s3:PutObjectVersionTagging", LevelObject},
	{"s3:DeleteObjectVersionTagging", LevelObject},
	{"s3:GetObjectAcl", LevelObject},
	{"s3:PutObjectAcl", LevelObject},
	{"s3:GetObjectVersionAcl", LevelObject},
	{"s3:PutObjectVersionAcl", LevelObject},
	{"s3:GetObjectRetention", LevelObject},
	{"s3:PutObjectRetention", LevelObject},
	{"s3:GetObjectLegalHold", LevelObject},
	{"s3:PutObjectLegalHold", LevelObject},
	{"s3:BypassGovernanceRetention", LevelObject},
	{"s3:AbortMultipartUpload", LevelObject},
	{"s3:ListMultipartUploadParts", LevelObject},
	{"s3:RestoreObject", LevelObject},
	{"s3:GetObjectTorrent", LevelObject},
	{"s3:GetObjectVersionTorrent", LevelObject},
	{"s3:GetObjectVersionForReplication", LevelObject},
	{"s3:ReplicateObject", LevelObject},
	{"s3:ReplicateDelete", LevelObject},
	{"s3:ReplicateTags", LevelObject},
	{"s3:ObjectOwnerOverrideToBucketOwner", LevelObject},
}

const (
	numActions  = len(actionTable)
	actionWords = (numActions + 63) / 64
)

// actionSet is a bitset over actionTable indexes.
type actionSet [actionWords]uint64

func (s *actionSet) set(i int)      { s[i>>6] |= 1 << (uint(i) & 63) }
func (s *actionSet) has(i int) bool { return s[i>>6]&(1<<(uint(i)&63)) != 0 }

// actionIndex maps canonical names, and lower-cased names, to table
// indexes; actionLower holds each name lower-cased. Both are built once
// from actionTable and never written again.
var (
	actionIndexExact, actionIndexLower, actionLower = buildActionIndexes()
)

func buildActionIndexes() (exact, lower map[string]int, lowered []string) {
	exact = make(map[string]int, numActions)
	lower = make(map[string]int, numActions)
	lowered = make([]string, numActions)
	for i, a := range actionTable {
		exact[a.Name] = i
		l := strings.ToLower(a.Name)
		lower[l] = i
		lowered[i] = l
	}
	return exact, lower, lowered
}

// maxActionLen bounds the stack buffer used to lower-case request actions.
const maxActionLen = 64

// lookupActionIndex returns the table index of name (any case), or -1. It
// does not allocate.
func lookupActionIndex(name string) int {
	if i, ok := actionIndexExact[name]; ok {
		return i
	}
	if len(name) > maxActionLen {
		return -1
	}
	var buf [maxActionLen]byte
	b := lowerASCII(buf[:0], name)
	if i, ok := actionIndexLower[string(b)]; ok {
		return i
	}
	return -1
}

// lowerASCII appends s to dst with ASCII letters lower-cased.
func lowerASCII(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// LookupAction returns the canonical name and level of a known action,
// matched case-insensitively ("S3:getobject" finds "s3:GetObject").
func LookupAction(name string) (ActionInfo, bool) {
	i := lookupActionIndex(name)
	if i < 0 {
		return ActionInfo{}, false
	}
	return actionTable[i], true
}

// Actions returns every known action, in a fixed order. The slice is a
// copy; callers may modify it.
func Actions() []ActionInfo {
	out := make([]ActionInfo, numActions)
	copy(out, actionTable[:])
	return out
}

// opAction maps an S3 API operation to its action, and to the action that
// authorizes it when the request names an object version.
type opAction struct {
	action, versioned string
}

// operationActions follows AWS's "Actions, resources, and condition keys
// for Amazon S3" mapping. Deletes of bucket subresources are authorized
// by the matching Put action, as in AWS.
var operationActions = map[string]opAction{
	"AbortMultipartUpload":               {"s3:AbortMultipartUpload", ""},
	"CompleteMultipartUpload":            {"s3:PutObject", ""},
	"CopyObject":                         {"s3:PutObject", ""},
	"CreateBucket":                       {"s3:CreateBucket", ""},
	"CreateMultipartUpload":              {"s3:PutObject", ""},
	"DeleteBucket":                       {"s3:DeleteBucket", ""},
	"DeleteBucketCors":                   {"s3:PutBucketCORS", ""},
	"DeleteBucketEncryption":             {"s3:PutEncryptionConfiguration", ""},
	"DeleteBucketLifecycle":              {"s3:PutLifecycleConfiguration", ""},
	"DeleteBucketOwnershipControls":      {"s3:PutBucketOwnershipControls", ""},
	"DeleteBucketPolicy":                 {"s3:DeleteBucketPolicy", ""},
	"DeleteBucketReplication":            {"s3:PutReplicationConfiguration", ""},
	"DeleteBucketTagging":                {"s3:PutBucketTagging", ""},
	"DeleteBucketWebsite":                {"s3:DeleteBucketWebsite", ""},
	"DeleteObject":                       {"s3:DeleteObject", "s3:DeleteObjectVersion"},
	"DeleteObjects":                      {"s3:DeleteObject", "s3:DeleteObjectVersion"},
	"DeleteObjectTagging":                {"s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"},
	"DeletePublicAccessBlock":            {"s3:PutBucketPublicAccessBlock", ""},
	"GetBucketAccelerateConfiguration":   {"s3:GetAccelerateConfiguration", ""},
	"GetBucketAcl":                       {"s3:GetBucketAcl", ""},
	"GetBucketCors":                      {"s3:GetBucketCORS", ""},
	"GetBucketEncryption":                {"s3:GetEncryptionConfiguration", ""},
	"GetBucketLifecycle":                 {"s3:GetLifecycleConfiguration", ""},
	"GetBucketLifecycleConfiguration":    {"s3:GetLifecycleConfiguration", ""},
	"GetBucketLocation":                  {"s3:GetBucketLocation", ""},
	"GetBucketLogging":                   {"s3:GetBucketLogging", ""},
	"GetBucketNotificationConfiguration": {"s3:GetBucketNotification", ""},
	"GetBucketOwnershipControls":         {"s3:GetBucketOwnershipControls", ""},
	"GetBucketPolicy":                    {"s3:GetBucketPolicy", ""},
	"GetBucketPolicyStatus":              {"s3:GetBucketPolicyStatus", ""},
	"GetBucketReplication":               {"s3:GetReplicationConfiguration", ""},
	"GetBucketRequestPayment":            {"s3:GetBucketRequestPayment", ""},
	"GetBucketTagging":                   {"s3:GetBucketTagging", ""},
	"GetBucketVersioning":                {"s3:GetBucketVersioning", ""},
	"GetBucketWebsite":                   {"s3:GetBucketWebsite", ""},
	"GetObject":                          {"s3:GetObject", "s3:GetObjectVersion"},
	"GetObjectAcl":                       {"s3:GetObjectAcl", "s3:GetObjectVersionAcl"},
	"GetObjectAttributes":                {"s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"},
	"GetObjectLegalHold":                 {"s3:GetObjectLegalHold", ""},
	"GetObjectLockConfiguration":         {"s3:GetBucketObjectLockConfiguration", ""},
	"GetObjectRetention":                 {"s3:GetObjectRetention", ""},
	"GetObjectTagging":                   {"s3:GetObjectTagging", "s3:GetObjectVersionTagging"},
	"GetObjectTorrent":                   {"s3:GetObjectTorrent", "s3:GetObjectVersionTorrent"},
	"GetPublicAccessBlock":               {"s3:GetBucketPublicAccessBlock", ""},
	"HeadBucket":                         {"s3:ListBucket", ""},
	"HeadObject":                         {"s3:GetObject", "s3:GetObjectVersion"},
	"ListBuckets":                        {"s3:ListAllMyBuckets", ""},
	"ListMultipartUploads":               {"s3:ListBucketMultipartUploads", ""},
	"ListObjects":                        {"s3:ListBucket", ""},
	"ListObjectsV2":                      {"s3:ListBucket", ""},
	"ListObjectVersions":                 {"s3:ListBucketVersions", ""},
	"ListParts":                          {"s3:ListMultipartUploadParts", ""},
	"PutBucketAccelerateConfiguration":   {"s3:PutAccelerateConfiguration", ""},
	"PutBucketAcl":                       {"s3:PutBucketAcl", ""},
	"PutBucketCors":                      {"s3:PutBucketCORS", ""},
	"PutBucketEncryption":                {"s3:PutEncryptionConfiguration", ""},
	"PutBucketLifecycle":                 {"s3:PutLifecycleConfiguration", ""},
	"PutBucketLifecycleConfiguration":    {"s3:PutLifecycleConfiguration", ""},
	"PutBucketLogging":                   {"s3:PutBucketLogging", ""},
	"PutBucketNotificationConfiguration": {"s3:PutBucketNotification", ""},
	"PutBucketOwnershipControls":         {"s3:PutBucketOwnershipControls", ""},
	"PutBucketPolicy":                    {"s3:PutBucketPolicy", ""},
	"PutBucketReplication":               {"s3:PutReplicationConfiguration", ""},
	"PutBucketRequestPayment":            {"s3:PutBucketRequestPayment", ""},
	"PutBucketTagging":                   {"s3:PutBucketTagging", ""},
	"PutBucketVersioning":                {"s3:PutBucketVersioning", ""},
	"PutBucketWebsite":                   {"s3:PutBucketWebsite", ""},
	"PutObject":                          {"s3:PutObject", ""},
	"PutObjectAcl":                       {"s3:PutObjectAcl", "s3:PutObjectVersionAcl"},
	"PutObjectLegalHold":                 {"s3:PutObjectLegalHold", ""},
	"PutObjectLockConfiguration":         {"s3:PutBucketObjectLockConfiguration", ""},
	"PutObjectRetention":                 {"s3:PutObjectRetention", ""},
	"PutObjectTagging":                   {"s3:PutObjectTagging", "s3:PutObjectVersionTagging"},
	"PutPublicAccessBlock":               {"s3:PutBucketPublicAccessBlock", ""},
	"RestoreObject":                      {"s3:RestoreObject", ""},
	"SelectObjectContent":                {"s3:GetObject", ""},
	"UploadPart":                         {"s3:PutObject", ""},
	"UploadPartCopy":                     {"s3:PutObject", ""},
}

// ActionForOperation returns the action that authorizes the S3 API
// operation op (as AWS names operations: "GetObject", "ListObjectsV2",
// "DeleteBucketTagging", ...). With versioned set (the request names a
// versionId), it returns the version-specific action where AWS has one
// (s3:GetObjectVersion for GetObject and HeadObject, ...).
//
// Some operations need more than one check, which the caller makes:
// CopyObject and UploadPartCopy also need s3:GetObject (or
// s3:GetObjectVersion) on the source object; DeleteObjects needs
// s3:DeleteObject on each key.
func ActionForOperation(op string, versioned bool) (string, bool) {
	a, ok := operationActions[op]
	if !ok {
		return "", false
	}
	if versioned && a.versioned != "" {
		return a.versioned, true
	}
	return a.action, true
}
