package recorder

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/otelcol-llm/otelcol-llm/internal/genai"
	"github.com/otelcol-llm/otelcol-llm/pricing"
)

// recordRandom records n random calls: label values that need escaping or
// sanitizing, every status and reason, streamed calls with negative times per
// output token, values at bucket bounds and far beyond, carried costs and
// priced ones, exemplars at random times.
func recordRandom(r *Recorder, seed uint64, n int) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	models := []string{"gpt-4o", "claude-sonnet-4-5", `quote"d`, `back\slash`, "new\nline", "ünïcödé", "", "\xffbad",
		strings.Repeat("long-", 30), "gpt-4o-mini", "{braces}", "comma,=sign"}
	templates := []string{"support", "", "summarize", `t"1`, "t\\2", "t\n3", "日本語", strings.Repeat("x", 100)}
	values := []float64{0, 1, 0.5, 2, 60, 1e-9, 1e6, 123.456, 0.1 + 0.2, 3e-300, 1e21, 7}
	pick := func(vs []float64) float64 {
		if rng.IntN(3) == 0 {
			return rng.ExpFloat64() * 3
		}
		return vs[rng.IntN(len(vs))]
	}
	now := int64(1_764_000_000_000_000_000)
	for range n {
		now += rng.Int64N(int64(3e9))
		c := genai.Call{
			RequestModel: models[rng.IntN(len(models))],
			Template:     templates[rng.IntN(len(templates))],
			Provider:     []string{"openai", "anthropic", ""}[rng.IntN(3)],
		}
		if rng.IntN(5) > 0 {
			c.Duration, c.HasDuration = pick(values), true
		}
		if rng.IntN(5) > 0 {
			c.InputTokens, c.HasInputTokens = rng.Int64N(1<<40), true
		}
		if rng.IntN(5) > 0 {
			c.OutputTokens, c.HasOutputTokens = rng.Int64N(3000), true
		}
		if rng.IntN(4) == 0 {
			c.CachedInputTokens, c.HasCachedInput = rng.Int64N(1000), true
		}
		if rng.IntN(4) == 0 {
			c.ReasoningTokens, c.HasReasoning = rng.Int64N(1000), true
		}
		if rng.IntN(6) == 0 {
			c.Cost, c.HasCost = pick(values), true
		}
		if rng.IntN(3) == 0 {
			c.Streamed = true
			c.TTFT, c.HasTTFT = pick(values), true
		}
		if rng.IntN(4) == 0 {
			c.Status, c.Reason = genai.StatusError, genai.Reason(rng.IntN(genai.NumReasons))
		}
		if rng.IntN(8) > 0 {
			binary.LittleEndian.PutUint64(c.TraceID[:8], rng.Uint64())
			binary.LittleEndian.PutUint64(c.TraceID[8:], rng.Uint64())
			binary.LittleEndian.PutUint64(c.SpanID[:], rng.Uint64())
		}
		r.Record(&c, now)
	}
}

// expfmtBody encodes Gather's families as a promhttp handler does.
func expfmtBody(t *testing.T, r *Recorder, format expfmt.Format) []byte {
	t.Helper()
	mfs, err := r.Gather()
	require.NoError(t, err)
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format, expfmt.WithCreatedLines())
	for _, mf := range mfs {
		require.NoError(t, enc.Encode(mf))
	}
	require.NoError(t, enc.(expfmt.Closer).Close())
	return buf.Bytes()
}

// protoBody encodes Gather's families as a promhttp handler does for the
// delimited protobuf format.
func protoBody(t *testing.T, r *Recorder) []byte {
	t.Helper()
	mfs, err := r.Gather()
	require.NoError(t, err)
	var buf bytes.Buffer
	for _, mf := range mfs {
		_, err := protodelim.MarshalTo(&buf, mf)
		require.NoError(t, err)
	}
	return buf.Bytes()
}

// requireSameProto fails with the first family that differs, as text.
func requireSameProto(t *testing.T, want, got []byte) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	wr, gr := bufio.NewReader(bytes.NewReader(want)), bufio.NewReader(bytes.NewReader(got))
	for i := 0; ; i++ {
		var w, g dto.MetricFamily
		werr := protodelim.UnmarshalFrom(wr, &w)
		gerr := protodelim.UnmarshalFrom(gr, &g)
		require.Equal(t, werr == nil, gerr == nil, "family %d: %v / %v", i, werr, gerr)
		if werr != nil {
			break
		}
		if !proto.Equal(&w, &g) {
			t.Fatalf("family %d differs:\nwant %s\ngot  %s", i, prototext.Format(&w), prototext.Format(&g))
		}
	}
	t.Fatalf("the same families, different bytes (%d vs %d)", len(want), len(got))
}

