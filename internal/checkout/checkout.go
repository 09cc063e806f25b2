// Package checkout is the online payment of a merchant's site: the merchant creates a checkout
// (amount, order, where to send the customer back), the customer opens its Dompet page, sees
// the merchant, the amount and the fee, and pays with the PIN; the customer is sent back to the
// merchant's return URL and the merchant gets signed webhooks.
//
// A checkout is paid through the wallet's payment path (PIN, limits, failure reasons,
// receipts, the merchant's payment webhook) under an idempotency key derived from the checkout,
// so a double press or a reload pays once; the checkout's move to succeeded is a conditional
// update carried by the payment's ledger transfer (wallet.PayWith), so money and status commit
// together or not at all, and only one payment can ever win a checkout.
//
// Statuses: open → succeeded | failed | cancelled | expired. A refused payment (insufficient
// balance, a limit, …) leaves the checkout open, with the failure shown to the customer who
// tried, so that they can top up and pay again; after MaxAttempts refused payments it becomes
// failed. Expired is not stored: an open checkout past expires_at reads as expired, and every
// change from open (pay, cancel) checks the time in the same statement.
package checkout

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/ledger"
	"github.com/dompet/dompet/internal/merchant"
	"github.com/dompet/dompet/internal/money"
	"github.com/dompet/dompet/internal/wallet"
)

// Statuses of a checkout.
const (
	StatusOpen      = "open"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
	StatusExpired   = "expired"
)

// Statuses lists them, for documentation.
var Statuses = []string{StatusOpen, StatusSucceeded, StatusFailed, StatusCancelled, StatusExpired}

// EventSucceeded is the merchant webhook sent when a checkout is paid, beside payment.succeeded.
const EventSucceeded = "checkout.succeeded"

// Bounds of expires_in, in seconds.
const (
	DefaultExpiresIn = 30 * 60
	MinExpiresIn     = 60
	MaxExpiresIn     = 7 * 24 * 3600
	maxReturnURL     = 2048
)

// Failures of this package.
var (
	ErrNotFound = fault.New("not_found", "").Saying(fault.MsgCheckoutNotFound)
	// ErrClosed: the checkout is no longer open (paid, failed or cancelled).
	ErrClosed = fault.New("invalid_state", "").Saying(fault.MsgCheckoutClosed)
	// ErrExpired: the checkout is past its expiry; nothing more can be done with it.
	ErrExpired             = fault.New("invalid_state", "").Saying(fault.MsgCheckoutExpired)
	ErrIdempotencyConflict = fault.New("idempotency_conflict", "the Idempotency-Key was used with a different request")
)

// Options configure a Service.
type Options struct {
	DB        *db.DB
	Wallet    *wallet.Wallet
	Merchants *merchant.Service
	// PublicURL is the base of the checkout pages' URLs (DOMPET_PUBLIC_URL), without a
	// trailing slash.
	PublicURL string
	// Sandbox lets return URLs use http:// on a loopback host (DOMPET_SANDBOX).
	Sandbox bool
	// MaxAttempts is how many refused payments an open checkout takes before it fails.
	// Default 5.
	MaxAttempts int
	Now         func() time.Time
}

// Service creates, shows, pays and cancels checkouts.
type Service struct {
	db  *db.DB
	w   *wallet.Wallet
	m   *merchant.Service
	o   Options
	now func() time.Time
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	return &Service{db: o.DB, w: o.Wallet, m: o.Merchants, o: o, now: o.Now}
}

// MerchantRef names the merchant of a checkout.
type MerchantRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Checkout is a checkout as its merchant sees it.
type Checkout struct {
	ID             string      `json:"id"`
	URL            string      `json:"url" doc:"the Dompet page where the customer pays"`
	Status         string      `json:"status" enum:"open,succeeded,failed,cancelled,expired"`
	ExpiresAt      time.Time   `json:"expires_at"`
	Amount         int64       `json:"amount"`
	Currency       string      `json:"currency"`
	OrderRef       string      `json:"order_ref"`
	ReturnURL      string      `json:"return_url"`
	Merchant       MerchantRef `json:"merchant"`
	PaymentID      string      `json:"payment_id,omitempty" doc:"the payment, once succeeded"`
	FailedAttempts int         `json:"failed_attempts" doc:"payments refused so far (insufficient balance, a limit, …); the checkout fails after 5"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`

	payerID, failureCode, failureTx, failureUser string
	key, hash                                    string
}

