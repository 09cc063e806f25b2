package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/secret"
	"github.com/dompet/dompet/internal/staff"
)

// fxEnv is a real HTTP server on the identity service with a settable clock (TOTP codes
// depend on it) and a notify.Sender that records what it sends.
type fxEnv struct {
	srv   *httptest.Server
	id    *identity.Service
	staff *staff.Service
	audit *audit.Log
	logs  *logBuffer

	mu   sync.Mutex
	now  time.Time
	sent []notify.Message
}

func newFxEnv(t testing.TB) *fxEnv {
	t.Helper()
	e := &fxEnv{now: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), logs: &logBuffer{}}
	d := dbtest.Open(t)
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.id = identity.New(d, identity.Options{Argon2: identity.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1},
		Now: e.clock, Notify: e, Log: log, CacheTTL: -1, Secrets: secret.Ephemeral()})
	e.staff = staff.New(d, e.id, staff.Options{Now: e.clock, Log: log})
	e.audit = audit.New(d, e.clock)
	api, err := New(Options{Config: config.Default(), DB: d, Log: log, Identity: e.id, Staff: e.staff, Audit: e.audit})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(api)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *fxEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *fxEnv) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// Send implements notify.Sender.
func (e *fxEnv) Send(_ context.Context, m notify.Message) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sent = append(e.sent, m)
	return nil
}

func (e *fxEnv) sentOf(kind string) []notify.Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []notify.Message
	for _, m := range e.sent {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

var fxCodeRE = regexp.MustCompile(`\b\d{6}\b`)

// lastCode is the code of the latest login code sent, and its message.
func (e *fxEnv) lastCode(t testing.TB) (notify.Message, string) {
	t.Helper()
	ms := e.sentOf("login_code")
	if len(ms) == 0 {
		t.Fatal("no login code sent")
	}
	m := ms[len(ms)-1]
	return m, fxCodeRE.FindString(m.Text)
}

type fxReply struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r fxReply) String() string { return fmt.Sprintf("%d %s", r.status, r.raw) }

// call sends a JSON request (body a string is sent as is) with an optional bearer token.
func (e *fxEnv) call(t testing.TB, method, path, token string, body any) fxReply {
	t.Helper()
	status, header, raw, err := sendJSON(e.srv.Client(), method, e.srv.URL+path, token, body, hdr{"User-Agent", "fx-test/1.0"})
	if err != nil {
		t.Fatal(err)
	}
	r := fxReply{status: status, header: header, raw: raw}
	if len(r.raw) > 0 {
		_ = json.Unmarshal(r.raw, &r.body)
	}
	return r
}

func (e *fxEnv) want(t testing.TB, r fxReply, status int) fxReply {
	t.Helper()
	if r.status != status {
		t.Fatalf("got %s, want %d", r, status)
	}
	return r
}

// wantProblem checks a problem+json answer with status and code.
func (e *fxEnv) wantProblem(t testing.TB, r fxReply, status int, code string) map[string]any {
	t.Helper()
	if r.status != status || r.body["code"] != code {
		t.Fatalf("got %s, want %d %s", r, status, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q", ct)
	}
	return r.body
}

const fxPassword = "Kopi-Susu-42-Gula"

// register makes user n and logs them in from device "phone-<n>"; it returns the token.
func (e *fxEnv) register(t testing.TB, n int) (identity.User, string) {
	t.Helper()
	u, err := e.id.Register(context.Background(), identity.RegisterInput{Phone: fmt.Sprintf("+62813%07d", n),
		Email: fmt.Sprintf("fx%d@example.com", n), Password: fxPassword, DisplayName: fmt.Sprintf("Fx %d", n)})
	if err != nil {
		t.Fatal(err)
	}
	r := e.want(t, e.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"login": u.Email, "password": fxPassword,
		"device_id": fmt.Sprintf("phone-%d", n)}), 200)
	return u, r.body["token"].(string)
}

// login logs u in with the password from device, with otp and otp_method when not "".
func (e *fxEnv) login(t testing.TB, u identity.User, device, otp, method string) fxReply {
	t.Helper()
	body := map[string]any{"login": u.Phone, "password": fxPassword, "device_id": device}
	if otp != "" {
		body["otp"] = otp
	}
	if method != "" {
		body["otp_method"] = method
	}
	return e.call(t, "POST", "/api/v1/auth/login", "", body)
}

func methodsOf(p map[string]any) string {
	var out []string
	ms, _ := p["methods"].([]any)
	for _, m := range ms {
		out = append(out, fmt.Sprint(m))
	}
	return strings.Join(out, ",")
}

