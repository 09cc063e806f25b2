package inbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/inbox"
	"github.com/dompet/dompet/internal/money"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/notify/notifytest"
	"github.com/dompet/dompet/internal/outbox"
	"github.com/dompet/dompet/internal/wallet"
)

type contacts map[string]inbox.Contact

func (c contacts) Contact(_ context.Context, userID string) (inbox.Contact, error) {
	x, ok := c[userID]
	if !ok {
		return inbox.Contact{}, inbox.ErrNoUser
	}
	return x, nil
}

// env is an inbox over a fresh store, with a real SMS gateway and SMTP relay behind the
// outbox, on a clock the test moves.
type env struct {
	ctx  context.Context
	d    *db.DB
	s    *inbox.Service
	ob   *outbox.Outbox
	sms  *notifytest.SMSGateway
	mail *notifytest.SMTPServer
	now  time.Time
}

func newEnv(t *testing.T, c contacts) *env {
	t.Helper()
	e := &env{ctx: context.Background(), d: dbtest.Open(t), now: time.Now()}
	clock := func() time.Time { return e.now }
	e.sms = notifytest.NewSMSGateway(t)
	e.mail = notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	e.s = inbox.New(e.d, inbox.Options{Contacts: c, Now: clock})
	e.ob = outbox.New(e.d, outbox.Options{Now: clock})
	router := notify.Router{
		SMS:   notify.Webhook{URL: e.sms.URL, Retry: notify.Retry{Attempts: 1}},
		Email: &notify.SMTP{Relay: e.mail.URL, From: "support@dompet.localhost", Retry: notify.Retry{Attempts: 1}},
	}
	e.ob.Handle(inbox.Topic, e.s.Handler(router), outbox.Retry{First: time.Second, Max: time.Second, Attempts: 3})
	return e
}

