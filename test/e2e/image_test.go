// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// Set by `make image-test` (see the Makefile).
const (
	// imageSkipEnv carries the "SKIPPED: no container engine: ..." message of
	// tools/container-engine.sh when no engine can be had on this machine.
	imageSkipEnv = "OTELCOL_LLM_IMAGE_SKIP"
	// caBundleEnv is the CA bundle make image copied into the image.
	caBundleEnv = "OTELCOL_LLM_CA_BUNDLE"
)

// What the Dockerfile promises for both images (the interface the Kubernetes
// manifests and the Helm chart rely on).
const (
	imageUID     = 10001
	imageSource  = "https://github.com/otelcol-llm/otelcol-llm" // module path of go.mod
	imageUserDB  = "root:x:0:0:root:/root:/sbin/nologin\notelcol-llm:x:10001:10001:otelcol-llm:/nonexistent:/sbin/nologin\n"
	imageGroup   = "root:x:0:\notelcol-llm:x:10001:\n"
	readyLogLine = "Everything is ready. Begin running and processing data."
)

// imageSpec is what the Dockerfile promises for one of its images (one build
// stage each), and where the Kubernetes manifests use it.
type imageSpec struct {
	// name is the Dockerfile stage, the image repository, the binary /<name>,
	// the title label and the configuration directory /etc/<name>.
	name string
	// env names the image under test (<name>:<version>), set by make image-test.
	env string
	// binaryEnv and binaryRel locate the binary `make build` produced.
	binaryEnv, binaryRel string
	// manifest is the ocb manifest whose dist.version the binary reports and
	// the image is tagged and labeled with.
	manifest string
	// config is the file of config/ shipped as /etc/<name>/config.yaml.
	config      string
	description string
	// ports are the ports the default configuration listens on, all on
	// 0.0.0.0, and the image exposes.
	ports []int
	// deployment is the kustomize Deployment and chartTemplate the Helm
	// template that run the image; chartImage is the key path of its image in
	// the chart's values.yaml.
	deployment, chartTemplate string
	chartImage                []string
}

// configPath is where the image's default configuration lies (its CMD).
func (s imageSpec) configPath() string { return "/etc/" + s.name + "/config.yaml" }

// collectorImage is otelcol-llm:<version>: OTLP gRPC, OTLP HTTP, the
// collector's telemetry, llm_* /metrics, health check.
var collectorImage = imageSpec{
	name:          "otelcol-llm",
	env:           "OTELCOL_LLM_IMAGE",
	binaryEnv:     "OTELCOL_LLM_BINARY",
	binaryRel:     "_build/otelcol-llm",
	manifest:      "builder-config.yaml",
	config:        "container.yaml",
	description:   "OpenTelemetry Collector distribution that turns LLM-call spans into llm_* Prometheus metrics",
	ports:         []int{4317, 4318, 8888, 8889, 13133},
	deployment:    "deploy/kubernetes/base/deployment.yaml",
	chartTemplate: "deployment.yaml",
	chartImage:    []string{"image"},
}

// imageUnderTest skips the test with the message of tools/container-engine.sh
// when no container engine can be had, and returns the image named by spec.env.
func imageUnderTest(t *testing.T, spec imageSpec) string {
	t.Helper()
	if msg := os.Getenv(imageSkipEnv); msg != "" {
		t.Skip(msg)
	}
	image := os.Getenv(spec.env)
	if image == "" {
		t.Fatalf("%s is not set: run `make image-test` (it builds the images, provides a container engine and sets %s)", spec.env, spec.env)
	}
	return image
}

// TestImage tests the container image `make image` built from _build/otelcol-llm:
// its metadata and OCI labels, its exact file tree, --version, the default
// configuration (validated, then run in a network namespace of its own: it
// listens on its five ports on 0.0.0.0, as user 10001), and the pipeline end to
// end: the image's own configuration with its listeners moved to free loopback
// ports below 32768 (docker run --network host), OTLP over gRPC and HTTP in,
// every llm_* series and the exporter's own counters exact on /metrics.
// `make image-test` provides the engine (tools/container-engine.sh) and the image.
func TestImage(t *testing.T) {
	spec := collectorImage
	image := imageUnderTest(t, spec)
	d := newDockerCLI(t)
	testImageCommon(t, d, spec, image)
	t.Run("pipeline", func(t *testing.T) { testImagePipeline(t, d, image) })
}

