// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package k8s

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otelcol-llm/otelcol-llm/test/internal/testproc"
)

// defaultManifests are the project's manifests that the test validates when
// K8S_MANIFESTS is not set (globs relative to the repository root; a pattern
// that matches nothing is skipped with a message). K8S_MANIFESTS replaces
// them with its space-separated globs, each of which must match a file.
var defaultManifests = []string{".tmp/k8s/rendered/*.yaml", "deploy/operator/*.yaml"}

// missingHint says how to get the files of a default pattern.
var missingHint = map[string]string{
	".tmp/k8s/rendered/*.yaml": " (make k8s-render writes them)",
}

// fixtures are always validated: they must pass, with this many objects each.
var fixtures = map[string]int{
	"test/k8s/testdata/valid/collector.yaml":  6, // ServiceAccount, Role, RoleBinding, ConfigMap, Deployment, Service
	"test/k8s/testdata/valid/monitoring.yaml": 4, // Namespace, ServiceMonitor, PodMonitor, PrometheusRule
	"test/k8s/testdata/valid/operator.yaml":   1, // OpenTelemetryCollector
}

// collectorConfigs is how many collector configurations (test/k8s/collector_test.go)
// each project manifest and fixture holds: each must be found and validated.
var collectorConfigs = map[string]int{
	".tmp/k8s/rendered/helm-all.yaml":               2, // collector (with pricing.file) and gateway
	".tmp/k8s/rendered/helm-default.yaml":           1,
	".tmp/k8s/rendered/helm-podmonitor.yaml":        2,
	".tmp/k8s/rendered/kustomize-gateway-k8s.yaml":  2,
	".tmp/k8s/rendered/kustomize-gateway.yaml":      2,
	".tmp/k8s/rendered/kustomize-podmonitor.yaml":   1,
	".tmp/k8s/rendered/kustomize-single.yaml":       1,
	".tmp/k8s/rendered/opentelemetrycollector.yaml": 1,
	"deploy/operator/opentelemetrycollector.yaml":   1,
	"test/k8s/testdata/valid/collector.yaml":        1,
	"test/k8s/testdata/valid/monitoring.yaml":       0,
	"test/k8s/testdata/valid/operator.yaml":         1,
}

// errNoDocument marks a manifest file without any object.
var errNoDocument = errors.New("no Kubernetes object in the file")

// crdDir holds the vendored CustomResourceDefinitions (see its README.md).
const crdDir = "test/k8s/crds"

// document is one object of a manifest file.
type document struct {
	file  string // path relative to the repository root
	line  int    // line of the document's first key in the file
	start int    // line of raw's first line in the file
	raw   []byte
	header
}

type header struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
}

// String names the document in every error: file, line, kind and name.
func (d *document) String() string {
	name := d.Metadata.Name
	if d.Metadata.Namespace != "" {
		name = d.Metadata.Namespace + "/" + name
	}
	return fmt.Sprintf("%s:%d (%s %s)", d.file, d.line, d.Kind, name)
}

// yamlLine is a position in a YAML parser error.
var yamlLine = regexp.MustCompile(`line (\d+)`)

// fileLines rewrites the "line N" of a YAML error, counted from the first
// line of a document that starts at line start of its file, to the file's
// line numbers, and drops the "yaml: " prefix.
func fileLines(err error, start int) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.ReplaceAll(strings.TrimPrefix(msg, "unmarshal errors:\n  "), "\n  ", "; ")
	return yamlLine.ReplaceAllStringFunc(msg, func(m string) string {
		n, _ := strconv.Atoi(yamlLine.FindStringSubmatch(m)[1])
		return fmt.Sprintf("line %d", start+n-1)
	})
}

