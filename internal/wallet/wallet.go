// Package wallet holds the money operations users and merchants ask for — top-up, paying a
// merchant, P2P transfer, withdrawal, refunds, currency conversion and remittance — on top of
// the ledger. It applies fees and tier limits, talks to the (sandbox) banks and card
// processors, and keeps each owner's transaction history, failed attempts included with the
// reason they failed, so that the user and a support agent can see why.
package wallet

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/ledger"
	"github.com/dompet/dompet/internal/money"
)

// Failures of wallet operations (codes from the public API).
var (
	ErrInsufficientBalance = fault.New("insufficient_balance", "the balance is too low")
	ErrLimitExceeded       = fault.New("limit_exceeded", "a limit of the account tier would be exceeded")
	ErrAccountRestricted   = fault.New("account_restricted", "the account is restricted")
	ErrPhoneUnverified     = fault.New("phone_unverified", "verify your phone number before sending money")
	ErrCurrency            = fault.New("currency_not_supported", "the currency is not supported")
	ErrQuoteExpired        = fault.New("quote_expired", "the quote has expired")
	ErrRefundNotAllowed    = fault.New("refund_not_allowed", "the refund is not allowed")
	ErrProviderDeclined    = fault.New("provider_declined", "the provider declined the operation")
	ErrProviderUnavailable = fault.New("provider_unavailable", "the provider is unavailable; try again later")
	ErrIdempotencyConflict = fault.New("idempotency_conflict", "the Idempotency-Key was used with a different request")
	ErrInvalidState        = fault.New("invalid_state", "the operation does not fit the current state")
	ErrNotFound            = fault.New("not_found", "not found")
)

// Party is a user as the wallet needs to know them.
type Party struct {
	ID     string
	Name   string
	Tier   string // basic | verified
	Status string // active | locked | restricted
	Locale string
	// PhoneVerified: money goes out only once the phone is proved (phone_unverified); money
	// comes in regardless.
	PhoneVerified bool
}

// Users finds users for P2P transfers; the identity service implements it.
type Users interface {
	Lookup(ctx context.Context, login string) (Party, error)
}

// Merchants is what the wallet needs of the merchant service.
type Merchants interface {
	Name(ctx context.Context, merchantID string) (string, error)
	// EventRow returns an outbox row announcing an event to the merchant, written in the
	// same transaction as the money movement; ok is false when there is nobody to tell.
	EventRow(ctx context.Context, merchantID, eventType string, data any) (row db.Row, ok bool, err error)
	Notify()
}

// Options configure a Wallet.
type Options struct {
	DB          *db.DB
	Ledger      *ledger.Ledger
	Users       Users
	Merchants   Merchants
	Receipts    Receipts // the users' receipts of their money movements; nil: none
	Currencies  money.Set
	Fees        Fees
	Limits      Limits
	Rates       Rates
	Funding     Funding       // card and bank-transfer top-ups
	Bank        Bank          // payouts: withdrawals and remittances
	Directory   BankDirectory // the banks users can be paid at, and account-holder inquiry
	SettleAfter time.Duration
	QuoteTTL    time.Duration    // how long an FX quote holds (default 60 s)
	RefundSLA   time.Duration    // when a merchant should have decided a refund request (default 72 h)
	PendingTTL  time.Duration    // a payout hold expires after this if never settled (default 7 days)
	Location    *time.Location   // where days and months start for limits (default UTC+7, WIB)
	Now         func() time.Time // clock, for tests
	Log         *slog.Logger
	// CheckPIN is asked before a payment, transfer, withdrawal, remittance or FX conversion
	// moves money: nil lets it go on (the right PIN); a failure (pin_required, invalid_pin,
	// pin_locked) refuses it without recording a transaction, so that a retry under the same
	// Idempotency-Key with the right PIN goes through. nil: no PINs (package tests).
	CheckPIN func(ctx context.Context, userID, pin string) error
	// LookupLimit is asked before each recipient lookup (and each favourite saved, which
	// tells as much): nil lets it go on, rate_limited refuses it. nil: no limit.
	LookupLimit func(userID, ip string) error
	// Hooks are told how calls under one Idempotency-Key proceed; nil outside tests.
	Hooks *Hooks
}

// Hooks let a test order the requests that race under one Idempotency-Key, instead of
// sleeping. Each is called in the request's goroutine with its context; a hook that blocks
// holds that request there.
type Hooks struct {
	Run  func(ctx context.Context, key string) // a call holds its key and starts its operation
	Wait func(ctx context.Context, key string) // a duplicate starts waiting for the call holding its key
}

func (h *Hooks) run(ctx context.Context, key string) {
	if h != nil && h.Run != nil {
		h.Run(ctx, key)
	}
}

func (h *Hooks) wait(ctx context.Context, key string) {
	if h != nil && h.Wait != nil {
		h.Wait(ctx, key)
	}
}

// Wallet runs the money operations.
type Wallet struct {
	db  *db.DB
	l   *ledger.Ledger
	o   Options
	now func() time.Time

	flights sync.Map // owner|key → *flight: duplicates in this process wait for the first

	stampMu   sync.Mutex
	lastStamp time.Time
}

