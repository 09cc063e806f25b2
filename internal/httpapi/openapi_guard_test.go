package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/wallet"
)

// driftTB records what the OpenAPI guard reports instead of failing the test.
type driftTB struct {
	testing.TB
	mu   sync.Mutex
	msgs []string
}

func (d *driftTB) Helper() {}

func (d *driftTB) Errorf(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.msgs = append(d.msgs, fmt.Sprintf(format, args...))
}

func (d *driftTB) take() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := strings.Join(d.msgs, "\n")
	d.msgs = nil
	return m
}

// TestOpenAPIGuardCatchesDrift: the guard every e2e exchange goes through fails the test
// when the server answers what its document does not say (a value outside an enum, a status
// or a problem code the operation does not declare) or is sent what the document refuses,
// and names the route, the status and the schema path. A request marked invalid on purpose
// has only its answer checked.
func TestOpenAPIGuardCatchesDrift(t *testing.T) {
	drift := route{pattern: "POST /api/v1/test/drift/{mode}", auth: authNone, doc: operation{
		Summary: "a route whose document the handler contradicts on demand", Request: wallet.Decision{},
		Status: http.StatusCreated, Response: wallet.Source{}, Errors: []string{"invalid_state"}},
		handle: func(w http.ResponseWriter, r *http.Request) error {
			switch r.PathValue("mode") {
			case "enum":
				return writeJSON(w, http.StatusCreated, wallet.Source{Type: "cash", Reference: "x"})
			case "status":
				return fault.New("pin_locked", "not declared here")
			case "code":
				return fault.New("already_exists", "409 is declared, this code is not")
			}
			return writeJSON(w, http.StatusCreated, wallet.Source{Type: "card", Reference: "x"})
		}}
	s := newTestServer(t, drift)
	rec := &driftTB{TB: t}
	guard := checked(rec, s)
	send := func(mode, body string, headers ...hdr) string {
		req := httptest.NewRequest("POST", "/api/v1/test/drift/"+mode, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for _, h := range headers {
			req.Header.Set(h[0], h[1])
		}
		guard.ServeHTTP(httptest.NewRecorder(), req)
		return rec.take()
	}
	good := `{"decision":"approve","reason":"ok"}`
	if m := send("ok", good); m != "" {
		t.Errorf("an exchange as documented was reported:\n%s", m)
	}
	for _, tc := range []struct {
		mode, body string
		headers    []hdr
		want       []string
	}{
		{"enum", good, nil, []string{"OpenAPI drift: POST /api/v1/test/drift/{mode} → 201", "$.type", "enum"}},
		{"status", good, nil, []string{"→ 403", "403"}},
		{"code", good, nil, []string{"→ 409", "$.code", "enum"}},
		{"ok", `{"decision":"maybe","reason":"ok"}`, nil, []string{"→ 201", "requestBody", "$.decision", "enum"}},
		{"ok", `{"decision":"approve"}`, nil, []string{"requestBody", "reason", "required"}},
	} {
		m := send(tc.mode, tc.body, tc.headers...)
		for _, w := range tc.want {
			if !strings.Contains(m, w) {
				t.Errorf("%s %s: the report lacks %q:\n%s", tc.mode, tc.body, w, m)
			}
		}
	}
	// On purpose: the request is not checked, the answer still is.
	if m := send("ok", `{"decision":"maybe"}`, invalidOnPurpose); m != "" {
		t.Errorf("a request invalid on purpose was reported:\n%s", m)
	}
	if m := send("enum", `{"decision":"maybe"}`, invalidOnPurpose); !strings.Contains(m, "$.type") || strings.Contains(m, "$.decision") {
		t.Errorf("with the opt-out, only the answer is checked:\n%s", m)
	}
}

// TestOpenAPIExamplesValidate: every example in the document is valid against its own
// schema, checked by the same validator as the e2e exchanges.
func TestOpenAPIExamplesValidate(t *testing.T) {
	s := newTestServer(t)
	c := checkerFor(t, s)
	n := 0
	for _, rt := range s.routes() {
		d := rt.doc
		method, path, _ := strings.Cut(rt.pattern, " ")
		for _, p := range pathParams(path) {
			path = strings.Replace(path, "{"+p+"}", "x1", 1)
		}
		path = strings.TrimSuffix(path, "{$}")
		if d.RequestExample != nil {
			n++
			req := httptest.NewRequest(method, path, strings.NewReader(string(mustJSON(t, d.RequestExample))))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "k-1")
			req.Header.Set("Authorization", "Bearer x")
			if ok, errs := c.v.ValidateHttpRequestSync(req); !ok {
				t.Errorf("%s: request example:\n%s", rt.pattern, formatValidation(errs))
			}
		}
		if d.ResponseExample != nil {
			n++
			req := httptest.NewRequest(method, path, nil)
			rec := httptest.NewRecorder()
			rec.Header().Set("Content-Type", "application/json")
			rec.WriteHeader(cmpOr(d.Status, http.StatusOK))
			rec.Write(mustJSON(t, d.ResponseExample))
			if ok, errs := c.v.ValidateHttpResponse(req, rec.Result()); !ok {
				t.Errorf("%s: response example:\n%s", rt.pattern, formatValidation(errs))
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d examples", n)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
