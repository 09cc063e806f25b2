package httpapi

// Every exchange of the end-to-end tests is checked against the OpenAPI document the server
// serves, by an independent validator (pb33f/libopenapi-validator, OpenAPI 3.1): the request
// (path, query, headers, body) and the answer (status declared, body and its schema, problem
// bodies included). Drift between the document and the server fails the test that met it.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	vErrors "github.com/pb33f/libopenapi-validator/errors"
)

// invalidOnPurposeHeader marks a request a test sends malformed on purpose (the strict-input
// and bad-input tests): only its answer is checked against the document. The checker removes
// the header before the server sees the request.
const invalidOnPurposeHeader = "X-Test-Invalid-On-Purpose"

// invalidOnPurpose is the opt-out to pass to send, do or post.
var invalidOnPurpose = hdr{invalidOnPurposeHeader, "request"}

// openAPICheckers holds one validator per served document (by hash): parsing the document
// takes longer than most tests, and every environment serves the same one.
var openAPICheckers struct {
	sync.Mutex
	m map[[32]byte]*openAPIChecker
}

// openAPIChecker validates exchanges against one document.
type openAPIChecker struct {
	v      validator.Validator
	routes *http.ServeMux // the document's operations, to name the route of a request
}

// checkerFor returns the validator of the document api serves.
func checkerFor(tb testing.TB, api http.Handler) *openAPIChecker {
	tb.Helper()
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest("GET", "/api/openapi.json", nil))
	if rec.Code != http.StatusOK {
		tb.Fatalf("GET /api/openapi.json: %d", rec.Code)
	}
	spec := rec.Body.Bytes()
	sum := sha256.Sum256(spec)
	openAPICheckers.Lock()
	defer openAPICheckers.Unlock()
	if c := openAPICheckers.m[sum]; c != nil {
		return c
	}
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		tb.Fatalf("the served OpenAPI document does not parse: %v", err)
	}
	v, errs := validator.NewValidator(doc,
		// a missing token is the server's to answer (401 unauthenticated, checked as a response)
		config.WithoutSecurityValidation(),
		config.WithFormatAssertions())
	if len(errs) > 0 {
		tb.Fatalf("the served OpenAPI document does not build: %v", errs)
	}
	if ok, derrs := v.ValidateDocument(); !ok {
		tb.Fatalf("the served OpenAPI document is not valid OpenAPI 3.1:\n%s", formatValidation(derrs))
	}
	c := &openAPIChecker{v: v, routes: http.NewServeMux()}
	for _, pattern := range documentPatterns(spec) {
		c.routes.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
	}
	if openAPICheckers.m == nil {
		openAPICheckers.m = map[[32]byte]*openAPIChecker{}
	}
	openAPICheckers.m[sum] = c
	return c
}

// documentPatterns lists the document's operations as mux patterns ("POST /api/v1/payments").
func documentPatterns(spec []byte) []string {
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		return nil
	}
	m, errs := doc.BuildV3Model()
	if errs != nil || m.Model.Paths == nil {
		return nil
	}
	var out []string
	for path, item := range m.Model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	return out
}

// routeOf names the document's operation r meets, or says that none does.
func (c *openAPIChecker) routeOf(r *http.Request) string {
	if _, pattern := c.routes.Handler(r); pattern != "" {
		return pattern
	}
	return r.Method + " " + r.URL.Path + " (no operation of the document)"
}

// reportToHeader names the test (registered with reportTo) that an exchange's drift fails,
// for requests sent where the environment's own test may not fail (inside a fuzz target).
const reportToHeader = "X-Test-Report-To"

// openAPIGuard is the API wrapped so that every exchange is validated against the document;
// drift fails the test with the route, the status and the schema path. The answer is held
// until it is checked, so the failure is reported before the test reads the answer.
type openAPIGuard struct {
	api http.Handler
	c   *openAPIChecker
	tb  testing.TB

	mu sync.Mutex
	to map[string]testing.TB
	n  int
}

func checked(tb testing.TB, api http.Handler) *openAPIGuard {
	tb.Helper()
	return &openAPIGuard{api: api, c: checkerFor(tb, api), tb: tb, to: map[string]testing.TB{}}
}

// reportTo returns the header that makes an exchange's drift fail t rather than the test
// that started the environment.
func (g *openAPIGuard) reportTo(t testing.TB) hdr {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	id := strconv.Itoa(g.n)
	g.to[id] = t
	t.Cleanup(func() {
		g.mu.Lock()
		delete(g.to, id)
		g.mu.Unlock()
	})
	return hdr{reportToHeader, id}
}

