package identity

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/fault"
)

func TestLogin(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)

	for _, login := range []string{u.Phone, u.Email, strings.ToUpper(u.Email), "  " + u.Email} {
		ss, got, err := f.s.Login(ctx, LoginInput{Login: login, Password: goodPassword, DeviceID: "d1", IP: "198.51.100.1", UserAgent: "ua"})
		if err != nil {
			t.Fatalf("login %q: %v", login, err)
		}
		if got.ID != u.ID || ss.UserID != u.ID || !strings.HasPrefix(ss.ID, "ses_") {
			t.Fatalf("login %q: session %+v user %+v", login, ss, got)
		}
		raw, err := base64.RawURLEncoding.DecodeString(ss.Token)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q is not 32 base64url bytes", ss.Token)
		}
		if want := f.clock.Now().Add(30 * 24 * time.Hour); !ss.ExpiresAt.Equal(want) {
			t.Fatalf("expires %v, want %v", ss.ExpiresAt, want)
		}
	}

	cases := []struct{ name, login, password string }{
		{"wrong password", u.Phone, goodPassword + "x"},
		{"wrong password by email", u.Email, "Kopi-Susu-42-gula"},
		{"unknown phone", "+6289999999999", goodPassword},
		{"unknown email", "ghost@example.com", goodPassword},
		{"empty password", u.Phone, ""},
		{"empty login", "", goodPassword},
	}
	for _, c := range cases {
		_, _, err := f.s.Login(ctx, LoginInput{Login: c.login, Password: c.password})
		if !errors.Is(err, ErrInvalidCredentials) || fault.Code(err) != "invalid_credentials" {
			t.Errorf("%s: got %v, want invalid_credentials", c.name, err)
		}
	}
}

func TestLoginCountsFailuresAndRecordsEvents(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	for range 3 {
		f.clock.Advance(time.Second)
		_, _, err := f.s.Login(ctx, LoginInput{Login: u.Phone, Password: "nope-nope-1!", IP: "192.0.2.9", DeviceID: "d9"})
		if !errors.Is(err, ErrInvalidCredentials) {
			t.Fatal(err)
		}
	}
	if got, _ := f.s.User(ctx, u.ID); got.FailedLogins != 3 {
		t.Fatalf("failed_logins %d, want 3", got.FailedLogins)
	}
	f.clock.Advance(time.Second)
	f.login(t, u.Email)
	if got, _ := f.s.User(ctx, u.ID); got.FailedLogins != 0 {
		t.Fatalf("failed_logins %d after a good login, want 0", got.FailedLogins)
	}
	evs, err := f.s.SecurityEvents(ctx, u.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		if e.Kind != EventVerifyRequest { // the registration's codes
			kinds = append(kinds, e.Kind)
		}
	}
	if want := "login,login_failed,login_failed,login_failed,register"; strings.Join(kinds, ",") != want {
		t.Fatalf("events %v, want %s", kinds, want)
	}
	if evs[1].IP != "192.0.2.9" || evs[1].DeviceID != "d9" || !strings.Contains(string(evs[1].Detail), `"failed_logins":3`) {
		t.Fatalf("login_failed event %+v detail %s", evs[1], evs[1].Detail)
	}
	if evs, _ := f.s.SecurityEvents(ctx, u.ID, 2); len(evs) != 2 {
		t.Fatalf("limit 2 gave %d events", len(evs))
	}
	// A login naming no account is recorded without a user.
	_, _, _ = f.s.Login(ctx, LoginInput{Login: "ghost@example.com", Password: "x"})
	if n := f.count(t, "SELECT COUNT(*) FROM security_events WHERE user_id IS NULL AND kind = ?", EventLoginFailed); n != 1 {
		t.Fatalf("%d anonymous login_failed events, want 1", n)
	}
}

