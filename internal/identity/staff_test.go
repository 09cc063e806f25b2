package identity

import (
	"context"
	"strings"
	"testing"
	"time"
)

func (f *fixture) createStaff(t testing.TB, email, role string) (Staff, string, string) {
	t.Helper()
	st, secret, pw, err := f.s.CreateStaff(context.Background(), email, "Sari Agent", role, "", "")
	if err != nil {
		t.Fatalf("create staff: %v", err)
	}
	return st, secret, pw
}

func TestCreateStaff(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	st, secret, pw := f.createStaff(t, " Sari@Dompet.Example ", RoleAgent)
	if !strings.HasPrefix(st.ID, "stf_") || st.Email != "sari@dompet.example" || st.Team != DefaultTeam ||
		st.Role != RoleAgent || st.Status != StaffActive {
		t.Fatalf("staff %+v", st)
	}
	if len(secret) != 32 {
		t.Fatalf("secret %q", secret)
	}
	if reason, _ := f.s.common.passwordProblem(pw); reason != "" || len(pw) < 20 {
		t.Fatalf("generated password %q: %s", pw, reason)
	}
	if _, _, pw2, _ := f.s.CreateStaff(ctx, "b@dompet.example", "B", RoleAdmin, "accounts", ""); pw2 == pw {
		t.Fatal("two generated passwords are equal")
	}
	var stored string
	if err := f.d.QueryRow(ctx, "SELECT password_hash FROM staff WHERE id = ?", st.ID).Scan(&stored); err != nil || !strings.HasPrefix(stored, "$argon2id$") {
		t.Fatalf("stored password %q %v", stored, err)
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
		_, _, _, err := f.s.CreateStaff(ctx, tt.email, "C", tt.role, tt.team, tt.password)
		if wantCode(t, err, tt.code) == nil {
			t.Errorf("%s", tt.name)
		}
	}
	st2, _, pw2, err := f.s.CreateStaff(ctx, "d@dompet.example", "D", RoleSupervisor, "payments", "Given-Pass-77!")
	if err != nil || pw2 != "Given-Pass-77!" || st2.Team != "payments" {
		t.Fatalf("given password: %+v %q %v", st2, pw2, err)
	}
	list, err := f.s.ListStaff(ctx)
	if err != nil || len(list) != 3 {
		t.Fatalf("list %d %v", len(list), err)
	}
	got, err := f.s.StaffMember(ctx, st.ID)
	if err != nil || got.Email != st.Email {
		t.Fatalf("staff member %+v %v", got, err)
	}
	wantCode(t, func() error { _, err := f.s.StaffMember(ctx, "stf_nope"); return err }(), "not_found")
}