// New returns a Wallet.
func New(o Options) (*Wallet, error) {
	if o.DB == nil || o.Ledger == nil {
		return nil, errors.New("wallet: DB and Ledger are required")
	}
	if len(o.Currencies) == 0 {
		o.Currencies, _ = money.ParseSet("IDR,CNY,USD,SGD")
	}
	if o.Fees == nil {
		o.Fees = DefaultFees()
	}
	if o.Rates == nil {
		o.Rates = DefaultRates()
	}
	if o.Limits == nil {
		o.Limits = DefaultLimits(o.Rates, o.Currencies)
	}
	if o.Funding == nil || o.Bank == nil {
		sb := &Sandbox{}
		if o.Funding == nil {
			o.Funding = sb
		}
		if o.Bank == nil {
			o.Bank = sb
		}
	}
	if o.Directory == nil {
		o.Directory = &Sandbox{}
	}
	if o.QuoteTTL <= 0 {
		o.QuoteTTL = time.Minute
	}
	if o.RefundSLA <= 0 {
		o.RefundSLA = 72 * time.Hour
	}
	if o.PendingTTL <= 0 {
		o.PendingTTL = 7 * 24 * time.Hour
	}
	if o.Location == nil {
		o.Location = time.FixedZone("WIB", 7*3600)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Wallet{db: o.DB, l: o.Ledger, o: o, now: o.Now}, nil
}

// Operations that refuse a movement return the failed transaction they recorded together
// with the failure, as a replay of the same key does.

// checkPIN asks Options.CheckPIN about the caller's PIN.
func (w *Wallet) checkPIN(ctx context.Context, c Call, pin string) error {
	if w.o.CheckPIN == nil {
		return nil
	}
	return w.o.CheckPIN(ctx, c.User.ID, pin)
}

// refuseUnverified answers phone_unverified, with the failed transaction it records, when
// the caller's phone is not verified; otherwise it returns no error. The record keeps no
// Idempotency-Key (like a provider outage), so that the same key goes through once the phone
// is verified.
func (w *Wallet) refuseUnverified(ctx context.Context, c Call, kind string, amount int64, currency string, cp Counterparty) (Transaction, error) {
	if c.User.PhoneVerified {
		return Transaction{}, nil
	}
	rec := w.base(c, kind, amount, currency, 0)
	rec.counterparty = cp
	return w.fail(ctx, rec, ErrPhoneUnverified, false)
}

// Call is who asks for a money movement and under which idempotency key.
type Call struct {
	User Party
	Key  string // the client's Idempotency-Key
	Hash string // digest of the request body: the same key with another body is a conflict
}

func userOwner(id string) string     { return "user:" + id }
func merchantOwner(id string) string { return "merchant:" + id }

func (w *Wallet) currency(code string) (money.Currency, error) {
	if !w.o.Currencies.Has(code) {
		return money.Currency{}, ErrCurrency.With("currency", code)
	}
	c, _ := money.Lookup(code)
	return c, nil
}

// walletAccount returns the user's wallet account in currency, creating it with the
// balance ceiling of the user's tier.
func (w *Wallet) walletAccount(ctx context.Context, u Party, currency string) (string, error) {
	lim := w.o.Limits.For(u.Tier, currency)
	return w.l.Ensure(ctx, ledger.Spec{Owner: userOwner(u.ID), Kind: ledger.KindWallet, Currency: currency, NoOverdraft: true, MaxBalance: lim.MaxBalance})
}

func (w *Wallet) merchantAccount(ctx context.Context, merchantID, currency string) (string, error) {
	return w.l.Ensure(ctx, ledger.Spec{Owner: merchantOwner(merchantID), Kind: ledger.KindMerchant, Currency: currency, NoOverdraft: true})
}

// flight lets concurrent requests with one idempotency key share the first one's answer.
type flight struct {
	done chan struct{}
	hash string
	tx   Transaction
	err  error
}

// once runs op at most once per owner and key in this process, and answers replays (here or
// from another process, found in the store) with the first outcome.
func (w *Wallet) once(ctx context.Context, owner string, c Call, op func() (Transaction, error)) (Transaction, error) {
	k := owner + "|" + c.Key
	f := &flight{done: make(chan struct{}), hash: c.Hash}
	if v, loaded := w.flights.LoadOrStore(k, f); loaded {
		other := v.(*flight)
		w.o.Hooks.wait(ctx, c.Key)
		select {
		case <-other.done:
		case <-ctx.Done():
			return Transaction{}, ctx.Err()
		}
		if other.hash == c.Hash && (other.err == nil || fault.Code(other.err) != "") {
			return other.tx, other.err // a decision: the same answer (a cancelled or failed first decided nothing)
		}
		// Another body under the same key: a conflict if the first left an outcome,
		// otherwise (it was refused before deciding anything) this one runs on its own.
		if tx, err, found := w.stored(ctx, owner, c); found {
			return tx, err
		}
		return w.once(ctx, owner, c, op)
	}
	defer func() {
		close(f.done)
		w.flights.Delete(k)
	}()
	if tx, err, found := w.stored(ctx, owner, c); found {
		f.tx, f.err = tx, err
		return tx, err
	}
	w.o.Hooks.run(ctx, c.Key)
	f.tx, f.err = op()
	return f.tx, f.err
}

// stored finds the transaction made under the call's key: its first outcome, or a conflict
// when the body differs.
func (w *Wallet) stored(ctx context.Context, owner string, c Call) (Transaction, error, bool) {
	tx, err := w.byKey(ctx, owner, c.Key)
	if errors.Is(err, db.ErrNotFound) {
		return Transaction{}, nil, false
	}
	if err != nil {
		return Transaction{}, err, true
	}
	if tx.requestHash != c.Hash {
		return Transaction{}, ErrIdempotencyConflict, true
	}
	return tx, tx.failure(), true
}
