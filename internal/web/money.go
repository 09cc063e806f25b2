package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/money"
	"github.com/dompet/dompet/internal/wallet"
)

// The money forms: top-up, pay, transfer and withdraw, each in two steps. The form posts to
// itself and gets a confirmation page showing the amount, the fee, the total and who gets
// the money; that page carries a fresh random idempotency key, so the confirm button pressed
// twice, or the result reloaded, moves the money once.

// moneyKinds are the forms, by path, with the fee kind each is quoted as.
var moneyKinds = map[string]string{"topup": "topup", "pay": wallet.FeePayment, "transfer": wallet.FeeTransfer, "withdraw": wallet.FeeWithdrawal}

// moneyKind is k if it names a money form, else "other" (for catalogue keys).
func moneyKind(k string) string {
	if _, ok := moneyKinds[k]; ok || k == "fx" || k == "remit" {
		return k
	}
	return "other"
}

func (s *Site) moneyRoutes() []front.Route {
	var rs []front.Route
	for _, k := range []string{"topup", "pay", "transfer", "withdraw"} {
		rs = append(rs,
			front.Route{Pattern: "GET /app/" + k, Page: true, Handler: s.signedIn(s.moneyForm(k))},
			front.Route{Pattern: "POST /app/" + k, Page: true, Handler: s.signedIn(s.moneyQuote(k))},
			front.Route{Pattern: "POST /app/" + k + "/confirm", Page: true, Handler: s.signedIn(s.moneyConfirm(k))})
	}
	return rs
}

// moneyInput is what a money form holds, as typed; the confirmation page carries it in
// hidden fields. Its JSON (without the PIN) is the request digest of the idempotency key.
type moneyInput struct {
	Amount        string `json:"amount"`
	Currency      string `json:"currency"`
	Source        string `json:"source,omitempty"`    // top-up: bank_transfer | card
	Reference     string `json:"reference,omitempty"` // top-up: the bank transfer or card reference
	MerchantID    string `json:"merchant_id,omitempty"`
	OrderRef      string `json:"order_ref,omitempty"`
	To            string `json:"to,omitempty"` // transfer: phone, email or id
	Note          string `json:"note,omitempty"`
	BankCode      string `json:"bank_code,omitempty"`
	AccountNumber string `json:"account_number,omitempty"`
	HolderName    string `json:"holder_name,omitempty"`
	// Next is where to go once the money moved (a checkout that waited for a top-up); not
	// part of the request digest: it moves no money.
	Next string `json:"-"`
}

func readMoneyInput(r *http.Request) moneyInput {
	f := func(n string) string { return strings.TrimSpace(r.PostFormValue(n)) }
	return moneyInput{Amount: f("amount"), Currency: f("currency"), Source: f("source"), Reference: f("reference"),
		MerchantID: f("merchant_id"), OrderRef: f("order_ref"), To: f("to"), Note: r.PostFormValue("note"),
		BankCode: f("bank_code"), AccountNumber: f("account_number"), HolderName: f("holder_name"), Next: nextOf(f("next"))}
}

// nextOf keeps a page to come back to only when it is one of this site's (safeNext);
// anything else is dropped.
func nextOf(next string) string {
	if next == "" || safeNext(next) != next {
		return ""
	}
	return next
}

// moneyData is a money page: the form, its confirmation, or the refused result.
type moneyData struct {
	Kind       string
	In         moneyInput
	Currencies []string
	Banks      []wallet.BankInfo
	Saved      []wallet.SavedBankAccount
	// The confirmation.
	Minor     int64
	Quote     wallet.FeeQuote
	Recipient string // who gets the money: a transfer's masked name, a merchant's display name
	Key       string // the idempotency key of the confirm form
	// A refusal after confirming.
	Tx       *wallet.Transaction // the failed movement, when one was recorded
	NextStep string              // where to go about it
	NextText string              // catalogue key of that link
}

// moneyForm shows the empty form (a link may fill some fields: ?merchant_id=, ?to=, ?amount=).
func (s *Site) moneyForm(kind string) func(http.ResponseWriter, *http.Request, *View) {
	return func(w http.ResponseWriter, r *http.Request, v *View) {
		q := r.URL.Query()
		in := moneyInput{Amount: q.Get("amount"), Currency: q.Get("currency"), MerchantID: q.Get("merchant_id"),
			OrderRef: q.Get("order_ref"), To: q.Get("to"), Source: "bank_transfer", Next: nextOf(q.Get("next"))}
		d, err := s.moneyData(r, v, kind, in)
		if err != nil {
			s.fail(w, r, "error", v, err)
			return
		}
		v.Data = d
		s.render(w, r, 0, "money", v)
	}
}

