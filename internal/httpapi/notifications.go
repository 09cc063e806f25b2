package httpapi

import (
	"net/http"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/inbox"
)

// notifications lists the caller's notifications in the request's language.
func (s *Server) notifications(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	f := inbox.Filter{Limit: limit, Cursor: cursor}
	switch r.URL.Query().Get("unread") {
	case "", "false":
	case "true":
		f.UnreadOnly = true
	default:
		return fault.Invalid("unread", fault.MsgBeBool)
	}
	p, _ := userOf[identity.Principal](r)
	pg, err := s.inbox.List(r.Context(), p.User.ID, localeOf(r).String(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pg)
}

var notificationsDoc = operation{Summary: "The user's notifications (receipts), newest first, with the unread count", Tag: "me",
	Description: "Titles and bodies are in the request's language. Kinds whose `in_app` setting is off are left out, " +
		"of the list and of `unread`. Security alerts are listed at `/api/v1/me/security-events`.",
	Query:    append([]param{{Name: "unread", Type: "boolean", Description: "true: only unread notifications"}}, listQuery...),
	Response: inbox.NotificationPage{}}

// readNotifications marks the caller's notifications read; another user's ids are ignored.
func (s *Server) readNotifications(w http.ResponseWriter, r *http.Request) error {
	var req inbox.MarkReadInput
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	if err := s.inbox.MarkRead(r.Context(), p.User.ID, req); err != nil {
		return err
	}
	return noContent(w)
}

var readNotificationsDoc = operation{Summary: "Mark notifications read", Tag: "me",
	Request: inbox.MarkReadInput{}, Status: http.StatusNoContent}

func (s *Server) notificationSettings(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	set, err := s.inbox.Settings(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, set)
}

var notificationSettingsDoc = operation{Summary: "The channels of each kind of notification", Tag: "me",
	Description: "Each receipt kind goes in-app and by SMS to the verified phone by default, and by email once the email is verified.",
	Response:    inbox.NotificationSettings{}}

func (s *Server) setNotificationSettings(w http.ResponseWriter, r *http.Request) error {
	var req inbox.NotificationSettingsInput
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	set, err := s.inbox.SetSettings(r.Context(), p.User.ID, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, set)
}

var setNotificationSettingsDoc = operation{Summary: "Change the channels of some kinds of notification", Tag: "me",
	Description: "Kinds and channels left out stay as they are. Security alerts cannot be turned off: " +
		"`security` may only repeat its fixed values, anything else is a 400 on that field.",
	Request: inbox.NotificationSettingsInput{}, Response: inbox.NotificationSettings{}}
