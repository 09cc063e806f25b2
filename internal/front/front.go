// Package front is Dompet's one HTTP front: the router under which the JSON API, the pages,
// the demo pages and the WebSocket endpoints are mounted side by side, each route with a
// name, and the plumbing every request crosses: request id, panic recovery, access log,
// metrics, locale negotiation, security headers, per-route body limits and the client's
// address behind trusted proxies. It knows no domain: the application gives it handlers
// and a function that renders the front's own failures (404, 405, 413, 500).
package front

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultBodyLimit is the largest request body a route takes unless it says otherwise:
// JSON requests are small.
const DefaultBodyLimit = 1 << 20

// ErrorWriter answers a failure the front raises itself: 404 and 405 (with Allow already
// set), 413 for a body over the route's limit, 500 for a panic. The API renders them as
// problem+json in the request's locale.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, status int)

// Options configure a Front.
type Options struct {
	Log *slog.Logger // nil discards logs
	// Registry receives the HTTP metrics (and the Go runtime and process collectors);
	// nil makes a new one.
	Registry *prometheus.Registry
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto
	// are believed; empty trusts none.
	TrustedProxies []netip.Prefix
	// FrameAncestors are the origins (https://shop.example) allowed to frame embeddable
	// routes, besides this site itself.
	FrameAncestors []string
	// BodyLimit is the default body limit of routes; 0 means DefaultBodyLimit.
	BodyLimit int64
	// Errors renders the front's own failures; nil writes a bare problem+json.
	Errors ErrorWriter
}

// Route is one mounted handler.
type Route struct {
	// Pattern is a ServeMux pattern with its method ("GET /api/v1/me", "GET /static/").
	Pattern string
	// Name labels the route in the access log and in metrics; "" uses Pattern.
	Name    string
	Handler http.Handler
	// Page marks an HTML page: it gets the page Content-Security-Policy instead of the API's.
	Page bool
	// Embeddable lets Options.FrameAncestors frame the route (the chat widget page); every
	// other route refuses to be framed.
	Embeddable bool
	// BodyLimit bounds the request body: 0 takes the front's default, negative none (a
	// stream). Larger bodies are answered 413.
	BodyLimit int64
}

// Front is an http.Handler: the router and the layers around every route.
type Front struct {
	log            *slog.Logger
	registry       *prometheus.Registry
	metrics        *metrics
	proxies        proxies
	frameAncestors []string
	bodyLimit      int64
	errors         ErrorWriter

	mux   *http.ServeMux
	names []string // the route names, in mounting order

	ridPrefix string
	ridSeq    atomic.Uint64
}

