package wallet_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/ledger"
	"github.com/dompet/dompet/internal/merchant"
	"github.com/dompet/dompet/internal/wallet"
)

// directory resolves test users; the HTTP wiring uses the identity service instead.
type directory struct{ users map[string]wallet.Party }

func (d directory) Lookup(_ context.Context, login string) (wallet.Party, error) {
	if u, ok := d.users[login]; ok {
		return u, nil
	}
	return wallet.Party{}, wallet.ErrNotFound
}

// merchants adapts the real merchant service.
type merchants struct{ s *merchant.Service }

func (m merchants) Name(ctx context.Context, id string) (string, error) {
	x, err := m.s.Get(ctx, id)
	return x.Name, err
}
func (m merchants) EventRow(ctx context.Context, id, typ string, data any) (db.Row, bool, error) {
	return m.s.EventRow(ctx, id, typ, data)
}
func (m merchants) Notify() { m.s.Notify() }

type env struct {
	t        *testing.T
	ctx      context.Context
	d        *db.DB
	l        *ledger.Ledger
	w        *wallet.Wallet
	sandbox  *wallet.Sandbox
	shop     string
	alice    wallet.Party
	bob      wallet.Party
	now      atomic.Int64
	keys     atomic.Int64
	merchant *merchant.Service
}

func newEnv(t *testing.T) *env { return newEnvHooked(t, nil) }

// newEnvHooked is newEnv with a ledger Hook, to inject store failures.
func newEnvHooked(t *testing.T, hook func(ledger.Step, []string) error) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), d: dbtest.Open(t), sandbox: &wallet.Sandbox{}}
	e.now.Store(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).UnixMicro())
	clock := func() time.Time { return time.UnixMicro(e.now.Load()) }
	e.l = ledger.New(e.d, ledger.Options{Now: clock, Hook: hook})
	e.merchant = merchant.New(e.d, merchant.Options{Now: clock})
	m, err := e.merchant.Create(e.ctx, "Warung Kopi", "")
	if err != nil {
		t.Fatal(err)
	}
	e.shop = m.ID
	e.alice = wallet.Party{ID: "usr_alice", Name: "Alice", Tier: wallet.TierVerified, Status: "active", PhoneVerified: true}
	e.bob = wallet.Party{ID: "usr_bob", Name: "Bob", Tier: wallet.TierBasic, Status: "active", PhoneVerified: true}
	dir := directory{users: map[string]wallet.Party{"+6281200000001": e.alice, "+6281200000002": e.bob, "usr_bob": e.bob}}
	e.w, err = wallet.New(wallet.Options{DB: e.d, Ledger: e.l, Users: dir, Merchants: merchants{e.merchant},
		Funding: e.sandbox, Bank: e.sandbox, SettleAfter: time.Second, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rep, err := e.l.Verify(context.Background())
		if err != nil || !rep.OK() {
			t.Errorf("ledger verify after test: %v %v", err, rep.Problems)
		}
		e.l.Close()
	})
	return e
}

func (e *env) call(u wallet.Party) wallet.Call {
	return wallet.Call{User: u, Key: fmt.Sprintf("key-%d", e.keys.Add(1)), Hash: "h"}
}

// decision is the shop's call deciding a refund request under a fresh Idempotency-Key.
func (e *env) decision() wallet.MerchantCall {
	return wallet.MerchantCall{MerchantID: e.shop, Key: fmt.Sprintf("key-%d", e.keys.Add(1)), Hash: "h"}
}

func (e *env) topup(u wallet.Party, amount int64) {
	e.t.Helper()
	_, err := e.w.TopUp(e.ctx, e.call(u), wallet.TopUpInput{Amount: amount, Currency: "IDR", Source: wallet.Source{Type: "bank_transfer", Reference: "BCA-1"}})
	if err != nil {
		e.t.Fatalf("top-up: %v", err)
	}
}

func (e *env) available(u wallet.Party, cur string) int64 {
	e.t.Helper()
	s, err := e.w.Summary(e.ctx, u)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, b := range s.Balances {
		if b.Currency == cur {
			return b.Available
		}
	}
	return 0
}

