package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// jobj is a JSON object whose members keep their order, so that a test can corrupt its
// text exactly where it means to.
type jobj []jmember

type jmember struct {
	name  string
	value any // jobj, or anything else encoded with encoding/json
}

func (o jobj) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:", m.name)
		if sub, ok := m.value.(jobj); ok {
			b.WriteString(sub.String())
			continue
		}
		raw, _ := json.Marshal(m.value)
		b.Write(raw)
	}
	b.WriteByte('}')
	return b.String()
}

// without is o less the member at path ("a" or "a.b").
func (o jobj) without(path string) jobj {
	head, rest, nested := strings.Cut(path, ".")
	var out jobj
	for _, m := range o {
		switch {
		case m.name != head:
			out = append(out, m)
		case nested:
			out = append(out, jmember{m.name, m.value.(jobj).without(rest)})
		}
	}
	return out
}

// strictRoute is a money endpoint with a body it accepts, for TestE2EStrictInput to corrupt.
type strictRoute struct {
	name     string
	path     string // the served path
	pattern  string // its path in the OpenAPI document, when it differs
	token    string
	body     jobj
	required []string // API.md's required members (pin aside: see TestE2EStrictInput), a.b when nested
	text     string   // a string member to corrupt with invalid UTF-8
	needsKey bool     // the route reads Idempotency-Key, so two of them are refused
	status   int      // the answer to body as it is
}