// readDocuments splits a multi-document YAML file as kubectl does (a line
// starting with "---" followed by nothing but blanks or a comment separates
// documents) and reads each document's kind, name and namespace. Empty
// documents are skipped; a document that is not YAML or lacks apiVersion or
// kind is an error naming the file and line.
func readDocuments(root, rel string) ([]*document, error) {
	path := rel
	if !filepath.IsAbs(rel) {
		path = filepath.Join(root, rel)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var docs []*document
	var errs []error
	flush := func(raw []byte, line int) {
		var node yaml.Node
		if err := yaml.Unmarshal(raw, &node); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: not YAML: %s", rel, line, fileLines(err, line)))
			return
		}
		if len(node.Content) == 0 || (node.Content[0].Kind == yaml.ScalarNode && node.Content[0].Tag == "!!null") {
			return // empty or comments only
		}
		d := &document{file: rel, start: line, line: line + node.Content[0].Line - 1, raw: raw}
		if err := node.Decode(&d.header); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: not a Kubernetes object: %w", rel, line, err))
			return
		}
		if d.APIVersion == "" || d.Kind == "" {
			errs = append(errs, fmt.Errorf("%s:%d: no apiVersion or kind: not a Kubernetes object", rel, d.line))
			return
		}
		// kubectl keeps the last of two equal keys and the server never sees
		// the first: a duplicate key would be lost silently.
		var v any
		if err := node.Decode(&v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s", d, fileLines(err, line)))
			return
		}
		docs = append(docs, d)
	}
	var cur bytes.Buffer
	start, n := 1, 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if rest, ok := bytes.CutPrefix(line, []byte("---")); ok {
			if trimmed := bytes.TrimSpace(rest); len(trimmed) == 0 || trimmed[0] == '#' {
				flush(bytes.Clone(cur.Bytes()), start)
				cur.Reset()
				start = n + 1
				continue
			}
		}
		cur.Write(line)
		cur.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	flush(bytes.Clone(cur.Bytes()), start)
	if len(docs) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s: %w", rel, errNoDocument))
	}
	return docs, errors.Join(errs...)
}

// manifestFiles expands the globs of the project's manifests (K8S_MANIFESTS or
// defaultManifests) and adds the valid fixtures; kustomization files are not
// objects and are left out.
func manifestFiles(t *testing.T, root string) []string {
	t.Helper()
	patterns, required := defaultManifests, false
	if env := strings.Fields(os.Getenv("K8S_MANIFESTS")); len(env) > 0 {
		patterns, required = env, true
	}
	var files []string
	for _, p := range patterns {
		abs := p
		if !filepath.IsAbs(p) {
			abs = filepath.Join(root, p)
		}
		matches, err := filepath.Glob(abs)
		if err != nil {
			t.Fatalf("K8S_MANIFESTS pattern %q: %v", p, err)
		}
		var n int
		for _, m := range matches {
			rel, err := filepath.Rel(root, m)
			if err != nil || strings.HasPrefix(rel, "..") {
				rel = m // outside the repository: named by its absolute path
			}
			switch filepath.Base(rel) {
			case "kustomization.yaml", "kustomization.yml", "Kustomization":
				t.Logf("%s: a kustomization, not an object: skipped (validate its `kubectl kustomize` output)", rel)
				continue
			}
			files = append(files, rel)
			n++
		}
		switch {
		case n > 0:
		case required:
			t.Errorf("K8S_MANIFESTS pattern %q matches no manifest file", p)
		default:
			t.Logf("NOTE: no manifest file matches %s: not validated%s", p, missingHint[p])
		}
	}
	for f := range fixtures {
		files = append(files, f)
	}
	sort.Strings(files)
	return slices.Compact(files)
}

