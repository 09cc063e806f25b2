package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
)

type testUser struct {
	ID     string
	Locale string
}

func (u testUser) PreferredLocale() string { return u.Locale }

type testMerchant struct{ ID string }

func TestBearer(t *testing.T) {
	tests := []struct {
		header, token string
		ok            bool
	}{
		{"Bearer abc.def", "abc.def", true},
		{"bearer abc", "abc", true},
		{"BEARER  abc ", "abc", true},
		{"Bearer ", "", false},
		{"Basic dXNlcjpwYXNz", "", false},
		{"", "", false},
		{"Bearerabc", "", false},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest("GET", "/", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		tok, ok := bearer(r)
		if tok != tt.token || ok != tt.ok {
			t.Errorf("bearer(%q) = %q, %v", tt.header, tok, ok)
		}
	}
}

func TestRequireUserAndMerchant(t *testing.T) {
	users := Authenticator[testUser](func(ctx context.Context, token string) (testUser, error) {
		switch token {
		case "tok-en":
			return testUser{"usr_1", "en"}, nil
		case "tok-zh":
			return testUser{"usr_2", "zh-CN"}, nil
		case "tok-locked":
			return testUser{}, fault.New("account_locked", "locked").With("locked_until", nil)
		case "tok-broken":
			return testUser{}, fmt.Errorf("session store: %w", context.DeadlineExceeded)
		}
		return testUser{}, fmt.Errorf("session %s: %w", token, db.ErrNotFound)
	})
	merchants := Authenticator[*testMerchant](func(ctx context.Context, key string) (*testMerchant, error) {
		if key == "sk_live_1" {
			return &testMerchant{"mer_1"}, nil
		}
		return nil, errUnauthenticated
	})
	me := func(w http.ResponseWriter, r *http.Request) error {
		u, ok := userOf[testUser](r)
		if !ok {
			return fmt.Errorf("no user in context")
		}
		if _, isMerchant := merchantOf[*testMerchant](r); isMerchant {
			return fmt.Errorf("a user request carries a merchant")
		}
		if r.URL.Query().Get("fail") != "" {
			return fault.New("insufficient_balance", "")
		}
		return writeJSON(w, 200, map[string]string{"id": u.ID})
	}
	balance := func(w http.ResponseWriter, r *http.Request) error {
		m, ok := merchantOf[*testMerchant](r)
		if !ok {
			return fmt.Errorf("no merchant in context")
		}
		return writeJSON(w, 200, map[string]string{"id": m.ID})
	}
	s := newTestServer(t,
		testRoute("GET /t/me", requireUser(users)(me)),
		testRoute("GET /t/merchant", requireMerchant(merchants)(balance)),
	)
	tests := []struct {
		name, path string
		header     []string
		status     int
		want       string // body substring
	}{
		{"no token", "/t/me", nil, 401, `"code":"unauthenticated"`},
		{"unknown token", "/t/me", []string{"Authorization", "Bearer nope"}, 401, `"code":"unauthenticated"`},
		{"locked", "/t/me", []string{"Authorization", "Bearer tok-locked"}, 423, `"locked_until":null`},
		{"store down", "/t/me", []string{"Authorization", "Bearer tok-broken"}, 500, `"code":"internal"`},
		{"user", "/t/me", []string{"Authorization", "Bearer tok-en"}, 200, `"id":"usr_1"`},
		{"header wins over a zh-CN user", "/t/me?fail=1", []string{"Authorization", "Bearer tok-zh", "Accept-Language", "en"}, 422, codes["insufficient_balance"].title[localeEN]},
		{"header wins over an en user", "/t/me?fail=1", []string{"Authorization", "Bearer tok-en", "Accept-Language", "zh-CN"}, 422, codes["insufficient_balance"].title[localeZH]},
		{"zh-CN user without a header", "/t/me?fail=1", []string{"Authorization", "Bearer tok-zh"}, 422, codes["insufficient_balance"].title[localeZH]},
		{"query token ignored on plain GET", "/t/me?token=tok-en", nil, 401, `"code":"unauthenticated"`},
		{"query token on websocket upgrade", "/t/me?token=tok-en", []string{"Upgrade", "websocket", "Connection", "Upgrade"}, 200, `"id":"usr_1"`},
		{"merchant", "/t/merchant", []string{"Authorization", "Bearer sk_live_1"}, 200, `"id":"mer_1"`},
		{"merchant bad key", "/t/merchant", []string{"Authorization", "Bearer sk_live_2"}, 401, `"code":"unauthenticated"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, "GET", tt.path, "", tt.header...)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Fatalf("%d %s, want %d with %s", rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
}

func TestAuthRoutesDenyUntilWired(t *testing.T) {
	s := newTestServer(t, route{pattern: "GET /t/staff", auth: authStaff, handle: returns(nil), doc: operation{Summary: "staff only"}})
	rec := s.do(t, "GET", "/t/staff", "", "Authorization", "Bearer anything")
	if rec.Code != 401 || problemOf(t, rec)["code"] != "unauthenticated" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}
