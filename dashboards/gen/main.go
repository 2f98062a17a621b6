// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Command gen writes the otelcol-llm Grafana dashboard and the list of its
// queries: `make dashboards`, or `go run ./gen` in dashboards/.
//
//	llm-overview.json  the dashboard (import it into Grafana)
//	queries.json       every panel query with the variables substituted, for the e2e test
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/otelcol-llm/otelcol-llm/dashboards"
)

func main() {
	dir := flag.String("dir", ".", "directory to write llm-overview.json and queries.json into")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	dash, err := dashboards.OverviewJSON()
	if err != nil {
		return fmt.Errorf("building the dashboard: %w", err)
	}
	queries, err := dashboards.QueriesJSON(dash)
	if err != nil {
		return fmt.Errorf("listing the queries: %w", err)
	}
	for name, content := range map[string][]byte{
		dashboards.OverviewFile:    dash,
		dashboards.QueriesFileName: queries,
	} {
		//nolint:gosec // G306: files of the repository, readable by all like the rest of the tree.
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			return err
		}
	}
	return nil
}
