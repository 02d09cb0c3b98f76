package bench

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestRunTLS runs against an https endpoint: trusted through Config.TLS,
// skipped verification, and refused without either.
func TestRunTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	s, err := NewNoopServer(DefaultNoopConfig())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})) }()
	t.Cleanup(func() { _ = s.Close() })
	ep := "https://" + ln.Addr().String()

	for name, tc := range map[string]*tls.Config{
		"ca":       {RootCAs: pool},
		"insecure": {InsecureSkipVerify: true},
	} {
		cfg := runConfig(ep, "k", "s", WorkloadGet, 100)
		cfg.TLS = tc
		r := mustRun(t, cfg)
		checkConsistent(t, r)
		if r.Total.Errors != 0 || opCount(r, OpGet) != 100 {
			t.Fatalf("%s: %d gets, errors %v", name, opCount(r, OpGet), r.Total.ErrorCodes)
		}
	}
	cfg := runConfig(ep, "k", "s", WorkloadPut, 10)
	cfg.CreateBucket = false
	r := mustRun(t, cfg)
	if r.Total.ErrorCodes["transport: tls"] != 10 {
		t.Fatalf("untrusted certificate: %v %v", r.Total.ErrorCodes, r.Ops[0].ErrorExamples)
	}
	if ex := r.Ops[0].ErrorExamples["transport: tls"]; !strings.Contains(ex, "certificate") {
		t.Fatalf("example %q does not mention the certificate", ex)
	}
}
