package identity

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/audit"
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
	log := audit.New(f.d, f.clock.Now)
	var u User
	var secret string
	const agentID = "stf_test" // the audit log names actors; identity needs no staff account
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
		{"staff action", func() {
			sctx := audit.WithActor(ctx, audit.Actor{Type: audit.ActorStaff, ID: agentID, IP: "10.0.0.8", Reason: "caller answered security questions"})
			if err := log.Write(sctx, audit.Entry{Action: "staff.customer_viewed", TargetType: "user", TargetID: u.ID}); err != nil {
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

	all, next, err := log.List(ctx, audit.Query{Limit: 200})
	if err != nil || next != "" {
		t.Fatal(err, next)
	}
	byAction := map[string]audit.Entry{}
	for _, e := range all {
		if _, ok := byAction[e.Action]; !ok {
			byAction[e.Action] = e // newest first
		}
	}
	for _, a := range []string{"user.register", "user.login", "user.login_failed", "user.two_factor_enabled",
		"user.new_device", "user.second_factor_failed", "staff.customer_viewed", "user.sessions_revoked"} {
		if _, ok := byAction[a]; !ok {
			t.Errorf("no %s entry", a)
		}
	}
	if e := byAction["user.login"]; e.ActorType != audit.ActorUser || e.ActorID != u.ID || e.TargetID != u.ID || e.IP != "203.0.113.7" {
		t.Errorf("login entry %+v", e)
	}
	if e := byAction["user.new_device"]; e.Detail["device_id"] != "dev-2" {
		t.Errorf("new device entry %+v", e)
	}
	// The revocation an agent caused is theirs, with why.
	if e := byAction["user.sessions_revoked"]; e.ActorType != audit.ActorStaff || e.ActorID != agentID || e.TargetID != u.ID ||
		e.Reason == "" || e.IP != "10.0.0.8" {
		t.Errorf("staff-caused entry %+v", e)
	}
	if e := byAction["staff.customer_viewed"]; e.ActorType != audit.ActorStaff || e.ActorID != agentID || e.Reason == "" {
		t.Errorf("staff action %+v", e)
	}

	// Filters and pages.
	mine, _, _ := log.List(ctx, audit.Query{ActorType: audit.ActorStaff, Actor: agentID})
	if len(mine) != 2 { // customer_viewed, sessions_revoked
		t.Errorf("%d entries by the agent", len(mine))
	}
	var paged []audit.Entry
	q := audit.Query{Limit: 3}
	for {
		page, next, err := log.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page...)
		if next == "" {
			break
		}
		q.Cursor = next
	}
	if len(paged) != len(all) || paged[len(paged)-1].ID != all[len(all)-1].ID {
		t.Errorf("paged %d entries, want %d", len(paged), len(all))
	}
}
