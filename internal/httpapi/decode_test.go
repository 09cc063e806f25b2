package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/money"
)

type decodeTarget struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Source   struct {
		Type      string `json:"type"`
		Reference string `json:"reference"`
	} `json:"source"`
	Tags  []string          `json:"tags,omitempty"`
	Total *money.Amount     `json:"total,omitempty"`
	Meta  map[string]string `json:"meta,omitempty"`
	Items []struct {
		N int `json:"n"`
	} `json:"items,omitempty"`
}

func TestDecode(t *testing.T) {
	var got decodeTarget
	s := newTestServer(t, testRoute("POST /t/decode", func(w http.ResponseWriter, r *http.Request) error {
		got = decodeTarget{}
		raw, err := decodeRaw(r, &got)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{"hash": requestHash(raw)})
	}))
	const jsonCT = "application/json"
	tests := []struct {
		name   string
		ct     string
		body   string
		status int
		field  string // the field errors[0] must name
	}{
		{"ok", jsonCT, `{"amount":150000,"currency":"IDR","source":{"type":"card","reference":"r1"}}`, 200, ""},
		{"ok with charset and whitespace", "application/json; charset=utf-8", " {\"amount\":1}\n\n", 200, ""},
		{"ok +json", "application/merge-patch+json", `{"amount":1}`, 200, ""},
		{"no content type", "", `{"amount":1}`, 400, "Content-Type"},
		{"form content type", "application/x-www-form-urlencoded", `amount=1`, 400, "Content-Type"},
		{"text/json is not JSON", "text/plain", `{"amount":1}`, 400, "Content-Type"},
		{"empty body", jsonCT, ``, 400, "body"},
		{"blank body", jsonCT, "  \n", 400, "body"},
		{"syntax error", jsonCT, `{"amount" 1}`, 400, "body"},
		{"truncated", jsonCT, `{"amount":1`, 400, "body"},
		{"unknown field", jsonCT, `{"amount":1,"amuont":2}`, 400, "amuont"},
		{"unknown nested field", jsonCT, `{"source":{"kind":"card"}}`, 400, "source.kind"},
		{"wrong type", jsonCT, `{"amount":"150000"}`, 400, "amount"},
		{"fraction in integer", jsonCT, `{"amount":1.5}`, 400, "amount"},
		{"overflow", jsonCT, `{"amount":99999999999999999999}`, 400, "amount"},
		{"nested wrong type", jsonCT, `{"source":{"type":5}}`, 400, "source.type"},
		{"money wrong type", jsonCT, `{"total":{"amount":"x","currency":"IDR"}}`, 400, "total.amount"},
		{"array instead of object", jsonCT, `[1,2]`, 400, "body"},
		{"two values", jsonCT, `{"amount":1}{"amount":2}`, 400, "body"},
		{"trailing garbage", jsonCT, `{"amount":1} x`, 400, "body"},
		{"too large", jsonCT, `{"currency":"` + strings.Repeat("a", maxBody) + `"}`, 413, ""},
		// Strictness: what encoding/json alone would accept.
		{"duplicate", jsonCT, `{"amount":-5,"currency":"IDR","amount":1}`, 400, "amount"},
		{"duplicate escaped", jsonCT, `{"amount":1,"\u0061mount":2}`, 400, "amount"},
		{"duplicate nested", jsonCT, `{"source":{"type":"card","type":"bank_transfer"}}`, 400, "source.type"},
		{"duplicate in a map", jsonCT, `{"meta":{"a":"1","b":"2","a":"3"}}`, 400, "meta.a"},
		{"duplicate in an array element", jsonCT, `{"items":[{"n":1},{"n":2,"n":3}]}`, 400, "items.n"},
		{"same name in two objects is fine", jsonCT, `{"items":[{"n":1},{"n":2}],"meta":{"n":"x"}}`, 200, ""},
		{"wrong case", jsonCT, `{"AMOUNT":1}`, 400, "AMOUNT"},
		{"wrong case beside the right one", jsonCT, `{"amount":1,"Amount":2}`, 400, "Amount"},
		{"wrong case nested", jsonCT, `{"source":{"Type":"card"}}`, 400, "source.Type"},
		{"wrong case by Unicode folding", jsonCT, `{"currency":"IDR","ſource":{}}`, 400, "ſource"},
		{"invalid UTF-8", jsonCT, "{\"currency\":\"ID\xffR\"}", 400, "currency"},
		{"invalid UTF-8 nested", jsonCT, "{\"source\":{\"reference\":\"\xc3\x28\"}}", 400, "source.reference"},
		{"invalid UTF-8 in an array", jsonCT, "{\"tags\":[\"ok\",\"\xed\xa0\x80\"]}", 400, "tags"},
		{"invalid UTF-8 in a name", jsonCT, "{\"source\":{\"ty\xffpe\":\"card\"}}", 400, "source"},
		{"overlong UTF-8", jsonCT, "{\"currency\":\"\xc0\xaf\"}", 400, "currency"},
		{"lone high surrogate", jsonCT, `{"currency":"\ud800"}`, 400, "currency"},
		{"lone low surrogate", jsonCT, `{"currency":"\udc00x"}`, 400, "currency"},
		{"high surrogate then not a low one", jsonCT, `{"currency":"\ud800\u0041"}`, 400, "currency"},
		{"NUL escape", jsonCT, `{"currency":"I\u0000DR"}`, 400, "currency"},
		{"surrogate pair is fine", jsonCT, `{"currency":"\ud83d\ude00","source":{"reference":"好的 ✓"}}`, 200, ""},
		{"U+FFFD itself is fine", jsonCT, `{"currency":"\ufffd�"}`, 200, ""},
		{"invalid UTF-8 at the top", jsonCT, "\"\xff\"", 400, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.ct != "" {
				hdr = []string{"Content-Type", tt.ct}
			}
			rec := s.do(t, "POST", "/t/decode", tt.body, hdr...)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == 200 {
				if tt.name == "ok" && (got.Amount != 150000 || got.Source.Type != "card") {
					t.Fatalf("decoded %+v", got)
				}
				return
			}
			p := problemOf(t, rec)
			if tt.status == 413 {
				if p["code"] != "too_large" {
					t.Fatalf("code %v", p["code"])
				}
				return
			}
			errs, _ := p["errors"].([]any)
			if p["code"] != "invalid_request" || len(errs) != 1 {
				t.Fatalf("problem %v", p)
			}
			if f := errs[0].(map[string]any)["field"]; f != tt.field {
				t.Fatalf("field %v, want %s (%v)", f, tt.field, errs[0])
			}
		})
	}
}

