// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package testpki writes the TLS files and secrets of the project's tests: a
// CA and a server certificate signed by it for 127.0.0.1 and localhost, and
// random bearer tokens.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Files are the files Write wrote and a pool that trusts the CA.
type Files struct {
	// Pool holds the CA certificate: the roots of a client of the server.
	Pool *x509.CertPool
	// CAFile is the CA certificate (PEM); CertFile and KeyFile are the
	// server's certificate and its PKCS #8 key (PEM, mode 0600).
	CAFile, CertFile, KeyFile string
}

// Write writes ca.crt, server.crt and server.key into dir: ECDSA P-256, valid
// from an hour ago for a day; the server certificate, signed by the CA, is
// valid for IP 127.0.0.1 and the name localhost. cn names the CA (its
// subject's common name).
func Write(t *testing.T, dir, cn string) Files {
	t.Helper()
	serial := func() *big.Int {
		n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	now := time.Now()

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}

	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srvKeyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}

	f := Files{
		Pool:     x509.NewCertPool(),
		CAFile:   filepath.Join(dir, "ca.crt"),
		CertFile: filepath.Join(dir, "server.crt"),
		KeyFile:  filepath.Join(dir, "server.key"),
	}
	WritePEM(t, f.CAFile, "CERTIFICATE", caDER, 0o644)
	WritePEM(t, f.CertFile, "CERTIFICATE", srvDER, 0o644)
	WritePEM(t, f.KeyFile, "PRIVATE KEY", srvKeyDER, 0o600)
	f.Pool.AddCert(caCert)
	return f
}

// WritePEM writes one PEM block to path with the given mode.
func WritePEM(t *testing.T, path, typ string, der []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
		t.Fatal(err)
	}
}

// Token returns 32 random bytes, hex-encoded: a bearer token.
func Token(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