// testImageCommon runs the subtests every image gets: metadata and OCI
// labels, the exact file tree (its binary the one spec names), --version, the
// Kubernetes manifests that run it, and its default configuration.
func testImageCommon(t *testing.T, d dockerCLI, spec imageSpec, image string) {
	t.Helper()
	root := testproc.RepoRoot(t)
	binary := testproc.Prebuilt(t, spec.binaryEnv, spec.binaryRel, "build")

	t.Run("metadata", func(t *testing.T) { testImageMetadata(t, d, root, spec, image) })
	t.Run("files", func(t *testing.T) { testImageFiles(t, d, root, spec, binary, image) })
	t.Run("version", func(t *testing.T) { testImageVersion(t, d, root, spec, image) })
	t.Run("kubernetes", func(t *testing.T) { testImageManifests(t, root, spec) })
	t.Run("default config", func(t *testing.T) { testImageDefaultConfig(t, d, spec, image) })
}

// dockerCLI runs the docker client ($DOCKER, default docker) against the engine
// of DOCKER_HOST.
type dockerCLI struct{ bin string }

func newDockerCLI(t *testing.T) dockerCLI {
	t.Helper()
	name := os.Getenv("DOCKER")
	if name == "" {
		name = "docker"
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("docker client: %v (make image-test installs it with the engine)", err)
	}
	return dockerCLI{bin: bin}
}

// exec runs docker with args within timeout and returns stdout, stderr and the error.
func (d dockerCLI) exec(timeout time.Duration, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (timeout %s)", ctx.Err(), timeout)
	}
	return out.Bytes(), errOut.Bytes(), err
}

// run runs docker with args and returns its stdout; it fails the test when
// docker fails.
func (d dockerCLI) run(t *testing.T, timeout time.Duration, args ...string) []byte {
	t.Helper()
	out, errOut, err := d.exec(timeout, args...)
	if err != nil {
		t.Fatalf("docker %s: %v\n%s%s", strings.Join(args, " "), err, errOut, out)
	}
	return out
}

// containerState is the part of `docker inspect` .State the test reads.
type containerState struct {
	Status   string
	Running  bool
	Pid      int
	ExitCode int
}

func (d dockerCLI) state(t *testing.T, name string) containerState {
	t.Helper()
	var s containerState
	out := d.run(t, 30*time.Second, "inspect", "--format", "{{json .State}}", name)
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("docker inspect %s: %v: %s", name, err, out)
	}
	return s
}

// logs returns the container's output (the collector logs to stderr).
func (d dockerCLI) logs(name string) string {
	out, errOut, err := d.exec(30*time.Second, "logs", name)
	if err != nil {
		return fmt.Sprintf("docker logs %s: %v\n%s", name, err, errOut)
	}
	return string(out) + string(errOut)
}

// startContainer runs `docker run -d` with args and registers its removal
// (docker rm -f, the log printed first when the test failed).
func (d dockerCLI) startContainer(t *testing.T, args ...string) string {
	t.Helper()
	name := fmt.Sprintf("otelcol-llm-e2e-%d-%08x", os.Getpid(), rand.Uint32())
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- container %s log ----\n%s", name, d.logs(name))
		}
		if _, errOut, err := d.exec(time.Minute, "rm", "--force", name); err != nil {
			t.Errorf("docker rm --force %s: %v: %s", name, err, errOut)
		}
	})
	d.run(t, time.Minute, append([]string{"run", "--detach", "--name", name}, args...)...)
	return name
}

// stopContainer stops the container (SIGTERM) and requires a clean exit: the
// collector shuts down gracefully with status 0.
func (d dockerCLI) stopContainer(t *testing.T, name string) {
	t.Helper()
	d.run(t, time.Minute, "stop", "--time", "20", name)
	if s := d.state(t, name); s.Running || s.ExitCode != 0 {
		t.Errorf("after docker stop: container %s is %s with exit code %d, want exited with 0", name, s.Status, s.ExitCode)
	}
	if logs := d.logs(name); !strings.Contains(logs, "Shutdown complete.") {
		t.Errorf("container %s did not log \"Shutdown complete.\" on SIGTERM:\n%s", name, logs)
	}
}

