package node_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/node"
	"github.com/tessera-s3/tessera/node/nodetest"
)

// TestBucketLifecycle drives lifecycle expiry end to end through the S3
// API: rules put with aws-sdk-go-v2, objects written now, the lifecycle
// clock moved forward, one scan run on the (leader) node.
func TestBucketLifecycle(t *testing.T) {
	clock := &offsetClock{}
	n := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.LifecycleNow = clock.Now }))
	e := &env{t: t, n: n, ctx: context.Background(), root: n.S3(t)}
	const bucket = "expiring"
	e.bucket(bucket)
	e.bucket("untouched")

	_, err := e.root.PutBucketLifecycleConfiguration(e.ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: aws.String(bucket),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{
			{ID: aws.String("logs"), Status: types.ExpirationStatusEnabled,
				Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
				Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}},
			{ID: aws.String("temp"), Status: types.ExpirationStatusEnabled,
				Filter:     &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("temp"), Value: aws.String("yes")}},
				Expiration: &types.LifecycleExpiration{Days: aws.Int32(3)}},
		}},
	})
	if err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}
	got, err := e.root.GetBucketLifecycleConfiguration(e.ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("GetBucketLifecycleConfiguration: %v", err)
	}
	if r := got.Rules; len(r) != 2 ||
		aws.ToString(r[0].ID) != "logs" || aws.ToString(r[0].Filter.Prefix) != "logs/" || aws.ToInt32(r[0].Expiration.Days) != 1 ||
		r[0].Status != types.ExpirationStatusEnabled ||
		aws.ToString(r[1].ID) != "temp" || r[1].Filter.Tag == nil || aws.ToString(r[1].Filter.Tag.Key) != "temp" ||
		aws.ToString(r[1].Filter.Tag.Value) != "yes" || aws.ToInt32(r[1].Expiration.Days) != 3 {
		t.Fatalf("rules read back: %+v", r)
	}

	put := func(bucket, key, tagging string) {
		t.Helper()
		in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("x")}
		if tagging != "" {
			in.Tagging = aws.String(tagging)
		}
		if _, err := e.root.PutObject(e.ctx, in); err != nil {
			t.Fatalf("put %s/%s: %v", bucket, key, err)
		}
	}
	put(bucket, "logs/a.log", "")
	put(bucket, "logs/sub/b.log", "")
	put(bucket, "logs/tagged.log", "temp=no")
	put(bucket, "tmp/scratch", "temp=yes")
	put(bucket, "data/report", "owner=alice&temp=yes")
	put(bucket, "data/keep", "temp=no")
	put(bucket, "keep.txt", "")
	put("untouched", "logs/a.log", "temp=yes")

	list := func(bucket string) []string {
		t.Helper()
		out, err := e.root.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		return keys
	}
	scan := func(wantExpired int64, want ...string) {
		t.Helper()
		st, err := n.Node.RunLifecycle(e.ctx)
		if err != nil {
			t.Fatalf("RunLifecycle: %v", err)
		}
		if st.Expired != wantExpired || st.Errors != 0 {
			t.Fatalf("scan stats %+v, want %d expired", st, wantExpired)
		}
		if keys := list(bucket); !slices.Equal(keys, want) {
			t.Fatalf("objects after the scan:\n got %q\nwant %q", keys, want)
		}
		if keys := list("untouched"); len(keys) != 1 {
			t.Fatalf("bucket without lifecycle changed: %q", keys)
		}
	}

	// Nothing has expired yet.
	scan(0, "data/keep", "data/report", "keep.txt", "logs/a.log", "logs/sub/b.log", "logs/tagged.log", "tmp/scratch")
	// Two days on, logs/ (1 day) are gone, whatever their tags.
	clock.Advance(2 * 24 * time.Hour)
	scan(3, "data/keep", "data/report", "keep.txt", "tmp/scratch")
	// Four days on, the objects tagged temp=yes (3 days) are gone too.
	clock.Advance(2 * 24 * time.Hour)
	scan(2, "data/keep", "keep.txt")

	// DeleteBucketLifecycle, then GET has nothing and scans delete nothing.
	if _, err := e.root.DeleteBucketLifecycle(e.ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucketLifecycle: %v", err)
	}
	_, err = e.root.GetBucketLifecycleConfiguration(e.ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if code := apiCode(err); code != "NoSuchLifecycleConfiguration" {
		t.Fatalf("GET after delete: %v", err)
	}
	put(bucket, "logs/late.log", "temp=yes")
	clock.Advance(365 * 24 * time.Hour)
	scan(0, "data/keep", "keep.txt", "logs/late.log")

	// Limits: 1000 rules at most, Days at least 1.
	rules := func(n int, days int32) []types.LifecycleRule {
		var rs []types.LifecycleRule
		for i := range n {
			rs = append(rs, types.LifecycleRule{ID: aws.String(fmt.Sprint("r", i)), Status: types.ExpirationStatusEnabled,
				Filter:     &types.LifecycleRuleFilter{Prefix: aws.String(fmt.Sprintf("p%d/", i))},
				Expiration: &types.LifecycleExpiration{Days: aws.Int32(days)}})
		}
		return rs
	}
	putRules := func(rs []types.LifecycleRule) error {
		_, err := e.root.PutBucketLifecycleConfiguration(e.ctx, &s3.PutBucketLifecycleConfigurationInput{
			Bucket: aws.String(bucket), LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rs}})
		return err
	}
	if code := apiCode(putRules(rules(1001, 1))); code != "MalformedXML" {
		t.Fatalf("1001 rules: %s", code)
	}
	if code := apiCode(putRules(rules(1, 0))); code != "InvalidArgument" {
		t.Fatalf("Days 0: %s", code)
	}
	_, err = e.root.GetBucketLifecycleConfiguration(e.ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if code := apiCode(err); code != "NoSuchLifecycleConfiguration" {
		t.Fatalf("a refused PUT set a configuration: %v", err)
	}
	if err := putRules(rules(1000, 1)); err != nil {
		t.Fatalf("1000 rules: %v", err)
	}
	got, err = e.root.GetBucketLifecycleConfiguration(e.ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil || len(got.Rules) != 1000 {
		t.Fatalf("GET of 1000 rules: %v", err)
	}
}

func TestLifecycleIntervalConfig(t *testing.T) {
	c := node.DefaultConfig()
	if time.Duration(c.LifecycleInterval) != time.Hour {
		t.Fatalf("default lifecycle_interval %v", time.Duration(c.LifecycleInterval))
	}
	for _, d := range []time.Duration{0, 59 * time.Second, 169 * time.Hour} {
		c.LifecycleInterval = node.Duration(d)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "lifecycle_interval") {
			t.Errorf("lifecycle_interval %v: %v", d, err)
		}
	}
	t.Setenv("TESSERA_LIFECYCLE_INTERVAL", "15m")
	c, err := node.LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.LifecycleInterval) != 15*time.Minute {
		t.Fatalf("TESSERA_LIFECYCLE_INTERVAL gave %v", time.Duration(c.LifecycleInterval))
	}
}
