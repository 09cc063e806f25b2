package staff

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/secret"
)

func TestCreate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	st, secret, pw := f.create(t, " Sari@Dompet.Example ", RoleAgent)
	if !strings.HasPrefix(st.ID, "stf_") || st.Email != "sari@dompet.example" || st.Team != DefaultTeam ||
		st.Role != RoleAgent || st.Status != StatusActive || st.Capacity != DefaultCapacity || st.Disabled {
		t.Fatalf("staff %+v", st)
	}
	if len(secret) != 32 {
		t.Fatalf("secret %q", secret)
	}
	if err := f.ids.CheckNewPassword(pw); err != nil || len(pw) < 20 {
		t.Fatalf("generated password %q: %v", pw, err)
	}
	if _, _, pw2, _ := f.s.Create(ctx, "b@dompet.example", "B", RoleAdmin, "accounts", ""); pw2 == pw {
		t.Fatal("two generated passwords are equal")
	}
	var stored, sealed string
	if err := f.d.QueryRow(ctx, "SELECT password_hash, totp_secret FROM staff WHERE id = ?", st.ID).Scan(&stored, &sealed); err != nil ||
		!strings.HasPrefix(stored, "$argon2id$") {
		t.Fatalf("stored password %q %v", stored, err)
	}
	// The TOTP secret is stored through the Sealer: never as is, and bound to its row.
	if strings.Contains(sealed, secret) || !strings.HasPrefix(sealed, "gcm:") {
		t.Fatalf("the TOTP secret is stored as %q", sealed)
	}
	if got, err := f.s.sealer.Open(sealed, []byte(st.ID)); err != nil || string(got) != secret {
		t.Fatalf("sealed secret opens to %q %v", got, err)
	}
	if _, err := f.s.sealer.Open(sealed, []byte("stf_other")); err == nil {
		t.Fatal("a sealed secret opens for another row")
	}

	tests := []struct {
		name, email, role, team, password, code string
	}{
		{"duplicate email", "SARI@dompet.example", RoleAgent, "", "", "already_exists"},
		{"bad role", "c@dompet.example", "root", "", "", "invalid_request"},
		{"bad team", "c@dompet.example", RoleAgent, "marketing", "", "invalid_request"},
		{"bad email", "not-an-email", RoleAgent, "", "", "invalid_request"},
		{"weak password", "c@dompet.example", RoleAgent, "", "password123", "weak_password"},
	}
	for _, tt := range tests {
		_, _, _, err := f.s.Create(ctx, tt.email, "C", tt.role, tt.team, tt.password)
		if wantCode(t, err, tt.code) == nil {
			t.Errorf("%s", tt.name)
		}
	}
	st2, _, pw2, err := f.s.Create(ctx, "d@dompet.example", "D", RoleReviewer, "payments", "Given-Pass-77!")
	if err != nil || pw2 != "Given-Pass-77!" || st2.Team != "payments" || st2.Role != RoleReviewer {
		t.Fatalf("given password: %+v %q %v", st2, pw2, err)
	}
	list, err := f.s.List(ctx)
	if err != nil || len(list) != 3 {
		t.Fatalf("list %d %v", len(list), err)
	}
	got, err := f.s.Member(ctx, st.ID)
	if err != nil || got.Email != st.Email {
		t.Fatalf("staff member %+v %v", got, err)
	}
	wantCode(t, func() error { _, err := f.s.Member(ctx, "stf_nope"); return err }(), "not_found")
}

