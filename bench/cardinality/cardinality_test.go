// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package cardinality

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
)

// TestAttack runs the attack with CARDINALITY_VALUES distinct values (default
// 100,000; the documented long run uses 1,000,000).
func TestAttack(t *testing.T) {
	n := 100_000
	if v := os.Getenv("CARDINALITY_VALUES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	if testing.Short() {
		n = 10_000
	}
	r, err := Run(Options{Values: n})
	if err != nil {
		t.Fatal(err)
	}
	r.Samples = r.Samples[:min(len(r.Samples), 5)]
	b, _ := json.MarshalIndent(r, "", "  ")
	t.Logf("%s", b)
	for _, p := range r.Problems {
		t.Error(p)
	}
}
