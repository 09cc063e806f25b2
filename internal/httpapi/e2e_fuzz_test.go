package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/identity"
)

// Fuzz tests of the request bodies of the public POST endpoints. With plain `go test` they
// run their seed corpus; `go test -fuzz=FuzzLogin ./internal/httpapi/` explores further.
// Whatever the body, the answer is a JSON object (problem+json for an error) with a status
// below 500, and the ledger still verifies at the end.

// checkAnswer fails t unless r is a well-formed answer of the API to any input.
func checkAnswer(t *testing.T, r reply) {
	t.Helper()
	if r.status >= 500 {
		t.Fatalf("%s: a server error for client input", r)
	}
	var obj map[string]any
	if err := json.Unmarshal(r.body, &obj); err != nil || obj == nil {
		t.Fatalf("%s: the body is not a JSON object", r)
	}
	ct := r.header.Get("Content-Type")
	if r.status < 400 {
		if !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s: Content-Type %q", r, ct)
		}
		return
	}
	code, _ := obj["code"].(string)
	if _, msg := problemError(r, r.status, code); msg != "" {
		t.Fatalf("%s: %s", r, msg)
	}
	if _, known := codes[code]; !known {
		t.Fatalf("%s: code %q is not in the table of codes", r, code)
	}
}

// fuzzPost fuzzes the body of POST path, sent with token (if any) and a fresh
// Idempotency-Key each time.
func fuzzPost(f *testing.F, path, token string, e *e2eEnv, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	for _, s := range []string{"", "{}", "[]", "null", "0", `"x"`, "{", `{"amount":"1"}`, `{"amount":1e400}`,
		`{"amount":-1}`, `{"amount":9223372036854775807}`, `{"unknown":1}`, "\x00\xff", `{"a":` + strings.Repeat("[", 5000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		// any body, on purpose: only the answer must be as documented
		r, err := e.send("POST", path, token, body, hdr{"Idempotency-Key", e.key()}, invalidOnPurpose, e.openapi.reportTo(t))
		if err != nil {
			t.Fatal(err)
		}
		checkAnswer(t, r)
	})
}

// fuzzUser is a funded user and a merchant to pay, for the money endpoints.
func fuzzUser(f *testing.F) (*e2eEnv, *e2eUser, string) {
	e := newE2E(f)
	u := e.newUser(f, userOpts{})
	e.topUp(f, u, 1_000_000_00, "IDR")
	m := e.newMerchant(f, "Fuzz Mart", "")
	return e, u, m.ID
}

// noLoginLimits lifts the per-address login budget: every fuzz input comes from 127.0.0.1,
// and inputs answered 429 explore nothing.
func noLoginLimits(o *app.Options) {
	lots := identity.RateLimit{Every: time.Microsecond, Burst: 1 << 20}
	o.Identity.RateLimits.LoginPerIP = lots
	o.Identity.RateLimits.LoginPerLogin = lots
}

func FuzzRegister(f *testing.F) {
	e := newE2E(f)
	fuzzPost(f, "/api/v1/auth/register", "", e,
		`{"phone":"+6281234500001","email":"fuzz1@example.com","password":"Kopi-Susu-42-Gula","display_name":"Fuzz"}`,
		`{"phone":"+6281234500002","email":"fuzz2@example.com","password":"Kopi-Susu-42-Gula","display_name":"Fuzz","locale":"zh-CN"}`,
		`{"phone":"+6281234500003","email":"fuzz3@example.com","password":"short","display_name":"Fuzz"}`,
		`{"phone":"+6281234500004","email":"fuzz4@example.com","password":"Kopi-Susu-42-Gula","display_name":"Fuzz","locale":"xx"}`,
		`{"phone":"0812","email":"@","password":"","display_name":""}`,
		`{"phone":"+6281234500005","email":"fuzz5@example.com","password":"`+strings.Repeat("Aa1!", 300)+`","display_name":"Fuzz"}`,
		`{"phone":"+6281234500006","email":"fuzz6@example.com","password":"Kopi-Susu-42-Gula","display_name":"\u0000\u202e"}`)
}

