package main

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/merchant"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/wallet"
	"github.com/dompet/dompet/internal/web"
)

var demoCmd = command{
	name:    "demo",
	args:    "[--json]",
	summary: "load demo users, merchants, agents, money movements and desk conversations (also serve --demo); prints the logins",
	run:     demo,
}

func demo(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	cfg, err := c.config(fs, args)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, c.log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	sum, err := seedDemo(ctx, a)
	if err != nil {
		return err
	}
	c.log.Info("demo data loaded", "users", len(sum.Users), "merchants", len(sum.Merchants), "agents", len(sum.Agents),
		"conversations", len(sum.Conversations))
	if *asJSON {
		return c.printJSON(sum)
	}
	return writeDemoLogins(c.stdout, "http://"+cfg.Addr, sum.Logins)
}

// loadDemo loads the demo data; serve --demo calls it on every start. It creates only what is
// missing, and the money movements carry fixed idempotency keys, so a second run moves no
// money. The demo's secrets (merchant keys, agents' TOTP secrets) are fixed and published,
// so every start shows the same logins.
func loadDemo(ctx context.Context, c *cli, a *app.App) (demoSummary, error) {
	sum, err := seedDemo(ctx, a)
	if err != nil {
		return sum, err
	}
	c.log.Info("demo data loaded", "users", len(sum.Users), "merchants", len(sum.Merchants), "agents", len(sum.Agents),
		"conversations", len(sum.Conversations))
	return sum, nil
}

// writeDemoLogins prints what a person needs to try the demo, for a terminal.
func writeDemoLogins(w io.Writer, base string, l web.DemoLogins) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Dompet demo: open %s/demo for these logins; the SMS and emails sent (codes included) are at %s%s\n\n", base, base, l.Messages)
	fmt.Fprintf(&b, "Wallet users (password %s, payment PIN %s):\n", l.Password, l.PIN)
	for _, u := range l.Users {
		fmt.Fprintf(&b, "  %-26s %-16s %s (%s, %s)\n", u.Email, u.Phone, u.Name, u.Tier, u.Locale)
	}
	b.WriteString("Merchants (API key as Authorization: Bearer …):\n")
	for _, m := range l.Merchants {
		fmt.Fprintf(&b, "  %-18s %s  %s\n", m.Name, m.ID, m.APIKey)
	}
	fmt.Fprintf(&b, "Support staff (password %s, and a TOTP code from the secret):\n", l.AgentPassword)
	for _, s := range l.Agents {
		fmt.Fprintf(&b, "  %-36s %-10s %-10s TOTP %s\n      %s\n", s.Email, s.Role, s.Team, s.TOTPSecret, s.OTPAuthURL)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// demoPassword is every demo user's password (it passes the password policy); demoPIN is
// their payment PIN; demoAgentPassword is every demo staff member's password.
const (
	demoPassword      = "Dompet-demo-2026!"
	demoPIN           = "147258"
	demoAgentPassword = "Dompet-agent-2026!"
)

type demoUserSpec struct {
	email, phone, name, locale string
	tier                       identity.Tier
}

// The demo users. Budi's language would be Indonesian, which Dompet does not offer yet: en.
var demoUserSpecs = []demoUserSpec{
	{"alice@dompet.localhost", "+6281200000001", "Alice Wijaya", identity.LocaleEN, identity.TierVerified},
	{"budi@dompet.localhost", "+6281200000002", "Budi Santoso", identity.LocaleEN, identity.TierBasic},
	{"li.wei@dompet.localhost", "+8613800000003", "Li Wei 李伟", identity.LocaleZhCN, identity.TierVerified},
}

var demoMerchantNames = []string{"Warung Kopi Demo", "Toko Buku Demo"}

// demoStaffSpec is a demo staff member; team "" is every team (one each).
type demoStaffSpec struct{ local, name, role string }

// Every team gets a supervisor and an agent; the general team a second agent and an admin.
var demoStaffSpecs = []demoStaffSpec{
	{"supervisor", "Sari Supervisor", staff.RoleSupervisor},
	{"agent", "Agus Agent", staff.RoleAgent},
}

var demoGeneralStaff = []demoStaffSpec{
	{"agent2", "Dewi Agent", staff.RoleAgent},
	{"admin", "Andi Admin", staff.RoleAdmin},
}

// demoSummary is what `dompet demo --json` prints.
type demoSummary struct {
	Users     []demoUser      `json:"users"`
	Merchants []demoMerchant  `json:"merchants"`
	Agents    []web.DemoAgent `json:"agents"`
	// Activity lists the demo's money movements with their outcome (a replay on later runs).
	Activity      []demoStep `json:"activity"`
	RefundRequest string     `json:"refund_request_id"`
	// Conversations are the desk's demo conversations (demo_desk.go).
	Conversations []demoConversation `json:"conversations"`
	Logins        web.DemoLogins     `json:"logins"` // what /demo shows
}

type demoUser struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Phone    string `json:"phone"`
	Password string `json:"password"`
	PIN      string `json:"pin"` // the payment PIN, demoPIN
	Name     string `json:"display_name"`
	Tier     string `json:"tier"`
	Locale   string `json:"locale"`
	Created  bool   `json:"created"`

	party wallet.Party
}

