package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tessera-s3/tessera/bench"
)

// benchSuiteCmd is "tessera bench suite": the baselines and node runs of
// `make bench`.
func benchSuiteCmd(g *globals) *cobra.Command {
	d := bench.DefaultSuiteConfig()
	var (
		cfg                 = d
		diskSize, jsonOut   string
		nodeEndpoint, steps string
		quiet               bool
	)
	cmd := &cobra.Command{
		Use:   "suite",
		Short: "Measure baselines and a node started on this machine; print every figure as a ratio to its baseline",
		Long: `Measure, in one run on this machine, each figure next to a baseline measured just
before it: the no-op fasthttp S3 server's 4 KiB PUT and GET and 1 MiB GET rates (a child
process, "bench noop"), the data dir's disk (sequential write with fsync, read back), MD5
and Reed-Solomon encode throughput; and a node started here (this binary, "server", 4
drives, sync on, data under --data-dir) under PUT 4 KiB, GET 4 KiB, PUT 1 MiB, PUT 64 MiB,
GET 1 MiB and STS AssumeRole. Prints every figure with its baseline, ratio and target.
With --micro, the saved output of the hot-path "go test -bench" runs adds the SigV4,
policy, auth lookup and snapshot figures.

Examples:
  tessera bench suite --data-dir /mnt/nvme0/bench --json suite.json
  tessera bench suite --data-dir tmp/bench --steps put-4k -d 120s --profile-dir tmp/prof`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if cfg.DiskFileSize, err = bench.ParseSize(diskSize); err != nil {
				return fmt.Errorf("--disk-file-size: %w", err)
			}
			if steps != "" {
				cfg.Steps = strings.Split(steps, ",")
			}
			if nodeEndpoint != "" {
				if err := g.checkCreds(); err != nil {
					return err
				}
				cfg.Endpoint, cfg.AccessKey, cfg.SecretKey = strings.TrimRight(nodeEndpoint, "/"), g.accessKey, g.secretKey
			}
			if cfg.Binary == "" {
				if cfg.Binary, err = os.Executable(); err != nil {
					return fmt.Errorf("--binary: %w", err)
				}
			}
			cfg.Region = g.region
			stderr := cmd.ErrOrStderr()
			cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}}))
			if !quiet {
				cfg.RunOutput = stderr
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			res, runErr := bench.RunSuite(ctx, cfg)
			if res == nil {
				return runErr
			}
			fmt.Fprintln(cmd.OutOrStdout())
			if err := res.WriteTable(cmd.OutOrStdout()); err != nil {
				return err
			}
			if jsonOut != "" {
				if err := writeTo(cmd.OutOrStdout(), jsonOut, res.WriteJSON); err != nil {
					return fmt.Errorf("--json: %w", err)
				}
			}
			return runErr
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.DataDir, "data-dir", "", "scratch folder on the disk to measure: the disk baseline's file and the node's data (required)")
	fs.StringVar(&cfg.Binary, "binary", "", "tessera binary run as the node and the no-op server (default: this executable)")
	fs.StringVar(&nodeEndpoint, "node-endpoint", "", "measure this running node instead of starting one (--access-key/--secret-key of an admin)")
	fs.IntVar(&cfg.Drives, "drives", d.Drives, "drive folders of the started node")
	fs.DurationVarP(&cfg.Duration, "duration", "d", d.Duration, "timed phase of each load run")
	fs.DurationVar(&cfg.CPUTime, "cpu-time", d.CPUTime, "how long the MD5 and RS baselines loop")
	fs.StringVar(&diskSize, "disk-file-size", bench.FormatSize(d.DiskFileSize), "size of the disk baseline's file")
	fs.IntVar(&cfg.SmallConcurrency, "small-workers", d.SmallConcurrency, "workers of the 4 KiB runs (node and no-op)")
	fs.IntVar(&cfg.LargeConcurrency, "large-workers", d.LargeConcurrency, "workers of the 1 MiB runs (node and no-op)")
	fs.IntVar(&cfg.HugeConcurrency, "huge-workers", d.HugeConcurrency, "workers of the 64 MiB PUT run")
	fs.Int64Var(&cfg.HugeOps, "huge-ops", d.HugeOps, "number of 64 MiB PUTs")
	fs.IntVar(&cfg.STSConcurrency, "sts-workers", d.STSConcurrency, "workers of the AssumeRole run")
	fs.IntVar(&cfg.STSUsers, "sts-users", d.STSUsers, "users created for the AssumeRole run")
	fs.StringVar(&steps, "steps", "", "comma-separated steps to run (default all): "+strings.Join(bench.SuiteSteps, ","))
	fs.StringVar(&cfg.MicroFile, "micro", "", `saved "go test -bench" output to add the hot-path micro-benchmark figures from`)
	fs.StringVar(&cfg.ProfileDir, "profile-dir", "", "save a CPU profile of the node per run here (the node serves pprof on a loopback port)")
	fs.StringVar(&cfg.PprofAddr, "pprof-addr", "", "pprof address of a --node-endpoint node (its TESSERA_PPROF)")
	fs.StringArrayVar(&cfg.NodeEnv, "node-env", nil, `extra environment variable of the started node, e.g. --node-env GODEBUG=gctrace=1`)
	fs.BoolVar(&cfg.KeepData, "keep-data", false, "keep the node's data folder afterwards")
	fs.StringVar(&jsonOut, "json", "", `write the machine-readable result to FILE ("-" for stdout)`)
	fs.BoolVarP(&quiet, "quiet", "q", false, "no per-run summaries on stderr")
	_ = cmd.MarkFlagRequired("data-dir")
	return cmd
}
