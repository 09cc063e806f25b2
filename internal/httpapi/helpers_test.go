package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
)

// logBuffer collects the server's JSON logs; handlers log from other goroutines.
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

type testServer struct {
	*Server
	logs *logBuffer
}

// newTestServer builds a Server on a fresh store with extra test routes.
func newTestServer(t *testing.T, extra ...route) *testServer {
	t.Helper()
	return newTestServerWith(t, Options{}, extra...)
}

func newTestServerWith(t *testing.T, o Options, extra ...route) *testServer {
	t.Helper()
	logs := &logBuffer{}
	if o.DB == nil {
		o.DB = dbtest.Open(t)
	}
	o.Config = config.Default()
	o.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.Version = "test"
	s, err := newServer(o, extra)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &testServer{s, logs}
}

// do sends a request through the whole server and returns the recorded answer.
func (s *testServer) do(t *testing.T, method, path string, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// problemOf decodes a problem+json answer, failing the test when it is not one.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, rec.Body)
	}
	var p map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body: %v: %s", err, rec.Body)
	}
	if int(p["status"].(float64)) != rec.Code {
		t.Fatalf("body status %v != HTTP status %d", p["status"], rec.Code)
	}
	return p
}

// testRoute is a route for tests, documented enough to pass buildOpenAPI.
func testRoute(pattern string, h handlerFunc) route {
	return route{pattern: pattern, handle: h, doc: operation{Summary: "test " + pattern}}
}

func returns(err error) handlerFunc {
	return func(http.ResponseWriter, *http.Request) error { return err }
}