// TestE2EStrictInput sends every money endpoint the inputs issue 6 found accepted: a member
// given twice, a name in another case, invalid UTF-8, a required member left out, two
// Idempotency-Key headers. Each answers 400 invalid_request naming the member and moves
// nothing: no ledger transfer, no transaction, quote or refund request, no balance changed,
// no decision stored. The OpenAPI document requires what API.md requires. Last, each body
// as it is goes through, so that each 400 came from the one thing changed.
//
// API.md lists pin among the members of payments, transfers, withdrawals, conversions and
// remittances, and also says how its absence is answered (403 pin_required, or 422
// invalid_pin when the account has a PIN): it is no 400, and the OpenAPI document shows it
// as optional.
func TestE2EStrictInput(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	m := e.newMerchant(t, "Toko Teliti", "")
	e.fundMerchant(t, m.ID, 100_000_00)
	u := e.newUser(t, userOpts{})
	other := e.newUser(t, userOpts{})
	e.topUp(t, u, 1_000_000_00, "IDR")
	p := e.pay(t, u, m.ID, 100_000_00)
	p2 := e.pay(t, u, m.ID, 10_000_00)
	idOf := func(r reply) string {
		t.Helper()
		id, _ := object(t, r)["id"].(string)
		if id == "" {
			t.Fatalf("%s: no id", r)
		}
		return id
	}
	quote := func(purpose string) string {
		body := map[string]any{"from_currency": "IDR", "to_currency": "USD", "amount": 16_250_00}
		if purpose != "" {
			body = map[string]any{"from_currency": "IDR", "to_currency": "SGD", "amount": 10_000_00, "purpose": purpose}
		}
		return idOf(want(t, e.do(t, "POST", "/api/v1/fx/quotes", u.Token, body), http.StatusCreated))
	}
	conversion, remittance := quote(""), quote("remittance")
	rr := idOf(want(t, e.do(t, "POST", "/api/v1/refund-requests", u.Token,
		map[string]any{"transaction_id": p.ID, "amount": 1_000_00, "reason": "one cup was cracked"}), http.StatusCreated))

	routes := []strictRoute{
		{name: "top-up", path: "/api/v1/topups", token: u.Token, needsKey: true, status: 201,
			body:     jobj{{"amount", 50_000}, {"currency", "IDR"}, {"source", jobj{{"type", "bank_transfer"}, {"reference", "ref-strict"}}}},
			required: []string{"amount", "currency", "source", "source.type", "source.reference"}, text: "source.reference"},
		{name: "payment", path: "/api/v1/payments", token: u.Token, needsKey: true, status: 201,
			body:     jobj{{"merchant_id", m.ID}, {"amount", 10_000}, {"currency", "IDR"}, {"order_ref", "order-strict"}, {"pin", e2ePIN}},
			required: []string{"merchant_id", "amount", "currency", "order_ref"}, text: "order_ref"},
		{name: "transfer", path: "/api/v1/transfers", token: u.Token, needsKey: true, status: 201,
			body:     jobj{{"to", other.Phone}, {"amount", 10_000}, {"currency", "IDR"}, {"note", "lunch"}, {"pin", e2ePIN}},
			required: []string{"to", "amount", "currency"}, text: "note"},
		{name: "withdrawal", path: "/api/v1/withdrawals", token: u.Token, needsKey: true, status: 201,
			body: jobj{{"amount", 10_000}, {"currency", "IDR"},
				{"bank_account", jobj{{"bank_code", "BCA"}, {"account_number", "1234567890"}, {"holder_name", "Siti Aminah"}}}, {"pin", e2ePIN}},
			required: []string{"amount", "currency", "bank_account", "bank_account.bank_code", "bank_account.account_number", "bank_account.holder_name"},
			text:     "bank_account.holder_name"},
		{name: "FX quote", path: "/api/v1/fx/quotes", token: u.Token, status: 201,
			body:     jobj{{"from_currency", "IDR"}, {"to_currency", "USD"}, {"amount", 16_250_00}},
			required: []string{"from_currency", "to_currency", "amount"}, text: "from_currency"},
		{name: "FX conversion", path: "/api/v1/fx/conversions", token: u.Token, needsKey: true, status: 201,
			body: jobj{{"quote_id", conversion}, {"pin", e2ePIN}}, required: []string{"quote_id"}, text: "quote_id"},
		{name: "remittance", path: "/api/v1/remittances", token: u.Token, needsKey: true, status: 201,
			body: jobj{{"quote_id", remittance},
				{"recipient", jobj{{"name", "Tan Wei Ming"}, {"country", "SG"}, {"bank_code", "DBSSSGSG"}, {"account_number", "0123456789"}}}, {"pin", e2ePIN}},
			required: []string{"quote_id", "recipient", "recipient.name", "recipient.country", "recipient.bank_code", "recipient.account_number"},
			text:     "recipient.name"},
		{name: "refund request", path: "/api/v1/refund-requests", token: u.Token, status: 201,
			body:     jobj{{"transaction_id", p2.ID}, {"amount", 1_000_00}, {"reason", "the order never came"}},
			required: []string{"transaction_id", "amount", "reason"}, text: "reason"},
		{name: "merchant refund", path: "/api/v1/merchant/refunds", token: m.APIKey, needsKey: true, status: 201,
			body:     jobj{{"payment_id", p.ID}, {"amount", 1_000_00}, {"reason", "returned"}},
			required: []string{"payment_id", "amount", "reason"}, text: "reason"},
		{name: "refund decision", path: "/api/v1/merchant/refund-requests/" + rr + "/decision", pattern: "/api/v1/merchant/refund-requests/{id}/decision",
			token: m.APIKey, needsKey: true, status: 200,
			body:     jobj{{"decision", "approve"}, {"reason", "sorry about the cup"}},
			required: []string{"decision", "reason"}, text: "reason"},
	}

	doc := e.openAPI(t)
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			if got := doc.requiredOf(t, cmpOr(rt.pattern, rt.path)); !slices.Equal(got, sorted(rt.required)) {
				t.Errorf("the OpenAPI document requires %v, API.md %v", got, sorted(rt.required))
			}
			for _, c := range strictCases(rt) {
				before := e.moneyState(t)
				r := e.sendStrict(t, rt, c.body, c.keys)
				if msg := strictRefusal(r, c.field); msg != "" {
					t.Errorf("%s: %s", c.name, msg)
				}
				if after := e.moneyState(t); after != before {
					t.Errorf("%s moved something:\nbefore %s\nafter  %s", c.name, before, after)
				}
			}
		})
	}
	// The bodies as they are, once nothing else is compared: a withdrawal or a remittance
	// settles later, in the background.
	for _, rt := range routes {
		want(t, e.sendStrict(t, rt, rt.body.String(), []string{e.key()}), rt.status)
	}
	e.verifyLedger(t)
}

type strictCase struct {
	name  string
	body  string
	keys  []string // Idempotency-Key headers
	field string   // the member the refusal names (a.b when nested); errors under it count too
}