func (e *env) advance(d time.Duration) { e.now.Add(int64(d / time.Microsecond)) }

func TestPaymentFeesAndHistory(t *testing.T) {
	e := newEnv(t)
	e.topup(e.alice, 1_000_000)
	tx, err := e.w.Pay(e.ctx, e.call(e.alice), wallet.PayInput{MerchantID: e.shop, Amount: 100_000, Currency: "IDR", OrderRef: "INV-1"})
	if err != nil {
		t.Fatal(err)
	}
	if tx.Status != wallet.StatusSucceeded || tx.Counterparty.Name != "Warung Kopi" {
		t.Fatalf("payment: %+v", tx)
	}
	if got := e.available(e.alice, "IDR"); got != 900_000 {
		t.Fatalf("alice has %d, want 900000", got)
	}
	bal, _ := e.w.MerchantBalances(e.ctx, e.shop)
	if len(bal) != 1 || bal[0].Available != 100_000-700 { // 0.7% MDR
		t.Fatalf("merchant balance %+v", bal)
	}
	mp, _ := e.w.MerchantPayments(e.ctx, e.shop, wallet.Filter{})
	if len(mp.Items) != 1 || mp.Items[0].Fee.Amount != 700 || mp.Items[0].ID != tx.ID {
		t.Fatalf("merchant payments %+v", mp.Items)
	}
}

func TestInsufficientBalanceIsRecordedAsFailed(t *testing.T) {
	e := newEnv(t)
	e.topup(e.alice, 50_000)
	c := e.call(e.alice)
	failed, err := e.w.Pay(e.ctx, c, wallet.PayInput{MerchantID: e.shop, Amount: 60_000, Currency: "IDR", OrderRef: "order-1"})
	if !errors.Is(err, wallet.ErrInsufficientBalance) || failed.Status != wallet.StatusFailed || failed.ID == "" {
		t.Fatalf("got %+v, %v", failed, err)
	}
	if f, _ := fault.As(err); f.Details["zh-CN"] == "" || f.Details["en"] == "" {
		t.Fatalf("refusal without explanations: %+v", f)
	}
	page, err := e.w.Transactions(e.ctx, e.alice.ID, wallet.Filter{Status: wallet.StatusFailed})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != failed.ID {
		t.Fatalf("failed list: %+v %v", page, err)
	}
	f := page.Items[0]
	f.Localize("zh-CN")
	if f.FailureCode != "insufficient_balance" || f.Kind != wallet.KindPayment || f.FailureReason == "" {
		t.Fatalf("failed tx: %+v", f)
	}
	// Replaying the key replays the refusal, even after a top-up.
	e.topup(e.alice, 50_000)
	if _, err := e.w.Pay(e.ctx, c, wallet.PayInput{MerchantID: e.shop, Amount: 60_000, Currency: "IDR", OrderRef: "order-1"}); !errors.Is(err, wallet.ErrInsufficientBalance) {
		t.Fatalf("replay: %v", err)
	}
	if got := e.available(e.alice, "IDR"); got != 100_000 {
		t.Fatalf("balance %d", got)
	}
}

