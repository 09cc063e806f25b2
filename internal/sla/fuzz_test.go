package sla_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/hours"
	"github.com/dompet/dompet/internal/hours/hourstest"
	"github.com/dompet/dompet/internal/sla"
)

// Fuzz target of the deadlines (docs/design.md, "Fuzz targets"): `go test` runs its seeds;
// `go test -run '^$' -fuzz FuzzDeadline -fuzztime 60s ./internal/sla/` explores.

var fuzzBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fuzzCalendar reads a calendar from fuzz bytes as package hours's fuzz tests do
// (hourstest.Calendar).
func fuzzCalendar(t *testing.T, zone uint8, periods, holidays []byte) *hours.Calendar {
	c, err := hourstest.Calendar(zone, periods, holidays)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fuzzPauses reads pauses from bytes, 4 each: the start in minutes from the clock's start
// less 10 hours (some begin before it), and the length in minutes (0xFFFF: still running;
// 0: empty; over 0xF000: backwards).
func fuzzPauses(start time.Time, b []byte) []sla.Pause {
	var out []sla.Pause
	for ; len(b) >= 4 && len(out) < 16; b = b[4:] {
		from := start.Add(time.Duration(int(binary.BigEndian.Uint16(b))-600) * time.Minute)
		p := sla.Pause{From: from}
		switch n := binary.BigEndian.Uint16(b[2:]); {
		case n == 0xFFFF:
		case n > 0xF000:
			p.To = from.Add(-time.Duration(n-0xF000) * time.Minute)
		default:
			p.To = from.Add(time.Duration(n) * time.Minute)
		}
		out = append(out, p)
	}
	return out
}

// FuzzDeadline: for any calendar, opening instant, target, warning share and pauses, the due
// time is never before the opening, the clock has consumed exactly the target at it and less
// just before it, it grows with the target, the warning comes no later, the alarms are in
// order and never Never; without pauses the clock agrees with sla.Due, and the status at the
// due time is breached, just before it not.
func FuzzDeadline(f *testing.F) {
	def := []byte{}
	for d := range 5 {
		def = append(def, byte(d), 0x01, 0xE0, 0x02, 0xCF) // 08:00, 720 minutes
	}
	def = append(def, 5, 0x02, 0x1C, 0x01, 0xDF) // sat 09:00-17:00
	lunch := []byte{}
	for d := range 5 {
		lunch = append(lunch, byte(d), 0x01, 0xE0, 0x00, 0xEF, byte(d), 0x03, 0x0C, 0x00, 0xEF) // 08-12, 13-17
	}
	christmas := []byte{0x01, 0x66} // 2026-12-25
	start := int64(time.Date(2026, 12, 24, 9, 30, 0, 0, time.UTC).Sub(fuzzBase) / time.Second)
	f.Add(uint8(0), def, christmas, start, int64(4*3600), int64(60), uint8(80), []byte{})
	f.Add(uint8(0), lunch, christmas, start, int64(24*3600), int64(1), uint8(80), []byte{0x02, 0x58, 0x00, 0x3C, 0x02, 0x94, 0xFF, 0xFF})
	f.Add(uint8(2), def, []byte{}, int64(time.Date(2026, 3, 28, 19, 0, 0, 0, time.UTC).Sub(fuzzBase)/time.Second), int64(900), int64(3600), uint8(1), []byte{0x00, 0x00, 0xF0, 0x10})
	f.Add(uint8(3), lunch, []byte{}, int64(time.Date(2026, 4, 4, 14, 0, 0, 0, time.UTC).Sub(fuzzBase)/time.Second), int64(72*3600), int64(1), uint8(99), []byte{0x02, 0x58, 0x00, 0x00})
	f.Add(uint8(4), []byte{}, []byte{}, int64(0), int64(3600), int64(1), uint8(50), []byte{})
	f.Fuzz(func(t *testing.T, zone uint8, periods, holidays []byte, startS, targetS, moreS int64, warn uint8, pauseBytes []byte) {
		cal := fuzzCalendar(t, zone, periods, holidays)
		opened := fuzzBase.Add(time.Duration(uint64(startS)%(2*365*86400)) * time.Second)
		target := time.Duration(1+uint64(targetS)%(100*3600)) * time.Second
		pauses := fuzzPauses(opened, pauseBytes)
		c := sla.Clock{Calendar: cal, Start: opened, Target: target, WarnPercent: int(warn) % 101, Pauses: pauses}
		dl := c.Deadline()
		never := hours.Never()
		if dl.Due.Before(opened) || dl.WarnAt.After(dl.Due) && !dl.WarnAt.Equal(never) {
			t.Fatalf("opened %s, target %s, pauses %v: warn %s, due %s", opened, target, pauses, dl.WarnAt, dl.Due)
		}
		if !dl.Due.Equal(never) {
			if got := c.Consumed(dl.Due); got != target {
				t.Fatalf("opened %s, target %s, pauses %v: due %s, consumed then %s", opened, target, pauses, dl.Due, got)
			}
			if got := c.Consumed(dl.Due.Add(-time.Nanosecond)); got >= target {
				t.Fatalf("opened %s, target %s, pauses %v: due %s, consumed before it already %s", opened, target, pauses, dl.Due, got)
			}
			if dl.Status(dl.Due, time.Time{}) != sla.Breached || dl.Status(dl.Due.Add(-time.Nanosecond), time.Time{}) == sla.Breached {
				t.Fatalf("status around the due time %s is wrong", dl.Due)
			}
		}
		more := c
		more.Target += time.Duration(uint64(moreS)%(100*3600)) * time.Second
		if due2 := more.Deadline().Due; due2.Before(dl.Due) {
			t.Fatalf("opened %s, pauses %v: target %s due %s, target %s due %s", opened, pauses, target, dl.Due, more.Target, due2)
		}
		alarms := dl.Alarms()
		for i, a := range alarms {
			if a.At.Equal(never) || a.At.After(a.Due) || i > 0 && a.At.Before(alarms[i-1].At) {
				t.Fatalf("alarms %+v", alarms)
			}
		}
		if len(pauses) == 0 {
			first, _ := sla.Due(sla.Policy{Target: sla.Target{FirstResponse: target, Resolution: target}}, cal, opened)
			if !first.Equal(dl.Due) {
				t.Fatalf("sla.Due %s, the clock %s", first, dl.Due)
			}
		}
	})
}
