package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/money"
)

// TestOpenAPICoversEveryRoute fails when a pattern registered with the mux is missing from
// the served document, or is there without a summary, responses or its path parameters.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s := newTestServer(t)
	rec := s.do(t, "GET", "/api/openapi.json", "")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	for _, name := range []string{"Money", "Problem", "FieldError"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("schema %s missing", name)
		}
	}
	if len(s.patterns) < 4 {
		t.Fatalf("only %d patterns registered", len(s.patterns))
	}
	ids := map[string]bool{}
	for _, pattern := range s.patterns {
		method, path, _ := strings.Cut(pattern, " ")
		op := doc.Paths[openAPIPath(path)][strings.ToLower(method)]
		if op == nil {
			t.Errorf("%s is served but not in the OpenAPI document", pattern)
			continue
		}
		if op["summary"] == "" || op["responses"] == nil {
			t.Errorf("%s: no summary or responses", pattern)
		}
		id, _ := op["operationId"].(string)
		if ids[id] {
			t.Errorf("%s: duplicate operationId %s", pattern, id)
		}
		ids[id] = true
		params, _ := op["parameters"].([]any)
		for _, want := range pathParams(path) {
			if !slices.ContainsFunc(params, func(p any) bool {
				m := p.(map[string]any)
				return m["name"] == want && m["in"] == "path"
			}) {
				t.Errorf("%s: path parameter %s undeclared", pattern, want)
			}
		}
	}
	// And the other way: nothing documented that is not served.
	n := 0
	for _, ops := range doc.Paths {
		n += len(ops)
	}
	if n != len(s.patterns) {
		t.Errorf("document has %d operations, mux %d patterns", n, len(s.patterns))
	}
}

type docTx struct {
	ID        string         `json:"id"`
	Status    string         `json:"status" enum:"pending,succeeded,failed,reversed"`
	Amount    money.Amount   `json:"amount"`
	Fee       money.Amount   `json:"fee" doc:"what the owner paid"`
	Failure   *string        `json:"failure_code,omitempty"`
	Cursor    *string        `json:"next"`
	CreatedAt time.Time      `json:"created_at"`
	Refunds   []docTx        `json:"refunds"`
	Meta      map[string]int `json:"meta,omitempty"`
	secret    string
	Skipped   string `json:"-"`
}

func TestOpenAPISchemasFromTypes(t *testing.T) {
	rt := route{pattern: "POST /api/v1/things/{id}", auth: authUser, handle: returns(nil), doc: operation{
		Summary: "Make a thing", Idempotent: true, Request: docTx{}, Status: http.StatusCreated,
		Response: newPage([]docTx{}, ""), Errors: []string{"insufficient_balance"},
		Query: []param{{Name: "kind", Enum: []string{"a", "b"}}},
	}}
	_ = docTx{}.secret
	b, err := buildOpenAPI("t", []route{rt})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	get := func(path ...string) any {
		var v any = doc
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %s", path, p)
			}
			v = m[p]
		}
		return v
	}
	op := get("paths", "/api/v1/things/{id}", "post").(map[string]any)
	if op["operationId"] != "post_api_v1_things_id" || op["tags"].([]any)[0] != "things" {
		t.Errorf("id/tags %v %v", op["operationId"], op["tags"])
	}
	if get("paths", "/api/v1/things/{id}", "post", "security").([]any)[0].(map[string]any)["user"] == nil {
		t.Error("security missing")
	}
	resp := op["responses"].(map[string]any)
	for _, st := range []string{"201", "400", "401", "404", "409", "413", "422"} {
		if resp[st] == nil {
			t.Errorf("response %s missing: %v", st, resp)
		}
	}
	if d := resp["400"].(map[string]any)["description"].(string); !strings.Contains(d, "idempotency_key_required") || !strings.Contains(d, "invalid_request") {
		t.Errorf("400 description %q", d)
	}
	if ref := get("paths", "/api/v1/things/{id}", "post", "requestBody", "content", "application/json", "schema", "$ref"); ref != "#/components/schemas/DocTx" {
		t.Errorf("request ref %v", ref)
	}
	if ref := get("paths", "/api/v1/things/{id}", "post", "responses", "201", "content", "application/json", "schema", "$ref"); ref != "#/components/schemas/PageDocTx" {
		t.Errorf("response ref %v", ref)
	}
	tx := get("components", "schemas", "DocTx").(map[string]any)
	props := tx["properties"].(map[string]any)
	req := tx["required"].([]any)
	if props["amount"].(map[string]any)["$ref"] != "#/components/schemas/Money" {
		t.Errorf("amount %v", props["amount"])
	}
	if props["created_at"].(map[string]any)["format"] != "date-time" {
		t.Errorf("created_at %v", props["created_at"])
	}
	if props["status"].(map[string]any)["enum"] == nil || props["fee"].(map[string]any)["description"] == nil {
		t.Errorf("enum/doc tags lost: %v %v", props["status"], props["fee"])
	}
	if props["refunds"].(map[string]any)["items"].(map[string]any)["$ref"] != "#/components/schemas/DocTx" {
		t.Errorf("recursive refunds %v", props["refunds"])
	}
	if _, ok := props["secret"]; ok {
		t.Error("unexported field documented")
	}
	if _, ok := props["Skipped"]; ok {
		t.Error(`json:"-" field documented`)
	}
	if types, _ := props["next"].(map[string]any)["type"].([]any); len(types) != 2 || types[1] != "null" {
		t.Errorf("nullable pointer %v", props["next"])
	}
	if slices.Contains(req, "failure_code") || slices.Contains(req, "meta") || !slices.Contains(req, "id") || !slices.Contains(req, "next") {
		t.Errorf("required %v", req)
	}
	page := get("components", "schemas", "PageDocTx", "properties").(map[string]any)
	if page["items"] == nil || page["next_cursor"] == nil {
		t.Errorf("page %v", page)
	}
}