// waitContainer polls check until it returns nil, failing the test when the
// container stops running or the deadline passes.
func (d dockerCLI) waitContainer(t *testing.T, name, what string, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		if last = check(); last == nil {
			return
		}
		if s := d.state(t, name); !s.Running {
			t.Fatalf("container %s is %s (exit code %d) before %s: %v", name, s.Status, s.ExitCode, what, last)
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s: not %s within %s: %v", name, what, timeout, last)
		}
		<-time.After(100 * time.Millisecond)
	}
}

// assertRunsAsImageUser reads /proc/<pid>/status of the container's process:
// real, effective, saved and filesystem uid and gid are 10001, and the only
// group is 10001 (docker lists the primary group as supplementary too).
func assertRunsAsImageUser(t *testing.T, pid int) {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("status of the container's process: %v", err)
	}
	ids := fmt.Sprintf("%d\t%d\t%d\t%d", imageUID, imageUID, imageUID, imageUID)
	want := map[string]string{"Uid": ids, "Gid": ids, "Groups": strconv.Itoa(imageUID)}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if w, found := want[k]; ok && found {
			if got := strings.TrimSpace(v); got != w {
				t.Errorf("container process %d: %s: %q, want %q", pid, k, got, w)
			}
			delete(want, k)
		}
	}
	for k := range want {
		t.Errorf("container process %d: no %s: line in /proc/%d/status", pid, k, pid)
	}
}

// builderVersion is dist.version of the ocb manifest (builder-config.yaml,
// builder-gateway.yaml): the version the binary reports and the image is
// tagged and labeled with.
func builderVersion(t *testing.T, root, manifestFile string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, manifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Dist struct {
			Version string `yaml:"version"`
		} `yaml:"dist"`
	}
	if err := yaml.Unmarshal(raw, &manifest); err != nil {
		t.Fatalf("%s: %v", manifestFile, err)
	}
	if manifest.Dist.Version == "" {
		t.Fatalf("%s: dist.version is not set", manifestFile)
	}
	return manifest.Dist.Version
}

// testImageVersion: the image's binary reports the version of its ocb manifest.
func testImageVersion(t *testing.T, d dockerCLI, root string, spec imageSpec, image string) {
	got := string(d.run(t, time.Minute, "run", "--rm", "--network", "none", image, "--version"))
	if want := spec.name + " version " + builderVersion(t, root, spec.manifest) + "\n"; got != want {
		t.Errorf("--version printed %q, want %q", got, want)
	}
}

// gitRevision is the revision make image labels the image with: the commit of
// HEAD, "-dirty" when tracked files differ from it, "unknown" outside git.
func gitRevision(t *testing.T, root string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	if err := exec.Command("git", "-C", root, "diff", "--quiet", "HEAD", "--").Run(); err != nil {
		rev += "-dirty"
	}
	return rev
}