func TestLimits(t *testing.T) {
	e := newEnv(t)
	// Basic tier holds at most IDR 2,000,000.
	_, err := e.w.TopUp(e.ctx, e.call(e.bob), wallet.TopUpInput{Amount: 2_000_000_01, Currency: "IDR", Source: wallet.Source{Type: "bank_transfer", Reference: "x"}})
	if !errors.Is(err, wallet.ErrLimitExceeded) {
		t.Fatalf("over max balance: %v", err)
	}
	if f, _ := fault.As(err); f.Fields["limit"] != "max_balance" {
		t.Fatalf("limit field %v", f.Fields)
	}
	e.topup(e.bob, 2_000_000_00)
	// P2P into a full basic wallet is refused as the recipient's limit.
	e.topup(e.alice, 5_000_000_00)
	_, err = e.w.Transfer(e.ctx, e.call(e.alice), wallet.TransferInput{To: "+6281200000002", Amount: 100, Currency: "IDR"})
	if f, _ := fault.As(err); f == nil || f.Code != "limit_exceeded" || f.Fields["limit"] != "recipient_max_balance" {
		t.Fatalf("recipient limit: %v", err)
	}
	// Per-transaction limit of the basic tier (IDR 2,000,000) with money to spare.
	_, err = e.w.Withdraw(e.ctx, e.call(e.bob), wallet.WithdrawInput{Amount: 2_000_000_01, Currency: "IDR",
		BankAccount: wallet.BankAccount{BankCode: "BCA", AccountNumber: "1234567", HolderName: "Bob"}})
	if f, _ := fault.As(err); f == nil || f.Fields["limit"] != "per_transaction" {
		t.Fatalf("per transaction: %v", err)
	}
	// Daily outgoing of the verified tier: IDR 20,000,000 (its balance cap is also 20M).
	for range 3 {
		e.topup(e.alice, 4_000_000_00)
	}
	for i := range 2 {
		if _, err := e.w.Pay(e.ctx, e.call(e.alice), wallet.PayInput{MerchantID: e.shop, Amount: 10_000_000_00, Currency: "IDR", OrderRef: "order-1"}); err != nil {
			t.Fatalf("payment %d: %v", i, err)
		}
		e.topup(e.alice, 4_000_000_00)
	}
	_, err = e.w.Pay(e.ctx, e.call(e.alice), wallet.PayInput{MerchantID: e.shop, Amount: 1, Currency: "IDR", OrderRef: "order-1"})
	if f, _ := fault.As(err); f == nil || f.Fields["limit"] != "daily_outgoing" {
		t.Fatalf("daily: %v", err)
	}
	e.advance(24 * time.Hour) // the next day the daily limit is fresh, the monthly one (40M) still counts
	if _, err := e.w.Pay(e.ctx, e.call(e.alice), wallet.PayInput{MerchantID: e.shop, Amount: 1, Currency: "IDR", OrderRef: "order-1"}); err != nil {
		t.Fatalf("next day: %v", err)
	}
}

func TestRestrictedAccount(t *testing.T) {
	e := newEnv(t)
	e.topup(e.alice, 100_000)
	r := e.alice
	r.Status = "restricted"
	_, err := e.w.Pay(e.ctx, e.call(r), wallet.PayInput{MerchantID: e.shop, Amount: 1_000, Currency: "IDR", OrderRef: "order-1"})
	if !errors.Is(err, wallet.ErrAccountRestricted) {
		t.Fatalf("got %v", err)
	}
}

func TestProviderOutageMovesNothingAndCanBeRetried(t *testing.T) {
	e := newEnv(t)
	c := e.call(e.alice)
	in := wallet.TopUpInput{Amount: 100_000_00, Currency: "IDR", Source: wallet.Source{Type: "card", Reference: "4111"}}
	e.sandbox.SetDown(true)
	_, err := e.w.TopUp(e.ctx, c, in)
	if !errors.Is(err, wallet.ErrProviderUnavailable) {
		t.Fatalf("outage: %v", err)
	}
	if got := e.available(e.alice, "IDR"); got != 0 {
		t.Fatalf("money moved during an outage: %d", got)
	}
	e.sandbox.SetDown(false)
	tx, err := e.w.TopUp(e.ctx, c, in)
	if err != nil {
		t.Fatalf("retry after outage: %v", err)
	}
	// Card top-ups pay 1.5%, deducted from what is credited.
	if tx.Fee.Amount != 1_500_00 || e.available(e.alice, "IDR") != 100_000_00-1_500_00 {
		t.Fatalf("fee %d, balance %d", tx.Fee.Amount, e.available(e.alice, "IDR"))
	}
	_, err = e.w.TopUp(e.ctx, e.call(e.alice), wallet.TopUpInput{Amount: 10_000_00, Currency: "IDR", Source: wallet.Source{Type: "card", Reference: "sandbox:decline"}})
	if !errors.Is(err, wallet.ErrProviderDeclined) {
		t.Fatalf("decline: %v", err)
	}
}

