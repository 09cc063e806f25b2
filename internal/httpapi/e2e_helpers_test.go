package httpapi

// End-to-end tests: a real Dompet (app.New over a fresh store) behind a real HTTP server,
// driven by real HTTP clients, checked against shared/design/API.md. Every environment runs
// the ledger's Verify when its test ends and fails the test on any problem.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/merchant"
	"github.com/dompet/dompet/internal/money"
	"github.com/dompet/dompet/internal/staff"
)

// e2eSettleAfter is how long a sandbox withdrawal or remittance stays pending in these tests.
const e2eSettleAfter = 200 * time.Millisecond

// e2ePassword passes the password policy.
const e2ePassword = "Kopi-Susu-42-Gula"

// e2eDevice is the device_id of every login of these tests: a user's first login trusts its
// device, and a later one from another device is challenged for a code.
const e2eDevice = "e2e-phone-1"

// e2eEnv is one running Dompet with its HTTP server.
type e2eEnv struct {
	app  *app.App
	api  *Server
	srv  *httptest.Server
	http *http.Client
	logs *logBuffer
	seq  atomic.Int64 // makes phones, emails and idempotency keys unique
	run  string       // distinguishes this environment's keys from another's
	// openapi validates every exchange against the served document (e2e_openapi_test.go)
	openapi *openAPIGuard
}

// newE2E starts Dompet on a fresh store (SQLite, or PostgreSQL with DOMPET_TEST_DB) with
// background settlement and webhooks, and an HTTP server in front. When the test ends the
// ledger is verified: every currency sums to zero and every balance matches the journal.
func newE2E(tb testing.TB, adjust ...func(*app.Options)) *e2eEnv {
	tb.Helper()
	return newE2EConfig(tb, nil, adjust...)
}

// newE2EConfig is newE2E with settings changed by setCfg (nil: none).
func newE2EConfig(tb testing.TB, setCfg func(*config.Config), adjust ...func(*app.Options)) *e2eEnv {
	tb.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.SandboxSettleAfter = e2eSettleAfter
	// Every client of these tests is 127.0.0.1, which is limited like any address: a budget
	// no test reaches, through the settings.
	lots := config.Rate{N: 1_000_000, Per: time.Minute}
	cfg.RateRegisterPerIP, cfg.RateLoginPerIP, cfg.RateRecoveryPerIP, cfg.RateVerifyPerIP = lots, lots, lots, lots
	cfg.WebhookAllowPrivate = true // merchant webhooks go to httptest servers on 127.0.0.1
	if setCfg != nil {
		setCfg(&cfg)
	}
	d := dbtest.Open(tb)
	logs := &logBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	o := app.Options{
		DB:         d,
		Identity:   identity.Options{Argon2: identity.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}},
		Background: true,
	}
	for _, f := range adjust {
		f(&o)
	}
	a, err := app.New(ctx, cfg, log, o)
	if err != nil {
		tb.Fatalf("app.New: %v", err)
	}
	tb.Cleanup(func() { _ = a.Close() })
	openAroundTheClock(tb, a)
	api, err := New(Options{Config: cfg, DB: a.DB, Log: log, Identity: a.Identity, Staff: a.Staff, Audit: a.Audit, Merchants: a.Merchants, Wallet: a.Wallet, Checkout: a.Checkout, Support: a.Support, Inbox: a.Inbox, Help: a.Help})
	if err != nil {
		tb.Fatalf("httpapi.New: %v", err)
	}
	guard := checked(tb, api) // every exchange is validated against the served OpenAPI document
	srv := httptest.NewServer(guard)
	tb.Cleanup(srv.Close)
	e := &e2eEnv{app: a, api: api, srv: srv, openapi: guard, http: srv.Client(), logs: logs, run: fmt.Sprintf("%x", time.Now().UnixNano())}
	tb.Cleanup(func() {
		e.verifyLedger(tb)
		if tb.Failed() {
			if l := logs.String(); l != "" {
				tb.Logf("server logs (warn and above):\n%s", l)
			}
		}
	})
	return e
}

