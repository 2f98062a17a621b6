// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package k8s

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The collector configurations inside the manifests, checked by the
// collector itself: for every container of a Deployment, StatefulSet or
// DaemonSet that runs the otelcol-llm or otelcol-llm-gateway image, the
// files its --config flags name are read from the ConfigMaps its volumes
// mount; spec.config of an OpenTelemetryCollector is the configuration of
// the image spec.image names. Each is run through the matching binary's
// `validate` with the environment the container gets, in a temporary
// directory that holds every ConfigMap volume of the container, so that the
// files the configuration names (the exporter's pricing.file, ...) are there
// too and are loaded as at start-up.

// validateTimeout bounds one `validate` run.
const validateTimeout = 60 * time.Second

// binaries are the collector binaries by image name.
type binaries map[string]string

// imageName is the last path component of an image reference without its
// tag or digest: registry.example:5000/team/otelcol-llm:0.1.0 → otelcol-llm.
func imageName(image string) string {
	image, _, _ = strings.Cut(image, "@")
	name := path.Base(image)
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	return name
}

// podSpec is the part of a pod spec (or of an OpenTelemetryCollector spec)
// that decides which configuration a collector container reads.
type podSpec struct {
	ServiceAccountName string      `yaml:"serviceAccountName"`
	Containers         []container `yaml:"containers"`
	Volumes            []volume    `yaml:"volumes"`
}

