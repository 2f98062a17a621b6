// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package k8s

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testpki"
	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// Bounded waits of the cluster start-up.
const (
	etcdReadyTimeout      = 60 * time.Second
	apiServerReadyTimeout = 180 * time.Second
	crdReadyTimeout       = 60 * time.Second
	kubectlTimeout        = 60 * time.Second
	pollInterval          = 100 * time.Millisecond
)

// etcdBinary is $ETCD_BINARY, else etcd from PATH.
func etcdBinary(t *testing.T) string {
	t.Helper()
	if path := os.Getenv("ETCD_BINARY"); path != "" {
		return path
	}
	path, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatalf("etcd is not on PATH (%v): `make k8s-validate` installs Debian's etcd-server when run as root; "+
			"otherwise install etcd (apt-get install etcd-server, or an etcd release binary) or set ETCD_BINARY", err)
	}
	return path
}

// waitHTTP waits until a GET of url with client (and the bearer token, if
// not empty) answers 200, failing the test if p exits first or timeout
// passes; it returns the body of the 200 answer.
func waitHTTP(t *testing.T, p *testproc.Process, client *http.Client, url, token string, timeout time.Duration) []byte {
	t.Helper()
	var body []byte
	p.WaitFor(t, url+" to answer 200", timeout, func() (err error) {
		body, err = httpGet(client, url, token)
		return err
	})
	return body
}

func httpGet(client *http.Client, url, token string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(body))
	}
	return body, nil
}

// cluster is an etcd and a kube-apiserver on loopback (no controller manager,
// no nodes: objects are validated and stored, nothing runs), used through
// kubectl.
type cluster struct {
	kubectlBin string
	kubeconfig string
	cacheDir   string // kubectl's discovery cache
	dir        string
}

// startCluster starts etcd and kube-apiserver in temporary directories on free
// loopback ports below 32768 and waits (bounded) for /readyz. Both stop in
// t.Cleanup.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	apiserverBin := testproc.Prebuilt(t, "KUBE_APISERVER_BINARY", "bin/kube-apiserver", "k8s-validate")
	kubectlBin := testproc.Prebuilt(t, "KUBECTL_BINARY", "bin/kubectl", "k8s-validate")
	etcdBin := etcdBinary(t)
	dir := t.TempDir()
	ports := testproc.FreePorts(t, 3)
	etcdClient, etcdPeer, securePort := ports[0], ports[1], ports[2]

	start := time.Now()
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPeer)
	etcdCmd := exec.Command(etcdBin,
		"--name=validate",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=validate="+peerURL,
		"--log-level=warn",
	)
	// etcd reads ETCD_* variables as flags (and warns about ETCD_BINARY).
	etcdCmd.Env = testproc.EnvWithout(os.Environ(), "ETCD_")
	etcd := testproc.StartCmd(t, "etcd", etcdCmd)
	health := waitHTTP(t, etcd, &http.Client{}, etcdURL+"/health", "", etcdReadyTimeout)
	var etcdHealth struct {
		Health string `json:"health"`
	}
	if err := json.Unmarshal(health, &etcdHealth); err != nil || etcdHealth.Health != "true" {
		t.Fatalf("etcd /health = %s (%v), want {\"health\":\"true\"}", health, err)
	}
	t.Logf("etcd ready on %s after %s", etcdURL, time.Since(start).Round(time.Millisecond))

	// The API server's serving certificate, which kubectl and the readiness
	// poll trust through its CA.
	pki := testpki.Write(t, dir, "test/k8s CA")
	saKey, saPub := serviceAccountKeys(t, dir)
	token := testpki.Token(t)
	tokenFile := filepath.Join(dir, "tokens.csv")
	writeFile(t, tokenFile, token+",validate-admin,validate-admin,system:masters\n")

	apiStart := time.Now()
	apiserver := testproc.Start(t, "kube-apiserver", apiserverBin,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", securePort),
		"--tls-cert-file="+pki.CertFile,
		"--tls-private-key-file="+pki.KeyFile,
		// The default reconciler refuses 127.0.0.1 as the address of the
		// kubernetes service's endpoints; there is no such service here.
		"--endpoint-reconciler-type=none",
		"--service-cluster-ip-range=10.96.0.0/24",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+saPub,
		"--service-account-signing-key-file="+saKey,
		"--token-auth-file="+tokenFile,
		"--authorization-mode=AlwaysAllow",
		// No controller manager creates the default service accounts.
		"--disable-admission-plugins=ServiceAccount",
		"--profiling=false",
	)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs:    pki.Pool,
		MinVersion: tls.VersionTLS12,
	}}}
	base := fmt.Sprintf("https://127.0.0.1:%d", securePort)
	waitHTTP(t, apiserver, client, base+"/readyz", token, apiServerReadyTimeout)
	t.Logf("kube-apiserver ready on %s after %s (etcd and apiserver: %s)", base,
		time.Since(apiStart).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	if want := os.Getenv("K8S_VERSION"); want != "" {
		body, err := httpGet(client, base+"/version", token)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			GitVersion string `json:"gitVersion"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("/version: %v: %s", err, body)
		}
		if v.GitVersion != want {
			t.Fatalf("%s reports version %q, the Makefile pins K8S_VERSION=%s: delete bin/kube-apiserver and bin/kubectl to rebuild them",
				apiserverBin, v.GitVersion, want)
		}
	}

	c := &cluster{
		kubectlBin: kubectlBin,
		kubeconfig: filepath.Join(dir, "kubeconfig"),
		cacheDir:   filepath.Join(dir, "kubectl-cache"),
		dir:        dir,
	}
	writeFile(t, c.kubeconfig, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
  - name: validate
    cluster:
      server: %s
      certificate-authority: %s
users:
  - name: validate-admin
    user:
      token: %s
contexts:
  - name: validate
    context: {cluster: validate, user: validate-admin, namespace: default}
current-context: validate
`, base, pki.CAFile, token))
	return c
}

// kubectl runs kubectl against the cluster with stdin (if not nil) and returns
// its stdout and stderr.
func (c *cluster) kubectl(stdin []byte, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	args = append([]string{"--kubeconfig=" + c.kubeconfig, "--cache-dir=" + c.cacheDir}, args...)
	cmd := exec.CommandContext(ctx, c.kubectlBin, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("kubectl %s: no answer within %s: %w", strings.Join(args, " "), kubectlTimeout, ctx.Err())
	}
	return out.String(), errOut.String(), err
}

// mustKubectl runs kubectl and fails the test on an error.
func (c *cluster) mustKubectl(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	out, errOut, err := c.kubectl(stdin, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// serviceAccountKeys writes the ECDSA key pair that signs and verifies service
// account tokens (required flags of kube-apiserver) and returns their paths.
func serviceAccountKeys(t *testing.T, dir string) (keyFile, pubFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	keyFile = filepath.Join(dir, "sa.key")
	pubFile = filepath.Join(dir, "sa.pub")
	testpki.WritePEM(t, keyFile, "PRIVATE KEY", keyDER, 0o600)
	testpki.WritePEM(t, pubFile, "PUBLIC KEY", pubDER, 0o600)
	return keyFile, pubFile
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
