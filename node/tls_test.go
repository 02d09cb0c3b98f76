package node_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/node"
	"github.com/tessera-s3/tessera/node/nodetest"
)

// writeCert writes a self-signed certificate for 127.0.0.1 with the given
// serial and returns its pool.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "tessera-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return pool
}

func TestTLSAndReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := writeCert(t, certFile, keyFile, 1)
	n := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.TLSCert, c.TLSKey = certFile, keyFile }))
	n.Endpoint = strings.Replace(n.Endpoint, "http://", "https://", 1)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	e := &env{t: t, n: n, ctx: t.Context(), root: n.S3(t, func(o *s3.Options) { o.HTTPClient = hc })}
	e.bucket("secure")
	if err := e.put(e.root, "secure", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if got, err := e.get(e.root, "secure", "k"); err != nil || got != "v" {
		t.Fatalf("get over TLS: %q %v", got, err)
	}
	// Plain HTTP to the TLS port fails.
	if resp, err := http.Get(strings.Replace(n.Endpoint, "https://", "http://", 1) + "/_tessera/health/live"); err == nil && resp.StatusCode == 200 {
		t.Fatal("plain HTTP served on the TLS port")
	}

	serial := func() int64 {
		conn, err := tls.Dial("tcp", strings.TrimPrefix(n.Endpoint, "https://"), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if s := serial(); s != 1 {
		t.Fatalf("serial %d", s)
	}
	writeCert(t, certFile, keyFile, 2)
	if err := n.Node.Reload(); err != nil {
		t.Fatal(err)
	}
	if s := serial(); s != 2 {
		t.Fatalf("after reload serial %d", s)
	}
	// A broken file keeps the old certificate.
	if err := os.WriteFile(certFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.Node.Reload(); err == nil {
		t.Fatal("reload of a broken certificate succeeded")
	}
	if s := serial(); s != 2 {
		t.Fatalf("after failed reload serial %d", s)
	}
}
