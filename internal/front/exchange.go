package front

import (
	"bufio"
	"context"
	"net"
	"net/http"
)

// Exchange is the per-request state: the response writer that records the status, and what
// the layers learn about the request (its id, its route, its locale, who is calling, the
// client's address). The front makes one per request and puts it in the request context, so
// inner layers fill it in without copying the request again.
type Exchange struct {
	http.ResponseWriter
	front   *Front
	req     *http.Request // as the front received it (headers, peer address)
	status  int           // 0 until the header is written
	written int64         // body bytes

	id         string // request id (X-Request-Id)
	route      string // the matched route's name, "" when none matched
	locale     Locale // what Accept-Language chose
	negotiated bool   // Accept-Language read (once)
	fromHeader bool   // it named a language Dompet speaks
	preferred  Locale // the signed-in user's setting
	hasPref    bool
	principal  any
	clientIP   string // "" until asked
}

type exchangeKey struct{}

// ExchangeOf returns the exchange of r, or nil for a request that did not come through a
// Front (a handler called directly in a test).
func ExchangeOf(r *http.Request) *Exchange {
	x, _ := r.Context().Value(exchangeKey{}).(*Exchange)
	return x
}

func withExchange(ctx context.Context, x *Exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, x)
}

// RequestID is the id of r, as echoed in X-Request-Id and written in logs; "" outside a Front.
func RequestID(r *http.Request) string {
	if x := ExchangeOf(r); x != nil {
		return x.id
	}
	return ""
}

// LocaleOf is the language of the answer to r: Accept-Language, else the signed-in user's
// setting (SetPreferred), else en.
func LocaleOf(r *http.Request) Locale {
	if x := ExchangeOf(r); x != nil {
		return x.Locale()
	}
	return Negotiate(r.Header.Get("Accept-Language"))
}

// ClientIP is the address of the client of r: the peer, or behind trusted proxies the
// rightmost X-Forwarded-For address that is not one of them.
func ClientIP(r *http.Request) string {
	if x := ExchangeOf(r); x != nil {
		return x.ClientIP()
	}
	return peerIP(r.RemoteAddr)
}

// ID is the request id.
func (x *Exchange) ID() string { return x.id }

// Route is the name of the route that matched, "" when none did.
func (x *Exchange) Route() string { return x.route }

// Status is the status written so far; 0 while the header is not out.
func (x *Exchange) Status() int { return x.status }

// SetStatus records a status for the log and metrics when none was written (499 for a client
// that went away).
func (x *Exchange) SetStatus(code int) {
	if x.status == 0 {
		x.status = code
	}
}

// Locale is the language of the answer (API.md "Locale"): the one Accept-Language asks for,
// even from a user whose setting says otherwise; without the header (or when it names no
// language Dompet speaks), the user's setting; else en.
func (x *Exchange) Locale() Locale {
	if !x.negotiated {
		x.locale, x.fromHeader = negotiate(x.req.Header.Get("Accept-Language"))
		x.negotiated = true
	}
	if !x.fromHeader && x.hasPref {
		return x.preferred
	}
	return x.locale
}

// SetPreferred records the signed-in user's language setting: the answer's language when the
// request's Accept-Language does not choose one.
func (x *Exchange) SetPreferred(l Locale) { x.preferred, x.hasPref = l, true }

// Principal is who is calling, as the application's authentication recorded it; nil when
// anonymous.
func (x *Exchange) Principal() any { return x.principal }

// SetPrincipal records who is calling. The answer is then personal: it gets
// Cache-Control: no-store.
func (x *Exchange) SetPrincipal(p any) {
	x.principal = p
	x.Header()["Cache-Control"] = hvNoStore
}

// ClientIP is the client's address (see the package function ClientIP).
func (x *Exchange) ClientIP() string {
	if x.clientIP == "" {
		x.clientIP = x.front.proxies.clientIP(x.req)
	}
	return x.clientIP
}

func (x *Exchange) WriteHeader(code int) {
	if x.status == 0 && code >= 200 { // 1xx informational headers are not the status
		x.status = code
	}
	x.ResponseWriter.WriteHeader(code)
}

func (x *Exchange) Write(b []byte) (int, error) {
	if x.status == 0 {
		x.status = http.StatusOK
	}
	n, err := x.ResponseWriter.Write(b)
	x.written += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer (deadlines, flush,
// hijack, full duplex).
func (x *Exchange) Unwrap() http.ResponseWriter { return x.ResponseWriter }

// Flush serves Server-Sent-Event style handlers that assert http.Flusher.
func (x *Exchange) Flush() {
	if x.status == 0 {
		x.status = http.StatusOK
	}
	_ = http.NewResponseController(x.ResponseWriter).Flush()
}

// Hijack serves WebSocket upgrades; the status is recorded as 101.
func (x *Exchange) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(x.ResponseWriter).Hijack()
	if err == nil && x.status == 0 {
		x.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

// OverTLS tells whether the client of r reached Dompet over TLS: this listener's own, or
// (X-Forwarded-Proto) a trusted proxy's. Cookies are marked Secure when it does.
func OverTLS(r *http.Request) bool {
	if x := ExchangeOf(r); x != nil {
		return x.front.proxies.overTLS(r)
	}
	return r.TLS != nil
}
