package httpapi

import (
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/money"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/wallet"
)

// schemaGen turns Go types into JSON Schemas (OpenAPI 3.1 dialect), collecting named structs
// under components/schemas.
type schemaGen struct {
	enums map[reflect.Type]map[string][]string // closed sets of members, by struct and json name
	defs  map[string]any
	names map[reflect.Type]string
	taken map[string]reflect.Type
}

func newSchemaGen() *schemaGen {
	g := &schemaGen{enums: fieldEnums(), defs: map[string]any{}, names: map[reflect.Type]string{}, taken: map[string]reflect.Type{}}
	g.define(reflect.TypeFor[money.Amount](), "Money", moneySchema)
	g.define(reflect.TypeFor[fault.FieldError](), "FieldError", fieldErrorSchema)
	g.defs["Problem"] = problemSchema()
	g.taken["Problem"] = nil
	return g
}

func (g *schemaGen) define(t reflect.Type, name string, schema map[string]any) {
	g.names[t], g.taken[name], g.defs[name] = name, t, schema
}

// fieldEnums are the closed sets of request and response members, taken from the lists the
// server checks them with, so that the document cannot offer a value the server refuses
// (nor miss one it sends).
func fieldEnums() map[reflect.Type]map[string][]string {
	return map[reflect.Type]map[string][]string{
		reflect.TypeFor[wallet.Source]():        {"type": wallet.SourceTypes},
		reflect.TypeFor[wallet.Decision]():      {"decision": wallet.Decisions},
		reflect.TypeFor[wallet.Transaction]():   {"kind": wallet.Kinds, "status": wallet.Statuses},
		reflect.TypeFor[wallet.RefundRequest](): {"status": wallet.RequestStatuses},
		reflect.TypeFor[wallet.QuoteInput]():    {"purpose": wallet.Purposes},
		reflect.TypeFor[wallet.Quote]():         {"purpose": wallet.Purposes},
		reflect.TypeFor[wallet.Attachment]():    {"content_type": wallet.AttachmentTypes()},
		reflect.TypeFor[registerRequest]():      {"locale": {identity.LocaleEN, identity.LocaleZhCN}},
		// the login takes any method it knows; totp is the authenticator app's own code
		reflect.TypeFor[loginRequest]():       {"otp_method": {identity.MethodSMS, identity.MethodEmail, identity.MethodTOTP}},
		reflect.TypeFor[recoveryRequest]():    {"channel": {notify.SMS, notify.Email}},
		reflect.TypeFor[staff.Staff]():        {"role": staff.Roles, "status": {staff.StatusActive, staff.StatusLocked, staff.StatusDisabled}},
		reflect.TypeFor[updateStaffRequest](): {"role": staff.Roles},
		reflect.TypeFor[audit.Entry]():        {"actor_type": {audit.ActorUser, audit.ActorStaff, audit.ActorSystem}},
	}
}

var moneySchema = map[string]any{
	"type":        "object",
	"description": "An amount in the currency's minor unit: IDR 1,500.00 is {\"amount\":150000,\"currency\":\"IDR\"}.",
	"required":    []string{"amount", "currency"},
	"properties": map[string]any{
		"amount":   map[string]any{"type": "integer", "format": "int64"},
		"currency": map[string]any{"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code"},
	},
	"additionalProperties": false,
}

var fieldErrorSchema = map[string]any{
	"type":     "object",
	"required": []string{"field", "message"},
	"properties": map[string]any{
		"field":   map[string]any{"type": "string"},
		"message": map[string]any{"type": "string"},
	},
}

func problemSchema() map[string]any {
	all := make([]string, 0, len(codes))
	for c := range codes {
		all = append(all, c)
	}
	slices.Sort(all)
	return map[string]any{
		"type":        "object",
		"description": "RFC 9457 problem. Extra members depend on the code (attempts_remaining, locked_until, methods, retry_after…).",
		"required":    []string{"type", "title", "status", "detail", "code"},
		"properties": map[string]any{
			"type":   map[string]any{"type": "string", "format": "uri"},
			"title":  map[string]any{"type": "string"},
			"status": map[string]any{"type": "integer"},
			"detail": map[string]any{"type": "string"},
			"code":   map[string]any{"type": "string", "enum": all},
			"errors": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/FieldError"}},
		},
		"additionalProperties": true,
	}
}