// CreateInput is a merchant's new checkout.
type CreateInput struct {
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	OrderRef  string `json:"order_ref" doc:"the merchant's order reference, 1-128 characters"`
	ReturnURL string `json:"return_url" doc:"where the customer is sent back, with ?checkout_id=…&status=…: https:// (http:// on a loopback host in sandbox mode), at most 2048 characters"`
	ExpiresIn int64  `json:"expires_in,omitempty" doc:"seconds the checkout stays open: 60 to 604800, default 1800"`
}

// Create makes a checkout for merchantID under the merchant's Idempotency-Key: the same key
// and body answer the same checkout, another body idempotency_conflict.
func (s *Service) Create(ctx context.Context, merchantID, key, hash string, in CreateInput) (Checkout, error) {
	var v fault.Validation
	v.Check(key != "" && len(key) <= 255, "Idempotency-Key", fault.MsgRequiredKey)
	v.Check(in.Amount > 0, "amount", fault.MsgPositiveAmount)
	v.Check(in.Currency != "", "currency", fault.MsgRequired)
	n := utf8.RuneCountInString(strings.TrimSpace(in.OrderRef))
	v.Check(n >= 1 && utf8.RuneCountInString(in.OrderRef) <= 128, "order_ref", fault.MsgRequiredMax, 128)
	if msg, ok := s.checkReturnURL(in.ReturnURL); !ok {
		v.Add("return_url", msg)
	}
	exp := in.ExpiresIn
	if exp == 0 {
		exp = DefaultExpiresIn
	}
	v.Check(exp >= MinExpiresIn && exp <= MaxExpiresIn, "expires_in", fault.MsgWholeNumberRange, MinExpiresIn, MaxExpiresIn)
	if err := v.Err(); err != nil {
		return Checkout{}, err
	}
	// The fee quote checks the currency (and that amount plus fee fits), as a payment will.
	if _, err := s.w.QuoteFee(wallet.FeePayment, in.Amount, in.Currency, ""); err != nil {
		return Checkout{}, err
	}
	m, err := s.m.Get(ctx, merchantID)
	if err != nil {
		return Checkout{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	c := Checkout{ID: id.New("chk"), Status: StatusOpen, ExpiresAt: now.Add(time.Duration(exp) * time.Second),
		Amount: in.Amount, Currency: in.Currency, OrderRef: in.OrderRef, ReturnURL: in.ReturnURL,
		Merchant: MerchantRef{ID: m.ID, Name: m.Name}, CreatedAt: now, UpdatedAt: now, key: key, hash: hash}
	if err := s.insert(ctx, c); err != nil {
		return Checkout{}, fmt.Errorf("create checkout: %w", err)
	}
	got, err := s.byKey(ctx, merchantID, key)
	if err != nil {
		return Checkout{}, fmt.Errorf("create checkout: %w", err)
	}
	if got.hash != hash {
		return Checkout{}, ErrIdempotencyConflict
	}
	got.Merchant.Name = m.Name
	return s.finish(got), nil
}

// checkReturnURL says whether raw may be a return URL: absolute https, or http on a loopback
// host in sandbox mode; no user info (https://bank.example@evil.example reads as a bank).
func (s *Service) checkReturnURL(raw string) (fault.Msg, bool) {
	if raw == "" {
		return fault.MsgRequired, false
	}
	u, err := url.Parse(raw)
	if len(raw) > maxReturnURL || err != nil || u.Host == "" || u.Hostname() == "" || u.User != nil || u.Opaque != "" {
		return fault.MsgReturnURL, false
	}
	switch {
	case u.Scheme == "https":
		return 0, true
	case u.Scheme == "http" && s.o.Sandbox && loopback(u.Hostname()):
		return 0, true
	}
	return fault.MsgReturnURL, false
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Merchant returns merchantID's checkout id as the merchant sees it; another merchant's is
// not found.
func (s *Service) Merchant(ctx context.Context, merchantID, id string) (Checkout, error) {
	c, err := s.get(ctx, id)
	if err != nil {
		return Checkout{}, err
	}
	if c.Merchant.ID != merchantID {
		return Checkout{}, ErrNotFound
	}
	return c, nil
}

// get reads a checkout with its status as of now and its merchant's name.
func (s *Service) get(ctx context.Context, id string) (Checkout, error) {
	c, err := s.byID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return Checkout{}, ErrNotFound
	}
	if err != nil {
		return Checkout{}, fmt.Errorf("checkout %s: %w", id, err)
	}
	m, err := s.m.Get(ctx, c.Merchant.ID)
	if err != nil {
		return Checkout{}, fmt.Errorf("checkout %s: %w", id, err)
	}
	c.Merchant.Name = m.Name
	return s.finish(c), nil
}

// finish fills what is derived: the page's URL and, past expiry, the expired status.
func (s *Service) finish(c Checkout) Checkout {
	c.URL = s.o.PublicURL + "/checkout/" + url.PathEscape(c.ID)
	if c.Status == StatusOpen && !s.now().Before(c.ExpiresAt) {
		c.Status = StatusExpired
	}
	return c
}

// View is a checkout as a logged-in customer sees it on the page, before and after paying.
type View struct {
	ID        string       `json:"id"`
	Status    string       `json:"status" enum:"open,succeeded,failed,cancelled,expired"`
	Merchant  MerchantRef  `json:"merchant"`
	Amount    int64        `json:"amount"`
	Currency  string       `json:"currency"`
	Fee       money.Amount `json:"fee" doc:"what the customer pays on top of the amount"`
	Total     money.Amount `json:"total" doc:"amount plus fee: what leaves the wallet"`
	OrderRef  string       `json:"order_ref"`
	ExpiresAt time.Time    `json:"expires_at"`
	// PaymentID is shown to the payer alone.
	PaymentID string `json:"payment_id,omitempty" doc:"the payment: shown to the customer who paid, to nobody else"`
	// LastFailure is the viewer's own last refused attempt, while the checkout is open.
	LastFailure *Failure `json:"last_failure,omitempty" doc:"the viewer's last refused payment on this checkout (the transaction in their history has the reason)"`
	// ReturnTo is where to send the customer once the checkout is over.
	ReturnTo string `json:"return_to,omitempty" doc:"the merchant's return URL with checkout_id and status, once the checkout is no longer open"`
}

// Failure is a refused payment attempt.
type Failure struct {
	Code          string `json:"code"`
	TransactionID string `json:"transaction_id"`
}

// Get returns checkout id as userID sees it: any logged-in user may see and pay an open
// checkout (whoever has the link is the merchant's customer), but once it is paid, only the
// payer sees the payment.
func (s *Service) Get(ctx context.Context, userID, id string) (View, error) {
	c, err := s.get(ctx, id)
	if err != nil {
		return View{}, err
	}
	return s.view(c, userID)
}

func (s *Service) view(c Checkout, userID string) (View, error) {
	q, err := s.w.QuoteFee(wallet.FeePayment, c.Amount, c.Currency, "")
	if err != nil {
		return View{}, fmt.Errorf("checkout %s: fee: %w", c.ID, err)
	}
	v := View{ID: c.ID, Status: c.Status, Merchant: c.Merchant, Amount: c.Amount, Currency: c.Currency,
		Fee: q.Fee, Total: q.Total, OrderRef: c.OrderRef, ExpiresAt: c.ExpiresAt}
	if c.Status == StatusSucceeded && c.payerID == userID {
		v.PaymentID = c.PaymentID
	}
	if c.failureCode != "" && c.failureUser == userID && (c.Status == StatusOpen || c.Status == StatusFailed) {
		v.LastFailure = &Failure{Code: c.failureCode, TransactionID: c.failureTx}
	}
	if c.Status != StatusOpen {
		v.ReturnTo = ReturnURL(c)
	}
	return v, nil
}

// ReturnURL is where the customer goes back to the merchant: the return URL with
// checkout_id and status added to its query (status=succeeded|failed|cancelled|expired). The
// merchant must not trust it: GET /api/v1/merchant/checkouts/{id} or the webhook says.
func ReturnURL(c Checkout) string {
	u, err := url.Parse(c.ReturnURL)
	if err != nil { // checked when created
		return c.ReturnURL
	}
	q := u.Query()
	q.Set("checkout_id", c.ID)
	q.Set("status", c.Status)
	u.RawQuery = q.Encode()
	return u.String()
}

// Result is a payment made for a checkout, with the checkout after it.
type Result struct {
	Checkout View               `json:"checkout"`
	Payment  wallet.Transaction `json:"payment"`
}

// Pay pays checkout id from user's wallet with the PIN. The idempotency key is the
// checkout's (checkout:<id>:<refused attempts so far>), so concurrent or repeated calls
// pay once and answer the same payment; after a refusal (returned as the failed transaction
// with its fault, as wallet.Pay does) a new call is a new attempt. A checkout paid by someone
// else, cancelled, failed or expired is refused with invalid_state.
func (s *Service) Pay(ctx context.Context, user wallet.Party, id, pin string) (Result, error) {
	c, err := s.get(ctx, id)
	if err != nil {
		return Result{}, err
	}
	switch {
	case c.Status == StatusSucceeded && c.payerID == user.ID: // a reload: the payment made
		tx, err := s.w.Transaction(ctx, user.ID, c.PaymentID)
		if err != nil {
			return Result{}, fmt.Errorf("checkout %s: payment: %w", id, err)
		}
		v, err := s.view(c, user.ID)
		return Result{Checkout: v, Payment: tx}, err
	case c.Status == StatusExpired:
		return Result{}, ErrExpired
	case c.Status != StatusOpen:
		return Result{}, ErrClosed
	}
	attempt := c.FailedAttempts
	call := wallet.Call{User: user, Key: "checkout:" + c.ID + ":" + strconv.Itoa(attempt), Hash: "checkout:" + c.ID}
	in := wallet.PayInput{MerchantID: c.Merchant.ID, Amount: c.Amount, Currency: c.Currency, OrderRef: c.OrderRef, PIN: pin}
	tx, payErr := s.w.PayWith(ctx, call, in, func(p wallet.Transaction) (wallet.PayExtra, error) {
		now := s.now().UTC()
		ex := wallet.PayExtra{Updates: []ledger.Update{{
			SQL: `UPDATE checkouts SET status = 'succeeded', payment_id = ?, payer_id = ?, updated_at = ?
				WHERE id = ? AND status = 'open' AND expires_at > ?`,
			Args:   []any{p.ID, user.ID, now.UnixMicro(), c.ID, now.UnixMicro()},
			Reject: ErrClosed}}}
		row, ok, err := s.m.EventRow(ctx, c.Merchant.ID, EventSucceeded, map[string]any{
			"checkout_id": c.ID, "status": StatusSucceeded, "payment_id": p.ID, "amount": c.Amount,
			"currency": c.Currency, "order_ref": c.OrderRef, "created_at": p.CreatedAt})
		if err != nil {
			return wallet.PayExtra{}, fmt.Errorf("checkout %s: event: %w", c.ID, err)
		}
		if ok {
			ex.Rows = append(ex.Rows, row)
		}
		return ex, nil
	})
	if payErr != nil && tx.ID != "" && tx.Status == wallet.StatusFailed && fault.Code(payErr) != "" && !errors.Is(payErr, ErrClosed) {
		// A refused payment, recorded in the user's history: count it, so that the next call
		// is a new attempt under a new key (the customer may top up and pay again).
		if err := s.refused(ctx, c.ID, attempt, tx, user.ID); err != nil {
			return Result{}, err
		}
	}
	after, err := s.get(ctx, id)
	if err != nil {
		return Result{}, err
	}
	v, err := s.view(after, user.ID)
	if err != nil {
		return Result{}, err
	}
	if payErr != nil {
		if errors.Is(payErr, ErrClosed) { // the update refused it: say why now
			switch after.Status {
			case StatusExpired:
				payErr = ErrExpired
			case StatusSucceeded:
				if after.payerID == user.ID && after.PaymentID != "" { // ours, decided by another call
					if p, err := s.w.Transaction(ctx, user.ID, after.PaymentID); err == nil {
						return Result{Checkout: v, Payment: p}, nil
					}
				}
			}
		}
		return Result{Checkout: v, Payment: tx}, payErr
	}
	return Result{Checkout: v, Payment: tx}, nil
}

// Cancel cancels an open checkout: the customer gives up and goes back to the merchant.
// Cancelling a cancelled checkout answers it again.
func (s *Service) Cancel(ctx context.Context, userID, id string) (View, error) {
	now := s.now().UTC().UnixMicro()
	res, err := s.db.Exec(ctx, `UPDATE checkouts SET status = 'cancelled', updated_at = ?
		WHERE id = ? AND status = 'open' AND expires_at > ?`, now, id, now)
	if err != nil {
		return View{}, fmt.Errorf("cancel checkout %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	c, err := s.get(ctx, id)
	if err != nil {
		return View{}, err
	}
	switch {
	case n == 0 && c.Status == StatusExpired:
		return View{}, ErrExpired
	case n == 0 && c.Status != StatusCancelled:
		return View{}, ErrClosed
	}
	return s.view(c, userID)
}
