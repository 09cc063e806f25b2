package hours_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/hours"
	"github.com/dompet/dompet/internal/staff"
)

// week builds periods "mon 08:00-12:00" for each day in days.
func week(days string, spans ...string) []hours.Period {
	var out []hours.Period
	for d := range strings.SplitSeq(days, ",") {
		for _, s := range spans {
			start, end, _ := strings.Cut(s, "-")
			out = append(out, hours.Period{Day: d, Start: start, End: end})
		}
	}
	return out
}

func mustNew(t *testing.T, tz string, weekly []hours.Period, holidays ...string) *hours.Calendar {
	t.Helper()
	c, err := hours.New(tz, weekly, holidays)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// at parses "2026-12-04 19:00" in zone tz.
func at(t *testing.T, tz, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const (
	jkt = "Asia/Jakarta"
	ny  = "America/New_York"
)

// Calendars of the tables. 2026-11-30 is a Monday; 2026-12-25 a Friday.
func calendars(t *testing.T) map[string]*hours.Calendar {
	d := staff.DefaultBusinessHours()
	return map[string]*hours.Calendar{
		// Weekdays with a lunch break, Christmas off.
		"lunch": mustNew(t, jkt, week("mon,tue,wed,thu,fri", "08:00-12:00", "13:00-17:00"), "2026-12-25"),
		// The seeded teams' hours (converted from staff.BusinessHours).
		"default": mustNew(t, d.TimeZone, convert(d.Weekly), d.Holidays...),
		// New York weekdays; DST starts 2026-03-08 and ends 2026-11-01 (Sundays).
		"ny": mustNew(t, ny, week("mon,tue,wed,thu,fri", "09:00-17:00")),
		// New York weekend nights that contain the DST changes.
		"nynight": mustNew(t, ny, week("sun", "01:00-04:00")),
		// A night shift across midnight, written as two touching periods.
		"night": mustNew(t, jkt, append(week("fri", "22:00-24:00"), week("sat", "00:00-02:00")...)),
	}
}

// convert is what the desk writes to turn a team's hours into a calendar.
func convert(ps []staff.Period) []hours.Period {
	out := make([]hours.Period, len(ps))
	for i, p := range ps {
		out[i] = hours.Period(p)
	}
	return out
}

func TestAddDueTimes(t *testing.T) {
	cals := calendars(t)
	tests := []struct {
		name, cal, tz, from string
		d                   time.Duration
		want                string
	}{
		{"inside a period", "lunch", jkt, "2026-11-30 10:00", time.Hour, "2026-11-30 11:00"},
		{"across the lunch break", "lunch", jkt, "2026-11-30 11:30", time.Hour, "2026-11-30 13:30"},
		{"opened inside the lunch break", "lunch", jkt, "2026-11-30 12:20", time.Hour, "2026-11-30 14:00"},
		{"opened at closing time", "lunch", jkt, "2026-11-30 12:00", 15 * time.Minute, "2026-11-30 13:15"},
		{"opened at opening time", "lunch", jkt, "2026-11-30 13:00", 15 * time.Minute, "2026-11-30 13:15"},
		{"due exactly at closing time", "lunch", jkt, "2026-11-30 16:00", time.Hour, "2026-11-30 17:00"},
		{"one minute more goes to next morning", "lunch", jkt, "2026-11-30 16:00", time.Hour + time.Minute, "2026-12-01 08:01"},
		{"Friday evening is due Monday morning", "lunch", jkt, "2026-12-04 19:00", time.Hour, "2026-12-07 09:00"},
		{"Friday afternoon spills into Monday", "lunch", jkt, "2026-12-04 16:30", time.Hour, "2026-12-07 08:30"},
		{"the weekend counts nothing", "lunch", jkt, "2026-12-05 11:00", 15 * time.Minute, "2026-12-07 08:15"},
		{"holiday skipped", "lunch", jkt, "2026-12-24 16:30", time.Hour, "2026-12-28 08:30"},
		{"opened on the holiday", "lunch", jkt, "2026-12-25 10:00", 4 * time.Hour, "2026-12-28 12:00"},
		{"24 business hours are three days", "lunch", jkt, "2026-12-07 08:00", 24 * time.Hour, "2026-12-09 17:00"},
		{"72 business hours are nine days", "lunch", jkt, "2026-12-07 08:00", 72 * time.Hour, "2026-12-17 17:00"},
		{"zero is now, even when closed", "lunch", jkt, "2026-12-05 11:00", 0, "2026-12-05 11:00"},
		{"default: Friday evening to Saturday", "default", jkt, "2026-12-04 19:30", time.Hour, "2026-12-05 09:30"},
		{"default: Saturday afternoon to Monday", "default", jkt, "2026-12-05 16:30", time.Hour, "2026-12-07 08:30"},
		{"default: Sunday to Monday", "default", jkt, "2026-12-06 03:00", 15 * time.Minute, "2026-12-07 08:15"},
		{"DST starts over the weekend", "ny", ny, "2026-03-06 16:00", 2 * time.Hour, "2026-03-09 10:00"},
		{"DST ends over the weekend", "ny", ny, "2026-10-30 16:00", 2 * time.Hour, "2026-11-02 10:00"},
		{"spring forward: 01:00-04:00 is 2 h", "nynight", ny, "2026-03-08 01:00", 2 * time.Hour, "2026-03-08 04:00"},
		{"spring forward: the third hour is next week", "nynight", ny, "2026-03-08 01:00", 3 * time.Hour, "2026-03-15 02:00"},
		{"fall back: 01:00-04:00 is 4 h", "nynight", ny, "2026-11-01 01:00", 4 * time.Hour, "2026-11-01 04:00"},
		{"night shift crosses midnight", "night", jkt, "2026-12-04 23:30", time.Hour, "2026-12-05 00:30"},
		{"night shift: after it, next week", "night", jkt, "2026-12-05 01:30", time.Hour, "2026-12-11 22:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cals[tt.cal]
			from, want := at(t, tt.tz, tt.from), at(t, tt.tz, tt.want)
			got := c.Add(from, tt.d)
			if !got.Equal(want) {
				t.Fatalf("Add(%s, %s) = %s, want %s", from, tt.d, got, want)
			}
			if e := c.Elapsed(from, got); e != tt.d {
				t.Fatalf("Elapsed(%s, %s) = %s, want %s", from, got, e, tt.d)
			}
		})
	}
}

func TestOpenNextOpenUntil(t *testing.T) {
	cals := calendars(t)
	tests := []struct {
		name, cal, tz, at string
		open              bool
		next, close       string
	}{
		{"morning", "lunch", jkt, "2026-11-30 09:00", true, "2026-11-30 09:00", "2026-11-30 12:00"},
		{"opening instant is open", "lunch", jkt, "2026-11-30 08:00", true, "2026-11-30 08:00", "2026-11-30 12:00"},
		{"closing instant is closed", "lunch", jkt, "2026-11-30 12:00", false, "2026-11-30 13:00", "2026-11-30 17:00"},
		{"lunch", "lunch", jkt, "2026-11-30 12:30", false, "2026-11-30 13:00", "2026-11-30 17:00"},
		{"Friday evening", "lunch", jkt, "2026-12-04 19:00", false, "2026-12-07 08:00", "2026-12-07 12:00"},
		{"holiday", "lunch", jkt, "2026-12-25 10:00", false, "2026-12-28 08:00", "2026-12-28 12:00"},
		{"night shift at midnight", "night", jkt, "2026-12-05 00:00", true, "2026-12-05 00:00", "2026-12-05 02:00"},
		{"night shift: one stretch", "night", jkt, "2026-12-04 23:00", true, "2026-12-04 23:00", "2026-12-05 02:00"},
		{"after fall back", "nynight", ny, "2026-11-01 03:59", true, "2026-11-01 03:59", "2026-11-01 04:00"},
		{"spring forward: wall 01:00 to 04:00", "nynight", ny, "2026-03-08 00:30", false, "2026-03-08 01:00", "2026-03-08 04:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cals[tt.cal]
			now, next, close := at(t, tt.tz, tt.at), at(t, tt.tz, tt.next), at(t, tt.tz, tt.close)
			if got := c.Open(now); got != tt.open {
				t.Errorf("Open = %v, want %v", got, tt.open)
			}
			if got := c.NextOpen(now); !got.Equal(next) {
				t.Errorf("NextOpen = %s, want %s", got, next)
			}
			if got := c.Until(now); got != next.Sub(now) {
				t.Errorf("Until = %s, want %s", got, next.Sub(now))
			}
			if got := c.NextClose(now); !got.Equal(close) {
				t.Errorf("NextClose = %s, want %s", got, close)
			}
		})
	}
}

