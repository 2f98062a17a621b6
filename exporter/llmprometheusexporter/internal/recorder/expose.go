package recorder // import "github.com/otelcol-llm/otelcol-llm/exporter/llmprometheusexporter/internal/recorder"

import (
	"encoding/hex"
	"io"
	"math"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
)

// TextFormat is an exposition text format WriteText writes.
type TextFormat uint8

const (
	// FormatText is the Prometheus text format 0.0.4, as
	// expfmt.MetricFamilyToText writes it.
	FormatText TextFormat = iota
	// FormatOpenMetrics is OpenMetrics 1.0 with exemplars and _created
	// lines, as expfmt.MetricFamilyToOpenMetrics writes it with
	// expfmt.WithCreatedLines, "# EOF" included.
	FormatOpenMetrics
	numTextFormats
)

// textFamily is what a text scrape writes of one metric family besides its
// series: its comment lines and its sample names.
type textFamily struct {
	header  string // # HELP and # TYPE lines
	sample  string // counters: the sample name
	created string // OpenMetrics: the name of the _created samples
	bucket  string // histograms: name_bucket, name_sum, name_count
	sum     string
	count   string
}

// newTextFamilies renders the families' comment lines and sample names for
// format f, as expfmt does.
func newTextFamilies(names familyNames, f TextFormat) map[string]*textFamily {
	out := make(map[string]*textFamily, len(names.order))
	for _, short := range names.order {
		name := names.full[short]
		typ := "counter"
		if isHistogram(short) {
			typ = "histogram"
		}
		headerName, sampleName := name, name
		if f == FormatOpenMetrics && typ == "counter" {
			// OpenMetrics names a counter family without its _total suffix;
			// a counter without one is of unknown type.
			if base, ok := strings.CutSuffix(name, "_total"); ok {
				headerName = base
			} else {
				typ = "unknown"
			}
		}
		var help strings.Builder
		help.WriteString("# HELP " + headerName + " ")
		if f == FormatOpenMetrics {
			help.Write(appendEscaped(nil, helps[short], true))
		} else {
			help.Write(appendEscaped(nil, helps[short], false))
		}
		help.WriteString("\n# TYPE " + headerName + " " + typ + "\n")
		tf := &textFamily{header: help.String(), sample: sampleName}
		if typ == "histogram" {
			tf.bucket, tf.sum, tf.count = name+"_bucket", name+"_sum", name+"_count"
			tf.created = name + "_created"
		} else {
			tf.created = strings.TrimSuffix(name, "_total") + "_created"
		}
		out[short] = tf
	}
	return out
}

func isHistogram(short string) bool {
	return short == nameDuration || short == nameTTFT || short == nameTPOT
}

// legacyNames reports whether every family name is valid under the legacy
// (pre-UTF-8) rules: WriteText writes names as they are, which equals what
// expfmt writes for them under every escaping scheme
// (model.EscapeMetricFamily leaves valid legacy names alone).
func legacyNames(names familyNames) bool {
	for _, full := range names.full {
		if !model.LegacyValidation.IsValidMetricName(full) {
			return false
		}
	}
	return true
}

// leFragments renders, for format f, the text between a histogram series'
// labels and its bucket count: `,le="<bound>"} `, one per bound and a last
// one for +Inf.
func leFragments(bounds []float64, f TextFormat) []string {
	out := make([]string, 0, len(bounds)+1)
	for _, b := range append(bounds[:len(bounds):len(bounds)], math.Inf(1)) {
		out = append(out, `,le="`+string(appendFloat(nil, b, f))+`"} `)
	}
	return out
}

// labelText renders a label set as the text formats write it between the
// braces: name="value" pairs, comma separated, values escaped.
func labelText(labels []*dto.LabelPair) string {
	var b []byte
	for i, lp := range labels {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, lp.GetName()...)
		b = append(b, '=', '"')
		b = appendEscaped(b, lp.GetValue(), true)
		b = append(b, '"')
	}
	return string(b)
}