// TestLoginNeedsTOTP: password alone is not enough; the TOTP code is, once; the token is a
// staff token only.
func TestLoginNeedsTOTP(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	st, secret, pw := f.create(t, "sari@dompet.example", RoleAgent)
	in := LoginInput{Email: "SARI@dompet.example", Password: pw, IP: "203.0.113.9", UserAgent: "console"}

	_, _, err := f.s.Login(ctx, in)
	if fe := wantCode(t, err, "second_factor_required"); fmt.Sprint(fe.Fields["methods"]) != "[totp]" {
		t.Fatalf("methods %v", fe.Fields["methods"])
	}
	in.OTP = "000000"
	fe := wantCode(t, func() error { _, _, err := f.s.Login(ctx, in); return err }(), "invalid_code")
	if fe.Fields["attempts_remaining"] != 4 {
		t.Fatalf("attempts_remaining %v", fe.Fields["attempts_remaining"])
	}
	in.OTP = oathtool(t, secret, f.clock.Now())
	ss, got, err := f.s.Login(ctx, in)
	if err != nil {
		t.Fatalf("staff login: %v", err)
	}
	if got.ID != st.ID || ss.Token == "" || !ss.ExpiresAt.Equal(f.clock.Now().Add(12*time.Hour)) || got.FailedLogins != 0 {
		t.Fatalf("session %+v staff %+v", ss, got)
	}
	if _, _, err := f.s.Login(ctx, in); wantCode(t, err, "invalid_code") == nil {
		t.Fatal("a code logged in twice")
	}
	p, err := f.s.Authenticate(ctx, ss.Token)
	if err != nil || p.Staff.ID != st.ID || p.SessionID != ss.ID {
		t.Fatalf("authenticate staff: %+v %v", p, err)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM staff_sessions WHERE token_hash = ?", ss.Token); n != 0 {
		t.Fatal("the staff token is stored as is")
	}
	if _, err := f.ids.Authenticate(ctx, ss.Token); wantCode(t, err, "unauthenticated") == nil {
		t.Fatal("staff token authenticated as a user")
	}
	for _, bad := range []string{"", "nope", strings.Repeat("x", 5000)} {
		if _, err := f.s.Authenticate(ctx, bad); wantCode(t, err, "unauthenticated") == nil {
			t.Fatal(bad)
		}
	}
	if err := f.s.Logout(ctx, p, "203.0.113.9"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Authenticate(ctx, ss.Token); wantCode(t, err, "unauthenticated") == nil {
		t.Fatal("logged-out staff token works")
	}
	ss = f.login(t, st, secret, pw)
	f.clock.Advance(12 * time.Hour)
	if _, err := f.s.Authenticate(ctx, ss.Token); wantCode(t, err, "unauthenticated") == nil {
		t.Fatal("an expired staff token works")
	}
	_, _, err = f.s.Login(ctx, LoginInput{Email: "ghost@dompet.example", Password: pw, OTP: "123456"})
	wantCode(t, err, "invalid_credentials")
}

func TestLockout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	st, secret, pw := f.create(t, "sari@dompet.example", RoleAdmin)
	bad := LoginInput{Email: st.Email, Password: "Wrong-Pass-1!", IP: "203.0.113.9"}
	for i := range 4 {
		f.clock.Advance(time.Second)
		_, _, err := f.s.Login(ctx, bad)
		if fe := wantCode(t, err, "invalid_credentials"); fe.Fields["attempts_remaining"] != 4-i {
			t.Fatalf("try %d: attempts_remaining %v", i, fe.Fields["attempts_remaining"])
		}
	}
	_, _, err := f.s.Login(ctx, LoginInput{Email: st.Email, Password: pw, OTP: "999999"}) // the 5th failure: a wrong code
	fe := wantCode(t, err, "account_locked")
	until, _ := fe.Fields["locked_until"].(time.Time)
	if !until.Equal(f.clock.Now().Add(30 * time.Minute)) {
		t.Fatalf("locked_until %v", fe.Fields["locked_until"])
	}
	good := LoginInput{Email: st.Email, Password: pw, OTP: oathtool(t, secret, f.clock.Now())}
	_, _, err = f.s.Login(ctx, good)
	wantCode(t, err, "account_locked") // also with the right password and code
	if got, _ := f.s.Member(ctx, st.ID); got.Status != StatusLocked {
		t.Fatalf("status %s", got.Status)
	}
	f.clock.Advance(31 * time.Minute)
	good.OTP = oathtool(t, secret, f.clock.Now())
	if _, _, err := f.s.Login(ctx, good); err != nil {
		t.Fatalf("after the lock ran out: %v", err)
	}
	if got, _ := f.s.Member(ctx, st.ID); got.Status != StatusActive || got.FailedLogins != 0 {
		t.Fatalf("after login: %+v", got)
	}
	entries, _, err := audit.New(f.d, f.clock.Now).List(ctx, audit.Query{Subject: st.ID, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, e := range entries {
		actions[e.Action]++
	}
	if actions["staff.created"] != 1 || actions["staff.login_failed"] != 5 || actions["staff.locked"] != 1 || actions["staff.login"] != 1 {
		t.Fatalf("audit %v", actions)
	}
}

// loginAnswers is what six wrong passwords for email answer, one line per attempt.
func loginAnswers(t *testing.T, f *fixture, email string) string {
	t.Helper()
	var seq []string
	for range 6 {
		f.clock.Advance(time.Second)
		_, _, err := f.s.Login(context.Background(), LoginInput{Email: email, Password: "Wrong-Pass-1!", IP: "203.0.113.9"})
		fe, _ := fault.As(err)
		until, _ := fe.Fields["locked_until"].(time.Time)
		seq = append(seq, fmt.Sprintf("%s:%v:%v:%v", fe.Code, fe.Fields["attempts_remaining"],
			until.Equal(until.Truncate(time.Microsecond)), until.Sub(f.clock.Now())))
	}
	return strings.Join(seq, " ")
}

// A staff email that names nobody answers wrong passwords exactly as a staff member's does
// (attempts_remaining counting down, then account_locked at the same precision), or one
// request tells which emails are staff.
func TestUnknownEmailLooksLikeStaff(t *testing.T) {
	f := newFixture(t)
	st, _, _ := f.create(t, "sari@dompet.example", RoleAdmin)
	f.clock.Advance(123_456_789 * time.Nanosecond)
	real, ghost := loginAnswers(t, f, st.Email), loginAnswers(t, f, "ghost@dompet.example")
	if real != ghost {
		t.Fatalf("staff:   %s\nunknown: %s", real, ghost)
	}
}

// TestDisabledLockedOutAtOnce: disabling a member ends their sessions on the very next call
// (the store is read on every authentication: no cache window), and their login, even with
// the right password and code, answers exactly like an unknown email.
func TestDisabledLockedOutAtOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin, aSecret, aPW := f.create(t, "admin@dompet.example", RoleAdmin)
	st, secret, pw := f.create(t, "sari@dompet.example", RoleAgent)
	s1, s2 := f.login(t, st, secret, pw), f.login(t, st, secret, pw)
	// A second process on the same store: it has authenticated the session just before.
	other := New(f.d, f.ids, Options{Now: f.clock.Now, Sealer: f.s.sealer})
	if _, err := other.Authenticate(ctx, s1.Token); err != nil {
		t.Fatal(err)
	}
	by := f.principal(t, admin, aSecret, aPW).ActorOf("10.0.0.1")
	got, err := f.s.Update(ctx, by, st.ID, Change{Disabled: ptr(true), Reason: "left the company"})
	if err != nil || !got.Disabled || got.Status != StatusDisabled {
		t.Fatalf("disable: %+v %v", got, err)
	}
	for _, svc := range []*Service{f.s, other} {
		for _, tok := range []string{s1.Token, s2.Token} {
			if _, err := svc.Authenticate(ctx, tok); wantCode(t, err, "unauthenticated") == nil {
				t.Fatal("a disabled member's session still works")
			}
		}
	}
	if n := f.count(t, "SELECT COUNT(*) FROM staff_sessions WHERE staff_id = ? AND revoked_at IS NULL", st.ID); n != 0 {
		t.Fatalf("%d sessions left open", n)
	}
	// Right password and code: answered like an unknown email, countdown included.
	f.clock.Advance(time.Minute)
	_, _, err = f.s.Login(ctx, LoginInput{Email: st.Email, Password: pw, OTP: oathtool(t, secret, f.clock.Now())})
	if fe := wantCode(t, err, "invalid_credentials"); fe.Fields["attempts_remaining"] != 4 {
		t.Fatalf("disabled login: %v", fe.Fields)
	}
	// The unknown email gets its first attempt too, then both go on alike.
	_, _, err = f.s.Login(ctx, LoginInput{Email: "ghost@dompet.example", Password: pw, OTP: "123456"})
	wantCode(t, err, "invalid_credentials")
	disabled, ghost := loginAnswers(t, f, st.Email), loginAnswers(t, f, "ghost@dompet.example")
	if disabled != ghost {
		t.Fatalf("disabled: %s\nunknown:  %s", disabled, ghost)
	}

	// Enabled again, the member logs in (after the phantom lock has run out).
	f.clock.Advance(time.Hour)
	if _, err := f.s.Update(ctx, Operator(), st.ID, Change{Disabled: ptr(false), Reason: "came back"}); err != nil {
		t.Fatal(err)
	}
	f.login(t, st, secret, pw)

	entries, _, _ := audit.New(f.d, f.clock.Now).List(ctx, audit.Query{Subject: st.ID})
	var saw []string
	for _, e := range entries {
		switch e.Action {
		case "staff.disabled":
			if e.ActorID != admin.ID || e.Reason != "left the company" || e.IP != "10.0.0.1" || e.Detail["sessions_revoked"] != float64(2) {
				t.Errorf("disable entry %+v", e)
			}
			saw = append(saw, e.Action)
		case "staff.enabled":
			if e.ActorType != audit.ActorSystem || e.Reason != "came back" {
				t.Errorf("enable entry %+v", e)
			}
			saw = append(saw, e.Action)
		}
	}
	if strings.Join(saw, ",") != "staff.enabled,staff.disabled" {
		t.Fatalf("audit %v", saw)
	}
}

// TestUpdateRoles: who may change what (admin.go).
func TestUpdateRoles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	type member struct {
		st         Staff
		secret, pw string
	}
	m := map[string]member{}
	for _, role := range Roles {
		st, secret, pw := f.create(t, role+"@dompet.example", role)
		m[role] = member{st, secret, pw}
	}
	agent2, _, _ := f.create(t, "agent2@dompet.example", RoleAgent)
	actor := func(role string) Actor {
		return f.principal(t, m[role].st, m[role].secret, m[role].pw).ActorOf("10.0.0.2")
	}
	why := "rota"
	tests := []struct {
		name   string
		by     Actor
		target string
		change Change
		code   string // "" means allowed
	}{
		{"agent changes capacity", actor(RoleAgent), agent2.ID, Change{Capacity: ptr(5)}, "forbidden"},
		{"reviewer changes team", actor(RoleReviewer), agent2.ID, Change{Team: ptr("payments")}, "forbidden"},
		{"nobody", Actor{}, agent2.ID, Change{Capacity: ptr(5)}, "forbidden"},
		{"supervisor: team and capacity of an agent", actor(RoleSupervisor), agent2.ID, Change{Team: ptr("payments"), Capacity: ptr(5)}, ""},
		{"supervisor: role", actor(RoleSupervisor), agent2.ID, Change{Role: ptr(RoleReviewer)}, "forbidden"},
		{"supervisor: disable", actor(RoleSupervisor), agent2.ID, Change{Disabled: ptr(true)}, "forbidden"},
		{"supervisor: a reviewer's team", actor(RoleSupervisor), m[RoleReviewer].st.ID, Change{Team: ptr("payments")}, "forbidden"},
		{"admin: role", actor(RoleAdmin), agent2.ID, Change{Role: ptr(RoleSupervisor)}, ""},
		{"admin: own role", actor(RoleAdmin), m[RoleAdmin].st.ID, Change{Role: ptr(RoleAgent)}, "forbidden"},
		{"admin: disable self", actor(RoleAdmin), m[RoleAdmin].st.ID, Change{Disabled: ptr(true)}, "forbidden"},
		{"admin: own capacity", actor(RoleAdmin), m[RoleAdmin].st.ID, Change{Capacity: ptr(0)}, ""},
		{"admin: unknown team", actor(RoleAdmin), agent2.ID, Change{Team: ptr("marketing")}, "invalid_request"},
		{"admin: capacity too high", actor(RoleAdmin), agent2.ID, Change{Capacity: ptr(MaxCapacity + 1)}, "invalid_request"},
		{"admin: bad role", actor(RoleAdmin), agent2.ID, Change{Role: ptr("root")}, "invalid_request"},
		{"admin: nothing", actor(RoleAdmin), agent2.ID, Change{}, "invalid_request"},
		{"admin: no reason", actor(RoleAdmin), agent2.ID, Change{Capacity: ptr(4)}, "invalid_request"},
		{"admin: unknown member", actor(RoleAdmin), "stf_nope", Change{Capacity: ptr(4)}, "not_found"},
		{"operator", Operator(), agent2.ID, Change{Role: ptr(RoleAgent), Capacity: ptr(2)}, ""},
	}
	for _, tt := range tests {
		if tt.change.Reason == "" && tt.name != "admin: no reason" {
			tt.change.Reason = why
		}
		before, _ := f.s.Member(ctx, tt.target)
		got, err := f.s.Update(ctx, tt.by, tt.target, tt.change)
		after, _ := f.s.Member(ctx, tt.target)
		if tt.code != "" {
			if fault.Code(err) != tt.code {
				t.Errorf("%s: got %v, want %s", tt.name, err, tt.code)
			}
			if fmt.Sprint(before) != fmt.Sprint(after) {
				t.Errorf("%s: refused but changed: %+v → %+v", tt.name, before, after)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(after) {
			t.Errorf("%s: %v (%+v, stored %+v)", tt.name, err, got, after)
		}
	}
	if got, _ := f.s.Member(ctx, agent2.ID); got.Team != "payments" || got.Capacity != 2 || got.Role != RoleAgent {
		t.Fatalf("agent2 %+v", got)
	}
	for _, a := range []Actor{actor(RoleAgent), actor(RoleReviewer)} {
		if wantCode(t, a.CanListStaff(), "forbidden") == nil || wantCode(t, a.CanReadAudit(), "forbidden") == nil {
			t.Fatal()
		}
	}
	if actor(RoleSupervisor).CanListStaff() != nil || actor(RoleSupervisor).CanReadAudit() == nil || actor(RoleAdmin).CanReadAudit() != nil {
		t.Fatal("supervisors list staff; only admins read the audit log")
	}
}

// TestSecretColumns: secrets a store without a key kept in the clear are sealed by the server
// key's walk over SecretColumns (what a start does), members log in as before, and a
// rotation re-seals them under the new key.
func TestSecretColumns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inClear := New(f.d, f.ids, Options{Now: f.clock.Now})
	st, totp, pw, err := inClear.Create(ctx, "sari@dompet.example", "Sari", RoleAgent, "", "")
	if err != nil {
		t.Fatal(err)
	}
	stored := func() string {
		var v string
		if err := f.d.QueryRow(ctx, "SELECT totp_secret FROM staff WHERE id = ?", st.ID).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if stored() != totp {
		t.Fatal("without a Sealer the secret is stored as it is")
	}
	oldKey, newKey := secret.NewKey(), secret.NewKey()
	box, err := secret.New(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := secret.SealPlain(ctx, f.d, box, SecretColumns()); err != nil || n != 1 {
		t.Fatalf("seal plain: %d %v", n, err)
	}
	if v := stored(); strings.Contains(v, totp) || !secret.IsSealed(v) {
		t.Fatalf("still in the clear: %q", v)
	}
	login := func(s *Service) error {
		f.clock.Advance(time.Minute) // a fresh TOTP step: a code is accepted once
		_, _, err := s.Login(ctx, LoginInput{Email: st.Email, Password: pw, OTP: oathtool(t, totp, f.clock.Now())})
		return err
	}
	if err := login(New(f.d, f.ids, Options{Now: f.clock.Now, Sealer: box})); err != nil {
		t.Fatalf("login with the sealed secret: %v", err)
	}
	both, err := secret.New(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := secret.Reseal(ctx, f.d, both, SecretColumns()); err != nil || n != 1 {
		t.Fatalf("rotate: %d %v", n, err)
	}
	if kid, _ := secret.SealedKeyID(stored()); kid != secret.KeyID(newKey) {
		t.Fatalf("sealed under %s, want the new key %s", kid, secret.KeyID(newKey))
	}
	onlyNew, err := secret.New(newKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := login(New(f.d, f.ids, Options{Now: f.clock.Now, Sealer: onlyNew})); err != nil {
		t.Fatalf("login after rotation: %v", err)
	}
	if err := login(New(f.d, f.ids, Options{Now: f.clock.Now, Sealer: box})); err == nil {
		t.Fatal("the retired key still opens the rotated secret")
	}
}

// TestCreateWithSecret: the demo loader's member logs in with the secret it chose; a secret
// that is not base32 of at least 128 bits is refused.
func TestCreateWithSecret(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" // 160 bits
	pw := "Dompet-agent-2026!"
	for _, bad := range []string{"", "not base32!", "JBSWY3DPEHPK3PXP"} {
		if _, err := f.s.CreateWithSecret(ctx, "x@dompet.example", "X", RoleAgent, "", pw, bad); err == nil {
			t.Fatalf("secret %q accepted", bad)
		}
	}
	st, err := f.s.CreateWithSecret(ctx, "demo@dompet.example", "Demo", RoleSupervisor, "", pw, secret)
	if err != nil || st.Role != RoleSupervisor {
		t.Fatalf("%+v %v", st, err)
	}
	in := LoginInput{Email: st.Email, Password: pw, OTP: oathtool(t, secret, f.clock.Now()), IP: "203.0.113.9"}
	if _, got, err := f.s.Login(ctx, in); err != nil || got.ID != st.ID {
		t.Fatalf("login with the chosen secret: %v", err)
	}
}
