package app_test

import (
	"context"
	"testing"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/notify/notifytest"
)

func TestNotifyWiring(t *testing.T) {
	ctx := context.Background()
	gw := notifytest.NewSMSGateway(t)
	relay := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	cfg := config.Default()
	cfg.SMSWebhook, cfg.SMTPRelay, cfg.SupportEmail, cfg.Demo = gw.URL, relay.URL, "help@dompet.test", true
	a, err := app.New(ctx, cfg, nil, app.Options{DB: dbtest.Open(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Notify == nil || a.Recorder == nil {
		t.Fatalf("Notify %v Recorder %v in demo mode", a.Notify, a.Recorder)
	}
	sms := notify.Message{Channel: notify.SMS, To: "+6281234567890", Text: "Kode 111222", Kind: "recovery_code"}
	mail := notify.Message{Channel: notify.Email, To: "budi@example.com", Subject: "重置密码", Text: "验证码 333444", Kind: "recovery_code"}
	for _, m := range []notify.Message{sms, mail} {
		if err := a.Notify.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if got := gw.Next(t); got.To != sms.To || got.Text != sms.Text {
		t.Errorf("gateway got %+v", got)
	}
	got := relay.Next(t)
	if got.Header.Get("From") != `"Dompet" <help@dompet.test>` || got.Subject != mail.Subject || notifytest.Code(got.Body) != "333444" {
		t.Errorf("relay got From %q Subject %q Body %q", got.Header.Get("From"), got.Subject, got.Body)
	}
	if rec := a.Recorder.Recent(); len(rec) != 2 || rec[0].Message != mail || rec[1].Message != sms {
		t.Errorf("recorded %+v", rec)
	}
}

func TestNotifyWithoutProviders(t *testing.T) {
	ctx := context.Background()
	capture := notify.NewRecorder(nil, 10) // stands for the providers
	a, err := app.New(ctx, config.Default(), nil, app.Options{DB: dbtest.Open(t), Notify: capture})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Recorder != nil {
		t.Error("a Recorder outside demo mode")
	}
	if err := a.Notify.Send(ctx, notify.Message{Channel: notify.SMS, To: "+6281", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := a.FlushNotify(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(capture.Recent()); n != 1 {
		t.Fatalf("%d delivered, want 1", n)
	}
}

func TestNotifyBadRelay(t *testing.T) {
	cfg := config.Default()
	cfg.SMTPRelay = "smtp://:25"
	if a, err := app.New(context.Background(), cfg, nil, app.Options{DB: dbtest.Open(t)}); err == nil {
		a.Close()
		t.Fatal("a relay without a host was accepted")
	}
}
