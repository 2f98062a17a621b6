// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package k8s

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The parts of the validator that need no cluster.

func TestReadDocuments(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    []string // document.String() of each object
		wantErr string
	}{
		{
			name: "separators as kubectl splits them",
			input: "# leading comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\n" +
				"--- # a separator with a comment\n\n# comment\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n" +
				"---\n---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  x: |\n    ---x\n",
			want: []string{
				"in.yaml:3 (ConfigMap ns/a)",
				"in.yaml:9 (Namespace b)",
				"in.yaml:17 (ConfigMap c)",
			},
		},
		{
			name:    "a document without kind is an error, the others are read",
			input:   "apiVersion: v1\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
			want:    []string{"in.yaml:4 (Service s)"},
			wantErr: "in.yaml:1: no apiVersion or kind: not a Kubernetes object",
		},
		{
			name:    "not YAML",
			input:   "apiVersion: v1\nkind: ConfigMap\n---\nkind: [\n",
			want:    []string{"in.yaml:1 (ConfigMap )"},
			wantErr: "in.yaml:4: not YAML: line 4: did not find expected node content",
		},
		{
			name: "a duplicate key, which kubectl would drop silently",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\n" +
				"metadata: {name: s}\nspec:\n  ports: [{port: 80}]\n  ports: [{port: 81}]\n",
			want:    []string{"in.yaml:1 (ConfigMap a)"},
			wantErr: `in.yaml:5 (Service s): line 10: mapping key "ports" already defined at line 9`,
		},
		{
			name:    "no object at all",
			input:   "# nothing\n---\n",
			wantErr: "in.yaml: no Kubernetes object in the file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "in.yaml"), []byte(tt.input), 0o600); err != nil {
				t.Fatal(err)
			}
			docs, err := readDocuments(dir, "in.yaml")
			var got []string
			for _, d := range docs {
				got = append(got, d.String())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("documents = %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("document %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Errorf("error = %q, want %q", gotErr, tt.wantErr)
			}
		})
	}
}

func TestRuleFileLines(t *testing.T) {
	parse := func(t *testing.T, raw string) (root, key, groups *yaml.Node) {
		t.Helper()
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(raw), &doc); err != nil {
			t.Fatal(err)
		}
		root = doc.Content[0]
		spec := child(root, step{key: "spec"})
		return root, spec.Content[0], spec.Content[1]
	}

	block := "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n" +
		"  groups:\n    - name: g\n      rules:\n        - record: a:b\n          expr: |\n            sum(x)\n" +
		"# trailing comment\nstatus: {}\n"
	root, key, groups := parse(t, block)
	data, indent := ruleFileLines([]byte(block), root, key, groups)
	want := "\n\n\n\ngroups:\n  - name: g\n    rules:\n      - record: a:b\n        expr: |\n          sum(x)\n# trailing comment\n"
	if string(data) != want || indent != 2 {
		t.Errorf("block style: got indent %d and\n%q\nwant indent 2 and\n%q", indent, data, want)
	}

	flow := "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec: {groups: [{name: g, rules: []}]}\n"
	root, key, groups = parse(t, flow)
	if data, indent := ruleFileLines([]byte(flow), root, key, groups); data != nil || indent != -1 {
		t.Errorf("flow style: got %q, %d; want nil, -1 (re-encoded instead)", data, indent)
	}
}

func TestUnnamedDecodeError(t *testing.T) {
	tests := []struct {
		errText string
		want    string
		ok      bool
	}{
		{
			errText: `Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: quantities must match the regular expression '^x$'`,
			want:    "quantities must match the regular expression '^x$'",
			ok:      true,
		},
		{
			errText: `error: unable to decode "STDIN": parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`,
			want:    `parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`,
			ok:      true,
		},
		{errText: `Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.x"`},
		{errText: `Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`},
		{errText: `The Deployment "x" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`},
	}
	for _, tt := range tests {
		got, ok := unnamedDecodeError(tt.errText)
		if got != tt.want || ok != tt.ok {
			t.Errorf("unnamedDecodeError(%q) = %q, %v; want %q, %v", tt.errText, got, ok, tt.want, tt.ok)
		}
	}
}

func TestImageName(t *testing.T) {
	for image, want := range map[string]string{
		"otelcol-llm:0.1.0": "otelcol-llm",
		"registry.example:5000/team/otelcol-llm-gateway:1.2":  "otelcol-llm-gateway",
		"registry.example:5000/otelcol-llm@sha256:0123abcdef": "otelcol-llm",
		"otelcol-llm": "otelcol-llm",
	} {
		if got := imageName(image); got != want {
			t.Errorf("imageName(%q) = %q, want %q", image, got, want)
		}
	}
}

func TestContainerEnv(t *testing.T) {
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: obs}\ndata: {REGION: eu, MODE: fast}\n"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.yaml"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	docs, err := readDocuments(dir, "in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := newManifestSet(docs)
	if err != nil {
		t.Fatal(err)
	}
	var c container
	if err = yaml.Unmarshal([]byte(`
envFrom: [{configMapRef: {name: settings}, prefix: CFG_}]
env:
  - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
  - {name: BACKENDS, value: "svc.$(NS).cluster.local,$(LATER),$$(NS)"}
  - {name: LATER, value: x}
  - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory}}}
  - {name: TOKEN, valueFrom: {secretKeyRef: {name: s, key: k}}}
  - {name: ZONE, valueFrom: {configMapKeyRef: {name: settings, key: REGION}}}
  - {name: GONE, valueFrom: {configMapKeyRef: {name: settings, key: NONE}}}
`), &c); err != nil {
		t.Fatal(err)
	}
	deploy := &document{file: "in.yaml", line: 1}
	deploy.Kind, deploy.Metadata.Name, deploy.Metadata.Namespace = "Deployment", "gw", "obs"
	env, unset, err := set.containerEnv(deploy, &podSpec{}, &c)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(env)
	wantEnv := []string{"BACKENDS=svc.obs.cluster.local,$(LATER),$(NS)", "CFG_MODE=fast", "CFG_REGION=eu", "LATER=x", "NS=obs", "ZONE=eu"}
	if !slices.Equal(env, wantEnv) {
		t.Errorf("env = %q, want %q", env, wantEnv)
	}
	wantUnset := map[string]string{
		"MEM":   "resourceFieldRef",
		"TOKEN": "Secret s",
		"GONE":  "key NONE of ConfigMap settings, not in the file",
	}
	if !maps.Equal(unset, wantUnset) {
		t.Errorf("unset = %q, want %q", unset, wantUnset)
	}
}
