package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// operation documents one route in the OpenAPI document. It sits next to its handler, as a
// package-level value named after it (topupDoc for s.topup). Bodies are described by example
// values of their Go types: the schema is read from the types' json tags, plus `doc:"…"`
// (description) tags on fields. A member's allowed values come from the list the server
// checks it with (fieldEnums in openapi_schema.go), or else from an `enum:"a,b"` tag.
// Every exchange of the e2e tests is validated against the served document
// (e2e_openapi_test.go), so a document that lies fails the tests.
type operation struct {
	Summary     string  // required: one line
	Description string  // optional, Markdown
	Tag         string  // group; "" takes the path's resource (/api/v1/<tag>/…)
	Query       []param // query parameters; path parameters are read from the pattern
	Idempotent  bool    // needs an Idempotency-Key header (money-moving POSTs)
	// IdempotencyOptional takes an Idempotency-Key header when the client sends one (a
	// replay answers the first result); without one the request simply runs.
	IdempotencyOptional bool
	Request             any    // a value of the JSON body's type; nil for no body
	Status              int    // success status; 0 means 200
	Response            any    // a value of the success body's type; nil for no body (204)
	ContentType         string // of the success body, when it is not application/json
	// ContentTypes lists the success body's types when it may have several (a download).
	ContentTypes []string
	// Upload names the file part of a multipart/form-data request body (an upload).
	Upload string
	// RequestExample and ResponseExample are example bodies shown in the document and on
	// /api/docs; a test validates them against the schemas.
	RequestExample, ResponseExample any
	// MaxBody is the largest request body the front lets through (413 too_large above it);
	// 0 takes the front's default of 1 MB, right for JSON.
	MaxBody int64
	// Errors lists the problem codes the operation may answer besides those implied:
	// invalid_request and too_large with a Request or an Upload, invalid_request with query
	// parameters, idempotency_key_required and idempotency_conflict when Idempotent,
	// unauthenticated with auth, not_found with path parameters.
	Errors []string
}

// param is a query parameter.
type param struct {
	Name        string
	Description string
	Type        string // "string" (default), "integer" or "boolean"
	Required    bool
	Enum        []string
}

// buildOpenAPI renders the OpenAPI 3.1 document of routes. It fails on a route without a
// summary or naming an unknown error code, so a careless route fails New and every test.
func buildOpenAPI(version string, routes []route) ([]byte, error) {
	g := newSchemaGen()
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		op, err := g.operation(rt, strings.ToLower(method), path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rt.pattern, err)
		}
		docPath := openAPIPath(path)
		if paths[docPath] == nil {
			paths[docPath] = map[string]any{}
		}
		paths[docPath][strings.ToLower(method)] = op
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Dompet API",
			"version": version,
			"description": "Wallet, merchant and support-desk API of Dompet. Money is " +
				"`{amount, currency}` in the currency's minor unit. Errors are RFC 9457 " +
				"`application/problem+json` with a stable `code`; `Accept-Language: zh-CN` or `en` " +
				"selects the language of their title and detail.",
		},
		"servers": []map[string]any{{"url": "/",
			"description": "The Dompet server that serves this document (paths are absolute: /api/v1/…)."}},
		"paths": paths,
		"components": map[string]any{
			"schemas":         g.defs,
			"securitySchemes": securitySchemes,
		},
	}
	return json.MarshalIndent(doc, "", " ")
}

// openAPIPath turns a mux path into an OpenAPI one: "{$}" goes, "{rest...}" becomes "{rest}".
func openAPIPath(p string) string {
	p = strings.TrimSuffix(p, "{$}")
	return strings.ReplaceAll(p, "...}", "}")
}

// pathParams lists the wildcards of a mux path.
func pathParams(p string) []string {
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") && seg != "{$}" {
			out = append(out, strings.TrimSuffix(strings.Trim(seg, "{}"), "..."))
		}
	}
	return out
}

var securitySchemes = map[string]any{
	"user": map[string]any{"type": "http", "scheme": "bearer",
		"description": "A wallet user's session token from POST /api/v1/auth/login."},
	"staff": map[string]any{"type": "http", "scheme": "bearer",
		"description": "A staff token from POST /api/v1/agent/auth/login."},
	"merchant": map[string]any{"type": "http", "scheme": "bearer",
		"description": "A merchant API key (dompet merchant create)."},
}

var securityOf = map[access]string{authUser: "user", authChat: "user", authStaff: "staff", authMerchant: "merchant"}

