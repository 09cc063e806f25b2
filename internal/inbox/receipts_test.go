package inbox_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/inbox"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/wallet"
)

// world is a Dompet without HTTP: two users (alice in English, bob in Chinese), a merchant,
// and a recorder standing for the SMS and email providers.
type world struct {
	ctx        context.Context
	a          *app.App
	sent       *notify.Recorder
	alice, bob identity.User
	merchant   string
	n          int
}

// worldPIN is the payment PIN of the world's users.
const worldPIN = "739154"

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.SandboxSettleAfter = time.Microsecond // due at the first Settle
	sent := notify.NewRecorder(nil, 100)
	a, err := app.New(ctx, cfg, nil, app.Options{DB: dbtest.Open(t), Notify: sent,
		Identity: identity.Options{Argon2: identity.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	w := &world{ctx: ctx, a: a, sent: sent}
	reg := func(phone, name, locale string) identity.User {
		u, err := a.Identity.Register(ctx, identity.RegisterInput{Phone: phone, Email: strings.ToLower(name) + "@example.com",
			Password: "Kopi-Susu-42-Gula", DisplayName: name, Locale: locale})
		if err != nil {
			t.Fatal(err)
		}
		// Ready to send money: a verified phone and the payment PIN.
		if err := a.Identity.MarkVerified(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if err := a.Identity.SetPIN(ctx, identity.SetPINInput{UserID: u.ID, PIN: worldPIN, Password: "Kopi-Susu-42-Gula"}); err != nil {
			t.Fatal(err)
		}
		if u, err = a.Identity.User(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		return u
	}
	w.alice = reg("+6281100000001", "Alice", "en")
	w.bob = reg("+6281100000002", "Bob", "zh-CN")
	m, err := a.Merchants.Create(ctx, "Toko Kopi", "")
	if err != nil {
		t.Fatal(err)
	}
	w.merchant = m.ID
	return w
}

func (w *world) call(u identity.User) wallet.Call {
	w.n++
	return wallet.Call{User: app.Party(u), Key: fmt.Sprintf("k%d", w.n), Hash: fmt.Sprintf("h%d", w.n)}
}

// receipts counts the notifications and receipt outbox messages of each user by kind.
func (w *world) receipts(t *testing.T) (map[string]int, int) {
	t.Helper()
	rows, err := w.a.DB.Query(w.ctx, "SELECT user_id, kind FROM notifications")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]int{}
	for rows.Next() {
		var u, k string
		if err := rows.Scan(&u, &k); err != nil {
			t.Fatal(err)
		}
		got[u+" "+k]++
	}
	var msgs int
	if err := w.a.DB.QueryRow(w.ctx, "SELECT COUNT(*) FROM outbox_messages WHERE topic = ?", inbox.Topic).Scan(&msgs); err != nil {
		t.Fatal(err)
	}
	return got, msgs
}

// Every money movement writes its receipts with it, for each user it touches, and a refused
// movement writes none.
func TestReceiptsCommitWithTheirMovement(t *testing.T) {
	w := newWorld(t)
	ctx := w.ctx
	var payment string
	received := map[string]string{} // currency → what the first quote into it gives, as shown (the others quote the same amount or are refused)
	quote := func(to string, amount int64, purpose string) string {
		q, err := w.a.Wallet.QuoteFX(ctx, app.Party(w.alice), wallet.QuoteInput{FromCurrency: "IDR", ToCurrency: to, Amount: amount, Purpose: purpose})
		if err != nil {
			t.Fatal(err)
		}
		if received[to] == "" {
			received[to] = q.Receive.String()
		}
		return q.ID
	}
	remit := func(u identity.User, amount int64, account string) error {
		_, err := w.a.Wallet.Remit(ctx, w.call(u), wallet.RemitInput{QuoteID: quote("SGD", amount, wallet.PurposeRemittance), PIN: worldPIN,
			Recipient: wallet.Recipient{Name: "Tan", Country: "SG", BankCode: "DBSSSGSG", AccountNumber: account}})
		return err
	}
	bank := func(number string) wallet.BankAccount {
		return wallet.BankAccount{BankCode: "BCA", AccountNumber: number, HolderName: "Alice"}
	}
	steps := []struct {
		name    string
		run     func() error
		refused bool
		want    []string // "alice payment_made", …
	}{
		{"top-up", func() error {
			_, err := w.a.Wallet.TopUp(ctx, w.call(w.alice), wallet.TopUpInput{Amount: 1_000_000_00, Currency: "IDR",
				Source: wallet.Source{Type: "bank_transfer", Reference: "BCA-1"}})
			return err
		}, false, []string{"alice topup_credited"}},
		{"top-up declined", func() error {
			_, err := w.a.Wallet.TopUp(ctx, w.call(w.alice), wallet.TopUpInput{Amount: 100_00, Currency: "IDR",
				Source: wallet.Source{Type: "card", Reference: "sandbox:decline"}})
			return err
		}, true, nil},
		{"payment", func() error {
			tx, err := w.a.Wallet.Pay(ctx, w.call(w.alice), wallet.PayInput{MerchantID: w.merchant, Amount: 50_000_00, Currency: "IDR", OrderRef: "o-1", PIN: worldPIN})
			payment = tx.ID
			return err
		}, false, []string{"alice payment_made"}},
		{"payment over the balance", func() error {
			_, err := w.a.Wallet.Pay(ctx, w.call(w.alice), wallet.PayInput{MerchantID: w.merchant, Amount: 5_000_000_00, Currency: "IDR", OrderRef: "o-2", PIN: worldPIN})
			return err
		}, true, nil},
		{"transfer", func() error {
			_, err := w.a.Wallet.Transfer(ctx, w.call(w.alice), wallet.TransferInput{To: w.bob.Phone, Amount: 20_000_00, Currency: "IDR", PIN: worldPIN})
			return err
		}, false, []string{"alice transfer_sent", "bob money_received"}},
		{"transfer over the balance", func() error {
			_, err := w.a.Wallet.Transfer(ctx, w.call(w.bob), wallet.TransferInput{To: w.alice.Phone, Amount: 900_000_00, Currency: "IDR", PIN: worldPIN})
			return err
		}, true, nil},
		{"refund", func() error {
			_, err := w.a.Wallet.Refund(ctx, wallet.MerchantCall{MerchantID: w.merchant, Key: "r1", Hash: "r1"},
				wallet.RefundInput{PaymentID: payment, Amount: 10_000_00, Reason: "out of stock"})
			return err
		}, false, []string{"alice refund_received"}},
		{"refund beyond the payment", func() error {
			_, err := w.a.Wallet.Refund(ctx, wallet.MerchantCall{MerchantID: w.merchant, Key: "r2", Hash: "r2"},
				wallet.RefundInput{PaymentID: payment, Amount: 50_000_00, Reason: "again"})
			return err
		}, true, nil},
		{"withdrawal asked (pending: no receipt yet)", func() error {
			_, err := w.a.Wallet.Withdraw(ctx, w.call(w.alice), wallet.WithdrawInput{Amount: 10_000_00, Currency: "IDR", BankAccount: bank("1234567"), PIN: worldPIN})
			return err
		}, false, nil},
		{"withdrawal settled", func() error {
			_, err := w.a.Wallet.Settle(ctx)
			return err
		}, false, []string{"alice withdrawal_settled"}},
		{"withdrawal rejected by the bank", func() error {
			if _, err := w.a.Wallet.Withdraw(ctx, w.call(w.alice), wallet.WithdrawInput{Amount: 10_000_00, Currency: "IDR", BankAccount: bank("1230000"), PIN: worldPIN}); err != nil {
				return err
			}
			_, err := w.a.Wallet.Settle(ctx)
			return err
		}, false, []string{"alice withdrawal_failed"}},
		{"withdrawal over the balance", func() error {
			_, err := w.a.Wallet.Withdraw(ctx, w.call(w.bob), wallet.WithdrawInput{Amount: 900_000_00, Currency: "IDR", BankAccount: bank("7654321"), PIN: worldPIN})
			return err
		}, true, nil},
		{"conversion", func() error {
			_, err := w.a.Wallet.Convert(ctx, w.call(w.alice), wallet.ConvertInput{QuoteID: quote("USD", 100_000_00, ""), PIN: worldPIN})
			return err
		}, false, []string{"alice fx_converted"}},
		{"conversion over the balance", func() error {
			_, err := w.a.Wallet.Convert(ctx, w.call(w.alice), wallet.ConvertInput{QuoteID: quote("USD", 5_000_000_00, ""), PIN: worldPIN})
			return err
		}, true, nil},
		{"remittance sent (pending)", func() error { return remit(w.alice, 100_000_00, "0123456789") },
			false, []string{"alice remittance_sent"}},
		{"remittance settled", func() error {
			_, err := w.a.Wallet.Settle(ctx)
			return err
		}, false, []string{"alice remittance_settled"}},
		{"remittance rejected by the bank", func() error {
			if err := remit(w.alice, 100_000_00, "0123450000"); err != nil {
				return err
			}
			_, err := w.a.Wallet.Settle(ctx)
			return err
		}, false, []string{"alice remittance_sent", "alice remittance_failed"}},
		{"remittance over the balance", func() error { return remit(w.alice, 5_000_000_00, "0123456789") }, true, nil},
	}
	names := map[string]string{w.alice.ID: "alice", w.bob.ID: "bob"}
	for _, s := range steps {
		before, beforeMsgs := w.receipts(t)
		err := s.run()
		if s.refused != (err != nil) {
			t.Fatalf("%s: err %v, refused %v", s.name, err, s.refused)
		}
		after, afterMsgs := w.receipts(t)
		var got []string
		for k, n := range after {
			for range n - before[k] {
				id, kind, _ := strings.Cut(k, " ")
				got = append(got, names[id]+" "+kind)
			}
		}
		if strings.Join(sorted(got), ",") != strings.Join(sorted(s.want), ",") {
			t.Errorf("%s: receipts %v, want %v", s.name, got, s.want)
		}
		if afterMsgs-beforeMsgs != len(s.want) {
			t.Errorf("%s: %d receipt messages in the outbox, want %d", s.name, afterMsgs-beforeMsgs, len(s.want))
		}
	}

	// Delivered: one SMS and one email per receipt to the user's verified phone and email, in
	// the profile's language, with the notification id as its id. (The verification codes
	// sent at registration are not receipts.)
	if _, err := w.a.Outbox.DispatchOnce(ctx); err != nil {
		t.Fatal(err)
	}
	byTo := map[string][]string{}
	ids := map[string]bool{}
	emails := 0
	for _, r := range w.sent.Recent() {
		if strings.Contains(r.Message.Text, "verification code") || strings.Contains(r.Message.Text, "验证码") {
			continue
		}
		if r.Message.Channel == notify.Email {
			emails++
			continue
		}
		byTo[r.Message.To] = append(byTo[r.Message.To], r.Message.Text)
		ids[r.Message.ID] = true
	}
	if emails != 12 {
		t.Errorf("%d receipts by email, want 12 (one per SMS: the emails are verified)", emails)
	}
	t.Logf("alice's SMS:\n%s", strings.Join(byTo[w.alice.Phone], "\n"))
	if len(byTo[w.alice.Phone]) != 11 || len(byTo[w.bob.Phone]) != 1 {
		t.Fatalf("SMS sent: %v", byTo)
	}
	if got := byTo[w.bob.Phone][0]; got != "Dompet: Alice 向您转账 IDR 20,000.00。" {
		t.Errorf("bob's SMS %q", got)
	}
	joined := strings.Join(byTo[w.alice.Phone], "\n")
	bankRejected := func(locale string) string { return wallet.Reason(locale, wallet.FailBankRejected, nil) }
	for _, want := range []string{"You paid IDR 50,000.00 to Toko Kopi.", "Your withdrawal of IDR 10,000.00 failed: ", "Toko Kopi refunded you IDR 10,000.00.",
		"You converted IDR 100,000.00 to " + received["USD"] + ".",
		"Your remittance of IDR 100,000.00 to Tan is on its way; they will receive " + received["SGD"] + ".",
		"Your remittance of IDR 100,000.00 to Tan was paid out: they received " + received["SGD"] + ".",
		"Your remittance of IDR 100,000.00 to Tan failed: " + bankRejected("en")} {
		if !strings.Contains(joined, want) {
			t.Errorf("alice's SMS lack %q:\n%s", want, joined)
		}
	}
	// The same receipts in Chinese, as the list shows them to a zh-CN client.
	zh, err := w.a.Inbox.List(ctx, w.alice.ID, "zh-CN", inbox.Filter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var zhTexts []string
	for _, n := range zh.Items {
		zhTexts = append(zhTexts, n.Title+" | "+n.Body)
	}
	zhJoined := strings.Join(zhTexts, "\n")
	for _, want := range []string{"换汇成功 | 您已将 IDR 100,000.00 兑换为 " + received["USD"] + "。",
		"汇款已提交 | 您向 Tan 汇出的 IDR 100,000.00 正在处理中，对方将收到 " + received["SGD"] + "。",
		"汇款成功 | 您向 Tan 汇出的 IDR 100,000.00 已到账，对方收到 " + received["SGD"] + "。",
		"汇款失败 | 您向 Tan 汇出的 IDR 100,000.00 未能完成：" + bankRejected("zh-CN")} {
		if !strings.Contains(zhJoined, want) {
			t.Errorf("alice's notifications in zh-CN lack %q:\n%s", want, zhJoined)
		}
	}
	var n int
	if err := w.a.DB.QueryRow(ctx, "SELECT COUNT(*) FROM notifications").Scan(&n); err != nil || len(ids) != n {
		t.Errorf("%d distinct message ids for %d notifications (%v)", len(ids), n, err)
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
