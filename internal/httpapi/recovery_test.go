package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The whole story of API.md through HTTP: five wrong passwords lock the account (also
// against the right password), a recovery code comes by SMS to a real gateway or by mail to
// a real SMTP relay, it buys a reset token, the reset refuses weak and reused passwords,
// then unlocks, ends the old sessions, and the new password logs in.
func TestLockoutRecoveryStory(t *testing.T) {
	for _, channel := range []string{"sms", "email"} {
		t.Run(channel, func(t *testing.T) {
			e := newAccEnv(t)
			u := e.newUser(t)
			other := e.newUser(t)

			start := time.Now()
			for i := 1; i <= 4; i++ {
				p := wantErr(t, e.loginReply(t, u.Email, "Wrong-Password-1"), 401, "invalid_credentials")
				if p["attempts_remaining"] != float64(5-i) {
					t.Fatalf("failure %d: attempts_remaining %v", i, p["attempts_remaining"])
				}
			}
			p := wantErr(t, e.loginReply(t, u.Phone, "Wrong-Password-1"), 423, "account_locked")
			until, err := time.Parse(time.RFC3339, fmt.Sprint(p["locked_until"]))
			if err != nil || until.Before(start.Add(29*time.Minute)) || until.After(time.Now().Add(31*time.Minute)) {
				t.Fatalf("locked_until %v (%v), want about 30 minutes from now", p["locked_until"], err)
			}
			p = wantErr(t, e.loginReply(t, u.Email, accPassword), 423, "account_locked")
			if p["locked_until"] == nil {
				t.Fatal("423 for the right password without locked_until")
			}
			me := wantStatus(t, e.call(t, "GET", "/api/v1/me", u.Token, nil), 200).json(t)
			if me["status"] != "locked" {
				t.Fatalf("GET /me of the existing session: status %v, want locked", me["status"])
			}
			// Someone else is not affected.
			wantStatus(t, e.call(t, "GET", "/api/v1/me", other.Token, nil), 200)

			r := wantStatus(t, e.call(t, "POST", "/api/v1/auth/recovery", "", map[string]any{"login": u.Phone, "channel": channel}), http.StatusAccepted)
			if strings.TrimSpace(string(r.body)) != "{}" {
				t.Fatalf("recovery answered %s, want {}", r)
			}
			var code string
			if channel == "sms" {
				code = e.nextSMSCode(t, u.Phone)
			} else {
				code = e.nextMailCode(t, u.Email)
			}
			wantErr(t, e.call(t, "POST", "/api/v1/auth/recovery/verify", "", map[string]any{"login": u.Phone, "code": wrongOf(code)}), 401, "invalid_code")
			v := wantStatus(t, e.call(t, "POST", "/api/v1/auth/recovery/verify", "", map[string]any{"login": u.Phone, "code": code}), 200).json(t)
			token, _ := v["reset_token"].(string)
			if token == "" {
				t.Fatalf("verify answered %v", v)
			}

			reset := func(pw string) accReply {
				return e.call(t, "POST", "/api/v1/auth/recovery/reset", "", map[string]any{"reset_token": token, "new_password": pw})
			}
			wantErr(t, reset(accPassword), 422, "password_reused")
			if p := wantErr(t, reset("password123"), 422, "weak_password"); p["reason"] == nil {
				t.Fatalf("weak_password without a reason: %v", p)
			}
			const fresh = "Teh-Tarik-77-Manis"
			wantStatus(t, reset(fresh), http.StatusNoContent)
			wantErr(t, reset("Another-One-99!"), 401, "invalid_code") // spent

			wantErr(t, e.call(t, "GET", "/api/v1/me", u.Token, nil), 401, "unauthenticated")
			wantErr(t, e.loginReply(t, u.Email, accPassword), 401, "invalid_credentials")
			tok := e.login(t, u.Email, fresh)
			me = wantStatus(t, e.call(t, "GET", "/api/v1/me", tok, nil), 200).json(t)
			if me["status"] != "active" || me["password_change_due"] != false {
				t.Fatalf("after the reset: %v", me)
			}
			wantStatus(t, e.call(t, "GET", "/api/v1/me", other.Token, nil), 200)

			evs := wantStatus(t, e.call(t, "GET", "/api/v1/me/security-events?limit=200", tok, nil), 200).json(t)
			kinds := map[string]int{}
			for _, it := range evs["items"].([]any) {
				kinds[it.(map[string]any)["kind"].(string)]++
			}
			for _, k := range []string{"login_failed", "account_locked", "recovery_requested", "recovery_verified", "password_reset", "account_unlocked"} {
				if kinds[k] == 0 {
					t.Errorf("security events %v lack %s", kinds, k)
				}
			}
		})
	}
}

// wrongOf is a 6-digit code other than c.
func wrongOf(c string) string {
	n, _ := strconv.Atoi(c)
	return fmt.Sprintf("%06d", (n+1)%1_000_000)
}

// A recovery code can't be guessed: 5 wrong tries void it, the right one included.
func TestRecoveryCodeGuessing(t *testing.T) {
	e := newAccEnv(t)
	u := e.newUser(t)
	wantStatus(t, e.call(t, "POST", "/api/v1/auth/recovery", "", map[string]any{"login": u.Email, "channel": "sms"}), 202)
	code := e.nextSMSCode(t, u.Phone)
	n, _ := strconv.Atoi(code)
	for i := 1; i <= 5; i++ {
		wrong := fmt.Sprintf("%06d", (n+i*7)%1_000_000)
		wantErr(t, e.call(t, "POST", "/api/v1/auth/recovery/verify", "", map[string]any{"login": u.Email, "code": wrong}), 401, "invalid_code")
	}
	wantErr(t, e.call(t, "POST", "/api/v1/auth/recovery/verify", "", map[string]any{"login": u.Email, "code": code}), 401, "invalid_code")
}

// No enumeration: recovery for a login that names no account answers exactly like one for
// a real account.
func TestRecoveryRevealsNoAccount(t *testing.T) {
	e := newAccEnv(t)
	u := e.newUser(t)
	type answer struct {
		status int
		ct     string
		body   string
	}
	var got []answer
	for _, login := range []string{u.Email, "nobody@example.com", u.Phone, "+6289900000000"} {
		for _, ch := range []string{"sms", "email"} {
			r := e.call(t, "POST", "/api/v1/auth/recovery", "", map[string]any{"login": login, "channel": ch})
			got = append(got, answer{r.status, r.header.Get("Content-Type"), string(r.body)})
		}
	}
	for _, a := range got[1:] {
		if a != got[0] {
			t.Fatalf("answers differ: %+v vs %+v", a, got[0])
		}
	}
	if got[0].status != 202 {
		t.Fatalf("answer %+v", got[0])
	}
	// Verification too: an unknown login's code is just wrong.
	a := e.call(t, "POST", "/api/v1/auth/recovery/verify", "", map[string]any{"login": "nobody@example.com", "code": "123456"})
	b := e.call(t, "POST", "/api/v1/auth/recovery/verify", "", map[string]any{"login": u.Email, "code": wrongOf(e.nextSMSCode(t, u.Phone))})
	if a.status != b.status || string(a.body) != string(b.body) {
		t.Fatalf("verify answers differ: %s vs %s", a, b)
	}
}

// Brute force: 10,000 login guesses from one address, spread over many accounts (a real one
// among them), are almost all refused with 429 and a Retry-After; the real account's lock
// still works against guesses from many addresses.
func TestLoginBruteForceIsThrottled(t *testing.T) {
	e := newAccEnv(t)
	victim := e.newUser(t)
	const guesses = 10_000
	statuses := map[int]int{}
	start := time.Now()
	for i := range guesses {
		login := fmt.Sprintf("guess%d@example.com", i%100)
		if i%100 == 0 {
			login = victim.Email
		}
		rec := e.inProcess("POST", "/api/v1/auth/login", "203.0.113.66:40000",
			fmt.Sprintf(`{"login":%q,"password":"Guess-%d-Word!"}`, login, i))
		statuses[rec.Code]++
		if rec.Code == http.StatusTooManyRequests {
			ra, err := strconv.Atoi(rec.Header().Get("Retry-After"))
			var p map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &p)
			if err != nil || ra < 1 || p["code"] != "rate_limited" || p["retry_after"] != float64(ra) {
				t.Fatalf("429 with Retry-After %q, body %s", rec.Header().Get("Retry-After"), rec.Body)
			}
		}
	}
	elapsed := time.Since(start)
	// The address's bucket holds 20 and refills one every 3 s.
	allowed := 20 + int(elapsed/(3*time.Second)) + 1
	if passed := guesses - statuses[429]; passed > allowed || statuses[500] != 0 {
		t.Fatalf("%v in %v: %d guesses got through, at most %d allowed", statuses, elapsed, passed, allowed)
	}
	t.Logf("%d guesses from one address in %v: %v", guesses, elapsed.Round(time.Millisecond), statuses)

	// Guesses at the victim from many addresses: the 5th wrong one locks the account.
	var seq []int
	for i := range 7 {
		rec := e.inProcess("POST", "/api/v1/auth/login", fmt.Sprintf("198.51.100.%d:40000", i+1),
			fmt.Sprintf(`{"login":%q,"password":"Guess-%d-Again!"}`, victim.Email, i))
		seq = append(seq, rec.Code)
	}
	// The victim's guesses in the flood that got through counted already (one, maybe two):
	// some 401s, then 423 from the 5th failure on.
	k := 0
	for k < len(seq) && seq[k] == 401 {
		k++
	}
	for _, s := range seq[k:] {
		if s != 423 {
			k = -1
		}
	}
	if k < 2 || k > 4 {
		t.Fatalf("guesses at the victim from many addresses: %v", seq)
	}
	rec := e.inProcess("POST", "/api/v1/auth/login", "192.0.2.200:1234", fmt.Sprintf(`{"login":%q,"password":%q}`, victim.Email, accPassword))
	if rec.Code != 423 {
		t.Fatalf("right password while locked: %d %s", rec.Code, rec.Body)
	}
	me := wantStatus(t, e.call(t, "GET", "/api/v1/me", victim.Token, nil), 200).json(t)
	if me["status"] != "locked" {
		t.Fatalf("victim status %v", me["status"])
	}
}

