package web

import (
	"net/http"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/wallet"
)

func (s *Site) walletRoutes() []front.Route {
	return []front.Route{
		{Pattern: "GET /app", Page: true, Handler: s.signedIn(s.home)},
	}
}

// party is the wallet's view of the signed-in user.
func party(u *identity.User) wallet.Party {
	return wallet.Party{ID: u.ID, Name: u.DisplayName, Tier: string(u.Tier), Status: string(u.Status),
		Locale: u.Locale, PhoneVerified: u.PhoneVerified}
}

// homeData is /app: balances with their limits, and the latest activity.
type homeData struct {
	Summary wallet.Summary
	Recent  []wallet.Transaction
}

// homeRecent is how many movements the home page lists.
const homeRecent = 5

func (s *Site) home(w http.ResponseWriter, r *http.Request, v *View) {
	sum, err := s.o.Services.Wallet.Summary(r.Context(), party(v.User))
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	page, err := s.o.Services.Wallet.Transactions(r.Context(), v.User.ID, wallet.Filter{Limit: homeRecent})
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	for i := range page.Items {
		page.Items[i].Localize(v.Lang.String())
	}
	v.Data = homeData{Summary: sum, Recent: page.Items}
	s.render(w, r, 0, "home", v)
}
