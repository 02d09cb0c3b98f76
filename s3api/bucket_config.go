package s3api

import (
	"net/http"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

// Bucket subresources Tessera keeps no configuration for answer as AWS
// does for a bucket that has none.

// getBucketVersioning: versioning was never enabled.
func (s *Server) getBucketVersioning(r *request) (*response, error) {
	return r.respondXML(http.StatusOK, &versioningConfiguration{NS: s3NS}), nil
}

// getBucketAcl: the owner has FULL_CONTROL.
func (s *Server) getBucketAcl(r *request) (*response, error) {
	return r.respondXML(http.StatusOK, ownerACL(r.bucketMeta.Owner)), nil
}

// getObjectAcl: the object's owner has FULL_CONTROL.
func (s *Server) getObjectAcl(r *request) (*response, error) {
	oi, err := s.objects.StatObject(r.c, r.bucket, r.key)
	if err != nil {
		return nil, err
	}
	owner := oi.Owner
	if owner == "" {
		owner = r.bucketMeta.Owner
	}
	return r.respondXML(http.StatusOK, ownerACL(owner)), nil
}

func ownerACL(owner string) *accessControlPolicy {
	return &accessControlPolicy{
		NS:    s3NS,
		Owner: ownerOf(owner),
		Grants: []grant{{
			Grantee: grantee{
				XMLNSXSI:    "http://www.w3.org/2001/XMLSchema-instance",
				Type:        "CanonicalUser",
				ID:          owner,
				DisplayName: owner,
			},
			Permission: "FULL_CONTROL",
		}},
	}
}

// getBucketPolicy returns the bucket policy JSON, NoSuchBucketPolicy when
// there is none.
func (s *Server) getBucketPolicy(r *request) (*response, error) {
	if r.bucketMeta.Policy == "" {
		return nil, s3err.ErrNoSuchBucketPolicy
	}
	p := r.respond(http.StatusOK)
	p.raw = []byte(r.bucketMeta.Policy)
	p.rawType = vJSONType
	return p, nil
}

// getBucketPolicyStatus: public when a bucket policy exists is for the
// policy engine to say; without one the bucket is not public.
func (s *Server) getBucketPolicyStatus(r *request) (*response, error) {
	if r.bucketMeta.Policy == "" {
		return nil, s3err.ErrNoSuchBucketPolicy
	}
	return nil, s3err.ErrNotImplemented
}

func (s *Server) getBucketCors(r *request) (*response, error) {
	return nil, s3err.ErrNoSuchCORSConfiguration
}

func (s *Server) getBucketEncryption(r *request) (*response, error) {
	return nil, s3err.ErrServerSideEncryptionConfigurationNotFound
}

func (s *Server) getBucketWebsite(r *request) (*response, error) {
	return nil, s3err.ErrNoSuchWebsiteConfiguration
}

func (s *Server) getObjectLockConfiguration(r *request) (*response, error) {
	return nil, s3err.ErrObjectLockConfigurationNotFound
}

func (s *Server) getBucketOwnershipControls(r *request) (*response, error) {
	return nil, s3err.ErrOwnershipControlsNotFound
}

func (s *Server) getPublicAccessBlock(r *request) (*response, error) {
	return nil, s3err.ErrNoSuchPublicAccessBlockConfiguration
}

func (s *Server) getBucketReplication(r *request) (*response, error) {
	return nil, s3err.ErrReplicationConfigurationNotFound
}

func (s *Server) getBucketLogging(r *request) (*response, error) {
	return r.respondXML(http.StatusOK, &bucketLoggingStatus{NS: s3NS}), nil
}

func (s *Server) getBucketNotification(r *request) (*response, error) {
	return r.respondXML(http.StatusOK, &notificationConfiguration{NS: s3NS}), nil
}

func (s *Server) getBucketAccelerate(r *request) (*response, error) {
	return r.respondXML(http.StatusOK, &accelerateConfiguration{NS: s3NS}), nil
}

func (s *Server) getBucketRequestPayment(r *request) (*response, error) {
	return r.respondXML(http.StatusOK, &requestPaymentConfiguration{NS: s3NS, Payer: "BucketOwner"}), nil
}

// deleteBucketConfig answers DeleteBucketCors/Encryption/Website:
// there is no such configuration, so deleting it succeeds (204), as AWS
// does for a bucket without one.
func (s *Server) deleteBucketConfig(r *request) (*response, error) {
	return r.respond(http.StatusNoContent), nil
}

// notImplemented answers operations Tessera does not support.
func (s *Server) notImplemented(r *request) (*response, error) {
	return nil, s3err.ErrNotImplemented.WithMessage("This operation is not implemented")
}

// methodNotAllowed answers methods no S3 operation uses on the resource.
func (s *Server) methodNotAllowed(r *request) (*response, error) {
	return nil, s3err.ErrMethodNotAllowed
}