// requireSameBytes fails with the first differing line.
func requireSameBytes(t *testing.T, want, got []byte) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range min(len(wl), len(gl)) {
		if wl[i] != gl[i] {
			t.Fatalf("line %d differs:\nwant %q\ngot  %q", i+1, wl[i], gl[i])
		}
	}
	t.Fatalf("bodies differ in length: want %d lines, got %d", len(wl), len(gl))
}

// TestWriteTextMatchesExpfmt checks WriteText byte for byte against expfmt
// encoding Gather's families, for both text formats, and WriteProto against
// protodelim marshalling them, in several configurations, after random calls.
func TestWriteTextMatchesExpfmt(t *testing.T) {
	pricer, err := pricing.NewPricer(pricing.Settings{Inline: []pricing.Row{{
		Prefix: "gpt-4o", Provider: "openai", Input: 2.5, Output: 10, CachedInput: ptr(1.25),
	}}}, zap.NewNop())
	require.NoError(t, err)
	configs := map[string]func(*Settings){
		"default":      func(*Settings) {},
		"priced":       func(s *Settings) { s.Pricer = pricer },
		"classic_only": func(s *Settings) { s.NativeHistograms = false },
		"no_exemplars": func(s *Settings) { s.Exemplars = false },
		"no_namespace": func(s *Settings) { s.Namespace = "" },
		"no_buckets": func(s *Settings) {
			s.DurationBuckets, s.TTFTBuckets, s.TPOTBuckets = nil, []float64{math.Inf(1)}, []float64{1e-7, 1e-3, 1, 1e3, 1e7, 1e22}
		},
		"pair_cap": func(s *Settings) { s.MaxPairs, s.MaxModels, s.MaxTemplates = 7, 5, 4 },
	}
	formats := map[TextFormat]expfmt.Format{
		FormatText:        expfmt.NewFormat(expfmt.TypeTextPlain),
		FormatOpenMetrics: expfmt.NewFormat(expfmt.TypeOpenMetrics),
	}
	for name, configure := range configs {
		t.Run(name, func(t *testing.T) {
			set := testSettings()
			configure(&set)
			r, err := New(set)
			require.NoError(t, err)
			require.True(t, r.WritesText())
			for round, n := range []int{0, 1, 50, 2000} {
				recordRandom(r, uint64(round+1), n)
				for f, format := range formats {
					want := expfmtBody(t, r, format)
					var got bytes.Buffer
					require.NoError(t, r.WriteText(&got, f))
					requireSameBytes(t, want, got.Bytes())
				}
				want := protoBody(t, r)
				var got bytes.Buffer
				require.NoError(t, r.WriteProto(&got))
				requireSameProto(t, want, got.Bytes())
			}
		})
	}
}

// TestWriteTextFlushesAndFails: a body larger than the buffer arrives whole
// through several writes, and the first write error stops the scrape.
func TestWriteTextFlushesAndFails(t *testing.T) {
	r, err := New(testSettings())
	require.NoError(t, err)
	recordRandom(r, 7, 5000)
	var whole bytes.Buffer
	require.NoError(t, r.WriteText(&whole, FormatOpenMetrics))
	require.Greater(t, whole.Len(), 4*textFlushSize)

	w := &countingWriter{}
	require.NoError(t, r.WriteText(w, FormatOpenMetrics))
	assert.Equal(t, whole.Len(), w.n)
	assert.Greater(t, w.writes, 4)

	failing := &countingWriter{failAfter: 2}
	require.ErrorIs(t, r.WriteText(failing, FormatOpenMetrics), errBrokenPipe)
	assert.Equal(t, 3, failing.writes, "no write after the failing one")
}

var errBrokenPipe = errors.New("broken pipe")

type countingWriter struct {
	n, writes, failAfter int
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.writes++
	if w.failAfter > 0 && w.writes > w.failAfter {
		return 0, errBrokenPipe
	}
	w.n += len(b)
	return len(b), nil
}

func TestAppendFloat(t *testing.T) {
	for _, tc := range []struct {
		v          float64
		text, open string
	}{
		{0, "0", "0.0"}, {1, "1", "1.0"}, {-1, "-1", "-1.0"}, {2, "2", "2.0"},
		{0.5, "0.5", "0.5"}, {1e6, "1e+06", "1e+06"}, {123456, "123456", "123456.0"},
		{1e-9, "1e-09", "1e-09"}, {math.NaN(), "NaN", "NaN"},
		{math.Inf(1), "+Inf", "+Inf"}, {math.Inf(-1), "-Inf", "-Inf"},
	} {
		assert.Equal(t, tc.text, string(appendFloat(nil, tc.v, FormatText)), "%v", tc.v)
		assert.Equal(t, tc.open, string(appendFloat(nil, tc.v, FormatOpenMetrics)), "%v", tc.v)
	}
}
