package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dompet/dompet/internal/front"
)

// The API reference (/api/docs) is rendered on the server from the OpenAPI document the API
// serves, so that the page and the document are one: operations grouped by tag, each with
// its method and path, who may call it, parameters, request and answer schemas, problem
// codes and examples. The chrome is in the reader's language; the operation texts stay as
// the document has them.

// apiDoc is the part of an OpenAPI 3.1 document the page shows.
type apiDoc struct {
	Info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description"`
	} `json:"info"`
	Servers []struct {
		URL         string `json:"url"`
		Description string `json:"description"`
	} `json:"servers"`
	Paths      map[string]map[string]apiOp `json:"paths"`
	Components struct {
		Schemas         map[string]json.RawMessage `json:"schemas"`
		SecuritySchemes map[string]struct {
			Description string `json:"description"`
		} `json:"securitySchemes"`
	} `json:"components"`
}

type apiOp struct {
	OperationID string                `json:"operationId"`
	Summary     string                `json:"summary"`
	Description string                `json:"description"`
	Tags        []string              `json:"tags"`
	Security    []map[string][]string `json:"security"`
	Parameters  []struct {
		Name        string          `json:"name"`
		In          string          `json:"in"`
		Required    bool            `json:"required"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]apiMedia `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Description string              `json:"description"`
		Content     map[string]apiMedia `json:"content"`
	} `json:"responses"`
}

type apiMedia struct {
	Schema  json.RawMessage `json:"schema"`
	Example json.RawMessage `json:"example"`
}

// The page's view of the document.
type (
	docsPage struct {
		Lang, Title, Version, Description string
		L                                 map[string]string // chrome labels
		Servers                           []string
		Tags                              []docsTag
		Schemas                           []docsSchema
	}
	docsTag struct {
		Name string
		Ops  []docsOp
	}
	docsOp struct {
		ID, Method, Path, Summary, Description, Auth string
		Params                                       []docsParam
		Request                                      []docsBody
		Responses                                    []docsResponse
	}
	docsParam struct {
		Name, In, Type, Description string
		Required                    bool
	}
	docsBody struct {
		ContentType, Schema, Example string
	}
	docsResponse struct {
		Status, Description string
		Bodies              []docsBody
		Problem             bool
	}
	docsSchema struct {
		Name, Description string
		Fields            []docsParam
	}
)

var docsLabels = map[front.Locale]map[string]string{
	front.EN: {"title": "API reference", "intro": "Generated from the OpenAPI document", "servers": "Servers",
		"operations": "Operations", "schemas": "Schemas", "auth": "Authentication", "none": "none",
		"params": "Parameters", "name": "Name", "in": "In", "type": "Type", "required": "Required",
		"description": "Description", "request": "Request body", "responses": "Responses",
		"example": "Example", "schema": "Schema", "yes": "yes", "no": "no", "errors": "Problem codes",
		"contents": "Contents", "fields": "Fields"},
	front.ZH: {"title": "API 参考", "intro": "由 OpenAPI 文档生成", "servers": "服务器",
		"operations": "接口", "schemas": "数据结构", "auth": "身份验证", "none": "无需",
		"params": "参数", "name": "名称", "in": "位置", "type": "类型", "required": "必填",
		"description": "说明", "request": "请求体", "responses": "响应",
		"example": "示例", "schema": "结构", "yes": "是", "no": "否", "errors": "错误代码",
		"contents": "目录", "fields": "字段"},
}

// buildDocsPage turns the document into the page's view; it fails on a document that does
// not parse, so a broken document fails at start-up rather than on the page.
func buildDocsPage(spec []byte) (map[front.Locale]*docsPage, error) {
	var d apiDoc
	if err := json.Unmarshal(spec, &d); err != nil {
		return nil, fmt.Errorf("web: api docs: %w", err)
	}
	base := docsPage{Title: d.Info.Title, Version: d.Info.Version, Description: d.Info.Description}
	for _, s := range d.Servers {
		base.Servers = append(base.Servers, strings.TrimSpace(s.URL+" "+s.Description))
	}
	tags := map[string][]docsOp{}
	for path, ops := range d.Paths {
		for method, op := range ops {
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			tags[tag] = append(tags[tag], viewOp(method, path, op, d))
		}
	}
	for name, ops := range tags {
		sort.Slice(ops, func(i, j int) bool {
			if ops[i].Path != ops[j].Path {
				return ops[i].Path < ops[j].Path
			}
			return ops[i].Method < ops[j].Method
		})
		base.Tags = append(base.Tags, docsTag{Name: name, Ops: ops})
	}
	sort.Slice(base.Tags, func(i, j int) bool { return base.Tags[i].Name < base.Tags[j].Name })
	names := make([]string, 0, len(d.Components.Schemas))
	for n := range d.Components.Schemas {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		base.Schemas = append(base.Schemas, viewSchema(n, d.Components.Schemas[n]))
	}
	out := map[front.Locale]*docsPage{}
	for l, labels := range docsLabels {
		p := base
		p.Lang, p.L = l.String(), labels
		out[l] = &p
	}
	return out, nil
}