type container struct {
	Name         string        `yaml:"name"`
	Image        string        `yaml:"image"`
	Command      []string      `yaml:"command"`
	Args         []string      `yaml:"args"`
	Env          []envVar      `yaml:"env"`
	EnvFrom      []envFrom     `yaml:"envFrom"`
	VolumeMounts []volumeMount `yaml:"volumeMounts"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		FieldRef *struct {
			FieldPath string `yaml:"fieldPath"`
		} `yaml:"fieldRef"`
		ConfigMapKeyRef *keyRef   `yaml:"configMapKeyRef"`
		SecretKeyRef    *keyRef   `yaml:"secretKeyRef"`
		ResourceField   *struct{} `yaml:"resourceFieldRef"`
	} `yaml:"valueFrom"`
}

type keyRef struct {
	Name string `yaml:"name"`
	Key  string `yaml:"key"`
}

type envFrom struct {
	Prefix       string `yaml:"prefix"`
	ConfigMapRef *struct {
		Name string `yaml:"name"`
	} `yaml:"configMapRef"`
	SecretRef *struct {
		Name string `yaml:"name"`
	} `yaml:"secretRef"`
}

type volumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	SubPath   string `yaml:"subPath"`
}

type volume struct {
	Name      string           `yaml:"name"`
	ConfigMap *configMapSource `yaml:"configMap"`
	Projected *struct {
		Sources []struct {
			ConfigMap *configMapSource `yaml:"configMap"`
		} `yaml:"sources"`
	} `yaml:"projected"`
}

type configMapSource struct {
	Name  string `yaml:"name"`
	Items []struct {
		Key  string `yaml:"key"`
		Path string `yaml:"path"`
	} `yaml:"items"`
}

// configMap is a ConfigMap of the manifest set.
type configMap struct {
	doc  *document
	data map[string]string
}

// manifestSet is the objects of one file (or one fixture), looked up by
// namespace and name.
type manifestSet struct {
	docs       []*document
	configMaps map[string]*configMap // namespace/name
}

func newManifestSet(docs []*document) (*manifestSet, error) {
	s := &manifestSet{docs: docs, configMaps: map[string]*configMap{}}
	var errs []error
	for _, d := range docs {
		if d.APIVersion != "v1" || d.Kind != "ConfigMap" {
			continue
		}
		var cm struct {
			Data       map[string]string `yaml:"data"`
			BinaryData map[string]string `yaml:"binaryData"`
		}
		if err := yaml.Unmarshal(d.raw, &cm); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s", d, fileLines(err, d.start)))
			continue
		}
		data := maps.Clone(cm.Data)
		if data == nil {
			data = map[string]string{}
		}
		for k, v := range cm.BinaryData {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: binaryData.%s: %w", d, k, err))
				continue
			}
			data[k] = string(b)
		}
		s.configMaps[d.Metadata.Namespace+"/"+d.Metadata.Name] = &configMap{doc: d, data: data}
	}
	return s, errors.Join(errs...)
}

// collectorRun is one `validate` of a collector configuration.
type collectorRun struct {
	doc     *document // where the configuration is: the ConfigMap, or the OpenTelemetryCollector
	what    string    // which configuration of doc, and who reads it
	binary  string
	name    string            // the binary's name (otelcol-llm, otelcol-llm-gateway)
	args    []string          // after "validate"
	env     []string          // KEY=value
	paths   map[string]string // temporary path → the pod's path, for the messages
	unset   map[string]string // variable → why the test cannot set it
	configs []string          // the configurations' text, for the unset check
	workDir string
}

// collectorConfigs finds every collector configuration of the set and the
// runs that validate it; notes are logged (containers of other images).
func (s *manifestSet) collectorConfigs(bins binaries, tmp string) (runs []*collectorRun, notes []string, err error) {
	var errs []error
	for _, d := range s.docs {
		switch {
		case d.Kind == "OpenTelemetryCollector" && strings.HasPrefix(d.APIVersion, "opentelemetry.io/"):
			r, note, err := s.operatorRun(d, bins, tmp)
			switch {
			case err != nil:
				errs = append(errs, err)
			case note != "":
				notes = append(notes, note)
			default:
				runs = append(runs, r)
			}
		case (d.Kind == "Deployment" || d.Kind == "StatefulSet" || d.Kind == "DaemonSet") && d.APIVersion == "apps/v1":
			var w struct {
				Spec struct {
					Template struct {
						Spec podSpec `yaml:"spec"`
					} `yaml:"template"`
				} `yaml:"spec"`
			}
			if err := yaml.Unmarshal(d.raw, &w); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s", d, fileLines(err, d.start)))
				continue
			}
			pod := &w.Spec.Template.Spec
			for i := range pod.Containers {
				c := &pod.Containers[i]
				bin, ok := bins[imageName(c.Image)]
				if !ok {
					notes = append(notes, fmt.Sprintf("%s: container %s runs image %q, not otelcol-llm or otelcol-llm-gateway: its configuration is not checked", d, c.Name, c.Image))
					continue
				}
				r, cNotes, err := s.containerRun(d, pod, c, bin, tmp)
				notes = append(notes, cNotes...)
				switch {
				case err != nil:
					errs = append(errs, err)
				case r != nil:
					runs = append(runs, r)
				}
			}
		}
	}
	return runs, notes, errors.Join(errs...)
}

// containerRun resolves the --config flags of a collector container to the
// ConfigMap keys its volumes mount and writes every ConfigMap volume of the
// container under a temporary root. Several --config files are merged by the
// collector: they are one run, named after the ConfigMap of the first.
func (s *manifestSet) containerRun(d *document, pod *podSpec, c *container, bin, tmp string) (*collectorRun, []string, error) {
	name := imageName(c.Image)
	where := "container " + c.Name
	args := slices.Clone(c.Args)
	switch {
	case len(c.Command) > 0:
		if path.Base(c.Command[0]) != name {
			return nil, nil, fmt.Errorf("%s: %s: command %q does not run /%s: its configuration cannot be checked", d, where, c.Command, name)
		}
		args = append(slices.Clone(c.Command[1:]), args...)
	case len(args) == 0:
		args = []string{"--config", "/etc/" + name + "/config.yaml"} // the image's CMD
	}

	root, err := os.MkdirTemp(tmp, "pod")
	if err != nil {
		return nil, nil, err
	}
	r := &collectorRun{binary: bin, name: name, workDir: root, paths: map[string]string{}}
	r.env, r.unset, err = s.containerEnv(d, pod, c)
	if err != nil {
		return nil, nil, err
	}
	vols, err := s.writeVolumes(d, pod, c, root)
	if err != nil {
		return nil, nil, err
	}
	notes := vols.notes

	var sources []string
	for i := 0; i < len(args); i++ {
		flag, value, hasValue := strings.Cut(args[i], "=")
		if flag != "--config" && flag != "-config" {
			r.args = append(r.args, args[i])
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, nil, fmt.Errorf("%s: %s: %s without a value", d, where, flag)
			}
			i++
			value = args[i]
		}
		podPath, isFile := strings.CutPrefix(value, "file:")
		if !isFile && strings.Contains(value, ":") {
			r.args = append(r.args, "--config", value) // env:, yaml:, ...: resolved by the collector
			continue
		}
		m, ok := vols.files[podPath]
		if cm, absent := vols.absentAt(podPath); !ok && absent {
			return nil, append(notes, fmt.Sprintf("%s: %s: --config %s is in ConfigMap %s, which is not in the file: not checked", d, where, value, cm)), nil
		}
		if !ok {
			// The image's own file (config/container.yaml in the collector's
			// image), or a volume of another kind.
			return nil, append(notes, fmt.Sprintf("%s: %s: --config %s is on no ConfigMap volume of the container: not checked", d, where, value)), nil
		}
		local := filepath.Join(root, podPath)
		text, standIns, err := vols.rewritePaths(m.cm.data[m.key], root)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: key %s, read by %s %s (%s): %w", m.cm.doc, m.key, d.Kind, nsName(d), where, err)
		}
		for _, n := range standIns {
			notes = append(notes, fmt.Sprintf("%s: %s: %s", d, where, n))
		}
		if err := os.WriteFile(local, []byte(text), 0o600); err != nil {
			return nil, nil, err
		}
		r.paths[local] = podPath
		r.configs = append(r.configs, m.cm.data[m.key])
		r.args = append(r.args, "--config", local)
		if r.doc == nil {
			r.doc = m.cm.doc
		}
		sources = append(sources, fmt.Sprintf("key %s (%s)", m.key, podPath))
	}
	if r.doc == nil {
		return nil, nil, fmt.Errorf("%s: %s: no --config file in %q: its configuration cannot be checked", d, where, args)
	}
	r.what = fmt.Sprintf("%s, read by %s %s (%s)", strings.Join(sources, ", "), d.Kind, nsName(d), where)
	return r, notes, nil
}

// operatorRun is the run of spec.config of an OpenTelemetryCollector.
func (s *manifestSet) operatorRun(d *document, bins binaries, tmp string) (*collectorRun, string, error) {
	var w struct {
		Spec struct {
			Image  string            `yaml:"image"`
			Args   map[string]string `yaml:"args"`
			Env    []envVar          `yaml:"env"`
			Config yaml.Node         `yaml:"config"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(d.raw, &w); err != nil {
		return nil, "", fmt.Errorf("%s: %s", d, fileLines(err, d.start))
	}
	bin, ok := bins[imageName(w.Spec.Image)]
	if !ok {
		return nil, fmt.Sprintf("%s: spec.image %q is not otelcol-llm or otelcol-llm-gateway: spec.config is not checked", d, w.Spec.Image), nil
	}
	if w.Spec.Config.Kind == 0 {
		return nil, "", fmt.Errorf("%s: spec.config is missing", d)
	}
	config, err := yaml.Marshal(&w.Spec.Config)
	if err != nil {
		return nil, "", fmt.Errorf("%s: spec.config: %w", d, err)
	}
	root, err := os.MkdirTemp(tmp, "operator")
	if err != nil {
		return nil, "", err
	}
	local := filepath.Join(root, "config.yaml")
	if werr := os.WriteFile(local, config, 0o600); werr != nil {
		return nil, "", werr
	}
	r := &collectorRun{
		doc: d, what: "spec.config", binary: bin, name: imageName(w.Spec.Image), workDir: root,
		paths: map[string]string{local: "spec.config"}, configs: []string{string(config)},
		args: []string{"--config", local},
	}
	for _, k := range slices.Sorted(maps.Keys(w.Spec.Args)) {
		r.args = append(r.args, "--"+k+"="+w.Spec.Args[k])
	}
	pod := &podSpec{}
	r.env, r.unset, err = s.containerEnv(d, pod, &container{Name: "otc-container", Env: w.Spec.Env})
	if err != nil {
		return nil, "", err
	}
	return r, "", nil
}

