package support

import (
	"slices"
	"time"

	"github.com/dompet/dompet/internal/staff"
)

// OpenAt is the simple reading of business hours the queue's estimate needs: whether h is
// open at t and, when closed, the start of the next open period within two weeks (zero when
// there is none). The full calendar (SLA due times, several periods, holidays) belongs to the
// SLA package, which can replace this through Options.Opening.
func OpenAt(h staff.BusinessHours, t time.Time) (bool, time.Time) {
	loc, err := time.LoadLocation(h.TimeZone)
	if err != nil || h.TimeZone == "" {
		return true, time.Time{} // unreadable hours never hide a queue behind "closed"
	}
	local := t.In(loc)
	var next time.Time
	for d := range 15 {
		day := time.Date(local.Year(), local.Month(), local.Day()+d, 0, 0, 0, 0, loc)
		if slices.Contains(h.Holidays, day.Format(time.DateOnly)) {
			continue
		}
		wd := [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[day.Weekday()]
		for _, p := range h.Weekly {
			if p.Day != wd {
				continue
			}
			start := day.Add(sinceMidnight(p.Start))
			end := day.Add(sinceMidnight(p.End))
			if !local.Before(start) && local.Before(end) {
				return true, time.Time{}
			}
			if start.After(local) && (next.IsZero() || start.Before(next)) {
				next = start
			}
		}
		if !next.IsZero() {
			return false, next.UTC()
		}
	}
	return false, next
}

// sinceMidnight turns "HH:MM" (already validated by package staff) into a duration from midnight.
func sinceMidnight(hhmm string) time.Duration {
	if len(hhmm) != 5 {
		return 0
	}
	h := int(hhmm[0]-'0')*10 + int(hhmm[1]-'0')
	m := int(hhmm[3]-'0')*10 + int(hhmm[4]-'0')
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
}