func TestWithdrawalSettlesOrComesBack(t *testing.T) {
	e := newEnv(t)
	e.topup(e.alice, 1_000_000)
	ok, err := e.w.Withdraw(e.ctx, e.call(e.alice), wallet.WithdrawInput{Amount: 100_000, Currency: "IDR",
		BankAccount: wallet.BankAccount{BankCode: "BCA", AccountNumber: "1234567890", HolderName: "Alice"}})
	if err != nil || ok.Status != wallet.StatusPending || ok.Fee.Amount != 2_500_00 {
		t.Fatalf("withdrawal: %+v %v", ok, err)
	}
	bad, err := e.w.Withdraw(e.ctx, e.call(e.alice), wallet.WithdrawInput{Amount: 200_000, Currency: "IDR",
		BankAccount: wallet.BankAccount{BankCode: "BCA", AccountNumber: "1234560000", HolderName: "Alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.available(e.alice, "IDR"); got != 1_000_000-100_000-200_000-2*2_500_00 {
		t.Fatalf("available while pending: %d", got)
	}
	if n, _ := e.w.Settle(e.ctx); n != 0 {
		t.Fatalf("settled %d before settle-after", n)
	}
	e.advance(2 * time.Second)
	if n, err := e.w.Settle(e.ctx); n != 2 || err != nil {
		t.Fatalf("settled %d, %v", n, err)
	}
	got, _ := e.w.Transaction(e.ctx, e.alice.ID, ok.ID)
	if got.Status != wallet.StatusSucceeded {
		t.Fatalf("good withdrawal: %+v", got)
	}
	got, _ = e.w.Transaction(e.ctx, e.alice.ID, bad.ID)
	if got.Status != wallet.StatusFailed || got.FailureCode != wallet.FailBankRejected {
		t.Fatalf("rejected withdrawal: %+v", got)
	}
	if got := e.available(e.alice, "IDR"); got != 1_000_000-100_000-2_500_00 {
		t.Fatalf("after settlement: %d (the rejected amount and its fee must come back)", got)
	}
	if n, _ := e.w.Settle(e.ctx); n != 0 {
		t.Fatalf("settled again: %d", n)
	}
}

func TestRefundsNeverExceedThePayment(t *testing.T) {
	e := newEnv(t)
	e.topup(e.alice, 1_000_000)
	pay, err := e.w.Pay(e.ctx, e.call(e.alice), wallet.PayInput{MerchantID: e.shop, Amount: 100_000, Currency: "IDR", OrderRef: "order-1"})
	if err != nil {
		t.Fatal(err)
	}
	// Give the merchant plenty so that only the refund cap can stop refunds.
	e.topup(e.bob, 100)
	var wg sync.WaitGroup
	var ok, refused atomic.Int64
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.w.Refund(e.ctx, wallet.MerchantCall{MerchantID: e.shop, Key: fmt.Sprintf("r%d", i), Hash: "h"},
				wallet.RefundInput{PaymentID: pay.ID, Amount: 30_000, Reason: "damaged"})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, wallet.ErrRefundNotAllowed), errors.Is(err, wallet.ErrInsufficientBalance):
				refused.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := e.w.Transaction(e.ctx, e.alice.ID, pay.ID)
	if got.Refunded > 100_000 || ok.Load()*30_000 != got.Refunded || ok.Load() == 0 {
		t.Fatalf("refunded %d in %d refunds (%d refused)", got.Refunded, ok.Load(), refused.Load())
	}
	if got := e.available(e.alice, "IDR"); got != 900_000+ok.Load()*30_000 {
		t.Fatalf("alice has %d", got)
	}
	list, err := e.w.Transactions(e.ctx, e.alice.ID, wallet.Filter{Kind: wallet.KindPayment})
	if err != nil || len(list.Items) != 1 || list.Items[0].Refunded != got.Refunded || len(list.Items[0].Refunds) != int(ok.Load()) {
		t.Fatalf("listed payment: %+v %v", list.Items, err)
	}
}

func TestRefundRequestFlow(t *testing.T) {
	e := newEnv(t)
	e.topup(e.alice, 1_000_000)
	pay, _ := e.w.Pay(e.ctx, e.call(e.alice), wallet.PayInput{MerchantID: e.shop, Amount: 100_000, Currency: "IDR", OrderRef: "order-1"})
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
	att, err := e.w.AddAttachment(e.ctx, e.alice.ID, "receipt.png", png)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.w.AddAttachment(e.ctx, e.alice.ID, "x.exe", []byte("MZ\x90\x00 not an image")); fault.Code(err) != "invalid_request" {
		t.Fatalf("exe accepted: %v", err)
	}
	if _, err := e.w.RequestRefund(e.ctx, e.alice, wallet.RefundRequestInput{TransactionID: pay.ID, Amount: 100_001, Reason: "x"}); !errors.Is(err, wallet.ErrRefundNotAllowed) {
		t.Fatalf("over-refund request: %v", err)
	}
	if _, err := e.w.RequestRefund(e.ctx, e.bob, wallet.RefundRequestInput{TransactionID: pay.ID, Amount: 1, Reason: "x"}); !errors.Is(err, wallet.ErrNotFound) {
		t.Fatalf("someone else's payment: %v", err)
	}
	rr, err := e.w.RequestRefund(e.ctx, e.alice, wallet.RefundRequestInput{TransactionID: pay.ID, Amount: 40_000, Reason: "Cold coffee", AttachmentIDs: []string{att.ID}})
	if err != nil || rr.Status != wallet.RequestSubmitted || !rr.ExpectedBy.After(rr.CreatedAt) {
		t.Fatalf("request: %+v %v", rr, err)
	}
	// Approvals racing: one wins and refunds once, the others are told it is decided.
	var wg sync.WaitGroup
	var won, lost atomic.Int32
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.w.DecideRefundRequest(e.ctx, e.decision(), rr.ID, wallet.Decision{Decision: "approve", Reason: "ok"})
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, wallet.ErrInvalidState):
				lost.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 || lost.Load() != 4 {
		t.Fatalf("%d approvals won, %d lost; want 1 and 4", won.Load(), lost.Load())
	}
	got, err := e.w.RefundRequest(e.ctx, e.alice.ID, rr.ID)
	if err != nil || got.Status != wallet.RequestRefunded || got.RefundID == "" {
		t.Fatalf("after approval: %+v %v", got, err)
	}
	if a := e.available(e.alice, "IDR"); a != 900_000+40_000 {
		t.Fatalf("alice has %d", a)
	}
	if _, err := e.w.DecideRefundRequest(e.ctx, e.decision(), rr.ID, wallet.Decision{Decision: "reject", Reason: "late"}); !errors.Is(err, wallet.ErrInvalidState) {
		t.Fatalf("decide twice: %v", err)
	}
	rr2, _ := e.w.RequestRefund(e.ctx, e.alice, wallet.RefundRequestInput{TransactionID: pay.ID, Amount: 10_000, Reason: "again"})
	got, err = e.w.DecideRefundRequest(e.ctx, e.decision(), rr2.ID, wallet.Decision{Decision: "reject", Reason: "no"})
	if err != nil || got.Status != wallet.RequestRejected || got.DecisionReason != "no" {
		t.Fatalf("reject: %+v %v", got, err)
	}
}

