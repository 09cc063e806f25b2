package httpapi

// Names before money moves (recipient lookup, banks, inquiry, saved bank accounts and
// favourites), card data kept masked, and the small things of issue 7 item 9.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/wallet"
)

func TestE2ERecipientLookup(t *testing.T) {
	e := newE2E(t)
	a := e.newUser(t, userOpts{})
	b := e.newUser(t, userOpts{})
	for _, to := range []string{b.Phone, b.Email, strings.ToUpper(b.Email), b.ID} {
		var got wallet.RecipientName
		decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/recipients/lookup?to="+url.QueryEscape(to), a.Token, nil), http.StatusOK), &got)
		if got.ID != b.ID || got.DisplayName != wallet.MaskName(b.Name) || got.DisplayName == b.Name {
			t.Errorf("lookup %q = %+v, want id %s and %q masked", to, got, b.ID, b.Name)
		}
	}
	// Unknown: 404 not_found, in words that say no user has that phone or email.
	r := e.do(t, "GET", "/api/v1/recipients/lookup?to=%2B6289999999999", a.Token, nil)
	p := wantProblem(t, r, 404, "not_found")
	if d, _ := p["detail"].(string); !strings.Contains(d, "phone") || !strings.Contains(d, "user") {
		t.Errorf("en detail %q does not say no user has that phone", d)
	}
	zh := e.newUser(t, userOpts{locale: "zh-CN"})
	r = e.do(t, "GET", "/api/v1/recipients/lookup?to=nobody%40example.com", zh.Token, nil, hdr{"Accept-Language", "zh-CN"})
	p = wantProblem(t, r, 404, "not_found")
	if d, _ := p["detail"].(string); !strings.Contains(d, "手机号") || !strings.Contains(d, "用户") {
		t.Errorf("zh-CN detail %q does not say no user has that phone", d)
	}
	wantProblem(t, e.do(t, "GET", "/api/v1/recipients/lookup?to=", a.Token, nil), 400, "invalid_request")
	wantProblem(t, e.do(t, "GET", "/api/v1/recipients/lookup?to="+b.Phone, "", nil), 401, "unauthenticated")
}

// TestE2ERecipientLookupRateLimited: the lookup answers 429 rate_limited with Retry-After
// once a user's budget (20 per 10 minutes by default) is spent, found or not; other users
// from the same address still have theirs until the address's budget (60) is spent.
func TestE2ERecipientLookupRateLimited(t *testing.T) {
	e := newE2E(t)
	a := e.newUser(t, userOpts{})
	b := e.newUser(t, userOpts{})
	lookup := func(u *e2eUser, to string) reply {
		return e.do(t, "GET", "/api/v1/recipients/lookup?to="+url.QueryEscape(to), u.Token, nil)
	}
	// The budget refills one lookup every 30 s: a slow run may get one or two more.
	n := 0
	var r reply
	for ; n < 25; n++ {
		to := b.Phone
		if n%2 == 1 {
			to = fmt.Sprintf("+62811%08d", n) // nobody: counts the same
		}
		if r = lookup(a, to); r.status == http.StatusTooManyRequests {
			break
		}
		if r.status != 200 && r.status != 404 {
			t.Fatalf("lookup %d: %s", n, r)
		}
	}
	if n < 20 || n > 22 {
		t.Fatalf("a user's lookups refused after %d, want after 20", n)
	}
	wantProblem(t, r, 429, "rate_limited")
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("429 without Retry-After: %s", r)
	}
	// Saving a favourite tells as much as a lookup: it spends the same budget.
	wantProblem(t, e.do(t, "POST", "/api/v1/favorites", a.Token, map[string]any{"to": b.Phone}), 429, "rate_limited")
	want(t, lookup(b, a.Phone), http.StatusOK)

	// The address: 60 lookups (and one every 10 s) whoever asks. Users who have each spent
	// fewer than their 20 are refused once it is spent.
	total := n + 1
	for refused := false; !refused; {
		u := e.newUser(t, userOpts{})
		for i := 0; i < 10; i++ {
			r := lookup(u, a.Phone)
			if r.status == http.StatusTooManyRequests {
				wantProblem(t, r, 429, "rate_limited")
				refused = true
				break
			}
			want(t, r, http.StatusOK)
			total++
		}
		if total > 80 {
			t.Fatalf("%d lookups from one address and none refused, want about 60", total)
		}
	}
	if total < 60 {
		t.Errorf("the address was refused after %d lookups, want 60", total)
	}
}