// installCRDs creates the vendored CRDs for real, waits until they are
// Established and until discovery serves them (bounded), and returns their
// names.
func installCRDs(t *testing.T, c *cluster, root string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, crdDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRD in %s (%v)", crdDir, err)
	}
	var names []string
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		docs, err := readDocuments(root, rel)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if d.Kind != "CustomResourceDefinition" {
				t.Fatalf("%s: want only CustomResourceDefinitions in %s", d, crdDir)
			}
			names = append(names, d.Metadata.Name)
		}
		// create, not apply: the last-applied annotation of a client-side apply
		// would exceed its 256 KiB limit with the OpenTelemetryCollector CRD.
		c.mustKubectl(t, nil, "create", "-f", f)
	}
	sort.Strings(names)

	// Established, then served: a CRD name is <plural>.<group>, so `kubectl
	// get <name>` lists its objects once discovery serves the kind (it may lag
	// behind Established); the discovery cache is dropped before each try so
	// that no try sees a stale one. (kubectl wait fails instead of waiting
	// while a new CRD has no status.conditions yet.)
	deadline := time.Now().Add(crdReadyTimeout)
	for _, n := range names {
		poll(t, deadline, "CRD "+n+" Established", func() error {
			out, errOut, err := c.kubectl(nil, "get", "customresourcedefinition", n,
				"-o", `jsonpath={.status.conditions[?(@.type=="Established")].status}`)
			if err != nil {
				return fmt.Errorf("%w: %s", err, errOut)
			}
			if out != "True" {
				return fmt.Errorf("condition Established is %q", out)
			}
			return nil
		})
		poll(t, deadline, "CRD "+n+" served", func() error {
			if err := os.RemoveAll(c.cacheDir); err != nil {
				return err
			}
			if _, errOut, err := c.kubectl(nil, "get", n, "--all-namespaces", "-o", "name"); err != nil {
				return fmt.Errorf("%w: %s", err, errOut)
			}
			return nil
		})
	}
	return names
}

// poll calls try until it returns nil; past the deadline it fails the test
// with the last error.
func poll(t *testing.T, deadline time.Time, what string, try func() error) {
	t.Helper()
	for {
		err := try()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, crdReadyTimeout, err)
		}
		time.Sleep(pollInterval) // the interval of a poll with a deadline
	}
}

// createNamespaces creates (for real) every namespace the documents use, so
// that a dry run of an object in a namespace that the same set creates (or
// expects to exist) can succeed.
func createNamespaces(t *testing.T, c *cluster, docs []*document) {
	t.Helper()
	set := map[string]bool{"default": true}
	for _, d := range docs {
		if d.Metadata.Namespace != "" {
			set[d.Metadata.Namespace] = true
		}
	}
	var b strings.Builder
	for _, ns := range slices.Sorted(maps.Keys(set)) {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %q\n", ns)
	}
	c.mustKubectl(t, []byte(b.String()), "apply", "-f", "-")
}

// validate dry-runs one document against the API server with strict field
// validation (unknown and duplicate fields are errors, as are invalid values)
// and, for a PrometheusRule, checks its rules with promtool. The error names
// the document (file, line, kind, name); the server's and promtool's messages
// name the field.
func validate(c *cluster, promtool string, d *document) error {
	var errs []error
	out, errOut, err := c.kubectl(d.raw, "apply", "--dry-run=server", "--validate=strict", "-f", "-")
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("%s: kubectl apply --dry-run=server --validate=strict: %s (%w)",
			d, nameField(c, d, strings.TrimSpace(errOut)), err))
	case !strings.Contains(out, "(server dry run)"):
		errs = append(errs, fmt.Errorf("%s: kubectl apply printed no server dry run: %q %q", d, out, errOut))
	}
	if d.Kind == "PrometheusRule" && strings.HasPrefix(d.APIVersion, "monitoring.coreos.com/") {
		if err := checkRules(c, promtool, d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkRules runs `promtool check rules` on spec.groups of a PrometheusRule,
// written as a Prometheus rule file. The file holds the document's own lines
// of spec.groups at their line numbers (earlier lines blank, the indentation
// of the groups key removed), so that promtool's file:line:column point into
// the manifest; spec.groups in flow style is re-encoded instead.
func checkRules(c *cluster, promtool string, d *document) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(d.raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", d, err)
	}
	if len(doc.Content) == 0 {
		return fmt.Errorf("%s: empty document", d)
	}
	spec := child(doc.Content[0], step{key: "spec"})
	var key, groups *yaml.Node
	if spec != nil && spec.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(spec.Content); i += 2 {
			if spec.Content[i].Value == "groups" {
				key, groups = spec.Content[i], spec.Content[i+1]
			}
		}
	}
	if groups == nil {
		return fmt.Errorf("%s: spec.groups is missing: no rule to check", d)
	}
	data, indent := ruleFileLines(d.raw, doc.Content[0], key, groups)
	if data == nil {
		out, err := yaml.Marshal(map[string]*yaml.Node{"groups": groups})
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		data = out
	}
	dir, err := os.MkdirTemp(c.dir, "rules")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool, "check", "rules", path)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		// promtool's "file: line:column:" prefix
		position := regexp.MustCompile(regexp.QuoteMeta(path) + `: (\d+):(\d+):`)
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "Checking "+path) {
				continue
			}
			lines = append(lines, position.ReplaceAllStringFunc(l, func(m string) string {
				sub := position.FindStringSubmatch(m)
				line, _ := strconv.Atoi(sub[1])
				col, _ := strconv.Atoi(sub[2])
				if indent < 0 { // re-encoded: positions are not the manifest's
					return "spec.groups:"
				}
				return fmt.Sprintf("%s:%d:%d:", d.file, d.start+line-1, col+indent)
			}))
		}
		return fmt.Errorf("%s: promtool check rules (spec.groups): %s (%w)", d, strings.Join(lines, " "), err)
	}
	return nil
}