func TestFXConversionAndRemittance(t *testing.T) {
	e := newEnv(t)
	e.topup(e.alice, 10_000_000_00)
	q, err := e.w.QuoteFX(e.ctx, e.alice, wallet.QuoteInput{FromCurrency: "IDR", ToCurrency: "USD", Amount: 1_625_000_00})
	if err != nil {
		t.Fatal(err)
	}
	if q.Receive.Amount != 100_00 || q.Fee.Amount != 8_125_00 {
		t.Fatalf("quote: %+v", q)
	}
	tx, err := e.w.Convert(e.ctx, e.call(e.alice), wallet.ConvertInput{QuoteID: q.ID})
	if err != nil || tx.Kind != wallet.KindFXConversion {
		t.Fatalf("convert: %+v %v", tx, err)
	}
	if usd := e.available(e.alice, "USD"); usd != 100_00 {
		t.Fatalf("USD %d", usd)
	}
	if _, err := e.w.Convert(e.ctx, e.call(e.alice), wallet.ConvertInput{QuoteID: q.ID}); !errors.Is(err, wallet.ErrInvalidState) {
		t.Fatalf("quote reused: %v", err)
	}
	q2, _ := e.w.QuoteFX(e.ctx, e.alice, wallet.QuoteInput{FromCurrency: "IDR", ToCurrency: "SGD", Amount: 1_000_000_00})
	e.advance(2 * time.Minute)
	if _, err := e.w.Convert(e.ctx, e.call(e.alice), wallet.ConvertInput{QuoteID: q2.ID}); !errors.Is(err, wallet.ErrQuoteExpired) {
		t.Fatalf("expired quote: %v", err)
	}
	q3, _ := e.w.QuoteFX(e.ctx, e.alice, wallet.QuoteInput{FromCurrency: "IDR", ToCurrency: "SGD", Amount: 1_000_000_00, Purpose: "remittance"})
	rem, err := e.w.Remit(e.ctx, e.call(e.alice), wallet.RemitInput{QuoteID: q3.ID, Recipient: wallet.Recipient{Name: "Tan", Country: "SG", BankCode: "DBSSSGSG", AccountNumber: "0123456789"}})
	if err != nil || rem.Status != wallet.StatusPending {
		t.Fatalf("remit: %+v %v", rem, err)
	}
	e.advance(2 * time.Second)
	if _, err := e.w.Settle(e.ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := e.w.Transaction(e.ctx, e.alice.ID, rem.ID)
	if got.Status != wallet.StatusSucceeded {
		t.Fatalf("remittance: %+v", got)
	}
}

func TestSameKeyConcurrentlyAndConflicts(t *testing.T) {
	e := newEnv(t)
	e.topup(e.alice, 1_000_000)
	c := e.call(e.alice)
	in := wallet.TransferInput{To: "+6281200000002", Amount: 10_000, Currency: "IDR"}
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tx, err := e.w.Transfer(e.ctx, c, in)
			if err != nil {
				t.Error(err)
			}
			ids[i] = tx.ID
		}()
	}
	wg.Wait()
	for _, x := range ids {
		if x != ids[0] || x == "" {
			t.Fatalf("ids differ: %v", ids)
		}
	}
	if got := e.available(e.bob, "IDR"); got != 10_000 {
		t.Fatalf("bob received %d, want 10000 once", got)
	}
	c.Hash = "other body"
	if _, err := e.w.Transfer(e.ctx, c, in); !errors.Is(err, wallet.ErrIdempotencyConflict) {
		t.Fatalf("conflict: %v", err)
	}
}