func testImageMetadata(t *testing.T, d dockerCLI, root string, spec imageSpec, image string) {
	repo, _, ok := strings.Cut(image, ":")
	if !ok || strings.Contains(image, "@") {
		t.Fatalf("%s=%q is not a name:tag reference", spec.env, image)
	}
	latest := repo + ":latest"
	var images []struct {
		ID           string `json:"Id"`
		Os           string
		Architecture string
		Size         int64
		Config       struct {
			User         string
			Entrypoint   []string
			Cmd          []string
			WorkingDir   string
			ExposedPorts map[string]struct{}
			Labels       map[string]string
		}
	}
	out := d.run(t, time.Minute, "image", "inspect", image, latest)
	if err := json.Unmarshal(out, &images); err != nil || len(images) != 2 {
		t.Fatalf("docker image inspect %s %s: %v (%d images)", image, latest, err, len(images))
	}
	img := images[0]
	if images[1].ID != img.ID {
		t.Errorf("%s is image %s, %s is %s: want one image with both tags", image, img.ID, latest, images[1].ID)
	}
	version := builderVersion(t, root, spec.manifest)
	if want := repo + ":" + version; image != want {
		t.Errorf("image tag %s, want %s (dist.version of %s)", image, want, spec.manifest)
	}
	if img.Os != "linux" || img.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s", img.Os, img.Architecture, runtime.GOARCH)
	}
	c := img.Config
	if want := fmt.Sprintf("%d:%d", imageUID, imageUID); c.User != want {
		t.Errorf("User %q, want %q", c.User, want)
	}
	if want := []string{"/" + spec.name}; !slices.Equal(c.Entrypoint, want) {
		t.Errorf("Entrypoint %q, want %q", c.Entrypoint, want)
	}
	if want := []string{"--config", spec.configPath()}; !slices.Equal(c.Cmd, want) {
		t.Errorf("Cmd %q, want %q", c.Cmd, want)
	}
	if c.WorkingDir != "" {
		t.Errorf("WorkingDir %q, want none", c.WorkingDir)
	}
	var exposed []string
	for p := range c.ExposedPorts {
		exposed = append(exposed, p)
	}
	slices.Sort(exposed)
	var wantExposed []string
	for _, p := range spec.ports {
		wantExposed = append(wantExposed, fmt.Sprintf("%d/tcp", p))
	}
	slices.Sort(wantExposed)
	if !slices.Equal(exposed, wantExposed) {
		t.Errorf("ExposedPorts %v, want %v", exposed, wantExposed)
	}

	const label = "org.opencontainers.image."
	created, err := time.Parse(time.RFC3339, c.Labels[label+"created"])
	// make image-test builds the image right before the test.
	if now := time.Now(); err != nil || created.After(now.Add(time.Minute)) || created.Before(now.Add(-30*time.Minute)) {
		t.Errorf("label %screated = %q (%v): want the RFC 3339 time of the build, within the last 30 minutes", label, c.Labels[label+"created"], err)
	}
	want := map[string]string{
		label + "title":       spec.name,
		label + "description": spec.description,
		label + "version":     version,
		label + "revision":    gitRevision(t, root),
		label + "created":     c.Labels[label+"created"],
		label + "source":      imageSource,
		label + "url":         imageSource,
		label + "licenses":    "Apache-2.0",
		label + "vendor":      "The otelcol-llm Authors",
	}
	for k, w := range want {
		if got, ok := c.Labels[k]; !ok || got != w {
			t.Errorf("label %s = %q, want %q", k, got, w)
		}
	}
	for k, v := range c.Labels {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected label %s = %q", k, v)
		}
	}
	t.Logf("image %s (%s): %.1f MB, labels version %s, revision %s", image, img.ID, float64(img.Size)/1e6,
		c.Labels[label+"version"], c.Labels[label+"revision"])
}

// layerEntry is one file of the image's file system.
type layerEntry struct {
	typeflag byte
	mode     int64 // permission bits, setuid/setgid/sticky included
	uid, gid int
	content  []byte
}

// imageFiles reads `docker save` of image: the layer tars named by its
// manifest.json (docker's and the OCI layout's; plain or gzip), in order.
func imageFiles(t *testing.T, d dockerCLI, image string) (entries map[string]layerEntry, layers int) {
	t.Helper()
	saved := d.run(t, 2*time.Minute, "image", "save", image)
	blobs := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(saved))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("docker image save %s: %v", image, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		blobs[path.Clean(h.Name)] = data
	}
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(blobs["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("docker image save %s: manifest.json: %v (%d images)", image, err, len(manifest))
	}
	entries = map[string]layerEntry{}
	for _, name := range manifest[0].Layers {
		data, ok := blobs[path.Clean(name)]
		if !ok {
			t.Fatalf("docker image save %s: layer %s is missing", image, name)
		}
		var r io.Reader = bytes.NewReader(data)
		if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(r)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		lr := tar.NewReader(r)
		for {
			h, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("layer %s: %v", name, err)
			}
			e := layerEntry{typeflag: h.Typeflag, mode: h.Mode & 0o7777, uid: h.Uid, gid: h.Gid}
			if h.Typeflag == tar.TypeReg {
				if e.content, err = io.ReadAll(lr); err != nil {
					t.Fatal(err)
				}
			}
			entries[strings.TrimPrefix(path.Clean("/"+h.Name), "/")] = e
		}
	}
	return entries, len(manifest[0].Layers)
}

