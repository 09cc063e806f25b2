package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/front"
)

// serve mounts the pages on a front, as `dompet serve` does.
func serve(t *testing.T, o Options) *front.Front {
	t.Helper()
	f, err := front.New(front.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Routes(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range rs {
		if err := f.Handle(rt); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestFrontPage(t *testing.T) {
	demo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "messages:"+r.URL.Path) })
	tests := []struct {
		demo       bool
		lang, path string
		want, not  string
		status     int
	}{
		{false, "en", "/", "/api/v1", "Demo mode", 200},
		{true, "en", "/", "Demo mode", "演示", 200},
		{true, "zh-CN,zh;q=0.9", "/", "演示模式", "Demo mode", 200},
		{true, "fr, zh-TW;q=0.5", "/", "演示模式", "Demo mode", 200}, // the front's negotiation
		{true, "en", "/demo/messages", "messages:/demo/messages", "", 200},
		{true, "en", "/demo", "alice@dompet.localhost", "", 200},
		{true, "zh-CN", "/demo", "钱包用户", "Wallet users", 200},
		{false, "en", "/demo", "", "alice", 404},
		{false, "en", "/demo/messages", "", "messages", 404},
		{false, "en", "/static/site.css", "font:", "", 200},
	}
	for _, tt := range tests {
		o := Options{Demo: tt.demo}
		if tt.demo {
			o.DemoMessages = demo
			o.DemoLogins = &DemoLogins{Users: []DemoUser{{Email: "alice@dompet.localhost"}}, Messages: "/demo/messages"}
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", tt.path, nil)
		req.Header.Set("Accept-Language", tt.lang)
		serve(t, o).ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != tt.status || !strings.Contains(body, tt.want) || (tt.not != "" && strings.Contains(body, tt.not)) {
			t.Errorf("demo=%v %s %s: %d %q", tt.demo, tt.lang, tt.path, rec.Code, body)
		}
	}
	rec := httptest.NewRecorder()
	serve(t, Options{}).ServeHTTP(rec, httptest.NewRequest("GET", "/nope", nil))
	if rec.Code != 404 {
		t.Errorf("unknown page: %d", rec.Code)
	}
}

// TestPagesNeedNoInlineStyle: the page CSP allows no inline style or script, so the front page
// has none and links its stylesheet.
func TestPagesNeedNoInlineStyle(t *testing.T) {
	rec := httptest.NewRecorder()
	serve(t, Options{Demo: true}).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	body := rec.Body.String()
	if strings.Contains(body, "<style") || strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Fatalf("inline style or script in the front page: %s", body)
	}
	if !strings.Contains(body, `href="/static/site.css"`) {
		t.Fatal("stylesheet not linked")
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("page CSP %q", csp)
	}
}
