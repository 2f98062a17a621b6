package main

import (
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// hotPath is the root module's exporter benchmarks: the issue 2 target
// (BenchmarkConsumeTraces/default) and the scrape times.
type hotPath struct {
	commands  []string
	output    []string // the benchmark lines, as go test printed them
	nsPerSpan []float64
	median    float64
	min, max  float64
	allocs    string // allocs/op of the slowest run ("0" when none allocates)
}

// The hot path runs 10 times (its median is the target's figure: this
// machine's noise moves single runs by ±30 %), the scrapes 3 times.
var hotPathArgs = []string{
	"test -run ^$ -bench ConsumeTraces/default$ -benchmem -count 10 ./exporter/llmprometheusexporter/",
	"test -run ^$ -bench Scrape -benchmem -count 3 ./exporter/llmprometheusexporter/",
}

var nsPerSpanRE = regexp.MustCompile(`([0-9.]+) ns/span`)

// rootBenchmarks runs the exporter benchmarks in the root module (..).
func rootBenchmarks() (*hotPath, error) {
	h := &hotPath{allocs: "0"}
	for _, args := range hotPathArgs {
		cmd := exec.Command("go", strings.Fields(args)...)
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("go %s: %w\n%s", args, err, out)
		}
		shown := strings.Replace(args, "-run ^$", "-run '^$'", 1)
		shown = strings.Replace(shown, "-bench ConsumeTraces/default$", "-bench 'ConsumeTraces/default$'", 1)
		h.commands = append(h.commands, "go "+shown)
		for line := range strings.SplitSeq(string(out), "\n") {
			if !strings.HasPrefix(line, "Benchmark") {
				continue
			}
			h.output = append(h.output, strings.Join(strings.Fields(line), " "))
			if !strings.HasPrefix(line, "BenchmarkConsumeTraces/default-") {
				continue
			}
			if m := nsPerSpanRE.FindStringSubmatch(line); m != nil {
				v, _ := strconv.ParseFloat(m[1], 64)
				h.nsPerSpan = append(h.nsPerSpan, v)
			}
			f := strings.Fields(line)
			for i := 1; i < len(f); i++ {
				if f[i] == "allocs/op" && f[i-1] != "0" {
					h.allocs = f[i-1]
				}
			}
		}
	}
	if len(h.nsPerSpan) == 0 {
		return nil, errors.New("no BenchmarkConsumeTraces/default result")
	}
	s := slices.Clone(h.nsPerSpan)
	slices.Sort(s)
	h.min, h.max = s[0], s[len(s)-1]
	h.median = s[len(s)/2]
	if len(s)%2 == 0 {
		h.median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return h, nil
}

func writeHotPath(p func(string, ...any), h *hotPath) {
	p("## Exporter hot path and scrape (root module)")
	p("")
	p("`BenchmarkConsumeTraces/default`: the exporter's `consumeTraces` (extraction, nested-call rule, recording) on")
	p("a read-only 100-span spangen batch, default configuration, per span. `BenchmarkScrape`: one /metrics request")
	p("through the handler at the largest series count the default caps allow, per format and compression (ns/op).")
	for _, c := range h.commands {
		p("- `%s`", c)
	}
	p("")
	p("```")
	for _, l := range h.output {
		p("%s", l)
	}
	p("```")
	p("")
}
