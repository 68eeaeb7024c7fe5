package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"

	"github.com/c360/c360/internal/auth"
)

// subscription reports a request that opens a live subscription: a
// WebSocket upgrade or a Server-Sent Events stream.
func subscription(r *http.Request) bool {
	return upgrade(r) || strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

func upgrade(r *http.Request) bool { return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") }

// authenticate authenticates every request by its headers, but for a
// WebSocket upgrade: browsers cannot set headers on one, so its credential
// comes in the connection_init message (websocketInit).
func (s *Server) authenticate(a *auth.Authenticator, next http.Handler) http.Handler {
	checked := a.Middleware(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if upgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		checked.ServeHTTP(w, r)
	})
}

// websocketInit authenticates a WebSocket connection by the
// "Authorization" (or "X-API-Key") of its connection_init payload, as
// Authenticate reads them from headers.
func (s *Server) websocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	h := http.Header{}
	for k, v := range payload {
		if str, ok := v.(string); ok && (strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "X-API-Key")) {
			h.Add(k, str)
		}
	}
	p, err := s.auth.Authenticate(&http.Request{Header: h})
	if err != nil {
		return ctx, nil, err
	}
	return auth.WithPrincipal(ctx, p), nil, nil
}

// websocketOrigins accepts a WebSocket from no browser (no Origin), from
// the server's own origin, or from an origin CORS_ALLOWED_ORIGINS allows.
func (s *Server) websocketOrigins() websocket.AcceptOptions {
	var hosts []string
	for _, o := range s.cfg.CORSOrigins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			hosts = append(hosts, u.Host)
		}
	}
	return websocket.AcceptOptions{OriginPatterns: hosts}
}