// appendEscaped escapes as expfmt does: backslash and newline, and the double
// quote when quoted.
func appendEscaped(b []byte, s string, quoted bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '"' && quoted:
			b = append(b, '\\', '"')
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat formats f as expfmt does in format fm: shortest 'g' form,
// special values spelled out, and in OpenMetrics an integral value with ".0".
func appendFloat(b []byte, f float64, fm TextFormat) []byte {
	switch {
	case f == 1, f == 0, f == -1:
		b = strconv.AppendInt(b, int64(f), 10)
		if fm == FormatOpenMetrics {
			b = append(b, '.', '0')
		}
		return b
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	n := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, 64)
	if fm == FormatOpenMetrics && !strings.ContainsAny(string(b[n:]), "e.") {
		b = append(b, '.', '0')
	}
	return b
}

// textFlushSize is how much a text scrape buffers before writing.
const textFlushSize = 32 << 10

// WriteText writes every series in format f, byte for byte what a
// promhttp handler writes from Gather's families (TestWriteTextMatchesExpfmt),
// without building them: a scrape costs little more than its bytes. Each
// series is copied under its lock and written after, so a scrape holds no
// lock while it writes. It returns the first error of w.
func (r *Recorder) WriteText(w io.Writer, f TextFormat) error {
	t := &textWriter{w: w, f: f, fams: r.textFams[f], buf: make([]byte, 0, textFlushSize+4<<10)}
	r.walk(t, f == FormatOpenMetrics, false)
	if t.err != nil {
		return t.err
	}
	if f == FormatOpenMetrics {
		t.buf = append(t.buf, "# EOF\n"...)
	}
	t.flush()
	return t.err
}

// textWriter writes one text scrape, buffered.
type textWriter struct {
	w    io.Writer
	f    TextFormat
	fams map[string]*textFamily
	fam  *textFamily // the family being written
	le   []string    // its histograms' le fragments
	buf  []byte
	err  error
}

func (t *textWriter) failed() bool { return t.err != nil }

func (t *textWriter) family(short string, shape *histShape) {
	t.fam = t.fams[short]
	t.buf = append(t.buf, t.fam.header...)
	if shape != nil {
		t.le = shape.le[t.f]
	}
}

func (t *textWriter) flush() {
	if t.err == nil && len(t.buf) > 0 {
		_, t.err = t.w.Write(t.buf)
	}
	t.buf = t.buf[:0]
}

// end ends a series, writing the buffer out once it is full.
func (t *textWriter) end() {
	if len(t.buf) >= textFlushSize {
		t.flush()
	}
}

func (t *textWriter) counter(labels *labelSet, c *counter) {
	fam := t.fam
	b := appendSample(t.buf, fam.sample, labels)
	b = appendFloat(b, c.value, t.f)
	if t.f == FormatOpenMetrics {
		if c.ex.ok {
			b = appendExemplar(b, &c.ex)
		}
		b = append(b, '\n')
		b = appendSample(b, fam.created, labels)
		b = appendFloat(b, float64(c.created)/1e9, t.f)
	}
	t.buf = append(b, '\n')
	t.end()
}

func (t *textWriter) histogram(labels *labelSet, h *histSnapshot) {
	fam, le := t.fam, t.le
	b := t.buf
	var cum uint64
	for i, n := range h.buckets {
		cum += n
		if i == len(h.buckets)-1 {
			cum = h.count // +Inf
		}
		b = append(b, fam.bucket...)
		b = append(b, '{')
		b = append(b, labels.text...)
		b = append(b, le[i]...)
		if t.f == FormatOpenMetrics {
			b = strconv.AppendUint(b, cum, 10)
			if i < len(h.exemplars) && h.exemplars[i].ok {
				b = appendExemplar(b, &h.exemplars[i])
			}
		} else {
			b = appendFloat(b, float64(cum), t.f)
		}
		b = append(b, '\n')
	}
	b = appendSample(b, fam.sum, labels)
	b = appendFloat(b, h.sum, t.f)
	b = append(b, '\n')
	b = appendSample(b, fam.count, labels)
	if t.f == FormatOpenMetrics {
		b = strconv.AppendUint(b, h.count, 10)
		b = append(b, '\n')
		b = appendSample(b, fam.created, labels)
		b = appendFloat(b, float64(h.created)/1e9, t.f)
	} else {
		b = appendFloat(b, float64(h.count), t.f)
	}
	t.buf = append(b, '\n')
	t.end()
}

// appendSample appends the start of a sample line: `name{labels} `.
func appendSample(b []byte, name string, labels *labelSet) []byte {
	b = append(b, name...)
	b = append(b, '{')
	b = append(b, labels.text...)
	return append(b, '}', ' ')
}

// appendExemplar writes an OpenMetrics exemplar: ` # {trace_id="…",span_id="…"} value timestamp`.
func appendExemplar(b []byte, e *exemplar) []byte {
	b = append(b, ` # {trace_id="`...)
	b = hex.AppendEncode(b, e.traceID[:])
	b = append(b, `",span_id="`...)
	b = hex.AppendEncode(b, e.spanID[:])
	b = append(b, '"', '}', ' ')
	b = appendFloat(b, e.value, FormatOpenMetrics)
	b = append(b, ' ')
	return appendFloat(b, float64(e.ts)/1e9, FormatOpenMetrics)
}
