package s3api_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tessera-s3/tessera/node/nodetest"
)

// TestBucketLifecycleProtocol checks the lifecycle operations as the
// aws-sdk-go-v2 client sends and reads them: every filter form round
// trips, errors carry AWS's codes, and the body digests are checked. The
// expiry itself is tested in the lifecycle and node packages.
func TestBucketLifecycleProtocol(t *testing.T) {
	n := nodetest.Start(t)
	c := n.S3(t)
	createBucket(t, c, "lifecycle")
	put := func(rules ...types.LifecycleRule) error {
		_, err := c.PutBucketLifecycleConfiguration(bg, &s3.PutBucketLifecycleConfigurationInput{
			Bucket: aws.String("lifecycle"), LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}})
		return err
	}
	days := func(d int32) *types.LifecycleExpiration { return &types.LifecycleExpiration{Days: aws.Int32(d)} }
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	midnight := time.Date(2099, 11, 10, 0, 0, 0, 0, time.UTC)

	// Every filter form, a Date, and the legacy Prefix come back as put.
	mustNoErr(t, put(
		types.LifecycleRule{ID: aws.String("prefix"), Status: types.ExpirationStatusEnabled, Expiration: days(1),
			Filter: &types.LifecycleRuleFilter{Prefix: aws.String("logs/")}},
		types.LifecycleRule{ID: aws.String("tag"), Status: types.ExpirationStatusDisabled, Expiration: days(2),
			Filter: &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("temp"), Value: aws.String("yes")}}},
		types.LifecycleRule{ID: aws.String("and"), Status: types.ExpirationStatusEnabled, Expiration: &types.LifecycleExpiration{Date: &midnight},
			Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("tax/"), Tags: []types.Tag{tag("a", "1"), tag("b", "2")}}}},
		types.LifecycleRule{ID: aws.String("legacy"), Status: types.ExpirationStatusEnabled, Expiration: days(4), Prefix: aws.String("old/")},
		types.LifecycleRule{Status: types.ExpirationStatusEnabled, Expiration: days(5), Filter: &types.LifecycleRuleFilter{}},
	))
	out, err := c.GetBucketLifecycleConfiguration(bg, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("lifecycle")})
	mustNoErr(t, err)
	if len(out.Rules) != 5 {
		t.Fatalf("%d rules", len(out.Rules))
	}
	r := out.Rules
	if aws.ToString(r[0].ID) != "prefix" || r[0].Status != types.ExpirationStatusEnabled || aws.ToInt32(r[0].Expiration.Days) != 1 ||
		r[0].Filter == nil || aws.ToString(r[0].Filter.Prefix) != "logs/" {
		t.Fatalf("rule 1: %+v %+v", r[0], r[0].Filter)
	}
	if aws.ToString(r[1].ID) != "tag" || r[1].Status != types.ExpirationStatusDisabled || r[1].Filter == nil || r[1].Filter.Tag == nil ||
		aws.ToString(r[1].Filter.Tag.Key) != "temp" || aws.ToString(r[1].Filter.Tag.Value) != "yes" {
		t.Fatalf("rule 2: %+v %+v", r[1], r[1].Filter)
	}
	if a := r[2].Filter.And; a == nil || aws.ToString(a.Prefix) != "tax/" || len(a.Tags) != 2 || aws.ToString(a.Tags[1].Value) != "2" ||
		r[2].Expiration.Date == nil || !r[2].Expiration.Date.Equal(midnight) || r[2].Expiration.Days != nil {
		t.Fatalf("rule 3: %+v %+v", r[2].Filter, r[2].Expiration)
	}
	if aws.ToString(r[3].Prefix) != "old/" || r[3].Filter != nil {
		t.Fatalf("rule 4: %+v", r[3])
	}
	if id := aws.ToString(r[4].ID); len(id) != 16 || r[4].Filter == nil || aws.ToString(r[4].Filter.Prefix) != "" {
		t.Fatalf("rule 5 (generated id): %+v", r[4])
	}
	// What GET returned can be PUT back as it is (the CLI relies on it).
	mustNoErr(t, put(out.Rules...))

	// Errors, as AWS answers them.
	onDay := types.LifecycleRule{ID: aws.String("x"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{}}
	bad := onDay
	bad.Expiration = days(0)
	wantErr(t, put(bad), "InvalidArgument", 400)
	noon := midnight.Add(12 * time.Hour)
	bad.Expiration = &types.LifecycleExpiration{Date: &noon}
	wantErr(t, put(bad), "InvalidArgument", 400)
	bad.Expiration = days(1)
	wantErr(t, put(bad, bad), "InvalidArgument", 400) // same ID twice
	bad = onDay
	bad.Transitions = []types.Transition{{Days: aws.Int32(30), StorageClass: types.TransitionStorageClassGlacier}}
	wantErr(t, put(bad), "NotImplemented", 501)
	bad = onDay
	bad.AbortIncompleteMultipartUpload = &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(7)}
	wantErr(t, put(bad), "NotImplemented", 501)
	bad = onDay
	bad.Expiration = days(1)
	bad.Filter = &types.LifecycleRuleFilter{Prefix: aws.String("a"), Tag: &types.Tag{Key: aws.String("k"), Value: aws.String("v")}}
	wantErr(t, put(bad), "MalformedXML", 400)
	bad.Filter = &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Tags: []types.Tag{tag("k", "1"), tag("k", "2")}}}
	wantErr(t, put(bad), "InvalidRequest", 400)
	// A refused PUT leaves the configuration as it was.
	out, err = c.GetBucketLifecycleConfiguration(bg, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("lifecycle")})
	mustNoErr(t, err)
	if len(out.Rules) != 5 {
		t.Fatalf("after refused PUTs: %d rules", len(out.Rules))
	}

	// Content-MD5 and x-amz-checksum-* are checked.
	good := onDay
	good.Expiration = days(9)
	withHeader := func(name, value string) func(*s3.Options) {
		return func(o *s3.Options) { o.APIOptions = append(o.APIOptions, smithyhttp.SetHeaderValue(name, value)) }
	}
	in := &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("lifecycle"),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{good}}}
	wrong := md5.Sum([]byte("something else"))
	_, err = c.PutBucketLifecycleConfiguration(bg, in, withHeader("Content-MD5", base64.StdEncoding.EncodeToString(wrong[:])))
	wantErr(t, err, "BadDigest", 400)
	_, err = c.PutBucketLifecycleConfiguration(bg, in, withHeader("Content-MD5", "not base64"))
	wantErr(t, err, "InvalidDigest", 400)
	_, err = c.PutBucketLifecycleConfiguration(bg, in, withHeader("x-amz-checksum-crc32", "AAAAAA=="))
	wantErr(t, err, "BadDigest", 400)
	_, err = c.PutBucketLifecycleConfiguration(bg, in, withContentMD5)
	mustNoErr(t, err)

	// Delete; a second delete still answers 204; GET then has nothing.
	_, err = c.DeleteBucketLifecycle(bg, &s3.DeleteBucketLifecycleInput{Bucket: aws.String("lifecycle")})
	mustNoErr(t, err)
	_, err = c.DeleteBucketLifecycle(bg, &s3.DeleteBucketLifecycleInput{Bucket: aws.String("lifecycle")})
	mustNoErr(t, err)
	_, err = c.GetBucketLifecycleConfiguration(bg, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("lifecycle")})
	wantErr(t, err, "NoSuchLifecycleConfiguration", 404)

	// No such bucket.
	_, err = c.PutBucketLifecycleConfiguration(bg, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("nope"),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{good}}})
	wantErr(t, err, "NoSuchBucket", 404)
	_, err = c.GetBucketLifecycleConfiguration(bg, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("nope")})
	wantErr(t, err, "NoSuchBucket", 404)
}

// withContentMD5 makes the client send the right Content-MD5 of the body,
// as s3cmd and older SDKs do (signed like any other header).
func withContentMD5(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("TestContentMD5",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				req := in.Request.(*smithyhttp.Request)
				var body []byte
				if r := req.GetStream(); r != nil {
					var err error
					if body, err = io.ReadAll(r); err != nil {
						return middleware.FinalizeOutput{}, middleware.Metadata{}, err
					}
				}
				nr, err := req.SetStream(bytes.NewReader(body))
				if err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				sum := md5.Sum(body)
				nr.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
				in.Request = nr
				return next.HandleFinalize(ctx, in)
			}), "Signing", middleware.Before)
	})
}
