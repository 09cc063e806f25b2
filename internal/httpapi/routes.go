package httpapi

// access says who may call a route; mountRoutes wraps the handler accordingly and the OpenAPI
// document shows it as the operation's security.
type access int

const (
	authNone     access = iota // anyone
	authUser                   // a wallet user's session token (requireUser)
	authStaff                  // a support agent's, supervisor's or admin's token
	authMerchant               // a merchant's API key (requireMerchant)
)

// route is one line of the API: the method pattern (Go 1.22 ServeMux syntax), who may call
// it, the handler, and its OpenAPI operation (declared next to the handler).
type route struct {
	pattern string
	auth    access
	handle  handlerFunc
	doc     operation
}

// routes is the one route table of the API. Add a line in the section of your resource; the
// handler and its doc live in the resource's file (wallet.go: s.topup and topupDoc).
// The OpenAPI document is built from this table, and a test checks every pattern is in it.
func (s *Server) routes() []route {
	return []route{
		// Operations (ops.go)
		{"GET /healthz", authNone, s.healthz, healthzDoc},
		{"GET /readyz", authNone, s.readyz, readyzDoc},
		{"GET /metrics", authNone, s.metricsHandler(), metricsDoc},
		{"GET /api/openapi.json", authNone, s.openAPI, openAPIDoc},

		// Identity: auth, me, sessions, two-factor, PIN (auth.go, me.go)

		// Wallet: balances, top-ups, payments, transfers, withdrawals, fees, FX,
		// remittances, transactions, refund requests, attachments (wallet.go, …)

		// Merchants (merchant.go)

		// Help center (help.go)

		// Support, customer side (support.go)

		// Agents and supervisors (agent.go)

		// Telephony (telephony.go)
	}
}
