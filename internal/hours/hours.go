// Package hours answers questions about business-hours calendars: is it open at an instant,
// when does it next open, when has a given amount of open time elapsed, how much open time
// lies between two instants. It knows no domain: a calendar is a time zone, weekly open
// periods in local wall-clock time (several a day) and whole-day holidays.
//
// Business time is real elapsed time inside open periods: a period of 08:00 to 20:00 on the
// day clocks go forward is 11 hours long, not 12. Local times that do not exist (inside a
// forward DST gap) are taken as the end of the gap; ambiguous ones (repeated when clocks go
// back) as their first occurrence. A period cannot cross midnight (it ends at 24:00 at the
// latest); write a night shift as two periods, fri 22:00–24:00 and sat 00:00–02:00: touching
// periods are one stretch of open time, so the calendar never sees a gap at midnight.
//
// A Calendar is immutable and safe for concurrent use.
package hours

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"
	_ "time/tzdata" // calendars name IANA zones; the binary must not depend on the host's
)

// Period is one open period of a weekday in the calendar's local time. It has the shape of
// staff.Period, so a team's periods convert with hours.Period(p).
type Period struct {
	Day   string // mon, tue, wed, thu, fri, sat or sun
	Start string // HH:MM, 00:00 to 23:59
	End   string // HH:MM after Start, up to 24:00
}

// Calendar is a weekly schedule of open periods in a time zone, with holidays.
type Calendar struct {
	loc      *time.Location
	week     [7][]span // by time.Weekday, sorted, not overlapping
	holidays map[civil]bool
	empty    bool // no period at all: never open
}

// span is an open period of one day in minutes: 0 <= start < end <= 1440.
type span struct{ start, end int }

// civil is a local calendar date.
type civil struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) civil {
	y, m, d := t.Date()
	return civil{y, m, d}
}

// dayNames maps the API's day names to weekdays.
var dayNames = map[string]time.Weekday{
	"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday,
	"fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday,
}

// Limits on what New accepts, the same as the staff package's.
const (
	maxPeriods  = 7 * 8
	maxHolidays = 400
	lastYear    = 9999
)

// Never is the instant returned when something never happens: the next opening of a
// calendar without periods, or business time that would end after the year 9999. It is
// later than any real deadline, so comparisons with it behave.
func Never() time.Time { return time.Date(lastYear, time.December, 31, 23, 59, 59, 0, time.UTC) }

// ErrInvalid is wrapped by every error of New.
var ErrInvalid = errors.New("invalid business hours")

// New builds a calendar from an IANA time zone ("Asia/Jakarta"; not "" nor "Local"), weekly
// periods and holidays (YYYY-MM-DD, local dates closed all day). Periods of a day must not
// overlap; periods that touch are one stretch of open time. No period at all is a calendar
// that is never open.
func New(timeZone string, weekly []Period, holidays []string) (*Calendar, error) {
	if timeZone == "" || timeZone == "Local" {
		return nil, fmt.Errorf("%w: time zone %q: must be an IANA time zone", ErrInvalid, timeZone)
	}
	loc, err := time.LoadLocation(timeZone)
	if err != nil {
		return nil, fmt.Errorf("%w: time zone %q: %v", ErrInvalid, timeZone, err)
	}
	if len(weekly) > maxPeriods {
		return nil, fmt.Errorf("%w: %d periods, at most %d", ErrInvalid, len(weekly), maxPeriods)
	}
	if len(holidays) > maxHolidays {
		return nil, fmt.Errorf("%w: %d holidays, at most %d", ErrInvalid, len(holidays), maxHolidays)
	}
	c := &Calendar{loc: loc, holidays: make(map[civil]bool, len(holidays))}
	for i, p := range weekly {
		wd, ok := dayNames[p.Day]
		if !ok {
			return nil, fmt.Errorf("%w: period %d: day %q", ErrInvalid, i, p.Day)
		}
		start, okS := minuteOf(p.Start)
		end, okE := minuteOf(p.End)
		if !okS || !okE || start >= 24*60 || end <= start {
			return nil, fmt.Errorf("%w: period %d: %q to %q is not HH:MM to a later HH:MM up to 24:00", ErrInvalid, i, p.Start, p.End)
		}
		c.week[wd] = append(c.week[wd], span{start, end})
	}
	c.empty = true
	for wd := range c.week {
		spans := c.week[wd]
		slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
		for i := 1; i < len(spans); i++ {
			if spans[i].start < spans[i-1].end {
				return nil, fmt.Errorf("%w: periods of %s overlap", ErrInvalid, time.Weekday(wd))
			}
		}
		if len(spans) > 0 {
			c.empty = false
		}
	}
	for _, h := range holidays {
		t, err := time.Parse(time.DateOnly, h)
		if err != nil || t.Format(time.DateOnly) != h {
			return nil, fmt.Errorf("%w: holiday %q is not a date YYYY-MM-DD", ErrInvalid, h)
		}
		c.holidays[dateOf(t)] = true
	}
	return c, nil
}

