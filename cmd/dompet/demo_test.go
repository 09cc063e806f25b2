package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/wallet"
)

// demoState is everything the demo should leave the same on a second run.
type demoState struct {
	Users     map[string][]wallet.Balance // by email
	Merchants map[string][]wallet.Balance // by name
	History   map[string]int              // transactions per user
}

func snapshot(t *testing.T, a *app.App, sum demoSummary) demoState {
	t.Helper()
	ctx := context.Background()
	st := demoState{Users: map[string][]wallet.Balance{}, Merchants: map[string][]wallet.Balance{}, History: map[string]int{}}
	for _, u := range sum.Users {
		s, err := a.Wallet.Summary(ctx, u.party)
		if err != nil {
			t.Fatal(err)
		}
		st.Users[u.Email] = s.Balances
		page, err := a.Wallet.Transactions(ctx, u.ID, wallet.Filter{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		st.History[u.Email] = len(page.Items)
	}
	for _, m := range sum.Merchants {
		b, err := a.Wallet.MerchantBalances(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		st.Merchants[m.Name] = b
	}
	return st
}

func TestLoadDemoTwice(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)

	first, err := seedDemo(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range first.Merchants {
		if !m.Created || !strings.HasPrefix(m.APIKey, "sk_test_") {
			t.Fatalf("first run: merchant %+v", m)
		}
		if got, err := a.Merchants.Authenticate(ctx, m.APIKey); err != nil || got.ID != m.ID {
			t.Fatalf("the printed key of %s does not authenticate: %v", m.Name, err)
		}
	}
	// Every team has a supervisor and an agent; each printed TOTP secret logs its member in.
	teams, err := a.Staff.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]map[string]int{}
	for _, ag := range first.Agents {
		if roles[ag.Team] == nil {
			roles[ag.Team] = map[string]int{}
		}
		roles[ag.Team][ag.Role]++
		if !strings.HasPrefix(ag.OTPAuthURL, "otpauth://totp/Dompet:"+ag.Email+"?") || !strings.Contains(ag.OTPAuthURL, "secret="+ag.TOTPSecret) {
			t.Fatalf("otpauth URL %q", ag.OTPAuthURL)
		}
		code, err := totp.GenerateCode(ag.TOTPSecret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.Staff.Login(ctx, staff.LoginInput{Email: ag.Email, Password: demoAgentPassword, OTP: code, IP: "192.0.2.1"}); err != nil {
			t.Fatalf("demo agent %s cannot log in with the printed secret: %v", ag.Email, err)
		}
	}
	for _, tm := range teams {
		if roles[tm.Slug]["supervisor"] < 1 || roles[tm.Slug]["agent"] < 1 {
			t.Fatalf("team %s: %v", tm.Slug, roles[tm.Slug])
		}
	}
	before := snapshot(t, a, first)

	second, err := seedDemo(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range second.Users {
		if u.Created || u.ID != first.Users[i].ID {
			t.Fatalf("second run recreated %s", u.Email)
		}
	}
	for i, m := range second.Merchants {
		if m.Created || m.APIKey != first.Merchants[i].APIKey || m.ID != first.Merchants[i].ID {
			t.Fatalf("second run: merchant %+v", m)
		}
	}
	if !reflect.DeepEqual(first.Agents, second.Agents) || !reflect.DeepEqual(first.Logins, second.Logins) {
		t.Fatalf("second run shows other logins:\n%+v\n%+v", first.Logins, second.Logins)
	}
	if members, err := a.Staff.List(ctx); err != nil || len(members) != len(first.Agents) {
		t.Fatalf("staff after two runs: %d, %v (want %d)", len(members), err, len(first.Agents))
	}
	if !reflect.DeepEqual(first.Activity, second.Activity) || first.RefundRequest != second.RefundRequest {
		t.Fatalf("second run moved money differently:\n%+v\n%+v", first.Activity, second.Activity)
	}
	if after := snapshot(t, a, second); !reflect.DeepEqual(before, after) {
		t.Fatalf("balances or histories changed:\n%+v\n%+v", before, after)
	}
	rep, err := a.Ledger.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("ledger: %v %v", err, rep.Problems)
	}

	// What the demo is for: tiers, a failure with its reason, a pending withdrawal, a
	// refund, a refund request.
	tiers := map[string]string{}
	for _, u := range second.Users {
		tiers[u.Email] = u.Tier
	}
	if tiers["alice@dompet.localhost"] != "verified" || tiers["budi@dompet.localhost"] != "basic" || tiers["li.wei@dompet.localhost"] != "verified" {
		t.Fatalf("tiers %v", tiers)
	}
	// Ready to pay: a verified phone and email, and the PIN the demo prints.
	for _, du := range second.Users {
		u, err := a.Identity.User(ctx, du.ID)
		if err != nil || !u.PhoneVerified || !u.EmailVerified || !du.party.PhoneVerified {
			t.Fatalf("demo user %s: %+v %v", du.Email, u, err)
		}
		if du.PIN != demoPIN {
			t.Fatalf("demo user %s prints PIN %q", du.Email, du.PIN)
		}
		if err := a.Identity.CheckPIN(ctx, du.ID, du.PIN); err != nil {
			t.Fatalf("demo user %s: the printed PIN: %v", du.Email, err)
		}
	}
	budi := second.Users[1]
	failed, err := a.Wallet.Transactions(ctx, budi.ID, wallet.Filter{Status: wallet.StatusFailed})
	if err != nil || len(failed.Items) != 1 || failed.Items[0].FailureCode != "insufficient_balance" {
		t.Fatalf("budi's failed payments: %+v %v", failed.Items, err)
	}
	alice := second.Users[0]
	pending, err := a.Wallet.Transactions(ctx, alice.ID, wallet.Filter{Kind: wallet.KindWithdrawal, Status: wallet.StatusPending})
	if err != nil || len(pending.Items) != 1 {
		t.Fatalf("alice's pending withdrawals: %+v %v", pending.Items, err)
	}
	refunds, err := a.Wallet.Transactions(ctx, alice.ID, wallet.Filter{Kind: wallet.KindRefund})
	if err != nil || len(refunds.Items) != 1 {
		t.Fatalf("alice's refunds: %+v %v", refunds.Items, err)
	}
	rr, err := a.Wallet.RefundRequest(ctx, alice.ID, second.RefundRequest)
	if err != nil || rr.Status != wallet.RequestSubmitted {
		t.Fatalf("refund request: %+v %v", rr, err)
	}
	sum, err := a.Wallet.Summary(ctx, alice.party)
	if err != nil {
		t.Fatal(err)
	}
	// The failed payment says why.
	var reasons int
	for _, st := range second.Activity {
		if st.FailureCode != "" && st.FailureReason != "" {
			reasons++
		}
	}
	if reasons != 1 {
		t.Fatalf("activity: %+v", second.Activity)
	}
	// 2,500,000 − 25,000 − 185,000 − 50,000 − (300,000 + 2,500 fee held) + 5,000 refunded −
	// the conversion to SGD (500,000 and its fee).
	conv, err := a.Wallet.Transactions(ctx, alice.ID, wallet.Filter{Kind: wallet.KindFXConversion})
	if err != nil || len(conv.Items) != 1 {
		t.Fatalf("alice's conversions: %+v %v", conv.Items, err)
	}
	fx := conv.Items[0]
	bal := map[string]wallet.Balance{}
	for _, b := range sum.Balances {
		bal[b.Currency] = b
	}
	if b := bal["IDR"]; b.Available != 1_942_500_00-fx.Amount-fx.Fee.Amount || b.Pending != 302_500_00 || fx.Amount != 500_000_00 {
		t.Fatalf("alice's balance %+v after %+v", sum.Balances, fx)
	}
	if bal["SGD"].Available <= 0 {
		t.Fatalf("alice holds no SGD: %+v", sum.Balances)
	}
}

// TestDemoCommand runs `dompet demo` twice on one store: the first prints the merchants' API
// keys, the second only their ids, and the ledger verifies.
func TestDemoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes demo passwords at the production cost")
	}
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "demo.db")
	if os.Getenv("DOMPET_TEST_DB") != "" {
		dsn = dbtest.DSN(t)
	}
	var runs [2]demoSummary
	dataDir := t.TempDir() // the server key file, with PostgreSQL
	for i := range runs {
		code, stdout, stderr := runTest(t, nil, "demo", "--json", "--db", dsn, "--data-dir", dataDir, "--log-level", "warn")
		if code != 0 {
			t.Fatalf("run %d: exit %d\n%s", i, code, stderr)
		}
		if err := json.Unmarshal([]byte(stdout), &runs[i]); err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, stdout)
		}
	}
	if len(runs[0].Users) != 3 || runs[0].Users[0].Password != demoPassword || len(runs[0].Merchants) != 2 {
		t.Fatalf("first run: %+v", runs[0])
	}
	if !strings.HasPrefix(runs[0].Merchants[0].APIKey, "sk_test_") || runs[1].Merchants[0].APIKey != runs[0].Merchants[0].APIKey ||
		runs[1].Merchants[0].ID != runs[0].Merchants[0].ID {
		t.Fatalf("merchants: %+v then %+v", runs[0].Merchants, runs[1].Merchants)
	}
	// Without --json, the logins for a person: users, password, PIN, merchant keys, agents
	// with their TOTP secrets, and where the codes go.
	code, stdout, stderr := runTest(t, nil, "demo", "--db", dsn, "--data-dir", dataDir, "--log-level", "warn")
	if code != 0 {
		t.Fatalf("text run: exit %d\n%s", code, stderr)
	}
	l := runs[0].Logins
	want := []string{demoPassword, demoPIN, demoAgentPassword, "/demo/messages", "http://127.0.0.1:8080/demo"}
	for _, u := range l.Users {
		want = append(want, u.Email, u.Phone)
	}
	for _, m := range l.Merchants {
		want = append(want, m.ID, m.APIKey)
	}
	for _, ag := range l.Agents {
		want = append(want, ag.Email, ag.TOTPSecret, ag.OTPAuthURL)
	}
	for _, w := range want {
		if !strings.Contains(stdout, w) {
			t.Errorf("the demo's output lacks %q:\n%s", w, stdout)
		}
	}
	if code, stdout, _ := runTest(t, nil, "ledger", "verify", "--db", dsn); code != 0 || !strings.Contains(stdout, `"ok": true`) {
		t.Fatalf("ledger verify: %d %s", code, stdout)
	}
}

// newTestApp is an app on a fresh test database (SQLite, or DOMPET_TEST_DB), with the
// password hash made cheap, closed when the test ends.
func newTestApp(t *testing.T) *app.App {
	t.Helper()
	a, err := app.New(context.Background(), config.Default(), nil, app.Options{DB: dbtest.Open(t),
		Identity: identity.Options{Argon2: identity.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}
