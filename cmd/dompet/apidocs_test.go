package main

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
)

// TestAPIDocsPage: /api/docs, on the product's front, shows every operation of the served
// OpenAPI document (method, path and summary), in English and Chinese chrome, with the page
// CSP (no inline script or style) and its stylesheet embedded under /static/.
func TestAPIDocsPage(t *testing.T) {
	cfg := config.Default()
	a, err := app.New(context.Background(), cfg, nil, app.Options{DB: dbtest.Open(t)})
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
	get := func(path, lang string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept-Language", lang)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}

	_, raw := get("/api/openapi.json", "en")
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Summary     string `json:"summary"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil || len(doc.Paths) < 30 {
		t.Fatalf("document: %v, %d paths", err, len(doc.Paths))
	}

	res, page := get("/api/docs", "en")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%s %q", res.Status, res.Header.Get("Content-Type"))
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q is not the page CSP", csp)
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "style=") || strings.Contains(page, "<style") || strings.Contains(page, "https://") && strings.Contains(page, "cdn") {
		t.Error("the page has inline script or style, or a CDN")
	}
	text := html.UnescapeString(page)
	n := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			n++
			id := `id="` + op.OperationID + `"`
			i := strings.Index(page, id)
			if i < 0 {
				t.Errorf("%s %s is not on the page", strings.ToUpper(method), path)
				continue
			}
			end := strings.Index(page[i:], "</article>")
			art := html.UnescapeString(page[i : i+end])
			if !strings.Contains(art, strings.ToUpper(method)) || !strings.Contains(art, path) || !strings.Contains(art, op.Summary) {
				t.Errorf("%s %s: method, path or summary missing from its entry", strings.ToUpper(method), path)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d operations", n)
	}
	for _, want := range []string{"API reference", "Parameters", "Responses", "pin_locked", "invalid_pin", "bank_transfer | card", "Example", "multipart/form-data"} {
		if !strings.Contains(text, want) {
			t.Errorf("the English page lacks %q", want)
		}
	}
	_, zh := get("/api/docs", "zh-CN")
	for _, want := range []string{`lang="zh-CN"`, "API 参考", "参数", "响应", "POST"} {
		if !strings.Contains(zh, want) {
			t.Errorf("the Chinese page lacks %q", want)
		}
	}
	if res, css := get("/static/apidocs.css", "en"); res.StatusCode != 200 || !strings.Contains(css, "@media") {
		t.Errorf("stylesheet: %s", res.Status)
	}
}