// Always is a calendar open at every instant (UTC, every day 00:00 to 24:00, no holidays):
// business time is then plain elapsed time.
func Always() *Calendar {
	c := &Calendar{loc: time.UTC, holidays: map[civil]bool{}}
	for wd := range c.week {
		c.week[wd] = []span{{0, 24 * 60}}
	}
	return c
}

// minuteOf parses "HH:MM" (00:00 to 24:00) into minutes of the day.
func minuteOf(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for i, c := range []byte(s) {
		if i != 2 && (c < '0' || c > '9') {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Open reports whether t lies in an open period (a period's start is open, its end is not).
func (c *Calendar) Open(t time.Time) bool {
	for s := range c.intervals(t) {
		return s.Equal(t)
	}
	return false
}

// NextOpen is t when the calendar is open at t, else the next instant it opens; Never() if
// it never opens again.
func (c *Calendar) NextOpen(t time.Time) time.Time {
	for s := range c.intervals(t) {
		return s
	}
	return Never()
}

// NextClose is the end of the stretch of open time that t is in or that comes next (touching
// periods, across midnight too, are one stretch); Never() if the calendar never opens again
// or stays open for more than a year from t.
func (c *Calendar) NextClose(t time.Time) time.Time {
	var end time.Time
	limit := t.AddDate(1, 0, 0)
	for s, e := range c.intervals(t) {
		if !end.IsZero() && s.After(end) {
			return end
		}
		if end = e; end.After(limit) {
			break
		}
	}
	return Never()
}

// Until is the real time from t to the next opening: 0 when open at t. It is the wait to
// promise a customer who writes while the team is closed.
func (c *Calendar) Until(t time.Time) time.Duration {
	return c.NextOpen(t).Sub(t)
}

// Add returns the instant when d of business time has elapsed after t. For d > 0 the result
// is inside an open period or at the end of one (never at the start of a closed stretch: a
// deadline falls at closing time, not at the next opening). d <= 0 gives t. Never() when the
// calendar runs out of open time first.
func (c *Calendar) Add(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	for s, e := range c.intervals(t) {
		if n := e.Sub(s); d <= n {
			return s.Add(d)
		} else {
			d -= n
		}
	}
	return Never()
}

// Elapsed is the business time between a and b: the open time in [a, b). It is 0 when b is
// not after a.
func (c *Calendar) Elapsed(a, b time.Time) time.Duration {
	var sum time.Duration
	if !b.After(a) {
		return 0
	}
	for s, e := range c.intervals(a) {
		if !s.Before(b) {
			break
		}
		if e.After(b) {
			e = b
		}
		sum += e.Sub(s)
	}
	return sum
}

// intervals yields the open periods [s, e) that end after from, in order, the first one cut
// to start at from at the earliest. Periods may touch (at midnight, or when the calendar says
// so). The sequence is infinite unless the calendar has no period (then empty) or it reaches
// the year 9999.
func (c *Calendar) intervals(from time.Time) iter.Seq2[time.Time, time.Time] {
	return func(yield func(time.Time, time.Time) bool) {
		if c.empty {
			return
		}
		// Start a day early: the previous local day's last period may still be open.
		y, m, d := from.In(c.loc).Date()
		day := time.Date(y, m, d-1, 0, 0, 0, 0, time.UTC)
		var prevEnd time.Time
		for ; day.Year() <= lastYear; day = day.AddDate(0, 0, 1) {
			if c.holidays[dateOf(day)] {
				continue
			}
			for _, sp := range c.week[day.Weekday()] {
				s, e := c.local(day, sp.start), c.local(day, sp.end)
				if s.Before(prevEnd) { // only around DST changes
					s = prevEnd
				}
				if !e.After(s) {
					continue
				}
				prevEnd = e
				if !e.After(from) {
					continue
				}
				if s.Before(from) {
					s = from
				}
				if !yield(s, e) {
					return
				}
			}
		}
	}
}

// local is the instant of minute min (0 to 1440) of the civil date day (a UTC midnight) in the
// calendar's zone. A local time that does not exist (a forward DST gap) is the end of the gap.
func (c *Calendar) local(day time.Time, min int) time.Time {
	want := day.Add(time.Duration(min) * time.Minute) // wall clock, as UTC
	t := time.Date(want.Year(), want.Month(), want.Day(), want.Hour(), want.Minute(), 0, 0, c.loc)
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	switch {
	case got.Before(want): // t was read with the offset before the gap
		_, end := t.ZoneBounds()
		return end
	case got.After(want): // with the offset after the gap
		start, _ := t.ZoneBounds()
		return start
	}
	return t
}
