package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

var (
	requestDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "c360_graphql_request_duration_seconds",
		Help:    "GraphQL operation latency by operation name and type.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"operation", "type"})
	errorsByCode = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "c360_graphql_errors_total", Help: "GraphQL errors sent to clients, by extensions.code.",
	}, []string{"code"})
	httpRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "c360_http_requests_total", Help: "HTTP requests by route and status class.",
	}, []string{"route", "status"})
)

type requestIDKey struct{}

// RequestID returns the request's id.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// LogHandler adds the request id of the context to every record logged
// with one (the *Context functions of slog), as request_id, so all the lines
// of a request share it, whichever package writes them.
func LogHandler(next slog.Handler) slog.Handler { return requestIDHandler{next} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// observe gives every request an id (the client's X-Request-ID when it is
// sane, a new one otherwise), echoes it, counts the request and logs it.
func observe(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !validRequestID.MatchString(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(rec, r.WithContext(ctx))
		httpRequests.WithLabelValues(route, statusClass(rec.status)).Inc()
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelError
		}
		slog.Log(ctx, level, "http request", "method", r.Method, "route", route,
			"status", rec.status, "duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush passes a flush on (Server-Sent Events need it as an interface).
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func statusClass(code int) string {
	return [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}[min(max(code/100, 1), 5)-1]
}

// operationNames bounds the label values clients can create with their
// operation names: the first maxOperationNames are tracked, the rest are "other".
type operationNames struct {
	mu   sync.Mutex
	seen map[string]bool
}

const maxOperationNames = 200

var validOperationName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

func (o *operationNames) label(name string) string {
	if name == "" {
		return "anonymous"
	}
	if !validOperationName.MatchString(name) {
		return "other"
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen[name] {
		return name
	}
	if len(o.seen) >= maxOperationNames {
		return "other"
	}
	// A copy: the name is a slice of the document's text, which the map and
	// the metric labels would otherwise keep alive (a 2 MB document each).
	name = strings.Clone(name)
	o.seen[name] = true
	return name
}

// logOperations logs each GraphQL operation with its name and outcome, and
// feeds the latency histogram and the error counter.
func logOperations(names *operationNames) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		start := time.Now()
		resp := next(ctx)
		if !graphql.HasOperationContext(ctx) {
			return resp
		}
		oc := graphql.GetOperationContext(ctx)
		name, kind := oc.OperationName, "unknown"
		if oc.Operation != nil {
			kind = string(oc.Operation.Operation)
			if name == "" {
				name = oc.Operation.Name
			}
		}
		took := time.Since(start)
		requestDuration.WithLabelValues(names.label(name), kind).Observe(took.Seconds())
		var codes []string
		if resp != nil {
			for _, e := range resp.Errors {
				code, _ := e.Extensions["code"].(string)
				if code == "" {
					code = "UNKNOWN"
				}
				errorsByCode.WithLabelValues(code).Inc()
				codes = append(codes, code)
			}
		}
		slog.InfoContext(ctx, "graphql operation", "operation", name, "type", kind,
			"duration_ms", float64(took.Microseconds())/1000, "errors", codes)
		return resp
	}
}

// traceContext continues a trace the client started (W3C traceparent).
func traceContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