func FuzzLogin(f *testing.F) {
	e := newE2E(f, noLoginLimits)
	u := e.newUser(f, userOpts{})
	fuzzPost(f, "/api/v1/auth/login", "", e,
		fmt.Sprintf(`{"login":%q,"password":%q}`, u.Email, e2ePassword),
		fmt.Sprintf(`{"login":%q,"password":%q,"device_id":"d1"}`, u.Phone, e2ePassword),
		fmt.Sprintf(`{"login":%q,"password":"wrong"}`, u.Email),
		fmt.Sprintf(`{"login":%q,"password":%q,"otp":"123456"}`, u.Email, e2ePassword),
		`{"login":"","password":""}`,
		`{"login":"`+strings.Repeat("a", 5000)+`","password":"x"}`,
		`{"login":1,"password":true}`)
}

func FuzzPayment(f *testing.F) {
	e, u, mid := fuzzUser(f)
	fuzzPost(f, "/api/v1/payments", u.Token, e,
		fmt.Sprintf(`{"merchant_id":%q,"amount":1000,"currency":"IDR","order_ref":"o-1"}`, mid),
		fmt.Sprintf(`{"merchant_id":%q,"amount":100000000000,"currency":"IDR","order_ref":"o-2"}`, mid),
		fmt.Sprintf(`{"merchant_id":%q,"amount":1000,"currency":"XXX"}`, mid),
		fmt.Sprintf(`{"merchant_id":%q,"amount":0,"currency":"IDR"}`, mid),
		fmt.Sprintf(`{"merchant_id":%q,"amount":1000,"currency":"USD","pin":"123456"}`, mid),
		`{"merchant_id":"mch_nope","amount":1000,"currency":"IDR"}`,
		fmt.Sprintf(`{"merchant_id":%q,"amount":1000,"currency":"IDR","order_ref":"%s"}`, mid, strings.Repeat("x", 500)))
}

func FuzzTransfer(f *testing.F) {
	e, u, _ := fuzzUser(f)
	to := e.newUser(f, userOpts{})
	fuzzPost(f, "/api/v1/transfers", u.Token, e,
		fmt.Sprintf(`{"to":%q,"amount":1000,"currency":"IDR","note":"hi"}`, to.Phone),
		fmt.Sprintf(`{"to":%q,"amount":1000,"currency":"IDR"}`, to.Email),
		fmt.Sprintf(`{"to":%q,"amount":1000,"currency":"IDR"}`, to.ID),
		fmt.Sprintf(`{"to":%q,"amount":1000,"currency":"IDR"}`, u.Phone),
		fmt.Sprintf(`{"to":%q,"amount":900000000000,"currency":"IDR"}`, to.Phone),
		`{"to":"+6200000000000","amount":1000,"currency":"IDR"}`,
		fmt.Sprintf(`{"to":%q,"amount":1000,"currency":"IDR","note":"%s"}`, to.Phone, strings.Repeat("é", 200)))
}

func FuzzWithdrawal(f *testing.F) {
	e, u, _ := fuzzUser(f)
	fuzzPost(f, "/api/v1/withdrawals", u.Token, e,
		`{"amount":100000,"currency":"IDR","bank_account":{"bank_code":"BCA","account_number":"1234567890","holder_name":"Fuzz"}}`,
		`{"amount":100000,"currency":"IDR","bank_account":{"bank_code":"BCA","account_number":"1234560000","holder_name":"Fuzz"}}`,
		`{"amount":100000,"currency":"IDR","bank_account":{"bank_code":"B","account_number":"12ab","holder_name":""}}`,
		`{"amount":100000,"currency":"IDR","bank_account":null}`,
		`{"amount":100000,"currency":"IDR","bank_account":{"bank_code":"BCA","account_number":"12345678901234567890123456789012345","holder_name":"x"}}`,
		`{"amount":999999999999,"currency":"IDR","bank_account":{"bank_code":"BCA","account_number":"1234567890","holder_name":"Fuzz"}}`)
}

func FuzzFXQuote(f *testing.F) {
	e, u, _ := fuzzUser(f)
	fuzzPost(f, "/api/v1/fx/quotes", u.Token, e,
		`{"from_currency":"IDR","to_currency":"USD","amount":1625000}`,
		`{"from_currency":"IDR","to_currency":"SGD","amount":1000000,"purpose":"remittance"}`,
		`{"from_currency":"IDR","to_currency":"IDR","amount":1000}`,
		`{"from_currency":"IDR","to_currency":"USD","amount":1}`,
		`{"from_currency":"IDR","to_currency":"JPY","amount":1000}`,
		`{"from_currency":"USD","to_currency":"IDR","amount":9223372036854775807}`,
		`{"from_currency":"IDR","to_currency":"USD","amount":1000,"purpose":"gift"}`)
}
