package staff

import (
	"context"
	"testing"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/fault"
)

func TestSeededTeams(t *testing.T) {
	f := newFixture(t)
	teams, err := f.s.Teams(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"accounts": "[account_locked account_security]", "general": "[other]", "payments": "[payment_failed refund fees]"}
	if len(teams) != 3 {
		t.Fatalf("%+v", teams)
	}
	for _, tm := range teams {
		if w, ok := want[tm.Slug]; !ok || fmtSlice(tm.Topics) != w {
			t.Errorf("team %+v", tm)
		}
		// The migration's JSON is the Go default, so both say the same hours.
		var v fault.Validation
		if got := DefaultBusinessHours().check(&v, "h"); fmtAny(tm.BusinessHours) != fmtAny(got) || v.Err() != nil {
			t.Errorf("%s hours %+v, want %+v", tm.Slug, tm.BusinessHours, got)
		}
	}
}

func TestTeams(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sup, ss, sp := f.create(t, "sup@dompet.example", RoleSupervisor)
	ag, as, ap := f.create(t, "agent@dompet.example", RoleAgent)
	bySup, byAgent := f.principal(t, sup, ss, sp).ActorOf("10.0.0.3"), f.principal(t, ag, as, ap).ActorOf("10.0.0.4")

	hours := BusinessHours{TimeZone: "Asia/Shanghai", Weekly: []Period{
		{Day: "tue", Start: "13:00", End: "24:00"}, {Day: "mon", Start: "09:00", End: "12:00"}, {Day: "mon", Start: "13:00", End: "18:00"}},
		Holidays: []string{"2027-02-06", "2027-01-01", "2027-01-01"}}
	in := NewTeam{Slug: "vip", Name: "VIP", Topics: []string{"vip", "vip"}, BusinessHours: &hours, Reason: "big customers"}
	wantCode(t, func() error { _, err := f.s.CreateTeam(ctx, byAgent, in); return err }(), "forbidden")
	tm, err := f.s.CreateTeam(ctx, bySup, in)
	if err != nil {
		t.Fatal(err)
	}
	if fmtSlice(tm.Topics) != "[vip]" || fmtAny(tm.BusinessHours.Weekly) != "[{mon 09:00 12:00} {mon 13:00 18:00} {tue 13:00 24:00}]" ||
		fmtSlice(tm.BusinessHours.Holidays) != "[2027-01-01 2027-02-06]" {
		t.Fatalf("normalized %+v", tm)
	}
	wantCode(t, func() error { _, err := f.s.CreateTeam(ctx, bySup, in); return err }(), "already_exists")
	in.Slug, in.Topics = "vip2", []string{"refund"}
	wantCode(t, func() error { _, err := f.s.CreateTeam(ctx, bySup, in); return err }(), "already_exists") // payments has refund

	bad := []BusinessHours{
		{TimeZone: "Mars/Olympus", Weekly: []Period{}},
		{TimeZone: "UTC", Weekly: []Period{{Day: "mon", Start: "09:00", End: "09:00"}}},
		{TimeZone: "UTC", Weekly: []Period{{Day: "mon", Start: "09:00", End: "12:00"}, {Day: "mon", Start: "11:00", End: "13:00"}}},
		{TimeZone: "UTC", Weekly: []Period{{Day: "monday", Start: "09:00", End: "12:00"}}},
		{TimeZone: "UTC", Weekly: []Period{{Day: "mon", Start: "9:00", End: "12:00"}}},
		{TimeZone: "UTC", Weekly: []Period{{Day: "mon", Start: "09:00", End: "24:01"}}},
		{TimeZone: "UTC", Holidays: []string{"2027-02-30"}},
	}
	for i, h := range bad {
		_, err := f.s.UpdateTeam(ctx, bySup, "vip", TeamChange{BusinessHours: &h, Reason: "x"})
		if fault.Code(err) != "invalid_request" {
			t.Errorf("hours %d: %v", i, err)
		}
	}
	wantCode(t, func() error {
		_, err := f.s.UpdateTeam(ctx, byAgent, "vip", TeamChange{Name: ptr("X"), Reason: "x"})
		return err
	}(), "forbidden")
	wantCode(t, func() error {
		_, err := f.s.UpdateTeam(ctx, bySup, "nope", TeamChange{Name: ptr("X"), Reason: "x"})
		return err
	}(), "not_found")
	got, err := f.s.UpdateTeam(ctx, bySup, "vip", TeamChange{Name: ptr("Very Important"), Topics: &[]string{"vip", "premium"}, Reason: "renamed"})
	if err != nil || got.Name != "Very Important" || fmtSlice(got.Topics) != "[vip premium]" || got.BusinessHours.TimeZone != "Asia/Shanghai" {
		t.Fatalf("update %+v %v", got, err)
	}
	// A member may now be put in the new team.
	if _, err := f.s.Update(ctx, bySup, ag.ID, Change{Team: ptr("vip"), Reason: "vip rota"}); err != nil {
		t.Fatal(err)
	}
	entries, _, _ := audit.New(f.d, f.clock.Now).List(ctx, audit.Query{Subject: "vip"})
	if len(entries) != 2 || entries[0].Action != "team.updated" || entries[0].ActorID != sup.ID || entries[0].Reason != "renamed" ||
		entries[1].Action != "team.created" {
		t.Fatalf("audit %+v", entries)
	}
}

func fmtSlice(s []string) string { return fmtAny(s) }