type demoMerchant struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	APIKey  string `json:"api_key"`
	Created bool   `json:"created"`
}

type demoStep struct {
	Key           string `json:"idempotency_key"`
	Who           string `json:"who"`
	What          string `json:"what"`
	Transaction   string `json:"transaction_id"`
	Status        string `json:"status"`
	FailureCode   string `json:"failure_code,omitempty"`
	FailureReason string `json:"failure_reason,omitempty"`
}

// seedDemo makes sure the demo users, merchants, staff and movements exist, through the
// domain services only.
func seedDemo(ctx context.Context, a *app.App) (demoSummary, error) {
	var sum demoSummary
	for _, s := range demoUserSpecs {
		u, err := ensureDemoUser(ctx, a, s)
		if err != nil {
			return sum, err
		}
		sum.Users = append(sum.Users, u)
	}
	for _, name := range demoMerchantNames {
		m, err := ensureDemoMerchant(ctx, a, name)
		if err != nil {
			return sum, err
		}
		sum.Merchants = append(sum.Merchants, m)
	}
	agents, err := ensureDemoStaff(ctx, a)
	if err != nil {
		return sum, err
	}
	sum.Agents = agents
	// Help articles: none exist yet; when the help center lands, load its demo articles here.
	if err := demoActivity(ctx, a, &sum); err != nil {
		return sum, err
	}
	if err := demoDesk(ctx, a, &sum); err != nil {
		return sum, err
	}
	sum.Logins = sum.logins()
	return sum, nil
}

// logins is what /demo shows and the terminal prints.
func (sum demoSummary) logins() web.DemoLogins {
	l := web.DemoLogins{Password: demoPassword, PIN: demoPIN, AgentPassword: demoAgentPassword,
		Agents: sum.Agents, Messages: "/demo/messages"}
	for _, u := range sum.Users {
		l.Users = append(l.Users, web.DemoUser{Email: u.Email, Phone: u.Phone, Name: u.Name, Tier: u.Tier, Locale: u.Locale})
	}
	for _, m := range sum.Merchants {
		l.Merchants = append(l.Merchants, web.DemoMerchant{ID: m.ID, Name: m.Name, APIKey: m.APIKey})
	}
	return l
}