// ruleFileLines returns raw's lines of spec.groups (from the groups key to the
// line before the next key of spec or of the document) with the key's
// indentation removed and every other line blank, and that indentation; nil
// and -1 when spec.groups is not in block style.
func ruleFileLines(raw []byte, root, key, groups *yaml.Node) ([]byte, int) {
	lines := strings.Split(string(raw), "\n")
	first := key.Line
	if first < 1 || first > len(lines) || groups.Style&yaml.FlowStyle != 0 {
		return nil, -1
	}
	indent := key.Column - 1
	if strings.TrimSpace(lines[first-1][:min(indent, len(lines[first-1]))]) != "" {
		return nil, -1 // groups is not the first key on its line (flow style)
	}
	last := len(lines)
	for _, m := range []*yaml.Node{root, child(root, step{key: "spec"})} {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if l := m.Content[i].Line; l > first && l-1 < last {
				last = l - 1
			}
		}
	}
	var b strings.Builder
	for i := 1; i < first; i++ {
		b.WriteByte('\n')
	}
	for _, l := range lines[first-1 : last] {
		if len(l) >= indent && strings.TrimSpace(l[:indent]) == "" {
			l = l[indent:]
		} else {
			l = strings.TrimLeft(l, " ")
		}
		b.WriteString(l + "\n")
	}
	return []byte(b.String()), indent
}

