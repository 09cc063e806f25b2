package identity

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dompet/dompet/internal/fault"
)

func TestRegisterValidation(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	cases := []struct {
		name   string
		edit   func(*RegisterInput)
		fields []string // invalid_request fields expected; nil: weak_password
		reason string
	}{
		{"phone missing", func(in *RegisterInput) { in.Phone = "" }, []string{"phone"}, ""},
		{"phone with letters", func(in *RegisterInput) { in.Phone = "0812345678ab" }, []string{"phone"}, ""},
		{"phone too short", func(in *RegisterInput) { in.Phone = "+6281234" }, []string{"phone"}, ""},
		{"phone too long", func(in *RegisterInput) { in.Phone = "+6281234567890123" }, []string{"phone"}, ""},
		{"local phone too short", func(in *RegisterInput) { in.Phone = "0812" }, []string{"phone"}, ""},
		{"phone leading zero", func(in *RegisterInput) { in.Phone = "+0812345678" }, []string{"phone"}, ""},
		{"email missing", func(in *RegisterInput) { in.Email = "" }, []string{"email"}, ""},
		{"email without at", func(in *RegisterInput) { in.Email = "alice.example.com" }, []string{"email"}, ""},
		{"email with name", func(in *RegisterInput) { in.Email = "Alice <alice@example.com>" }, []string{"email"}, ""},
		{"password missing", func(in *RegisterInput) { in.Password = "" }, []string{"password"}, ""},
		{"password huge", func(in *RegisterInput) { in.Password = strings.Repeat("aB3!", 100) }, []string{"password"}, ""},
		{"display name blank", func(in *RegisterInput) { in.DisplayName = "   " }, []string{"display_name"}, ""},
		{"display name long", func(in *RegisterInput) { in.DisplayName = strings.Repeat("名", 81) }, []string{"display_name"}, ""},
		{"display name control", func(in *RegisterInput) { in.DisplayName = "a\x00b" }, []string{"display_name"}, ""},
		{"locale unknown", func(in *RegisterInput) { in.Locale = "fr" }, []string{"locale"}, ""},
		{"several", func(in *RegisterInput) { in.Phone, in.Email, in.Locale = "x", "y", "id" }, []string{"phone", "email", "locale"}, ""},
		{"weak short", func(in *RegisterInput) { in.Password = "Ab1!" }, nil, ReasonTooShort},
		{"weak no symbol", func(in *RegisterInput) { in.Password = "Abcdefgh12" }, nil, ReasonNoSymbol},
		{"weak common", func(in *RegisterInput) { in.Password = "Password123!" }, nil, ReasonCommon},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := validInput(1)
			c.edit(&in)
			_, err := f.s.Register(ctx, in)
			fe, ok := fault.As(err)
			if !ok {
				t.Fatalf("got %v, want a coded failure", err)
			}
			if c.fields == nil {
				if !errors.Is(err, ErrWeakPassword) || fe.Fields["reason"] != c.reason {
					t.Fatalf("got %v %v, want weak_password %s", err, fe.Fields, c.reason)
				}
				return
			}
			if fe.Code != "invalid_request" {
				t.Fatalf("code %q, want invalid_request", fe.Code)
			}
			var got []string
			for _, e := range fe.Errs {
				got = append(got, e.Field)
			}
			if strings.Join(got, ",") != strings.Join(c.fields, ",") {
				t.Fatalf("fields %v, want %v", got, c.fields)
			}
		})
	}
	if n := f.count(t, "SELECT COUNT(*) FROM users"); n != 0 {
		t.Fatalf("%d users stored by refused registrations", n)
	}
}

