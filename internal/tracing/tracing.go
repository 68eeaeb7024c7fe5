// Package tracing sets up OpenTelemetry tracing to an OTLP/HTTP collector
// when one is configured; without one nothing is traced and nothing is sent.
package tracing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
)

// Setup installs a global tracer provider that batches spans to the OTLP
// endpoint (e.g. http://collector:4318) and returns its shutdown, which
// flushes what is pending.
func Setup(ctx context.Context, endpoint, version string) (func(context.Context) error, error) {
	opts := []otlptracehttp.Option{otlptracehttp.WithTimeout(5 * time.Second)}
	switch {
	case strings.HasPrefix(endpoint, "http://"):
		opts = append(opts, otlptracehttp.WithEndpointURL(endpoint+"/v1/traces"), otlptracehttp.WithInsecure())
	case strings.HasPrefix(endpoint, "https://"):
		opts = append(opts, otlptracehttp.WithEndpointURL(endpoint+"/v1/traces"))
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT=%q must be an http:// or https:// URL", endpoint)
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("OTLP exporter: %w", err)
	}
	res := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName("c360"), semconv.ServiceVersion(version))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp.Shutdown, nil
}
