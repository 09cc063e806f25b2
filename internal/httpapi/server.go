package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/checkout"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/helpcenter"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/inbox"
	"github.com/dompet/dompet/internal/merchant"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/support"
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

	// Registry is served at /metrics; nil makes a new one. Pass one to let other parts of
	// the process add their own series. With Front, the front's registry is used.
	Registry *prometheus.Registry
	// Domain services. They are nil only in tests of the core that never call their routes.
	Identity  *identity.Service
	Merchants *merchant.Service
	Wallet    *wallet.Wallet
	Staff     *staff.Service      // staff logins and administration (authStaff routes)
	Audit     *audit.Log          // read by admins at /api/v1/agent/audit
	Support   *support.Service    // the desk: conversations, routing, customer context
	Inbox     *inbox.Service      // the users' notifications and their settings
	Checkout  *checkout.Service   // merchants' checkouts, paid by customers
	Help      *helpcenter.Service // the help center: articles, search, votes, editing

	// Front is the HTTP front the API's routes are mounted on, beside the pages (built with
	// Errors: WriteFrontError). Nil makes one from Config holding the API alone.
	Front *front.Front
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
	support   *support.Service
	inbox     *inbox.Service
	checkout  *checkout.Service
	help      *helpcenter.Service

	front    *front.Front
	registry *prometheus.Registry
	openapi  []byte   // the served OpenAPI document, built once in New
	patterns []string // every pattern mounted on the front, for the OpenAPI test

	// How each kind of caller is authenticated (see route.auth). denyAll until the service
	// that knows the credentials is wired in New.
	authUser, authChat, authStaff, authMerchant middleware

	stopOnce sync.Once
	stopping chan struct{}
	// recheckEvery (nanoseconds) replaces streamRecheckEvery when set (tests).
	recheckEvery atomic.Int64
	// subscribed, when set, runs between a customer stream's subscription and its backlog
	// read (tests store a message there, to see it arrive once).
	subscribed atomic.Pointer[func(convID string)]
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
		front:        o.Front,
		registry:     o.Registry,
		authUser:     denyAll,
		authChat:     denyAll,
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
	var err error
	if s.front == nil {
		if s.front, err = NewFront(o.Config, s.log, s.registry); err != nil {
			return nil, err
		}
	}
	s.registry = s.front.Registry()

	s.identity, s.merchants, s.wallet, s.staff, s.audit = o.Identity, o.Merchants, o.Wallet, o.Staff, o.Audit
	s.support = o.Support
	s.inbox = o.Inbox
	s.checkout = o.Checkout
	s.help = o.Help
	if o.Identity != nil {
		s.authUser = requireUser(Authenticator[identity.Principal](o.Identity.Authenticate))
		s.authChat = requireUser(Authenticator[identity.Principal](o.Identity.AuthenticateChat))
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

// NewFront builds the HTTP front the API (and the pages beside it) is mounted on, from the
// settings: trusted proxies and frame ancestors; its own failures are problems.
func NewFront(cfg config.Config, log *slog.Logger, reg *prometheus.Registry) (*front.Front, error) {
	return front.New(front.Options{Log: log, Registry: reg, TrustedProxies: cfg.TrustedProxies,
		FrameAncestors: cfg.FrameAncestors, Errors: WriteFrontError})
}

// ServeHTTP serves the front the API is mounted on (with whatever else is mounted there).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.front.ServeHTTP(w, r) }

// Front is the HTTP front the API is mounted on.
func (s *Server) Front() *front.Front { return s.front }

// mountRoutes puts every route on the front, wrapped in its authentication and the adapter,
// named by its pattern. A malformed or conflicting pattern is a bug in the route table,
// reported by New rather than by a crash.
func (s *Server) mountRoutes(routes []route) error {
	for _, rt := range routes {
		h := rt.handle
		switch rt.auth {
		case authUser:
			h = s.authUser(h)
		case authChat:
			h = s.authChat(h)
		case authStaff:
			h = s.authStaff(h)
		case authMerchant:
			h = s.authMerchant(h)
		}
		if c := streamCookies(rt); c != nil {
			h = cookieCredential(c...)(h)
		}
		err := s.front.Handle(front.Route{Pattern: rt.pattern, Handler: s.adapt(h), BodyLimit: rt.doc.MaxBody})
		if err != nil {
			return fmt.Errorf("httpapi: route table: %w", err)
		}
		s.patterns = append(s.patterns, rt.pattern)
	}
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