func nsName(d *document) string {
	if d.Metadata.Namespace == "" {
		return d.Metadata.Name
	}
	return d.Metadata.Namespace + "/" + d.Metadata.Name
}

// envRef is a $(VAR) reference of a container's env value.
var envRef = regexp.MustCompile(`\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

// containerEnv returns the environment the container gets, as the kubelet
// builds it: envFrom, then env in order, a value's $(VAR) replaced by an
// earlier variable ($$ is a $). Values the test cannot know (resource
// limits, Secrets) are left unset and returned with the reason, so that a
// configuration that reads them fails instead of being checked with an
// empty value.
func (s *manifestSet) containerEnv(d *document, pod *podSpec, c *container) ([]string, map[string]string, error) {
	ns := d.Metadata.Namespace
	if ns == "" {
		ns = "default"
	}
	vars := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	unset := map[string]string{}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			cm, ok := s.configMaps[d.Metadata.Namespace+"/"+ef.ConfigMapRef.Name]
			if !ok {
				return nil, nil, fmt.Errorf("%s: container %s: envFrom ConfigMap %s is not in the file", d, c.Name, ef.ConfigMapRef.Name)
			}
			for k, v := range cm.data {
				set(ef.Prefix+k, v)
			}
		case ef.SecretRef != nil:
			return nil, nil, fmt.Errorf("%s: container %s: envFrom Secret %s: the test cannot know its variables", d, c.Name, ef.SecretRef.Name)
		}
	}
	for _, e := range c.Env {
		delete(unset, e.Name)
		if e.ValueFrom == nil {
			set(e.Name, envRef.ReplaceAllStringFunc(e.Value, func(m string) string {
				if m == "$$" {
					return "$"
				}
				name := m[2 : len(m)-1]
				if v, ok := vars[name]; ok {
					return v
				}
				return m
			}))
			continue
		}
		vf := e.ValueFrom
		switch {
		case vf.FieldRef != nil:
			v, ok := map[string]string{
				"metadata.namespace":      ns,
				"metadata.name":           d.Metadata.Name + "-0",
				"spec.serviceAccountName": cmp.Or(pod.ServiceAccountName, "default"),
				"spec.nodeName":           "node",
				"status.podIP":            "127.0.0.1",
				"status.podIPs":           "127.0.0.1",
				"status.hostIP":           "127.0.0.1",
				"status.hostIPs":          "127.0.0.1",
			}[vf.FieldRef.FieldPath]
			if !ok {
				unset[e.Name] = "fieldRef " + vf.FieldRef.FieldPath
				continue
			}
			set(e.Name, v)
		case vf.ConfigMapKeyRef != nil:
			cm, ok := s.configMaps[d.Metadata.Namespace+"/"+vf.ConfigMapKeyRef.Name]
			v, hasKey := "", false
			if ok {
				v, hasKey = cm.data[vf.ConfigMapKeyRef.Key]
			}
			if !hasKey {
				unset[e.Name] = fmt.Sprintf("key %s of ConfigMap %s, not in the file", vf.ConfigMapKeyRef.Key, vf.ConfigMapKeyRef.Name)
				continue
			}
			set(e.Name, v)
		case vf.SecretKeyRef != nil:
			unset[e.Name] = "Secret " + vf.SecretKeyRef.Name
		case vf.ResourceField != nil:
			unset[e.Name] = "resourceFieldRef"
		}
	}
	env := make([]string, 0, len(order))
	for _, k := range order {
		if _, isUnset := unset[k]; !isUnset {
			env = append(env, k+"="+vars[k])
		}
	}
	return env, unset, nil
}

// mountedFile is a file of a ConfigMap volume: the ConfigMap and its key.
type mountedFile struct {
	cm  *configMap
	key string
}

// podFiles are the ConfigMap volumes of a container: the files of the
// ConfigMaps of the set by their path in the pod, and the mount paths of the
// ConfigMaps that are not in the set.
type podFiles struct {
	files  map[string]mountedFile
	absent map[string]string // mount path → ConfigMap name
	notes  []string
}

// absentAt returns the ConfigMap, not in the set, whose volume holds p.
func (v *podFiles) absentAt(p string) (string, bool) {
	for mp, cm := range v.absent {
		if p == mp || strings.HasPrefix(p, strings.TrimSuffix(mp, "/")+"/") {
			return cm, true
		}
	}
	return "", false
}

// writeVolumes writes every file of the container's ConfigMap volumes (plain
// and projected) under root at its path in the pod.
func (s *manifestSet) writeVolumes(d *document, pod *podSpec, c *container, root string) (*podFiles, error) {
	vols := &podFiles{files: map[string]mountedFile{}, absent: map[string]string{}}
	for _, vm := range c.VolumeMounts {
		i := slices.IndexFunc(pod.Volumes, func(v volume) bool { return v.Name == vm.Name })
		if i < 0 {
			return nil, fmt.Errorf("%s: container %s: volumeMount %s: no such volume", d, c.Name, vm.Name)
		}
		v := pod.Volumes[i]
		var sources []*configMapSource
		if v.ConfigMap != nil {
			sources = append(sources, v.ConfigMap)
		}
		if v.Projected != nil {
			for _, p := range v.Projected.Sources {
				if p.ConfigMap != nil {
					sources = append(sources, p.ConfigMap)
				}
			}
		}
		for _, src := range sources {
			cm, ok := s.configMaps[d.Metadata.Namespace+"/"+src.Name]
			if !ok {
				vols.absent[vm.MountPath] = src.Name
				continue
			}
			// the volume's files: path in the volume → key
			inVolume := map[string]string{}
			if len(src.Items) == 0 {
				for k := range cm.data {
					inVolume[k] = k
				}
			}
			for _, it := range src.Items {
				if _, ok := cm.data[it.Key]; !ok {
					return nil, fmt.Errorf("%s: container %s: volume %s: ConfigMap %s has no key %s", d, c.Name, v.Name, src.Name, it.Key)
				}
				inVolume[it.Path] = it.Key
			}
			for p, key := range inVolume {
				podPath := path.Join(vm.MountPath, p)
				if vm.SubPath != "" {
					rel, ok := strings.CutPrefix(p, vm.SubPath)
					if !ok || (rel != "" && rel[0] != '/') {
						continue
					}
					podPath = path.Join(vm.MountPath, rel)
				}
				vols.files[podPath] = mountedFile{cm: cm, key: key}
				if err := writeAt(root, podPath, cm.data[key]); err != nil {
					return nil, err
				}
			}
		}
	}
	return vols, nil
}

func writeAt(root, podPath, content string) error {
	local := filepath.Join(root, podPath)
	if err := os.MkdirAll(filepath.Dir(local), 0o700); err != nil {
		return err
	}
	return os.WriteFile(local, []byte(content), 0o600)
}

// emptyPriceFile stands in for a price file whose ConfigMap is not in the
// set: a valid price file without rows.
const emptyPriceFile = "models: []\n"

// rewritePaths points every string of a configuration that names a file of
// a ConfigMap volume at its copy under root; a configuration without such a
// string is returned as it is. A pricing.file in a ConfigMap that is not in
// the set gets an empty price table in its place (returned as a note); any
// other file of such a ConfigMap is an error: the configuration cannot be
// checked without it.
func (v *podFiles) rewritePaths(config, root string) (string, []string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(config), &doc); err != nil {
		return config, nil, nil //nolint:nilerr // not YAML: the collector's error says so
	}
	changed := false
	var notes []string
	var errs []error
	var walk func(n *yaml.Node, keys []string)
	walk = func(n *yaml.Node, keys []string) {
		switch n.Kind {
		case yaml.ScalarNode:
			if n.Tag != "!!str" {
				return
			}
			if _, ok := v.files[n.Value]; ok {
				n.Value = filepath.Join(root, n.Value)
				changed = true
				return
			}
			cm, absent := v.absentAt(n.Value)
			if !absent {
				return
			}
			field := strings.Join(keys, "::")
			if len(keys) < 2 || keys[len(keys)-2] != "pricing" || keys[len(keys)-1] != "file" {
				errs = append(errs, fmt.Errorf("%s: %s is in ConfigMap %s, which is not in the file: cannot be checked", field, n.Value, cm))
				return
			}
			if err := writeAt(root, n.Value, emptyPriceFile); err != nil {
				errs = append(errs, err)
				return
			}
			notes = append(notes, fmt.Sprintf("%s: %s is in ConfigMap %s, which is not in the file: an empty price table stands in for it", field, n.Value, cm))
			n.Value = filepath.Join(root, n.Value)
			changed = true
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], append(slices.Clip(keys), n.Content[i].Value))
			}
		default:
			for _, c := range n.Content {
				walk(c, keys)
			}
		}
	}
	walk(&doc, nil)
	if err := errors.Join(errs...); err != nil || !changed {
		return config, notes, err
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return "", nil, err
	}
	return string(out), notes, nil
}

// envUse matches a collector's reference to an environment variable:
// ${env:NAME}, ${env:NAME:-default} or ${NAME}.
var envUse = regexp.MustCompile(`\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-|\})`)

// run runs `<binary> validate` and returns its error: the collector's own
// message, with temporary paths replaced by the pod's.
func (r *collectorRun) run() error {
	var unknown []string
	for _, c := range r.configs {
		for _, m := range envUse.FindAllStringSubmatch(c, -1) {
			if why, ok := r.unset[m[1]]; ok {
				unknown = append(unknown, fmt.Sprintf("${env:%s} (set from %s)", m[1], why))
			}
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("%s: %s: reads %s, whose value the test cannot know: not checked",
			r.doc, r.what, strings.Join(slices.Compact(unknown), ", "))
	}
	ctx, cancel := context.WithTimeout(context.Background(), validateTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.binary, append([]string{"validate"}, r.args...)...)
	cmd.Env = r.env
	cmd.Dir = r.workDir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if err == nil {
		return nil
	}
	msg := out.String()
	locals := slices.Collect(maps.Keys(r.paths))
	sort.Slice(locals, func(i, j int) bool { return len(locals[i]) > len(locals[j]) })
	for _, l := range locals {
		msg = strings.ReplaceAll(msg, l, r.paths[l])
	}
	msg = strings.ReplaceAll(msg, r.workDir, "")
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("no result within %s: %w", validateTimeout, ctx.Err())
	}
	return fmt.Errorf("%s: %s: %s validate: %s (%w)", r.doc, r.what, r.name, strings.Join(lines, " "), err)
}

// checkCollectorConfigs validates every collector configuration of docs
// (the objects of one file) and returns how many it ran, the notes to log
// and the errors.
func checkCollectorConfigs(bins binaries, tmp string, docs []*document) (int, []string, error) {
	set, err := newManifestSet(docs)
	runs, notes, cerr := set.collectorConfigs(bins, tmp)
	errs := []error{err, cerr}
	for _, r := range runs {
		errs = append(errs, r.run())
	}
	return len(runs), notes, errors.Join(errs...)
}
