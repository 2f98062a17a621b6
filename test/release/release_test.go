// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

// Package release checks that the version the collector reports is the newest
// release of CHANGELOG.md: ocb writes builder-config.yaml's dist.version into
// the binary (`otelcol-llm --version`, the service.version of its telemetry).
package release

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

const (
	changelogPath     = "../../CHANGELOG.md"
	builderConfigPath = "../../builder-config.yaml"
)

// releaseHeading is a released section: "## v" and a version without
// pre-release or build suffix (the Unreleased section has its own heading).
var releaseHeading = regexp.MustCompile(`^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$`)

// newestRelease returns the version of the first release section of a
// changelog, which must come right after its "## Unreleased" section.
func newestRelease(changelog []byte) (string, error) {
	var headings []string
	sc := bufio.NewScanner(bytes.NewReader(changelog))
	inFence := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		if !inFence && strings.HasPrefix(line, "## ") {
			headings = append(headings, strings.TrimSpace(strings.TrimPrefix(line, "## ")))
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if len(headings) == 0 || headings[0] != "Unreleased" {
		return "", fmt.Errorf(`the first section must be "## Unreleased", got %q`, headings)
	}
	if len(headings) < 2 {
		return "", errors.New("no release section after Unreleased")
	}
	if !releaseHeading.MatchString(headings[1]) {
		return "", fmt.Errorf(`the section after Unreleased must be "## vMAJOR.MINOR.PATCH", got "## %s"`, headings[1])
	}
	return headings[1], nil
}

func TestNewestRelease(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{name: "release after unreleased", in: "# Changelog\n\n## Unreleased\n\n- x\n\n## v0.2.0\n\n## v0.1.0\n", want: "v0.2.0"},
		{name: "heading in a code block is ignored", in: "## Unreleased\n```\n## v9.9.9\n```\n## v1.10.0\n", want: "v1.10.0"},
		{name: "no unreleased section", in: "# Changelog\n\n## v0.1.0\n", wantErr: `the first section must be "## Unreleased"`},
		{name: "release before unreleased", in: "## v0.1.0\n\n## Unreleased\n", wantErr: `the first section must be "## Unreleased"`},
		{name: "no release yet", in: "## Unreleased\n", wantErr: "no release section after Unreleased"},
		{name: "pre-release heading", in: "## Unreleased\n## v0.1.0-dev\n", wantErr: `got "## v0.1.0-dev"`},
		{name: "heading with a date", in: "## Unreleased\n## v0.1.0 (2026-12-04)\n", wantErr: `got "## v0.1.0 (2026-12-04)"`},
		{name: "leading zero", in: "## Unreleased\n## v0.01.0\n", wantErr: `got "## v0.01.0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newestRelease([]byte(tt.in))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestChangelogMatchesBuilderVersion: the newest release of CHANGELOG.md is the
// version builder-config.yaml gives the binary.
func TestChangelogMatchesBuilderVersion(t *testing.T) {
	changelog, err := os.ReadFile(filepath.FromSlash(changelogPath))
	require.NoError(t, err)
	newest, err := newestRelease(changelog)
	require.NoError(t, err, "CHANGELOG.md")

	raw, err := os.ReadFile(filepath.FromSlash(builderConfigPath))
	require.NoError(t, err)
	var manifest struct {
		Dist struct {
			Version string `yaml:"version"`
		} `yaml:"dist"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &manifest), "builder-config.yaml")
	require.NotEmpty(t, manifest.Dist.Version, "builder-config.yaml: dist.version is not set")

	assert.Equal(t, newest, "v"+manifest.Dist.Version,
		"CHANGELOG.md's newest release and builder-config.yaml's dist.version differ: "+
			"a release sets both (see CONTRIBUTING.md)")
}
