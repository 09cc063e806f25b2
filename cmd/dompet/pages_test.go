package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/notify"
)

// TestDemoMessagesPage: /demo/messages lists what was sent in demo mode and is absent otherwise.
func TestDemoMessagesPage(t *testing.T) {
	for _, demo := range []bool{true, false} {
		cfg := config.Default()
		cfg.Demo = demo
		ctx := context.Background()
		a, err := app.New(ctx, cfg, nil, app.Options{DB: dbtest.Open(t), Notify: notify.NewRecorder(nil, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := a.Notify.Send(ctx, notify.Message{Channel: notify.SMS, To: "+6281234567890", Text: "Kode 918273", Kind: "recovery_code"}); err != nil {
			t.Fatal(err)
		}
		api, err := handler(cfg, nil, a, nil)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(api)
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/demo/messages")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		shown := resp.StatusCode == 200 && strings.Contains(string(b), "918273")
		if shown != demo {
			t.Errorf("demo=%v: %s, code shown: %v", demo, resp.Status, shown)
		}
	}
}

// TestOneFront: the product's one front serves the API, the pages and the demo pages side by
// side. Every answer (an API answer, a page, an error) carries the security headers, and
// /metrics names every route, pages included.
func TestOneFront(t *testing.T) {
	cfg := config.Default()
	cfg.Demo = true
	a, err := app.New(context.Background(), cfg, nil, app.Options{DB: dbtest.Open(t), Notify: notify.NewRecorder(nil, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	api, err := handler(cfg, nil, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	get := func(path string, header ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}
	for _, tt := range []struct {
		name, path   string
		auth         string
		status       int
		csp, noStore string
	}{
		{"API answer", "/api/v1/fees/quote?kind=payment&amount=10000&currency=IDR", "", 200, "default-src 'none'", ""},
		{"authenticated error", "/api/v1/me", "Bearer nope", 401, "default-src 'none'", "no-store"},
		{"unknown API path", "/api/v1/nope", "", 404, "default-src 'none'", "no-store"},
		{"page", "/", "", 200, "script-src 'self'", "no-store"},
		{"stylesheet", "/static/site.css", "", 200, "default-src 'self'", ""},
		{"demo page", "/demo/messages", "", 200, "", ""},
	} {
		res, body := get(tt.path, "Authorization", tt.auth)
		h := res.Header
		if res.StatusCode != tt.status {
			t.Errorf("%s: %d %s", tt.name, res.StatusCode, body)
			continue
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("Referrer-Policy") == "" || h.Get("X-Request-Id") == "" { // the demo page's own is stricter
			t.Errorf("%s: headers %v", tt.name, h)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, tt.csp) || csp == "" {
			t.Errorf("%s: CSP %q, want %q in it", tt.name, csp, tt.csp)
		}
		if tt.noStore != "" && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", tt.name, h.Get("Cache-Control"))
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", tt.name)
		}
	}

	_, m := get("/metrics")
	for _, route := range []string{"GET /{$}", "GET /static/", "GET /demo/messages", "GET /api/v1/fees/quote", "GET /api/v1/me", "unmatched"} {
		if !strings.Contains(m, `route="`+route+`"`) {
			t.Errorf("/metrics does not name %s", route)
		}
	}
	for _, name := range api.Front().Names() { // requested or not
		if !strings.Contains(m, `dompet_http_request_duration_seconds_count{route="`+name+`"}`) {
			t.Errorf("/metrics does not name the route %s", name)
		}
	}
	if strings.Contains(m, `route="fallback"`) {
		t.Error("pages still counted as fallback")
	}
}
