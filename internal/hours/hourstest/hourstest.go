// Package hourstest reads business-hours calendars from fuzz input, for the fuzz tests of
// package hours and of the packages that compute due times on calendars (sla), so that both
// explore the same calendars from the same bytes.
package hourstest

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/hours"
)

// Zones are the time zones a fuzz input picks from: 45-minute and half-hour offsets, southern
// and northern DST, and Dompet's own.
var Zones = []string{"Asia/Jakarta", "America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC",
	"Pacific/Chatham", "America/St_Johns", "America/Sao_Paulo", "Asia/Kolkata"}

// Days are the week's days in package hours's names, in the order a fuzz byte picks them.
var Days = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// holidayBase is the day holiday offsets count from.
var holidayBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Calendar reads a calendar from bytes: 5 per period (day; start minute, 2 bytes; length in
// minutes less one, 2 bytes), a period that would overlap the day's previous one skipped; 2
// per holiday (days after 2026-01-01, at most 20). Encode writes seeds in this form.
func Calendar(zone uint8, periods, holidays []byte) (*hours.Calendar, error) {
	var weekly []hours.Period
	var cursor [7]int
	for ; len(periods) >= 5; periods = periods[5:] {
		d := int(periods[0]) % 7
		start := int(binary.BigEndian.Uint16(periods[1:])) % 1440
		end := min(start+1+int(binary.BigEndian.Uint16(periods[3:]))%1440, 1440)
		if start < cursor[d] {
			continue
		}
		cursor[d] = end
		weekly = append(weekly, hours.Period{Day: Days[d], Start: HHMM(start), End: HHMM(end)})
	}
	var hs []string
	for ; len(holidays) >= 2 && len(hs) < 20; holidays = holidays[2:] {
		hs = append(hs, holidayBase.AddDate(0, 0, int(binary.BigEndian.Uint16(holidays))%731).Format(time.DateOnly))
	}
	c, err := hours.New(Zones[int(zone)%len(Zones)], weekly, hs)
	if err != nil {
		return nil, fmt.Errorf("a calendar read from fuzz input is refused: %w", err)
	}
	return c, nil
}

// Encode writes periods and holidays (YYYY-MM-DD) as Calendar reads them.
func Encode(periods []hours.Period, holidays ...string) (p, h []byte) {
	for _, x := range periods {
		var b [5]byte
		for i, d := range Days {
			if d == x.Day {
				b[0] = byte(i)
			}
		}
		s, e := Minutes(x.Start), Minutes(x.End)
		binary.BigEndian.PutUint16(b[1:], uint16(s))
		binary.BigEndian.PutUint16(b[3:], uint16(e-s-1))
		p = append(p, b[:]...)
	}
	for _, d := range holidays {
		t, _ := time.Parse(time.DateOnly, d)
		h = binary.BigEndian.AppendUint16(h, uint16(t.Sub(holidayBase)/(24*time.Hour)))
	}
	return p, h
}

// HHMM writes minutes of the day as package hours reads them ("24:00" for 1440).
func HHMM(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// Minutes reads "HH:MM" (or "24:00") as minutes of the day.
func Minutes(hhmm string) int {
	if hhmm == "24:00" {
		return 1440
	}
	t, _ := time.Parse("15:04", hhmm)
	return t.Hour()*60 + t.Minute()
}
