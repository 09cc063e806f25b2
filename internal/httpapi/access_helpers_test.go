package httpapi

// Helpers of the account-security tests (recovery_test.go, me_test.go): a real Dompet built
// by app.New on a fresh store, whose SMS go to a real HTTP gateway and whose mail goes to a
// real SMTP relay, both run by the test (notifytest), behind a real HTTP server.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/notify/notifytest"
)

const accPassword = "Kopi-Susu-42-Gula"

type accEnv struct {
	app  *app.App
	api  *Server
	srv  *httptest.Server
	sms  *notifytest.SMSGateway
	mail *notifytest.SMTPServer
	logs *logBuffer
	seq  atomic.Int64
}

func newAccEnv(t testing.TB) *accEnv {
	t.Helper()
	e := &accEnv{sms: notifytest.NewSMSGateway(t), mail: notifytest.NewSMTPServer(t, notifytest.SMTPOptions{}), logs: &logBuffer{}}
	cfg := config.Default()
	cfg.SMSWebhook, cfg.SMTPRelay = e.sms.URL, e.mail.URL
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.New(context.Background(), cfg, log, app.Options{
		DB:       dbtest.Open(t),
		Identity: identity.Options{Argon2: identity.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}},
	})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	e.app = a
	e.api, err = New(Options{Config: cfg, DB: a.DB, Log: log, Identity: a.Identity, Staff: a.Staff, Audit: a.Audit, Merchants: a.Merchants, Wallet: a.Wallet, Support: a.Support, Inbox: a.Inbox, Help: a.Help})
	if err != nil {
		t.Fatalf("httpapi.New: %v", err)
	}
	e.srv = httptest.NewServer(e.api)
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", e.logs)
		}
	})
	return e
}

// accReply is an HTTP answer, read whole.
type accReply struct {
	status int
	header http.Header
	body   []byte
}

func (r accReply) String() string { return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.body)) }

// json decodes the body into a map.
func (r accReply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body of %s: %v", r, err)
	}
	return m
}

// call sends a request to the real server; body may be a string (sent as is) or a value
// (encoded as JSON). Headers come in name, value pairs.
func (e *accEnv) call(t testing.TB, method, path, token string, body any, headers ...string) accReply {
	t.Helper()
	var hs []hdr
	for i := 0; i+1 < len(headers); i += 2 {
		hs = append(hs, hdr{headers[i], headers[i+1]})
	}
	status, header, raw, err := sendJSON(e.srv.Client(), method, e.srv.URL+path, token, body, hs...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return accReply{status: status, header: header, body: raw}
}

// inProcess sends a request straight to the handler from a chosen peer address, for tests
// that need many addresses or many thousands of requests.
func (e *accEnv) inProcess(method, path, remoteAddr, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = remoteAddr
	rec := httptest.NewRecorder()
	e.api.ServeHTTP(rec, req)
	return rec
}

func wantStatus(t testing.TB, r accReply, status int) accReply {
	t.Helper()
	if r.status != status {
		t.Fatalf("got %s, want %d", r, status)
	}
	return r
}

// wantErr checks a problem+json answer with status and code and returns its members.
func wantErr(t testing.TB, r accReply, status int, code string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("got %s, want %d %s", r, status, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q of %s", ct, r)
	}
	p := r.json(t)
	if p["code"] != code {
		t.Fatalf("got %s, want code %s", r, code)
	}
	return p
}

type accUser struct {
	ID, Phone, Email, Token string
}

// newUser registers a user, logs in (a first login trusts its device) and verifies the phone
// and the email with the codes registration sent.
func (e *accEnv) newUser(t testing.TB) accUser {
	t.Helper()
	n := e.seq.Add(1)
	u := accUser{Phone: fmt.Sprintf("+62813%08d", n), Email: fmt.Sprintf("acc%d@example.com", n)}
	r := wantStatus(t, e.call(t, "POST", "/api/v1/auth/register", "", map[string]any{
		"phone": u.Phone, "email": u.Email, "password": accPassword, "display_name": fmt.Sprintf("User %d", n)}), http.StatusCreated)
	u.ID, _ = r.json(t)["id"].(string)
	u.Token = e.login(t, u.Email, accPassword)
	// Verified the real way, with the codes registration sent; reading them here also keeps
	// them from being taken for the codes a test asks for later.
	wantStatus(t, e.call(t, "POST", "/api/v1/me/phone/verify", u.Token, map[string]any{"code": e.nextSMSCode(t, u.Phone)}), http.StatusNoContent)
	wantStatus(t, e.call(t, "POST", "/api/v1/me/email/verify", u.Token, map[string]any{"code": e.nextMailCode(t, u.Email)}), http.StatusNoContent)
	return u
}

func (e *accEnv) loginReply(t testing.TB, login, password string) accReply {
	t.Helper()
	return e.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"login": login, "password": password, "device_id": "dev-acc"})
}

func (e *accEnv) login(t testing.TB, login, password string) string {
	t.Helper()
	r := wantStatus(t, e.loginReply(t, login, password), http.StatusOK)
	tok, _ := r.json(t)["token"].(string)
	if tok == "" {
		t.Fatalf("login without a token: %s", r)
	}
	return tok
}

// nextSMSCode waits for the next SMS to phone that carries a 6-digit code and returns it;
// other SMS (alerts) are skipped.
func (e *accEnv) nextSMSCode(t testing.TB, phone string) string {
	t.Helper()
	deadline := time.Now().Add(notifytest.Wait)
	for time.Now().Before(deadline) {
		m := e.sms.Next(t)
		if c := notifytest.Code(m.Text); m.To == phone && c != "" {
			return c
		}
	}
	t.Fatalf("no SMS with a code reached %s", phone)
	return ""
}

// nextSMSWith waits for the next SMS to phone whose text holds want; other SMS are skipped.
func (e *accEnv) nextSMSWith(t testing.TB, phone, want string) {
	t.Helper()
	deadline := time.Now().Add(notifytest.Wait)
	for time.Now().Before(deadline) {
		if m := e.sms.Next(t); m.To == phone && strings.Contains(m.Text, want) {
			return
		}
	}
	t.Fatalf("no SMS to %s said %q", phone, want)
}

// nextMailCode is nextSMSCode for mail to address.
func (e *accEnv) nextMailCode(t testing.TB, address string) string {
	t.Helper()
	deadline := time.Now().Add(notifytest.Wait)
	for time.Now().Before(deadline) {
		m := e.mail.Next(t)
		if c := notifytest.Code(m.Body); len(m.To) == 1 && m.To[0] == address && c != "" {
			return c
		}
	}
	t.Fatalf("no mail with a code reached %s", address)
	return ""
}