// ensureDemoUser finds the demo user by email, or registers them. This is where a demo user
// is created: what makes them ready to pay (verified phone, payment PIN demoPIN) belongs here.
func ensureDemoUser(ctx context.Context, a *app.App, s demoUserSpec) (demoUser, error) {
	created := false
	u, err := a.Identity.UserByLogin(ctx, s.email)
	if errors.Is(err, identity.ErrNotFound) {
		u, err = a.Identity.Register(ctx, identity.RegisterInput{Phone: s.phone, Email: s.email, Password: demoPassword,
			DisplayName: s.name, Locale: s.locale})
		created = true
	}
	if err != nil {
		return demoUser{}, fmt.Errorf("demo user %s: %w", s.email, err)
	}
	// A user registers as basic; the demo's tier is given at creation only, so that a tier
	// changed since (say by support, in a demo of that) is left alone.
	if created && u.Tier != s.tier {
		if err := a.Identity.SetTier(ctx, u.ID, s.tier); err != nil {
			return demoUser{}, fmt.Errorf("demo user %s: %w", s.email, err)
		}
		u.Tier = s.tier
		if err := a.Wallet.SetTier(ctx, app.Party(u)); err != nil {
			return demoUser{}, fmt.Errorf("demo user %s: %w", s.email, err)
		}
	}
	if u, err = demoReady(ctx, a, u); err != nil {
		return demoUser{}, fmt.Errorf("demo user %s: %w", s.email, err)
	}
	return demoUser{ID: u.ID, Email: u.Email, Phone: u.Phone, Password: demoPassword, PIN: demoPIN, Name: u.DisplayName,
		Tier: string(u.Tier), Locale: u.Locale, Created: created, party: app.Party(u)}, nil
}

// demoReady gives a demo user what a real one has before paying: a verified phone and email
// (no code to type in a demo) and the PIN demoPIN, unless one is set already.
func demoReady(ctx context.Context, a *app.App, u identity.User) (identity.User, error) {
	if !u.PhoneVerified || !u.EmailVerified {
		if err := a.Identity.MarkVerified(ctx, u.ID); err != nil {
			return u, err
		}
	}
	pin, err := a.Identity.PINState(ctx, u.ID)
	if err != nil {
		return u, err
	}
	if !pin.Set {
		if err := a.Identity.SetPIN(ctx, identity.SetPINInput{UserID: u.ID, PIN: demoPIN, Password: demoPassword}); err != nil {
			return u, err
		}
	}
	return a.Identity.User(ctx, u.ID)
}

// demoSecret derives a fixed secret of the demo from a label: the same on every install and
// every start, and published (demo data only).
func demoSecret(label string) []byte {
	h := sha256.Sum256([]byte("dompet demo: " + label))
	return h[:]
}

// demoMerchantKey is a demo merchant's API key: a test key (sk_test_), the same on every start.
func demoMerchantKey(name string) string {
	return merchant.TestKeyPrefix + base64.RawURLEncoding.EncodeToString(demoSecret("merchant "+name))
}

// ensureDemoMerchant finds the demo merchant by its fixed key, or creates it with that key.
func ensureDemoMerchant(ctx context.Context, a *app.App, name string) (demoMerchant, error) {
	key := demoMerchantKey(name)
	m, err := a.Merchants.Authenticate(ctx, key)
	switch {
	case err == nil:
		return demoMerchant{ID: m.ID, Name: m.Name, APIKey: key}, nil
	case !errors.Is(err, merchant.ErrUnauthenticated):
		return demoMerchant{}, fmt.Errorf("demo merchant %s: %w", name, err)
	}
	c, err := a.Merchants.CreateWithKey(ctx, name, "", key)
	if err != nil {
		return demoMerchant{}, fmt.Errorf("demo merchant %s: %w", name, err)
	}
	return demoMerchant{ID: c.ID, Name: name, APIKey: key, Created: true}, nil
}

// ensureDemoStaff makes sure every team has its demo supervisor and agent (the general team
// also a second agent and an admin), each with a fixed, published TOTP secret.
func ensureDemoStaff(ctx context.Context, a *app.App) ([]web.DemoAgent, error) {
	teams, err := a.Staff.Teams(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo staff: %w", err)
	}
	members, err := a.Staff.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo staff: %w", err)
	}
	have := map[string]staff.Staff{}
	for _, m := range members {
		have[m.Email] = m
	}
	var out []web.DemoAgent
	for _, t := range teams {
		specs := demoStaffSpecs
		if t.Slug == staff.DefaultTeam {
			specs = append(slices.Clip(specs), demoGeneralStaff...)
		}
		for _, s := range specs {
			email := s.local + "." + t.Slug + "@dompet.localhost"
			secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(demoSecret("agent " + email)[:20])
			st, ok := have[email]
			if !ok {
				if st, err = a.Staff.CreateWithSecret(ctx, email, s.name, s.role, t.Slug, demoAgentPassword, secret); err != nil {
					return nil, fmt.Errorf("demo staff %s: %w", email, err)
				}
			}
			out = append(out, web.DemoAgent{Email: st.Email, Name: st.Name, Role: st.Role, Team: st.Team,
				TOTPSecret: secret, OTPAuthURL: otpauthURL(st.Email, secret)})
		}
	}
	return out, nil
}

