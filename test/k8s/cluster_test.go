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
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	rand2 "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Bounded waits of the cluster start-up.
const (
	etcdReadyTimeout      = 60 * time.Second
	apiServerReadyTimeout = 180 * time.Second
	crdReadyTimeout       = 60 * time.Second
	kubectlTimeout        = 60 * time.Second
	stopTimeout           = 15 * time.Second
	pollInterval          = 100 * time.Millisecond
)

// repoRoot is the directory holding the root go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.Contains(string(data), "module github.com/otelcol-llm/otelcol-llm\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the repository root (go.mod of github.com/otelcol-llm/otelcol-llm)")
		}
		dir = parent
	}
}

// prebuilt returns the path of a prebuilt binary: $env if set, else root/rel. It
// fails the test with the command that builds it when the file is missing.
func prebuilt(t *testing.T, env, rel, makeTarget string) string {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		path = filepath.Join(repoRoot(t), rel)
	}
	info, err := os.Stat(path)
	if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		t.Fatalf("%s is missing or not executable (%v): run `make %s` first, or set %s", path, err, makeTarget, env)
	}
	return path
}

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

// Listener ports are taken from [lowPortMin, lowPortMax): below the kernel's
// ephemeral range (ip_local_port_range starts at 32768), which other clients on
// the machine use for their outgoing connections.
const (
	lowPortMin = 20000
	lowPortMax = 32768
)

// freePorts returns n distinct free TCP ports on 127.0.0.1, below 32768, trying
// random ports a bounded number of times. The listeners are closed before
// returning; a port taken in between shows as a bind error in the child's log.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var lastErr error
	for tries := 0; len(ports) < n; tries++ {
		if tries == 200*n {
			t.Fatalf("no %d free loopback ports in [%d, %d) after %d tries: %v", n, lowPortMin, lowPortMax, tries, lastErr)
		}
		port := lowPortMin + rand2.IntN(lowPortMax-lowPortMin)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			lastErr = err
			continue
		}
		ls = append(ls, l)
		ports = append(ports, port)
	}
	return ports
}

// process is a child process whose output goes to a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

// startProcess starts bin with args in its own process group, killed by the
// kernel if the test process dies first; t.Cleanup stops it (SIGTERM, then
// SIGKILL after a deadline) and prints its log when the test failed.
func startProcess(t *testing.T, name, bin string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// etcd reads ETCD_* variables as flags (and warns about ETCD_BINARY).
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			p.dumpLog(t)
		}
	})
	return p
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to terminate and waits for it, killing its process
// group after stopTimeout.
func (p *process) stop(t *testing.T) {
	if p.exited() {
		return
	}
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		t.Logf("%s stopped %s after SIGTERM", p.name, time.Since(start).Round(time.Millisecond))
	case <-time.After(stopTimeout):
		t.Errorf("%s did not stop within %s of SIGTERM; killing it", p.name, stopTimeout)
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (p *process) dumpLog(t *testing.T) {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		t.Logf("%s log: %v", p.name, err)
		return
	}
	const maxLog = 32 << 10
	if len(data) > maxLog {
		data = append([]byte("…\n"), data[len(data)-maxLog:]...)
	}
	t.Logf("---- %s log (%s) ----\n%s", p.name, p.logPath, data)
}

// waitHTTP polls url with client until it answers 200, the process exits, or
// the deadline passes; it returns the body of the 200 answer.
func waitHTTP(t *testing.T, p *process, client *http.Client, url, token string, timeout time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p.exited() {
			p.dumpLog(t)
			t.Fatalf("%s exited before %s answered: %v", p.name, url, p.waitErr)
		}
		body, err := httpGet(client, url, token)
		if err == nil {
			return body
		}
		last = err
		select {
		case <-p.done:
		case <-time.After(pollInterval):
		}
	}
	p.dumpLog(t)
	t.Fatalf("%s: %s did not answer 200 within %s: %v", p.name, url, timeout, last)
	return nil
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
	apiserverBin := prebuilt(t, "KUBE_APISERVER_BINARY", "bin/kube-apiserver", "k8s-validate")
	kubectlBin := prebuilt(t, "KUBECTL_BINARY", "bin/kubectl", "k8s-validate")
	etcdBin := etcdBinary(t)
	dir := t.TempDir()
	ports := freePorts(t, 3)
	etcdClient, etcdPeer, securePort := ports[0], ports[1], ports[2]

	start := time.Now()
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPeer)
	etcd := startProcess(t, "etcd", etcdBin,
		"--name=validate",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=validate="+peerURL,
		"--log-level=warn",
	)
	health := waitHTTP(t, etcd, &http.Client{}, etcdURL+"/health", "", etcdReadyTimeout)
	var etcdHealth struct {
		Health string `json:"health"`
	}
	if err := json.Unmarshal(health, &etcdHealth); err != nil || etcdHealth.Health != "true" {
		t.Fatalf("etcd /health = %s (%v), want {\"health\":\"true\"}", health, err)
	}
	t.Logf("etcd ready on %s after %s", etcdURL, time.Since(start).Round(time.Millisecond))

	certFile, keyFile, caPool := servingCert(t, dir)
	saKey, saPub := serviceAccountKeys(t, dir)
	token := randomToken(t)
	tokenFile := filepath.Join(dir, "tokens.csv")
	writeFile(t, tokenFile, token+",validate-admin,validate-admin,system:masters\n")

	apiStart := time.Now()
	apiserver := startProcess(t, "kube-apiserver", apiserverBin,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", securePort),
		"--tls-cert-file="+certFile,
		"--tls-private-key-file="+keyFile,
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
		RootCAs:    caPool,
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
`, base, certFile, token))
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

// servingCert writes a self-signed ECDSA certificate for 127.0.0.1 and its key
// (the API server's serving certificate, which kubectl and the readiness poll
// trust) and returns their paths and a pool holding the certificate.
func servingCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "kube-apiserver of test/k8s"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = filepath.Join(dir, "serving.crt")
	keyFile = filepath.Join(dir, "serving.key")
	writeFile(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
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
	writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	writeFile(t, pubFile, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})))
	return keyFile, pubFile
}

func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
