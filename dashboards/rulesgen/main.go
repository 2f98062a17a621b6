// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Command rulesgen writes the Prometheus rules of otelcol-llm from one
// configuration (dashboards/mixin/defaults.yaml, overridden by -config):
//
//	llm-recording.yaml, llm-alerts.yaml, llm-slo.yaml   into -out
//	sloth/llm-slos.yaml                                 the same SLOs as a Sloth spec, into -out
//	rules/README.md, docs/runbook.md                   their generated blocks (thresholds, alert index), with -docs
//
// `make rules` writes the repository's rules/ and docs from the defaults;
// `make rules RULES_CONFIG=my-rules.yaml RULES_OUT=my-rules/` writes your own
// rule files only.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/otelcol-llm/otelcol-llm/dashboards/mixin"
)

func main() {
	configFile := flag.String("config", "", "YAML file of settings that override dashboards/mixin/defaults.yaml (none: the defaults)")
	out := flag.String("out", "../rules", "directory to write the rule files into")
	docs := flag.String("docs", "", "repository root whose rules/README.md and docs/runbook.md get their generated blocks rewritten (none: leave documents alone)")
	printDefaults := flag.Bool("print-defaults", false, "print the default configuration and exit")
	flag.Parse()
	if *printDefaults {
		fmt.Print(mixin.DefaultsYAML())
		return
	}
	if err := run(*configFile, *out, *docs); err != nil {
		fmt.Fprintln(os.Stderr, "rulesgen:", err)
		os.Exit(1)
	}
}

func run(configFile, out, docs string) error {
	var in io.Reader = strings.NewReader("")
	if configFile != "" {
		f, err := os.Open(configFile) //nolint:gosec // G304: the file the user names.
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	c, err := mixin.Load(in)
	if err != nil {
		return fmt.Errorf("%s: %w", configName(configFile), err)
	}
	files, err := c.RuleFiles()
	if err != nil {
		return err
	}
	if docs != "" {
		documents, err := c.Documents(func(name string) ([]byte, error) {
			return os.ReadFile(filepath.Join(docs, filepath.FromSlash(name))) //nolint:gosec // G304: the documents under the root the user names.
		})
		if err != nil {
			return err
		}
		for name, content := range documents {
			if err := write(filepath.Join(docs, filepath.FromSlash(name)), content); err != nil {
				return err
			}
		}
	}
	files[mixin.SlothFile] = c.SlothSpec()
	if err := os.MkdirAll(filepath.Join(out, filepath.Dir(mixin.SlothFile)), 0o755); err != nil { //nolint:gosec // G301: a directory of rule files, readable by all.
		return err
	}
	for name, content := range files {
		if err := write(filepath.Join(out, filepath.FromSlash(name)), content); err != nil {
			return err
		}
	}
	return nil
}

func configName(f string) string {
	if f == "" {
		return "defaults"
	}
	return f
}

func write(path string, content []byte) error {
	//nolint:gosec // G306: rule files and documents, readable by all like the rest of the tree.
	if err := os.WriteFile(path, content, 0o644); err != nil {
		return err
	}
	fmt.Println("wrote", path)
	return nil
}