func testImageFiles(t *testing.T, d dockerCLI, root string, spec imageSpec, binary, image string) {
	entries, layers := imageFiles(t, d, image)
	if layers != 1 {
		t.Errorf("%d layers, want 1 (FROM scratch, one COPY)", layers)
	}
	read := func(p string) []byte {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	caBundle := os.Getenv(caBundleEnv)
	if caBundle == "" {
		caBundle = "/etc/ssl/certs/ca-certificates.crt"
	}
	dir := layerEntry{typeflag: tar.TypeDir, mode: 0o755}
	file := func(mode int64, content []byte) layerEntry {
		return layerEntry{typeflag: tar.TypeReg, mode: mode, content: content}
	}
	// Every file root-owned and read-only for the collector's user; /tmp is
	// the only writable place.
	want := map[string]layerEntry{
		spec.name:                           file(0o755, read(binary)),
		"etc":                               dir,
		"etc/passwd":                        file(0o644, []byte(imageUserDB)),
		"etc/group":                         file(0o644, []byte(imageGroup)),
		"etc/" + spec.name:                  dir,
		"etc/" + spec.name + "/config.yaml": file(0o644, read(filepath.Join(root, "config", spec.config))),
		"etc/ssl":                           dir,
		"etc/ssl/certs":                     dir,
		"etc/ssl/certs/ca-certificates.crt": file(0o644, read(caBundle)),
		"tmp":                               {typeflag: tar.TypeDir, mode: 0o1777},
	}
	for p, w := range want {
		g, ok := entries[p]
		switch {
		case !ok:
			t.Errorf("/%s is missing from the image", p)
		case g.typeflag != w.typeflag || g.mode != w.mode || g.uid != 0 || g.gid != 0:
			t.Errorf("/%s: type %q mode %04o owner %d:%d, want type %q mode %04o owner 0:0",
				p, g.typeflag, g.mode, g.uid, g.gid, w.typeflag, w.mode)
		case !bytes.Equal(g.content, w.content):
			t.Errorf("/%s: content (%d bytes, sha256 %x) differs from its source (%d bytes, sha256 %x)",
				p, len(g.content), sha256.Sum256(g.content), len(w.content), sha256.Sum256(w.content))
		}
	}
	for p := range entries {
		if _, ok := want[p]; !ok {
			t.Errorf("unexpected file /%s in the image", p)
		}
	}

	// The CA bundle is a real one: every PEM block a certificate Go parses.
	bundle := entries["etc/ssl/certs/ca-certificates.crt"].content
	var certs int
	for rest := bundle; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			if len(bytes.TrimSpace(rest)) > 0 {
				t.Errorf("CA bundle: %d bytes after the last certificate are not PEM", len(rest))
			}
			break
		}
		if block.Type != "CERTIFICATE" {
			t.Errorf("CA bundle: PEM block %q, want CERTIFICATE", block.Type)
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			t.Errorf("CA bundle: certificate %d: %v", certs+1, err)
		}
		certs++
	}
	if certs < 100 {
		t.Errorf("CA bundle /etc/ssl/certs/ca-certificates.crt holds %d certificates, want a full bundle (Debian's has over 100)", certs)
	}
	t.Logf("image files: %d entries, binary %d bytes, CA bundle %d certificates", len(entries), len(entries[spec.name].content), certs)
}

// listeningTCP returns the TCP listeners of the network namespace of pid as
// "address:port" (IPv4 from /proc/<pid>/net/tcp, IPv6 from tcp6), with "*"
// for the any-address of either family (0.0.0.0 is a dual-stack [::]
// listener where the namespace has IPv6), "127.0.0.1", else the hex address.
func listeningTCP(pid int) ([]string, error) {
	var out []string
	for _, file := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, file))
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[3] != "0A" { // 0A: TCP_LISTEN
				continue
			}
			addr, portHex, _ := strings.Cut(fields[1], ":")
			port, perr := strconv.ParseUint(portHex, 16, 16)
			if perr != nil {
				_ = f.Close()
				return nil, fmt.Errorf("%s: %q: %w", file, fields[1], perr)
			}
			switch addr {
			case "00000000", "00000000000000000000000000000000":
				addr = "*"
			case "0100007F":
				addr = "127.0.0.1"
			}
			out = append(out, fmt.Sprintf("%s:%d", addr, port))
		}
		err = sc.Err()
		_ = f.Close()
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return out, nil
}

// testImageDefaultConfig: the in-image configuration validates, and the image
// started with no argument (CMD) runs it: in a network namespace of its own
// (--network none, so it can bind its fixed ports without touching the host's)
// it listens on exactly its ports on all interfaces, as user 10001,
// and stops cleanly on SIGTERM.
func testImageDefaultConfig(t *testing.T, d dockerCLI, spec imageSpec, image string) {
	d.run(t, time.Minute, "run", "--rm", "--network", "none", image, "validate", "--config", spec.configPath())

	name := d.startContainer(t, "--network", "none", image)
	var want []string
	for _, p := range spec.ports {
		want = append(want, fmt.Sprintf("*:%d", p))
	}
	slices.Sort(want)
	pid := d.state(t, name).Pid
	d.waitContainer(t, name, "listening on its ports", time.Minute, func() error {
		got, err := listeningTCP(pid)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("listening on %v, want %v", got, want)
		}
		return nil
	})
	d.waitContainer(t, name, "ready", time.Minute, func() error {
		if !strings.Contains(d.logs(name), readyLogLine) {
			return fmt.Errorf("no %q in its log yet", readyLogLine)
		}
		return nil
	})
	assertRunsAsImageUser(t, pid)
	d.stopContainer(t, name)
}

