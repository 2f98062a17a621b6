//go:build tools

// Package tools pins the versions of the code generators used by `make generate`.
// It lives in its own module so that the generators' dependencies never enter
// the root module's go.mod.
//
// mdatagen is pinned at v0.159.0: it is the newest release the module proxy of the
// build machines serves whole (v0.165.0, the collector release of the components,
// is not served; v0.161.0 is, but its go.opentelemetry.io/collector/internal/schemagen
// v0.161.0 is refused, December 2026), and `go install ...@version` cannot be used
// for it there (the proxy has no version list), so the Makefile builds it from this
// module instead:
//
//	cd tools && go build -o ../bin/mdatagen go.opentelemetry.io/collector/cmd/mdatagen
package tools // import "github.com/otelcol-llm/otelcol-llm/tools"

import (
	_ "go.opentelemetry.io/collector/cmd/mdatagen"
)