// otpauthURL is the content of the QR code an authenticator app scans (the Key URI Format of
// Google Authenticator), with the settings of Dompet's TOTP: SHA-1, 6 digits, 30 s.
func otpauthURL(account, secret string) string {
	q := url.Values{"secret": {secret}, "issuer": {"Dompet"}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return (&url.URL{Scheme: "otpauth", Host: "totp", Path: "/Dompet:" + account, RawQuery: q.Encode()}).String()
}

// IDR amounts in minor units (sen).
const rupiah = 100

// demoActivity moves the demo's money. Every step has a fixed Idempotency-Key, so a later run
// replays the first outcome instead of moving money again.
func demoActivity(ctx context.Context, a *app.App, sum *demoSummary) error {
	alice, budi, li := sum.Users[0], sum.Users[1], sum.Users[2]
	kopi, buku := sum.Merchants[0].ID, sum.Merchants[1].ID
	w := a.Wallet
	call := func(u demoUser, key string) wallet.Call {
		return wallet.Call{User: u.party, Key: key, Hash: "demo:" + key}
	}
	// step records one movement; want is the failure code the step is meant to meet ("" for
	// success): the failed payment is part of the demo, any other failure stops it.
	step := func(u demoUser, key, what, want string, tx wallet.Transaction, err error) (wallet.Transaction, error) {
		if code := fault.Code(err); err != nil && (code == "" || code != want) {
			return tx, fmt.Errorf("demo %s (%s, %s): %w", key, u.Email, what, err)
		}
		if err == nil && want != "" {
			return tx, fmt.Errorf("demo %s (%s, %s): succeeded, meant to fail with %s", key, u.Email, what, want)
		}
		tx.Localize(identity.LocaleEN)
		sum.Activity = append(sum.Activity, demoStep{Key: key, Who: u.Email, What: what, Transaction: tx.ID,
			Status: tx.Status, FailureCode: fault.Code(err), FailureReason: tx.FailureReason})
		return tx, nil
	}
	topUp := func(u demoUser, key string, amount int64, currency, source, ref string) error {
		tx, err := w.TopUp(ctx, call(u, key), wallet.TopUpInput{Amount: amount, Currency: currency,
			Source: wallet.Source{Type: source, Reference: ref}})
		_, err = step(u, key, "top-up by "+source, "", tx, err)
		return err
	}
	pay := func(u demoUser, key, merchant string, amount int64, order, want string) (wallet.Transaction, error) {
		in := wallet.PayInput{MerchantID: merchant, Amount: amount, Currency: "IDR", OrderRef: order, PIN: demoPIN}
		tx, err := w.Pay(ctx, call(u, key), in)
		if err != nil && tx.ID == "" && fault.Code(err) == want {
			// A refusal answers with no transaction; its replay shows the one kept in the
			// history, so that every run reports the same.
			tx, err = w.Pay(ctx, call(u, key), in)
		}
		return step(u, key, "payment "+order, want, tx, err)
	}

	if err := topUp(alice, "demo-1", 2_500_000*rupiah, "IDR", "bank_transfer", "BCA 8800123456"); err != nil {
		return err
	}
	if err := topUp(budi, "demo-2", 150_000*rupiah, "IDR", "card", "VISA 4242"); err != nil {
		return err
	}
	if err := topUp(li, "demo-3", 1_000_000*rupiah, "IDR", "bank_transfer", "BNI 0091234567"); err != nil {
		return err
	}
	if err := topUp(li, "demo-4", 800_00, "CNY", "card", "UnionPay 6212"); err != nil {
		return err
	}
	coffee, err := pay(alice, "demo-5", kopi, 25_000*rupiah, "KOPI-0001", "")
	if err != nil {
		return err
	}
	books, err := pay(alice, "demo-6", buku, 185_000*rupiah, "BUKU-0001", "")
	if err != nil {
		return err
	}
	if _, err := pay(budi, "demo-7", kopi, 18_000*rupiah, "KOPI-0002", ""); err != nil {
		return err
	}
	if _, err := pay(li, "demo-8", buku, 120_000*rupiah, "BUKU-0002", ""); err != nil {
		return err
	}
	tx, err := w.Transfer(ctx, call(alice, "demo-9"), wallet.TransferInput{To: budi.Phone, Amount: 50_000 * rupiah,
		Currency: "IDR", Note: "Makan siang kemarin", PIN: demoPIN})
	if _, err := step(alice, "demo-9", "transfer to "+budi.Email, "", tx, err); err != nil {
		return err
	}
	// Budi holds about IDR 180,000 by now: this one is refused and stays in his history.
	if _, err := pay(budi, "demo-10", buku, 450_000*rupiah, "BUKU-0003", "insufficient_balance"); err != nil {
		return err
	}
	// The sandbox bank never answers for accounts ending in 9999, so this withdrawal stays
	// pending (its hold expires after 7 days and gives the money back).
	tx, err = w.Withdraw(ctx, call(alice, "demo-11"), wallet.WithdrawInput{Amount: 300_000 * rupiah, Currency: "IDR", PIN: demoPIN,
		BankAccount: wallet.BankAccount{BankCode: "BCA", AccountNumber: "8800129999", HolderName: "Alice Wijaya"}})
	if _, err := step(alice, "demo-11", "withdrawal to BCA 8800129999", "", tx, err); err != nil {
		return err
	}
	// The coffee shop refunds part of Alice's order itself.
	tx, err = w.Refund(ctx, wallet.MerchantCall{MerchantID: kopi, Key: "demo-12", Hash: "demo:demo-12"},
		wallet.RefundInput{PaymentID: coffee.ID, Amount: 5_000 * rupiah, Reason: "One drink was out of stock"})
	if _, err := step(alice, "demo-12", "partial refund from Warung Kopi Demo", "", tx, err); err != nil {
		return err
	}
	// Alice changes rupiah into Singapore dollars for a trip: her second currency. A quote is
	// made on every run; the conversion's key replays the first one.
	q, err := w.QuoteFX(ctx, alice.party, wallet.QuoteInput{FromCurrency: "IDR", ToCurrency: "SGD", Amount: 500_000 * rupiah})
	if err != nil {
		return fmt.Errorf("demo FX quote: %w", err)
	}
	tx, err = w.Convert(ctx, call(alice, "demo-13"), wallet.ConvertInput{QuoteID: q.ID, PIN: demoPIN})
	if _, err := step(alice, "demo-13", "conversion IDR to SGD", "", tx, err); err != nil {
		return err
	}
	rr, err := ensureRefundRequest(ctx, w, alice.party, books.ID)
	if err != nil {
		return err
	}
	sum.RefundRequest = rr
	return nil
}

// ensureRefundRequest files Alice's refund request on the book order unless one exists:
// refund requests carry no idempotency key.
func ensureRefundRequest(ctx context.Context, w *wallet.Wallet, u wallet.Party, paymentID string) (string, error) {
	f := wallet.Filter{Limit: 200}
	for {
		page, err := w.RefundRequests(ctx, u.ID, f)
		if err != nil {
			return "", fmt.Errorf("demo refund request: %w", err)
		}
		for _, r := range page.Items {
			if r.TransactionID == paymentID {
				return r.ID, nil
			}
		}
		if page.NextCursor == nil {
			break
		}
		f.Cursor = *page.NextCursor
	}
	rr, err := w.RequestRefund(ctx, u, wallet.RefundRequestInput{TransactionID: paymentID, Amount: 185_000 * rupiah,
		Reason: "The shop sent the wrong book: I ordered the 2025 edition and received the 2019 one."})
	if err != nil {
		return "", fmt.Errorf("demo refund request: %w", err)
	}
	return rr.ID, nil
}
