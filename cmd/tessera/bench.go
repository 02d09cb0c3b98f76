package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tessera-s3/tessera/bench"
)

// benchCmd is "tessera bench": one subcommand per workload, plus compare
// and noop.
func benchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load-test any S3 endpoint: put, get, mixed, list, multipart, delete, sts, auth; suite",
		Long: `Run a workload against an S3 endpoint (Tessera or any other S3 server) and report
throughput, latency percentiles, errors by S3 error code and the harness's own CPU use.

Examples:
  tessera bench put --size 4KiB -c 32 -d 30s --json put.json --html put.html
  tessera bench mixed --mix get=70,put=20,delete=10 --size 4KiB:50,1MiB:50
  tessera bench auth --users 100 -d 20s
  tessera bench compare before.json after.json
  tessera bench noop --listen 127.0.0.1:9999 --object-size 4KiB   # the harness's ceiling
  tessera bench suite --data-dir /mnt/nvme0/bench                   # what make bench runs`,
	}
	for _, wl := range bench.Workloads {
		cmd.AddCommand(benchRunCmd(g, wl))
	}
	cmd.AddCommand(benchCompareCmd(), benchNoopCmd(), benchSuiteCmd(g))
	return cmd
}

var benchShort = map[string]string{
	bench.WorkloadPut:       "PutObject to --keys keys round-robin",
	bench.WorkloadGet:       "GetObject of --keys prepared objects",
	bench.WorkloadMixed:     "get/put/delete/head/list weighted by --mix",
	bench.WorkloadList:      "ListObjectsV2 pages over --keys prepared objects",
	bench.WorkloadMultipart: "whole multipart uploads of --parts x --part-size",
	bench.WorkloadDelete:    "DeleteObject of --keys prepared objects (ends when all are gone)",
	bench.WorkloadSTS:       "STS AssumeRole rate (POST / on the endpoint)",
	bench.WorkloadAuth:      "GetObject signed by many users' keys (--users N or --keys-file)",
}

// benchFlags are the flags of a workload command.
type benchFlags struct {
	size, mix, partSize, keysFile, sessionToken, jsonOut, htmlOut, userPolicy string
	concurrency, keys, parts, maxKeys, users                                  int
	ops                                                                       int64
	seed                                                                      uint64
	duration, requestTimeout, interval, stsDuration                           time.Duration
	noCreateBucket, keepUsers, quiet                                          bool
	bucket, prefix                                                            string
}

func benchRunCmd(g *globals, workload string) *cobra.Command {
	d := bench.DefaultConfig()
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   workload,
		Short: benchShort[workload],
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBench(cmd, g, f, workload)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.size, "size", d.Sizes.String(), `object size or distribution, e.g. 4KiB, 1MiB or "4KiB:50,1MiB:50"`)
	fs.IntVarP(&f.concurrency, "concurrency", "c", d.Concurrency, "workers, each with one request in flight")
	fs.DurationVarP(&f.duration, "duration", "d", d.Duration, "length of the timed phase")
	fs.Int64Var(&f.ops, "ops", 0, "stop after this many operations (a multipart upload counts once); without --duration, run until then")
	fs.IntVar(&f.keys, "keys", d.Keys, "distinct object keys (objects prepared for get, mixed, list, delete, auth)")
	fs.StringVar(&f.bucket, "bucket", d.Bucket, "bucket, created when missing")
	fs.BoolVar(&f.noCreateBucket, "no-create-bucket", false, "do not create the bucket")
	fs.StringVar(&f.prefix, "prefix", d.Prefix, "object key prefix")
	fs.StringVar(&f.sessionToken, "session-token", os.Getenv("TESSERA_SESSION_TOKEN"), "session token of temporary credentials (env TESSERA_SESSION_TOKEN)")
	fs.DurationVar(&f.requestTimeout, "request-timeout", d.RequestTimeout, "time limit of each request")
	fs.DurationVar(&f.interval, "interval", d.Interval, "sampling interval of the timeline and the progress line")
	fs.Uint64Var(&f.seed, "seed", 0, "random seed of key and size choices (0: random)")
	fs.StringVar(&f.jsonOut, "json", "", `write the machine-readable result to FILE ("-" for stdout)`)
	fs.StringVar(&f.htmlOut, "html", "", "write a self-contained HTML report with charts to FILE")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress line")
	switch workload {
	case bench.WorkloadMixed:
		fs.StringVar(&f.mix, "mix", d.Mix.String(), "operation weights: get, put, delete, head, list")
	case bench.WorkloadMultipart:
		fs.StringVar(&f.partSize, "part-size", bench.FormatSize(d.PartSize), "part size (S3 wants >= 5MiB but for the last part)")
		fs.IntVar(&f.parts, "parts", d.Parts, "parts per upload")
	case bench.WorkloadList:
		fs.IntVar(&f.maxKeys, "max-keys", d.ListMaxKeys, "max-keys of each ListObjectsV2 request")
	case bench.WorkloadSTS, bench.WorkloadAuth:
		fs.IntVar(&f.users, "users", 0, "create this many users through the admin API (signing with --access-key, an admin) and spread requests over them")
		fs.StringVar(&f.keysFile, "keys-file", "", `file of key pairs to spread requests over, one "ACCESS SECRET [TOKEN]" a line`)
		fs.StringVar(&f.userPolicy, "user-policy", d.UserPolicy, "policy attached to created users")
		fs.BoolVar(&f.keepUsers, "keep-users", false, "keep the created users after the run")
		if workload == bench.WorkloadSTS {
			fs.DurationVar(&f.stsDuration, "sts-duration", d.STSDuration, "DurationSeconds asked for (15m-12h)")
		}
	}
	return cmd
}

