// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package testpki

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestWrite checks the files: a server certificate that verifies against the
// pool (and the CA file) for 127.0.0.1 and localhost, for server use only,
// with a key that matches it; the key file readable by its owner only.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	f := Write(t, dir, "otelcol-llm testpki CA")
	if f.CAFile != filepath.Join(dir, "ca.crt") || f.CertFile != filepath.Join(dir, "server.crt") || f.KeyFile != filepath.Join(dir, "server.key") {
		t.Errorf("files %s %s %s, want ca.crt, server.crt and server.key in %s", f.CAFile, f.CertFile, f.KeyFile, dir)
	}
	pair, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		t.Fatalf("the key does not match the certificate: %v", err)
	}
	leaf := pair.Leaf
	if got := leaf.IPAddresses; len(got) != 1 || !got[0].Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("IP addresses %v, want [127.0.0.1]", got)
	}
	if !slices.Equal(leaf.DNSNames, []string{"localhost"}) || leaf.IsCA ||
		!slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("DNS names %v, CA %v, extended key usage %v; want [localhost], false, [server auth]", leaf.DNSNames, leaf.IsCA, leaf.ExtKeyUsage)
	}
	if leaf.Issuer.CommonName != "otelcol-llm testpki CA" {
		t.Errorf("issuer %q, want the CA", leaf.Issuer.CommonName)
	}

	caPEM, err := os.ReadFile(f.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	fromFile := x509.NewCertPool()
	if !fromFile.AppendCertsFromPEM(caPEM) {
		t.Fatalf("%s holds no PEM certificate", f.CAFile)
	}
	for _, roots := range []*x509.CertPool{f.Pool, fromFile} {
		for _, name := range []string{"127.0.0.1", "localhost"} {
			if _, verr := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, CurrentTime: time.Now()}); verr != nil {
				t.Errorf("verify for %s: %v", name, verr)
			}
		}
		if _, verr := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "example.com"}); verr == nil {
			t.Error("the certificate verifies for example.com")
		}
	}

	// The key is for its owner only; the certificates may be read by all
	// (the umask may take read bits away, never add write bits).
	for path, want := range map[string]os.FileMode{f.CAFile: 0o644, f.CertFile: 0o644, f.KeyFile: 0o600} {
		info, serr := os.Stat(path)
		if serr != nil {
			t.Fatal(serr)
		}
		if got := info.Mode().Perm(); got&^want != 0 || got&0o600 != 0o600 {
			t.Errorf("%s: mode %o, want %o (less the umask's bits for group and others)", path, got, want)
		}
	}
	keyPEM, err := os.ReadFile(f.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if b, rest := pem.Decode(keyPEM); b == nil || b.Type != "PRIVATE KEY" || len(rest) != 0 {
		t.Errorf("%s is not one PRIVATE KEY block", f.KeyFile)
	}
}

func TestToken(t *testing.T) {
	a, b := Token(t), Token(t)
	raw, err := hex.DecodeString(a)
	if err != nil || len(raw) != 32 || len(a) != 64 {
		t.Errorf("token %q: %d bytes (%v), want 32 hex-encoded", a, len(raw), err)
	}
	if a == b {
		t.Errorf("two tokens are equal: %s", a)
	}
}
