package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/iam"
	tsts "github.com/tessera-s3/tessera/sts"
)

func stsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "sts", Short: "Temporary credentials (AssumeRole) and their sessions"}
	var (
		duration   string
		policyFile string
	)
	assume := &cobra.Command{
		Use:   "assume-role",
		Short: "Get temporary credentials for an S3 user (--access-key; the secret key is prompted for when missing)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.accessKey == "" {
				return fmt.Errorf("--access-key (or TESSERA_ACCESS_KEY) is required")
			}
			d, err := tsts.ParseDuration(duration)
			if err != nil {
				return fmt.Errorf("--duration: %w", err)
			}
			if d < 15*time.Minute || d > 7*24*time.Hour {
				return fmt.Errorf("--duration %s: must be between 15m (900s) and 1w", duration)
			}
			var policy *string
			if policyFile != "" {
				b, err := os.ReadFile(policyFile)
				if err != nil {
					return fmt.Errorf("--policy-file: %w", err)
				}
				if _, err := iam.Parse(b, iam.IdentityPolicy); err != nil {
					return fmt.Errorf("--policy-file %s: %w", policyFile, err)
				}
				policy = aws.String(string(b))
			}
			if g.secretKey == "" {
				if g.secretKey, err = promptSecret("Secret key", false); err != nil {
					return err
				}
			}
			ac, err := g.admin()
			if err != nil {
				return err
			}
			c := sts.New(sts.Options{
				Region:       g.region,
				BaseEndpoint: aws.String(g.endpoint),
				Credentials:  credentials.NewStaticCredentialsProvider(g.accessKey, g.secretKey, ""),
				HTTPClient:   ac.HTTP,
			})
			ctx, cancel := g.ctx()
			defer cancel()
			out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn: aws.String("arn:tessera:ignored"), RoleSessionName: aws.String("tessera-cli"),
				DurationSeconds: aws.Int32(int32(d / time.Second)), Policy: policy,
			})
			if err != nil {
				return s3Explain(err)
			}
			cr := out.Credentials
			res := map[string]string{
				"access_key_id": aws.ToString(cr.AccessKeyId), "secret_access_key": aws.ToString(cr.SecretAccessKey),
				"session_token": aws.ToString(cr.SessionToken), "expiration": aws.ToTime(cr.Expiration).UTC().Format(time.RFC3339),
			}
			if g.json {
				return printJSON(os.Stdout, res)
			}
			table(os.Stdout, []string{"FIELD", "VALUE"}, [][]string{
				{"access_key_id", res["access_key_id"]}, {"secret_access_key", res["secret_access_key"]},
				{"session_token", res["session_token"]}, {"expiration", res["expiration"]},
			})
			return nil
		},
	}
	assume.Flags().StringVar(&duration, "duration", "1h", "session length: 900s to 1w (forms 900s, 60m, 12h, 2d, 1w)")
	assume.Flags().StringVar(&policyFile, "policy-file", "", "session policy JSON file (narrows the user's policy)")

	var user string
	list := &cobra.Command{
		Use: "list", Short: "List live sessions (cluster admin)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				ss, err := c.ListSessions(ctx, user)
				if err != nil {
					return explain(err)
				}
				if g.json {
					return printJSON(os.Stdout, ss)
				}
				var rows [][]string
				for _, s := range ss {
					p := "-"
					if len(s.Policy) > 0 {
						p = "session policy"
					}
					rows = append(rows, []string{s.AccessKey, s.Parent, s.Expiration.UTC().Format(time.RFC3339), p})
				}
				table(os.Stdout, []string{"ACCESS_KEY", "USER", "EXPIRES", "POLICY"}, rows)
				return nil
			})
		},
	}
	list.Flags().StringVar(&user, "user", "", "only this user's sessions")
	var revokeUser string
	revoke := &cobra.Command{
		Use: "revoke [ACCESS_KEY]", Short: "Revoke one session, or every session of --user (cluster admin)", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == (revokeUser != "") {
				return fmt.Errorf("give either ACCESS_KEY or --user NAME")
			}
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				if revokeUser != "" {
					n, err := c.RevokeUserSessions(ctx, revokeUser)
					if err != nil {
						return explain(err)
					}
					return done(g, "%d sessions of %s revoked", n, revokeUser)
				}
				if err := c.RevokeSession(ctx, args[0]); err != nil {
					return explain(err)
				}
				return done(g, "session %s revoked", args[0])
			})
		},
	}
	revoke.Flags().StringVar(&revokeUser, "user", "", "revoke every session of this user")
	cmd.AddCommand(assume, list, revoke)
	return cmd
}

func serviceAccountCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "service-account", Short: "Manage your own service accounts (S3 users only, with their own keys)"}
	var policyFile string
	add := &cobra.Command{
		Use: "add", Short: "Create a service account; its secret key is shown only this once", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var policy []byte
			if policyFile != "" {
				b, err := os.ReadFile(policyFile)
				if err != nil {
					return fmt.Errorf("--policy-file: %w", err)
				}
				if _, err := iam.Parse(b, iam.IdentityPolicy); err != nil {
					return fmt.Errorf("--policy-file %s: %w", policyFile, err)
				}
				policy = b
			}
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				sa, err := c.AddServiceAccount(ctx, policy)
				if err != nil {
					return explain(err)
				}
				if g.json {
					return printJSON(os.Stdout, sa)
				}
				table(os.Stdout, []string{"FIELD", "VALUE"}, [][]string{{"access_key", sa.AccessKey}, {"secret_key", sa.SecretKey}, {"parent_user", sa.Parent}})
				fmt.Fprintln(os.Stderr, "The secret key is shown only this once.")
				return nil
			})
		},
	}
	add.Flags().StringVar(&policyFile, "policy-file", "", "policy JSON that narrows the parent's policy")
	list := &cobra.Command{
		Use: "list", Short: "List your service accounts", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				sas, err := c.ListServiceAccounts(ctx)
				if err != nil {
					return explain(err)
				}
				if g.json {
					keys := make([]map[string]string, 0, len(sas))
					for _, s := range sas {
						keys = append(keys, map[string]string{"access_key": s.AccessKey})
					}
					return printJSON(os.Stdout, keys)
				}
				for _, s := range sas {
					fmt.Println(s.AccessKey)
				}
				return nil
			})
		},
	}
	show := &cobra.Command{
		Use: "show ACCESS_KEY", Short: "Show a service account's parent and policy", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				s, err := c.ShowServiceAccount(ctx, args[0])
				if err != nil {
					return explain(err)
				}
				if g.json {
					return printJSON(os.Stdout, s)
				}
				var pc strings.Builder
				if len(s.PolicyContent) > 0 {
					var v any
					if json.Unmarshal(s.PolicyContent, &v) == nil {
						b, _ := json.MarshalIndent(v, "", "  ")
						pc.Write(b)
					}
				}
				fmt.Printf("access_key:     %s\nparent_user:    %s\nimplied_policy: %t\npolicy_content:\n%s\n", s.AccessKey, s.Parent, s.ImpliedPolicy, pc.String())
				return nil
			})
		},
	}
	remove := &cobra.Command{
		Use: "remove ACCESS_KEY", Short: "Remove a service account (its keys stop working at once)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				if err := c.RemoveServiceAccount(ctx, args[0]); err != nil {
					return explain(err)
				}
				return done(g, "service account %s removed", args[0])
			})
		},
	}
	cmd.AddCommand(add, list, show, remove)
	return cmd
}