func runBench(cmd *cobra.Command, g *globals, f *benchFlags, workload string) error {
	if err := g.checkCreds(); err != nil {
		return err
	}
	cfg := bench.DefaultConfig()
	cfg.Workload = workload
	cfg.Endpoint = strings.TrimRight(g.endpoint, "/")
	cfg.AccessKey, cfg.SecretKey, cfg.SessionToken, cfg.Region = g.accessKey, g.secretKey, f.sessionToken, g.region
	tc, err := g.tlsConfig()
	if err != nil {
		return err
	}
	cfg.TLS = tc
	if cfg.Sizes, err = bench.ParseSizeDist(f.size); err != nil {
		return fmt.Errorf("--size: %w", err)
	}
	cfg.Concurrency, cfg.Keys, cfg.Ops, cfg.Seed = f.concurrency, f.keys, f.ops, f.seed
	cfg.Duration = f.duration
	if f.ops > 0 && !cmd.Flags().Changed("duration") {
		cfg.Duration = 0
	}
	cfg.Bucket, cfg.Prefix, cfg.CreateBucket = f.bucket, f.prefix, !f.noCreateBucket
	cfg.RequestTimeout, cfg.Interval = f.requestTimeout, f.interval
	if f.mix != "" {
		if cfg.Mix, err = bench.ParseMix(f.mix); err != nil {
			return fmt.Errorf("--mix: %w", err)
		}
	}
	if f.partSize != "" {
		if cfg.PartSize, err = bench.ParseSize(f.partSize); err != nil {
			return fmt.Errorf("--part-size: %w", err)
		}
		cfg.Parts = f.parts
	}
	if f.maxKeys != 0 {
		cfg.ListMaxKeys = f.maxKeys
	}
	cfg.Users, cfg.KeepUsers = f.users, f.keepUsers
	if f.userPolicy != "" {
		cfg.UserPolicy = f.userPolicy
	}
	if f.stsDuration != 0 {
		cfg.STSDuration = f.stsDuration
	}
	if f.keysFile != "" {
		fh, err := os.Open(f.keysFile)
		if err != nil {
			return fmt.Errorf("--keys-file: %w", err)
		}
		cfg.Credentials, err = bench.LoadCredentials(fh)
		fh.Close()
		if err != nil {
			return fmt.Errorf("--keys-file %s: %w", f.keysFile, err)
		}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	if err := cfg.Validate(); err != nil {
		return err
	}

	// Ctrl-C ends the timed phase early and still reports; --timeout, when
	// given, does the same.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cmd.Flags().Changed("timeout") {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.timeout)
		defer cancel()
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	var progress func(bench.Snapshot)
	tty := false
	if fh, ok := stderr.(*os.File); ok {
		tty = term.IsTerminal(int(fh.Fd()))
	}
	if !f.quiet {
		progress = progressPrinter(stderr, tty)
	}
	res, err := bench.Run(ctx, cfg, progress)
	if progress != nil && tty {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	summary := stdout
	if f.jsonOut == "-" {
		summary = stderr
	}
	fmt.Fprintln(summary)
	if err := res.WriteSummary(summary); err != nil {
		return err
	}
	if f.jsonOut != "" {
		if err := writeTo(stdout, f.jsonOut, res.WriteJSON); err != nil {
			return fmt.Errorf("--json: %w", err)
		}
	}
	if f.htmlOut != "" {
		if err := writeTo(stdout, f.htmlOut, res.WriteHTML); err != nil {
			return fmt.Errorf("--html: %w", err)
		}
	}
	return nil
}

// progressPrinter rewrites one status line in place on a terminal, and
// prints a plain line every 5 seconds otherwise.
func progressPrinter(w io.Writer, tty bool) func(bench.Snapshot) {
	var next time.Duration
	return func(s bench.Snapshot) {
		if tty {
			fmt.Fprintf(w, "\r%s\x1b[K", s)
			return
		}
		if s.Elapsed >= next {
			fmt.Fprintln(w, s)
			next = s.Elapsed.Truncate(5*time.Second) + 5*time.Second
		}
	}
}

// writeTo writes with fn to path, or to stdout for "-".
func writeTo(stdout io.Writer, path string, fn func(io.Writer) error) error {
	if path == "-" {
		return fn(stdout)
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

func benchCompareCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "compare A.json B.json",
		Short: "Show two runs' results side by side with ratios B/A",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := bench.ReadResultFile(args[0])
			if err != nil {
				return err
			}
			b, err := bench.ReadResultFile(args[1])
			if err != nil {
				return err
			}
			return bench.Compare(cmd.OutOrStdout(), a, b)
		},
	}
}

func benchNoopCmd() *cobra.Command {
	var listen, size string
	cmd := &cobra.Command{
		Use:   "noop",
		Short: "Serve a no-op S3 responder (no storage, no signature checks) to measure the harness's ceiling",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := bench.DefaultNoopConfig()
			n, err := bench.ParseSize(size)
			if err != nil {
				return fmt.Errorf("--object-size: %w", err)
			}
			cfg.ObjectSize = n
			s, err := bench.ListenNoop(listen, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "noop S3 responder on %s (GET bodies of %s); Ctrl-C stops it\n", s.Endpoint(), bench.FormatSize(n))
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			<-ctx.Done()
			fmt.Fprintf(cmd.ErrOrStderr(), "served %d requests\n", s.Requests())
			if err := s.Close(); err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:9999", "address to listen on")
	cmd.Flags().StringVar(&size, "object-size", "4KiB", "body size of GET replies")
	return cmd
}