// strictCases are the corruptions of rt's body, each refused.
func strictCases(rt strictRoute) []strictCase {
	body := rt.body.String()
	first := rt.body[0].name
	key := []string{"k-strict-" + first}
	cases := []strictCase{
		// {"amount":-5,…,"amount":1}: a reader of the first member sees another request.
		{"duplicate " + first, `{"` + first + `":` + otherValue(rt.body[0].value) + "," + body[1:], key, first},
		{"wrong-case " + first, strings.Replace(body, `"`+first+`":`, `"`+strings.ToUpper(first)+`":`, 1), key, strings.ToUpper(first)},
	}
	leaf := rt.text[strings.LastIndexByte(rt.text, '.')+1:]
	cases = append(cases, strictCase{"invalid UTF-8 in " + rt.text,
		strings.Replace(body, `"`+leaf+`":"`, `"`+leaf+"\":\"\xff", 1), key, rt.text})
	if parent, _, nested := strings.Cut(rt.text, "."); nested {
		cases = append(cases, strictCase{"duplicate " + rt.text,
			strings.Replace(body, `"`+parent+`":{`, `"`+parent+`":{"`+leaf+`":"other",`, 1), key, rt.text})
	}
	for _, f := range rt.required {
		cases = append(cases, strictCase{"missing " + f, rt.body.without(f).String(), key, f})
	}
	if rt.needsKey {
		cases = append(cases, strictCase{"two Idempotency-Key headers", body, []string{"k-strict-1", "k-strict-2"}, "Idempotency-Key"})
	}
	return cases
}

// otherValue is a value of v's JSON type other than v.
func otherValue(v any) string {
	switch v.(type) {
	case string:
		return `"other"`
	case jobj:
		return `{}`
	}
	return "-5"
}

// sendStrict sends body as it is, with each of keys as an Idempotency-Key header.
func (e *e2eEnv) sendStrict(t *testing.T, rt strictRoute, body string, keys []string) reply {
	t.Helper()
	req, err := http.NewRequest("POST", e.srv.URL+rt.path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+rt.token)
	req.Header.Set(invalidOnPurpose[0], invalidOnPurpose[1]) // corrupted bodies, on purpose
	for _, k := range keys {
		req.Header.Add("Idempotency-Key", k)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{method: "POST", path: rt.path, status: resp.StatusCode, header: resp.Header, body: raw}
}

// strictRefusal says what is wrong with r as the refusal of a corrupted field, or "".
func strictRefusal(r reply, field string) string {
	var p struct {
		Code   string `json:"code"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if r.status != 400 || json.Unmarshal(r.body, &p) != nil || p.Code != "invalid_request" || len(p.Errors) == 0 {
		return fmt.Sprintf("%s, want 400 invalid_request naming %s", r, field)
	}
	for _, fe := range p.Errors {
		if fe.Field != field && !strings.HasPrefix(fe.Field, field+".") {
			return fmt.Sprintf("%s, want errors on %s only", r, field)
		}
	}
	return ""
}

// moneyState renders what a refused request must not change: every ledger balance, and the
// rows of transfers, transactions, quotes, refund requests (with their decisions), webhook
// events and receipts.
func (e *e2eEnv) moneyState(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, table := range []string{"ledger_transfers", "ledger_postings", "wallet_transactions", "wallet_fx_quotes", "wallet_refund_requests", "outbox_messages", "notifications"} {
		var n int
		if err := e.app.DB.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%d ", table, n)
	}
	for _, q := range []string{"SELECT id, balance FROM ledger_accounts ORDER BY id", "SELECT id, status || ':' || decision_reason FROM wallet_refund_requests ORDER BY id"} {
		rows, err := e.app.DB.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, v string
			if err := rows.Scan(&id, &v); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s=%s ", id, v)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// servedDoc is the served OpenAPI document, for reading request schemas.
type servedDoc struct {
	Paths      map[string]map[string]map[string]any `json:"paths"`
	Components struct {
		Schemas map[string]map[string]any `json:"schemas"`
	} `json:"components"`
}

func (e *e2eEnv) openAPI(t *testing.T) servedDoc {
	t.Helper()
	var doc servedDoc
	decodeJSON(t, want(t, e.do(t, "GET", "/api/openapi.json", "", nil), http.StatusOK), &doc)
	return doc
}

// requiredOf lists the members the POST operation at path requires, a.b when nested, sorted.
func (d servedDoc) requiredOf(t *testing.T, path string) []string {
	t.Helper()
	op := d.Paths[path]["post"]
	if op == nil {
		t.Fatalf("no POST %s in the OpenAPI document", path)
	}
	body, _ := op["requestBody"].(map[string]any)
	content, _ := body["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	schema, _ := media["schema"].(map[string]any)
	var out []string
	d.collectRequired(schema, "", &out)
	return sorted(out)
}

func (d servedDoc) collectRequired(s map[string]any, prefix string, out *[]string) {
	if ref, ok := s["$ref"].(string); ok {
		s = d.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
	}
	props, _ := s["properties"].(map[string]any)
	req, _ := s["required"].([]any)
	for _, r := range req {
		name := r.(string)
		*out = append(*out, prefix+name)
		if sub, ok := props[name].(map[string]any); ok {
			d.collectRequired(sub, prefix+name+".", out)
		}
	}
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
