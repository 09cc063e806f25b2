package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/wallet"
)

// party is the wallet's view of the logged-in user.
func party(u identity.User) wallet.Party {
	return wallet.Party{ID: u.ID, Name: u.DisplayName, Tier: string(u.Tier), Status: string(u.Status), Locale: u.Locale, PhoneVerified: u.PhoneVerified}
}

// moneyCall reads what every money-moving POST carries: the user, the Idempotency-Key and
// the body (decoded into v, hashed to detect a different body under the same key).
func moneyCall(r *http.Request, v any) (wallet.Call, error) {
	key, err := idempotencyKey(r)
	if err != nil {
		return wallet.Call{}, err
	}
	raw, err := decodeRaw(r, v)
	if err != nil {
		return wallet.Call{}, err
	}
	p, _ := userOf[identity.Principal](r)
	return wallet.Call{User: party(p.User), Key: key, Hash: requestHash(withoutPIN(raw))}, nil
}

// withoutPIN is the body as the idempotency hash sees it: members in a fixed order, no
// payment PIN and a card number masked, so that the stored hash can't be brute-forced back
// into a 6-digit PIN or a card number, and a retry that only corrects the PIN is the same
// request.
func withoutPIN(raw []byte) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return raw // decode already accepted it, so this does not happen
	}
	delete(m, "pin")
	if raw, ok := m["source"]; ok { // a card number is hashed masked, as it is stored
		var src map[string]json.RawMessage
		var ref string
		if json.Unmarshal(raw, &src) == nil && json.Unmarshal(src["reference"], &ref) == nil {
			src["reference"], _ = json.Marshal(wallet.MaskReference(ref))
			m["source"], _ = json.Marshal(src)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}

// writeTx answers with a transaction whose failure reason is in the caller's language.
func writeTx(w http.ResponseWriter, r *http.Request, status int, tx wallet.Transaction) error {
	tx.Localize(localeOf(r).String())
	return writeJSON(w, status, tx)
}

// moneyErrors are the refusals any outgoing money movement can meet.
var moneyErrors = []string{"insufficient_balance", "limit_exceeded", "account_restricted", "currency_not_supported",
	"phone_unverified", "pin_required", "invalid_pin", "pin_locked"}

func (s *Server) walletSummary(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	sum, err := s.wallet.Summary(r.Context(), party(p.User))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sum)
}

var walletSummaryDoc = operation{Summary: "Balances, tier and limits", Tag: "wallet", Response: wallet.Summary{}}

func (s *Server) topup(w http.ResponseWriter, r *http.Request) error {
	var req wallet.TopUpInput
	c, err := moneyCall(r, &req)
	if err != nil {
		return err
	}
	tx, err := s.wallet.TopUp(r.Context(), c, req)
	if err != nil {
		return err
	}
	return writeTx(w, r, http.StatusCreated, tx)
}

var topupDoc = operation{Summary: "Top up the wallet from a bank transfer or card", Tag: "wallet", Idempotent: true,
	Description: "The top-up fee is deducted from the amount credited. In the sandbox, `source.reference` `sandbox:decline` is declined and `sandbox:outage` meets an outage.",
	Request:     wallet.TopUpInput{}, Status: http.StatusCreated, Response: wallet.Transaction{},
	RequestExample: map[string]any{"amount": 5000000, "currency": "IDR",
		"source": map[string]any{"type": "bank_transfer", "reference": "BCA-20261130-0001"}},
	ResponseExample: txExample("topup", "bank", "BCA-20261130-0001", 5000000, 0),
	Errors:          []string{"provider_declined", "provider_unavailable", "limit_exceeded", "account_restricted", "currency_not_supported"}}

func (s *Server) pay(w http.ResponseWriter, r *http.Request) error {
	var req wallet.PayInput
	c, err := moneyCall(r, &req)
	if err != nil {
		return err
	}
	tx, err := s.wallet.Pay(r.Context(), c, req)
	if err != nil {
		return err
	}
	return writeTx(w, r, http.StatusCreated, tx)
}

var payDoc = operation{Summary: "Pay a merchant", Tag: "wallet", Idempotent: true,
	Description: "Debits amount plus the payer fee; a refused payment is kept in the history with its failure_code.",
	Request:     wallet.PayInput{}, Status: http.StatusCreated, Response: wallet.Transaction{},
	RequestExample: map[string]any{"merchant_id": "mer_01jf8z6k2m3n4p5q6r7s8t9v0w", "amount": 2500000, "currency": "IDR",
		"order_ref": "INV-2026-0042", "pin": "246810"},
	ResponseExample: txExample("payment", "merchant", "Toko Kopi Kenangan", 2500000, 0),
	Errors:          append([]string{"not_found"}, moneyErrors...)}

