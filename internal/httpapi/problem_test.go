package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
)

// apiCodes is API.md's error table, written out again so a slip in codes.go shows.
var apiCodes = map[string]int{
	"invalid_request": 400, "idempotency_key_required": 400,
	"unauthenticated": 401, "invalid_credentials": 401, "second_factor_required": 401, "invalid_code": 401,
	"forbidden": 403, "pin_locked": 403, "pin_required": 403, "phone_unverified": 403,
	"not_found": 404, "method_not_allowed": 405,
	"idempotency_conflict": 409, "already_exists": 409, "invalid_state": 409,
	"too_large":            413,
	"insufficient_balance": 422, "limit_exceeded": 422, "account_restricted": 422, "risk_review": 422,
	"invalid_pin": 422, "currency_not_supported": 422, "quote_expired": 422, "weak_password": 422,
	"password_reused": 422, "refund_not_allowed": 422, "provider_declined": 422,
	"account_locked": 423, "rate_limited": 429, "internal": 500, "provider_unavailable": 503,
	"unavailable": 503,
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func TestEveryCodeMapsAndIsLocalized(t *testing.T) {
	if len(codes) != len(apiCodes) {
		t.Errorf("codes.go has %d codes, the contract %d", len(codes), len(apiCodes))
	}
	var routes []route
	for code := range apiCodes {
		routes = append(routes, testRoute("GET /test/code/"+code, returns(fault.New(code, "english message for "+code))))
	}
	s := newTestServer(t, routes...)
	for code, status := range apiCodes {
		t.Run(code, func(t *testing.T) {
			en := s.do(t, "GET", "/test/code/"+code, "")
			if en.Code != status {
				t.Fatalf("status %d, want %d", en.Code, status)
			}
			pe := problemOf(t, en)
			if pe["code"] != code || pe["type"] != "https://dompet.dev/problems/"+code {
				t.Fatalf("code/type = %v/%v", pe["code"], pe["type"])
			}
			zh := s.do(t, "GET", "/test/code/"+code, "", "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")
			pz := problemOf(t, zh)
			if pe["title"] == "" || pe["title"] == pz["title"] || !hasHan(pz["title"].(string)) || !hasHan(pz["detail"].(string)) {
				t.Fatalf("titles en %q zh %q, zh detail %q", pe["title"], pz["title"], pz["detail"])
			}
			if zh.Header().Get("Content-Language") != "zh-CN" || en.Header().Get("Content-Language") != "en" {
				t.Fatalf("Content-Language en %q zh %q", en.Header().Get("Content-Language"), zh.Header().Get("Content-Language"))
			}
			wantDetail := "english message for " + code
			if code == "internal" {
				wantDetail = codes["internal"].detail[localeEN] // a 500 never shows its message
			}
			if pe["detail"] != wantDetail {
				t.Fatalf("en detail %q, want %q", pe["detail"], wantDetail)
			}
			if ra := en.Header().Get("Retry-After"); (status == 429 || status == 503) != (ra != "") {
				t.Fatalf("Retry-After %q on %d", ra, status)
			}
		})
	}
}

func TestProblemFieldsAndRetryAfter(t *testing.T) {
	until := time.Date(2026, 11, 3, 10, 30, 0, 0, time.FixedZone("WIB", 7*3600))
	locked := fault.New("account_locked", "locked")
	s := newTestServer(t,
		testRoute("GET /t/attempts", returns(fault.New("invalid_credentials", "wrong").With("attempts_remaining", 3))),
		testRoute("GET /t/locked", returns(locked.With("locked_until", until))),
		testRoute("GET /t/locked-null", returns(locked.With("locked_until", nil))),
		testRoute("GET /t/rate", returns(fault.New("rate_limited", "slow down").With("retry_after", 12))),
		testRoute("GET /t/rate-dur", returns(fault.New("rate_limited", "").With("retry_after", 1500*time.Millisecond))),
		testRoute("GET /t/outage", returns(fmt.Errorf("topup: %w", fault.New("provider_unavailable", "bank down")))),
		testRoute("GET /t/reserved", returns(fault.New("forbidden", "no").With("status", 200, "code", "x", "why", "role"))),
		testRoute("GET /t/fields", returns(func() error {
			var v fault.Validation
			v.Add("amount", fault.MsgPositiveAmount)
			v.Add("currency", fault.MsgRequired)
			return v.Err()
		}())),
	)
	tests := []struct {
		path       string
		status     int
		retryAfter string
		want       map[string]any
		absent     []string
	}{
		{"/t/attempts", 401, "", map[string]any{"attempts_remaining": 3.0}, []string{"errors"}},
		{"/t/locked", 423, "", map[string]any{"locked_until": "2026-11-03T03:30:00Z"}, nil},
		{"/t/locked-null", 423, "", map[string]any{"locked_until": nil}, nil},
		{"/t/rate", 429, "12", map[string]any{"retry_after": 12.0, "detail": "slow down"}, nil},
		{"/t/rate-dur", 429, "2", map[string]any{"retry_after": 2.0}, nil},
		{"/t/outage", 503, "5", map[string]any{"retry_after": 5.0, "code": "provider_unavailable"}, nil},
		{"/t/reserved", 403, "", map[string]any{"status": 403.0, "code": "forbidden", "why": "role"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := s.do(t, "GET", tt.path, "")
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Fatalf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			p := problemOf(t, rec)
			for k, v := range tt.want {
				got, ok := p[k]
				if !ok || got != v {
					t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
				}
			}
			for _, k := range tt.absent {
				if _, ok := p[k]; ok {
					t.Errorf("%s present: %s", k, rec.Body)
				}
			}
		})
	}
	t.Run("validation errors", func(t *testing.T) {
		p := problemOf(t, s.do(t, "GET", "/t/fields", ""))
		errs, _ := p["errors"].([]any)
		if p["code"] != "invalid_request" || len(errs) != 2 {
			t.Fatalf("%v", p)
		}
		first := errs[0].(map[string]any)
		if first["field"] != "amount" || first["message"] != "must be a positive integer in minor units" {
			t.Fatalf("errors[0] = %v", first)
		}
	})
	t.Run("member order", func(t *testing.T) {
		body := s.do(t, "GET", "/t/attempts", "").Body.String()
		if !strings.HasPrefix(body, `{"type":"https://dompet.dev/problems/invalid_credentials","title":`) {
			t.Fatalf("body %s", body)
		}
	})
	t.Run("unauthenticated asks for a bearer token", func(t *testing.T) {
		s := newTestServer(t, testRoute("GET /t/unauth", returns(errUnauthenticated)))
		if h := s.do(t, "GET", "/t/unauth", "").Header().Get("WWW-Authenticate"); h != "Bearer" {
			t.Fatalf("WWW-Authenticate %q", h)
		}
	})
}

func TestUnknownErrorsAre500AndLogged(t *testing.T) {
	secret := errors.New("pq: relation ledger_secret_table does not exist")
	s := newTestServer(t,
		testRoute("GET /t/boom", returns(fmt.Errorf("load wallet: %w", secret))),
		testRoute("GET /t/unmapped", returns(fault.New("no_such_code", "oops"))),
		testRoute("GET /t/missing", returns(fmt.Errorf("get tx: %w", db.ErrNotFound))),
	)
	rec := s.do(t, "GET", "/t/boom", "", "X-Request-Id", "req-abc-123")
	p := problemOf(t, rec)
	if rec.Code != 500 || p["code"] != "internal" || strings.Contains(rec.Body.String(), "ledger_secret_table") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "ledger_secret_table") || !strings.Contains(logs, `"request_id":"req-abc-123"`) {
		t.Fatalf("error not logged with request id: %s", logs)
	}
	if rec := s.do(t, "GET", "/t/unmapped", ""); rec.Code != 500 || problemOf(t, rec)["code"] != "internal" {
		t.Fatalf("unmapped code: %d %s", rec.Code, rec.Body)
	}
	if rec := s.do(t, "GET", "/t/missing", ""); rec.Code != 404 || problemOf(t, rec)["code"] != "not_found" {
		t.Fatalf("db.ErrNotFound: %d %s", rec.Code, rec.Body)
	}
}

