package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/tessera-s3/tessera/lifecycle"
)

// lifecycleRuleCmd manages a bucket's lifecycle expiry rules through the
// S3 API (Get/Put/DeleteBucketLifecycleConfiguration): each change reads
// the configuration, changes it and writes it back whole, so two people
// changing one bucket's rules at the same moment can lose one change.
func lifecycleRuleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "lifecycle-rule", Short: "Manage a bucket's lifecycle expiry rules"}
	var prefix, tagsFlag string
	add := &cobra.Command{
		Use:   "add BUCKET EXPIRY_DAYS",
		Short: "Add a rule deleting objects EXPIRY_DAYS days after they were written; prints the rule id",
		Long: "Add a rule deleting the bucket's objects EXPIRY_DAYS days after they were written (rounded\n" +
			"up to the next midnight UTC). --prefix and --tags narrow it to keys with that prefix and\n" +
			"objects carrying all those tags; without them the rule covers the whole bucket. Where rules\n" +
			"overlap, the earliest expiry wins.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			bucket := args[0]
			days, err := strconv.Atoi(args[1])
			if err != nil || days < 1 || days > lifecycle.MaxDays {
				return fmt.Errorf("EXPIRY_DAYS %q must be a whole number of days, at least 1", args[1])
			}
			tags, err := parseTagsFlag(tagsFlag)
			if err != nil {
				return fmt.Errorf("--tags: %w", err)
			}
			id := lifecycle.NewRuleID()
			err = g.withS3(func(ctx context.Context, c *s3.Client) error {
				rules, err := getLifecycleRules(ctx, c, bucket)
				if err != nil {
					return err
				}
				if len(rules) >= lifecycle.MaxRules {
					return fmt.Errorf("bucket %s already has %d lifecycle rules, the most a bucket may have", bucket, len(rules))
				}
				rules = append(rules, types.LifecycleRule{
					ID:         aws.String(id),
					Status:     types.ExpirationStatusEnabled,
					Filter:     ruleFilter(prefix, tags),
					Expiration: &types.LifecycleExpiration{Days: aws.Int32(int32(days))},
				})
				return putLifecycleRules(ctx, c, bucket, rules)
			})
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), map[string]any{"ok": true, "bucket": bucket, "id": id})
			}
			fmt.Fprintln(cmd.OutOrStdout(), id)
			return nil
		},
	}
	add.Flags().StringVar(&prefix, "prefix", "", "only objects whose key starts with this prefix")
	add.Flags().StringVar(&tagsFlag, "tags", "", "only objects carrying all these tags, as 'k1=v1&k2=v2' (URL-encode & = %)")
	list := &cobra.Command{
		Use: "list BUCKET", Short: "List a bucket's lifecycle rules", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rules []types.LifecycleRule
			err := g.withS3(func(ctx context.Context, c *s3.Client) error {
				var err error
				rules, err = getLifecycleRules(ctx, c, args[0])
				return err
			})
			if err != nil {
				return err
			}
			type row struct {
				ID     string            `json:"id"`
				Status string            `json:"status"`
				Prefix string            `json:"prefix"`
				Tags   map[string]string `json:"tags"`
				Days   int32             `json:"days,omitempty"`
				Date   string            `json:"date,omitempty"`
			}
			rows := make([]row, 0, len(rules))
			var trows [][]string
			for _, r := range rules {
				p, tags := ruleSelection(r)
				rw := row{ID: aws.ToString(r.ID), Status: string(r.Status), Prefix: p, Tags: tags}
				expires := "-"
				if e := r.Expiration; e != nil {
					switch {
					case e.Days != nil:
						rw.Days = *e.Days
						expires = fmt.Sprintf("after %d days", *e.Days)
					case e.Date != nil:
						rw.Date = e.Date.UTC().Format("2006-01-02")
						expires = "on " + rw.Date
					}
				}
				rows = append(rows, rw)
				trows = append(trows, []string{rw.ID, rw.Status, orDash(p), orDash(encodeTags(tags)), expires})
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), rows)
			}
			table(cmd.OutOrStdout(), []string{"ID", "STATUS", "PREFIX", "TAGS", "EXPIRES"}, trows)
			return nil
		},
	}
	remove := &cobra.Command{
		Use: "remove BUCKET RULE_ID", Short: "Remove one lifecycle rule", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			bucket, id := args[0], args[1]
			err := g.withS3(func(ctx context.Context, c *s3.Client) error {
				rules, err := getLifecycleRules(ctx, c, bucket)
				if err != nil {
					return err
				}
				kept := rules[:0]
				for _, r := range rules {
					if aws.ToString(r.ID) != id {
						kept = append(kept, r)
					}
				}
				if len(kept) == len(rules) {
					return fmt.Errorf("bucket %s has no lifecycle rule %q", bucket, id)
				}
				if len(kept) == 0 {
					// S3 holds no configuration without rules: delete it.
					_, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String(bucket)})
					return s3Explain(err)
				}
				return putLifecycleRules(ctx, c, bucket, kept)
			})
			if err != nil {
				return err
			}
			return lifecycleDone(cmd, g, "lifecycle rule %s removed from bucket %s", id, bucket)
		},
	}
	reset := &cobra.Command{
		Use: "reset BUCKET", Short: "Remove all of a bucket's lifecycle rules", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := g.withS3(func(ctx context.Context, c *s3.Client) error {
				_, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String(args[0])})
				return s3Explain(err)
			})
			if err != nil {
				return err
			}
			return lifecycleDone(cmd, g, "lifecycle rules of bucket %s removed", args[0])
		},
	}
	cmd.AddCommand(add, list, remove, reset)
	return cmd
}

