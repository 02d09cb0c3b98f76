package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tessera-s3/tessera/admin"
)

// clusterCmd groups cluster-wide settings.
func clusterCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "cluster", Short: "Cluster-wide settings"}
	cmd.AddCommand(auditWebhookCmd(g))
	return cmd
}

func auditWebhookCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit-webhook",
		Short: "Send one JSON audit event per S3 request to an HTTP webhook (best effort: dropped and counted when it is down)",
	}
	// On this command --endpoint is the webhook's URL, as operators know it
	// from the reference CLI; it shadows the global --endpoint, so the node
	// is given with --node (or TESSERA_ENDPOINT). --url is an alias.
	var endpoint, url, node, token string
	enable := &cobra.Command{
		Use:   "enable --endpoint URL [--auth-token TOKEN] [--node NODE_URL]",
		Short: "Enable the webhook, or change its endpoint or token (clusteradmin)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if endpoint == "" {
				endpoint = url
			}
			if endpoint == "" {
				return errors.New("--endpoint (the webhook's URL) is required; the node is --node or TESSERA_ENDPOINT")
			}
			if node != "" {
				g.endpoint = node
			} else {
				g.endpoint = envOr("TESSERA_ENDPOINT", "http://127.0.0.1:9000")
			}
			if !cmd.Flags().Changed("auth-token") {
				token = os.Getenv("TESSERA_AUDIT_WEBHOOK_TOKEN")
			}
			if err := admin.ValidateAuditEndpoint(endpoint); err != nil {
				return fmt.Errorf("--endpoint: %s", err.(*admin.Error).Message)
			}
			if err := admin.ValidateAuditToken(token); err != nil {
				return fmt.Errorf("--auth-token: %s", err.(*admin.Error).Message)
			}
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				info, err := c.SetAuditWebhook(ctx, endpoint, token)
				if err != nil {
					return explain(err)
				}
				if g.json {
					return printJSON(os.Stdout, info)
				}
				fmt.Printf("audit webhook enabled: %s (bearer token %s); every node picks it up within a second\n",
					info.Endpoint, map[bool]string{true: "set", false: "not set"}[info.AuthTokenSet])
				return nil
			})
		},
	}
	enable.Flags().StringVar(&endpoint, "endpoint", "", "the webhook: http:// or https:// URL the events are POSTed to")
	enable.Flags().StringVar(&url, "url", "", "same as --endpoint")
	enable.Flags().StringVar(&node, "node", "", "the node to send the request to (default TESSERA_ENDPOINT or http://127.0.0.1:9000)")
	enable.Flags().StringVar(&token, "auth-token", "", "sent as \"Authorization: Bearer TOKEN\" (env TESSERA_AUDIT_WEBHOOK_TOKEN; stored sealed, never shown)")
	disable := &cobra.Command{
		Use: "disable", Short: "Disable the webhook (clusteradmin)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				if err := c.DisableAuditWebhook(ctx); err != nil {
					return explain(err)
				}
				return done(g, "audit webhook disabled")
			})
		},
	}
	show := &cobra.Command{
		Use: "show", Short: "Show the webhook (the token is never shown)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				info, err := c.GetAuditWebhook(ctx)
				if err != nil {
					return explain(err)
				}
				if g.json {
					return printJSON(os.Stdout, info)
				}
				ep := info.Endpoint
				if ep == "" {
					ep = "-"
				}
				table(os.Stdout, []string{"ENABLED", "ENDPOINT", "AUTH_TOKEN_SET"},
					[][]string{{fmt.Sprint(info.Enabled), ep, fmt.Sprint(info.AuthTokenSet)}})
				return nil
			})
		},
	}
	cmd.AddCommand(enable, disable, show)
	return cmd
}
