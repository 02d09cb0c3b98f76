package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tessera-s3/tessera/admin"
)

// clusterTopCmd is `tessera cluster`: membership and status.
func clusterTopCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "cluster", Short: "Cluster membership and status"}
	status := &cobra.Command{
		Use: "status", Short: "Show every node: role, Raft term and applied index, drives and their health", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				st, err := c.ClusterStatus(ctx)
				if err != nil {
					return explain(err)
				}
				if g.json {
					return printJSON(os.Stdout, st)
				}
				var rows [][]string
				for _, n := range st.Nodes {
					role := n.Role
					if !n.Reachable {
						role = "unreachable"
					}
					online := 0
					for _, d := range n.Drives {
						if d.Online {
							online++
						}
					}
					rows = append(rows, []string{n.ID, n.Addr, role, strconv.FormatUint(n.Term, 10),
						strconv.FormatUint(n.AppliedIndex, 10), fmt.Sprintf("%d/%d online", online, len(n.Drives))})
				}
				table(os.Stdout, []string{"NODE", "CLUSTER_ADDR", "ROLE", "TERM", "APPLIED", "DRIVES"}, rows)
				for _, n := range st.Nodes {
					var bad []string
					for _, d := range n.Drives {
						if !d.Online {
							bad = append(bad, d.Path+": "+d.Error)
						}
					}
					if len(bad) > 0 {
						fmt.Printf("%s offline drives: %s\n", n.ID, strings.Join(bad, "; "))
					}
				}
				return nil
			})
		},
	}
	node := &cobra.Command{Use: "node", Short: "Add or remove cluster members"}
	add := &cobra.Command{
		Use: "add ID CLUSTER_ADDR", Short: "Add a node (started with join = true) as a voter", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				if _, err := c.AddNode(ctx, args[0], args[1]); err != nil {
					return explain(err)
				}
				return done(g, "node %s (%s) added", args[0], args[1])
			})
		},
	}
	remove := &cobra.Command{
		Use: "remove ID", Short: "Remove a node from the cluster", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				if err := c.RemoveNode(ctx, args[0]); err != nil {
					return explain(err)
				}
				return done(g, "node %s removed", args[0])
			})
		},
	}
	node.AddCommand(add, remove)
	var bucket string
	heal := &cobra.Command{
		Use: "heal", Short: "Run a full healing pass (rebuild missing or corrupt shards), showing progress", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("timeout") {
				g.timeout = 24 * time.Hour
			}
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				res, err := c.Heal(ctx, bucket, func(p admin.HealProgress) {
					if !g.json && !p.Finished {
						fmt.Fprintf(os.Stderr, "\rhealing: %d/%d objects", p.Healed, p.Total)
					}
				})
				if !g.json {
					fmt.Fprintln(os.Stderr)
				}
				if err != nil {
					return explain(err)
				}
				if g.json {
					return printJSON(os.Stdout, res)
				}
				fmt.Printf("heal pass done: %d objects checked in %.1fs\n", res.Healed, res.Seconds)
				return nil
			})
		},
	}
	heal.Flags().StringVar(&bucket, "bucket", "", "heal only this bucket")
	cmd.AddCommand(status, node, heal)
	return cmd
}
