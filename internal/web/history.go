package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/wallet"
)

func (s *Site) historyRoutes() []front.Route {
	return []front.Route{
		{Pattern: "GET /app/history", Page: true, Handler: s.signedIn(s.history)},
		{Pattern: "GET /app/history/{id}", Page: true, Handler: s.signedIn(s.transaction)},
	}
}

// historyPageSize is how many movements one page of /app/history lists.
const historyPageSize = 20

// historyData is one page of the history with its filters.
type historyData struct {
	Kind, Status string
	Kinds        []string
	Statuses     []string
	Items        []wallet.Transaction
	Next         string // the next page's URL, "" on the last page
}

// history lists the user's movements, newest first, filtered by kind and status, a page at a
// time (the cursor is the last id shown). A failure shows its reason in the page's language.
func (s *Site) history(w http.ResponseWriter, r *http.Request, v *View) {
	q := r.URL.Query()
	d := historyData{Kind: q.Get("kind"), Status: q.Get("status"), Kinds: wallet.Kinds, Statuses: wallet.Statuses}
	if !slices.Contains(wallet.Kinds, d.Kind) {
		d.Kind = ""
	}
	if !slices.Contains(wallet.Statuses, d.Status) {
		d.Status = ""
	}
	v.Data = d
	page, err := s.o.Services.Wallet.Transactions(r.Context(), v.User.ID,
		wallet.Filter{Kind: d.Kind, Status: d.Status, Cursor: q.Get("cursor"), Limit: historyPageSize})
	if err != nil {
		s.fail(w, r, "history", v, err)
		return
	}
	for i := range page.Items {
		page.Items[i].Localize(v.Lang.String())
	}
	d.Items = page.Items
	if page.NextCursor != nil {
		next := url.Values{"cursor": {*page.NextCursor}}
		if d.Kind != "" {
			next.Set("kind", d.Kind)
		}
		if d.Status != "" {
			next.Set("status", d.Status)
		}
		d.Next = "/app/history?" + next.Encode()
	}
	v.Data = d
	s.render(w, r, 0, "history", v)
}

// txData is one movement in detail.
type txData struct {
	Tx      wallet.Transaction
	Steps   []txStep // the tracker of a movement that takes time; nil otherwise
	HelpURL string   // the chat about this movement
}

// txStep is one stage of a pending movement's tracker.
type txStep struct {
	Key  string // catalogue key of its label
	Done bool
	Now  bool // the stage it is at
}

func (s *Site) transaction(w http.ResponseWriter, r *http.Request, v *View) {
	tx, err := s.o.Services.Wallet.Transaction(r.Context(), v.User.ID, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	tx.Localize(v.Lang.String())
	d := txData{Tx: tx, HelpURL: "/chat?" + url.Values{"transaction_id": {tx.ID}}.Encode()}
	if tx.Kind == wallet.KindWithdrawal || tx.Kind == wallet.KindRemittance {
		d.Steps = tracker(tx.Status)
	}
	if done := r.URL.Query().Get("done"); done != "" {
		v.Notice = v.T("wallet.done." + moneyKind(done))
	}
	v.Data = d
	s.render(w, r, 0, "transaction", v)
}

// tracker is the stages of a payout: asked, sent to the bank, settled (or given back).
func tracker(status string) []txStep {
	steps := []txStep{{Key: "wallet.track.requested", Done: true}, {Key: "wallet.track.bank"}, {Key: "wallet.track.settled"}}
	switch status {
	case wallet.StatusPending:
		steps[1].Now = true
	case wallet.StatusSucceeded:
		steps[1].Done, steps[2].Done = true, true
	default: // failed or reversed: the money came back
		steps[1].Done = true
		steps[2] = txStep{Key: "wallet.track.returned", Done: true}
	}
	return steps
}
