package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tessera-s3/tessera/admin"
)

// globals are the flags every admin command takes.
type globals struct {
	endpoint  string
	accessKey string
	secretKey string
	region    string
	json      bool
	caCert    string
	insecure  bool
	timeout   time.Duration
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func (g *globals) bind(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&g.endpoint, "endpoint", envOr("TESSERA_ENDPOINT", "http://127.0.0.1:9000"), "node URL (env TESSERA_ENDPOINT)")
	f.StringVar(&g.accessKey, "access-key", os.Getenv("TESSERA_ACCESS_KEY"), "access key, i.e. user name (env TESSERA_ACCESS_KEY)")
	f.StringVar(&g.secretKey, "secret-key", os.Getenv("TESSERA_SECRET_KEY"), "secret key, i.e. password (env TESSERA_SECRET_KEY)")
	f.StringVar(&g.region, "region", envOr("TESSERA_REGION", "us-east-1"), "signing region (env TESSERA_REGION)")
	f.BoolVar(&g.json, "json", false, "print machine-readable JSON")
	f.StringVar(&g.caCert, "ca-cert", os.Getenv("TESSERA_CA_CERT"), "PEM file of the CA that signed the node's certificate (env TESSERA_CA_CERT)")
	f.BoolVar(&g.insecure, "insecure", false, "do not verify the node's TLS certificate")
	f.DurationVar(&g.timeout, "timeout", 60*time.Second, "time limit for the command")
}

func (g *globals) tlsConfig() (*tls.Config, error) {
	if g.caCert == "" && !g.insecure {
		return nil, nil
	}
	c := &tls.Config{InsecureSkipVerify: g.insecure} //nolint:gosec // operator's explicit choice
	if g.caCert != "" {
		pem, err := os.ReadFile(g.caCert)
		if err != nil {
			return nil, fmt.Errorf("--ca-cert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-cert: %s holds no PEM certificate", g.caCert)
		}
		c.RootCAs = pool
	}
	return c, nil
}

func (g *globals) checkCreds() error {
	if g.accessKey == "" {
		return errors.New("--access-key (or TESSERA_ACCESS_KEY) is required")
	}
	if g.secretKey == "" {
		return errors.New("--secret-key (or TESSERA_SECRET_KEY) is required")
	}
	return nil
}

func (g *globals) admin() (*admin.Client, error) {
	if err := g.checkCreds(); err != nil {
		return nil, err
	}
	tc, err := g.tlsConfig()
	if err != nil {
		return nil, err
	}
	c := admin.NewClient(g.endpoint, g.accessKey, g.secretKey, tc)
	c.Region = g.region
	return c, nil
}

func (g *globals) s3() (*s3.Client, error) {
	if err := g.checkCreds(); err != nil {
		return nil, err
	}
	ac, err := g.admin()
	if err != nil {
		return nil, err
	}
	return s3.New(s3.Options{
		Region:       g.region,
		BaseEndpoint: aws.String(g.endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(g.accessKey, g.secretKey, ""),
		HTTPClient:   ac.HTTP,
	}), nil
}

func (g *globals) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), g.timeout)
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table prints rows under a header with aligned columns.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// promptSecret asks for a secret on the terminal without echo, or reads one
// line from stdin when it is not a terminal.
func promptSecret(prompt string, confirm bool) (string, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("reading %s from stdin: %w", strings.ToLower(prompt), err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprint(os.Stderr, prompt+": ")
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", err
	}
	if confirm {
		fmt.Fprint(os.Stderr, "Repeat "+strings.ToLower(prompt)+": ")
		b2, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", err
		}
		if string(b) != string(b2) {
			return "", errors.New("the two entries differ")
		}
	}
	return string(b), nil
}

// explain turns API errors into one line for people.
func explain(err error) error {
	var ae *admin.Error
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %s", ae.Code, ae.Message)
	}
	return err
}

// withAdmin runs fn with an admin API client and a context bounded by
// --timeout.
func (g *globals) withAdmin(fn func(ctx context.Context, c *admin.Client) error) error {
	c, err := g.admin()
	if err != nil {
		return err
	}
	ctx, cancel := g.ctx()
	defer cancel()
	return fn(ctx, c)
}

// withS3 runs fn with an S3 client and a context bounded by --timeout.
func (g *globals) withS3(fn func(ctx context.Context, c *s3.Client) error) error {
	c, err := g.s3()
	if err != nil {
		return err
	}
	ctx, cancel := g.ctx()
	defer cancel()
	return fn(ctx, c)
}