func (s *Server) transfer(w http.ResponseWriter, r *http.Request) error {
	var req wallet.TransferInput
	c, err := moneyCall(r, &req)
	if err != nil {
		return err
	}
	tx, err := s.wallet.Transfer(r.Context(), c, req)
	if err != nil {
		return err
	}
	return writeTx(w, r, http.StatusCreated, tx)
}

var transferDoc = operation{Summary: "Send money to another user (phone, email or id)", Tag: "wallet", Idempotent: true,
	Request: wallet.TransferInput{}, Status: http.StatusCreated, Response: wallet.Transaction{},
	RequestExample:  map[string]any{"to": "+6281234567890", "amount": 1000000, "currency": "IDR", "note": "makan siang", "pin": "246810"},
	ResponseExample: txExample("transfer_out", "user", "Budi Santoso", 1000000, 0),
	Errors:          append([]string{"not_found"}, moneyErrors...)}

func (s *Server) withdraw(w http.ResponseWriter, r *http.Request) error {
	var req wallet.WithdrawInput
	c, err := moneyCall(r, &req)
	if err != nil {
		return err
	}
	tx, err := s.wallet.Withdraw(r.Context(), c, req)
	if err != nil {
		return err
	}
	return writeTx(w, r, http.StatusCreated, tx)
}

var withdrawDoc = operation{Summary: "Withdraw to a bank account", Tag: "wallet", Idempotent: true,
	Description: "Answers a pending transaction; the bank settles or rejects it later, and a rejection returns the amount and the fee. In the sandbox an account number ending in 0000 is rejected at settlement, and one ending in 9999 stays pending (the bank never answers).",
	Request:     wallet.WithdrawInput{}, Status: http.StatusCreated, Response: wallet.Transaction{},
	RequestExample: map[string]any{"amount": 3000000, "currency": "IDR", "pin": "246810",
		"bank_account": map[string]any{"bank_code": "BCA", "account_number": "1234567890", "holder_name": "Siti Rahma"}},
	ResponseExample: txExample("withdrawal", "bank", "BCA ****7890", 3000000, 650),
	Errors:          moneyErrors}

func (s *Server) feeQuote(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	amount, err := strconv.ParseInt(q.Get("amount"), 10, 64)
	if err != nil {
		return fault.Invalid("amount", fault.MsgPositiveAmount)
	}
	cur := q.Get("currency")
	if cur == "" {
		cur = s.cfg.Currencies.Default().Code
	}
	fq, err := s.wallet.QuoteFee(q.Get("kind"), amount, cur, q.Get("to_currency"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, fq)
}

var feeQuoteDoc = operation{Summary: "What an operation would cost", Tag: "fees",
	Query: []param{
		{Name: "kind", Required: true, Enum: wallet.FeeQuoteKinds},
		{Name: "amount", Type: "integer", Required: true, Description: "minor units"},
		{Name: "currency"}, {Name: "to_currency", Description: "for fx and remittance"},
	},
	Response: wallet.FeeQuote{}, Errors: []string{"invalid_request", "currency_not_supported"}}

func (s *Server) fxQuote(w http.ResponseWriter, r *http.Request) error {
	var req wallet.QuoteInput
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	q, err := s.wallet.QuoteFX(r.Context(), party(p.User), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, q)
}

var fxQuoteDoc = operation{Summary: "Quote an exchange rate (conversion or remittance)", Tag: "fx",
	Request: wallet.QuoteInput{}, Status: http.StatusCreated, Response: wallet.Quote{},
	RequestExample: map[string]any{"from_currency": "IDR", "to_currency": "SGD", "amount": 10000000},
	Errors:         []string{"currency_not_supported"}}

func (s *Server) fxConvert(w http.ResponseWriter, r *http.Request) error {
	var req wallet.ConvertInput
	c, err := moneyCall(r, &req)
	if err != nil {
		return err
	}
	tx, err := s.wallet.Convert(r.Context(), c, req)
	if err != nil {
		return err
	}
	return writeTx(w, r, http.StatusCreated, tx)
}

var fxConvertDoc = operation{Summary: "Convert between the user's currencies at a quote", Tag: "fx", Idempotent: true,
	Request: wallet.ConvertInput{}, Status: http.StatusCreated, Response: wallet.Transaction{},
	RequestExample: map[string]any{"quote_id": "quo_01jf8z6k2m3n4p5q6r7s8t9v0w", "pin": "246810"},
	Errors:         append([]string{"quote_expired", "invalid_state", "not_found"}, moneyErrors...)}

func (s *Server) remit(w http.ResponseWriter, r *http.Request) error {
	var req wallet.RemitInput
	c, err := moneyCall(r, &req)
	if err != nil {
		return err
	}
	tx, err := s.wallet.Remit(r.Context(), c, req)
	if err != nil {
		return err
	}
	return writeTx(w, r, http.StatusCreated, tx)
}

var remitDoc = operation{Summary: "Send money abroad at a remittance quote", Tag: "remittances", Idempotent: true,
	Request: wallet.RemitInput{}, Status: http.StatusCreated, Response: wallet.Transaction{},
	RequestExample: map[string]any{"quote_id": "quo_01jf8z6k2m3n4p5q6r7s8t9v0w", "pin": "246810",
		"recipient": map[string]any{"name": "Tan Wei Ming", "country": "SG", "bank_code": "DBSSSGSG", "account_number": "0123456789"}},
	Errors: append([]string{"quote_expired", "invalid_state", "not_found"}, moneyErrors...)}

func listFilter(r *http.Request) (wallet.Filter, error) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return wallet.Filter{}, err
	}
	q := r.URL.Query()
	f := wallet.Filter{Kind: q.Get("kind"), Status: q.Get("status"), Cursor: cursor, Limit: limit}
	if f.Kind != "" && !slices.Contains(wallet.Kinds, f.Kind) {
		return f, fault.Invalid("kind", fault.MsgTxKind)
	}
	return f, nil
}

