// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package k8s

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Some decoding errors do not name the field: a bad quantity ("512MiB") gives
// `Deployment in version "v1" cannot be handled as a Deployment: quantities
// must match the regular expression '...'`, a bad timestamp kubectl's `unable
// to decode "STDIN": parsing time ...`, because the value's own decoder
// (resource.Quantity, metav1.Time) knows no path. locateDecodeError finds the
// value with the API server itself: it dry-runs reduced copies of the
// document that keep one branch of the tree, and follows the branch whose
// copy still fails with the same message, down to the value.

// decodeErrorMarkers precede an error message that may not name the field.
var decodeErrorMarkers = []string{" cannot be handled as a ", `unable to decode "`}

// unnamedDecodeError returns the server's (or kubectl's) decoding message if
// errText is a decoding error that names no field ("unknown field", "duplicate
// field" and JSON type errors name it).
func unnamedDecodeError(errText string) (string, bool) {
	if strings.Contains(errText, `field "`) || strings.Contains(errText, "struct field ") {
		return "", false
	}
	for _, marker := range decodeErrorMarkers {
		i := strings.Index(errText, marker)
		if i < 0 {
			continue
		}
		rest := errText[i+len(marker):]
		j := strings.Index(rest, ": ")
		if j < 0 {
			return "", false
		}
		msg := strings.TrimSpace(rest[j+2:])
		if k := strings.IndexByte(msg, '\n'); k >= 0 {
			msg = msg[:k]
		}
		return msg, msg != ""
	}
	return "", false
}

// step is one edge of a path in the document: a mapping key or a sequence index.
type step struct {
	key   string
	index int // when key == ""
}

func formatPath(steps []step) string {
	var b strings.Builder
	for _, s := range steps {
		if s.key == "" {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

// children lists the steps below n (n's keys or indexes); at the root,
// apiVersion and kind are not candidates (every copy keeps them).
func children(n *yaml.Node, root bool) []step {
	var out []step
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if root && (k == "apiVersion" || k == "kind") {
				continue
			}
			out = append(out, step{key: k})
		}
	case yaml.SequenceNode:
		for i := range n.Content {
			out = append(out, step{index: i})
		}
	}
	return out
}

func child(n *yaml.Node, s step) *yaml.Node {
	if s.key == "" {
		if n.Kind == yaml.SequenceNode && s.index < len(n.Content) {
			return n.Content[s.index]
		}
		return nil
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == s.key {
				return n.Content[i+1]
			}
		}
	}
	return nil
}

// keepBranch copies n keeping only the branch along steps (and, below it,
// everything). The root keeps apiVersion, kind and metadata's name,
// namespace and generateName, which kubectl needs to send the object.
func keepBranch(n *yaml.Node, steps []step, root bool) *yaml.Node {
	if len(steps) == 0 {
		return n
	}
	s := steps[0]
	next := child(n, s)
	if next == nil {
		return n
	}
	out := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Style: n.Style}
	if n.Kind == yaml.SequenceNode {
		out.Content = []*yaml.Node{keepBranch(next, steps[1:], false)}
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Value == s.key:
			out.Content = append(out.Content, k, keepBranch(v, steps[1:], false))
		case root && (k.Value == "apiVersion" || k.Value == "kind"):
			out.Content = append(out.Content, k, v)
		case root && k.Value == "metadata" && v.Kind == yaml.MappingNode:
			meta := &yaml.Node{Kind: yaml.MappingNode, Tag: v.Tag}
			for j := 0; j+1 < len(v.Content); j += 2 {
				switch v.Content[j].Value {
				case "name", "namespace", "generateName":
					meta.Content = append(meta.Content, v.Content[j], v.Content[j+1])
				}
			}
			out.Content = append(out.Content, k, meta)
		}
	}
	return out
}

// maxLocateSteps bounds the dry runs of one search.
const maxLocateSteps = 400

// locateDecodeError returns the path and value in d that make the dry run fail
// with msg, or ok=false when no single branch does.
func locateDecodeError(c *cluster, d *document, msg string) (path, value string, ok bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(d.raw, &doc); err != nil || len(doc.Content) == 0 {
		return "", "", false
	}
	root := doc.Content[0]
	var steps []step
	node := root
	runs := 0
	for node.Kind != yaml.ScalarNode && node.Kind != yaml.AliasNode {
		found := false
		for _, s := range children(node, len(steps) == 0) {
			runs++
			if runs > maxLocateSteps {
				return "", "", false
			}
			try := append(append([]step(nil), steps...), s)
			data, err := yaml.Marshal(keepBranch(root, try, true))
			if err != nil {
				return "", "", false
			}
			_, errOut, runErr := c.kubectl(data, "apply", "--dry-run=server", "--validate=strict", "-f", "-")
			if runErr != nil && strings.Contains(errOut, msg) {
				steps, node, found = try, child(node, s), true
				break
			}
		}
		if !found {
			break
		}
	}
	if len(steps) == 0 {
		return "", "", false
	}
	if node.Kind == yaml.ScalarNode {
		value = strconv.Quote(node.Value)
	} else {
		out, _ := yaml.Marshal(node)
		value = strings.TrimSpace(string(out))
	}
	return formatPath(steps), value, true
}

// nameField adds the located field to a decoding error that names none.
func nameField(c *cluster, d *document, errText string) string {
	msg, ok := unnamedDecodeError(errText)
	if !ok {
		return errText
	}
	path, value, ok := locateDecodeError(c, d, msg)
	if !ok {
		return errText + " (no single field of the document found to cause it)"
	}
	return fmt.Sprintf("%s: Invalid value: %s: %s", path, value, errText)
}