// TestManifests starts etcd and kube-apiserver, installs the vendored CRDs and
// dry-runs every document of the project's manifests and of the fixtures with
// strict validation; then each invalid fixture must fail with its field named.
func TestManifests(t *testing.T) {
	root := testproc.RepoRoot(t)
	promtool := testproc.Prebuilt(t, "PROMTOOL_BINARY", "bin/promtool", "tools")
	bins := binaries{
		"otelcol-llm":         testproc.Prebuilt(t, "OTELCOL_LLM_BINARY", "_build/otelcol-llm", "build"),
		"otelcol-llm-gateway": testproc.Prebuilt(t, "OTELCOL_LLM_GATEWAY_BINARY", "_build/otelcol-llm-gateway", "build"),
	}

	var docs []*document
	byFile := map[string][]*document{}
	files := manifestFiles(t, root)
	for _, f := range files {
		fd, err := readDocuments(root, f)
		if err != nil {
			t.Error(err)
		}
		if want, ok := fixtures[f]; ok && len(fd) != want {
			t.Errorf("%s: %d objects, want %d", f, len(fd), want)
		}
		docs = append(docs, fd...)
		byFile[f] = fd
	}
	invalid := make([][]*document, len(invalidCases))
	for i, tc := range invalidCases {
		fd, err := readDocuments(root, tc.file)
		if err != nil || len(fd) != max(tc.objects, 1) {
			t.Fatalf("%s: %d objects, want %d: %v", tc.file, len(fd), max(tc.objects, 1), err)
		}
		invalid[i] = fd
	}

	// The collector configurations need no cluster: checked first.
	t.Run("collector-configs", func(t *testing.T) {
		start := time.Now()
		var total int
		for _, f := range files {
			n, notes, err := checkCollectorConfigs(bins, t.TempDir(), byFile[f])
			for _, note := range notes {
				t.Log("NOTE: " + note)
			}
			if err != nil {
				t.Error(err)
			}
			if want, ok := collectorConfigs[f]; ok && n != want {
				t.Errorf("%s: %d collector configurations found, want %d", f, n, want)
			}
			t.Logf("%s: %d collector configurations validated", f, n)
			total += n
		}
		t.Logf("%d collector configurations of %d files validated in %s", total, len(files), time.Since(start).Round(time.Millisecond))
	})

	c := startCluster(t)
	crdStart := time.Now()
	crds := installCRDs(t, c, root)
	t.Logf("CRDs established and served after %s: %s", time.Since(crdStart).Round(time.Millisecond), strings.Join(crds, ", "))
	createNamespaces(t, c, append(slices.Clone(docs), slices.Concat(invalid...)...))

	t.Run("valid", func(t *testing.T) {
		start := time.Now()
		kinds := map[string]int{}
		for _, d := range docs {
			kinds[d.Kind]++
			if err := validate(c, promtool, d); err != nil {
				t.Error(err)
			}
		}
		var summary []string
		for _, k := range slices.Sorted(maps.Keys(kinds)) {
			summary = append(summary, fmt.Sprintf("%s %d", k, kinds[k]))
		}
		t.Logf("%d objects of %d files validated in %s (PrometheusRules also with promtool): %s",
			len(docs), len(files), time.Since(start).Round(time.Millisecond), strings.Join(summary, ", "))
	})

	t.Run("invalid", func(t *testing.T) {
		for i, tc := range invalidCases {
			t.Run(strings.TrimSuffix(filepath.Base(tc.file), ".yaml"), func(t *testing.T) {
				var errs []error
				for _, d := range invalid[i] {
					errs = append(errs, validate(c, promtool, d))
				}
				_, _, err := checkCollectorConfigs(bins, t.TempDir(), invalid[i])
				err = errors.Join(append(errs, err)...)
				if err == nil {
					t.Fatalf("%s passed validation, want: %s", tc.file, tc.want)
				}
				if got := err.Error(); got != tc.want {
					t.Errorf("error:\n got: %s\nwant: %s", got, tc.want)
				}
			})
		}
	})
}