// FuzzAccessDecoders feeds arbitrary bodies to the login and recovery endpoints through the
// handler: never a panic, never a 5xx, always JSON (problem+json for failures).
func FuzzAccessDecoders(f *testing.F) {
	e := newAccEnv(f)
	u := e.newUser(f)
	paths := []string{"/api/v1/auth/login", "/api/v1/auth/recovery", "/api/v1/auth/recovery/verify", "/api/v1/auth/recovery/reset"}
	seeds := []string{
		fmt.Sprintf(`{"login":%q,"password":%q}`, u.Email, accPassword),
		fmt.Sprintf(`{"login":%q,"channel":"sms"}`, u.Phone),
		fmt.Sprintf(`{"login":%q,"channel":"email"}`, u.Email),
		`{"login":"x","channel":"fax"}`,
		fmt.Sprintf(`{"login":%q,"code":"123456"}`, u.Email),
		`{"login":"","code":""}`,
		`{"reset_token":"abc","new_password":"Teh-Tarik-77-Manis"}`,
		`{"reset_token":"` + strings.Repeat("z", 4000) + `","new_password":"x"}`,
		`{"login":1,"password":true,"code":[],"channel":{}}`,
		`{"login":"\u0000\ud800","code":"１２３４５６"}`,
		`[]`, `null`, `"str"`, `{`, ``, `{"login":"a"}{"login":"b"}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		path := paths[int(which)%len(paths)]
		// Many addresses, so that the limits do not answer everything.
		rec := e.inProcess("POST", path, fmt.Sprintf("203.0.113.%d:1", n.Add(1)%250), body)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		ct := rec.Header().Get("Content-Type")
		switch {
		case rec.Code == http.StatusNoContent:
			return
		case rec.Code >= 400 && ct != "application/problem+json":
			t.Fatalf("%s %q: %d with Content-Type %q", path, body, rec.Code, ct)
		case rec.Code < 400 && ct != "application/json":
			t.Fatalf("%s %q: %d with Content-Type %q", path, body, rec.Code, ct)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q: body is not JSON: %s", path, body, rec.Body)
		}
	})
}
