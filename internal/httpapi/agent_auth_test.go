package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/audit"
)

func TestAgentLoginOverHTTP(t *testing.T) {
	e := newFxEnv(t)
	ctx := context.Background()
	st, secret, pw, err := e.staff.Create(ctx, "sari@dompet.example", "Sari", "supervisor", "accounts", "")
	if err != nil {
		t.Fatal(err)
	}
	_, userToken := e.register(t, 1)

	p := e.wantProblem(t, e.call(t, "POST", "/api/v1/agent/auth/login", "", map[string]any{"email": st.Email, "password": pw}), 401, "second_factor_required")
	if methodsOf(p) != "totp" {
		t.Fatalf("challenge %v", p)
	}
	e.wantProblem(t, e.call(t, "POST", "/api/v1/agent/auth/login", "", map[string]any{"email": st.Email, "password": "nope", "otp": "123456"}), 401, "invalid_credentials")
	e.wantProblem(t, e.call(t, "POST", "/api/v1/agent/auth/login", "", map[string]any{"email": st.Email, "password": pw, "otp": "000000"}), 401, "invalid_code")
	// A wallet user's credentials are not staff credentials.
	e.wantProblem(t, e.call(t, "POST", "/api/v1/agent/auth/login", "", map[string]any{"email": "fx1@example.com", "password": fxPassword, "otp": "123456"}), 401, "invalid_credentials")

	code := fxOathtool(t, secret, e.clock())
	r := e.want(t, e.call(t, "POST", "/api/v1/agent/auth/login", "", map[string]any{"email": "Sari@Dompet.Example", "password": pw, "otp": code}), 200)
	staffToken, _ := r.body["token"].(string)
	agent, _ := r.body["agent"].(map[string]any)
	if staffToken == "" || agent["id"] != st.ID || agent["role"] != "supervisor" || agent["team"] != "accounts" || r.body["expires_at"] == nil {
		t.Fatalf("login %s", r)
	}
	for _, leak := range []string{secret, pw, "password", "totp"} {
		if strings.Contains(string(r.raw), leak) {
			t.Fatalf("login answer shows %q: %s", leak, r.raw)
		}
	}
	e.wantProblem(t, e.call(t, "POST", "/api/v1/agent/auth/login", "", map[string]any{"email": st.Email, "password": pw, "otp": code}), 401, "invalid_code")

	me := e.want(t, e.call(t, "GET", "/api/v1/agent/me", staffToken, nil), 200)
	if me.body["id"] != st.ID || me.body["email"] != "sari@dompet.example" {
		t.Fatalf("agent me %s", me)
	}
	// Tokens don't cross over.
	e.wantProblem(t, e.call(t, "GET", "/api/v1/agent/me", userToken, nil), 401, "unauthenticated")
	for _, path := range []string{"/api/v1/me", "/api/v1/me/devices", "/api/v1/me/sessions"} {
		e.wantProblem(t, e.call(t, "GET", path, staffToken, nil), 401, "unauthenticated")
	}
	e.wantProblem(t, e.call(t, "POST", "/api/v1/me/two-factor/totp", staffToken, nil), 401, "unauthenticated")
	e.wantProblem(t, e.call(t, "GET", "/api/v1/agent/me", "", nil), 401, "unauthenticated")

	entries, _, err := e.audit.List(ctx, audit.Query{ActorType: audit.ActorStaff, Actor: st.ID, Action: "staff.login"})
	if err != nil || len(entries) != 1 || entries[0].IP != "127.0.0.1" || entries[0].Detail["user_agent"] != "fx-test/1.0" {
		t.Fatalf("audit %+v %v", entries, err)
	}

	e.want(t, e.call(t, "POST", "/api/v1/agent/auth/logout", staffToken, nil), 204)
	e.wantProblem(t, e.call(t, "GET", "/api/v1/agent/me", staffToken, nil), 401, "unauthenticated")
}

func TestAgentLockoutOverHTTP(t *testing.T) {
	e := newFxEnv(t)
	st, secret, pw, err := e.staff.Create(context.Background(), "agent@dompet.example", "Agent", "agent", "", "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		e.advance(time.Second)
		p := e.wantProblem(t, e.call(t, "POST", "/api/v1/agent/auth/login", "", map[string]any{"email": st.Email, "password": "Wrong-1!", "otp": "123456"}), 401, "invalid_credentials")
		if p["attempts_remaining"] != float64(4-i) {
			t.Fatalf("attempts_remaining %v", p["attempts_remaining"])
		}
	}
	e.wantProblem(t, e.call(t, "POST", "/api/v1/agent/auth/login", "", map[string]any{"email": st.Email, "password": "Wrong-1!", "otp": "123456"}), 423, "account_locked")
	p := e.wantProblem(t, e.call(t, "POST", "/api/v1/agent/auth/login", "", map[string]any{"email": st.Email, "password": pw,
		"otp": fxOathtool(t, secret, e.clock())}), 423, "account_locked")
	if p["locked_until"] == nil {
		t.Fatalf("no locked_until: %v", p)
	}
}

// FuzzAgentLogin: whatever the body, a JSON answer below 500.
func FuzzAgentLogin(f *testing.F) {
	e := newFxEnv(f)
	st, _, pw, err := e.staff.Create(context.Background(), "fuzz@dompet.example", "Fuzz", "agent", "", "")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		fmt.Sprintf(`{"email":%q,"password":%q}`, st.Email, pw),
		fmt.Sprintf(`{"email":%q,"password":%q,"otp":"123456"}`, st.Email, pw),
		fmt.Sprintf(`{"email":%q,"password":%q,"otp":"%s"}`, st.Email, pw, strings.Repeat("1", 4000)),
		`{"email":"","password":"","otp":""}`, `{"email":1}`, `{"email":"a@b","password":"x","otp":null,"x":1}`,
		"", "{", "null", "\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fxCheckAnswer(t, e.call(t, "POST", "/api/v1/agent/auth/login", "", body))
	})
}