// TestStaffLoginNeedsTOTP: password alone is not enough; the TOTP code (made by oathtool) is,
// once; the token is a staff token only.
func TestStaffLoginNeedsTOTP(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	st, secret, pw := f.createStaff(t, "sari@dompet.example", RoleAgent)
	in := StaffLoginInput{Email: "SARI@dompet.example", Password: pw, IP: "203.0.113.9", UserAgent: "console"}

	_, _, err := f.s.StaffLogin(ctx, in)
	wantMethods(t, err, "totp")
	in.OTP = "000000"
	fe := wantCode(t, func() error { _, _, err := f.s.StaffLogin(ctx, in); return err }(), "invalid_code")
	if fe.Fields["attempts_remaining"] != 4 {
		t.Fatalf("attempts_remaining %v", fe.Fields["attempts_remaining"])
	}
	in.OTP = oathtool(t, secret, f.clock.Now())
	ss, got, err := f.s.StaffLogin(ctx, in)
	if err != nil {
		t.Fatalf("staff login: %v", err)
	}
	if got.ID != st.ID || ss.Token == "" || !ss.ExpiresAt.Equal(f.clock.Now().Add(staffSessionTTL)) || got.FailedLogins != 0 {
		t.Fatalf("session %+v staff %+v", ss, got)
	}
	if _, _, err := f.s.StaffLogin(ctx, in); wantCode(t, err, "invalid_code") == nil {
		t.Fatal("a code logged in twice")
	}
	p, err := f.s.AuthenticateStaff(ctx, ss.Token)
	if err != nil || p.Staff.ID != st.ID || p.SessionID != ss.ID {
		t.Fatalf("authenticate staff: %+v %v", p, err)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM staff_sessions WHERE token_hash = ?", ss.Token); n != 0 {
		t.Fatal("the staff token is stored as is")
	}

	// Tokens don't cross: a staff token is no user session, a user token no staff session.
	if _, err := f.s.Authenticate(ctx, ss.Token); wantCode(t, err, "unauthenticated") == nil {
		t.Fatal("staff token authenticated as a user")
	}
	f.register(t, 1)
	us := f.login(t, "+628120000001")
	if _, err := f.s.AuthenticateStaff(ctx, us.Token); wantCode(t, err, "unauthenticated") == nil {
		t.Fatal("user token authenticated as staff")
	}
	for _, bad := range []string{"", "nope", strings.Repeat("x", 5000)} {
		if _, err := f.s.AuthenticateStaff(ctx, bad); wantCode(t, err, "unauthenticated") == nil {
			t.Fatal(bad)
		}
	}

	if err := f.s.StaffLogout(ctx, p, "203.0.113.9"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.AuthenticateStaff(ctx, ss.Token); wantCode(t, err, "unauthenticated") == nil {
		t.Fatal("logged-out staff token works")
	}
	f.clock.Advance(time.Minute)
	in.OTP = oathtool(t, secret, f.clock.Now())
	ss, _, err = f.s.StaffLogin(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(staffSessionTTL)
	if _, err := f.s.AuthenticateStaff(ctx, ss.Token); wantCode(t, err, "unauthenticated") == nil {
		t.Fatal("an expired staff token works")
	}

	// Unknown emails answer like wrong passwords.
	_, _, err = f.s.StaffLogin(ctx, StaffLoginInput{Email: "ghost@dompet.example", Password: pw, OTP: "123456"})
	wantCode(t, err, "invalid_credentials")
}

func TestStaffLockout(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	st, secret, pw := f.createStaff(t, "sari@dompet.example", RoleAdmin)
	bad := StaffLoginInput{Email: st.Email, Password: "Wrong-Pass-1!", IP: "203.0.113.9"}
	for i := range 4 {
		f.clock.Advance(time.Second)
		_, _, err := f.s.StaffLogin(ctx, bad)
		if fe := wantCode(t, err, "invalid_credentials"); fe.Fields["attempts_remaining"] != 4-i {
			t.Fatalf("try %d: attempts_remaining %v", i, fe.Fields["attempts_remaining"])
		}
	}
	_, _, err := f.s.StaffLogin(ctx, StaffLoginInput{Email: st.Email, Password: pw, OTP: "999999"}) // the 5th failure: a wrong code
	fe := wantCode(t, err, "account_locked")
	until, _ := fe.Fields["locked_until"].(time.Time)
	if !until.Equal(f.clock.Now().Add(30 * time.Minute)) {
		t.Fatalf("locked_until %v", fe.Fields["locked_until"])
	}
	good := StaffLoginInput{Email: st.Email, Password: pw, OTP: oathtool(t, secret, f.clock.Now())}
	_, _, err = f.s.StaffLogin(ctx, good)
	wantCode(t, err, "account_locked") // also with the right password and code
	if got, _ := f.s.StaffMember(ctx, st.ID); got.Status != StaffLocked {
		t.Fatalf("status %s", got.Status)
	}
	f.clock.Advance(31 * time.Minute)
	good.OTP = oathtool(t, secret, f.clock.Now())
	if _, _, err := f.s.StaffLogin(ctx, good); err != nil {
		t.Fatalf("after the lock ran out: %v", err)
	}
	if got, _ := f.s.StaffMember(ctx, st.ID); got.Status != StaffActive || got.FailedLogins != 0 {
		t.Fatalf("after login: %+v", got)
	}
	entries, _, err := f.s.AuditLog(ctx, AuditQuery{TargetType: "staff", TargetID: st.ID, Limit: 200})
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
