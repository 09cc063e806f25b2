package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/inbox"
)

// /app/notifications: the receipts in the user's inbox, newest first, a page at a time, with
// "mark read" (one, or every one shown), and which channels each kind of receipt goes by.

func (s *Site) notificationRoutes() []front.Route {
	if s.o.Services.Inbox == nil {
		return nil
	}
	return []front.Route{
		{Pattern: "GET /app/notifications", Page: true, Handler: s.signedIn(s.notifications)},
		{Pattern: "POST /app/notifications/read", Page: true, Handler: s.signedIn(s.markRead)},
		{Pattern: "POST /app/notifications/settings", Page: true, Handler: s.signedIn(s.notificationSettings)},
	}
}

// channelNames are the settings' channels, in the order of the table's columns.
var channelNames = []string{"sms", "email", "in_app"}

// notificationsData is one page of the inbox and the settings table.
type notificationsData struct {
	Page     inbox.NotificationPage
	Unread   []string // ids of the unread ones shown ("mark all read")
	Next     string
	Kinds    []string
	Channels []string
	Settings map[string]inbox.Channels // by kind, as the API names them
}

// On tells whether kind goes by channel (for the checkboxes).
func (d notificationsData) On(kind, channel string) bool {
	c := d.Settings[kind]
	switch channel {
	case "sms":
		return c.SMS
	case "email":
		return c.Email
	}
	return c.InApp
}

func (s *Site) notifications(w http.ResponseWriter, r *http.Request, v *View) {
	if r.URL.Query().Get("done") == "settings" {
		v.Notice = v.T("wallet.notifications.saved")
	}
	s.notificationsShow(w, r, v, nil)
}

func (s *Site) notificationsShow(w http.ResponseWriter, r *http.Request, v *View, fail error) {
	ib := s.o.Services.Inbox
	pg, err := ib.List(r.Context(), v.User.ID, v.Lang.String(), inbox.Filter{Cursor: r.URL.Query().Get("cursor"), Limit: 20})
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	set, err := ib.Settings(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	d := notificationsData{Page: pg, Kinds: inbox.Kinds, Channels: channelNames}
	// The settings as the API shows them, by kind: the table follows the kinds list, so a
	// new kind needs no change here (only its words in the catalogues).
	raw, _ := json.Marshal(set) // plain structs: cannot fail
	if err := json.Unmarshal(raw, &d.Settings); err != nil {
		s.fail(w, r, "error", v, fmt.Errorf("notification settings: %w", err))
		return
	}
	for _, n := range pg.Items {
		if n.ReadAt == nil {
			d.Unread = append(d.Unread, n.ID)
		}
	}
	if pg.NextCursor != nil {
		d.Next = "/app/notifications?" + url.Values{"cursor": {*pg.NextCursor}}.Encode()
	}
	v.Data = d
	if fail != nil {
		s.fail(w, r, "notifications", v, fail)
		return
	}
	s.render(w, r, 0, "notifications", v)
}

func (s *Site) markRead(w http.ResponseWriter, r *http.Request, v *View) {
	if err := s.o.Services.Inbox.MarkRead(r.Context(), v.User.ID, inbox.MarkReadInput{IDs: r.PostForm["id"]}); err != nil {
		s.notificationsShow(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/app/notifications", http.StatusSeeOther)
}

// notificationSettings saves the table: every kind's three boxes (an unticked box is not
// posted, so absence is "off").
func (s *Site) notificationSettings(w http.ResponseWriter, r *http.Request, v *View) {
	in := map[string]map[string]bool{}
	for _, k := range inbox.Kinds {
		in[k] = map[string]bool{}
		for _, c := range channelNames {
			in[k][c] = r.PostFormValue(k+"."+c) == "on"
		}
	}
	var set inbox.NotificationSettingsInput
	raw, _ := json.Marshal(in)
	if err := json.Unmarshal(raw, &set); err != nil {
		s.fail(w, r, "error", v, fmt.Errorf("notification settings form: %w", err))
		return
	}
	if _, err := s.o.Services.Inbox.SetSettings(r.Context(), v.User.ID, set); err != nil {
		s.notificationsShow(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/app/notifications?done=settings", http.StatusSeeOther)
}