func (g *schemaGen) operation(rt route, method, path string) (map[string]any, error) {
	d := rt.doc
	if d.Summary == "" {
		return nil, fmt.Errorf("operation has no Summary")
	}
	op := map[string]any{
		"operationId": operationID(method, path),
		"summary":     d.Summary,
		"tags":        []string{tagOf(d.Tag, path)},
	}
	if d.Description != "" {
		op["description"] = d.Description
	}
	if name, ok := securityOf[rt.auth]; ok {
		op["security"] = []map[string][]string{{name: {}}}
	}

	var params []map[string]any
	for _, p := range pathParams(path) {
		params = append(params, map[string]any{"name": p, "in": "path", "required": true,
			"schema": map[string]any{"type": "string"}})
	}
	for _, q := range d.Query {
		s := map[string]any{"type": cmpOr(q.Type, "string")}
		if len(q.Enum) > 0 {
			s["enum"] = q.Enum
		}
		p := map[string]any{"name": q.Name, "in": "query", "required": q.Required, "schema": s}
		if q.Description != "" {
			p["description"] = q.Description
		}
		params = append(params, p)
	}
	if d.Idempotent || d.IdempotencyOptional {
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": d.Idempotent,
			"description": "Same key and body replay the first answer; same key, other body: 409 idempotency_conflict.",
			"schema":      map[string]any{"type": "string", "minLength": 1, "maxLength": maxIdempotencyKey}})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if d.Request != nil {
		body := map[string]any{"schema": g.schemaOf(reflect.TypeOf(d.Request))}
		if d.RequestExample != nil {
			body["example"] = d.RequestExample
		}
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": body}}
	}
	if d.Upload != "" {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"multipart/form-data": map[string]any{"schema": map[string]any{
				"type":     "object",
				"required": []string{d.Upload},
				"properties": map[string]any{d.Upload: map[string]any{
					"type": "string", "contentMediaType": "application/octet-stream",
					"description": "the file, with its file name; other parts are ignored"}},
			}}}}
	}

	responses := map[string]any{}
	status := cmpOr(d.Status, http.StatusOK)
	if http.StatusText(status) == "" || status >= 400 {
		return nil, fmt.Errorf("operation has a bad success Status %d", status)
	}
	ok := map[string]any{"description": http.StatusText(status)}
	if d.Response != nil {
		types := d.ContentTypes
		if len(types) == 0 {
			types = []string{cmpOr(d.ContentType, "application/json")}
		}
		content := map[string]any{}
		for _, ct := range types {
			media := map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": ct}}
			if ct == "application/json" {
				media = map[string]any{"schema": g.schemaOf(reflect.TypeOf(d.Response))}
				if d.ResponseExample != nil {
					media["example"] = d.ResponseExample
				}
			}
			content[ct] = media
		}
		ok["content"] = content
	}
	responses[strconv.Itoa(status)] = ok

	errs, err := impliedErrors(rt, path)
	if err != nil {
		return nil, err
	}
	byStatus := map[int][]string{}
	for _, c := range errs {
		byStatus[codes[c].status] = append(byStatus[codes[c].status], c)
	}
	for st, cs := range byStatus {
		responses[strconv.Itoa(st)] = map[string]any{
			"description": "Problem: `" + strings.Join(cs, "`, `") + "`",
			"content": map[string]any{"application/problem+json": map[string]any{
				// the codes of this answer, and only those
				"schema": map[string]any{"allOf": []any{
					map[string]any{"$ref": "#/components/schemas/Problem"},
					map[string]any{"properties": map[string]any{"code": map[string]any{"enum": cs}}},
				}},
				"example": problemExample(cs[0])}},
		}
	}
	op["responses"] = responses
	return op, nil
}

// impliedErrors is the operation's Errors plus the codes its shape implies, checked against
// the code table.
func impliedErrors(rt route, path string) ([]string, error) {
	d := rt.doc
	errs := slices.Clone(d.Errors)
	if d.Request != nil || d.Upload != "" {
		errs = append(errs, "invalid_request", "too_large")
	}
	if len(d.Query) > 0 {
		errs = append(errs, "invalid_request")
	}
	if d.Idempotent {
		errs = append(errs, "idempotency_key_required", "idempotency_conflict")
	}
	if d.IdempotencyOptional {
		errs = append(errs, "idempotency_conflict")
	}
	if rt.auth != authNone {
		errs = append(errs, "unauthenticated")
	}
	if len(pathParams(path)) > 0 {
		errs = append(errs, "not_found")
	}
	for _, c := range errs {
		if _, ok := codes[c]; !ok {
			return nil, fmt.Errorf("unknown error code %q (add it to codes.go)", c)
		}
	}
	slices.Sort(errs)
	return slices.Compact(errs), nil
}

// operationID is "post_api_v1_topups" for "POST /api/v1/topups": unique per route.
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(method)
	for seg := range strings.SplitSeq(openAPIPath(path), "/") {
		seg = strings.NewReplacer("{", "", "}", "", "-", "_", ".", "_").Replace(seg)
		if seg != "" {
			b.WriteByte('_')
			b.WriteString(seg)
		}
	}
	return b.String()
}

// tagOf groups operations by resource: /api/v1/wallet/… → "wallet".
func tagOf(tag, path string) string {
	if tag != "" {
		return tag
	}
	rest := strings.TrimPrefix(path, "/api/v1/")
	first, _, _ := strings.Cut(rest, "/")
	if first == "" || strings.HasPrefix(first, "{") {
		return "other"
	}
	return first
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