func TestElapsed(t *testing.T) {
	cals := calendars(t)
	tests := []struct {
		name, cal, tz, a, b string
		want                time.Duration
	}{
		{"a working day", "lunch", jkt, "2026-11-30 00:00", "2026-12-01 00:00", 8 * time.Hour},
		{"a week with a holiday", "lunch", jkt, "2026-12-21 00:00", "2026-12-28 00:00", 4 * 8 * time.Hour},
		{"lunch does not count", "lunch", jkt, "2026-11-30 11:00", "2026-11-30 14:00", 2 * time.Hour},
		{"backwards is zero", "lunch", jkt, "2026-11-30 14:00", "2026-11-30 11:00", 0},
		{"Friday evening to Monday 09:00", "lunch", jkt, "2026-12-04 19:00", "2026-12-07 09:00", time.Hour},
		{"spring-forward Sunday", "nynight", ny, "2026-03-08 00:00", "2026-03-09 00:00", 2 * time.Hour},
		{"fall-back Sunday", "nynight", ny, "2026-11-01 00:00", "2026-11-02 00:00", 4 * time.Hour},
		{"an ordinary Sunday", "nynight", ny, "2026-11-08 00:00", "2026-11-09 00:00", 3 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cals[tt.cal].Elapsed(at(t, tt.tz, tt.a), at(t, tt.tz, tt.b)); got != tt.want {
				t.Fatalf("Elapsed = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPeriodInsideTheDSTGap(t *testing.T) {
	// 02:00-02:30 does not exist on 2026-03-08 in New York: no open time that day.
	c := mustNew(t, ny, week("sun", "02:00-02:30", "03:00-03:30"))
	day := at(t, ny, "2026-03-08 00:00")
	if got := c.Elapsed(day, day.Add(24*time.Hour)); got != 30*time.Minute {
		t.Fatalf("Elapsed on the DST day = %s, want 30m (only 03:00-03:30)", got)
	}
	if got := c.NextOpen(day); !got.Equal(at(t, ny, "2026-03-08 03:00")) {
		t.Fatalf("NextOpen = %s", got)
	}
	// A period running into the gap ends with it: 01:30 EST to 03:00 EDT is 30 minutes.
	c = mustNew(t, ny, week("sun", "01:30-02:30"))
	if got := c.Elapsed(day, day.Add(24*time.Hour)); got != 30*time.Minute {
		t.Fatalf("Elapsed of 01:30-02:30 on the DST day = %s, want 30m", got)
	}
}

func TestNeverOpen(t *testing.T) {
	c := mustNew(t, jkt, nil)
	now := at(t, jkt, "2026-11-30 10:00")
	if c.Open(now) || !c.NextOpen(now).Equal(hours.Never()) || !c.Add(now, time.Minute).Equal(hours.Never()) ||
		c.Elapsed(now, now.Add(1000*time.Hour)) != 0 {
		t.Fatal("a calendar without periods must never open")
	}
	if !hours.Never().After(now.AddDate(7000, 0, 0)) {
		t.Fatal("Never must be after any real deadline")
	}
}

func TestAlways(t *testing.T) {
	c := hours.Always()
	now := at(t, ny, "2026-03-07 22:00")
	if !c.Open(now) || !c.Add(now, 72*time.Hour).Equal(now.Add(72*time.Hour)) || c.Elapsed(now, now.Add(50*time.Hour)) != 50*time.Hour {
		t.Fatal("Always must count plain elapsed time")
	}
}

func TestNewRefuses(t *testing.T) {
	ok := week("mon", "08:00-12:00")
	tests := []struct {
		name     string
		tz       string
		weekly   []hours.Period
		holidays []string
	}{
		{"empty zone", "", ok, nil},
		{"Local", "Local", ok, nil},
		{"unknown zone", "Mars/Olympus", ok, nil},
		{"bad day", jkt, week("monday", "08:00-12:00"), nil},
		{"end before start", jkt, week("mon", "12:00-08:00"), nil},
		{"empty period", jkt, week("mon", "08:00-08:00"), nil},
		{"start at 24:00", jkt, week("mon", "24:00-24:00"), nil},
		{"after 24:00", jkt, week("mon", "08:00-24:01"), nil},
		{"bad minutes", jkt, week("mon", "08:60-09:00"), nil},
		{"one digit hour", jkt, week("mon", "8:00-09:00"), nil},
		{"overlap", jkt, week("mon", "08:00-12:00", "11:00-13:00"), nil},
		{"bad holiday", jkt, ok, []string{"2026-02-30"}},
		{"holiday format", jkt, ok, []string{"2026-2-3"}},
		{"too many periods", jkt, week("mon,tue,wed,thu,fri,sat,sun", "00:00-01:00", "01:00-02:00", "02:00-03:00", "03:00-04:00",
			"04:00-05:00", "05:00-06:00", "06:00-07:00", "07:00-08:00", "08:00-09:00"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := hours.New(tt.tz, tt.weekly, tt.holidays); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	// Touching periods are fine, and so is a period up to 24:00.
	mustNew(t, jkt, week("mon", "08:00-12:00", "12:00-24:00"))
}

func TestSeededTeamsConvert(t *testing.T) {
	d := staff.DefaultBusinessHours()
	c := mustNew(t, d.TimeZone, convert(d.Weekly), d.Holidays...)
	monday := at(t, jkt, "2026-11-30 00:00")
	if got := c.Elapsed(monday, monday.AddDate(0, 0, 7)); got != 5*12*time.Hour+8*time.Hour {
		t.Fatalf("a week of the default hours = %s, want 68h", got)
	}
}

func TestNextCloseOfAlwaysOpen(t *testing.T) {
	now := at(t, jkt, "2026-11-30 10:00")
	if got := hours.Always().NextClose(now); !got.Equal(hours.Never()) {
		t.Fatalf("NextClose of a calendar always open = %s, want Never", got)
	}
	c := mustNew(t, jkt, week("mon,tue,wed,thu,fri,sat,sun", "00:00-24:00"), "2026-12-25")
	if got := c.NextClose(now); !got.Equal(at(t, jkt, "2026-12-25 00:00")) {
		t.Fatalf("NextClose of a calendar open but on Christmas = %s", got)
	}
}
