package notify_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/notify/notifytest"
	"github.com/dompet/dompet/internal/outbox"
)

// A notification written to the outbox reaches the SMS gateway and the SMTP relay with its
// outbox id as Idempotency-Key and Message-ID, the same on the attempt after a failure.
func TestOutboxMessagesKeepTheirID(t *testing.T) {
	d := dbtest.Open(t)
	g := notifytest.NewSMSGateway(t)
	mail := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	router := notify.Router{
		SMS:   notify.Webhook{URL: g.URL, Retry: notify.Retry{Attempts: 1}},
		Email: &notify.SMTP{Relay: mail.URL, From: "support@dompet.localhost", Retry: notify.Retry{Attempts: 1}},
	}
	now := time.Now()
	ob := outbox.New(d, outbox.Options{Now: func() time.Time { return now }})
	ob.Handle(notify.Topic, notify.Handler(router), outbox.Retry{First: time.Second, Max: time.Second, Attempts: 3})

	sms := notify.Message{ID: "ntf_sms1", Channel: notify.SMS, To: "+6281234567890", Text: "Dompet: your PIN was changed.", Kind: "pin_changed"}
	email := notify.Message{Channel: notify.Email, To: "budi@example.com", Subject: "Password changed", Text: "Dompet: your password was changed.", Kind: "password_changed"}
	var emailID string
	err := d.WithTx(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		r1, err := notify.Row(sms)
		if err != nil {
			return err
		}
		r2, err := notify.Row(email)
		if err != nil {
			return err
		}
		emailID = r2.Vals[0].(string)
		return tx.InsertRows(ctx, []db.Row{r1, r2})
	})
	if err != nil {
		t.Fatal(err)
	}
	g.FailNext(1)
	mail.FailNext(1)
	if n, err := ob.DispatchOnce(context.Background()); n != 2 || err != nil {
		t.Fatalf("first pass: %d, %v", n, err)
	}
	now = now.Add(2 * time.Second)
	if n, err := ob.DispatchOnce(context.Background()); n != 2 || err != nil {
		t.Fatalf("second pass: %d, %v", n, err)
	}
	got := g.Next(t)
	if got.To != sms.To || got.Text != sms.Text || got.Header.Get("Idempotency-Key") != "ntf_sms1" {
		t.Fatalf("gateway got %+v (Idempotency-Key %q)", got, got.Header.Get("Idempotency-Key"))
	}
	if n := g.Requests(); n != 2 {
		t.Fatalf("gateway saw %d requests, want the failed one and the accepted one", n)
	}
	m := mail.Next(t)
	if m.Header.Get("Message-Id") != "<"+emailID+"@dompet.localhost>" || m.Subject != email.Subject {
		t.Fatalf("mail Message-ID %q subject %q, want <%s@dompet.localhost>", m.Header.Get("Message-Id"), m.Subject, emailID)
	}
	for _, id := range []string{"ntf_sms1", emailID} {
		if st, err := outbox.Lookup(context.Background(), d, id); err != nil || st.Status != outbox.StatusDelivered || st.Attempts != 2 {
			t.Fatalf("%s: %+v %v", id, st, err)
		}
	}
}

func TestRowRefusesUnknownChannel(t *testing.T) {
	if _, err := notify.Row(notify.Message{Channel: "fax", Kind: "x"}); err == nil {
		t.Fatal("a fax was accepted")
	}
}

// A refusal the provider calls final (a 400 from the gateway) kills the message at once.
func TestOutboxPermanentFailure(t *testing.T) {
	h := notify.Handler(senderFunc(func(context.Context, notify.Message) error { return errors.New("down") }))
	err := h(context.Background(), outbox.Delivery{ID: "ntf_1", Payload: []byte("{not json")})
	if err == nil || !outbox.IsPermanent(err) {
		t.Fatalf("unreadable payload: %v", err)
	}
	err = h(context.Background(), outbox.Delivery{ID: "ntf_1", Payload: []byte(`{"channel":"sms","to":"+62812","text":"x"}`)})
	if err == nil || outbox.IsPermanent(err) {
		t.Fatalf("a transient failure: %v", err)
	}
}

type senderFunc func(context.Context, notify.Message) error

func (f senderFunc) Send(ctx context.Context, m notify.Message) error { return f(ctx, m) }
