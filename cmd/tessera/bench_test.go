package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tessera-s3/tessera/bench"
)

// runCLI runs "tessera ARGS..." with the bench command and returns stdout
// and stderr.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := &cobra.Command{Use: "tessera", SilenceUsage: true, SilenceErrors: true}
	g := &globals{}
	g.bind(root)
	root.AddCommand(benchCmd(g))
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errb.String(), err
}

func TestBenchCLI(t *testing.T) {
	for _, v := range []string{"TESSERA_ENDPOINT", "TESSERA_ACCESS_KEY", "TESSERA_SECRET_KEY", "TESSERA_SESSION_TOKEN", "TESSERA_CA_CERT"} {
		t.Setenv(v, "")
	}
	srv, err := bench.ListenNoop("127.0.0.1:0", bench.DefaultNoopConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	a, b, html := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "b.html")
	common := []string{"--endpoint", srv.Endpoint(), "--access-key", "k", "--secret-key", "s"}

	out, errOut, err := runCLI(t, append([]string{"bench", "put", "--ops", "200", "-c", "2", "--size", "1KiB", "--json", a, "--interval", "100ms"}, common...)...)
	if err != nil {
		t.Fatalf("bench put: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "PutObject") || !strings.Contains(out, "harness CPU") {
		t.Fatalf("summary:\n%s", out)
	}
	ra, err := bench.ReadResultFile(a)
	if err != nil || ra.Op("PutObject").Count != 200 || ra.Settings.Sizes != "1KiB" || ra.Settings.Concurrency != 2 {
		t.Fatalf("a.json: %+v %v", ra, err)
	}

	_, errOut, err = runCLI(t, append([]string{"bench", "mixed", "--ops", "300", "--mix", "get=60,put=40", "--keys", "20", "--json", b, "--html", html, "-q"}, common...)...)
	if err != nil {
		t.Fatalf("bench mixed: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "preparing objects") {
		t.Errorf("no setup message on stderr:\n%s", errOut)
	}
	page, err := os.ReadFile(html)
	if err != nil || !bytes.Contains(page, []byte("<svg")) {
		t.Fatalf("html report: %v", err)
	}

	out, _, err = runCLI(t, "bench", "compare", a, b)
	if err != nil || !strings.Contains(out, "B/A") || !strings.Contains(out, "PutObject") || !strings.Contains(out, "GetObject") {
		t.Fatalf("compare: %v\n%s", err, out)
	}

	// JSON to stdout moves the summary to stderr.
	out, errOut, err = runCLI(t, append([]string{"bench", "get", "--ops", "50", "--json", "-", "-q"}, common...)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bench.ReadResult(strings.NewReader(out)); err != nil || !strings.Contains(errOut, "GetObject") {
		t.Fatalf("--json -: %v\nstdout %q\nstderr %q", err, out, errOut)
	}

	for _, bad := range [][]string{
		{"bench", "put", "--size", "4XB"},
		{"bench", "mixed", "--mix", "copy=1"},
		{"bench", "put", "-c", "0"},
		{"bench", "auth", "--keys-file", filepath.Join(dir, "missing")},
	} {
		if _, _, err := runCLI(t, append(bad, common...)...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	if _, _, err := runCLI(t, "bench", "put", "--endpoint", srv.Endpoint()); err == nil || !strings.Contains(err.Error(), "access-key") {
		t.Errorf("missing keys: %v", err)
	}
}