func TestDecodeTooLargeWithoutContentLength(t *testing.T) {
	// A chunked body has no Content-Length: the limit must hold while reading.
	r, _ := http.NewRequest("POST", "/", strings.NewReader(`{"currency":"`+strings.Repeat("a", 2048)+`"}`))
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = -1
	var v decodeTarget
	_, err := decodeLimit(r, &v, 1024)
	if err == nil || !strings.HasPrefix(err.Error(), "too_large") {
		t.Fatalf("err = %v", err)
	}
}

func TestRequestHash(t *testing.T) {
	// SHA-256("abc"), the FIPS 180-2 test vector.
	if got := requestHash([]byte("abc")); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("requestHash(abc) = %s", got)
	}
	if requestHash([]byte(`{"amount":1}`)) == requestHash([]byte(`{"amount":2}`)) {
		t.Fatal("different bodies hash the same")
	}
}

func TestIdempotencyKey(t *testing.T) {
	tests := []struct {
		name, key, code string
	}{
		{"missing", "", "idempotency_key_required"},
		{"ok", "f3b1c2a0-topup-1", ""},
		{"max length", strings.Repeat("k", 255), ""},
		{"too long", strings.Repeat("k", 256), "invalid_request"},
		{"control character", "abc\x01", "invalid_request"},
		{"two headers", "k1\nk2", "invalid_request"},
		{"two equal headers", "k1\nk1", "invalid_request"},
	}
	s := newTestServer(t, testRoute("POST /t/idem", func(w http.ResponseWriter, r *http.Request) error {
		k, err := idempotencyKey(r)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, map[string]string{"key": k})
	}))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/t/idem", nil)
			if tt.key != "" {
				for k := range strings.SplitSeq(tt.key, "\n") {
					req.Header.Add("Idempotency-Key", k)
				}
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if tt.code == "" {
				if rec.Code != 201 {
					t.Fatalf("%d %s", rec.Code, rec.Body)
				}
				return
			}
			if rec.Code != 400 || problemOf(t, rec)["code"] != tt.code {
				t.Fatalf("%d %s, want 400 %s", rec.Code, rec.Body, tt.code)
			}
		})
	}
}

func TestPageParams(t *testing.T) {
	tests := []struct {
		query string
		limit int
		ok    bool
	}{
		{"", 50, true}, {"limit=200&cursor=abc", 200, true}, {"limit=1", 1, true},
		{"limit=0", 0, false}, {"limit=201", 0, false}, {"limit=x", 0, false},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest("GET", "/x?"+tt.query, nil)
		limit, cursor, err := pageParams(r)
		if (err == nil) != tt.ok || (tt.ok && limit != tt.limit) {
			t.Errorf("%q: limit %d err %v", tt.query, limit, err)
		}
		if tt.query == "limit=200&cursor=abc" && cursor != "abc" {
			t.Errorf("cursor %q", cursor)
		}
	}
	if p := newPage[int](nil, ""); p.Items == nil || p.NextCursor != nil {
		t.Errorf("empty page %+v", p)
	}
}

// TestDecodeStrictExplains: the strict refusals are explained in both locales.
func TestDecodeStrictExplains(t *testing.T) {
	s := newTestServer(t, testRoute("POST /t/decode", func(w http.ResponseWriter, r *http.Request) error {
		var v decodeTarget
		if err := decode(r, &v); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, v)
	}))
	tests := []struct{ body, lang, want string }{
		{`{"amount":-5,"amount":1}`, "zh-CN", "amount 重复出现"},
		{`{"amount":-5,"amount":1}`, "en", "amount: appears more than once"},
		{`{"AMOUNT":1}`, "zh-CN", `应写作 "amount"`},
		{`{"AMOUNT":1}`, "en", `write "amount"`},
		{"{\"currency\":\"\xff\"}", "zh-CN", "currency 必须是有效的 UTF-8 文本"},
		{"{\"currency\":\"\xff\"}", "en", "currency: must be valid UTF-8 text"},
	}
	for _, tt := range tests {
		rec := s.do(t, "POST", "/t/decode", tt.body, "Content-Type", "application/json", "Accept-Language", tt.lang)
		p := problemOf(t, rec)
		if rec.Code != 400 || p["code"] != "invalid_request" || !strings.Contains(p["detail"].(string), tt.want) {
			t.Errorf("%s %s: %d %v, want detail with %q", tt.lang, tt.body, rec.Code, p, tt.want)
		}
	}
}