func (s *Server) transactions(w http.ResponseWriter, r *http.Request) error {
	f, err := listFilter(r)
	if err != nil {
		return err
	}
	if f.Status != "" && !slices.Contains(wallet.Statuses, f.Status) {
		return fault.Invalid("status", fault.MsgTxStatus)
	}
	p, _ := userOf[identity.Principal](r)
	pg, err := s.wallet.Transactions(r.Context(), p.User.ID, f)
	if err != nil {
		return err
	}
	for i := range pg.Items {
		pg.Items[i].Localize(localeOf(r).String())
	}
	return writeJSON(w, http.StatusOK, pg)
}

var listQuery = []param{{Name: "limit", Type: "integer"}, {Name: "cursor"}}

var transactionsDoc = operation{Summary: "The user's transactions, newest first, failed ones included", Tag: "transactions",
	Query: append([]param{
		{Name: "kind", Enum: wallet.Kinds},
		{Name: "status", Enum: wallet.Statuses}}, listQuery...),
	Response: wallet.Page[wallet.Transaction]{}}

func (s *Server) transaction(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	tx, err := s.wallet.Transaction(r.Context(), p.User.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeTx(w, r, http.StatusOK, tx)
}

var transactionDoc = operation{Summary: "One transaction, with its refunds and failure reason", Tag: "transactions", Response: wallet.Transaction{}}

func (s *Server) createRefundRequest(w http.ResponseWriter, r *http.Request) error {
	var req wallet.RefundRequestInput
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	rr, err := s.wallet.RequestRefund(r.Context(), party(p.User), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, rr)
}

var createRefundRequestDoc = operation{Summary: "Ask the merchant for a refund, with evidence", Tag: "refund-requests",
	Request: wallet.RefundRequestInput{}, Status: http.StatusCreated, Response: wallet.RefundRequest{}, Errors: []string{"refund_not_allowed", "not_found"}}

func (s *Server) refundRequests(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	pg, err := s.wallet.RefundRequests(r.Context(), p.User.ID, wallet.Filter{Cursor: cursor, Limit: limit, Status: r.URL.Query().Get("status")})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pg)
}

var refundRequestsDoc = operation{Summary: "The user's refund requests", Tag: "refund-requests",
	Query:    append([]param{{Name: "status", Enum: wallet.RequestStatuses}}, listQuery...),
	Response: wallet.Page[wallet.RefundRequest]{}}

func (s *Server) refundRequest(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	rr, err := s.wallet.RefundRequest(r.Context(), p.User.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rr)
}

var refundRequestDoc = operation{Summary: "One refund request", Tag: "refund-requests", Response: wallet.RefundRequest{}}

// txExample is an example transaction answer for the document.
func txExample(kind, cpType, cpName string, amount, fee int64) map[string]any {
	status := wallet.StatusSucceeded
	if kind == wallet.KindWithdrawal {
		status = wallet.StatusPending
	}
	return map[string]any{"id": "txn_01jf8z6k2m3n4p5q6r7s8t9v0w", "kind": kind, "status": status,
		"amount": amount, "currency": "IDR", "fee": map[string]any{"amount": fee, "currency": "IDR"},
		"counterparty": map[string]any{"type": cpType, "name": cpName},
		"created_at":   "2026-11-30T08:15:00Z", "updated_at": "2026-11-30T08:15:00Z", "refunds": []any{}, "refunded_amount": 0}
}