// TestLocaleRule: Accept-Language chooses, even against the user's setting; without it (or
// when it names no language Dompet speaks) the setting; without either, en.
func TestLocaleRule(t *testing.T) {
	route := func(setting string) func(w http.ResponseWriter, r *http.Request) error {
		return func(w http.ResponseWriter, r *http.Request) error {
			setLocale(r, setting) // what requireUser does with the user's setting
			var v fault.Validation
			v.Add("amount", fault.MsgPositiveAmount)
			return v.Err()
		}
	}
	s := newTestServer(t, testRoute("GET /t/en-user", route("en")), testRoute("GET /t/zh-user", route("zh-CN")),
		testRoute("GET /t/no-setting", route("")))
	tests := []struct {
		path, header string
		want         locale
	}{
		{"/t/en-user", "zh-CN", localeZH},
		{"/t/zh-user", "en-US", localeEN},
		{"/t/zh-user", "", localeZH},
		{"/t/en-user", "", localeEN},
		{"/t/zh-user", "fr", localeZH},
		{"/t/no-setting", "", localeEN},
		{"/t/no-setting", "zh", localeZH},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.header, func(t *testing.T) {
			var hdr []string
			if tt.header != "" {
				hdr = []string{"Accept-Language", tt.header}
			}
			rec := s.do(t, "GET", tt.path, "", hdr...)
			p := problemOf(t, rec)
			msg := p["errors"].([]any)[0].(map[string]any)["message"]
			wantMsg, wantDetail := "must be a positive integer in minor units", "amount: must be a positive integer in minor units"
			if tt.want == localeZH {
				wantMsg, wantDetail = "必须是以最小货币单位表示的正整数", "amount 必须是以最小货币单位表示的正整数。"
			}
			if p["title"] != codes["invalid_request"].title[tt.want] || p["detail"] != wantDetail || msg != wantMsg ||
				rec.Header().Get("Content-Language") != tt.want.String() {
				t.Fatalf("want %s: %s %v", tt.want, rec.Header().Get("Content-Language"), p)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		header string
		want   locale
	}{
		{"", localeEN},
		{"zh-CN", localeZH},
		{"zh", localeZH},
		{"zh-Hans-CN;q=0.8", localeZH},
		{"en-US,zh-CN;q=0.9", localeEN},
		{"fr-FR,zh-CN;q=0.5,en;q=0.4", localeZH},
		{"fr, de", localeEN},
		{"zh-CN;q=0, en", localeEN},
		{"ZH-cn", localeZH},
		{"zhx", localeEN},
		{"en;q=0.2, zh;q=0.7", localeZH},
		{"*", localeEN},
	}
	for _, tt := range tests {
		if got := negotiate(tt.header); got != tt.want {
			t.Errorf("negotiate(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestProblemDetailFromDomainExplanation(t *testing.T) {
	f := fault.New("insufficient_balance", "too low").Explained(map[string]string{"en": "Needs IDR 1,500.00.", "zh-CN": "需要 IDR 1,500.00。"})
	for l, want := range map[locale]string{localeEN: "Needs IDR 1,500.00.", localeZH: "需要 IDR 1,500.00。"} {
		_, body := problemBody(f, l)
		var got struct{ Detail string }
		if err := json.Unmarshal(body, &got); err != nil || got.Detail != want {
			t.Errorf("%s: detail %q, want %q (%v)", l, got.Detail, want, err)
		}
	}
}
