package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/wallet"
)

// Currency exchange (/app/fx) and sending abroad (/app/remit): the form asks for a quote,
// which fixes the rate and the fee until it expires; the confirmation shows them with the
// expiry and takes the PIN. The quote is spent once, and the confirmation's idempotency key
// makes a double submit one movement.

func (s *Site) fxRoutes() []front.Route {
	var rs []front.Route
	for _, k := range []string{"fx", "remit"} {
		rs = append(rs,
			front.Route{Pattern: "GET /app/" + k, Page: true, Handler: s.signedIn(s.fxForm(k))},
			front.Route{Pattern: "POST /app/" + k, Page: true, Handler: s.signedIn(s.fxQuote(k))},
			front.Route{Pattern: "POST /app/" + k + "/confirm", Page: true, Handler: s.signedIn(s.fxConfirm(k))})
	}
	return rs
}

// commonCurrencies are offered besides the user's own (the API refuses one Dompet does not
// support with currency_not_supported, which the page shows).
var commonCurrencies = []string{"IDR", "CNY", "USD", "SGD"}

// fxData is the form, the quote's confirmation, or a refusal after confirming.
type fxData struct {
	Kind       string // fx | remit
	From, To   string
	Amount     string
	Currencies []string
	Banks      []wallet.BankInfo
	Recipient  wallet.Recipient
	Quote      wallet.Quote
	Key        string
	// A refusal after confirming.
	Tx       *wallet.Transaction
	NextStep string
	NextText string
}

func (s *Site) fxData(r *http.Request, v *View, kind string) (*fxData, error) {
	d := &fxData{Kind: kind}
	sum, err := s.o.Services.Wallet.Summary(r.Context(), party(v.User))
	if err != nil {
		return nil, err
	}
	for _, b := range sum.Balances {
		d.Currencies = append(d.Currencies, b.Currency)
	}
	for _, c := range commonCurrencies {
		if !slices.Contains(d.Currencies, c) {
			d.Currencies = append(d.Currencies, c)
		}
	}
	if kind == "remit" {
		if d.Banks, err = s.o.Services.Wallet.Banks(r.Context()); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *Site) fxForm(kind string) func(http.ResponseWriter, *http.Request, *View) {
	return func(w http.ResponseWriter, r *http.Request, v *View) {
		d, err := s.fxData(r, v, kind)
		if err != nil {
			s.fail(w, r, "error", v, err)
			return
		}
		d.From, d.To = d.Currencies[0], "SGD"
		if d.From == d.To {
			d.To = "IDR"
		}
		v.Data = d
		s.render(w, r, 0, "fx", v)
	}
}

func readRecipient(r *http.Request) wallet.Recipient {
	f := func(n string) string { return strings.TrimSpace(r.PostFormValue(n)) }
	return wallet.Recipient{Name: f("recipient_name"), Country: strings.ToUpper(f("country")), BankCode: f("bank_code"), AccountNumber: f("account_number")}
}

// fxQuote asks for a quote and shows it for confirmation.
func (s *Site) fxQuote(kind string) func(http.ResponseWriter, *http.Request, *View) {
	return func(w http.ResponseWriter, r *http.Request, v *View) {
		d, err := s.fxData(r, v, kind)
		if err != nil {
			s.fail(w, r, "error", v, err)
			return
		}
		d.From, d.To, d.Amount = r.PostFormValue("from"), r.PostFormValue("to"), strings.TrimSpace(r.PostFormValue("amount"))
		d.Recipient = readRecipient(r)
		v.Data = d
		minor, ok := parseAmount(d.Amount, d.From)
		if !ok {
			s.failPage(w, r, v, "fx", amountError(v))
			return
		}
		if kind == "remit" {
			var val fault.Validation // checked now, so that the person fixes it before the quote runs out
			val.Check(len(d.Recipient.Name) > 0, "recipient_name", fault.MsgRequired)
			val.Check(len(d.Recipient.AccountNumber) > 0, "account_number", fault.MsgRequired)
			if err := val.Err(); err != nil {
				s.fail(w, r, "fx", v, err)
				return
			}
		}
		purpose := wallet.PurposeConversion
		if kind == "remit" {
			purpose = wallet.PurposeRemittance
		}
		q, err := s.o.Services.Wallet.QuoteFX(r.Context(), party(v.User), wallet.QuoteInput{FromCurrency: d.From, ToCurrency: d.To, Amount: minor, Purpose: purpose})
		if err != nil {
			s.fail(w, r, "fx", v, err)
			return
		}
		d.Quote, d.Key = q, newKey()
		s.render(w, r, 0, "fxconfirm", v)
	}
}

// fxConfirm converts or sends at the quote. The confirmation's figures come back in hidden
// fields only to show them again after a wrong PIN; the wallet uses the stored quote.
func (s *Site) fxConfirm(kind string) func(http.ResponseWriter, *http.Request, *View) {
	return func(w http.ResponseWriter, r *http.Request, v *View) {
		d := &fxData{Kind: kind, Key: r.PostFormValue("key"), Recipient: readRecipient(r)}
		d.Quote = quoteEcho(r)
		v.Data = d
		raw := kind + "|" + d.Quote.ID + "|" + d.Recipient.Name + "|" + d.Recipient.Country + "|" + d.Recipient.BankCode + "|" + d.Recipient.AccountNumber
		sum := sha256.Sum256([]byte(raw))
		c := wallet.Call{User: party(v.User), Key: d.Key, Hash: hex.EncodeToString(sum[:])}
		pin, wal := r.PostFormValue("pin"), s.o.Services.Wallet
		var tx wallet.Transaction
		var err error
		if kind == "fx" {
			tx, err = wal.Convert(r.Context(), c, wallet.ConvertInput{QuoteID: d.Quote.ID, PIN: pin})
		} else {
			tx, err = wal.Remit(r.Context(), c, wallet.RemitInput{QuoteID: d.Quote.ID, Recipient: d.Recipient, PIN: pin})
		}
		if err == nil {
			http.Redirect(w, r, "/app/history/"+tx.ID+"?done="+kind, http.StatusSeeOther)
			return
		}
		switch fault.Code(err) {
		case "invalid_pin", "invalid_request", "rate_limited":
			s.fail(w, r, "fxconfirm", v, err)
			return
		}
		if tx.ID != "" {
			tx.Localize(v.Lang.String())
			d.Tx = &tx
		}
		d.NextStep, d.NextText = nextStep(fault.Code(err), kind)
		s.fail(w, r, "refused", v, err) // fxData has the fields the page reads
	}
}

// quoteEcho reads back the quote a confirmation page showed.
func quoteEcho(r *http.Request) wallet.Quote {
	f := r.PostFormValue
	q := wallet.Quote{ID: f("quote_id"), Rate: f("rate")}
	num := func(n string) int64 {
		x, _ := parseMinor(f(n))
		return x
	}
	q.Amount.Amount, q.Amount.Currency = num("q_amount"), f("q_from")
	q.Fee.Amount, q.Fee.Currency = num("q_fee"), f("q_from")
	q.Total.Amount, q.Total.Currency = num("q_total"), f("q_from")
	q.Receive.Amount, q.Receive.Currency = num("q_receive"), f("q_to")
	q.ExpiresAt, _ = time.Parse(time.RFC3339, f("q_expires"))
	return q
}

// parseMinor reads an integer amount in minor units.
func parseMinor(s string) (int64, bool) {
	var n int64
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