// moneyData fills the choices of a form: the user's currencies, and for a withdrawal the
// banks and the saved accounts.
func (s *Site) moneyData(r *http.Request, v *View, kind string, in moneyInput) (*moneyData, error) {
	d := &moneyData{Kind: kind, In: in}
	sum, err := s.o.Services.Wallet.Summary(r.Context(), party(v.User))
	if err != nil {
		return nil, err
	}
	for _, b := range sum.Balances {
		d.Currencies = append(d.Currencies, b.Currency)
	}
	if d.In.Currency == "" && len(d.Currencies) > 0 {
		d.In.Currency = d.Currencies[0]
	}
	if kind == "withdraw" {
		if d.Banks, err = s.o.Services.Wallet.Banks(r.Context()); err != nil {
			return nil, err
		}
		saved, err := s.o.Services.Wallet.BankAccounts(r.Context(), v.User.ID, wallet.Filter{Limit: 50})
		if err != nil {
			return nil, err
		}
		d.Saved = saved.Items
	}
	return d, nil
}

// moneyQuote checks the form and shows what it will cost, with a fresh idempotency key.
func (s *Site) moneyQuote(kind string) func(http.ResponseWriter, *http.Request, *View) {
	return func(w http.ResponseWriter, r *http.Request, v *View) {
		in := readMoneyInput(r)
		if id := r.PostFormValue("saved"); id != "" && kind == "withdraw" {
			s.useSaved(r, v, id, &in)
		}
		d, err := s.moneyData(r, v, kind, in)
		if err != nil {
			s.fail(w, r, "error", v, err)
			return
		}
		v.Data = d
		if err := s.quote(r, v, d); err != nil {
			s.failPage(w, r, v, "money", err)
			return
		}
		d.Key = newKey()
		s.render(w, r, 0, "confirm", v)
	}
}

// useSaved fills the bank fields from one of the user's saved accounts.
func (s *Site) useSaved(r *http.Request, v *View, id string, in *moneyInput) {
	saved, err := s.o.Services.Wallet.BankAccounts(r.Context(), v.User.ID, wallet.Filter{Limit: 50})
	if err != nil {
		return
	}
	for _, a := range saved.Items {
		if a.ID == id {
			in.BankCode, in.AccountNumber, in.HolderName = a.BankCode, a.AccountNumber, a.HolderName
		}
	}
}

// quote reads the amount and asks for the fee (and a transfer's recipient's masked name).
func (s *Site) quote(r *http.Request, v *View, d *moneyData) error {
	minor, ok := parseAmount(d.In.Amount, d.In.Currency)
	if !ok {
		return amountError(v)
	}
	d.Minor = minor
	w := s.o.Services.Wallet
	feeKind := moneyKinds[d.Kind]
	if d.Kind == "topup" && d.In.Source == "card" {
		feeKind = wallet.FeeTopupCard
	}
	q, err := w.QuoteFee(feeKind, minor, d.In.Currency, "")
	if err != nil {
		return err
	}
	d.Quote = q
	switch d.Kind {
	case "transfer":
		rn, err := w.LookupRecipient(r.Context(), party(v.User), front.ClientIP(r), d.In.To)
		if err != nil {
			return err
		}
		d.Recipient = rn.DisplayName
	case "pay":
		if d.In.MerchantID == "" {
			return fault.Invalid("merchant_id", fault.MsgRequired)
		}
		// The payer sees whom they pay before the PIN; an unknown id stops here.
		name, err := w.MerchantName(r.Context(), d.In.MerchantID)
		if fault.Code(err) == "not_found" {
			// The API's words, also beside the field to correct.
			e := s.explain(err, v.Lang)
			e.Errors = append(e.Errors, FieldError{Field: "merchant_id", Message: e.Detail})
			return pageError{e}
		}
		if err != nil {
			return err
		}
		d.Recipient = name
	}
	return nil
}

// amountError is the refusal of an amount the page could not read.
func amountError(v *View) error {
	return pageError{Explanation{Status: http.StatusUnprocessableEntity, Code: "invalid_request", Title: v.T("wallet.money.bad_amount"),
		Errors: []FieldError{{Field: "amount", Message: v.T("wallet.money.bad_amount_hint")}}}}
}

// pageError is a refusal the page words itself (the API never sees the form's text).
type pageError struct{ e Explanation }

func (p pageError) Error() string { return p.e.Code + ": " + p.e.Title }