// verifyLedger fails tb when the ledger's Verify finds any problem.
func (e *e2eEnv) verifyLedger(tb testing.TB) {
	tb.Helper()
	rep, err := e.app.Ledger.Verify(context.Background())
	if err != nil {
		tb.Errorf("ledger verify: %v", err)
		return
	}
	for _, p := range rep.Problems {
		tb.Errorf("ledger verify: %s", p)
	}
	for cur, sum := range rep.Currencies {
		if sum != 0 {
			tb.Errorf("ledger verify: %s sums to %d, want 0", cur, sum)
		}
	}
}

// key returns a fresh Idempotency-Key.
func (e *e2eEnv) key() string { return fmt.Sprintf("k-%s-%d", e.run, e.seq.Add(1)) }

// reply is an HTTP answer, read whole.
type reply struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

func (r reply) String() string {
	return fmt.Sprintf("%s %s → %d %s", r.method, r.path, r.status, bytes.TrimSpace(r.body))
}

// hdr is a header to send: name and value.
type hdr [2]string

// send makes one request. body is nil (none), a string or []byte (sent as is) or a value
// encoded as JSON; a body is sent as application/json.
func (e *e2eEnv) send(method, path, token string, body any, headers ...hdr) (reply, error) {
	body = withFixturePIN(method, path, body)
	status, header, raw, err := sendJSON(e.http, method, e.srv.URL+path, token, body, headers...)
	if err != nil {
		return reply{}, err
	}
	return reply{method: method, path: path, status: status, header: header, body: raw}, nil
}

// e2ePIN is the payment PIN of every fixture user (newUser sets it through the API).
const e2ePIN = "302918"

// pinPaths are the outgoing money operations, which all need the payment PIN.
var pinPaths = map[string]bool{"/api/v1/payments": true, "/api/v1/transfers": true, "/api/v1/withdrawals": true,
	"/api/v1/remittances": true, "/api/v1/fx/conversions": true}

// withFixturePIN adds e2ePIN to the JSON object body of an outgoing money operation that names
// no pin, so that the many tests about something else pay as a ready user does. A test about
// the PIN itself names it: "pin": "" sends it empty (missing), a string body goes as is.
func withFixturePIN(method, path string, body any) any {
	m, ok := body.(map[string]any)
	if !ok || method != http.MethodPost || !pinPaths[path] {
		return body
	}
	if _, named := m["pin"]; named {
		return body
	}
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out["pin"] = e2ePIN
	return out
}

