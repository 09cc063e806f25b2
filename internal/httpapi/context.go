package httpapi

import (
	"bufio"
	"context"
	"net"
	"net/http"
)

// exchange is the per-request state: the response writer that records the status, and what
// the layers learn about the request (its id, its route, its locale, who is calling). The
// outermost middleware makes one per request and puts it in the request context, so inner
// layers fill it in without copying the request again.
type exchange struct {
	http.ResponseWriter
	status  int   // 0 until the header is written
	written int64 // body bytes

	id        string // request id (X-Request-Id)
	route     string // the matched route's pattern, "" when none matched
	locale    locale
	localeSet bool
	user      any // principal set by requireUser
	merchant  any // principal set by requireMerchant
}

type exchangeKey struct{}

// stateOf returns the exchange of r, or nil for a request that did not come through the
// Server (a handler called directly in a test).
func stateOf(r *http.Request) *exchange {
	x, _ := r.Context().Value(exchangeKey{}).(*exchange)
	return x
}

func withExchange(ctx context.Context, x *exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, x)
}

// requestID is the id of the request, as echoed in X-Request-Id and written in logs.
func requestID(r *http.Request) string {
	if x := stateOf(r); x != nil {
		return x.id
	}
	return ""
}

func (x *exchange) WriteHeader(code int) {
	if x.status == 0 && code >= 200 { // 1xx informational headers are not the status
		x.status = code
	}
	x.ResponseWriter.WriteHeader(code)
}

func (x *exchange) Write(b []byte) (int, error) {
	if x.status == 0 {
		x.status = http.StatusOK
	}
	n, err := x.ResponseWriter.Write(b)
	x.written += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer (deadlines, flush).
func (x *exchange) Unwrap() http.ResponseWriter { return x.ResponseWriter }

// Flush serves Server-Sent-Event style handlers that assert http.Flusher.
func (x *exchange) Flush() {
	if x.status == 0 {
		x.status = http.StatusOK
	}
	_ = http.NewResponseController(x.ResponseWriter).Flush()
}

// Hijack serves WebSocket upgrades; the status is recorded as 101.
func (x *exchange) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(x.ResponseWriter).Hijack()
	if err == nil && x.status == 0 {
		x.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

// principal returns the value requireUser or requireMerchant stored, typed.
func principalOf[P any](v any) (P, bool) {
	p, ok := v.(P)
	return p, ok
}

// userOf returns the authenticated user of r, as the authenticator given to requireUser
// returned it.
func userOf[P any](r *http.Request) (P, bool) {
	if x := stateOf(r); x != nil {
		return principalOf[P](x.user)
	}
	var zero P
	return zero, false
}

// merchantOf returns the authenticated merchant of r, as the authenticator given to
// requireMerchant returned it.
func merchantOf[P any](r *http.Request) (P, bool) {
	if x := stateOf(r); x != nil {
		return principalOf[P](x.merchant)
	}
	var zero P
	return zero, false
}