// startCollectorContainer runs the otelcol-llm image's own configuration
// (/etc/otelcol-llm/config.yaml) with only its listeners moved to free
// loopback ports below 32768, as a user would override them (--set, and a
// yaml: config source for the telemetry reader list), on the host's network,
// and waits until it is healthy and serves /metrics.
func startCollectorContainer(t *testing.T, d dockerCLI, image string) (c *collector, name string) {
	t.Helper()
	ports := testproc.FreePorts(t, 5)
	c = &collector{grpcPort: ports[0], httpPort: ports[1], metricsPort: ports[2], healthPort: ports[3], telemetryPort: ports[4]}
	name = d.startContainer(t, "--network", "host", image,
		"--config", collectorImage.configPath(),
		fmt.Sprintf("--set=receivers::otlp::protocols::grpc::endpoint=127.0.0.1:%d", c.grpcPort),
		fmt.Sprintf("--set=receivers::otlp::protocols::http::endpoint=127.0.0.1:%d", c.httpPort),
		fmt.Sprintf("--set=exporters::llm_prometheus::endpoint=127.0.0.1:%d", c.metricsPort),
		fmt.Sprintf("--set=extensions::health_check::endpoint=127.0.0.1:%d", c.healthPort),
		telemetryConfigSource(c.telemetryPort),
	)
	d.waitContainer(t, name, "healthy", time.Minute, testproc.HTTPOK(fmt.Sprintf("http://127.0.0.1:%d/", c.healthPort)))
	d.waitContainer(t, name, "serving /metrics", 10*time.Second, testproc.HTTPOK(c.metricsURL()))
	return c, name
}

// telemetryConfigSource is the --config=yaml: argument that moves the
// collector's own metrics endpoint to 127.0.0.1:port (a list cannot be
// changed element by element, so the whole readers list is given).
func telemetryConfigSource(port int) string {
	return fmt.Sprintf("--config=yaml:service::telemetry::metrics::readers: [{pull: {exporter: {prometheus: "+
		"{host: 127.0.0.1, port: %d, without_scope_info: true, without_units: true, without_type_suffix: true}}}}]", port)
}

// testImagePipeline runs the image's own configuration on free loopback ports
// (startCollectorContainer), sends the scenario over OTLP/gRPC, OTLP/HTTP
// protobuf and JSON and checks every llm_* series and the exporter's own
// counters exactly after each send.
func testImagePipeline(t *testing.T, d dockerCLI, image string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, name := startCollectorContainer(t, d, image)

	// The image's configuration (config/container.yaml) has the dimensions
	// service and provider.
	sendScenarioChecked(ctx, t, c, "the container", true)
	assertRunsAsImageUser(t, d.state(t, name).Pid)
	d.stopContainer(t, name)
}

type k8sVolumeMount struct {
	MountPath string `yaml:"mountPath"`
}

// k8sContainer is the part of a Deployment's container the image test reads.
type k8sContainer struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		ContainerPort int `yaml:"containerPort"`
	} `yaml:"ports"`
	VolumeMounts    []k8sVolumeMount `yaml:"volumeMounts"`
	SecurityContext struct {
		RunAsUser  int `yaml:"runAsUser"`
		RunAsGroup int `yaml:"runAsGroup"`
	} `yaml:"securityContext"`
}

// chartArgsRE and chartPortRE find the container's args and ports in a Helm
// template of the chart (read as text: the values it uses are checked apart).
var (
	chartArgsRE = regexp.MustCompile(`(?m)^\s*args:\s*\n\s*- --config\s*\n\s*- (\S+)\s*$`)
	chartPortRE = regexp.MustCompile(`(?m)^\s*containerPort: (\d+)\s*$`)
)

