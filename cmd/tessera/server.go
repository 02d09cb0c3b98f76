package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tessera-s3/tessera/node"
)

func serverCmd() *cobra.Command {
	var (
		configPath string
		listen     string
		dataDir    string
		drives     int
	)
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run a Tessera node (with no flags: one node on 127.0.0.1:9000, data in ./tessera-data)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := node.LoadConfig(configPath)
			if err != nil {
				return err
			}
			f := cmd.Flags()
			if f.Changed("listen") {
				cfg.Listen = listen
			}
			if f.Changed("data-dir") {
				cfg.DataDir = dataDir
			}
			if f.Changed("drives") {
				cfg.Drives = drives
			}
			if v := os.Getenv("TESSERA_TEST_CREDENTIAL_CLOCK_OFFSET"); v != "" {
				// Test aid: shifts the clock that decides STS session
				// expiry (not SigV4's), so end-to-end tests can expire
				// sessions without waiting 15 minutes.
				off, err := time.ParseDuration(v)
				if err != nil {
					return fmt.Errorf("TESSERA_TEST_CREDENTIAL_CLOCK_OFFSET=%q: %w", v, err)
				}
				cfg.CredentialNow = func() time.Time { return time.Now().Add(off) }
			}
			if addr := os.Getenv("TESSERA_PPROF"); addr != "" {
				stop, err := startPprof(addr)
				if err != nil {
					return err
				}
				defer stop()
			}
			cfg.Version = version
			n, err := node.New(cfg)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			err = n.Start(ctx, nil)
			cancel()
			if err != nil {
				_ = n.Shutdown(context.Background())
				return err
			}
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
			for {
				select {
				case s := <-sig:
					if s == syscall.SIGHUP {
						if err := n.Reload(); err != nil {
							fmt.Fprintln(os.Stderr, "tessera: reload:", err)
						}
						continue
					}
					fmt.Fprintf(os.Stderr, "tessera: %s received, shutting down\n", s)
				case err := <-n.Done():
					if err != nil {
						_ = n.Shutdown(context.Background())
						return fmt.Errorf("serve: %w", err)
					}
				}
				return n.Shutdown(context.Background())
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&configPath, "config", "", "TOML config file (see deploy/tessera.toml)")
	f.StringVar(&listen, "listen", "127.0.0.1:9000", "S3 API address, host:port (env TESSERA_LISTEN)")
	f.StringVar(&dataDir, "data-dir", "./tessera-data", "data folder (env TESSERA_DATA_DIR)")
	f.IntVar(&drives, "drives", 4, "drive folders created under the data folder when none are configured, 1-64 (env TESSERA_DRIVES)")
	return cmd
}

// startPprof serves net/http/pprof on addr, a loopback address only
// (TESSERA_PPROF, opt-in: profiles of a running node for `make bench` and
// performance work). It returns the function that stops it.
func startPprof(addr string) (func(), error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("TESSERA_PPROF=%q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("TESSERA_PPROF=%q: must be a loopback address such as 127.0.0.1:6060", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("TESSERA_PPROF: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "tessera: pprof:", err)
		}
	}()
	fmt.Fprintf(os.Stderr, "tessera: pprof on http://%s/debug/pprof/\n", ln.Addr())
	return func() { _ = srv.Close() }, nil
}