// fxOathtool is Debian's oathtool: an independent TOTP implementation.
func fxOathtool(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("oathtool is required on CI: %v", err)
		}
		t.Skip("oathtool not installed (apt-get install oathtool)")
	}
	out, err := exec.Command(path, "--totp", "-b", "--now", at.UTC().Format("2006-01-02 15:04:05 UTC"), secret).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func TestTwoFactorOverHTTP(t *testing.T) {
	e := newFxEnv(t)
	u, token := e.register(t, 1)
	login := func(otp, method string) fxReply { return e.login(t, u, "phone-1", otp, method) }

	e.wantProblem(t, e.call(t, "POST", "/api/v1/me/two-factor/totp/confirm", token, map[string]any{"code": "123456"}), 409, "invalid_state")
	en := e.want(t, e.call(t, "POST", "/api/v1/me/two-factor/totp", token, nil), 200)
	secret, _ := en.body["secret"].(string)
	if len(secret) != 32 || !strings.HasPrefix(en.body["otpauth_url"].(string), "otpauth://totp/Dompet:") ||
		en.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("enrollment %s", en)
	}
	e.wantProblem(t, e.call(t, "POST", "/api/v1/me/two-factor/totp/confirm", token, map[string]any{"code": "000000"}), 401, "invalid_code")
	e.wantProblem(t, e.call(t, "POST", "/api/v1/me/two-factor/totp/confirm", token, `{"code":"1","extra":1}`), 400, "invalid_request")
	confirming := fxOathtool(t, secret, e.clock())
	cr := e.want(t, e.call(t, "POST", "/api/v1/me/two-factor/totp/confirm", token, map[string]any{"code": confirming}), 200)
	codes, _ := cr.body["recovery_codes"].([]any)
	if len(codes) != 10 {
		t.Fatalf("recovery codes %s", cr)
	}
	me := e.want(t, e.call(t, "GET", "/api/v1/me", token, nil), 200)
	if tf, _ := me.body["two_factor"].(map[string]any); tf["enabled"] != true || methodsOf(tf) != "totp,sms,email" {
		t.Fatalf("me %s", me)
	}

	p := e.wantProblem(t, login("", ""), 401, "second_factor_required")
	if methodsOf(p) != "totp,sms,email" || p["code_sent"] != nil {
		t.Fatalf("challenge %v", p)
	}
	e.wantProblem(t, login(confirming, ""), 401, "invalid_code") // the confirming code is spent
	e.advance(30 * time.Second)
	next := fxOathtool(t, secret, e.clock())
	if r := e.want(t, login(next, ""), 200); r.body["token"] == "" {
		t.Fatal(r)
	}
	e.wantProblem(t, login(next, ""), 401, "invalid_code")
	e.advance(5 * time.Minute)
	e.want(t, login(fxOathtool(t, secret, e.clock().Add(-30*time.Second)), ""), 200) // one step of skew
	e.advance(5 * time.Minute)
	e.wantProblem(t, login(fxOathtool(t, secret, e.clock().Add(-60*time.Second)), ""), 401, "invalid_code")

	// A recovery code, once.
	rc := codes[0].(string)
	e.want(t, login(rc, ""), 200)
	e.wantProblem(t, login(rc, ""), 401, "invalid_code")

	// The SMS fallback, on request.
	p = e.wantProblem(t, login("", "sms"), 401, "second_factor_required")
	if p["code_sent"] != "sms" {
		t.Fatalf("challenge %v", p)
	}
	m, code := e.lastCode(t)
	if m.Channel != notify.SMS || m.To != u.Phone {
		t.Fatalf("sms %+v", m)
	}
	e.want(t, login(code, ""), 200)
	e.wantProblem(t, login("", "carrier-pigeon"), 400, "invalid_request")

	// Off again: password and a current code.
	e.advance(time.Minute)
	e.wantProblem(t, e.call(t, "DELETE", "/api/v1/me/two-factor", token,
		map[string]any{"password": "Wrong-Pass-9!", "code": fxOathtool(t, secret, e.clock())}), 401, "invalid_credentials")
	e.want(t, e.call(t, "DELETE", "/api/v1/me/two-factor", token,
		map[string]any{"password": fxPassword, "code": fxOathtool(t, secret, e.clock())}), 204)
	me = e.want(t, e.call(t, "GET", "/api/v1/me", token, nil), 200)
	if tf, _ := me.body["two_factor"].(map[string]any); tf["enabled"] != false {
		t.Fatalf("me %s", me)
	}
	e.want(t, login("", ""), 200)

	// The secret is in no answer but the enrollment's, and in no log line.
	if strings.Contains(e.logs.String(), secret) || strings.Contains(string(me.raw), secret) {
		t.Fatal("the TOTP secret leaked")
	}
}