// Go callers (the demo loader, benchmarks) get no HTTP layer in front: the wallet itself
// refuses a money movement without an idempotency key.
func TestMovementsNeedAKey(t *testing.T) {
	e := newEnv(t)
	e.topup(e.alice, 100_000)
	noKey := wallet.Call{User: e.alice, Hash: "h"}
	ops := map[string]func() error{
		"top-up": func() error {
			_, err := e.w.TopUp(e.ctx, noKey, wallet.TopUpInput{Amount: 1, Currency: "IDR", Source: wallet.Source{Type: "card", Reference: "x"}})
			return err
		},
		"payment": func() error {
			_, err := e.w.Pay(e.ctx, noKey, wallet.PayInput{MerchantID: e.shop, Amount: 1, Currency: "IDR", OrderRef: "order-1"})
			return err
		},
		"conversion": func() error { _, err := e.w.Convert(e.ctx, noKey, wallet.ConvertInput{QuoteID: "quo_x"}); return err },
		"refund": func() error {
			_, err := e.w.Refund(e.ctx, wallet.MerchantCall{MerchantID: e.shop}, wallet.RefundInput{PaymentID: "tx_x", Amount: 1})
			return err
		},
	}
	for name, op := range ops {
		f, ok := fault.As(op())
		if !ok || f.Code != "invalid_request" || f.Errs[0].Field != "Idempotency-Key" {
			t.Errorf("%s without a key: %v", name, f)
		}
	}
	if got := e.available(e.alice, "IDR"); got != 100_000 {
		t.Fatalf("balance %d", got)
	}
}
