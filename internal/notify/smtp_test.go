package notify_test

import (
	"context"
	"errors"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/notify/notifytest"
)

func zhMail() notify.Message {
	return notify.Message{
		Channel: notify.Email,
		To:      "lilei@example.cn",
		Subject: "Dompet 账户恢复验证码",
		Text:    "您好，\n\n您的验证码是 602913，10 分钟内有效。如果不是您本人操作，请忽略此邮件。\n\n—— Dompet 客服",
		Kind:    "recovery_code",
	}
}

func TestSMTPDeliversChinese(t *testing.T) {
	tests := []struct {
		name string
		opts notifytest.SMTPOptions
	}{
		{"plain", notifytest.SMTPOptions{}},
		{"plain with auth", notifytest.SMTPOptions{Username: "dompet", Password: "s3cret pass"}},
		{"smtps self-signed with auth", notifytest.SMTPOptions{TLS: true, Username: "dompet", Password: "s3cret"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.NewSMTPServer(t, tc.opts)
			now := time.Date(2026, 11, 3, 9, 30, 0, 0, time.FixedZone("WIB", 7*3600))
			s := &notify.SMTP{Relay: srv.URL, From: "support@dompet.localhost", TLS: srv.TLS, Retry: fast, Now: func() time.Time { return now }}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			m := zhMail()
			if err := s.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got := srv.Next(t)
			if got.From != "support@dompet.localhost" || len(got.To) != 1 || got.To[0] != m.To {
				t.Errorf("envelope from %q to %v", got.From, got.To)
			}
			from, err := mail.ParseAddress(got.Header.Get("From"))
			if err != nil || from.Address != "support@dompet.localhost" || from.Name != "Dompet" {
				t.Errorf("From %q → %v, %v", got.Header.Get("From"), from, err)
			}
			to, err := mail.ParseAddress(got.Header.Get("To"))
			if err != nil || to.Address != m.To {
				t.Errorf("To %q → %v, %v", got.Header.Get("To"), to, err)
			}
			if got.Subject != m.Subject {
				t.Errorf("Subject %q (raw %q), want %q", got.Subject, got.Header.Get("Subject"), m.Subject)
			}
			if !strings.Contains(got.Header.Get("Subject"), "=?") {
				t.Errorf("raw Subject %q is not RFC 2047 encoded", got.Header.Get("Subject"))
			}
			if strings.TrimRight(strings.ReplaceAll(got.Body, "\r\n", "\n"), "\n") != m.Text {
				t.Errorf("Body %q, want %q", got.Body, m.Text)
			}
			if c := notifytest.Code(got.Body); c != "602913" {
				t.Errorf("code %q", c)
			}
			if v := got.Header.Get("Auto-Submitted"); v != "auto-generated" {
				t.Errorf("Auto-Submitted %q", v)
			}
			if d, err := got.Header.Date(); err != nil || !d.Equal(now) {
				t.Errorf("Date %q → %v, %v", got.Header.Get("Date"), d, err)
			}
			if id := got.Header.Get("Message-Id"); !regexp.MustCompile(`^<[0-9a-z]{26}@dompet\.localhost>$`).MatchString(id) {
				t.Errorf("Message-ID %q", id)
			}
			if ct := got.Header.Get("Content-Type"); !strings.Contains(strings.ToLower(ct), "charset=utf-8") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestSMTPRetriesTemporaryFailures(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	srv.FailNext(2)
	s := &notify.SMTP{Relay: srv.URL, From: "support@dompet.localhost", Retry: fast, Log: discard()}
	if err := s.Send(context.Background(), zhMail()); err != nil {
		t.Fatal(err)
	}
	srv.Next(t)
	if n := len(srv.All()); n != 1 {
		t.Fatalf("%d mails delivered, want 1", n)
	}
	srv.FailNext(3)
	log, logs := newLog()
	s.Log = log
	err := s.Send(context.Background(), zhMail())
	if err == nil || !strings.Contains(err.Error(), "3 attempt") {
		t.Fatalf("err = %v, want a failure after 3 attempts", err)
	}
	if n := strings.Count(logs.String(), "notification attempt failed"); n != 3 {
		t.Errorf("%d failed attempts logged, want 3", n)
	}
	if out := logs.String(); strings.Contains(out, "lilei@") || strings.Contains(out, "602913") {
		t.Errorf("log shows the address or the code:\n%s", out)
	}
}

func TestSMTPFailures(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: "dompet", Password: "right"})
	tlsSrv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{TLS: true})
	wrong := strings.Replace(srv.URL, ":right@", ":wrong@", 1)
	tests := []struct {
		name string
		s    notify.SMTP
	}{
		{"wrong password", notify.SMTP{Relay: wrong, From: "support@dompet.localhost"}},
		{"untrusted certificate", notify.SMTP{Relay: tlsSrv.URL, From: "support@dompet.localhost"}},
		{"nothing listening", notify.SMTP{Relay: "smtp://127.0.0.1:1", From: "support@dompet.localhost"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.s.Retry, tc.s.Log, tc.s.Timeout = fast, discard(), 5*time.Second
			if err := tc.s.Send(context.Background(), zhMail()); err == nil {
				t.Fatal("sent")
			}
		})
	}
	if n := len(srv.All()) + len(tlsSrv.All()); n != 0 {
		t.Errorf("%d mails delivered", n)
	}
}

func TestSMTPValidate(t *testing.T) {
	for _, s := range []notify.SMTP{
		{Relay: "http://mail.example:25", From: "a@b.c"},
		{Relay: "smtp://:25", From: "a@b.c"},
		{Relay: "smtp://mail.example:99999", From: "a@b.c"},
		{Relay: "smtp://mail.example", From: "not an address"},
	} {
		if err := s.Validate(); err == nil {
			t.Errorf("%+v: valid", s)
		}
	}
	ok := notify.SMTP{Relay: "smtps://u:p@mail.example", From: "support@dompet.localhost"}
	if err := ok.Validate(); err != nil {
		t.Errorf("%+v: %v", ok, err)
	}
	err := (&notify.SMTP{Relay: "smtp://mail.example", From: "a@b.c"}).Send(context.Background(), smsMessage())
	if err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("an SMS went to the relay: %v", err)
	}
}