// lifecycleDone prints a confirmation (or {"ok":true,...} with --json).
func lifecycleDone(cmd *cobra.Command, g *globals, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if g.json {
		return printJSON(cmd.OutOrStdout(), map[string]any{"ok": true, "message": msg})
	}
	fmt.Fprintln(cmd.OutOrStdout(), msg)
	return nil
}

// getLifecycleRules returns the bucket's rules (none when it has no
// configuration).
func getLifecycleRules(ctx context.Context, c *s3.Client, bucket string) ([]types.LifecycleRule, error) {
	out, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchLifecycleConfiguration" {
			return nil, nil
		}
		return nil, s3Explain(err)
	}
	return out.Rules, nil
}

func putLifecycleRules(ctx context.Context, c *s3.Client, bucket string, rules []types.LifecycleRule) error {
	_, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: aws.String(bucket), LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}})
	return s3Explain(err)
}

// ruleFilter builds the Filter selecting keys under prefix carrying tags,
// in the simplest form S3 accepts.
func ruleFilter(prefix string, tags map[string]string) *types.LifecycleRuleFilter {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ts := make([]types.Tag, 0, len(keys))
	for _, k := range keys {
		ts = append(ts, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	switch {
	case len(ts) == 0:
		return &types.LifecycleRuleFilter{Prefix: aws.String(prefix)}
	case len(ts) == 1 && prefix == "":
		return &types.LifecycleRuleFilter{Tag: &ts[0]}
	default:
		return &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String(prefix), Tags: ts}}
	}
}

// ruleSelection returns the prefix and tags a rule selects, whatever form
// its filter takes.
func ruleSelection(r types.LifecycleRule) (string, map[string]string) {
	tags := map[string]string{}
	prefix := aws.ToString(r.Prefix)
	if f := r.Filter; f != nil {
		if f.Prefix != nil {
			prefix = *f.Prefix
		}
		if f.Tag != nil {
			tags[aws.ToString(f.Tag.Key)] = aws.ToString(f.Tag.Value)
		}
		if f.And != nil {
			prefix = aws.ToString(f.And.Prefix)
			for _, t := range f.And.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
	}
	return prefix, tags
}

// parseTagsFlag parses 'k1=v1&k2=v2' (each key and value URL-query
// encoded, as x-amz-tagging).
func parseTagsFlag(s string) (map[string]string, error) {
	tags := map[string]string{}
	if s == "" {
		return tags, nil
	}
	for _, part := range strings.Split(s, "&") {
		k, v, ok := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		switch {
		case !ok || err1 != nil || err2 != nil:
			return nil, fmt.Errorf("%q is not key=value", part)
		case key == "":
			return nil, fmt.Errorf("%q has an empty key", part)
		}
		if _, dup := tags[key]; dup {
			return nil, fmt.Errorf("tag %q given twice", key)
		}
		tags[key] = val
	}
	return tags, nil
}

// encodeTags writes tags as 'k1=v1&k2=v2', sorted by key.
func encodeTags(tags map[string]string) string {
	v := url.Values{}
	for k, val := range tags {
		v.Set(k, val)
	}
	return v.Encode()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
