package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/dompet/dompet/internal/checkout"
	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/wallet"
)

// The checkout page, /checkout/{id}: a merchant's customer, logged in, sees the merchant, the
// amount, the fee, the total, the expiry and their balance, and pays with the PIN or cancels;
// either way they go back to the merchant's return URL. The checkout is the idempotency key
// (checkout.Service.Pay), so the page needs no key of its own: a double press, two tabs or a
// reload of the POST pay once and answer the same payment.
// Without the checkout, wallet or identity service there are no checkout pages.
func (s *Site) checkoutRoutes() []front.Route {
	if s.o.Services.Checkout == nil || s.o.Services.Wallet == nil || s.o.Services.Identity == nil {
		return nil
	}
	return []front.Route{
		{Pattern: "GET /checkout/{id}", Page: true, Handler: s.signedIn(s.checkoutPage)},
		{Pattern: "POST /checkout/{id}/pay", Page: true, Handler: s.handle(s.checkoutPay)},
		{Pattern: "POST /checkout/{id}/cancel", Page: true, Handler: s.handle(s.checkoutCancel)},
	}
}

// checkoutData is what the checkout page shows.
type checkoutData struct {
	C       checkout.View
	Balance int64 // available in the checkout's currency
	// Failure is the viewer's last refused payment on this checkout, with its reason in the
	// page's language (from the history), while no refusal of this request is shown.
	Failure *wallet.Transaction
	// Next is the way out of a refusal (a link and its catalogue key), when there is one.
	NextHref, NextKey string
	// Self is this page, where the top-up page comes back to.
	Self string
}

// checkoutPath is the page of checkout id.
func checkoutPath(id string) string { return "/checkout/" + url.PathEscape(id) }

// checkoutUser sends an anonymous visitor of a checkout action to /login, which brings them
// back to the checkout page (a POST's own path cannot be opened after a login).
func checkoutUser(w http.ResponseWriter, r *http.Request, v *View) bool {
	if v.User != nil {
		return true
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(checkoutPath(r.PathValue("id"))), http.StatusSeeOther)
	return false
}

func (s *Site) checkoutPage(w http.ResponseWriter, r *http.Request, v *View) {
	s.showCheckout(w, r, v, 0, nil)
}

// showCheckout renders the checkout as the signed-in user sees it now; refused (nil: none) is
// the refusal of this request, explained above the form with its next step.
func (s *Site) showCheckout(w http.ResponseWriter, r *http.Request, v *View, status int, refused error) {
	id := r.PathValue("id")
	c, err := s.o.Services.Checkout.Get(r.Context(), v.User.ID, id)
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	d := checkoutData{C: c, Self: checkoutPath(c.ID)}
	sum, err := s.o.Services.Wallet.Summary(r.Context(), party(v.User))
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	for _, b := range sum.Balances {
		if b.Currency == c.Currency {
			d.Balance = b.Available
		}
	}
	code := ""
	switch {
	case refused != nil:
		e := s.explain(refused, v.Lang)
		if e.Status >= 500 {
			s.log.Error("checkout page action failed", "checkout", id, "request_id", front.RequestID(r), "err", refused)
		}
		v.Problem, status, code = &e, e.Status, e.Code
	case c.LastFailure != nil && c.Status == checkout.StatusOpen:
		if tx, err := s.o.Services.Wallet.Transaction(r.Context(), v.User.ID, c.LastFailure.TransactionID); err == nil {
			tx.Localize(v.Lang.String())
			d.Failure, code = &tx, c.LastFailure.Code
		}
	}
	if c.Status == checkout.StatusOpen {
		d.NextHref, d.NextKey = checkoutNextStep(code, d.Self)
		full, err := s.o.Services.Checkout.Merchant(r.Context(), c.Merchant.ID, c.ID)
		if err != nil {
			s.fail(w, r, "error", v, err)
			return
		}
		allowFormsTo(w, full.ReturnURL)
	}
	v.Data = d
	s.render(w, r, status, "checkout", v)
}

// allowFormsTo lets this page's forms end at the origin of returnURL. The pay and cancel
// forms are answered by a 303 to the merchant's return URL, and browsers hold a form's
// redirects to the CSP form-action of the page that sent it ('self' on every other page).
func allowFormsTo(w http.ResponseWriter, returnURL string) {
	u, err := url.Parse(returnURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return
	}
	origin := u.Scheme + "://" + u.Host
	// checkout.Create checked the URL; the origin is still checked character by character
	// before it goes into a header that other sources could be smuggled into.
	if strings.IndexFunc(u.Host, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:[]", r))
	}) >= 0 {
		return
	}
	h := w.Header()
	if csp := h.Get("Content-Security-Policy"); strings.Contains(csp, "form-action 'self';") {
		h.Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self';", "form-action 'self' "+origin+";", 1))
	}
}

// checkoutNextStep is where a refused customer goes, and the catalogue key of the link: a
// top-up that comes back to the checkout, the limits, the PIN or phone set-up, else help.
// A wrong PIN needs no link: the form is there, with the tries left.
func checkoutNextStep(code, self string) (href, key string) {
	switch code {
	case "", "invalid_pin", "validation_failed":
		return "", ""
	case "insufficient_balance":
		return "/app/topup?next=" + url.QueryEscape(self), "checkout.next.topup"
	case "limit_exceeded":
		return "/app", "checkout.next.limits"
	case "phone_unverified":
		return "/register/verify", "checkout.next.verify"
	case "pin_required":
		return "/register/pin", "checkout.next.pin"
	case "pin_locked":
		return "/app/security", "checkout.next.security"
	case "account_restricted", "risk_review", "account_locked":
		return "/contact", "checkout.next.contact"
	}
	return "/help/guide/payment_failed", "checkout.next.help"
}

// checkoutPay pays the checkout with the PIN and sends the customer back to the merchant
// with status=succeeded; a refusal shows the checkout again with the API's words.
func (s *Site) checkoutPay(w http.ResponseWriter, r *http.Request, v *View) {
	if !checkoutUser(w, r, v) {
		return
	}
	res, err := s.o.Services.Checkout.Pay(r.Context(), party(v.User), r.PathValue("id"), r.PostFormValue("pin"))
	if err != nil {
		if errors.Is(err, checkout.ErrNotFound) {
			s.fail(w, r, "error", v, err)
			return
		}
		s.showCheckout(w, r, v, 0, err)
		return
	}
	s.backToMerchant(w, r, res.Checkout)
}

// checkoutCancel gives up the checkout and goes back to the merchant with status=cancelled.
func (s *Site) checkoutCancel(w http.ResponseWriter, r *http.Request, v *View) {
	if !checkoutUser(w, r, v) {
		return
	}
	c, err := s.o.Services.Checkout.Cancel(r.Context(), v.User.ID, r.PathValue("id"))
	if err != nil {
		if errors.Is(err, checkout.ErrNotFound) {
			s.fail(w, r, "error", v, err)
			return
		}
		s.showCheckout(w, r, v, 0, err)
		return
	}
	s.backToMerchant(w, r, c)
}

// backToMerchant is the 303 to the merchant's return URL of a checkout that is over (the
// checkout page itself if it is somehow still open).
func (s *Site) backToMerchant(w http.ResponseWriter, r *http.Request, c checkout.View) {
	to := c.ReturnTo
	if to == "" {
		to = checkoutPath(c.ID)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