// receipt writes a receipt as the wallet does (its rows in one transaction) and returns the
// notification id.
func (e *env) receipt(t *testing.T, r wallet.Receipt) string {
	t.Helper()
	rows, err := e.s.Rows(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.d.WithTx(e.ctx, func(ctx context.Context, tx *db.Tx) error { return tx.InsertRows(ctx, rows) }); err != nil {
		t.Fatal(err)
	}
	return rows[0].Vals[0].(string)
}

func (e *env) dispatch(t *testing.T) {
	t.Helper()
	if _, err := e.ob.DispatchOnce(e.ctx); err != nil {
		t.Fatal(err)
	}
}

var (
	alice = inbox.Contact{Phone: "+6281100000001", PhoneVerified: true, Email: "alice@example.com", EmailVerified: true, Locale: "en"}
	bob   = inbox.Contact{Phone: "+6281100000002", PhoneVerified: true, Email: "bob@example.com", Locale: "zh-CN"}
)

func paid(user string) wallet.Receipt {
	return wallet.Receipt{UserID: user, Kind: wallet.ReceiptPaymentMade, TransactionID: "tx_1",
		Amount: money.New(1_500_000, "IDR"), Counterparty: "Toko Kopi"}
}

// A receipt reaches the SMS gateway and the SMTP relay with its notification id as the
// Idempotency-Key and the Message-ID, the same on the retry after a failure of both.
func TestReceiptDeliveryKeepsItsID(t *testing.T) {
	e := newEnv(t, contacts{"u_alice": alice})
	id := e.receipt(t, paid("u_alice"))
	e.sms.FailNext(1)
	e.mail.FailNext(1)
	e.dispatch(t)
	e.now = e.now.Add(2 * time.Second)
	e.dispatch(t)
	sms := e.sms.Next(t)
	if sms.To != alice.Phone || sms.Text != "Dompet: You paid IDR 15,000.00 to Toko Kopi." || sms.Header.Get("Idempotency-Key") != id {
		t.Fatalf("SMS %+v, Idempotency-Key %q, want %q", sms, sms.Header.Get("Idempotency-Key"), id)
	}
	if n := e.sms.Requests(); n != 2 {
		t.Fatalf("gateway saw %d requests, want the failed one and the accepted one", n)
	}
	m := e.mail.Next(t)
	if m.Header.Get("Message-Id") != "<"+id+"@dompet.localhost>" || m.Subject != "Payment sent" || !strings.Contains(m.Body, "Toko Kopi") {
		t.Fatalf("mail Message-ID %q subject %q body %q", m.Header.Get("Message-Id"), m.Subject, m.Body)
	}
	if st, err := outbox.Lookup(e.ctx, e.d, id); err != nil || st.Status != outbox.StatusDelivered || st.Attempts != 2 {
		t.Fatalf("%s: %+v %v", id, st, err)
	}
}

// The user's settings decide the channels when the receipt is sent; an unverified email gets
// nothing; with SMS off the receipt is still listed in-app.
func TestReceiptChannelsFollowSettings(t *testing.T) {
	e := newEnv(t, contacts{"u_alice": alice, "u_bob": bob})
	f := false
	if _, err := e.s.SetSettings(e.ctx, "u_alice", inbox.NotificationSettingsInput{PaymentMade: &inbox.ChannelsInput{SMS: &f}}); err != nil {
		t.Fatal(err)
	}
	e.receipt(t, paid("u_alice"))
	e.receipt(t, paid("u_bob"))
	e.dispatch(t)
	got := e.sms.All()
	if len(got) != 1 || got[0].To != bob.Phone || got[0].Text != "Dompet: 您已向 Toko Kopi 支付 IDR 15,000.00。" {
		t.Fatalf("SMS sent: %+v (alice turned SMS off for payments)", got)
	}
	if mails := e.mail.All(); len(mails) != 1 || mails[0].To[0] != alice.Email {
		t.Fatalf("mail sent: %+v (bob's email is not verified)", mails)
	}
	pg, err := e.s.List(e.ctx, "u_alice", "en", inbox.Filter{})
	if err != nil || len(pg.Items) != 1 || pg.Unread != 1 {
		t.Fatalf("alice's list %+v %v: SMS off must keep the receipt in-app", pg, err)
	}
	// in_app off hides the kind from the list and the count; sending is not affected.
	if _, err := e.s.SetSettings(e.ctx, "u_alice", inbox.NotificationSettingsInput{PaymentMade: &inbox.ChannelsInput{InApp: &f}}); err != nil {
		t.Fatal(err)
	}
	set, _ := e.s.Settings(e.ctx, "u_alice")
	if set.PaymentMade != (inbox.Channels{SMS: false, Email: true, InApp: false}) || set.TransferSent != (inbox.Channels{SMS: true, Email: true, InApp: true}) {
		t.Fatalf("settings %+v", set)
	}
	if pg, _ := e.s.List(e.ctx, "u_alice", "en", inbox.Filter{}); len(pg.Items) != 0 || pg.Unread != 0 {
		t.Fatalf("in_app off still lists %+v", pg)
	}
}

// Security alerts cannot be turned off: any value other than the fixed one is refused on its
// field, and nothing else of the request is saved.
func TestSecurityAlertsCannotBeTurnedOff(t *testing.T) {
	e := newEnv(t, contacts{})
	f, tr := false, true
	for _, tc := range []struct {
		in    inbox.ChannelsInput
		field string
	}{
		{inbox.ChannelsInput{SMS: &f}, "security.sms"},
		{inbox.ChannelsInput{Email: &f}, "security.email"},
		{inbox.ChannelsInput{InApp: &tr}, "security.in_app"},
	} {
		_, err := e.s.SetSettings(e.ctx, "u_alice", inbox.NotificationSettingsInput{Security: &tc.in, PaymentMade: &inbox.ChannelsInput{SMS: &f}})
		fe, ok := fault.As(err)
		if !ok || fe.Code != "invalid_request" || len(fe.Errs) != 1 || fe.Errs[0].Field != tc.field {
			t.Fatalf("%s: %v", tc.field, err)
		}
	}
	set, err := e.s.SetSettings(e.ctx, "u_alice", inbox.NotificationSettingsInput{Security: &inbox.ChannelsInput{SMS: &tr, Email: &tr}})
	if err != nil || !set.Security.SMS || !set.Security.Email || !set.PaymentMade.SMS {
		t.Fatalf("repeating the fixed values: %+v %v (and the refused requests changed nothing)", set, err)
	}
}

// The list pages newest first in the reader's language, counts the unread, marks read only
// the caller's own, and never shows another user's.
func TestListAndMarkRead(t *testing.T) {
	e := newEnv(t, contacts{})
	var ids []string
	for i := range 3 {
		r := paid("u_alice")
		r.TransactionID = "tx_" + string(rune('a'+i))
		ids = append(ids, e.receipt(t, r))
	}
	bobs := e.receipt(t, wallet.Receipt{UserID: "u_bob", Kind: wallet.ReceiptWithdrawalFailed, TransactionID: "tx_b",
		Amount: money.New(100_00, "IDR"), FailureCode: wallet.FailBankRejected, FailureParams: map[string]any{"currency": "IDR"}})

	pg, err := e.s.List(e.ctx, "u_alice", "en", inbox.Filter{Limit: 2})
	if err != nil || len(pg.Items) != 2 || pg.Unread != 3 || pg.NextCursor == nil || pg.Items[0].ID != ids[2] {
		t.Fatalf("first page %+v %v", pg, err)
	}
	if n := pg.Items[0]; n.Title != "Payment sent" || n.Body != "You paid IDR 15,000.00 to Toko Kopi." || n.TransactionID != "tx_c" || n.ReadAt != nil {
		t.Fatalf("item %+v", n)
	}
	pg2, _ := e.s.List(e.ctx, "u_alice", "zh-CN", inbox.Filter{Limit: 2, Cursor: *pg.NextCursor})
	if len(pg2.Items) != 1 || pg2.NextCursor != nil || pg2.Items[0].ID != ids[0] || pg2.Items[0].Title != "付款成功" {
		t.Fatalf("second page %+v", pg2)
	}
	// Marking bob's notification as alice changes nothing; alice's own are marked once.
	if err := e.s.MarkRead(e.ctx, "u_alice", inbox.MarkReadInput{IDs: []string{ids[0], bobs, "ntf_nope"}}); err != nil {
		t.Fatal(err)
	}
	pg, _ = e.s.List(e.ctx, "u_alice", "en", inbox.Filter{})
	if pg.Unread != 2 || pg.Items[2].ReadAt == nil || pg.Items[0].ReadAt != nil {
		t.Fatalf("after marking: %+v", pg)
	}
	unread, _ := e.s.List(e.ctx, "u_alice", "en", inbox.Filter{UnreadOnly: true})
	if len(unread.Items) != 2 || unread.Unread != 2 {
		t.Fatalf("unread only: %+v", unread)
	}
	b, _ := e.s.List(e.ctx, "u_bob", "zh-CN", inbox.Filter{})
	if len(b.Items) != 1 || b.Unread != 1 || b.Items[0].ID != bobs || b.Items[0].Title != "提现失败" ||
		!strings.HasPrefix(b.Items[0].Body, "您提现的 IDR 100.00 未能完成：") {
		t.Fatalf("bob's list %+v", b)
	}
	if err := e.s.MarkRead(e.ctx, "u_alice", inbox.MarkReadInput{}); err == nil {
		t.Fatal("no ids accepted")
	}
}

// A receipt for a user who no longer exists is dropped, not retried.
func TestReceiptForUnknownUserIsDropped(t *testing.T) {
	e := newEnv(t, contacts{})
	id := e.receipt(t, paid("u_gone"))
	e.dispatch(t)
	if st, err := outbox.Lookup(e.ctx, e.d, id); err != nil || st.Status != outbox.StatusDead || st.Attempts != 1 {
		t.Fatalf("%+v %v", st, err)
	}
}