func TestE2EBanksAndInquiry(t *testing.T) {
	e := newE2E(t)
	u := e.newUser(t, userOpts{})
	var banks struct {
		Items []wallet.BankInfo `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/banks", u.Token, nil), http.StatusOK), &banks)
	countries := map[string]bool{}
	for _, b := range banks.Items {
		if b.Code == "" || b.Name == "" || b.Country == "" {
			t.Errorf("incomplete bank %+v", b)
		}
		countries[b.Country] = true
	}
	for _, c := range []string{"ID", "CN", "SG", "US"} {
		if !countries[c] {
			t.Errorf("no bank of %s in %+v", c, banks.Items)
		}
	}
	code := banks.Items[0].Code
	var first, again wallet.Inquiry
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/bank-accounts/inquiry", u.Token, map[string]any{"bank_code": code, "account_number": "1234567890"}), http.StatusOK), &first)
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/bank-accounts/inquiry", u.Token, map[string]any{"bank_code": code, "account_number": "1234567890"}), http.StatusOK), &again)
	if first.HolderName == "" || first != again {
		t.Errorf("inquiry answered %q then %q, want one name", first.HolderName, again.HolderName)
	}
	for _, tt := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"bank_code": "NOPEIDJA", "account_number": "1234567890"}, "bank_code"},
		{map[string]any{"bank_code": "B!", "account_number": "1234567890"}, "bank_code"},
		{map[string]any{"bank_code": code, "account_number": "12ab"}, "account_number"},
		{map[string]any{"bank_code": code, "account_number": strings.Repeat("1", 35)}, "account_number"},
	} {
		p := wantProblem(t, e.do(t, "POST", "/api/v1/bank-accounts/inquiry", u.Token, tt.body), 400, "invalid_request")
		errs, _ := p["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["field"] != tt.field {
			t.Errorf("%v: errors %v, want one on %s", tt.body, p["errors"], tt.field)
		}
	}
}

func TestE2ESavedBankAccountsAndFavorites(t *testing.T) {
	e := newE2E(t)
	a := e.newUser(t, userOpts{})
	b := e.newUser(t, userOpts{})

	var inq wallet.Inquiry
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/bank-accounts/inquiry", a.Token, map[string]any{"bank_code": "BMRIIDJA", "account_number": "1400012345"}), http.StatusOK), &inq)
	var saved wallet.SavedBankAccount
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/bank-accounts", a.Token, map[string]any{"bank_code": "bmriidja", "account_number": "1400012345", "label": "Gaji"}), http.StatusCreated), &saved)
	if saved.ID == "" || saved.HolderName != inq.HolderName || saved.BankCode != "BMRIIDJA" || saved.BankName != "Bank Mandiri" || saved.Label != "Gaji" {
		t.Errorf("saved %+v, want the inquiry's holder %q", saved, inq.HolderName)
	}
	wantProblem(t, e.do(t, "POST", "/api/v1/bank-accounts", a.Token, map[string]any{"bank_code": "BMRIIDJA", "account_number": "1400012345"}), 409, "already_exists")
	wantProblem(t, e.do(t, "POST", "/api/v1/bank-accounts", a.Token, map[string]any{"bank_code": "NOPEIDJA", "account_number": "1400012345"}), 400, "invalid_request")
	wantProblem(t, e.do(t, "POST", "/api/v1/bank-accounts", a.Token, map[string]any{"bank_code": "BMRIIDJA", "account_number": "1400012345", "holder_name": "Typed"}), 400, "invalid_request")
	var list wallet.Page[wallet.SavedBankAccount]
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/bank-accounts", a.Token, nil), http.StatusOK), &list)
	if len(list.Items) != 1 || list.Items[0].ID != saved.ID || list.Items[0].BankName != "Bank Mandiri" {
		t.Errorf("a's bank accounts: %+v", list.Items)
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/bank-accounts", b.Token, nil), http.StatusOK), &list)
	if len(list.Items) != 0 {
		t.Errorf("b sees a's bank accounts: %+v", list.Items)
	}
	wantProblem(t, e.do(t, "DELETE", "/api/v1/bank-accounts/"+saved.ID, b.Token, nil), 404, "not_found")
	want(t, e.do(t, "DELETE", "/api/v1/bank-accounts/"+saved.ID, a.Token, nil), http.StatusNoContent)
	wantProblem(t, e.do(t, "DELETE", "/api/v1/bank-accounts/"+saved.ID, a.Token, nil), 404, "not_found")

	var fav wallet.Favorite
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/favorites", a.Token, map[string]any{"to": b.Email, "label": "Adik"}), http.StatusCreated), &fav)
	if fav.RecipientID != b.ID || fav.DisplayName != wallet.MaskName(b.Name) || fav.Label != "Adik" {
		t.Errorf("favourite %+v, want %s masked", fav, b.ID)
	}
	wantProblem(t, e.do(t, "POST", "/api/v1/favorites", a.Token, map[string]any{"to": b.Phone}), 409, "already_exists")
	wantProblem(t, e.do(t, "POST", "/api/v1/favorites", a.Token, map[string]any{"to": a.Phone}), 400, "invalid_request")
	wantProblem(t, e.do(t, "POST", "/api/v1/favorites", a.Token, map[string]any{"to": "+6289900000000"}), 404, "not_found")
	var favs wallet.Page[wallet.Favorite]
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/favorites", a.Token, nil), http.StatusOK), &favs)
	if len(favs.Items) != 1 || favs.Items[0].ID != fav.ID {
		t.Errorf("a's favourites: %+v", favs.Items)
	}
	wantProblem(t, e.do(t, "DELETE", "/api/v1/favorites/"+fav.ID, b.Token, nil), 404, "not_found")
	want(t, e.do(t, "DELETE", "/api/v1/favorites/"+fav.ID, a.Token, nil), http.StatusNoContent)
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/favorites", a.Token, nil), http.StatusOK), &favs)
	if len(favs.Items) != 0 {
		t.Errorf("deleted favourite still listed: %+v", favs.Items)
	}
}

// newE2ELogged is newE2E with every log line of the app and the API, debug level included,
// captured in logs.
func newE2ELogged(tb testing.TB) (*e2eEnv, *logBuffer) {
	tb.Helper()
	cfg := config.Default()
	cfg.SandboxSettleAfter = e2eSettleAfter
	cfg.WebhookAllowPrivate = true
	d := dbtest.Open(tb)
	logs := &logBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(context.Background(), cfg, log, app.Options{DB: d, Background: true,
		Identity: identity.Options{Argon2: identity.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}}})
	if err != nil {
		tb.Fatalf("app.New: %v", err)
	}
	tb.Cleanup(func() { _ = a.Close() })
	api, err := New(Options{Config: cfg, DB: a.DB, Log: log, Identity: a.Identity, Staff: a.Staff, Audit: a.Audit, Merchants: a.Merchants, Wallet: a.Wallet})
	if err != nil {
		tb.Fatalf("httpapi.New: %v", err)
	}
	srv := httptest.NewServer(api)
	tb.Cleanup(srv.Close)
	e := &e2eEnv{app: a, srv: srv, http: srv.Client(), logs: logs, run: fmt.Sprintf("%x", time.Now().UnixNano())}
	tb.Cleanup(func() { e.verifyLedger(tb) })
	return e, logs
}

// dumpDB renders every row of every table of d as text.
func dumpDB(t testing.TB, d *db.DB) string {
	t.Helper()
	ctx := context.Background()
	q := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if d.Dialect == db.Postgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	rows, err := d.W.QueryContext(ctx, q)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("only %d tables found: %v", len(tables), tables)
	}
	var out strings.Builder
	for _, tb := range tables {
		rows, err := d.W.QueryContext(ctx, `SELECT * FROM "`+tb+`"`)
		if err != nil {
			t.Fatalf("dump %s: %v", tb, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("dump %s: %v", tb, err)
			}
			out.WriteString(tb)
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(&out, " | %v", v)
			}
			out.WriteByte('\n')
		}
		rows.Close()
	}
	return out.String()
}

// TestE2ECardNumberNeverInFull: a top-up whose reference is a card number keeps only its
// last four digits, in every table of the database, every answer and every log line.
func TestE2ECardNumberNeverInFull(t *testing.T) {
	e, logs := newE2ELogged(t)
	u := e.newUser(t, userOpts{})
	const card = "4539 1488 0343 6467" // Luhn-valid
	digits := strings.ReplaceAll(card, " ", "")
	if wallet.MaskReference(card) != "**** 6467" {
		t.Fatalf("test card %s is not taken for a card", card)
	}
	var bodies []string
	keep := func(r reply) reply { bodies = append(bodies, string(r.body)); return r }
	key := e.key()
	body := map[string]any{"amount": 50_000_00, "currency": "IDR", "source": map[string]any{"type": "card", "reference": card}}
	tx := txOf(t, keep(want(t, e.do(t, "POST", "/api/v1/topups", u.Token, body, hdr{"Idempotency-Key", key}), http.StatusCreated)))
	keep(want(t, e.do(t, "POST", "/api/v1/topups", u.Token, body, hdr{"Idempotency-Key", key}), http.StatusCreated)) // replay
	dashed := map[string]any{"amount": 60_000_00, "currency": "IDR", "source": map[string]any{"type": "bank_transfer", "reference": strings.ReplaceAll(card, " ", "-")}}
	keep(want(t, e.post(t, "/api/v1/topups", u.Token, dashed), http.StatusCreated))
	plain := map[string]any{"amount": 70_000_00, "currency": "IDR", "source": map[string]any{"type": "card", "reference": digits}}
	keep(want(t, e.post(t, "/api/v1/topups", u.Token, plain), http.StatusCreated))
	got := keep(want(t, e.do(t, "GET", "/api/v1/transactions/"+tx.ID, u.Token, nil), http.StatusOK))
	keep(want(t, e.do(t, "GET", "/api/v1/transactions", u.Token, nil), http.StatusOK))
	keep(want(t, e.do(t, "GET", "/api/v1/wallet", u.Token, nil), http.StatusOK))
	if !strings.Contains(string(got.body), "**** 6467") {
		t.Errorf("the transaction does not show the masked card: %s", got.body)
	}
	e.app.Outbox.Notify()

	leaks := func(where, s string) {
		t.Helper()
		for _, f := range []string{digits, card, strings.ReplaceAll(card, " ", "-"), digits[:12], "4539 1488 0343", "4539-1488-0343"} {
			if strings.Contains(s, f) {
				i := strings.Index(s, f)
				t.Errorf("%s holds the card number (%q) near: %q", where, f, s[max(0, i-200):min(len(s), i+100)])
			}
		}
	}
	for i, b := range bodies {
		leaks(fmt.Sprintf("response %d", i), b)
	}
	dump := dumpDB(t, e.app.DB)
	if !strings.Contains(dump, "**** 6467") {
		t.Errorf("the database does not hold the masked card at all")
	}
	leaks("the database", dump)
	leaks("the log", logs.String())
	// The idempotency hash is taken over the masked body: it cannot be brute-forced back.
	raw := []byte(`{"amount":5000000,"currency":"IDR","source":{"type":"card","reference":"` + card + `"}}`)
	if h := string(withoutPIN(raw)); strings.Contains(h, "0343") || !strings.Contains(h, "**** 6467") {
		t.Errorf("hashed body %s", h)
	}
}

// TestE2ERefundRequestsWithinRemainder: a refund request may not ask for more than is left of
// the payment once the requests still open are counted, and racing requests are counted one
// after the other.
func TestE2ERefundRequestsWithinRemainder(t *testing.T) {
	e := newE2E(t)
	m := e.newMerchant(t, "Warung Rame", "")
	u := e.newUser(t, userOpts{verified: true})
	e.topUp(t, u, 500_000_00, "IDR")
	p := e.pay(t, u, m.ID, 100_000_00)
	ask := func(amount int64) reply {
		return e.do(t, "POST", "/api/v1/refund-requests", u.Token, map[string]any{"transaction_id": p.ID, "amount": amount, "reason": "cold food"})
	}
	want(t, ask(30_000_00), http.StatusCreated)
	pr := wantProblem(t, ask(100_000_00), 422, "refund_not_allowed")
	if pr["refundable"] != float64(70_000_00) {
		t.Errorf("refundable %v, want 7000000 (the payment less the open request)", pr["refundable"])
	}
	want(t, ask(70_000_00), http.StatusCreated)
	pr = wantProblem(t, ask(1), 422, "refund_not_allowed")
	if pr["refundable"] != float64(0) {
		t.Errorf("refundable %v, want 0", pr["refundable"])
	}

	// Eight full-amount requests on a fresh payment at once: one is filed.
	p2 := e.pay(t, u, m.ID, 50_000_00)
	start := make(chan struct{})
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Go(func() {
			<-start
			r, err := e.send("POST", "/api/v1/refund-requests", u.Token, map[string]any{"transaction_id": p2.ID, "amount": 50_000_00, "reason": "never came"})
			if err == nil {
				statuses[i] = r.status
			}
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusUnprocessableEntity:
		default:
			t.Errorf("status %d, want 201 or 422", s)
		}
	}
	if created != 1 {
		t.Errorf("%d of 8 racing full-amount requests filed, want 1 (%v)", created, statuses)
	}
}

// TestE2EFailedTransferOpensNoCurrency: a transfer refused in a currency neither user ever
// held lists that currency in neither wallet (no zero balance with its limits).
func TestE2EFailedTransferOpensNoCurrency(t *testing.T) {
	e := newE2E(t)
	a := e.newUser(t, userOpts{})
	b := e.newUser(t, userOpts{})
	e.topUp(t, a, 100_000_00, "IDR")
	wantProblem(t, e.post(t, "/api/v1/transfers", a.Token, map[string]any{"to": b.Phone, "amount": 10_00, "currency": "USD"}), 422, "insufficient_balance")
	for _, u := range []*e2eUser{a, b} {
		var s wallet.Summary
		decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/wallet", u.Token, nil), http.StatusOK), &s)
		for _, bal := range s.Balances {
			if bal.Currency == "USD" {
				t.Errorf("%s's wallet lists USD after a refused transfer: %+v", u.Name, s.Balances)
			}
		}
		if _, ok := s.Limits["USD"]; ok {
			t.Errorf("%s's wallet shows USD limits", u.Name)
		}
		if len(s.Balances) == 0 || s.Balances[0].Currency != "IDR" {
			t.Errorf("%s's wallet: %+v, want IDR listed", u.Name, s.Balances)
		}
	}
	// Once money has moved in a currency, it stays listed even at zero.
	e.topUp(t, a, 10_00, "USD")
	want(t, e.post(t, "/api/v1/transfers", a.Token, map[string]any{"to": b.Phone, "amount": 10_00, "currency": "USD"}), http.StatusCreated)
	if bal := e.balance(t, a.Token, "USD"); bal.Currency != "USD" {
		t.Errorf("a's spent USD balance is no longer listed")
	}
}

// TestProblemNotHTMLEscaped: problem texts keep <, > and & as written.
func TestProblemNotHTMLEscaped(t *testing.T) {
	e := newE2E(t)
	body := string(e.do(t, "GET", "/api/v1/me", "", nil).body)
	if !strings.Contains(body, "Bearer <token>") || strings.Contains(body, `\u003c`) {
		t.Errorf("problem body %s, want Bearer <token> unescaped", body)
	}
	r := httptest.NewRecorder()
	if err := writeJSON(r, 200, map[string]string{"a": "<b> & </b>"}); err != nil {
		t.Fatal(err)
	}
	if got := r.Body.String(); got != "{\"a\":\"<b> & </b>\"}\n" || r.Header().Get("Content-Length") != fmt.Sprint(len(got)) {
		t.Errorf("writeJSON wrote %q (Content-Length %s)", got, r.Header().Get("Content-Length"))
	}
}

// TestE2EMerchantName: a user sees a merchant's name before paying it; an unknown id is
// refused in the words a payment to it gets, in the reader's language.
func TestE2EMerchantName(t *testing.T) {
	e := newE2E(t)
	a := e.newUser(t, userOpts{})
	m := e.newMerchant(t, "Toko <Kopi> & Teh", "")
	var got struct {
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/merchants/"+m.ID, a.Token, nil), http.StatusOK), &got)
	if got.ID != m.ID || got.DisplayName != "Toko <Kopi> & Teh" {
		t.Errorf("merchant %s: %+v", m.ID, got)
	}
	for _, tc := range []struct{ lang, detail string }{{"en", "merchant not found"}, {"zh-CN", "找不到该商户。"}} {
		p := wantProblem(t, e.do(t, "GET", "/api/v1/merchants/mch_nope", a.Token, nil, hdr{"Accept-Language", tc.lang}), 404, "not_found")
		pay := wantProblem(t, e.do(t, "POST", "/api/v1/payments", a.Token, map[string]any{"merchant_id": "mch_nope", "amount": 1000,
			"currency": "IDR", "order_ref": "o-1", "pin": e2ePIN}, hdr{"Idempotency-Key", "mn-" + tc.lang}, hdr{"Accept-Language", tc.lang}), 404, "not_found")
		if p["detail"] != tc.detail || pay["detail"] != tc.detail {
			t.Errorf("%s: lookup says %q, payment says %q, want %q", tc.lang, p["detail"], pay["detail"], tc.detail)
		}
	}
	wantProblem(t, e.do(t, "GET", "/api/v1/merchants/"+m.ID, "", nil), 401, "unauthenticated")
}
