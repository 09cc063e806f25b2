package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// ServeHTTP is the outermost layer, in one function to keep the hot path short: it gives the
// request its id and exchange, recovers panics as 500 problems, and after the answer records
// the access log line and the metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	x := &exchange{ResponseWriter: w, id: s.requestIDFor(r)}
	w.Header().Set("X-Request-Id", x.id)
	r = r.WithContext(withExchange(r.Context(), x))
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic",
				slog.String("request_id", x.id), slog.String("route", x.route),
				slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
			if x.status != 0 {
				// Half an answer is out: abort the connection so the client sees a failure,
				// not a truncated success.
				x.status = http.StatusInternalServerError
				s.done(x, r, start)
				panic(http.ErrAbortHandler)
			}
			writeProblem(x, localeOf(r), errInternal)
		}
		s.done(x, r, start)
	}()
	s.mux.ServeHTTP(x, r)
}

// done logs the request (debug for successes, which are most of them) and counts it.
func (s *Server) done(x *exchange, r *http.Request, start time.Time) {
	d := time.Since(start)
	status := x.status
	if status == 0 {
		status = http.StatusOK // a handler that wrote nothing answered an empty 200
	}
	route := x.route
	if route == "" {
		route = routeUnmatched
	}
	s.metrics.observe(route, status, d)

	level := slog.LevelDebug
	switch {
	case status >= 500:
		level = slog.LevelWarn
	case status >= 400:
		level = slog.LevelInfo
	}
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("route", route), slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.String("request_id", x.id),
	}
	if x.route == "" {
		attrs = append(attrs, slog.String("path", r.URL.Path))
	}
	s.log.LogAttrs(r.Context(), level, "http request", attrs...)
}

// requestIDFor keeps a sane X-Request-Id from the caller (a load balancer's, a test's) and
// otherwise makes one: a per-process random prefix and a counter, unique without a syscall.
func (s *Server) requestIDFor(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && validRequestID(id) {
		return id
	}
	return s.ridPrefix + strconv.FormatUint(s.ridSeq.Add(1), 36)
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

// adapt turns a route's handler into what the mux serves: it records the route for logs and
// metrics, runs the handler, and answers a returned error with a problem.
func (s *Server) adapt(pattern string, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if x := stateOf(r); x != nil {
			x.route = pattern
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// methods the 405 check tries.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions}

// unmatched serves what no route matched: 405 with Allow when the path exists under another
// method, the Fallback (web pages) when there is one, else 404 — as problem+json.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range methods {
		if m == r.Method {
			continue
		}
		probe := r.WithContext(r.Context()) // shallow copy: the mux only reads method and URL
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" && p != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, localeOf(r), errMethodNotAllowed)
		return
	}
	if s.fallback != nil && !strings.HasPrefix(r.URL.Path, "/api/") {
		if x := stateOf(r); x != nil {
			x.route = "fallback"
		}
		s.fallback.ServeHTTP(w, r)
		return
	}
	writeProblem(w, localeOf(r), errNotFound)
}