func viewOp(method, path string, op apiOp, d apiDoc) docsOp {
	v := docsOp{ID: op.OperationID, Method: strings.ToUpper(method), Path: path, Summary: op.Summary, Description: op.Description}
	for _, s := range op.Security {
		for name := range s {
			v.Auth = strings.TrimSpace(name + ": " + d.Components.SecuritySchemes[name].Description)
		}
	}
	for _, p := range op.Parameters {
		v.Params = append(v.Params, docsParam{Name: p.Name, In: p.In, Required: p.Required,
			Description: p.Description, Type: schemaType(p.Schema)})
	}
	if op.RequestBody != nil {
		v.Request = bodies(op.RequestBody.Content)
	}
	statuses := make([]string, 0, len(op.Responses))
	for st := range op.Responses {
		statuses = append(statuses, st)
	}
	slices.Sort(statuses)
	for _, st := range statuses {
		r := op.Responses[st]
		n, _ := strconv.Atoi(st)
		v.Responses = append(v.Responses, docsResponse{Status: st, Description: r.Description,
			Bodies: bodies(r.Content), Problem: n >= 400})
	}
	return v
}

func bodies(content map[string]apiMedia) []docsBody {
	types := make([]string, 0, len(content))
	for ct := range content {
		types = append(types, ct)
	}
	slices.Sort(types)
	var out []docsBody
	for _, ct := range types {
		m := content[ct]
		b := docsBody{ContentType: ct, Schema: schemaType(m.Schema)}
		if len(m.Example) > 0 {
			b.Example = indent(m.Example)
		}
		out = append(out, b)
	}
	return out
}

// schemaType writes a schema in one line: a component's name, a type with its enum, an
// array of something, an inline object's members.
func schemaType(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s map[string]any
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return describe(s)
}

func describe(s map[string]any) string {
	if ref, ok := s["$ref"].(string); ok {
		return strings.TrimPrefix(ref, "#/components/schemas/")
	}
	if all, ok := s["allOf"].([]any); ok {
		var parts []string
		for _, a := range all {
			if m, ok := a.(map[string]any); ok {
				if p, ok := m["properties"].(map[string]any); ok && m["$ref"] == nil && m["type"] == nil {
					for name, sub := range p {
						if sm, ok := sub.(map[string]any); ok {
							parts = append(parts, name+": "+describe(sm))
						}
					}
					continue
				}
				parts = append(parts, describe(m))
			}
		}
		return strings.Join(parts, ", ")
	}
	if alts, ok := s["anyOf"].([]any); ok {
		var parts []string
		for _, a := range alts {
			if m, ok := a.(map[string]any); ok {
				parts = append(parts, describe(m))
			}
		}
		return strings.Join(parts, " | ")
	}
	t := fmt.Sprint(s["type"])
	if ts, ok := s["type"].([]any); ok {
		var parts []string
		for _, x := range ts {
			parts = append(parts, fmt.Sprint(x))
		}
		t = strings.Join(parts, " | ")
	}
	switch {
	case s["type"] == nil:
		t = "any"
	case t == "array":
		if items, ok := s["items"].(map[string]any); ok {
			t = "array of " + describe(items)
		}
	case t == "object":
		if p, ok := s["properties"].(map[string]any); ok {
			names := make([]string, 0, len(p))
			for n := range p {
				names = append(names, n)
			}
			slices.Sort(names)
			t = "object {" + strings.Join(names, ", ") + "}"
		}
	}
	if f, ok := s["format"].(string); ok {
		t += " (" + f + ")"
	}
	if ct, ok := s["contentMediaType"].(string); ok {
		t += " (" + ct + ")"
	}
	if e, ok := s["enum"].([]any); ok {
		var vals []string
		for _, x := range e {
			vals = append(vals, fmt.Sprint(x))
		}
		t += ": " + strings.Join(vals, " | ")
	}
	if p, ok := s["pattern"].(string); ok {
		t += " /" + p + "/"
	}
	return t
}

func viewSchema(name string, raw json.RawMessage) docsSchema {
	var s map[string]any
	_ = json.Unmarshal(raw, &s)
	v := docsSchema{Name: name}
	v.Description, _ = s["description"].(string)
	req := map[string]bool{}
	if r, ok := s["required"].([]any); ok {
		for _, x := range r {
			req[fmt.Sprint(x)] = true
		}
	}
	props, _ := s["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		p, _ := props[n].(map[string]any)
		desc, _ := p["description"].(string)
		v.Fields = append(v.Fields, docsParam{Name: n, Type: describe(p), Required: req[n], Description: desc})
	}
	if len(props) == 0 {
		v.Description = strings.TrimSpace(v.Description + " " + describe(s))
	}
	return v
}

func indent(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return string(raw)
	}
	return string(b)
}