// New builds an empty Front; mount routes with Handle.
func New(o Options) (*Front, error) {
	f := &Front{log: o.Log, registry: o.Registry, proxies: o.TrustedProxies,
		frameAncestors: o.FrameAncestors, bodyLimit: o.BodyLimit, errors: o.Errors, mux: http.NewServeMux()}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.registry == nil {
		f.registry = prometheus.NewRegistry()
	}
	if f.bodyLimit == 0 {
		f.bodyLimit = DefaultBodyLimit
	}
	if f.errors == nil {
		f.errors = plainError
	}
	for _, a := range f.frameAncestors {
		if a == "" || strings.ContainsAny(a, " ;,'\"") {
			return nil, fmt.Errorf("front: frame ancestor %q is not an origin", a)
		}
	}
	var err error
	if f.metrics, err = newMetrics(f.registry); err != nil {
		return nil, fmt.Errorf("front: metrics: %w", err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	f.ridPrefix = hex.EncodeToString(b[:]) + "-"
	f.mux.HandleFunc("/", f.unmatched)
	return f, nil
}

// Registry is the Prometheus registry holding the HTTP metrics.
func (f *Front) Registry() *prometheus.Registry { return f.registry }

// Names are the names of the routes mounted so far.
func (f *Front) Names() []string { return append([]string(nil), f.names...) }

// Handle mounts rt. A malformed pattern, one without a method or one that conflicts with a
// route already mounted is an error (the mux would panic).
func (f *Front) Handle(rt Route) (err error) {
	method, _, ok := strings.Cut(rt.Pattern, " ")
	if !ok || method == "" || strings.HasPrefix(rt.Pattern, " ") {
		return fmt.Errorf("front: route %q: a pattern starts with its method", rt.Pattern)
	}
	if rt.Handler == nil {
		return fmt.Errorf("front: route %q has no handler", rt.Pattern)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("front: route %q: %v", rt.Pattern, p)
		}
	}()
	f.mux.Handle(rt.Pattern, f.wrap(rt))
	name := rt.Name
	if name == "" {
		name = rt.Pattern
	}
	f.names = append(f.names, name)
	// The route's duration series exists from the start, so /metrics names every route
	// before its first request.
	f.metrics.duration.WithLabelValues(name)
	return nil
}

// wrap is what the mux runs for rt: it names the request's route, puts the route's headers
// on the answer and bounds the body, then runs the handler.
func (f *Front) wrap(rt Route) http.Handler {
	name := rt.Name
	if name == "" {
		name = rt.Pattern
	}
	limit := rt.BodyLimit
	if limit == 0 {
		limit = f.bodyLimit
	}
	hs := f.headersFor(rt)
	next := rt.Handler
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x, _ := w.(*Exchange)
		if x == nil { // mounted elsewhere than under the Front (a test calling it directly)
			next.ServeHTTP(w, r)
			return
		}
		x.route = name
		hs.apply(w.Header())
		if limit > 0 && r.Body != nil && r.Body != http.NoBody {
			if r.ContentLength > limit {
				f.errors(w, r, http.StatusRequestEntityTooLarge)
				return
			}
			// A declared length is already enforced by the server's body reader; only a
			// body of unknown length (chunked) needs counting.
			if r.ContentLength < 0 {
				r.Body = http.MaxBytesReader(x.ResponseWriter, r.Body, limit)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP is the outermost layer, in one function to keep the hot path short: it gives the
// request its id and exchange, the security headers, recovers panics as 500s, and after the
// answer records the access log line and the metrics.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	x := &Exchange{ResponseWriter: w, front: f, req: r, id: f.requestIDFor(r)}
	h := w.Header()
	h["X-Request-Id"] = []string{x.id}
	f.secure(h, r)
	r = r.WithContext(withExchange(r.Context(), x))
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			f.log.LogAttrs(r.Context(), slog.LevelError, "panic",
				slog.String("request_id", x.id), slog.String("route", x.route),
				slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
			if x.status != 0 {
				// Half an answer is out: abort the connection so the client sees a failure,
				// not a truncated success.
				x.status = http.StatusInternalServerError
				f.done(x, r, start)
				panic(http.ErrAbortHandler)
			}
			f.errors(x, r, http.StatusInternalServerError)
		}
		f.done(x, r, start)
	}()
	f.mux.ServeHTTP(x, r)
}

// done logs the request (debug for successes, which are most of them) and counts it.
func (f *Front) done(x *Exchange, r *http.Request, start time.Time) {
	d := time.Since(start)
	status := x.status
	if status == 0 {
		status = http.StatusOK // a handler that wrote nothing answered an empty 200
	}
	route := x.route
	if route == "" {
		route = RouteUnmatched
	}
	f.metrics.observe(route, status, d)

	level := slog.LevelDebug
	switch {
	case status >= 500:
		level = slog.LevelWarn
	case status >= 400:
		level = slog.LevelInfo
	}
	if !f.log.Enabled(r.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("route", route), slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.String("request_id", x.id),
	}
	if x.route == "" {
		attrs = append(attrs, slog.String("path", r.URL.Path))
	}
	f.log.LogAttrs(r.Context(), level, "http request", attrs...)
}

// requestIDFor keeps a sane X-Request-Id from the caller (a load balancer's, a test's) and
// otherwise makes one: a per-process random prefix and a counter, unique without a syscall.
func (f *Front) requestIDFor(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && validRequestID(id) {
		return id
	}
	return f.ridPrefix + strconv.FormatUint(f.ridSeq.Add(1), 36)
}

func validRequestID(id string) bool {
	if len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// methods the 405 check tries.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions}

// unmatched serves what no route matched: 405 with Allow when the path exists under another
// method, else 404.
func (f *Front) unmatched(w http.ResponseWriter, r *http.Request) {
	apiHeaders.apply(w.Header())
	var allow []string
	for _, m := range methods {
		if m == r.Method {
			continue
		}
		probe := r.WithContext(r.Context()) // shallow copy: the mux only reads method and URL
		probe.Method = m
		if _, p := f.mux.Handler(probe); p != "" && p != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		f.errors(w, r, http.StatusMethodNotAllowed)
		return
	}
	f.errors(w, r, http.StatusNotFound)
}

// plainError is the ErrorWriter of a Front given none: a bare RFC 9457 body.
func plainError(w http.ResponseWriter, r *http.Request, status int) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h["Cache-Control"] = hvNoStore
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"type":"about:blank","title":%q,"status":%d}`+"\n", http.StatusText(status), status)
}
