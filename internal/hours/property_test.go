package hours_test

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dompet/dompet/internal/hours"
)

var zones = []string{"Asia/Jakarta", "America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC"}

// genCalendar draws a calendar: for each day, up to three periods on 15-minute boundaries,
// sometimes touching each other or midnight, in a zone with or without DST (Lord Howe
// moves by 30 minutes), with a few holidays in the test years.
func genCalendar(t *rapid.T) *hours.Calendar {
	tz := rapid.SampledFrom(zones).Draw(t, "zone")
	var weekly []hours.Period
	for _, day := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		n := rapid.IntRange(0, 3).Draw(t, day+" periods")
		m := 0
		for range n {
			start := m + 15*rapid.IntRange(0, 24).Draw(t, "gap")
			end := start + 15*rapid.IntRange(1, 40).Draw(t, "length")
			if end > 1440 {
				break
			}
			weekly = append(weekly, hours.Period{Day: day, Start: hhmm(start), End: hhmm(end)})
			m = end
		}
	}
	var holidays []string
	for range rapid.IntRange(0, 4).Draw(t, "holidays") {
		holidays = append(holidays, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).
			AddDate(0, 0, rapid.IntRange(0, 730).Draw(t, "holiday")).Format(time.DateOnly))
	}
	c, err := hours.New(tz, weekly, holidays)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// genInstant draws an instant in 2026-2027 (DST changes included), to the second or to the
// quarter hour (so that boundaries are hit).
func genInstant(t *rapid.T, label string) time.Time {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if rapid.Bool().Draw(t, label+" on a boundary") {
		return base.Add(15 * time.Minute * time.Duration(rapid.IntRange(0, 2*365*96).Draw(t, label)))
	}
	return base.Add(time.Second * time.Duration(rapid.Int64Range(0, 2*365*86400).Draw(t, label)))
}

func genDuration(t *rapid.T, label string) time.Duration {
	return time.Second * time.Duration(rapid.Int64Range(0, 200*3600).Draw(t, label))
}

func TestAddProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genCalendar(t)
		from := genInstant(t, "from")
		d := genDuration(t, "d")
		due := c.Add(from, d)
		if due.Equal(hours.Never()) {
			if !c.NextOpen(from).Equal(hours.Never()) {
				t.Fatalf("Add gave Never but the calendar opens at %s", c.NextOpen(from))
			}
			return
		}
		if got := c.Elapsed(from, due); got != d {
			t.Fatalf("Elapsed(t, Add(t, %s)) = %s", d, got)
		}
		if d > 0 && !c.Open(due) && !c.Open(due.Add(-time.Nanosecond)) {
			t.Fatalf("Add(%s, %s) = %s: neither open nor a closing boundary", from, d, due)
		}
		if due.Before(from) {
			t.Fatalf("Add went back in time: %s < %s", due, from)
		}
		// Monotonic in d and in t.
		d2 := d + genDuration(t, "more")
		if due2 := c.Add(from, d2); due2.Before(due) {
			t.Fatalf("Add(t, %s) = %s before Add(t, %s) = %s", d2, due2, d, due)
		}
		later := from.Add(genDuration(t, "later"))
		if due3 := c.Add(later, d); due3.Before(due) {
			t.Fatalf("Add(%s, d) = %s before Add(%s, d) = %s", later, due3, from, due)
		}
	})
}

func TestElapsedProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genCalendar(t)
		a := genInstant(t, "a")
		b := a.Add(genDuration(t, "ab"))
		e := b.Add(genDuration(t, "bc"))
		ab, bc, ac := c.Elapsed(a, b), c.Elapsed(b, e), c.Elapsed(a, e)
		if ab+bc != ac {
			t.Fatalf("Elapsed not additive: %s + %s != %s", ab, bc, ac)
		}
		if ab > b.Sub(a) || ab < 0 {
			t.Fatalf("Elapsed(a, b) = %s outside [0, %s]", ab, b.Sub(a))
		}
		if c.Open(a) != c.NextOpen(a).Equal(a) {
			t.Fatal("Open and NextOpen disagree")
		}
		if next := c.NextOpen(a); !next.Equal(hours.Never()) {
			if c.Elapsed(a, next) != 0 || !c.Open(next) {
				t.Fatalf("NextOpen(%s) = %s is not the next opening", a, next)
			}
			if cl := c.NextClose(a); !cl.After(next) || c.Open(cl) || c.Elapsed(next, cl) != cl.Sub(next) {
				t.Fatalf("NextClose(%s) = %s does not close the stretch opening at %s", a, cl, next)
			}
		}
	})
}

// TestOpenMatchesWallClock checks Open against an independent reading of the wall clock, away
// from DST changes (where wall times repeat or are missing).
func TestOpenMatchesWallClock(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tz := rapid.SampledFrom(zones).Draw(t, "zone")
		loc, _ := time.LoadLocation(tz)
		day := rapid.SampledFrom([]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}).Draw(t, "day")
		start := 15 * rapid.IntRange(0, 95).Draw(t, "start")
		end := start + 15*rapid.IntRange(1, 96-start/15).Draw(t, "length")
		holiday := genInstant(t, "holiday").In(loc).Format(time.DateOnly)
		c, err := hours.New(tz, []hours.Period{{Day: day, Start: hhmm(start), End: hhmm(end)}}, []string{holiday})
		if err != nil {
			t.Fatal(err)
		}
		now := genInstant(t, "now")
		if s, e := now.In(loc).ZoneBounds(); now.Sub(s) < 26*time.Hour || (!e.IsZero() && e.Sub(now) < 26*time.Hour) {
			t.Skip("near a zone change")
		}
		w := now.In(loc)
		m := w.Hour()*60 + w.Minute()
		want := w.Format("Mon")[:3] == titleDay(day) && w.Format(time.DateOnly) != holiday &&
			m >= start && m < end
		if got := c.Open(now); got != want {
			t.Fatalf("Open(%s) = %v, wall clock says %v", w, got, want)
		}
	})
}

func titleDay(d string) string { return string(d[0]-'a'+'A') + d[1:] }