func TestNewDeviceOverHTTP(t *testing.T) {
	e := newFxEnv(t)
	u, token := e.register(t, 1)
	_, otherToken := e.register(t, 2)
	p := e.wantProblem(t, e.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"login": u.Email, "password": fxPassword,
		"device_id": "laptop-7"}), 401, "second_factor_required")
	if methodsOf(p) != "sms,email" || p["code_sent"] != "sms" {
		t.Fatalf("challenge %v", p)
	}
	m, code := e.lastCode(t)
	if m.To != u.Phone || m.Channel != notify.SMS {
		t.Fatalf("code message %+v", m)
	}
	e.wantProblem(t, e.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"login": u.Email, "password": fxPassword,
		"device_id": "laptop-7", "otp": "12345x"}), 401, "invalid_code")
	r := e.want(t, e.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"login": u.Email, "password": fxPassword,
		"device_id": "laptop-7", "otp": code}), 200)
	laptopToken := r.body["token"].(string)
	if alerts := e.sentOf("new_device"); len(alerts) != 1 || alerts[0].To != u.Email || !strings.Contains(alerts[0].Text, "fx-test/1.0") {
		t.Fatalf("new device alerts %+v", alerts)
	}
	e.want(t, e.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"login": u.Email, "password": fxPassword,
		"device_id": "laptop-7"}), 200) // known now

	devs := e.want(t, e.call(t, "GET", "/api/v1/me/devices", token, nil), 200)
	items, _ := devs.body["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("devices %s", devs)
	}
	var laptopID string
	for _, it := range items {
		d := it.(map[string]any)
		if d["device_id"] == "laptop-7" {
			laptopID, _ = d["id"].(string)
			if d["user_agent"] != "fx-test/1.0" || d["last_ip"] != "127.0.0.1" || d["first_seen"] == nil {
				t.Fatalf("device %v", d)
			}
		}
	}
	evs := e.want(t, e.call(t, "GET", "/api/v1/me/security-events", token, nil), 200)
	for _, kind := range []string{`"new_device"`, `"login_challenged"`, `"second_factor_failed"`} {
		if !bytes.Contains(evs.raw, []byte(kind)) {
			t.Errorf("no %s event in %s", kind, evs.raw)
		}
	}

	e.wantProblem(t, e.call(t, "DELETE", "/api/v1/me/devices/"+laptopID, otherToken, nil), 404, "not_found")
	e.want(t, e.call(t, "DELETE", "/api/v1/me/devices/"+laptopID, token, nil), 204)
	e.wantProblem(t, e.call(t, "GET", "/api/v1/me", laptopToken, nil), 401, "unauthenticated")
	e.want(t, e.call(t, "GET", "/api/v1/me", token, nil), 200)
	e.wantProblem(t, e.call(t, "DELETE", "/api/v1/me/devices/"+laptopID, token, nil), 404, "not_found")
}

// FuzzLoginSecondFactor sends any body to the login of a two-factor user: the answer is
// always a JSON object, a problem+json below 500 for errors.
func FuzzLoginSecondFactor(f *testing.F) {
	e := newFxEnv(f)
	u, token := e.register(f, 1)
	en := e.want(f, e.call(f, "POST", "/api/v1/me/two-factor/totp", token, nil), 200)
	secret := en.body["secret"].(string)
	e.want(f, e.call(f, "POST", "/api/v1/me/two-factor/totp/confirm", token, map[string]any{"code": fxOathtool(f, secret, e.clock())}), 200)
	for _, s := range []string{
		fmt.Sprintf(`{"login":%q,"password":%q,"device_id":"phone-1"}`, u.Email, fxPassword),
		fmt.Sprintf(`{"login":%q,"password":%q,"otp":"123456"}`, u.Email, fxPassword),
		fmt.Sprintf(`{"login":%q,"password":%q,"otp":"abcde-fghij","device_id":"x"}`, u.Phone, fxPassword),
		fmt.Sprintf(`{"login":%q,"password":%q,"otp_method":"sms"}`, u.Phone, fxPassword),
		fmt.Sprintf(`{"login":%q,"password":%q,"otp_method":"email","device_id":"phone-1"}`, u.Phone, fxPassword),
		fmt.Sprintf(`{"login":%q,"password":%q,"otp_method":"fax"}`, u.Phone, fxPassword),
		fmt.Sprintf(`{"login":%q,"password":%q,"otp":"%s"}`, u.Phone, fxPassword, strings.Repeat("9", 5000)),
		fmt.Sprintf(`{"login":%q,"password":%q,"otp":12}`, u.Phone, fxPassword),
		fmt.Sprintf(`{"login":%q,"password":%q,"otp":"\u0000\u202e"}`, u.Phone, fxPassword),
		`{"otp":"123456"}`, `{"otp_method":null}`, "", "{", "[]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fxCheckAnswer(t, e.call(t, "POST", "/api/v1/auth/login", "", body))
	})
}

// fxCheckAnswer fails t unless r is a JSON object, and for errors a problem below 500.
func fxCheckAnswer(t *testing.T, r fxReply) {
	t.Helper()
	if r.status >= 500 || r.body == nil {
		t.Fatalf("%s: not a client answer", r)
	}
	if r.status >= 400 {
		if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("%s: Content-Type %q", r, ct)
		}
		if code, _ := r.body["code"].(string); code == "" || int(r.body["status"].(float64)) != r.status {
			t.Fatalf("%s: not a problem", r)
		}
	}
}
