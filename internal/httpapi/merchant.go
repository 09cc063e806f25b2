package httpapi

import (
	"net/http"

	"github.com/dompet/dompet/internal/merchant"
	"github.com/dompet/dompet/internal/wallet"
)

func (s *Server) merchantRefund(w http.ResponseWriter, r *http.Request) error {
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	var req wallet.RefundInput
	raw, err := decodeRaw(r, &req)
	if err != nil {
		return err
	}
	m, _ := merchantOf[merchant.Merchant](r)
	tx, err := s.wallet.Refund(r.Context(), wallet.MerchantCall{MerchantID: m.ID, Key: key, Hash: requestHash(withoutPIN(raw))}, req)
	if err != nil {
		return err
	}
	return writeTx(w, r, http.StatusCreated, tx)
}

var merchantRefundDoc = operation{Summary: "Refund a payment, fully or in part", Tag: "merchant", Idempotent: true,
	Request: wallet.RefundInput{}, Status: http.StatusCreated, Response: wallet.Transaction{},
	RequestExample: map[string]any{"payment_id": "txn_01jf8z6k2m3n4p5q6r7s8t9v0w", "amount": 2500000, "reason": "item out of stock"},
	Errors:         []string{"refund_not_allowed", "insufficient_balance", "not_found"}}

func (s *Server) merchantRefundRequests(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	m, _ := merchantOf[merchant.Merchant](r)
	pg, err := s.wallet.MerchantRefundRequests(r.Context(), m.ID, wallet.Filter{Cursor: cursor, Limit: limit, Status: r.URL.Query().Get("status")})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pg)
}

var merchantRefundRequestsDoc = operation{Summary: "Refund requests from the merchant's customers", Tag: "merchant",
	Query:    append([]param{{Name: "status", Enum: wallet.RequestStatuses}}, listQuery...),
	Response: wallet.Page[wallet.RefundRequest]{}}

func (s *Server) merchantDecide(w http.ResponseWriter, r *http.Request) error {
	key, err := idempotencyKey(r) // an approval moves money
	if err != nil {
		return err
	}
	var req wallet.Decision
	raw, err := decodeRaw(r, &req)
	if err != nil {
		return err
	}
	m, _ := merchantOf[merchant.Merchant](r)
	rr, err := s.wallet.DecideRefundRequest(r.Context(), wallet.MerchantCall{MerchantID: m.ID, Key: key, Hash: requestHash(raw)}, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rr)
}

var merchantDecideDoc = operation{Summary: "Approve (and refund at once) or reject a refund request", Tag: "merchant", Idempotent: true,
	Request: wallet.Decision{}, Response: wallet.RefundRequest{}, Errors: []string{"invalid_state", "refund_not_allowed", "insufficient_balance"}}

type merchantBalance struct {
	Balances []wallet.Balance `json:"balances"`
}

func (s *Server) merchantBalance(w http.ResponseWriter, r *http.Request) error {
	m, _ := merchantOf[merchant.Merchant](r)
	b, err := s.wallet.MerchantBalances(r.Context(), m.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, merchantBalance{Balances: b})
}

var merchantBalanceDoc = operation{Summary: "The merchant's balances", Tag: "merchant", Response: merchantBalance{}}

func (s *Server) merchantPayments(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	m, _ := merchantOf[merchant.Merchant](r)
	pg, err := s.wallet.MerchantPayments(r.Context(), m.ID, wallet.Filter{Cursor: cursor, Limit: limit})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pg)
}

var merchantPaymentsDoc = operation{Summary: "Payments received, with refunded amounts and the merchant fee", Tag: "merchant",
	Query: listQuery, Response: wallet.Page[wallet.Transaction]{}}
