// Package server assembles the HTTP server: the GraphQL endpoint with its
// limits and error mapping, GraphiQL, health and readiness, graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/c360/c360/internal/eventstream"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/ravilushqa/otelgqlgen"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/c360/c360/graph"
	"github.com/c360/c360/internal/app"
	"github.com/c360/c360/internal/auth"
	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/errcode"
	"github.com/c360/c360/internal/graphiql"
	"github.com/c360/c360/internal/httperror"
	"github.com/c360/c360/internal/querylimit"
	"github.com/c360/c360/internal/ratelimit"
	"github.com/c360/c360/internal/readplan"
	"github.com/c360/c360/internal/scores"
	"github.com/c360/c360/internal/tracing"
)

// Server is the HTTP server of c360.
type Server struct {
	cfg      config.Config
	db       *database.DB
	scores   *scores.Service
	auth     *auth.Authenticator
	limiter  ratelimit.Limiter
	closers  []func() error
	handler  http.Handler
	draining atomic.Bool
	events   *eventstream.Stream
}

// New builds the server over an assembled c360 (app.Open), with its
// configuration.
func New(c360 *app.App) (*Server, error) {
	cfg := c360.Config
	s := &Server{cfg: cfg, db: c360.DB, scores: c360.Scores, events: c360.Events}
	tail, stopTail := context.WithCancel(database.Background(context.Background()))
	// Live subscriptions and webhooks, woken by this process's commits and
	// (PostgreSQL) by the notifications of the others'.
	go s.events.Run(tail)
	go s.db.Listen(tail, database.EventsChannel, func() { s.events.Wake(); c360.Webhooks.Wake() })
	sent := make(chan struct{})
	go func() { defer close(sent); c360.Webhooks.Run(tail) }()
	s.closers = append(s.closers, func() error { stopTail(); <-sent; return nil })
	// Here rather than in main: whatever embeds the server (the benchmark
	// harness) serves with the collector it would have in production.
	cfg.Memory.Apply()
	a, err := auth.New(auth.Config{
		APIKeys: cfg.Auth.APIKeys, JWTHS256Secret: cfg.Auth.JWTHS256Secret, JWTRS256PublicKeyPEM: cfg.Auth.JWTRS256PublicKeyPEM,
		JWTIssuer: cfg.Auth.JWTIssuer, JWTAudience: cfg.Auth.JWTAudience, PseudonymKey: cfg.Auth.PseudonymKey,
	})
	if err != nil {
		return nil, err
	}
	s.auth = a
	if !a.Enabled() {
		slog.Warn("DEVELOPMENT MODE: no API_KEYS or JWT secret configured, the API is open to anyone as admin; never expose it like this")
	}
	if err := s.setupRateLimit(); err != nil {
		return nil, err
	}
	if cfg.OTLPEndpoint != "" {
		shutdown, err := tracing.Setup(context.Background(), cfg.OTLPEndpoint, "dev")
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return shutdown(ctx)
		})
	}
	gql, err := s.graphqlHandler()
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", observe("graphql", traceContext(s.cors(s.authenticate(a, s.rateLimit(gql))))))
	if cfg.GraphiQL {
		page := observe("graphiql", graphiql.Handler())
		mux.Handle("GET "+graphiql.PagePath+"{$}", page)
		mux.Handle("GET "+graphiql.AssetsPrefix, page)
	}
	mux.Handle("GET /healthz", observe("healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})))
	mux.Handle("GET /readyz", observe("readyz", http.HandlerFunc(s.ready)))
	mux.Handle("GET /metrics", a.Middleware(adminOnly(promhttp.Handler())))
	s.handler = timeout(cfg.RequestTimeout, mux)
	for _, c := range s.db.Collectors() {
		// One process serves one database; a second server in the same
		// process (tests) keeps the first one's pool metrics.
		if err := prometheus.Register(c); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
			slog.Warn("registering pool metrics", "err", err)
		}
	}
	return s, nil
}

// Close releases what the server opened (the rate limiter's Redis client).
func (s *Server) Close() error {
	for _, c := range s.closers {
		_ = c()
	}
	return nil
}

