package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/merchant"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/wallet"
)

// Options is what the API needs to be built. Domain services are added here as they land,
// each as a field that may be nil (a test or a tool builds the server with what it has);
// New wires them, e.g. the identity service into s.authUser.
type Options struct {
	Config  config.Config
	DB      *db.DB
	Log     *slog.Logger // nil discards logs
	Version string       // shown in the OpenAPI document

	// Registry receives the HTTP metrics and is served at /metrics; nil makes a new one.
	// Pass one to let other parts of the process add their own series.
	Registry *prometheus.Registry
	// Domain services. They are nil only in tests of the core that never call their routes.
	Identity  *identity.Service
	Merchants *merchant.Service
	Wallet    *wallet.Wallet
	Staff     *staff.Service // staff logins and administration (authStaff routes)
	Audit     *audit.Log     // read by admins at /api/v1/agent/audit

	// Fallback serves what matches no API route, outside /api/ (the web pages); nil answers
	// 404 problems.
	Fallback http.Handler
}

// Server is the HTTP API: an http.Handler with one route table (routes.go).
type Server struct {
	cfg     config.Config
	db      *db.DB
	log     *slog.Logger
	version string

	identity  *identity.Service
	merchants *merchant.Service
	wallet    *wallet.Wallet
	staff     *staff.Service
	audit     *audit.Log

	mux      *http.ServeMux
	registry *prometheus.Registry
	metrics  *metrics
	fallback http.Handler
	openapi  []byte   // the served OpenAPI document, built once in New
	patterns []string // every pattern registered with the mux, for the OpenAPI test

	// How each kind of caller is authenticated (see route.auth). denyAll until the service
	// that knows the credentials is wired in New.
	authUser, authStaff, authMerchant middleware

	ridPrefix string
	ridSeq    atomic.Uint64

	stopOnce sync.Once
	stopping chan struct{}
}

// New builds the API from o.
func New(o Options) (*Server, error) { return newServer(o, nil) }

// newServer is New with extra routes after the table's (tests add theirs).
func newServer(o Options, extra []route) (*Server, error) {
	if o.DB == nil {
		return nil, errors.New("httpapi: Options.DB is nil")
	}
	s := &Server{
		cfg:          o.Config,
		db:           o.DB,
		log:          o.Log,
		version:      o.Version,
		mux:          http.NewServeMux(),
		registry:     o.Registry,
		fallback:     o.Fallback,
		authUser:     denyAll,
		authStaff:    denyAll,
		authMerchant: denyAll,
		stopping:     make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.version == "" {
		s.version = "dev"
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	var err error
	if s.metrics, err = newMetrics(s.registry); err != nil {
		return nil, fmt.Errorf("httpapi: metrics: %w", err)
	}
	registerRuntime(s.registry)
	var b [4]byte
	_, _ = rand.Read(b[:])
	s.ridPrefix = hex.EncodeToString(b[:]) + "-"

	s.identity, s.merchants, s.wallet, s.staff, s.audit = o.Identity, o.Merchants, o.Wallet, o.Staff, o.Audit
	if o.Identity != nil {
		s.authUser = requireUser(Authenticator[identity.Principal](o.Identity.Authenticate))
	}
	if o.Staff != nil {
		s.authStaff = requireUser(Authenticator[staff.Principal](o.Staff.Authenticate))
	}
	if o.Merchants != nil {
		s.authMerchant = requireMerchant(Authenticator[merchant.Merchant](o.Merchants.Authenticate))
	}

	routes := append(s.routes(), extra...)
	if err := s.mountRoutes(routes); err != nil {
		return nil, err
	}
	if s.openapi, err = buildOpenAPI(s.version, routes); err != nil {
		return nil, fmt.Errorf("httpapi: openapi: %w", err)
	}
	return s, nil
}

// mountRoutes puts every route in the mux, wrapped in its authentication and the adapter, plus
// the catch-all that answers 404/405 problems.
func (s *Server) mountRoutes(routes []route) (err error) {
	defer func() {
		// The mux panics on a malformed or conflicting pattern; that is a bug in the route
		// table, better reported by New than by a crash.
		if p := recover(); p != nil {
			err = fmt.Errorf("httpapi: route table: %v", p)
		}
	}()
	for _, rt := range routes {
		method, _, ok := strings.Cut(rt.pattern, " ")
		if !ok || method == "" || strings.HasPrefix(rt.pattern, " ") {
			return fmt.Errorf("httpapi: route %q: a pattern starts with its method", rt.pattern)
		}
		h := rt.handle
		switch rt.auth {
		case authUser:
			h = s.authUser(h)
		case authStaff:
			h = s.authStaff(h)
		case authMerchant:
			h = s.authMerchant(h)
		}
		s.mux.Handle(rt.pattern, s.adapt(rt.pattern, h))
		s.patterns = append(s.patterns, rt.pattern)
	}
	s.mux.HandleFunc("/", s.unmatched)
	return nil
}

// BeginShutdown tells long-lived handlers (WebSocket streams) to finish: http.Server.Shutdown
// does not wait for hijacked connections. /readyz answers 503 from then on so a load balancer
// stops sending traffic. Safe to call more than once.
func (s *Server) BeginShutdown() {
	s.stopOnce.Do(func() { close(s.stopping) })
}

// Stopping is closed when the server begins to shut down; stream handlers select on it.
func (s *Server) Stopping() <-chan struct{} { return s.stopping }

// Registry is the Prometheus registry served at /metrics.
func (s *Server) Registry() *prometheus.Registry { return s.registry }