// moneyConfirm moves the money under the form's idempotency key. A wrong PIN or a field to
// fix shows the confirmation again (same key: nothing was decided); any other refusal shows
// the API's words and a next step.
func (s *Site) moneyConfirm(kind string) func(http.ResponseWriter, *http.Request, *View) {
	return func(w http.ResponseWriter, r *http.Request, v *View) {
		in := readMoneyInput(r)
		d := &moneyData{Kind: kind, In: in, Key: r.PostFormValue("key")}
		v.Data = d
		minor, ok := parseAmount(in.Amount, in.Currency)
		if !ok || d.Key == "" {
			s.failPage(w, r, v, "money", amountError(v))
			return
		}
		d.Minor = minor
		raw, _ := json.Marshal(struct {
			Kind string `json:"kind"`
			moneyInput
		}{kind, in}) // cannot fail: strings only
		sum := sha256.Sum256(raw)
		c := wallet.Call{User: party(v.User), Key: d.Key, Hash: hex.EncodeToString(sum[:])}
		tx, err := s.move(r, c, kind, in, minor, r.PostFormValue("pin"))
		if err == nil {
			to := "/app/history/" + tx.ID + "?done=" + kind
			if in.Next != "" {
				to = in.Next // back to what waited for the money (a checkout)
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		switch fault.Code(err) {
		case "invalid_pin", "invalid_request", "rate_limited":
			// Nothing was decided: the same confirmation, the same key.
			if q, qerr := s.o.Services.Wallet.QuoteFee(feeKindOf(kind, in), minor, in.Currency, ""); qerr == nil {
				d.Quote = q
			}
			switch kind {
			case "transfer":
				d.Recipient = r.PostFormValue("recipient")
			case "pay":
				d.Recipient, _ = s.o.Services.Wallet.MerchantName(r.Context(), in.MerchantID)
			}
			s.fail(w, r, "confirm", v, err)
			return
		}
		if tx.ID != "" {
			tx.Localize(v.Lang.String())
			d.Tx = &tx
		}
		d.NextStep, d.NextText = nextStep(fault.Code(err), kind)
		s.fail(w, r, "refused", v, err)
	}
}

// failPage shows a page-worded refusal.
func (s *Site) failPage(w http.ResponseWriter, r *http.Request, v *View, page string, err error) {
	if p, ok := err.(pageError); ok {
		v.Problem = &p.e
		s.render(w, r, p.e.Status, page, v)
		return
	}
	s.fail(w, r, page, v, err)
}

func feeKindOf(kind string, in moneyInput) string {
	if kind == "topup" && in.Source == "card" {
		return wallet.FeeTopupCard
	}
	return moneyKinds[kind]
}

// move calls the wallet for one form.
func (s *Site) move(r *http.Request, c wallet.Call, kind string, in moneyInput, minor int64, pin string) (wallet.Transaction, error) {
	w, ctx := s.o.Services.Wallet, r.Context()
	switch kind {
	case "topup":
		return w.TopUp(ctx, c, wallet.TopUpInput{Amount: minor, Currency: in.Currency, Source: wallet.Source{Type: in.Source, Reference: in.Reference}})
	case "pay":
		return w.Pay(ctx, c, wallet.PayInput{MerchantID: in.MerchantID, Amount: minor, Currency: in.Currency, OrderRef: in.OrderRef, PIN: pin})
	case "transfer":
		return w.Transfer(ctx, c, wallet.TransferInput{To: in.To, Amount: minor, Currency: in.Currency, Note: in.Note, PIN: pin})
	default:
		return w.Withdraw(ctx, c, wallet.WithdrawInput{Amount: minor, Currency: in.Currency, PIN: pin,
			BankAccount: wallet.BankAccount{BankCode: in.BankCode, AccountNumber: in.AccountNumber, HolderName: in.HolderName}})
	}
}

// nextStep is where a person goes about a refusal, and the catalogue key of the link: top
// up for too little money, verify the phone, reset a locked PIN, try again after an outage,
// else the help center's guide.
func nextStep(code, kind string) (href, label string) {
	switch code {
	case "insufficient_balance":
		return "/app/topup", "wallet.next.topup"
	case "limit_exceeded":
		return "/app", "wallet.next.limits"
	case "phone_unverified":
		return "/register/verify", "wallet.next.verify"
	case "pin_required":
		return "/register/pin", "wallet.next.pin"
	case "pin_locked":
		return "/app/security", "wallet.next.security"
	case "provider_unavailable", "provider_declined", "idempotency_conflict", "quote_expired":
		return "/app/" + kind, "wallet.next.retry"
	case "account_restricted", "risk_review", "account_locked":
		return "/contact", "wallet.next.contact"
	}
	return "/help/guide/payment_failed", "wallet.next.help"
}

// newKey is a fresh idempotency key for a confirmation form.
func newKey() string {
	var b [18]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail on supported systems
	return "web-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// parseAmount reads an amount typed in major units ("25000", "25,000.50") into minor units
// of currency; grouping commas and spaces are allowed, more decimals than the currency has
// are not.
func parseAmount(s, currency string) (int64, bool) {
	cur, ok := money.Lookup(currency)
	if !ok {
		return 0, false
	}
	s = strings.NewReplacer(",", "", " ", "", "_", "").Replace(strings.TrimSpace(s))
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && (frac == "" || len(frac) > cur.Exponent)) {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, false
			}
		}
	}
	frac += strings.Repeat("0", cur.Exponent-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n <= 0 || len(whole) > 15 {
		return 0, false
	}
	return n, true
}