// sendJSON is the one HTTP client of the API tests: body may be a string or []byte (sent as
// is) or a value (encoded as JSON); token, when set, goes as a bearer token.
func sendJSON(client *http.Client, method, url, token string, body any, headers ...hdr) (int, http.Header, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		req.Header.Set(h[0], h[1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw, err
}

// do is send for the test's own goroutine: a transport failure ends the test.
func (e *e2eEnv) do(t testing.TB, method, path, token string, body any, headers ...hdr) reply {
	t.Helper()
	r, err := e.send(method, path, token, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// post sends a money-moving POST under a fresh Idempotency-Key.
func (e *e2eEnv) post(t testing.TB, path, token string, body any, headers ...hdr) reply {
	t.Helper()
	return e.do(t, "POST", path, token, body, append([]hdr{{"Idempotency-Key", e.key()}}, headers...)...)
}

// want fails the test unless r has status; it returns r for chaining.
func want(t testing.TB, r reply, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: want status %d", r, status)
	}
	return r
}

// decodeJSON decodes r's body into v, failing the test when it is not JSON of that shape.
func decodeJSON(t testing.TB, r reply, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%s: body does not decode into %T: %v", r, v, err)
	}
}

// object decodes r's body as a JSON object.
func object(t testing.TB, r reply) map[string]any {
	t.Helper()
	var m map[string]any
	decodeJSON(t, r, &m)
	if m == nil {
		t.Fatalf("%s: body is not a JSON object", r)
	}
	return m
}

// problemError checks that r is an application/problem+json answer of status and code as
// API.md describes it, and returns what is wrong ("" when nothing is).
func problemError(r reply, status int, code string) (map[string]any, string) {
	if r.status != status {
		return nil, fmt.Sprintf("want %d %s", status, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		return nil, fmt.Sprintf("Content-Type %q, want application/problem+json", ct)
	}
	var p map[string]any
	if err := json.Unmarshal(r.body, &p); err != nil || p == nil {
		return nil, "body is not a JSON object"
	}
	if p["code"] != code {
		return p, fmt.Sprintf("code %v, want %s", p["code"], code)
	}
	if s, _ := p["status"].(float64); int(s) != status {
		return p, fmt.Sprintf("body status %v, want %d", p["status"], status)
	}
	if title, _ := p["title"].(string); title == "" {
		return p, "no title"
	}
	if typ, _ := p["type"].(string); typ == "" {
		return p, "no type"
	}
	return p, ""
}

// wantProblem fails the test unless r is the problem status/code; it returns the body.
func wantProblem(t testing.TB, r reply, status int, code string) map[string]any {
	t.Helper()
	p, msg := problemError(r, status, code)
	if msg != "" {
		t.Fatalf("%s: %s", r, msg)
	}
	return p
}

// apiTx is a transaction as API.md shows it.
type apiTx struct {
	ID           string       `json:"id"`
	Kind         string       `json:"kind"`
	Status       string       `json:"status"`
	Amount       int64        `json:"amount"`
	Currency     string       `json:"currency"`
	Fee          money.Amount `json:"fee"`
	Counterparty struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"counterparty"`
	CreatedAt     time.Time `json:"created_at"`
	FailureCode   string    `json:"failure_code"`
	FailureReason string    `json:"failure_reason"`
	Refunds       []struct {
		ID     string `json:"id"`
		Amount int64  `json:"amount"`
		Status string `json:"status"`
	} `json:"refunds"`
	RefundedAmount int64  `json:"refunded_amount"`
	RelatedID      string `json:"related_id"`
	FX             *struct {
		QuoteID string       `json:"quote_id"`
		Receive money.Amount `json:"receive"`
	} `json:"fx"`
}

// txOf decodes a transaction answer and checks the fields every transaction has.
func txOf(t testing.TB, r reply) apiTx {
	t.Helper()
	m := object(t, r)
	for _, f := range []string{"id", "kind", "status", "amount", "currency", "fee", "counterparty", "created_at", "refunds"} {
		if _, ok := m[f]; !ok {
			t.Fatalf("%s: transaction has no %q", r, f)
		}
	}
	if _, ok := m["refunds"].([]any); !ok {
		t.Fatalf("%s: refunds is not a list", r)
	}
	var tx apiTx
	decodeJSON(t, r, &tx)
	if tx.ID == "" || tx.Fee.Currency != tx.Currency {
		t.Fatalf("%s: malformed transaction", r)
	}
	return tx
}

// e2eUser is a registered, logged-in wallet user.
type e2eUser struct {
	ID, Phone, Email, Name, Locale, Token string
}

// userOpts adjust newUser.
type userOpts struct {
	locale   string // "" = not sent
	verified bool   // promote to the verified tier
}

// newUser registers a user and logs them in, both through the API, and makes them ready to
// pay (readyToPay: phone and email verified, PIN e2ePIN).
func (e *e2eEnv) newUser(t testing.TB, o userOpts) *e2eUser {
	t.Helper()
	n := e.seq.Add(1)
	u := &e2eUser{
		Phone: fmt.Sprintf("+62812%08d", n),
		Email: fmt.Sprintf("user%d.%s@example.com", n, e.run),
		Name:  fmt.Sprintf("User %d", n),
	}
	body := map[string]any{"phone": u.Phone, "email": u.Email, "password": e2ePassword, "display_name": u.Name}
	if o.locale != "" {
		body["locale"] = o.locale
	}
	r := want(t, e.do(t, "POST", "/api/v1/auth/register", "", body), http.StatusCreated)
	var reg struct {
		ID     string `json:"id"`
		Locale string `json:"locale"`
	}
	decodeJSON(t, r, &reg)
	u.ID, u.Locale = reg.ID, reg.Locale
	u.Token = e.login(t, u.Email, e2ePassword)
	e.readyToPay(t, u)
	if o.verified {
		e.verify(t, u)
	}
	return u
}

// readyToPay marks u's phone and email verified (identity.MarkVerified: the code flow itself
// is proved in e2e_verify_test.go) and sets the PIN e2ePIN through the API.
func (e *e2eEnv) readyToPay(t testing.TB, u *e2eUser) {
	t.Helper()
	if err := e.app.Identity.MarkVerified(context.Background(), u.ID); err != nil {
		t.Fatalf("mark verified: %v", err)
	}
	want(t, e.do(t, "POST", "/api/v1/me/pin", u.Token, map[string]any{"pin": e2ePIN, "password": e2ePassword}), http.StatusNoContent)
}

// login logs in through the API and returns the token.
func (e *e2eEnv) login(t testing.TB, login, password string) string {
	t.Helper()
	r := want(t, e.do(t, "POST", "/api/v1/auth/login", "", map[string]any{"login": login, "password": password, "device_id": e2eDevice}), http.StatusOK)
	var out struct {
		Token string `json:"token"`
	}
	decodeJSON(t, r, &out)
	if out.Token == "" {
		t.Fatalf("%s: no token", r)
	}
	return out.Token
}

// verify promotes u to the verified tier (identity and wallet ceilings).
func (e *e2eEnv) verify(t testing.TB, u *e2eUser) {
	t.Helper()
	ctx := context.Background()
	if err := e.app.Identity.SetTier(ctx, u.ID, identity.TierVerified); err != nil {
		t.Fatalf("set tier: %v", err)
	}
	x, err := e.app.Identity.User(ctx, u.ID)
	if err != nil {
		t.Fatalf("user: %v", err)
	}
	if err := e.app.Wallet.SetTier(ctx, app.Party(x)); err != nil {
		t.Fatalf("wallet set tier: %v", err)
	}
}

// topUp credits u by a bank transfer (no fee) through the API.
func (e *e2eEnv) topUp(t testing.TB, u *e2eUser, amount int64, currency string) apiTx {
	t.Helper()
	r := want(t, e.post(t, "/api/v1/topups", u.Token, map[string]any{"amount": amount, "currency": currency,
		"source": map[string]any{"type": "bank_transfer", "reference": "BT-" + e.key()}}), http.StatusCreated)
	return txOf(t, r)
}

// pay pays a merchant through the API and expects 201.
func (e *e2eEnv) pay(t testing.TB, u *e2eUser, merchantID string, amount int64) apiTx {
	t.Helper()
	r := want(t, e.post(t, "/api/v1/payments", u.Token, map[string]any{"merchant_id": merchantID, "amount": amount,
		"currency": "IDR", "order_ref": "order-" + e.key()}), http.StatusCreated)
	return txOf(t, r)
}

// apiBalance is one line of GET /api/v1/wallet or /api/v1/merchant/balance.
type apiBalance struct {
	Currency  string `json:"currency"`
	Available int64  `json:"available"`
	Pending   int64  `json:"pending"`
}

// balance returns u's balance in currency from GET /api/v1/wallet (zero when not listed).
func (e *e2eEnv) balance(t testing.TB, token, currency string) apiBalance {
	t.Helper()
	return e.balanceAt(t, "/api/v1/wallet", token, currency)
}

// merchantBalance returns a merchant's balance in currency from GET /api/v1/merchant/balance.
func (e *e2eEnv) merchantBalance(t testing.TB, apiKey, currency string) apiBalance {
	t.Helper()
	return e.balanceAt(t, "/api/v1/merchant/balance", apiKey, currency)
}

func (e *e2eEnv) balanceAt(t testing.TB, path, token, currency string) apiBalance {
	t.Helper()
	r := want(t, e.do(t, "GET", path, token, nil), http.StatusOK)
	var out struct {
		Balances []apiBalance `json:"balances"`
	}
	decodeJSON(t, r, &out)
	for _, b := range out.Balances {
		if b.Currency == currency {
			return b
		}
	}
	return apiBalance{Currency: currency}
}

// transactions lists every transaction GET /api/v1/transactions?query gives, following
// the cursor.
func (e *e2eEnv) transactions(t testing.TB, token, query string) []apiTx {
	t.Helper()
	return e.listAll(t, "/api/v1/transactions", token, query)
}

func (e *e2eEnv) listAll(t testing.TB, path, token, query string) []apiTx {
	t.Helper()
	var all []apiTx
	cursor := ""
	for range 1000 {
		q, _ := url.ParseQuery(query)
		q.Set("limit", "200")
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		r := want(t, e.do(t, "GET", path+"?"+q.Encode(), token, nil), http.StatusOK)
		var pg struct {
			Items      []apiTx `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		decodeJSON(t, r, &pg)
		if pg.Items == nil {
			t.Fatalf("%s: no items list", r)
		}
		all = append(all, pg.Items...)
		if pg.NextCursor == nil {
			return all
		}
		cursor = *pg.NextCursor
	}
	t.Fatalf("%s: pagination does not end", path)
	return nil
}

// getTx reads one of the user's transactions.
func (e *e2eEnv) getTx(t testing.TB, token, id string, headers ...hdr) apiTx {
	t.Helper()
	return txOf(t, want(t, e.do(t, "GET", "/api/v1/transactions/"+id, token, nil, headers...), http.StatusOK))
}

// waitTx polls a transaction until it is no longer pending (or fails the test after 10 s).
func (e *e2eEnv) waitTx(t testing.TB, token, id string) apiTx {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tx := e.getTx(t, token, id)
		if tx.Status != "pending" {
			return tx
		}
		if time.Now().After(deadline) {
			t.Fatalf("transaction %s still pending after 10 s", id)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// newMerchant creates a merchant (as `dompet merchant create` does) with an optional webhook.
func (e *e2eEnv) newMerchant(t testing.TB, name, webhookURL string) merchant.Created {
	t.Helper()
	c, err := e.app.Merchants.Create(context.Background(), name, webhookURL)
	if err != nil {
		t.Fatalf("create merchant: %v", err)
	}
	return c
}

// fundMerchant makes a payment of amount to m from a fresh verified user, so the merchant
// has money to refund with.
func (e *e2eEnv) fundMerchant(t testing.TB, merchantID string, amount int64) {
	t.Helper()
	u := e.newUser(t, userOpts{verified: true})
	e.topUp(t, u, amount, "IDR")
	e.pay(t, u, merchantID, amount)
}

// tinyPNG is a valid 2×2 PNG image.
func tinyPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload sends a file as multipart field "file" to POST /api/v1/attachments.
func (e *e2eEnv) upload(t testing.TB, token, filename string, data []byte) reply {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, err := http.NewRequest("POST", e.srv.URL+"/api/v1/attachments", &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return reply{method: "POST", path: "/api/v1/attachments", status: resp.StatusCode, header: resp.Header, body: raw}
}

// openAroundTheClock opens every team's business hours all week, so that what a test sees
// of the desk does not depend on the hour it runs at (a chat opened while a team is closed
// becomes an email conversation). A test of closed hours sets its own.
func openAroundTheClock(tb testing.TB, a *app.App) {
	tb.Helper()
	ctx := context.Background()
	teams, err := a.Staff.Teams(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	h := staff.BusinessHours{TimeZone: "UTC", Holidays: []string{}}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		h.Weekly = append(h.Weekly, staff.Period{Day: d, Start: "00:00", End: "24:00"})
	}
	for _, t := range teams {
		if _, err := a.Staff.UpdateTeam(ctx, staff.Operator(), t.Slug, staff.TeamChange{BusinessHours: &h, Reason: "tests: open around the clock"}); err != nil {
			tb.Fatal(err)
		}
	}
}
