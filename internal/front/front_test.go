package front

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer collects logs written from the server's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newFront(t testing.TB, o Options, routes ...Route) *Front {
	t.Helper()
	f, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range routes {
		if err := f.Handle(rt); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func ok(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
}

func do(f http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, req)
	return rec
}

func metricsText(t *testing.T, f *Front) string {
	t.Helper()
	mfs, err := f.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := ""
			for _, l := range m.GetLabel() {
				labels += fmt.Sprintf("%s=%q,", l.GetName(), l.GetValue())
			}
			if c := m.GetCounter(); c != nil {
				fmt.Fprintf(&b, "%s{%s} %v\n", mf.GetName(), labels, c.GetValue())
			}
		}
	}
	return b.String()
}

func TestRoutesAreNamedInMetricsAndLogs(t *testing.T) {
	logs := &logBuffer{}
	f := newFront(t, Options{Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))},
		Route{Pattern: "GET /api/v1/things/{id}", Handler: ok("api")},
		Route{Pattern: "GET /{$}", Name: "page:home", Page: true, Handler: ok("home")},
		Route{Pattern: "GET /chat/socket", Name: "ws:chat", Handler: ok("ws")},
	)
	for _, p := range []string{"/api/v1/things/1", "/api/v1/things/2", "/", "/chat/socket", "/nowhere"} {
		do(f, httptest.NewRequest("GET", p, nil))
	}
	m := metricsText(t, f)
	for _, want := range []string{
		`dompet_http_requests_total{code="200",route="GET /api/v1/things/{id}",} 2`,
		`dompet_http_requests_total{code="200",route="page:home",} 1`,
		`dompet_http_requests_total{code="200",route="ws:chat",} 1`,
		`dompet_http_requests_total{code="404",route="unmatched",} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, m)
		}
	}
	if !strings.Contains(logs.String(), `"route":"page:home"`) || !strings.Contains(logs.String(), `"path":"/nowhere"`) {
		t.Errorf("access log: %s", logs)
	}
	if got := f.Names(); len(got) != 3 || got[1] != "page:home" {
		t.Errorf("Names() = %v", got)
	}
}

func TestHandleRefusesBadRoutes(t *testing.T) {
	f := newFront(t, Options{}, Route{Pattern: "GET /x", Handler: ok("")})
	for _, rt := range []Route{
		{Pattern: "/no-method", Handler: ok("")},
		{Pattern: "GET /x", Handler: ok("")}, // conflicts
		{Pattern: "GET /y"},                  // no handler
	} {
		if err := f.Handle(rt); err == nil {
			t.Errorf("%q accepted", rt.Pattern)
		}
	}
}

// TestSecurityHeaders: every answer refuses sniffing and framing and keeps the referrer at
// home; pages get the page CSP, the API and errors one that allows nothing; an embeddable
// route may be framed by the configured origins only.
func TestSecurityHeaders(t *testing.T) {
	f := newFront(t, Options{FrameAncestors: []string{"https://shop.example"}},
		Route{Pattern: "GET /api/v1/x", Handler: ok("{}")},
		Route{Pattern: "GET /{$}", Page: true, Handler: ok("<p>hi")},
		Route{Pattern: "GET /widget", Page: true, Embeddable: true, Handler: ok("<p>chat")},
	)
	for _, tt := range []struct {
		path, csp, xfo string
	}{
		{"/api/v1/x", "default-src 'none'; frame-ancestors 'none'", "DENY"},
		{"/", "frame-ancestors 'none'", "DENY"},
		{"/nope", "default-src 'none'; frame-ancestors 'none'", "DENY"},
		{"/widget", "frame-ancestors 'self' https://shop.example", ""},
	} {
		h := do(f, httptest.NewRequest("GET", tt.path, nil)).Header()
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" ||
			!strings.Contains(h.Get("Content-Security-Policy"), tt.csp) || h.Get("X-Frame-Options") != tt.xfo {
			t.Errorf("%s: %v", tt.path, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", tt.path)
		}
	}
	if csp := do(f, httptest.NewRequest("GET", "/", nil)).Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("page CSP %q", csp)
	}
	if _, err := New(Options{FrameAncestors: []string{"https://a.example; script-src *"}}); err == nil {
		t.Error("a frame ancestor that injects a directive was accepted")
	}
}

func TestHSTSOverTLSOnly(t *testing.T) {
	f := newFront(t, Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		Route{Pattern: "GET /x", Handler: ok("")})
	for _, tt := range []struct {
		name, remote, proto string
		tls, want           bool
	}{
		{"plain", "203.0.113.5:1", "", false, false},
		{"own TLS", "203.0.113.5:1", "", true, true},
		{"trusted proxy says https", "10.1.2.3:1", "https", false, true},
		{"trusted proxy says http", "10.1.2.3:1", "http", false, false},
		{"anyone says https", "203.0.113.5:1", "https", false, false},
	} {
		req := httptest.NewRequest("GET", "/x", nil)
		req.RemoteAddr = tt.remote
		if tt.proto != "" {
			req.Header.Set("X-Forwarded-Proto", tt.proto)
		}
		if tt.tls {
			req.TLS = &tls.ConnectionState{}
		}
		got := do(f, req).Header().Get("Strict-Transport-Security") != ""
		if got != tt.want {
			t.Errorf("%s: HSTS %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNoStoreWhenAuthenticated(t *testing.T) {
	f := newFront(t, Options{},
		Route{Pattern: "GET /public", Handler: ok("")},
		Route{Pattern: "GET /mine", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ExchangeOf(r).SetPrincipal("usr_1")
			io.WriteString(w, "{}")
		})},
	)
	if cc := do(f, httptest.NewRequest("GET", "/public", nil)).Header().Get("Cache-Control"); cc != "" {
		t.Errorf("anonymous answer: Cache-Control %q", cc)
	}
	if cc := do(f, httptest.NewRequest("GET", "/mine", nil)).Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("authenticated answer: Cache-Control %q", cc)
	}
}

func TestClientIP(t *testing.T) {
	trusted := proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	for _, tt := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"no proxy", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"untrusted peer's header is ignored", "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"trusted proxy", "127.0.0.1:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"rightmost untrusted wins over a forged left", "10.0.0.2:1", []string{"6.6.6.6, 198.51.100.1, 10.0.0.9"}, "198.51.100.1"},
		{"several headers", "10.0.0.2:1", []string{"6.6.6.6", "198.51.100.1", "10.0.0.9"}, "198.51.100.1"},
		{"all trusted", "10.0.0.2:1", []string{"10.0.0.7"}, "10.0.0.7"},
		{"garbage stops the walk", "10.0.0.2:1", []string{"198.51.100.1, not-an-ip"}, "10.0.0.2"},
		{"trusted proxy, no header", "10.0.0.2:1", nil, "10.0.0.2"},
		{"IPv6", "[2001:db8:ffff::1]:443", []string{"2001:db8:1::7"}, "2001:db8:1::7"},
		{"mapped IPv4 peer", "[::ffff:10.0.0.2]:1", []string{"198.51.100.1"}, "198.51.100.1"},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tt.remote
		for _, v := range tt.xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		if got := trusted.clientIP(req); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	// Without trusted proxies the header is never read.
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "127.0.0.1:9"
	req.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := (proxies{}).clientIP(req); got != "127.0.0.1" {
		t.Errorf("no trusted proxies: %q", got)
	}
}

func TestNegotiate(t *testing.T) {
	for h, want := range map[string]Locale{
		"": EN, "zh-CN": ZH, "zh": ZH, "zh-Hans-CN;q=0.8": ZH, "zh-TW": ZH, "zh_CN": ZH,
		"en-US,zh-CN;q=0.9": EN, "fr-FR,zh-CN;q=0.5,en;q=0.4": ZH, "fr, de": EN, "zh-CN;q=0, en": EN,
		"en;q=0.2, zh;q=0.7": ZH, "*": EN, "id-ID, zh;q=0.5": ZH, ";;;garbage": EN, "en-GB": EN,
	} {
		if got := Negotiate(h); got != want {
			t.Errorf("Negotiate(%q) = %v, want %v", h, got, want)
		}
	}
	for tag, want := range map[string]Locale{"zh-CN": ZH, "en": EN, "zh-Hant": ZH} {
		if got, ok := ParseLocale(tag); !ok || got != want {
			t.Errorf("ParseLocale(%q) = %v %v", tag, got, ok)
		}
	}
	if _, ok := ParseLocale("fr"); ok {
		t.Error("fr is spoken")
	}
}

func TestBodyLimits(t *testing.T) {
	var errs []int
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			var mb *http.MaxBytesError
			if !errors.As(err, &mb) {
				t.Errorf("read error %v", err)
			}
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		fmt.Fprint(w, n)
	})
	f := newFront(t, Options{BodyLimit: 100, Errors: func(w http.ResponseWriter, r *http.Request, status int) {
		errs = append(errs, status)
		w.WriteHeader(status)
	}},
		Route{Pattern: "POST /json", Handler: read},
		Route{Pattern: "POST /upload", Handler: read, BodyLimit: 1000},
		Route{Pattern: "POST /stream", Handler: read, BodyLimit: -1},
	)
	for _, tt := range []struct {
		path    string
		size    int
		chunked bool
		want    int
	}{
		{"/json", 100, false, 200},
		{"/json", 101, false, 413},
		{"/json", 101, true, 413},
		{"/upload", 1000, false, 200},
		{"/upload", 1001, false, 413},
		{"/upload", 1001, true, 413},
		{"/stream", 5000, true, 200},
	} {
		req := httptest.NewRequest("POST", tt.path, strings.NewReader(strings.Repeat("x", tt.size)))
		if tt.chunked {
			req.ContentLength = -1
		}
		if got := do(f, req).Code; got != tt.want {
			t.Errorf("%s %d bytes (chunked %v): %d, want %d", tt.path, tt.size, tt.chunked, got, tt.want)
		}
	}
	// A declared length over the limit is refused by the front itself, before the handler.
	if len(errs) != 2 || errs[0] != 413 {
		t.Errorf("front errors %v", errs)
	}
}

func TestPanicIsRecovered(t *testing.T) {
	logs := &logBuffer{}
	f := newFront(t, Options{Log: slog.New(slog.NewJSONHandler(logs, nil))},
		Route{Pattern: "GET /boom", Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") })})
	req := httptest.NewRequest("GET", "/boom", nil)
	req.Header.Set("X-Request-Id", "req-9")
	rec := do(f, req)
	var p map[string]any
	if rec.Code != 500 || json.Unmarshal(rec.Body.Bytes(), &p) != nil || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), "req-9") {
		t.Fatalf("logs %s", logs)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("the 500 lacks the security headers")
	}
}

// TestHijackAndResponseController: a WebSocket-style handler under the front can set
// deadlines through http.ResponseController (Unwrap) and hijack the connection.
func TestHijackAndResponseController(t *testing.T) {
	done := make(chan error, 1)
	logged := make(chan struct{}, 1)
	f := newFront(t, Options{Log: slog.New(accessLogged{logged})}, Route{Pattern: "GET /ws", Name: "ws:test", BodyLimit: -1, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			done <- fmt.Errorf("SetWriteDeadline: %w", err)
			return
		}
		if err := rc.EnableFullDuplex(); err != nil {
			done <- fmt.Errorf("EnableFullDuplex: %w", err)
			return
		}
		conn, brw, err := rc.Hijack()
		if err != nil {
			done <- fmt.Errorf("Hijack: %w", err)
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello")
		done <- brw.Flush()
	})})
	srv := httptest.NewServer(f)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/ws", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 101 || string(b) != "hello" {
		t.Fatalf("%d %q", res.StatusCode, b)
	}
	<-logged // the front has counted the request once the handler returned
	if m := metricsText(t, f); !strings.Contains(m, `dompet_http_requests_total{code="101",route="ws:test",} 1`) {
		t.Fatalf("upgrade not counted as 101:\n%s", m)
	}
	// The exchange's own Hijack (http.Hijacker) works too.
	if _, ok := any(&Exchange{}).(http.Hijacker); !ok {
		t.Fatal("Exchange is not a Hijacker")
	}
}

// accessLogged is a log handler that signals each access log line.
type accessLogged struct{ c chan struct{} }

func (h accessLogged) Enabled(context.Context, slog.Level) bool { return true }
func (h accessLogged) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h accessLogged) WithGroup(string) slog.Handler            { return h }
func (h accessLogged) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "http request" {
		h.c <- struct{}{}
	}
	return nil
}
