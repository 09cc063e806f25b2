package sla_test

import (
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dompet/dompet/internal/hours"
	"github.com/dompet/dompet/internal/sla"
)

const jkt = "Asia/Jakarta"

// lunchCalendar: weekdays 08:00-12:00 and 13:00-17:00 in Jakarta, Christmas off.
// 2026-12-07 is a Monday.
func lunchCalendar(t testing.TB) *hours.Calendar {
	var weekly []hours.Period
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
		weekly = append(weekly, hours.Period{Day: d, Start: "08:00", End: "12:00"}, hours.Period{Day: d, Start: "13:00", End: "17:00"})
	}
	c, err := hours.New(jkt, weekly, []string{"2026-12-25"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func at(t testing.TB, s string) time.Time {
	t.Helper()
	loc, _ := time.LoadLocation(jkt)
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDefaultPolicies(t *testing.T) {
	p := sla.DefaultPolicies()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		topic      string
		pr         sla.Priority
		first, res time.Duration
	}{
		{"refund", sla.Urgent, 15 * time.Minute, 4 * time.Hour},
		{"refund", sla.High, 30 * time.Minute, 8 * time.Hour},
		{"fees", sla.Normal, time.Hour, 24 * time.Hour},
		{"other", sla.Low, 4 * time.Hour, 72 * time.Hour},
		{"account_security", sla.Normal, 15 * time.Minute, 4 * time.Hour},
		{"account_security", sla.Low, time.Hour, 24 * time.Hour},
		{"account_security", sla.Urgent, 15 * time.Minute, 4 * time.Hour},
		{"account_locked", sla.Normal, 30 * time.Minute, 8 * time.Hour},
		{"unknown_topic", "bogus", time.Hour, 24 * time.Hour}, // unknown priority counts as normal
	}
	for _, tt := range tests {
		got := p.For(tt.topic, tt.pr)
		if got.FirstResponse != tt.first || got.Resolution != tt.res || got.WarnPercent != 80 {
			t.Errorf("For(%s, %s) = %+v, want %s / %s at 80%%", tt.topic, tt.pr, got, tt.first, tt.res)
		}
	}
}

func TestPoliciesValidate(t *testing.T) {
	tests := map[string]func(*sla.Policies){
		"warn 0":                 func(p *sla.Policies) { p.WarnPercent = 0 },
		"warn 100":               func(p *sla.Policies) { p.WarnPercent = 100 },
		"missing priority":       func(p *sla.Policies) { delete(p.Default, sla.Low) },
		"zero target":            func(p *sla.Policies) { p.Default[sla.High] = sla.Target{0, time.Hour} },
		"first after resolution": func(p *sla.Policies) { p.Default[sla.High] = sla.Target{2 * time.Hour, time.Hour} },
		"unknown topic priority": func(p *sla.Policies) { p.Topics["fees"] = map[sla.Priority]sla.Target{"p1": {time.Minute, time.Hour}} },
		"bad topic target": func(p *sla.Policies) {
			p.Topics["fees"] = map[sla.Priority]sla.Target{sla.Low: {-time.Minute, time.Hour}}
		},
	}
	for name, change := range tests {
		p := sla.DefaultPolicies()
		change(&p)
		if p.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := sla.ParsePriority("URGENT"); err == nil {
		t.Error("ParsePriority accepted another case")
	}
}

func TestDue(t *testing.T) {
	cal := lunchCalendar(t)
	p := sla.DefaultPolicies()
	tests := []struct {
		name, topic   string
		pr            sla.Priority
		opened        string
		first, solved string
	}{
		{"Friday evening, normal", "fees", sla.Normal, "2026-12-04 19:00", "2026-12-07 09:00", "2026-12-09 17:00"},
		{"before lunch, urgent", "refund", sla.Urgent, "2026-12-07 11:50", "2026-12-07 13:05", "2026-12-07 16:50"},
		{"inside lunch, high", "refund", sla.High, "2026-12-07 12:15", "2026-12-07 13:30", "2026-12-08 12:00"},
		{"before Christmas, low", "other", sla.Low, "2026-12-24 16:00", "2026-12-28 11:00", "2027-01-07 16:00"},
		{"account security on a Sunday", "account_security", sla.Normal, "2026-12-06 22:00", "2026-12-07 08:15", "2026-12-07 12:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, solved := sla.Due(p.For(tt.topic, tt.pr), cal, at(t, tt.opened))
			if !first.Equal(at(t, tt.first)) || !solved.Equal(at(t, tt.solved)) {
				t.Fatalf("Due = %s, %s; want %s, %s", first, solved, tt.first, tt.solved)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	cal := lunchCalendar(t)
	// Normal first response opened Monday 11:30: warns at 80 % (48 min: 11:30-12:00, 13:00-13:18), due 13:30.
	c := sla.FirstResponse(sla.DefaultPolicies().For("fees", sla.Normal), cal, at(t, "2026-12-07 11:30"), nil)
	d := c.Deadline()
	if !d.WarnAt.Equal(at(t, "2026-12-07 13:18")) || !d.Due.Equal(at(t, "2026-12-07 13:30")) {
		t.Fatalf("Deadline = %+v", d)
	}
	tests := []struct {
		now, done string
		want      sla.State
	}{
		{"2026-12-07 11:40", "", sla.OK},
		{"2026-12-07 12:30", "", sla.OK}, // lunch consumes nothing
		{"2026-12-07 13:17", "", sla.OK},
		{"2026-12-07 13:18", "", sla.Warning},
		{"2026-12-07 13:29", "", sla.Warning},
		{"2026-12-07 13:30", "", sla.Breached},
		{"2026-12-08 09:00", "", sla.Breached},
		{"2026-12-08 09:00", "2026-12-07 13:20", sla.OK}, // met in time, even while warned
		{"2026-12-08 09:00", "2026-12-07 13:30", sla.OK}, // met at the due time
		{"2026-12-08 09:00", "2026-12-07 13:31", sla.Breached},
	}
	for _, tt := range tests {
		var done time.Time
		if tt.done != "" {
			done = at(t, tt.done)
		}
		if got := d.Status(at(t, tt.now), done); got != tt.want {
			t.Errorf("Status(%s, done %q) = %s, want %s", tt.now, tt.done, got, tt.want)
		}
	}
	want := []sla.Alarm{{sla.Warning, d.WarnAt, d.Due}, {sla.Breached, d.Due, d.Due}}
	if got := d.Alarms(); !slices.Equal(got, want) {
		t.Fatalf("Alarms = %+v, want %+v", got, want)
	}
}

func TestPauses(t *testing.T) {
	cal := lunchCalendar(t)
	p := sla.DefaultPolicies().For("fees", sla.Normal) // 1 h / 24 h
	opened := at(t, "2026-12-07 08:00")
	pending := []sla.Pause{{From: at(t, "2026-12-07 09:00"), To: at(t, "2026-12-08 09:00")}} // 8 business hours
	tests := []struct {
		name     string
		pauses   []sla.Pause
		now      string
		consumed time.Duration
		due      string
	}{
		{"no pause", nil, "2026-12-08 10:00", 10 * time.Hour, "2026-12-09 17:00"},
		{"pending a day", pending, "2026-12-08 10:00", 2 * time.Hour, "2026-12-10 17:00"},
		{"the same pause twice counts once", append(slices.Clone(pending), pending...), "2026-12-08 10:00", 2 * time.Hour, "2026-12-10 17:00"},
		{"overlapping pauses", append(slices.Clone(pending), sla.Pause{From: at(t, "2026-12-07 16:00"), To: at(t, "2026-12-08 10:00")}),
			"2026-12-08 11:00", 2 * time.Hour, "2026-12-11 09:00"},
		{"a pause before opening is cut", []sla.Pause{{From: at(t, "2026-12-04 09:00"), To: at(t, "2026-12-07 09:00")}},
			"2026-12-07 10:00", time.Hour, "2026-12-10 09:00"},
		{"a pause inside closed hours changes nothing", []sla.Pause{{From: at(t, "2026-12-07 12:00"), To: at(t, "2026-12-07 13:00")}},
			"2026-12-08 10:00", 10 * time.Hour, "2026-12-09 17:00"},
		{"an empty pause changes nothing", []sla.Pause{{From: at(t, "2026-12-07 10:00"), To: at(t, "2026-12-07 10:00")}},
			"2026-12-08 10:00", 10 * time.Hour, "2026-12-09 17:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sla.Resolution(p, cal, opened, tt.pauses)
			if got := c.Consumed(at(t, tt.now)); got != tt.consumed {
				t.Errorf("Consumed(%s) = %s, want %s", tt.now, got, tt.consumed)
			}
			if got := c.Deadline().Due; !got.Equal(at(t, tt.due)) {
				t.Errorf("Due = %s, want %s", got, tt.due)
			}
			if got := c.Consumed(c.Deadline().Due); got != p.Resolution {
				t.Errorf("Consumed(Due) = %s, want the target %s", got, p.Resolution)
			}
		})
	}
}

func TestPausedNow(t *testing.T) {
	cal := lunchCalendar(t)
	p := sla.DefaultPolicies().For("fees", sla.Normal)
	opened := at(t, "2026-12-07 08:00")
	// Pending since Monday 10:00 with no end: the clock stands at 2 h, and never falls due.
	c := sla.Resolution(p, cal, opened, []sla.Pause{{From: at(t, "2026-12-07 10:00")}})
	if got := c.Consumed(at(t, "2026-12-31 10:00")); got != 2*time.Hour {
		t.Fatalf("Consumed while paused = %s, want 2h", got)
	}
	d := c.Deadline()
	if !d.Due.Equal(hours.Never()) || !d.WarnAt.Equal(hours.Never()) || len(d.Alarms()) != 0 {
		t.Fatalf("paused Deadline = %+v, alarms %v", d, d.Alarms())
	}
	if s := d.Status(at(t, "2027-06-01 10:00"), time.Time{}); s != sla.OK {
		t.Fatalf("a paused clock is %s", s)
	}
	// Resumed on Wednesday 08:00: 22 h left (Wednesday 8, Thursday 8, Friday 6), due Friday 15:00.
	c.Pauses = []sla.Pause{{From: at(t, "2026-12-07 10:00"), To: at(t, "2026-12-09 08:00")}}
	if got := c.Deadline().Due; !got.Equal(at(t, "2026-12-11 15:00")) {
		t.Fatalf("Due after resuming = %s", got)
	}
	// Paused after the warning: the warning stays in the past, the due time is gone.
	first := sla.FirstResponse(p, cal, opened, []sla.Pause{{From: at(t, "2026-12-07 08:50")}})
	if d := first.Deadline(); !d.WarnAt.Equal(at(t, "2026-12-07 08:48")) || !d.Due.Equal(hours.Never()) {
		t.Fatalf("Deadline paused after the warning = %+v", d)
	}
}

func TestNeverOpenCalendar(t *testing.T) {
	cal, err := hours.New(jkt, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, solved := sla.Due(sla.DefaultPolicies().For("fees", sla.Normal), cal, at(t, "2026-12-07 08:00"))
	if !first.Equal(hours.Never()) || !solved.Equal(hours.Never()) {
		t.Fatalf("Due on a closed calendar = %s, %s", first, solved)
	}
}

// TestClockProperties: with random pauses, the clock reaches its target exactly at the due
// time, the warning at its share, and Status says breached exactly from the due time on.
func TestClockProperties(t *testing.T) {
	cal := lunchCalendar(t)
	base := at(t, "2026-11-02 00:00")
	rapid.Check(t, func(t *rapid.T) {
		minutes := func(label string, max int) time.Duration {
			return time.Duration(rapid.IntRange(0, max).Draw(t, label)) * time.Minute
		}
		start := base.Add(minutes("start", 60*24*30))
		var pauses []sla.Pause
		for range rapid.IntRange(0, 4).Draw(t, "pauses") {
			from := start.Add(minutes("pause from", 60*24*10) - 60*time.Minute)
			pauses = append(pauses, sla.Pause{From: from, To: from.Add(minutes("pause length", 60*24*3))})
		}
		c := sla.Clock{Calendar: cal, Start: start, Target: minutes("target", 60*80) + time.Minute,
			WarnPercent: rapid.IntRange(1, 99).Draw(t, "warn"), Pauses: pauses}
		d := c.Deadline()
		if got := c.Consumed(d.Due); got != c.Target {
			t.Fatalf("Consumed(Due) = %s, want %s", got, c.Target)
		}
		if got, want := c.Consumed(d.WarnAt), c.Target*time.Duration(c.WarnPercent)/100; got != want {
			t.Fatalf("Consumed(WarnAt) = %s, want %s", got, want)
		}
		if d.WarnAt.After(d.Due) {
			t.Fatalf("warning %s after due %s", d.WarnAt, d.Due)
		}
		now := start.Add(minutes("now", 60*24*20))
		if breached := d.Status(now, time.Time{}) == sla.Breached; breached != (c.Consumed(now) >= c.Target) {
			t.Fatalf("Status at %s breached=%v but consumed %s of %s", now, breached, c.Consumed(now), c.Target)
		}
	})
}
