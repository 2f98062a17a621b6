// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// sendGRPC exports td over OTLP/gRPC and returns once the collector answered.
func sendGRPC(ctx context.Context, t *testing.T, port int, td ptrace.Traces) {
	t.Helper()
	conn, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	if err != nil {
		t.Fatalf("OTLP/gRPC export: %v", err)
	}
	if ps := resp.PartialSuccess(); ps.RejectedSpans() != 0 {
		t.Fatalf("OTLP/gRPC export: %d spans rejected: %s", ps.RejectedSpans(), ps.ErrorMessage())
	}
}

// sendHTTP exports td over OTLP/HTTP, as protobuf or JSON, and returns once the
// collector answered.
func sendHTTP(ctx context.Context, t *testing.T, port int, td ptrace.Traces, asJSON bool) {
	t.Helper()
	req := ptraceotlp.NewExportRequestFromTraces(td)
	var (
		body        []byte
		err         error
		contentType string
	)
	if asJSON {
		body, err = req.MarshalJSON()
		contentType = "application/json"
	} else {
		body, err = req.MarshalProto()
		contentType = "application/x-protobuf"
	}
	if err != nil {
		t.Fatal(err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/v1/traces", port), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hreq.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatalf("OTLP/HTTP (%s) export: %v", contentType, err)
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("OTLP/HTTP (%s) export: %s: %s", contentType, resp.Status, respBody)
	}
	// The body is an ExportTraceServiceResponse in the request's encoding.
	eresp := ptraceotlp.NewExportResponse()
	if asJSON {
		err = eresp.UnmarshalJSON(respBody)
	} else {
		err = eresp.UnmarshalProto(respBody)
	}
	if err != nil {
		t.Fatalf("OTLP/HTTP (%s) response %q: %v", contentType, respBody, err)
	}
	if ps := eresp.PartialSuccess(); ps.RejectedSpans() != 0 {
		t.Fatalf("OTLP/HTTP (%s) export: %d spans rejected: %s", contentType, ps.RejectedSpans(), ps.ErrorMessage())
	}
}