// invalidCases are fixtures (one object unless objects says otherwise), each
// wrong in one place, and the whole error the validation must give (file,
// line, kind, name and field).
var invalidCases = []struct {
	file    string
	objects int
	want    string
}{
	{
		file: "test/k8s/testdata/invalid/deployment-negative-replicas.yaml",
		want: "test/k8s/testdata/invalid/deployment-negative-replicas.yaml:2 (Deployment otelcol-llm-fixture/otelcol-llm): " + kubectlApply +
			`The Deployment "otelcol-llm" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0` + exit1,
	},
	{
		file: "test/k8s/testdata/invalid/deployment-unknown-container-field.yaml",
		want: "test/k8s/testdata/invalid/deployment-unknown-container-field.yaml:2 (Deployment otelcol-llm-fixture/otelcol-llm): " + kubectlApply +
			`Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: ` +
			`strict decoding error: unknown field "spec.template.spec.containers[0].livenesProbe"` + exit1,
	},
	{
		// The server's message names no field: the validator finds it (locate_test.go).
		file: "test/k8s/testdata/invalid/deployment-bad-quantity.yaml",
		want: "test/k8s/testdata/invalid/deployment-bad-quantity.yaml:2 (Deployment otelcol-llm-fixture/otelcol-llm): " + kubectlApply +
			`spec.template.spec.containers[0].resources.limits.memory: Invalid value: "512MiB": ` +
			`Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: ` +
			`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'` + exit1,
	},
	{
		file: "test/k8s/testdata/invalid/servicemonitor-unknown-field.yaml",
		want: "test/k8s/testdata/invalid/servicemonitor-unknown-field.yaml:3 (ServiceMonitor otelcol-llm-fixture/otelcol-llm): " + kubectlApply +
			`Error from server (BadRequest): error when creating "STDIN": ServiceMonitor in version "v1" cannot be handled as a ServiceMonitor: ` +
			`strict decoding error: unknown field "spec.endpoints[0].relabelConfigs"` + exit1,
	},
	{
		file: "test/k8s/testdata/invalid/podmonitor-unknown-field.yaml",
		want: "test/k8s/testdata/invalid/podmonitor-unknown-field.yaml:2 (PodMonitor otelcol-llm-fixture/otelcol-llm): " + kubectlApply +
			`Error from server (BadRequest): error when creating "STDIN": PodMonitor in version "v1" cannot be handled as a PodMonitor: ` +
			`strict decoding error: unknown field "spec.endpoints"` + exit1,
	},
	{
		file: "test/k8s/testdata/invalid/opentelemetrycollector-unknown-field.yaml",
		want: "test/k8s/testdata/invalid/opentelemetrycollector-unknown-field.yaml:3 (OpenTelemetryCollector otelcol-llm-fixture/otelcol-llm): " +
			kubectlApply + `Error from server (BadRequest): error when creating "STDIN": OpenTelemetryCollector in version "v1beta1" cannot be handled ` +
			`as a OpenTelemetryCollector: strict decoding error: unknown field "spec.replicaCount"` + exit1,
	},
	{
		// The CRD accepts any string as expr: promtool finds it, at its line and column.
		file: "test/k8s/testdata/invalid/prometheusrule-bad-promql.yaml",
		want: "test/k8s/testdata/invalid/prometheusrule-bad-promql.yaml:3 (PrometheusRule otelcol-llm-fixture/otelcol-llm): " +
			"promtool check rules (spec.groups): FAILED: test/k8s/testdata/invalid/prometheusrule-bad-promql.yaml:13:17: " +
			`group "otelcol-llm.recording", rule 1, "model:llm_requests:rate5m": could not parse expression: 1:71: ` +
			"parse error: unclosed left parenthesis" + exit1,
	},
	{
		// The API server accepts any text in a ConfigMap: the collector's
		// validate, on the file the Deployment's --config names, finds it.
		file:    "test/k8s/testdata/invalid/collector-config-unknown-exporter-setting.yaml",
		objects: 2,
		want: "test/k8s/testdata/invalid/collector-config-unknown-exporter-setting.yaml:5 (ConfigMap otelcol-llm-fixture/otelcol-llm-config): " +
			"key config.yaml (/etc/otelcol-llm/collector.yaml), read by Deployment otelcol-llm-fixture/otelcol-llm (container otelcol-llm): " +
			"otelcol-llm validate: Error: failed to get config: cannot unmarshal the configuration: decoding failed due to the following error(s): " +
			`'exporters' error reading configuration for "llm_prometheus": decoding failed due to the following error(s): ` +
			"'llmprometheusexporter.Config' has invalid keys: namespaces" + exit1,
	},
	{
		// The CRD accepts any spec.config: the collector's validate finds it.
		file: "test/k8s/testdata/invalid/opentelemetrycollector-bad-processor-setting.yaml",
		want: "test/k8s/testdata/invalid/opentelemetrycollector-bad-processor-setting.yaml:3 (OpenTelemetryCollector otelcol-llm-fixture/otelcol-llm): " +
			"spec.config: otelcol-llm validate: Error: failed to get config: cannot unmarshal the configuration: decoding failed due to the following error(s): " +
			`'processors' error reading configuration for "memory_limiter": decoding failed due to the following error(s): ` +
			"'limit_mib' expected type 'uint32', got unconvertible type 'string'" + exit1,
	},
}

const (
	kubectlApply = "kubectl apply --dry-run=server --validate=strict: "
	exit1        = " (exit status 1)"
)