// APIDocs is the route of the API reference page, /api/docs, rendered from spec (the API's
// OpenAPI document, as GET /api/openapi.json serves it). Its stylesheet is /static/apidocs.css.
func APIDocs(spec []byte) (front.Route, error) {
	pages, err := buildDocsPage(spec)
	if err != nil {
		return front.Route{}, err
	}
	return front.Route{Pattern: "GET /api/docs", Name: "page:api-docs", Page: true, Handler: apiDocsHandler(pages)}, nil
}

// apiDocsHandler serves the page in the reader's language.
func apiDocsHandler(pages map[front.Locale]*docsPage) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := front.LocaleOf(r)
		p := pages[l]
		if p == nil {
			p = pages[front.EN]
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Language", l.String())
		h.Set("Cache-Control", "no-cache")
		if err := apiDocsTemplate.Execute(w, p); err != nil {
			http.Error(w, "render", http.StatusInternalServerError)
		}
	})
}

var apiDocsTemplate = template.Must(template.New("apidocs").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · {{.L.title}}</title>
<link rel="stylesheet" href="/static/apidocs.css"></head>
<body>
<header><h1>{{.Title}} <small>{{.Version}}</small></h1>
<p class="sub">{{.L.title}} · {{.L.intro}} <a href="/api/openapi.json">/api/openapi.json</a></p>
<p>{{.Description}}</p>
{{if .Servers}}<p><strong>{{.L.servers}}:</strong> {{range .Servers}}<code>{{.}}</code> {{end}}</p>{{end}}
</header>
<nav><h2>{{.L.contents}}</h2><ul>
{{range .Tags}}<li><a href="#tag-{{.Name}}">{{.Name}}</a><ul>{{range .Ops}}<li><a href="#{{.ID}}"><span class="m m-{{.Method}}">{{.Method}}</span> {{.Path}}</a></li>{{end}}</ul></li>{{end}}
<li><a href="#schemas">{{.L.schemas}}</a></li></ul></nav>
<main>
{{$L := .L}}
{{range .Tags}}<section id="tag-{{.Name}}"><h2>{{.Name}}</h2>
{{range .Ops}}<article class="op" id="{{.ID}}">
<h3><span class="m m-{{.Method}}">{{.Method}}</span> <code class="path">{{.Path}}</code></h3>
<p class="summary">{{.Summary}}</p>
{{if .Description}}<p>{{.Description}}</p>{{end}}
<p><strong>{{$L.auth}}:</strong> {{if .Auth}}{{.Auth}}{{else}}{{$L.none}}{{end}}</p>
{{if .Params}}<h4>{{$L.params}}</h4><div class="scroll"><table><thead><tr><th>{{$L.name}}</th><th>{{$L.in}}</th><th>{{$L.type}}</th><th>{{$L.required}}</th><th>{{$L.description}}</th></tr></thead><tbody>
{{range .Params}}<tr><td><code>{{.Name}}</code></td><td>{{.In}}</td><td>{{.Type}}</td><td>{{if .Required}}{{$L.yes}}{{else}}{{$L.no}}{{end}}</td><td>{{.Description}}</td></tr>{{end}}
</tbody></table></div>{{end}}
{{if .Request}}<h4>{{$L.request}}</h4>{{range .Request}}<p><code>{{.ContentType}}</code> · {{$L.schema}}: {{template "schema" .Schema}}</p>
{{if .Example}}<details><summary>{{$L.example}}</summary><pre>{{.Example}}</pre></details>{{end}}{{end}}{{end}}
<h4>{{$L.responses}}</h4><ul class="responses">
{{range .Responses}}<li class="{{if .Problem}}problem{{else}}ok{{end}}"><strong>{{.Status}}</strong> {{.Description}}
{{range .Bodies}}<br><code>{{.ContentType}}</code> · {{template "schema" .Schema}}
{{if .Example}}<details><summary>{{$L.example}}</summary><pre>{{.Example}}</pre></details>{{end}}{{end}}</li>{{end}}
</ul>
</article>{{end}}
</section>{{end}}
<section id="schemas"><h2>{{.L.schemas}}</h2>
{{range .Schemas}}<article class="schema" id="schema-{{.Name}}"><h3>{{.Name}}</h3>{{if .Description}}<p>{{.Description}}</p>{{end}}
{{if .Fields}}<div class="scroll"><table><thead><tr><th>{{$L.name}}</th><th>{{$L.type}}</th><th>{{$L.required}}</th><th>{{$L.description}}</th></tr></thead><tbody>
{{range .Fields}}<tr><td><code>{{.Name}}</code></td><td>{{template "schema" .Type}}</td><td>{{if .Required}}{{$L.yes}}{{else}}{{$L.no}}{{end}}</td><td>{{.Description}}</td></tr>{{end}}
</tbody></table></div>{{end}}</article>{{end}}
</section>
</main>
</body></html>
{{define "schema"}}<span class="type">{{.}}</span>{{end}}
`))
