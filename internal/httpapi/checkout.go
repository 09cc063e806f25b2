package httpapi

import (
	"net/http"

	"github.com/dompet/dompet/internal/checkout"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/merchant"
)

// Checkout: the merchant creates and reads checkouts (API key); the customer, logged in, sees
// one, pays it with the PIN or cancels it. The checkout page (/checkout/{id}) calls the same
// checkout.Service directly.

func (s *Server) createCheckout(w http.ResponseWriter, r *http.Request) error {
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	var req checkout.CreateInput
	raw, err := decodeRaw(r, &req)
	if err != nil {
		return err
	}
	m, _ := merchantOf[merchant.Merchant](r)
	c, err := s.checkout.Create(r.Context(), m.ID, key, requestHash(raw), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

var checkoutExample = map[string]any{"id": "chk_01jf8z6k2m3n4p5q6r7s8t9v0w", "url": "https://pay.dompet.example/checkout/chk_01jf8z6k2m3n4p5q6r7s8t9v0w",
	"status": "open", "expires_at": "2026-11-30T10:30:00Z", "amount": 2500000, "currency": "IDR", "order_ref": "INV-2026-0042",
	"return_url": "https://shop.example/orders/42/done", "merchant": map[string]any{"id": "mch_01jf8z6k2m3n4p5q6r7s8t9v0x", "name": "Toko Kopi Kenangan"},
	"failed_attempts": 0, "created_at": "2026-11-30T10:00:00Z", "updated_at": "2026-11-30T10:00:00Z"}

var createCheckoutDoc = operation{Summary: "Create a checkout: an online payment the customer makes on Dompet's page", Tag: "merchant", Idempotent: true,
	Description: "Send the customer to `url`. Once the checkout is over the customer comes back to `return_url` with " +
		"`checkout_id` and `status` added; check the status with GET or wait for the `checkout.succeeded` webhook, never trust the query.",
	Request: checkout.CreateInput{}, Status: http.StatusCreated, Response: checkout.Checkout{},
	RequestExample:  map[string]any{"amount": 2500000, "currency": "IDR", "order_ref": "INV-2026-0042", "return_url": "https://shop.example/orders/42/done", "expires_in": 1800},
	ResponseExample: checkoutExample,
	Errors:          []string{"currency_not_supported"}}

func (s *Server) merchantCheckout(w http.ResponseWriter, r *http.Request) error {
	m, _ := merchantOf[merchant.Merchant](r)
	c, err := s.checkout.Merchant(r.Context(), m.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

var merchantCheckoutDoc = operation{Summary: "A checkout of this merchant, with its status and payment", Tag: "merchant",
	Response: checkout.Checkout{}, ResponseExample: checkoutExample}

func (s *Server) customerCheckout(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	v, err := s.checkout.Get(r.Context(), p.User.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

var viewExample = map[string]any{"id": "chk_01jf8z6k2m3n4p5q6r7s8t9v0w", "status": "open",
	"merchant": map[string]any{"id": "mch_01jf8z6k2m3n4p5q6r7s8t9v0x", "name": "Toko Kopi Kenangan"},
	"amount":   2500000, "currency": "IDR", "fee": map[string]any{"amount": 0, "currency": "IDR"},
	"total": map[string]any{"amount": 2500000, "currency": "IDR"}, "order_ref": "INV-2026-0042", "expires_at": "2026-11-30T10:30:00Z"}

var customerCheckoutDoc = operation{Summary: "A checkout to pay: merchant, amount and fee", Tag: "checkouts",
	Description: "Any logged-in user may see an open checkout (whoever has its link is the merchant's customer); " +
		"once it is paid only the payer sees `payment_id`.",
	Response: checkout.View{}, ResponseExample: viewExample}

// PayCheckoutInput is the customer's confirmation.
type PayCheckoutInput struct {
	PIN string `json:"pin" doc:"the 6-digit payment PIN"`
}

func (s *Server) payCheckout(w http.ResponseWriter, r *http.Request) error {
	var req PayCheckoutInput
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	res, err := s.checkout.Pay(r.Context(), party(p.User), r.PathValue("id"), req.PIN)
	if err != nil {
		return err
	}
	res.Payment.Localize(localeOf(r).String())
	return writeJSON(w, http.StatusOK, res)
}

var payCheckoutDoc = operation{Summary: "Pay a checkout with the PIN (once, however often it is sent)", Tag: "checkouts",
	Description: "The checkout is the idempotency key: a repeated or concurrent call answers the same payment, and no " +
		"Idempotency-Key is needed (one sent is ignored). A refused payment (e.g. insufficient_balance) is kept in the " +
		"history with its reason and leaves the checkout open, so the customer can top up and pay again; after 5 refusals " +
		"the checkout fails. A checkout paid, cancelled, failed or expired answers 409 invalid_state.",
	Request: PayCheckoutInput{}, Response: checkout.Result{},
	RequestExample: map[string]any{"pin": "246810"},
	Errors:         append([]string{"invalid_state"}, moneyErrors...)}

func (s *Server) cancelCheckout(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	v, err := s.checkout.Cancel(r.Context(), p.User.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

var cancelCheckoutDoc = operation{Summary: "Cancel a checkout and go back to the merchant (return_to)", Tag: "checkouts",
	Response: checkout.View{}, Errors: []string{"invalid_state"}}
