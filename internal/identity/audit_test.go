package identity

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// auditRows is the whole audit log, every column, in insertion order.
func (f *fixture) auditRows(t testing.TB) []string {
	t.Helper()
	rows, err := f.d.Query(context.Background(), `SELECT id, at, actor_type, actor_id, action, target_type, target_id,
		ip, reason, detail FROM audit_log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c [10]any
		ptrs := make([]any, len(c))
		for i := range c {
			ptrs[i] = &c[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(c))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAuditLogOnlyGrows runs the flows that write the audit log and checks after each that
// every earlier row is still there, unchanged, and that new rows came.
func TestAuditLogOnlyGrows(t *testing.T) {
	f, rec := newTwoFactorFixture(t)
	ctx := context.Background()
	var u User
	var secret, staffSecret, staffPW string
	var st Staff
	steps := []struct {
		name string
		do   func()
	}{
		{"register", func() { u = f.register(t, 1) }},
		{"login", func() { f.login(t, u.Phone) }},
		{"wrong password", func() { _, _, _ = f.s.Login(ctx, LoginInput{Login: u.Phone, Password: "Wrong-pass-1!"}) }},
		{"unknown login", func() { _, _, _ = f.s.Login(ctx, LoginInput{Login: "ghost@example.com", Password: "x"}) }},
		{"two-factor on", func() { secret, _ = f.enableTOTP(t, u) }},
		{"new device", func() {
			f.clock.Advance(time.Minute)
			if _, _, err := f.loginWith("dev-2", "203.0.113.7", oathtool(t, secret, f.clock.Now())); err != nil {
				t.Fatal(err)
			}
		}},
		{"wrong code", func() { _, _, _ = f.loginWith("dev-2", "203.0.113.7", "000000") }},
		{"staff created", func() { st, staffSecret, staffPW = f.createStaff(t, "sari@dompet.example", RoleAgent) }},
		{"staff login", func() {
			if _, _, err := f.s.StaffLogin(ctx, StaffLoginInput{Email: st.Email, Password: staffPW, OTP: oathtool(t, staffSecret, f.clock.Now())}); err != nil {
				t.Fatal(err)
			}
		}},
		{"staff action", func() {
			sctx := WithActor(ctx, Actor{Type: ActorStaff, ID: st.ID, IP: "10.0.0.8", Reason: "caller answered security questions"})
			if err := f.s.Audit(sctx, AuditEntry{Action: "staff.customer_viewed", TargetType: "user", TargetID: u.ID}); err != nil {
				t.Fatal(err)
			}
			if err := f.s.RevokeSessions(sctx, u.ID, ""); err != nil {
				t.Fatal(err)
			}
		}},
	}
	var before []string
	for _, step := range steps {
		step.do()
		after := f.auditRows(t)
		if len(after) <= len(before) {
			t.Fatalf("%s: %d rows, had %d", step.name, len(after), len(before))
		}
		for i, r := range before {
			if after[i] != r {
				t.Fatalf("%s: row %d changed:\n%s\n%s", step.name, i, r, after[i])
			}
		}
		before = after
	}
	_ = rec

	all, next, err := f.s.AuditLog(ctx, AuditQuery{Limit: 200})
	if err != nil || next != "" {
		t.Fatal(err, next)
	}
	byAction := map[string]AuditEntry{}
	for _, e := range all {
		if _, ok := byAction[e.Action]; !ok {
			byAction[e.Action] = e // newest first
		}
	}
	for _, a := range []string{"user.register", "user.login", "user.login_failed", "user.two_factor_enabled",
		"user.new_device", "user.second_factor_failed", "staff.created", "staff.login", "staff.customer_viewed", "user.sessions_revoked"} {
		if _, ok := byAction[a]; !ok {
			t.Errorf("no %s entry", a)
		}
	}
	if e := byAction["user.login"]; e.ActorType != ActorUser || e.ActorID != u.ID || e.TargetID != u.ID || e.IP != "203.0.113.7" {
		t.Errorf("login entry %+v", e)
	}
	if e := byAction["user.new_device"]; e.Detail["device_id"] != "dev-2" {
		t.Errorf("new device entry %+v", e)
	}
	// The revocation an agent caused is theirs, with why.
	if e := byAction["user.sessions_revoked"]; e.ActorType != ActorStaff || e.ActorID != st.ID || e.TargetID != u.ID ||
		e.Reason == "" || e.IP != "10.0.0.8" {
		t.Errorf("staff-caused entry %+v", e)
	}
	if e := byAction["staff.customer_viewed"]; e.ActorType != ActorStaff || e.ActorID != st.ID || e.Reason == "" {
		t.Errorf("staff action %+v", e)
	}

	// Filters and pages.
	mine, _, _ := f.s.AuditLog(ctx, AuditQuery{ActorType: ActorStaff, ActorID: st.ID})
	if len(mine) != 3 { // login, customer_viewed, sessions_revoked
		t.Errorf("%d entries by the agent", len(mine))
	}
	var paged []AuditEntry
	q := AuditQuery{Limit: 3}
	for {
		page, next, err := f.s.AuditLog(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page...)
		if next == "" {
			break
		}
		q.Before = next
	}
	if len(paged) != len(all) || paged[len(paged)-1].ID != all[len(all)-1].ID {
		t.Errorf("paged %d entries, want %d", len(paged), len(all))
	}
}

func TestAuditValidates(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	wantCode(t, f.s.Audit(ctx, AuditEntry{ActorType: "robot", Action: "x"}), "invalid_request")
	wantCode(t, f.s.Audit(ctx, AuditEntry{ActorType: ActorSystem}), "invalid_request")
	if err := f.s.Audit(ctx, AuditEntry{ActorType: ActorSystem, Action: "system.started", Detail: map[string]any{"n": 1}}); err != nil {
		t.Fatal(err)
	}
	got, _, _ := f.s.AuditLog(ctx, AuditQuery{Action: "system.started"})
	if len(got) != 1 || got[0].Detail["n"] != float64(1) || !got[0].At.Equal(f.clock.Now()) {
		t.Fatalf("%+v", got)
	}
}

// TestNothingRewritesTheAuditLog: no code of Dompet updates or deletes audit rows.
func TestNothingRewritesTheAuditLog(t *testing.T) {
	root := filepath.Join("..", "..")
	bad := regexp.MustCompile(`(?is)\b(update\s+audit_log|delete\s+from\s+audit_log|truncate\s+(table\s+)?audit_log|alter\s+table\s+audit_log)\b`)
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || strings.HasSuffix(path, "_test.go") || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".sql")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		if m := bad.Find(b); m != nil {
			t.Errorf("%s: %q", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("only %d files checked", checked)
	}
}
