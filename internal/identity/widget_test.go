package identity

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestWidgetGrant(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	u := f.register(t, 1)
	full := f.login(t, u.Email)
	in := LoginInput{IP: "198.51.100.9", UserAgent: "widget"}

	code, err := f.s.GrantWidget(ctx, u.ID, full.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM widget_grants WHERE code_hash = ?", code); n != 0 {
		t.Fatal("the grant code is stored in the clear")
	}
	ws, err := f.s.RedeemWidget(ctx, code, in)
	if err != nil {
		t.Fatalf("redeem: %v", err)
	}
	if ws.UserID != u.ID || ws.Scope != ScopeChat || ws.Token == "" || ws.Token == code {
		t.Fatalf("widget session %+v", ws)
	}
	if want := f.clock.Now().Add(WidgetSessionTTL); !ws.ExpiresAt.Equal(want) {
		t.Fatalf("expires %v, want %v", ws.ExpiresAt, want)
	}
	if _, err := f.s.RedeemWidget(ctx, code, in); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("second redemption: %v, want invalid_code", err)
	}

	// Chat only: Authenticate (every caller but the chat's) refuses it, AuthenticateChat takes it.
	if _, err := f.s.Authenticate(ctx, ws.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("Authenticate took the widget session: %v", err)
	}
	p, err := f.s.AuthenticateChat(ctx, ws.Token)
	if err != nil || p.User.ID != u.ID || p.Scope != ScopeChat || p.SessionID != ws.ID {
		t.Fatalf("AuthenticateChat: %+v %v", p, err)
	}
	// Twice: the second answer comes from the cache and keeps the scope.
	if _, err := f.s.Authenticate(ctx, ws.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("Authenticate took the cached widget session: %v", err)
	}
	if p, err := f.s.AuthenticateChat(ctx, full.Token); err != nil || p.Scope != "" {
		t.Fatalf("AuthenticateChat of a full session: %+v %v", p, err)
	}

	// Listed with the user's sessions, and revocable there.
	list, err := f.s.Sessions(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ss := range list {
		found = found || (ss.ID == ws.ID && ss.Scope == ScopeChat)
	}
	if !found {
		t.Fatalf("widget session not listed: %+v", list)
	}
	if err := f.s.RevokeSession(ctx, u.ID, ws.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.AuthenticateChat(ctx, ws.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("revoked widget session: %v", err)
	}

	// Expired: 60 seconds.
	code, _ = f.s.GrantWidget(ctx, u.ID, full.ID)
	f.clock.Advance(WidgetGrantTTL)
	if _, err := f.s.RedeemWidget(ctx, code, in); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("expired grant: %v", err)
	}
	// Expires with the session: 8 hours.
	code, _ = f.s.GrantWidget(ctx, u.ID, full.ID)
	ws, err = f.s.RedeemWidget(ctx, code, in)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(WidgetSessionTTL)
	if _, err := f.s.AuthenticateChat(ctx, ws.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("expired widget session: %v", err)
	}

	// A grant of a session ended since grants nothing; a widget session cannot grant.
	full = f.login(t, u.Email)
	code, _ = f.s.GrantWidget(ctx, u.ID, full.ID)
	if err := f.s.Logout(ctx, full.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RedeemWidget(ctx, code, in); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("grant of a logged-out session: %v", err)
	}
	full = f.login(t, u.Email)
	code, _ = f.s.GrantWidget(ctx, u.ID, full.ID)
	ws, _ = f.s.RedeemWidget(ctx, code, in)
	code, _ = f.s.GrantWidget(ctx, u.ID, ws.ID)
	if _, err := f.s.RedeemWidget(ctx, code, in); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("grant of a widget session: %v", err)
	}
	for _, bad := range []string{"", "nope", code + "x"} {
		if _, err := f.s.RedeemWidget(ctx, bad, in); !errors.Is(err, ErrInvalidCode) {
			t.Fatalf("code %q: %v", bad, err)
		}
	}
	// A password change ends the widget sessions with the others.
	code, _ = f.s.GrantWidget(ctx, u.ID, full.ID)
	ws, _ = f.s.RedeemWidget(ctx, code, in)
	if err := f.s.RevokeSessions(ctx, u.ID, full.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.AuthenticateChat(ctx, ws.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("widget session after revoking all: %v", err)
	}
}

func TestWidgetGrantRedeemedOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	u := f.register(t, 1)
	full := f.login(t, u.Email)
	code, err := f.s.GrantWidget(ctx, u.ID, full.ID)
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		ok int
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.s.RedeemWidget(ctx, code, LoginInput{}); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if !errors.Is(err, ErrInvalidCode) {
				t.Errorf("redeem: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d redemptions of one code, want 1", ok)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM sessions WHERE scope = ? AND created_at >= ?", ScopeChat, time.Time{}.UnixMicro()); n != 1 {
		t.Fatalf("%d widget sessions, want 1", n)
	}
}