// testImageManifests: the Kubernetes manifests that run the image agree with
// it: the kustomize Deployment names the image <name>:<version>, passes the
// image's own CMD (--config at the path where the image has its default and
// where the ConfigMap is mounted), declares exactly the exposed ports and runs
// as the image's user; the Helm chart's template does the same with the
// image of its values.yaml, tagged with the chart's appVersion by default.
func testImageManifests(t *testing.T, root string, spec imageSpec) {
	version := builderVersion(t, root, spec.manifest)
	configDir := path.Dir(spec.configPath())
	wantPorts := slices.Clone(spec.ports)
	slices.Sort(wantPorts)

	// readYAML decodes the file at path (relative to root) into v.
	readYAML := func(rel string, v any) {
		raw, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
	}
	var deployment struct {
		Kind string `yaml:"kind"`
		Spec struct {
			Template struct {
				Spec struct {
					Containers []k8sContainer `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	readYAML(spec.deployment, &deployment)
	if deployment.Kind != "Deployment" || len(deployment.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: kind %q with %d containers, want a Deployment with one", spec.deployment,
			deployment.Kind, len(deployment.Spec.Template.Spec.Containers))
	}
	c := deployment.Spec.Template.Spec.Containers[0]
	if want := spec.name + ":" + version; c.Image != want {
		t.Errorf("%s: image %q, want %q", spec.deployment, c.Image, want)
	}
	if want := []string{"--config", spec.configPath()}; !slices.Equal(c.Args, want) {
		t.Errorf("%s: args %q, want the image's CMD %q", spec.deployment, c.Args, want)
	}
	var ports []int
	for _, p := range c.Ports {
		ports = append(ports, p.ContainerPort)
	}
	slices.Sort(ports)
	if !slices.Equal(ports, wantPorts) {
		t.Errorf("%s: containerPorts %v, want the image's %v", spec.deployment, ports, wantPorts)
	}
	if !slices.ContainsFunc(c.VolumeMounts, func(m k8sVolumeMount) bool { return m.MountPath == configDir }) {
		t.Errorf("%s: no volume mounted on %s, the directory of the image's configuration", spec.deployment, configDir)
	}
	if c.SecurityContext.RunAsUser != imageUID || c.SecurityContext.RunAsGroup != imageUID {
		t.Errorf("%s: runAsUser %d, runAsGroup %d, want the image's %d", spec.deployment,
			c.SecurityContext.RunAsUser, c.SecurityContext.RunAsGroup, imageUID)
	}

	const chart = "deploy/helm/otelcol-llm"
	var meta struct {
		AppVersion string `yaml:"appVersion"`
	}
	readYAML(chart+"/Chart.yaml", &meta)
	var values map[string]any
	readYAML(chart+"/values.yaml", &values)
	img := values
	for _, k := range spec.chartImage {
		next, ok := img[k].(map[string]any)
		if !ok {
			t.Fatalf("chart values.yaml: no mapping %s", strings.Join(spec.chartImage, "."))
		}
		img = next
	}
	tag, _ := img["tag"].(string)
	if tag == "" {
		tag = meta.AppVersion
	}
	if got, want := fmt.Sprintf("%v:%s", img["repository"], tag), spec.name+":"+version; got != want {
		t.Errorf("chart: %s is %s (repository, tag or the chart's appVersion), want %s",
			strings.Join(spec.chartImage, "."), got, want)
	}
	raw, err := os.ReadFile(filepath.Join(root, chart, "templates", spec.chartTemplate))
	if err != nil {
		t.Fatal(err)
	}
	var configs []string
	for _, m := range chartArgsRE.FindAllSubmatch(raw, -1) {
		configs = append(configs, string(m[1]))
	}
	if want := []string{spec.configPath()}; !slices.Equal(configs, want) {
		t.Errorf("chart template %s: args --config %q, want %q (one container)", spec.chartTemplate, configs, want)
	}
	ports = nil
	for _, m := range chartPortRE.FindAllSubmatch(raw, -1) {
		p, _ := strconv.Atoi(string(m[1]))
		ports = append(ports, p)
	}
	slices.Sort(ports)
	if !slices.Equal(ports, wantPorts) {
		t.Errorf("chart template %s: containerPorts %v, want the image's %v", spec.chartTemplate, ports, wantPorts)
	}
	if !regexp.MustCompile(`(?m)^\s*mountPath: ` + regexp.QuoteMeta(configDir) + `\s*$`).Match(raw) {
		t.Errorf("chart template %s: no volume mounted on %s, the directory of the image's configuration", spec.chartTemplate, configDir)
	}
}