func TestRegisterStoresUser(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	in := validInput(1)
	in.Email = "Alice@Example.COM"
	in.Locale = "zh-CN"
	u, err := f.s.Register(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if u.Tier != TierBasic || u.Status != StatusActive || u.Email != "alice@example.com" || u.Locale != LocaleZhCN || !strings.HasPrefix(u.ID, "usr_") {
		t.Fatalf("registered %+v", u)
	}
	got, err := f.s.User(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Phone != u.Phone || got.Email != u.Email || got.DisplayName != u.DisplayName || !got.CreatedAt.Equal(f.clock.Now()) {
		t.Fatalf("stored %+v, registered %+v", got, u)
	}
	var hash string
	if err := f.d.QueryRow(ctx, "SELECT password_hash FROM users WHERE id = ?", u.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(hash, goodPassword) {
		t.Fatalf("stored hash %q", hash)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM password_history WHERE user_id = ? AND hash = ?", u.ID, hash); n != 1 {
		t.Fatalf("password_history has %d rows for the hash", n)
	}

	// The JSON of GET /api/v1/me: exactly the contract's fields, never the hash.
	b, _ := json.Marshal(got)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	want := []string{"display_name", "email", "email_verified", "id", "locale", "phone", "phone_verified", "status", "tier", "two_factor"}
	if keys := slices.Sorted(maps.Keys(m)); !slices.Equal(keys, want) {
		t.Fatalf("user JSON keys %v, want %v", keys, want)
	}
	if !strings.Contains(string(b), `"two_factor":{"enabled":false,"methods":[]}`) || strings.Contains(string(b), "argon2") {
		t.Fatalf("user JSON %s", b)
	}
}

func TestRegisterDuplicates(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	f.register(t, 1)
	samePhone := validInput(2)
	samePhone.Phone = validInput(1).Phone
	sameEmail := validInput(3)
	sameEmail.Email = strings.ToUpper(validInput(1).Email)
	for _, c := range []struct {
		in    RegisterInput
		field string
	}{{samePhone, "phone"}, {sameEmail, "email"}} {
		_, err := f.s.Register(ctx, c.in)
		fe, _ := fault.As(err)
		if !errors.Is(err, ErrAlreadyExists) || fe.Fields["field"] != c.field {
			t.Errorf("duplicate %s: got %v", c.field, err)
		}
	}
}

func TestRegisterConcurrentDuplicates(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() {
			in := validInput(100 + i)
			in.Phone = "+6281299998888" // all the same phone, different emails
			_, errs[i] = f.s.Register(ctx, in)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrAlreadyExists):
			t.Errorf("unexpected failure: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d registrations succeeded, want exactly 1", ok)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM users WHERE phone = ?", "+6281299998888"); n != 1 {
		t.Fatalf("%d users with the phone", n)
	}
}

func TestUserLookups(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	for _, login := range []string{u.ID, u.Phone, u.Email, strings.ToUpper(u.Email), " " + u.Phone + " "} {
		got, err := f.s.UserByLogin(ctx, login)
		if err != nil || got.ID != u.ID {
			t.Errorf("UserByLogin(%q) = %s, %v", login, got.ID, err)
		}
	}
	for _, login := range []string{"", "usr_nope", "+6200000000000", "nobody@example.com"} {
		if _, err := f.s.UserByLogin(ctx, login); !errors.Is(err, ErrNotFound) || fault.Code(err) != "not_found" {
			t.Errorf("UserByLogin(%q): %v, want not_found", login, err)
		}
	}
	if _, err := f.s.User(ctx, "usr_nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("User(unknown): %v", err)
	}
	// Login by user id is for P2P lookups only, not for logging in.
	if _, _, err := f.s.Login(ctx, LoginInput{Login: u.ID, Password: goodPassword}); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("login by id: %v", err)
	}
}

func TestSetTier(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	ss := f.login(t, u.Phone)
	if p, err := f.s.Authenticate(ctx, ss.Token); err != nil || p.User.Tier != TierBasic {
		t.Fatalf("before: %+v %v", p.User, err)
	}
	if err := f.s.SetTier(ctx, u.ID, TierVerified); err != nil {
		t.Fatal(err)
	}
	// The cached principal must not keep the old tier.
	if p, err := f.s.Authenticate(ctx, ss.Token); err != nil || p.User.Tier != TierVerified {
		t.Fatalf("after: %+v %v", p.User, err)
	}
	if err := f.s.SetTier(ctx, u.ID, "gold"); fault.Code(err) != "invalid_request" {
		t.Fatalf("bad tier: %v", err)
	}
	if err := f.s.SetTier(ctx, "usr_nope", TierVerified); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	evs, err := f.s.SecurityEvents(ctx, u.ID, 0)
	if err != nil || len(evs) == 0 || evs[0].Kind != EventTierChanged {
		t.Fatalf("events %+v %v", evs, err)
	}
}
