package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/notify/notifytest"
)

type apiNotification struct {
	ID            string  `json:"id"`
	Kind          string  `json:"kind"`
	Title         string  `json:"title"`
	Body          string  `json:"body"`
	TransactionID string  `json:"transaction_id"`
	ReadAt        *string `json:"read_at"`
}

type apiNotifications struct {
	Items      []apiNotification `json:"items"`
	Unread     int               `json:"unread"`
	NextCursor *string           `json:"next_cursor"`
}

func (e *e2eEnv) notifications(t *testing.T, token, query string) apiNotifications {
	t.Helper()
	var out apiNotifications
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/me/notifications"+query, token, nil), http.StatusOK), &out)
	return out
}

// Over HTTP: a top-up and a payment send their receipts to the SMS receiver and list them
// in-app; read state and settings are the caller's own; security alerts stay on.
func TestE2EReceipts(t *testing.T) {
	gw := notifytest.NewSMSGateway(t)
	e := newE2E(t, func(o *app.Options) {
		o.Notify = notify.Router{SMS: notify.Webhook{URL: gw.URL}}
	})
	alice := e.newUser(t, userOpts{locale: "en"})
	bob := e.newUser(t, userOpts{locale: "zh-CN"})
	m := e.newMerchant(t, "Warung Sate", "")
	e.topUp(t, alice, 100_000_00, "IDR")
	pay := e.pay(t, alice, m.ID, 25_000_00)

	var texts []string
	for len(texts) < 2 {
		s := gw.Next(t)
		if notifytest.Code(s.Text) != "" {
			continue // the phone's verification code, sent at registration
		}
		if s.To != alice.Phone || s.Header.Get("Idempotency-Key") == "" {
			t.Fatalf("SMS %+v", s)
		}
		texts = append(texts, s.Text)
	}
	slices.Sort(texts)
	if texts[0] != "Dompet: IDR 100,000.00 was added to your wallet." || texts[1] != "Dompet: You paid IDR 25,000.00 to Warung Sate." {
		t.Fatalf("SMS texts %q", texts)
	}

	list := e.notifications(t, alice.Token, "")
	if len(list.Items) != 2 || list.Unread != 2 || list.Items[0].Kind != "payment_made" || list.Items[0].TransactionID != pay.ID ||
		list.Items[0].Title != "Payment sent" || list.Items[1].Kind != "topup_credited" || list.Items[0].ReadAt != nil {
		t.Fatalf("alice's notifications %+v", list)
	}
	if b := e.notifications(t, bob.Token, ""); len(b.Items) != 0 || b.Unread != 0 {
		t.Fatalf("bob sees %+v", b)
	}
	// Bob cannot mark alice's notification read: 204, and nothing changes.
	want(t, e.do(t, "POST", "/api/v1/me/notifications/read", bob.Token, map[string]any{"ids": []string{list.Items[0].ID}}), http.StatusNoContent)
	if l := e.notifications(t, alice.Token, "?unread=true"); l.Unread != 2 || len(l.Items) != 2 {
		t.Fatalf("after bob's try: %+v", l)
	}
	want(t, e.do(t, "POST", "/api/v1/me/notifications/read", alice.Token, map[string]any{"ids": []string{list.Items[0].ID}}), http.StatusNoContent)
	if l := e.notifications(t, alice.Token, "?unread=true"); l.Unread != 1 || len(l.Items) != 1 || l.Items[0].Kind != "topup_credited" {
		t.Fatalf("after marking: %+v", l)
	}
	if l := e.notifications(t, alice.Token, "?limit=1"); len(l.Items) != 1 || l.NextCursor == nil || l.Items[0].ReadAt == nil {
		t.Fatalf("first page of one: %+v", l)
	}
	wantProblem(t, e.do(t, "GET", "/api/v1/me/notifications?unread=maybe", alice.Token, nil, invalidOnPurpose), 400, "invalid_request")
	wantProblem(t, e.do(t, "POST", "/api/v1/me/notifications/read", alice.Token, map[string]any{"ids": []string{}}), 400, "invalid_request")

	// Settings: defaults, a change, and security alerts that cannot be turned off.
	var set map[string]map[string]bool
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/me/notification-settings", alice.Token, nil), http.StatusOK), &set)
	if len(set) != 12 || !set["payment_made"]["sms"] || !set["payment_made"]["in_app"] || !set["security"]["sms"] {
		t.Fatalf("default settings %v", set)
	}
	decodeJSON(t, want(t, e.do(t, "PUT", "/api/v1/me/notification-settings", alice.Token,
		map[string]any{"payment_made": map[string]any{"sms": false}}), http.StatusOK), &set)
	if set["payment_made"]["sms"] || !set["payment_made"]["email"] || !set["money_received"]["sms"] {
		t.Fatalf("after the change %v", set)
	}
	p := wantProblem(t, e.do(t, "PUT", "/api/v1/me/notification-settings", alice.Token,
		map[string]any{"security": map[string]any{"email": false}}), 400, "invalid_request")
	if errs, _ := p["errors"].([]any); len(errs) != 1 || !strings.Contains(fmt.Sprint(errs[0]), "security.email") {
		t.Fatalf("problem %v", p)
	}
	wantProblem(t, e.do(t, "PUT", "/api/v1/me/notification-settings", alice.Token,
		map[string]any{"payment_made": map[string]any{"fax": true}}), 400, "invalid_request")
}