// Handler returns the root handler (tests serve it with httptest).
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) graphqlHandler() (http.Handler, error) {
	es := graph.NewExecutableSchema(graph.Config{
		Resolvers: &graph.Resolver{Client: s.db.Client, Aggregates: s.scores, BaseCurrency: s.cfg.BaseCurrency,
			Events: s.events, Subscriptions: &graph.Subscriptions{Max: s.cfg.MaxSubscriptions},
			AllowPrivateWebhooks: s.cfg.Webhooks.AllowPrivateNetworks},
		Directives: graph.DirectiveRoot{PersonalData: personalData(s.auth)},
	})
	srv := handler.New(es)
	// Subscriptions first: the HTTP transport would take an SSE request.
	srv.AddTransport(transport.SSE{KeepAlivePingInterval: 15 * time.Second})
	srv.AddTransport(transport.Websocket{KeepAlivePingInterval: 15 * time.Second, InitFunc: s.websocketInit,
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: s.websocketOrigins()}})
	srv.AddTransport(httpTransport{maxBody: s.cfg.MaxBodyBytes})
	srv.SetQueryCache(newDocumentCache())
	srv.SetParserTokenLimit(s.cfg.Limits.MaxTokens)
	// gqlgen's switch only takes suggestions out of the field rules; the
	// argument, type and value rules suggest too, so swap them as well.
	srv.SetDisableSuggestion(!s.cfg.FieldSuggestions)
	if !s.cfg.FieldSuggestions {
		srv.SetValidationRulesFn(rulesWithoutSuggestions)
	}
	if s.cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	ops, err := loadPersisted(s.cfg.PersistedOperationsFile, s.cfg.PersistedOnly)
	if err != nil {
		return nil, err
	}
	srv.Use(ops) // before APQ: an allowlisted hash needs no registration
	apq := apqCache{store: s.scores.Cache()}
	if !s.cfg.PersistedOnly {
		srv.Use(apqSizeCap{max: s.cfg.APQMaxQueryBytes, allowed: ops})
		srv.Use(extension.AutomaticPersistedQuery{Cache: apq})
	}
	// Refuse hostile documents and input values before gqlgen validates and
	// coerces them (its validation is quadratic in repeated fields, coercion
	// recurses per level of input), then check page sizes and price what
	// passes, in the walk that also finds the fields with rules.
	srv.Use(querylimit.NewPrecheck(s.cfg.Limits))
	srv.Use(fieldRules{check: querylimit.NewCheck(s.cfg.Limits), defaultPage: s.cfg.Limits.DefaultPageSize})
	if !s.cfg.PersistedOnly {
		// After every validation and limit: stores the APQ registration of
		// an operation that passed them all (see apqCache).
		srv.Use(apqCommit{cache: apq})
	}
	if s.cfg.OTLPEndpoint != "" {
		srv.Use(otelgqlgen.Middleware())
	}
	srv.Use(entgql.Transactioner{TxOpener: graph.TxOpener(s.db.Client, s.cfg.Webhooks.AllowPrivateNetworks)})
	srv.SetErrorPresenter(errcode.NewPresenter(!s.cfg.FieldSuggestions))
	srv.SetRecoverFunc(errcode.Recover)
	if s.cfg.CompiledReads {
		srv.Use(readplan.New(s.db.Client, s.db.Dialect, es, readplan.Options{
			Lookups:      map[string]readplan.Lookup{"customer": {Type: "Customer", Predicate: graph.CustomerLookup}},
			DefaultPage:  s.cfg.Limits.DefaultPageSize,
			ReadConns:    s.db.ReadConns,
			RefusedInput: personalInput,
		}))
	}
	srv.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		return next(s.scores.WithLoader(graph.WithLoaders(ctx, s.db.Client)))
	})
	srv.AroundResponses(logOperations(&operationNames{seen: map[string]bool{}}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, POST")
			httperror.Write(w, http.StatusMethodNotAllowed, errcode.BadRequest, "use GET for queries or POST")
			return
		}
		srv.ServeHTTP(w, r)
	}), nil
}

// rulesWithoutSuggestions is gqlparser's default rule set with every rule
// that has a variant without suggestions replaced by it (gqlgen swaps the
// FieldsOnCorrectType and ScalarLeafs rules itself).
func rulesWithoutSuggestions() *rules.Rules {
	r := rules.NewDefaultRules()
	for _, swap := range []struct {
		name string
		rule core.Rule
	}{
		{rules.KnownArgumentNamesRule.Name, rules.KnownArgumentNamesRuleWithoutSuggestions},
		{rules.KnownTypeNamesRule.Name, rules.KnownTypeNamesRuleWithoutSuggestions},
		{rules.ValuesOfCorrectTypeRule.Name, rules.ValuesOfCorrectTypeRuleWithoutSuggestions},
	} {
		r.RemoveRule(swap.name)
		r.AddRule(swap.rule.Name, swap.rule.RuleFunc)
	}
	return r
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.draining.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		slog.WarnContext(ctx, "readiness check failed", "err", err)
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// timeout bounds every request's context; resolvers and queries see the deadline.
func timeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subscription(r) { // lives as long as the client stays
			_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Run serves on ln until ctx is cancelled (SIGTERM), then drains: for the
// drain delay it keeps serving with /readyz answering 503 and keep-alives off,
// so a load balancer takes it out before new requests meet a closed port;
// then it stops taking connections, lets in-flight requests finish within the
// shutdown timeout, and returns.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      s.cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	hs.SetKeepAlivesEnabled(false)
	if s.cfg.DrainDelay > 0 {
		slog.Info("draining: /readyz answers 503", "delay", s.cfg.DrainDelay.String())
		select {
		case <-time.After(s.cfg.DrainDelay):
		case err := <-errc:
			return err
		}
	}
	slog.Info("shutting down: finishing in-flight requests", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
