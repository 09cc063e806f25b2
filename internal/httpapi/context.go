package httpapi

import (
	"net/http"

	"github.com/dompet/dompet/internal/front"
)

// exchange is the per-request state the front keeps (request id, route, locale, principal,
// status); handlers reach it through stateOf.
type exchange = front.Exchange

// stateOf returns the exchange of r, or nil for a request that did not come through the
// front (a handler called directly in a test).
func stateOf(r *http.Request) *exchange { return front.ExchangeOf(r) }

// requestID is the id of the request, as echoed in X-Request-Id and written in logs.
func requestID(r *http.Request) string { return front.RequestID(r) }

// principal returns the value requireUser or requireMerchant stored, typed.
func principalOf[P any](v any) (P, bool) {
	p, ok := v.(P)
	return p, ok
}

// userOf returns the authenticated user of r, as the authenticator given to requireUser
// returned it.
func userOf[P any](r *http.Request) (P, bool) {
	if x := stateOf(r); x != nil {
		return principalOf[P](x.Principal())
	}
	var zero P
	return zero, false
}

// merchantOf returns the authenticated merchant of r, as the authenticator given to
// requireMerchant returned it.
func merchantOf[P any](r *http.Request) (P, bool) {
	if x := stateOf(r); x != nil {
		return principalOf[P](x.Principal())
	}
	var zero P
	return zero, false
}
