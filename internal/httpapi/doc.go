// Package httpapi is Dompet's JSON API (/api/v1, see shared/design/API.md), its operations
// endpoints (/healthz, /readyz, /metrics, /api/openapi.json), problem+json errors and the
// OpenAPI document.
//
// # Adding an endpoint
//
// One file per resource (wallet.go, auth.go, merchant.go…) holds its handlers, their request
// and response types, and their OpenAPI operations. An endpoint is three things.
//
// First, the handler: a Server method that writes success itself and returns any failure.
// This is the real top-up (wallet.go):
//
//	func (s *Server) topup(w http.ResponseWriter, r *http.Request) error {
//		var req wallet.TopUpInput
//		c, err := moneyCall(r, &req) // money-moving POSTs: user, Idempotency-Key, body and its hash
//		if err != nil {
//			return err
//		}
//		tx, err := s.wallet.TopUp(r.Context(), c, req)
//		if err != nil {
//			return err // a *fault.Error becomes its problem
//		}
//		return writeTx(w, r, http.StatusCreated, tx) // writeJSON, failure reason in the caller's language
//	}
//
// Other handlers decode(r, &req) their body and read the caller with
// userOf[identity.Principal](r) (set by requireUser) or merchantOf[merchant.Merchant](r).
//
// Second, its documentation, beside it and named after it:
//
//	var topupDoc = operation{Summary: "Top up the wallet from a bank transfer or card", Tag: "wallet",
//		Idempotent: true, Request: wallet.TopUpInput{}, Status: http.StatusCreated,
//		Response: wallet.Transaction{},
//		Errors:   []string{"provider_declined", "provider_unavailable", "limit_exceeded", …}}
//
// A route taking more than a JSON body (the attachment upload) says so with MaxBody.
//
// Third, one line in the route table of routes.go, in the resource's section:
//
//	{"POST /api/v1/topups", authUser, s.topup, topupDoc},
//
// # Errors
//
// Return domain failures as they come: *fault.Error values declared by the domain package with
// the codes of API.md. The adapter maps the code to its status through the one table in
// codes.go and writes a localized application/problem+json body; a fault's Fields become
// extra members (attempts_remaining, locked_until, retry_after…), its Errs the "errors" list;
// 429 and 503 get Retry-After. db.ErrNotFound answers 404 not_found. Any other error is a 500
// "internal" whose details are logged with the request id, never shown. A new code goes into
// codes.go with its status and its en and zh-CN text. Validate input with fault.Validation or
// fault.Invalid; decode already refuses non-JSON Content-Types, unknown, repeated or wrongly
// cased names, invalid UTF-8 and wrong types, naming the field. The HTTP front refuses a body
// over the route's limit (1 MB unless the operation's MaxBody says more) with 413 too_large.
//
// # Documentation
//
// Schemas are read from the Go types given as Request and Response: json tags, plus
// `doc:"…"` (description) and `enum:"a,b"` tags on fields; money.Amount is the shared Money
// schema and every error body the Problem schema. Path parameters come from the pattern;
// list query parameters in Query. The error responses list Errors plus what the route implies
// (invalid_request with a body, unauthenticated with auth…). A missing Summary or an unknown
// code makes New fail, and a test checks every pattern in the mux is in the document.
//
// # Authentication and services
//
// Patterns use Go's ServeMux syntax with a method; path values come from r.PathValue("id").
// authUser, authStaff and authMerchant wrap the handler in the authentication wired in New;
// they answer 401 unauthenticated until the service that knows the credentials is plugged in.
// A handler that needs a domain service gets it through a nil-able field added to Options and
// copied onto Server in New, which also wires authentication, e.g.
//
//	s.authUser = requireUser(Authenticator[identity.Principal](o.Identity.Authenticate))
//
// Handlers then read the principal with userOf[P](r) or merchantOf[P](r). Accept-Language
// chooses the language of answers, problems included; a request without it is answered in
// the language of a principal with a PreferredLocale() string method (setLocale), else en.
//
// Other plumbing: newPage(items, next) and pageParams(r) for lists, bearer(r), credential(r)
// (adds ?token= for WebSocket upgrades), clientIP(r) (the client behind trusted proxies),
// requestID(r), noContent(w), and Server.Stopping() for long-lived streams, which
// http.Server.Shutdown does not wait for.
//
// # The front
//
// The routes are mounted on an HTTP front (internal/front), beside the pages: it gives each
// request its id, exchange (route, locale, principal, client address), security headers and
// body limit, recovers panics, writes the access log and the metrics, and answers 404, 405,
// 413 and 500 through WriteFrontError. New builds a front holding the API alone unless
// Options.Front brings the product's (NewFront). Server.ServeHTTP serves that front.
//
// # Hot path
//
// The front makes one exchange per request; 2xx answers are logged only at debug level;
// metric series are resolved once per route and status; the security headers are shared
// values. Keep handlers free of per-request reflection and logging on success.
package httpapi