func TestLockedAccountIsRefused(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	until := f.clock.Now().Add(30 * time.Minute)
	if _, err := f.d.Exec(ctx, "UPDATE users SET status = 'locked', locked_until = ? WHERE id = ?", micros(until), u.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err := f.s.Login(ctx, LoginInput{Login: u.Phone, Password: goodPassword})
	fe, _ := fault.As(err)
	if lu, _ := fe.Fields["locked_until"].(time.Time); !errors.Is(err, ErrAccountLocked) || !lu.Equal(until) {
		t.Fatalf("locked login: %v %v", err, fe)
	}
	f.clock.Advance(31 * time.Minute)
	f.login(t, u.Phone) // the timed lock ran out
}

func TestTokenStoredHashed(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	ss := f.login(t, u.Phone)
	rows, err := f.d.Query(ctx, "SELECT id, user_id, token_hash, device_id, ip, user_agent FROM sessions")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		var cols [6]string
		if err := rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5]); err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			if strings.Contains(c, ss.Token) {
				t.Fatalf("raw token stored in sessions: %v", cols)
			}
		}
		sum := sha256.Sum256([]byte(ss.Token))
		if cols[2] != hex.EncodeToString(sum[:]) {
			t.Fatalf("token_hash %s is not the SHA-256 of the token", cols[2])
		}
	}
	if n != 1 {
		t.Fatalf("%d sessions", n)
	}
}

func TestAuthenticate(t *testing.T) {
	for _, c := range []struct {
		name string
		ttl  time.Duration
	}{{"cached", 0}, {"uncached", -1}} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Options{CacheTTL: c.ttl})
			ctx := context.Background()
			u := f.register(t, 1)
			a, b := f.login(t, u.Phone), f.login(t, u.Email)
			for range 3 { // the second and third calls hit the cache when there is one
				p, err := f.s.Authenticate(ctx, a.Token)
				if err != nil || p.User.ID != u.ID || p.SessionID != a.ID {
					t.Fatalf("authenticate: %+v %v", p, err)
				}
			}
			for _, tok := range []string{"", "nope", a.Token + "x", strings.Repeat("a", 5000)} {
				if _, err := f.s.Authenticate(ctx, tok); !errors.Is(err, ErrUnauthenticated) || fault.Code(err) != "unauthenticated" {
					t.Fatalf("token %.10q: %v", tok, err)
				}
			}

			if err := f.s.Logout(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.Authenticate(ctx, a.Token); !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("after logout: %v", err)
			}
			if err := f.s.Logout(ctx, a.ID); err != nil {
				t.Fatalf("second logout: %v", err)
			}
			if err := f.s.Logout(ctx, "ses_nope"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("logout unknown: %v", err)
			}

			c1, c2 := f.login(t, u.Phone), f.login(t, u.Phone)
			for _, ss := range []Session{b, c1, c2} {
				if _, err := f.s.Authenticate(ctx, ss.Token); err != nil { // warm the cache
					t.Fatal(err)
				}
			}
			if err := f.s.RevokeSessions(ctx, u.ID, c2.ID); err != nil {
				t.Fatal(err)
			}
			for _, ss := range []Session{b, c1} {
				if _, err := f.s.Authenticate(ctx, ss.Token); !errors.Is(err, ErrUnauthenticated) {
					t.Fatalf("after revoke: %v", err)
				}
			}
			if _, err := f.s.Authenticate(ctx, c2.Token); err != nil {
				t.Fatalf("kept session: %v", err)
			}
			live, err := f.s.Sessions(ctx, u.ID)
			if err != nil || len(live) != 1 || live[0].ID != c2.ID {
				t.Fatalf("live sessions %+v %v", live, err)
			}
			if err := f.s.RevokeSessions(ctx, "usr_nope", ""); !errors.Is(err, ErrNotFound) {
				t.Fatalf("revoke unknown user: %v", err)
			}
		})
	}
}

