package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/iam"
)

func s3Cmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "s3", Short: "Manage S3 policies, buckets and objects"}
	cmd.AddCommand(policyCmd(g), bucketCmd(g), objectCmd(g), stsCmd(g), serviceAccountCmd(g))
	cmd.AddCommand(clusterCmd(g))
	return cmd
}

func policyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Manage IAM policies (pre-defined: readonly, writeonly, readwrite)"}
	list := &cobra.Command{
		Use: "list", Short: "List policies", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				ps, err := c.ListPolicies(ctx)
				if err != nil {
					return explain(err)
				}
				if g.json {
					return printJSON(os.Stdout, ps)
				}
				var rows [][]string
				for _, p := range ps {
					kind := "custom"
					if p.Predefined {
						kind = "pre-defined"
					}
					rows = append(rows, []string{p.Name, kind, strings.Join(p.Users, ",")})
				}
				table(os.Stdout, []string{"NAME", "KIND", "USERS"}, rows)
				return nil
			})
		},
	}
	show := &cobra.Command{
		Use: "show NAME", Short: "Show a policy document", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				p, err := c.GetPolicy(ctx, args[0])
				if err != nil {
					return explain(err)
				}
				if g.json {
					return printJSON(os.Stdout, p)
				}
				var buf bytes.Buffer
				if json.Indent(&buf, p.Document, "", "  ") != nil {
					buf.Reset()
					buf.Write(p.Document)
				}
				fmt.Println(buf.String())
				return nil
			})
		},
	}
	add := &cobra.Command{
		Use: "add NAME FILE", Short: "Add a custom policy from an IAM JSON file (at most 2048 bytes)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := os.ReadFile(args[1])
			if err != nil {
				return fmt.Errorf("FILE: %w", err)
			}
			if _, err := iam.Parse(doc, iam.IdentityPolicy); err != nil {
				return fmt.Errorf("FILE %s: %w", args[1], err)
			}
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				if err := c.PutPolicy(ctx, args[0], doc); err != nil {
					return explain(err)
				}
				return done(g, "policy %s added", args[0])
			})
		},
	}
	remove := &cobra.Command{
		Use: "remove NAME", Short: "Remove a custom policy that no user has attached", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				if err := c.DeletePolicy(ctx, args[0]); err != nil {
					return explain(err)
				}
				return done(g, "policy %s removed", args[0])
			})
		},
	}
	attach := &cobra.Command{
		Use: "attach POLICY USER", Short: "Attach a policy to a user (replacing the one it had)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				if err := c.AttachPolicy(ctx, args[0], args[1]); err != nil {
					return explain(err)
				}
				return done(g, "policy %s attached to %s", args[0], args[1])
			})
		},
	}
	detach := &cobra.Command{
		Use: "detach USER", Short: "Detach the user's policy (the user can then do nothing)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				if err := c.DetachPolicy(ctx, args[0]); err != nil {
					return explain(err)
				}
				return done(g, "policy detached from %s", args[0])
			})
		},
	}
	cmd.AddCommand(list, show, add, remove, attach, detach)
	return cmd
}

// done prints a confirmation (or {"ok":true,...} with --json).
func done(g *globals, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if g.json {
		return printJSON(os.Stdout, map[string]any{"ok": true, "message": msg})
	}
	fmt.Println(msg)
	return nil
}

// s3Explain turns SDK errors into one line naming the S3 error code.
func s3Explain(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %s", ae.ErrorCode(), ae.ErrorMessage())
	}
	return err
}

var cannedPolicies = []string{"none", "download", "upload", "public"}

// bucketPolicyDoc returns the policy JSON for a canned name ("" for none).
func bucketPolicyDoc(canned, bucket string) (string, error) {
	if canned == "none" {
		return "", nil
	}
	doc, err := iam.CannedBucketPolicy(canned, bucket)
	if err != nil {
		return "", fmt.Errorf("policy %q must be one of %s", canned, strings.Join(cannedPolicies, ", "))
	}
	return string(doc), nil
}

func bucketCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "bucket", Short: "Manage buckets and bucket policies"}
	var canned, policyFile string
	create := &cobra.Command{
		Use: "create NAME", Short: "Create a bucket, optionally with a bucket policy", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			var doc string
			if policyFile != "" && cmd.Flags().Changed("policy") {
				return errors.New("give --policy or --policy-json, not both")
			}
			if policyFile != "" {
				b, err := os.ReadFile(policyFile)
				if err != nil {
					return fmt.Errorf("--policy-json: %w", err)
				}
				if _, err := iam.Parse(b, iam.BucketPolicy); err != nil {
					return fmt.Errorf("--policy-json %s: %w", policyFile, err)
				}
				doc = string(b)
			} else {
				var err error
				if doc, err = bucketPolicyDoc(canned, name); err != nil {
					return fmt.Errorf("--policy: %w", err)
				}
			}
			return g.withS3(func(ctx context.Context, c *s3.Client) error {
				if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
					return s3Explain(err)
				}
				if doc != "" {
					if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(name), Policy: aws.String(doc)}); err != nil {
						return fmt.Errorf("bucket %s created, but setting its policy failed: %w", name, s3Explain(err))
					}
				}
				return done(g, "bucket %s created", name)
			})
		},
	}
	create.Flags().StringVar(&canned, "policy", "none", "canned bucket policy: none, download, upload or public")
	create.Flags().StringVar(&policyFile, "policy-json", "", "custom bucket policy JSON file")
	list := &cobra.Command{
		Use: "list", Short: "List buckets", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withS3(func(ctx context.Context, c *s3.Client) error {
				out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
				if err != nil {
					return s3Explain(err)
				}
				type row struct {
					Name    string    `json:"name"`
					Created time.Time `json:"created"`
				}
				var rows []row
				var trows [][]string
				for _, b := range out.Buckets {
					rows = append(rows, row{aws.ToString(b.Name), aws.ToTime(b.CreationDate)})
					trows = append(trows, []string{aws.ToString(b.Name), aws.ToTime(b.CreationDate).UTC().Format(time.RFC3339)})
				}
				if g.json {
					return printJSON(os.Stdout, rows)
				}
				table(os.Stdout, []string{"NAME", "CREATED"}, trows)
				return nil
			})
		},
	}
	destroy := &cobra.Command{
		Use: "destroy NAME", Short: "Delete an empty bucket", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withS3(func(ctx context.Context, c *s3.Client) error {
				if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(args[0])}); err != nil {
					return s3Explain(err)
				}
				return done(g, "bucket %s destroyed", args[0])
			})
		},
	}
	cmd.AddCommand(create, list, destroy, bucketPolicyCmd(g))
	cmd.AddCommand(lifecycleRuleCmd(g))
	return cmd
}

func bucketPolicyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Get and set bucket policies"}
	put := func(name, doc string) error {
		c, err := g.s3()
		if err != nil {
			return err
		}
		ctx, cancel := g.ctx()
		defer cancel()
		if doc == "" {
			_, err = c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(name)})
		} else {
			_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(name), Policy: aws.String(doc)})
		}
		return s3Explain(err)
	}
	set := &cobra.Command{
		Use: "set NAME none|download|upload|public", Short: "Set a canned bucket policy", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := bucketPolicyDoc(args[1], args[0])
			if err != nil {
				return err
			}
			if err := put(args[0], doc); err != nil {
				return err
			}
			return done(g, "bucket %s policy set to %s", args[0], args[1])
		},
	}
	setCustom := &cobra.Command{
		Use: "set-custom NAME FILE", Short: "Set a custom bucket policy from a JSON file", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(args[1])
			if err != nil {
				return fmt.Errorf("FILE: %w", err)
			}
			if _, err := iam.Parse(b, iam.BucketPolicy); err != nil {
				return fmt.Errorf("FILE %s: %w", args[1], err)
			}
			if err := put(args[0], string(b)); err != nil {
				return err
			}
			return done(g, "bucket %s custom policy set", args[0])
		},
	}
	get := &cobra.Command{
		Use: "get NAME", Short: "Show a bucket's policy (canned name or JSON)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withS3(func(ctx context.Context, c *s3.Client) error {
				out, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(args[0])})
				doc := ""
				if err != nil {
					var ae smithy.APIError
					if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchBucketPolicy" {
						return s3Explain(err)
					}
				} else {
					doc = aws.ToString(out.Policy)
				}
				kind := "custom"
				if doc == "" {
					kind = "none"
				}
				for _, cn := range cannedPolicies[1:] {
					if cd, _ := bucketPolicyDoc(cn, args[0]); sameJSON(cd, doc) {
						kind = cn
					}
				}
				if g.json {
					return printJSON(os.Stdout, map[string]any{"bucket": args[0], "policy": kind, "document": json.RawMessage(orNull(doc))})
				}
				if kind == "custom" {
					fmt.Println(doc)
					return nil
				}
				fmt.Println(kind)
				return nil
			})
		},
	}
	unset := &cobra.Command{
		Use: "unset NAME", Short: "Remove a bucket's policy (same as set NAME none)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := put(args[0], ""); err != nil {
				return err
			}
			return done(g, "bucket %s policy removed", args[0])
		},
	}
	cmd.AddCommand(set, setCustom, get, unset)
	return cmd
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func objectCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "object", Short: "Inspect objects"}
	stat := &cobra.Command{
		Use: "stat BUCKET KEY", Short: "Show an object's size, ETag, owner and POSIX uid/gid", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				st, err := c.StatObject(ctx, args[0], args[1])
				if err != nil {
					return explain(err)
				}
				if g.json {
					return printJSON(os.Stdout, st)
				}
				table(os.Stdout, []string{"FIELD", "VALUE"}, [][]string{
					{"bucket", st.Bucket}, {"key", st.Key}, {"size", strconv.FormatInt(st.Size, 10)},
					{"etag", st.ETag}, {"last_modified", st.LastModified.Format(time.RFC3339)},
					{"content_type", st.ContentType}, {"owner", st.Owner},
					{"posix_uid", strconv.Itoa(int(st.PosixUID))}, {"posix_gid", strconv.Itoa(int(st.PosixGID))},
				})
				return nil
			})
		},
	}
	cmd.AddCommand(stat)
	return cmd
}
