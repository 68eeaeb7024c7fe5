package server

import (
	"math"
	"net"
	"net/http"
	"strconv"

	"github.com/rs/cors"

	"github.com/c360/c360/internal/auth"
	"github.com/c360/c360/internal/cache"
	"github.com/c360/c360/internal/errcode"
	"github.com/c360/c360/internal/httperror"
	"github.com/c360/c360/internal/ratelimit"
)

// cors answers preflights and sets CORS headers for the configured origins
// only; with none configured, browsers on other origins get nothing.
func (s *Server) cors(next http.Handler) http.Handler {
	if len(s.cfg.CORSOrigins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: s.cfg.CORSOrigins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"Content-Type", "Authorization", "X-API-Key", "X-Request-ID", "GraphQL-Require-Preflight"},
		ExposedHeaders: []string{"X-Request-ID", "Retry-After"},
		MaxAge:         600,
	}).Handler(next)
}

func (s *Server) setupRateLimit() error {
	switch {
	case s.cfg.RateLimit <= 0:
		return nil
	case s.cfg.RedisURL != "":
		r, err := cache.NewRedis(s.cfg.RedisURL, false)
		if err != nil {
			return err
		}
		s.closers = append(s.closers, r.Close)
		s.limiter = ratelimit.NewRedis(r.Client(), s.cfg.RateLimit, s.cfg.RateBurst)
	default:
		s.limiter = ratelimit.NewMemory(s.cfg.RateLimit, s.cfg.RateBurst)
	}
	return nil
}

// rateLimit allows each credential (each client address in development mode)
// RATE_LIMIT_RPS requests per second with bursts of RATE_LIMIT_BURST; above
// that it answers 429 with Retry-After.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	if s.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "ip:" + clientIP(r)
		if p, ok := auth.FromContext(r.Context()); ok && p.Method != "dev" {
			key = p.Method + ":" + p.Subject
		}
		if ok, retry := s.limiter.Allow(r.Context(), key); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
			httperror.Write(w, http.StatusTooManyRequests, errcode.RateLimited, "too many requests; retry after the Retry-After header's seconds")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// adminOnly lets only admins through (metrics describe the whole service).
func adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.FromContext(r.Context()); !ok || p.Role != auth.RoleAdmin {
			httperror.Write(w, http.StatusForbidden, errcode.Forbidden, "metrics are for the admin role")
			return
		}
		next.ServeHTTP(w, r)
	})
}
