package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/front"
)

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	s := newTestServer(t, testRoute("DELETE /t/items/{id}", returns(nil)))
	tests := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/nope", 404, "not_found", ""},
		{"GET", "/api/v1/nope", 404, "not_found", ""},
		{"POST", "/healthz", 405, "method_not_allowed", "GET, HEAD"},
		{"GET", "/t/items/42", 405, "method_not_allowed", "DELETE"},
		{"DELETE", "/t/items", 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := s.do(t, tt.method, tt.path, "", "Accept-Language", "zh-CN")
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			p := problemOf(t, rec)
			if p["code"] != tt.code || !hasHan(p["title"].(string)) {
				t.Fatalf("problem %v", p)
			}
			if got := rec.Header().Get("Allow"); got != tt.allow {
				t.Fatalf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
	if rec := s.do(t, "DELETE", "/t/items/42", ""); rec.Code != 200 {
		t.Fatalf("the right method: %d", rec.Code)
	}
}

func TestPagesBesideTheAPI(t *testing.T) {
	f, err := NewFront(config.Default(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page "+r.URL.Path) })
	if err := f.Handle(front.Route{Pattern: "GET /help/{slug}", Page: true, Handler: page}); err != nil {
		t.Fatal(err)
	}
	s := newTestServerWith(t, Options{Front: f})
	if rec := s.do(t, "GET", "/help/locked", ""); rec.Code != 200 || rec.Body.String() != "page /help/locked" {
		t.Fatalf("page: %d %s", rec.Code, rec.Body)
	}
	if rec := s.do(t, "GET", "/api/v1/nope", ""); rec.Code != 404 || problemOf(t, rec)["code"] != "not_found" {
		t.Fatalf("api 404: %d %s", rec.Code, rec.Body)
	}
	if rec := s.do(t, "POST", "/help/locked", ""); rec.Code != 405 || problemOf(t, rec)["code"] != "method_not_allowed" {
		t.Fatalf("page 405: %d %s", rec.Code, rec.Body)
	}
	if rec := s.do(t, "POST", "/healthz", ""); rec.Code != 405 {
		t.Fatalf("405: %d", rec.Code)
	}
	m := s.metricsText(t)
	if !strings.Contains(m, `dompet_http_requests_total{code="200",route="GET /help/{slug}"} 1`) || strings.Contains(m, "fallback") {
		t.Fatalf("the page is not named in the metrics:\n%s", m)
	}
}

func TestRequestID(t *testing.T) {
	var seen string
	s := newTestServer(t, testRoute("GET /t/id", func(w http.ResponseWriter, r *http.Request) error {
		seen = requestID(r)
		return noContent(w)
	}))
	rec := s.do(t, "GET", "/t/id", "", "X-Request-Id", "lb-7f3a")
	if got := rec.Header().Get("X-Request-Id"); got != "lb-7f3a" || seen != "lb-7f3a" {
		t.Fatalf("echo %q, handler saw %q", got, seen)
	}
	a := s.do(t, "GET", "/t/id", "").Header().Get("X-Request-Id")
	b := s.do(t, "GET", "/t/id", "").Header().Get("X-Request-Id")
	if a == "" || a == b {
		t.Fatalf("generated ids %q %q", a, b)
	}
	bad := s.do(t, "GET", "/t/id", "", "X-Request-Id", `evil"id`+"\x7f").Header().Get("X-Request-Id")
	if strings.Contains(bad, "evil") {
		t.Fatalf("unsafe id kept: %q", bad)
	}
	if long := s.do(t, "GET", "/t/id", "", "X-Request-Id", strings.Repeat("x", 200)).Header().Get("X-Request-Id"); len(long) > 128 {
		t.Fatalf("overlong id kept")
	}
}

func TestPanicIs500Problem(t *testing.T) {
	s := newTestServer(t,
		testRoute("GET /t/panic", func(http.ResponseWriter, *http.Request) error { panic("nil map somewhere") }),
		testRoute("GET /t/panic-late", func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(200)
			io.WriteString(w, "partial")
			panic("after the header")
		}),
	)
	rec := s.do(t, "GET", "/t/panic", "", "X-Request-Id", "panic-1")
	if rec.Code != 500 || problemOf(t, rec)["code"] != "internal" || strings.Contains(rec.Body.String(), "nil map") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "nil map somewhere") || !strings.Contains(logs, "panic-1") || !strings.Contains(logs, "goroutine") {
		t.Fatalf("panic not logged with stack and request id: %s", logs)
	}
	// Over a real connection: a panic after the header aborts the response instead of
	// passing a truncated body off as a success.
	ts := httptest.NewServer(s)
	defer ts.Close()
	res, err := http.Get(ts.URL + "/t/panic-late")
	if err == nil {
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	if err == nil {
		t.Fatal("a late panic gave a clean response")
	}
	if !strings.Contains(s.metricsText(t), `dompet_http_requests_total{code="500",route="GET /t/panic-late"} 1`) {
		t.Fatal("late panic not counted as 500")
	}
}

func (s *testServer) metricsText(t *testing.T) string {
	t.Helper()
	rec := s.do(t, "GET", "/metrics", "")
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	return rec.Body.String()
}

func TestHealthz(t *testing.T) {
	s := newTestServer(t)
	rec := s.do(t, "GET", "/healthz", "")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
		t.Fatalf("%d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}

func TestReadyz(t *testing.T) {
	s := newTestServer(t)
	if rec := s.do(t, "GET", "/readyz", ""); rec.Code != 200 {
		t.Fatalf("ready: %d %s", rec.Code, rec.Body)
	}
	s.BeginShutdown()
	s.BeginShutdown() // twice is fine
	if rec := s.do(t, "GET", "/readyz", ""); rec.Code != 503 || problemOf(t, rec)["code"] != "unavailable" || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("shutting down: %d %s", rec.Code, rec.Body)
	}
	select {
	case <-s.Stopping():
	default:
		t.Fatal("Stopping not closed")
	}

	d, err := db.Open(context.Background(), dbtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	down := newTestServerWith(t, Options{DB: d})
	d.Close()
	rec := down.do(t, "GET", "/readyz", "")
	if rec.Code != 503 || problemOf(t, rec)["code"] != "unavailable" {
		t.Fatalf("store down: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(down.logs.String(), "store ping failed") {
		t.Fatalf("not logged: %s", down.logs)
	}
}

func TestMetrics(t *testing.T) {
	s := newTestServer(t, testRoute("GET /t/items/{id}", returns(errNotFound)))
	for range 3 {
		s.do(t, "GET", "/healthz", "")
	}
	s.do(t, "GET", "/t/items/1", "")
	s.do(t, "GET", "/t/items/2", "")
	s.do(t, "GET", "/random/path", "")
	m := s.metricsText(t)
	for _, want := range []string{
		`dompet_http_requests_total{code="200",route="GET /healthz"} 3`,
		`dompet_http_requests_total{code="404",route="GET /t/items/{id}"} 2`,
		`dompet_http_requests_total{code="404",route="unmatched"} 1`,
		`dompet_http_request_duration_seconds_count{route="GET /healthz"} 3`,
		`go_goroutines`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(m, "/random/path") {
		t.Error("unmatched path became a label")
	}
}

func TestAccessLogLevels(t *testing.T) {
	s := newTestServer(t, testRoute("GET /t/bad", returns(errNotFound)))
	s.do(t, "GET", "/healthz", "", "X-Request-Id", "ok-1")
	s.do(t, "GET", "/t/bad", "", "X-Request-Id", "bad-1")
	levels := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(s.logs.String()), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if e["msg"] == "http request" {
			levels[e["request_id"].(string)] = e["level"].(string)
			if e["route"] == nil || e["status"] == nil || e["duration_ms"] == nil || e["method"] == nil {
				t.Errorf("access log lacks fields: %s", line)
			}
		}
	}
	if levels["ok-1"] != "DEBUG" || levels["bad-1"] != "INFO" {
		t.Fatalf("levels %v", levels)
	}
}

func TestNewRejectsBadRouteTable(t *testing.T) {
	o := Options{DB: dbtest.Open(t)}
	if _, err := newServer(o, []route{testRoute("/no-method", returns(nil))}); err == nil {
		t.Error("pattern without method accepted")
	}
	if _, err := newServer(o, []route{testRoute("GET /healthz", returns(nil))}); err == nil {
		t.Error("duplicate pattern accepted")
	}
	if _, err := newServer(o, []route{{pattern: "GET /t/undocumented", handle: returns(nil)}}); err == nil {
		t.Error("route without summary accepted")
	}
	bad := testRoute("GET /t/x", returns(nil))
	bad.doc.Errors = []string{"no_such_code"}
	if _, err := newServer(o, []route{bad}); err == nil {
		t.Error("unknown error code accepted")
	}
	if _, err := New(Options{}); err == nil {
		t.Error("nil DB accepted")
	}
}

func TestConcurrentRequests(t *testing.T) {
	s := newTestServer(t, testRoute("GET /t/items/{id}", func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, 200, map[string]string{"id": r.PathValue("id")})
	}))
	ts := httptest.NewServer(s)
	defer ts.Close()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 25 {
				res, err := http.Get(ts.URL + "/t/items/x")
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					t.Errorf("worker %d: %d", i, res.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	if !strings.Contains(s.metricsText(t), `dompet_http_requests_total{code="200",route="GET /t/items/{id}"} 200`) {
		t.Fatal("not every request counted")
	}
}