func TestRevokeSessionIsScopedToItsUser(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	alice, bob := f.register(t, 1), f.register(t, 2)
	sa := f.login(t, alice.Phone)
	if err := f.s.RevokeSession(ctx, bob.ID, sa.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob revoking alice's session: %v", err)
	}
	if _, err := f.s.Authenticate(ctx, sa.Token); err != nil {
		t.Fatalf("alice's session after bob's attempt: %v", err)
	}
	if err := f.s.RevokeSession(ctx, alice.ID, sa.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Authenticate(ctx, sa.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("after revoke: %v", err)
	}
}

func TestSessionExpires(t *testing.T) {
	f := newFixture(t, Options{SessionTTL: time.Hour})
	ctx := context.Background()
	u := f.register(t, 1)
	ss := f.login(t, u.Phone)
	if _, err := f.s.Authenticate(ctx, ss.Token); err != nil { // now cached
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour - time.Second)
	if _, err := f.s.Authenticate(ctx, ss.Token); err != nil {
		t.Fatalf("just before expiry: %v", err)
	}
	f.clock.Advance(time.Second)
	if _, err := f.s.Authenticate(ctx, ss.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("at expiry: %v", err)
	}
	if live, _ := f.s.Sessions(ctx, u.ID); len(live) != 0 {
		t.Fatalf("expired session listed: %+v", live)
	}
}

// No call that starts after Logout returns may succeed, while others race to fill the cache.
func TestLogoutRacesWithAuthenticate(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	ss := f.login(t, u.Phone)
	var loggedOut atomic.Bool
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				after := loggedOut.Load()
				_, err := f.s.Authenticate(ctx, ss.Token)
				if after && err == nil {
					t.Error("authenticated after logout")
					return
				}
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	if err := f.s.Logout(ctx, ss.ID); err != nil {
		t.Fatal(err)
	}
	loggedOut.Store(true)
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
}

// Another process's logout reaches this process's cache within the cache TTL.
func TestCacheIsPerProcessAndShortLived(t *testing.T) {
	f := newFixture(t, Options{CacheTTL: 5 * time.Second})
	other := New(f.d, Options{Argon2: cheapArgon, Now: f.clock.Now})
	ctx := context.Background()
	u := f.register(t, 1)
	ss := f.login(t, u.Phone)
	if _, err := f.s.Authenticate(ctx, ss.Token); err != nil {
		t.Fatal(err)
	}
	if err := other.Logout(ctx, ss.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Authenticate(ctx, ss.Token); err != nil {
		t.Fatalf("within the TTL the cached session is still served: %v", err)
	}
	f.clock.Advance(5 * time.Second)
	if _, err := f.s.Authenticate(ctx, ss.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("after the TTL: %v", err)
	}
}

func TestLastSeenWrittenAtMostOncePerMinute(t *testing.T) {
	for _, ttl := range []time.Duration{0, -1} {
		f := newFixture(t, Options{CacheTTL: ttl})
		ctx := context.Background()
		u := f.register(t, 1)
		ss := f.login(t, u.Phone)
		lastSeen := func() time.Time {
			var v int64
			if err := f.d.QueryRow(ctx, "SELECT last_seen_at FROM sessions WHERE id = ?", ss.ID).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return fromMicros(v)
		}
		start := f.clock.Now()
		for range 20 {
			f.clock.Advance(2 * time.Second) // 40 s in all
			if _, err := f.s.Authenticate(ctx, ss.Token); err != nil {
				t.Fatal(err)
			}
		}
		if got := lastSeen(); !got.Equal(start) {
			t.Fatalf("cache ttl %v: last_seen_at moved to %v within a minute", ttl, got)
		}
		f.clock.Advance(30 * time.Second)
		if _, err := f.s.Authenticate(ctx, ss.Token); err != nil {
			t.Fatal(err)
		}
		if got := lastSeen(); !got.Equal(f.clock.Now()) {
			t.Fatalf("cache ttl %v: last_seen_at %v after 70 s, want %v", ttl, got, f.clock.Now())
		}
	}
}

// An unknown login must cost about what a wrong password costs (one argon2 verification).
// An unknown login must cost what a wrong password costs — one argon2 verification with the
// service's parameters — so that neither the answer nor its timing tells whether an account
// exists. Counting verifications checks this without a timed assertion.
func TestUnknownLoginCostsOneVerificationLikeAWrongPassword(t *testing.T) {
	f := newFixture(t, Options{LockoutThreshold: 100})
	ctx := context.Background()
	u := f.register(t, 1)
	cost := func(login string) int64 {
		before := f.s.verifications.Load()
		_, _, err := f.s.Login(ctx, LoginInput{Login: login, Password: "Wrong-pass-1!"})
		if !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("login %s: %v", login, err)
		}
		return f.s.verifications.Load() - before
	}
	if known, unknown := cost(u.Phone), cost("ghost@example.com"); known != 1 || unknown != 1 {
		t.Fatalf("verifications: wrong password %d, unknown login %d; want 1 each", known, unknown)
	}
	// The dummy hash uses the service's own parameters, so each verification costs the same.
	p, _, _, err := parseHash(f.s.dummy())
	if err != nil || p.Time != f.s.argon.Time || p.MemoryKiB != f.s.argon.MemoryKiB || p.Threads != f.s.argon.Threads {
		t.Fatalf("dummy hash params %+v, service %+v (%v)", p, f.s.argon, err)
	}
}
