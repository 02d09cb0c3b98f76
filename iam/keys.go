package iam

import "strings"

// keySource says where a condition key's value comes from in a Request.
type keySource uint8

const (
	srcMap             keySource = iota // Request.Conditions
	srcUsername                         // Request.Username
	srcUserID                           // Request.UserID
	srcPrincipalType                    // Request.PrincipalType
	srcSourceIP                         // Request.SourceIP
	srcSecureTransport                  // Request.SecureTransport
	srcCurrentTime                      // Request.Now, as a date
	srcEpochTime                        // Request.Now, as seconds
)

// keyDef is one supported condition key.
type keyDef struct {
	// name is the canonical spelling; for tag keys it ends in "/" and the
	// policy appends a tag key.
	name string
	src  keySource
	// multi marks keys whose request value is a set (used with
	// ForAnyValue/ForAllValues; never allowed as a policy variable).
	multi bool
}

// isTagPrefix reports whether the key takes a tag key after its "/".
func (k *keyDef) isTagPrefix() bool { return strings.HasSuffix(k.name, "/") }

// keyTable is the explicit list of condition keys a policy may use: the
// AWS global keys and the S3 keys AWS documents that make sense for
// Tessera. A key Tessera never supplies is simply absent from requests.
var keyTable = [...]keyDef{
	{"aws:CurrentTime", srcCurrentTime, false},
	{"aws:EpochTime", srcEpochTime, false},
	{"aws:SecureTransport", srcSecureTransport, false},
	{"aws:SourceIp", srcSourceIP, false},
	{"aws:username", srcUsername, false},
	{"aws:userid", srcUserID, false},
	{"aws:PrincipalType", srcPrincipalType, false},
	{"aws:UserAgent", srcMap, false},
	{"aws:Referer", srcMap, false},
	{"aws:RequestedRegion", srcMap, false},
	{"aws:PrincipalArn", srcMap, false},
	{"aws:PrincipalAccount", srcMap, false},
	{"aws:SourceArn", srcMap, false},
	{"aws:SourceAccount", srcMap, false},
	{"aws:SourceVpc", srcMap, false},
	{"aws:SourceVpce", srcMap, false},
	{"aws:VpcSourceIp", srcMap, false},
	{"aws:TokenIssueTime", srcMap, false},
	{"aws:MultiFactorAuthPresent", srcMap, false},
	{"aws:MultiFactorAuthAge", srcMap, false},
	{"aws:ViaAWSService", srcMap, false},
	{"aws:CalledVia", srcMap, true},
	{"aws:TagKeys", srcMap, true},
	{"aws:PrincipalTag/", srcMap, false},
	{"aws:RequestTag/", srcMap, false},
	{"aws:ResourceTag/", srcMap, false},

	{"s3:prefix", srcMap, false},
	{"s3:delimiter", srcMap, false},
	{"s3:max-keys", srcMap, false},
	{"s3:VersionId", srcMap, false},
	{"s3:LocationConstraint", srcMap, false},
	{"s3:ResourceAccount", srcMap, false},
	{"s3:signatureversion", srcMap, false},
	{"s3:authType", srcMap, false},
	{"s3:signatureAge", srcMap, false},
	{"s3:TlsVersion", srcMap, false},
	{"s3:x-amz-acl", srcMap, false},
	{"s3:x-amz-content-sha256", srcMap, false},
	{"s3:x-amz-copy-source", srcMap, false},
	{"s3:x-amz-metadata-directive", srcMap, false},
	{"s3:x-amz-server-side-encryption", srcMap, false},
	{"s3:x-amz-server-side-encryption-aws-kms-key-id", srcMap, false},
	{"s3:x-amz-server-side-encryption-customer-algorithm", srcMap, false},
	{"s3:x-amz-storage-class", srcMap, false},
	{"s3:x-amz-website-redirect-location", srcMap, false},
	{"s3:x-amz-object-ownership", srcMap, false},
	{"s3:x-amz-grant-read", srcMap, false},
	{"s3:x-amz-grant-write", srcMap, false},
	{"s3:x-amz-grant-read-acp", srcMap, false},
	{"s3:x-amz-grant-write-acp", srcMap, false},
	{"s3:x-amz-grant-full-control", srcMap, false},
	{"s3:if-match", srcMap, false},
	{"s3:if-none-match", srcMap, false},
	{"s3:object-lock-mode", srcMap, false},
	{"s3:object-lock-retain-until-date", srcMap, false},
	{"s3:object-lock-remaining-retention-days", srcMap, false},
	{"s3:object-lock-legal-hold", srcMap, false},
	{"s3:ExistingObjectTag/", srcMap, false},
	{"s3:RequestObjectTag/", srcMap, false},
	{"s3:RequestObjectTagKeys", srcMap, true},
}

// keyByLower maps lower-cased key names (tag prefixes with their "/") to
// keyTable entries. Built once, never written again.
var keyByLower = func() map[string]*keyDef {
	m := make(map[string]*keyDef, len(keyTable))
	for i := range keyTable {
		m[strings.ToLower(keyTable[i].name)] = &keyTable[i]
	}
	return m
}()

// condKey is a condition key as a policy names it, resolved.
type condKey struct {
	def *keyDef
	// mapKey is the Request.Conditions key: the name lower-cased, except
	// that the tag key after a tag prefix keeps its case.
	mapKey string
	// name is the spelling the policy used, for messages.
	name string
}

// resolveKey looks up a condition key name (case-insensitive; tag keys
// case-sensitive). The error text names the problem.
func resolveKey(name string) (condKey, string) {
	lower := strings.ToLower(name)
	if d, ok := keyByLower[lower]; ok && !d.isTagPrefix() {
		return condKey{def: d, mapKey: lower, name: name}, ""
	}
	if i := strings.IndexByte(name, '/'); i >= 0 {
		if d, ok := keyByLower[lower[:i+1]]; ok {
			tag := name[i+1:]
			if tag == "" {
				return condKey{}, "condition key " + quote(name) + " has no tag key after the \"/\""
			}
			return condKey{def: d, mapKey: lower[:i+1] + tag, name: name}, ""
		}
	}
	return condKey{}, "unknown condition key " + quote(name)
}

// ConditionKey returns the Request.Conditions map key for a condition key
// name: the name lower-cased, except that the tag key of
// "s3:ExistingObjectTag/<tag>", "s3:RequestObjectTag/<tag>" and the
// aws:...Tag/<tag> keys keeps its case ("s3:ExistingObjectTag/Project"
// becomes "s3:existingobjecttag/Project"). ok is false for keys this
// package does not know.
func ConditionKey(name string) (key string, ok bool) {
	k, msg := resolveKey(name)
	if msg != "" {
		return "", false
	}
	return k.mapKey, true
}

// ConditionKeys returns the canonical names of every supported condition
// key; names ending in "/" take a tag key.
func ConditionKeys() []string {
	out := make([]string, len(keyTable))
	for i := range keyTable {
		out[i] = keyTable[i].name
	}
	return out
}