func (g *openAPIGuard) reporter(r *http.Request) testing.TB {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t, ok := g.to[r.Header.Get(reportToHeader)]; ok {
		return t
	}
	return g.tb
}

func (g *openAPIGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	api, c, tb := g.api, g.c, g.reporter(r)
	r.Header.Del(reportToHeader)
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		// A WebSocket handshake turns into a stream of frames, which the document describes in
		// words: it goes straight through (a held 101 would never reach the client).
		api.ServeHTTP(w, r)
		return
	}
	{
		checkRequest := r.Header.Get(invalidOnPurposeHeader) == ""
		r.Header.Del(invalidOnPurposeHeader)
		var reqBody []byte
		if r.Body != nil && r.Body != http.NoBody {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			reqBody = b
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		// the validator reads its own copy of the request
		vr := r.Clone(r.Context())
		vr.Body = io.NopCloser(bytes.NewReader(reqBody))

		hw := &heldWriter{w: w, header: http.Header{}}
		api.ServeHTTP(hw, r)
		if hw.hijacked {
			return
		}
		defer hw.release()

		var problems []*vErrors.ValidationError
		if checkRequest {
			if ok, errs := c.v.ValidateHttpRequestSync(vr); !ok {
				problems = append(problems, errs...)
			}
		}
		if !hw.streamed && r.Context().Err() == nil { // a client that left reads no answer
			vr.Body = io.NopCloser(bytes.NewReader(reqBody))
			resp := &http.Response{StatusCode: hw.status, Header: hw.header,
				Body: io.NopCloser(bytes.NewReader(hw.body.Bytes())), Request: vr}
			if ok, errs := c.v.ValidateHttpResponse(vr, resp); !ok {
				problems = append(problems, errs...)
			}
		}
		if len(problems) > 0 {
			side := "request and response"
			if !checkRequest {
				side = "response (request opted out as invalid on purpose)"
			}
			tb.Errorf("OpenAPI drift: %s → %d (%s checked): the document and the server disagree:\n%s\nanswer: %s",
				c.routeOf(r), hw.status, side, formatValidation(problems), truncate(hw.body.Bytes(), 600))
		}
	}
}

// formatValidation writes the validator's findings one per line, with their schema paths.
func formatValidation(errs []*vErrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  - %s: %s", e.ValidationType, e.Message)
		if e.Reason != "" && e.Reason != e.Message {
			fmt.Fprintf(&b, " (%s)", e.Reason)
		}
		if e.SpecPath != "" {
			fmt.Fprintf(&b, " [document %s]", e.SpecPath)
		}
		b.WriteByte('\n')
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "      at %s: %s [schema %s]\n", cmpOr(f.FieldPath, "$"), f.Reason, f.KeywordLocation)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func truncate(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// heldWriter holds an answer until it is checked; a handler that flushes (a stream) or
// hijacks the connection gets it at once, and its body is not checked.
type heldWriter struct {
	w        http.ResponseWriter
	header   http.Header
	status   int
	body     bytes.Buffer
	wrote    bool
	released bool // what the handler writes now goes straight through
	streamed bool // released early by a Flush: the body is not checked
	hijacked bool
}

func (h *heldWriter) Header() http.Header {
	if h.released {
		return h.w.Header()
	}
	return h.header
}

func (h *heldWriter) WriteHeader(status int) {
	if h.wrote {
		return
	}
	h.wrote, h.status = true, status
	if h.released {
		h.w.WriteHeader(status)
	}
}

func (h *heldWriter) Write(p []byte) (int, error) {
	if !h.wrote {
		h.WriteHeader(http.StatusOK)
	}
	if h.released {
		return h.w.Write(p)
	}
	return h.body.Write(p)
}

// Flush turns the held answer into a stream.
func (h *heldWriter) Flush() {
	if !h.released {
		h.release()
		h.streamed = true
	}
	_ = http.NewResponseController(h.w).Flush()
}

func (h *heldWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.hijacked = true
	return http.NewResponseController(h.w).Hijack()
}

// release writes the held answer through.
func (h *heldWriter) release() {
	if h.released {
		return
	}
	if !h.wrote {
		h.status, h.wrote = http.StatusOK, true
	}
	dst := h.w.Header()
	for k, v := range h.header {
		dst[k] = v
	}
	h.w.WriteHeader(h.status)
	_, _ = h.w.Write(h.body.Bytes())
	h.released = true
}
