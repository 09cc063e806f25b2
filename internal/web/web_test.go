package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFrontPage(t *testing.T) {
	extra := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "extra:"+r.URL.Path) })
	tests := []struct {
		demo       bool
		lang, path string
		want, not  string
		status     int
	}{
		{false, "en", "/", "wallet API", "Demo users", 200},
		{true, "en", "/", "Demo users", "演示", 200},
		{true, "zh-CN,zh;q=0.9", "/", "演示账户", "Demo users", 200},
		{true, "en", "/demo/messages", "extra:/demo/messages", "", 200},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", tt.path, nil)
		req.Header.Set("Accept-Language", tt.lang)
		Handler(Options{Demo: tt.demo}, extra).ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != tt.status || !strings.Contains(body, tt.want) || (tt.not != "" && strings.Contains(body, tt.not)) {
			t.Errorf("demo=%v %s %s: %d %q", tt.demo, tt.lang, tt.path, rec.Code, body)
		}
	}
	rec := httptest.NewRecorder()
	Handler(Options{}, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/nope", nil))
	if rec.Code != 404 {
		t.Errorf("unknown page: %d", rec.Code)
	}
}