// problemExample is an example problem of code, in English, as the server writes it.
func problemExample(code string) map[string]any {
	c := codes[code]
	p := map[string]any{"type": problemTypeBase + code, "title": c.title[localeEN], "status": c.status,
		"detail": c.detail[localeEN], "code": code}
	if code == "invalid_request" {
		p["detail"] = "amount: must be a positive integer in minor units"
		p["errors"] = []map[string]string{{"field": "amount", "message": "must be a positive integer in minor units"}}
	}
	return p
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	rawType           = reflect.TypeFor[json.RawMessage]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// schemaOf returns the schema of t: a $ref for named structs, inline otherwise.
func (g *schemaGen) schemaOf(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if name, ok := g.names[t]; ok {
		return ref(name)
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{}
	case t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType):
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return map[string]any{"type": "integer", "format": "int32"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schemaOf(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		name := g.nameFor(t)
		g.names[t], g.taken[name] = name, t
		g.defs[name] = map[string]any{} // placeholder: recursive types find their $ref
		g.defs[name] = g.object(t)
		return ref(name)
	}
	return map[string]any{} // interfaces, any: anything
}

func ref(name string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// object describes a struct's exported fields as encoding/json sees them.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	required := []string{}
	g.fields(t, props, &required)
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		slices.Sort(required)
		o["required"] = required
	}
	return o
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props, required) // embedded: its fields are promoted
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		optional := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		s := g.schemaOf(f.Type)
		if strings.Contains(opts, "string") {
			s = map[string]any{"type": "string"}
		}
		if f.Type.Kind() == reflect.Pointer && !optional {
			s = nullable(s) // a nil pointer is written as null
		}
		enum := g.enums[t][name]
		if tag := f.Tag.Get("enum"); tag != "" && enum == nil {
			enum = strings.Split(tag, ",")
		}
		if d := f.Tag.Get("doc"); d != "" || enum != nil {
			s = withKeywords(s, d, enum)
		}
		props[name] = s
		if !optional {
			*required = append(*required, name)
		}
	}
}

func nullable(s map[string]any) map[string]any {
	if t, ok := s["type"].(string); ok {
		c := cloneMap(s)
		c["type"] = []string{t, "null"}
		return c
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}

// withKeywords adds a description and an enum; a $ref can't carry siblings reliably, so it
// is wrapped in allOf.
func withKeywords(s map[string]any, doc string, enum []string) map[string]any {
	if _, isRef := s["$ref"]; isRef {
		s = map[string]any{"allOf": []any{s}}
	} else {
		s = cloneMap(s)
	}
	if doc != "" {
		s["description"] = doc
	}
	if enum != nil {
		s["enum"] = enum
	}
	return s
}

func cloneMap(m map[string]any) map[string]any {
	c := make(map[string]any, len(m)+2)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// nameFor picks a component name: the Go type name ("Transaction"), generic arguments folded
// in ("PageTransaction"), prefixed by the package when two packages use the same name.
func (g *schemaGen) nameFor(t reflect.Type) string {
	name := t.Name()
	if base, args, ok := strings.Cut(name, "["); ok {
		name = upperFirst(base)
		for a := range strings.SplitSeq(strings.TrimSuffix(args, "]"), ",") {
			a = strings.TrimLeft(a, "*[]")
			if i := strings.LastIndexByte(a, '.'); i >= 0 {
				a = a[i+1:]
			}
			name += upperFirst(a)
		}
	}
	name = upperFirst(name)
	if other, dup := g.taken[name]; dup && other != t {
		pkg := t.PkgPath()
		name = upperFirst(pkg[strings.LastIndexByte(pkg, '/')+1:]) + name
	}
	return name
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
