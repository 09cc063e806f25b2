package hours_test

import (
	"testing"
	"time"

	"github.com/dompet/dompet/internal/hours"
	"github.com/dompet/dompet/internal/hours/hourstest"
)

// Fuzz targets of the calendars (docs/design.md, "Fuzz targets"): `go test` runs their seeds;
// `go test -run '^$' -fuzz FuzzX -fuzztime 60s ./internal/hours/` explores. The rapid
// properties (property_test.go) draw from a 15-minute grid and five zones; these take any
// minute, more zones (45-minute offsets, southern DST) and any instant of 2025-2028.

var fuzzDays = hourstest.Days

// fuzzBase is the earliest instant a fuzz input names; they span four years from it.
var fuzzBase = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

const fuzzSpan = 4 * 365 * 24 * time.Hour

// fuzzCalendar reads a calendar from fuzz bytes (hourstest.Calendar; hourstest.Encode writes
// the seeds).
func fuzzCalendar(t *testing.T, zone uint8, periods, holidays []byte) *hours.Calendar {
	c, err := hourstest.Calendar(zone, periods, holidays)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fuzzInstant is fuzzBase plus s seconds, within fuzzSpan.
func fuzzInstant(s int64) time.Time {
	return fuzzBase.Add(time.Duration(uint64(s)%uint64(fuzzSpan/time.Second)) * time.Second)
}

// fuzzDuration is s seconds, up to 400 hours.
func fuzzDuration(s int64) time.Duration {
	return time.Duration(uint64(s)%(400*3600)) * time.Second
}

// fuzzSeeds are real calendars at real instants: Dompet's default hours, a lunch break, a
// night shift across midnight, and instants at DST changes, openings and closings.
func fuzzSeeds(f *testing.F, add func(zone uint8, periods, holidays []byte, from, d, more int64)) {
	var def []hours.Period
	for _, d := range fuzzDays[:5] {
		def = append(def, hours.Period{Day: d, Start: "08:00", End: "20:00"})
	}
	def = append(def, hours.Period{Day: "sat", Start: "09:00", End: "17:00"})
	var lunch []hours.Period
	for _, d := range fuzzDays[:5] {
		lunch = append(lunch, hours.Period{Day: d, Start: "08:00", End: "12:00"}, hours.Period{Day: d, Start: "13:00", End: "17:00"})
	}
	night := []hours.Period{{Day: "fri", Start: "22:00", End: "24:00"}, {Day: "sat", Start: "00:00", End: "02:00"},
		{Day: "sun", Start: "01:30", End: "03:15"}, {Day: "sun", Start: "03:15", End: "03:16"}}
	at := func(s string) int64 {
		t, _ := time.Parse(time.RFC3339, s)
		return int64(t.Sub(fuzzBase) / time.Second)
	}
	p, h := hourstest.Encode(def, "2026-12-25", "2027-01-01")
	add(0, p, h, at("2026-12-24T12:59:59Z"), 3600*30, 1)
	add(2, p, h, at("2026-03-29T00:59:00Z"), 3600*12, 3600)
	add(1, p, h, at("2026-03-08T06:30:00Z"), 60, 59)
	p, h = hourstest.Encode(lunch, "2026-12-25")
	add(0, p, h, at("2026-12-07T04:59:30Z"), 60, 3600*4)
	add(3, p, h, at("2026-10-03T15:30:00Z"), 3600*8, 1)
	p, h = hourstest.Encode(night)
	add(3, p, h, at("2026-04-04T14:00:00Z"), 3600*3, 3600)
	add(5, p, h, at("2026-09-26T13:45:00Z"), 7200, 1)
	add(6, p, h, at("2026-11-01T03:30:00Z"), 3600*400, 1)
	add(4, nil, nil, 0, 3600, 1)
}

// FuzzAdd: on any calendar, from any instant, Add(t, d) is never before t, grows with d and
// with t, and the business time Elapsed between t and it is d exactly; for d > 0 it lies in an
// open period or at the end of one; Never() only when the calendar never opens again.
func FuzzAdd(f *testing.F) {
	fuzzSeeds(f, func(zone uint8, periods, holidays []byte, from, d, more int64) {
		f.Add(zone, periods, holidays, from, d, more)
	})
	f.Fuzz(func(t *testing.T, zone uint8, periods, holidays []byte, fromS, dS, moreS int64) {
		c := fuzzCalendar(t, zone, periods, holidays)
		from, d := fuzzInstant(fromS), fuzzDuration(dS)
		due := c.Add(from, d)
		if due.Before(from) {
			t.Fatalf("Add(%s, %s) = %s, before the start", from, d, due)
		}
		if due.Equal(hours.Never()) {
			if next := c.NextOpen(from); !next.Equal(hours.Never()) {
				t.Fatalf("Add(%s, %s) is Never, yet the calendar opens at %s", from, d, next)
			}
			return
		}
		if got := c.Elapsed(from, due); got != d {
			t.Fatalf("Elapsed(%s, Add(%s, %s) = %s) = %s", from, from, d, due, got)
		}
		if d > 0 && !c.Open(due) && !c.Open(due.Add(-time.Nanosecond)) {
			t.Fatalf("Add(%s, %s) = %s: neither open nor a closing time", from, d, due)
		}
		if d > 0 && c.Elapsed(from, due.Add(-time.Nanosecond)) >= d {
			t.Fatalf("Add(%s, %s) = %s is not the first instant d has elapsed", from, d, due)
		}
		more := fuzzDuration(moreS)
		if due2 := c.Add(from, d+more); due2.Before(due) {
			t.Fatalf("Add(%s, %s) = %s, before Add(%s, %s) = %s", from, d+more, due2, from, d, due)
		}
		if due3 := c.Add(from.Add(more), d); due3.Before(due) {
			t.Fatalf("Add(%s, %s) = %s, before Add(%s, %s) = %s", from.Add(more), d, due3, from, d, due)
		}
	})
}

// FuzzElapsed: Elapsed is additive, between 0 and the real time, and agrees with Open,
// NextOpen and NextClose.
func FuzzElapsed(f *testing.F) {
	fuzzSeeds(f, func(zone uint8, periods, holidays []byte, from, d, more int64) {
		f.Add(zone, periods, holidays, from, d, more)
	})
	f.Fuzz(func(t *testing.T, zone uint8, periods, holidays []byte, aS, abS, bcS int64) {
		c := fuzzCalendar(t, zone, periods, holidays)
		a := fuzzInstant(aS)
		b := a.Add(fuzzDuration(abS))
		e := b.Add(fuzzDuration(bcS))
		ab, bc, ac := c.Elapsed(a, b), c.Elapsed(b, e), c.Elapsed(a, e)
		if ab+bc != ac || ab < 0 || ab > b.Sub(a) {
			t.Fatalf("Elapsed: [%s,%s) %s + [%s,%s) %s != %s", a, b, ab, b, e, bc, ac)
		}
		if c.Elapsed(b, a) != 0 {
			t.Fatalf("Elapsed backwards is %s", c.Elapsed(b, a))
		}
		next := c.NextOpen(a)
		if c.Open(a) != next.Equal(a) {
			t.Fatalf("Open(%s) = %v, NextOpen = %s", a, c.Open(a), next)
		}
		if next.Equal(hours.Never()) {
			return
		}
		if c.Elapsed(a, next) != 0 || !c.Open(next) {
			t.Fatalf("NextOpen(%s) = %s is not the next opening", a, next)
		}
		if cl := c.NextClose(a); !cl.Equal(hours.Never()) && (!cl.After(next) || c.Open(cl) || c.Elapsed(next, cl) != cl.Sub(next)) {
			t.Fatalf("NextClose(%s) = %s does not close the stretch opening at %s", a, cl, next)
		}
	})
}
