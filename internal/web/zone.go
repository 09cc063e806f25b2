package web

import (
	"fmt"
	"strings"
	"time"
)

// Zone names the IANA time zone tz as people know it, with its offset now: "WIB, Western
// Indonesia Time (UTC+7)", "西部印尼时间（UTC+7）". A zone without a name in the catalogues
// (core.tz.<zone>) is shown by its offset alone, never as "Asia/Jakarta".
func (v *View) Zone(tz string) string { return v.zone(tz, "core.tz.") }

// ZoneShort is Zone with the short name, for a time beside it: "WIB (UTC+7)".
func (v *View) ZoneShort(tz string) string { return v.zone(tz, "core.tz.abbr.") }

func (v *View) zone(tz, prefix string) string {
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		if tz != "Asia/Jakarta" {
			return tz
		}
		loc = v.site.loc // no tzdata on the machine: the pages' own zone
	}
	_, off := time.Now().In(loc).Zone()
	key := prefix + strings.ToLower(strings.ReplaceAll(tz, "/", "_"))
	if name, ok := v.site.cat.lookup(v.Lang, key); ok {
		return v.T("core.tz.named", name, utcOffset(off))
	}
	return utcOffset(off)
}

// utcOffset writes an offset in seconds as "UTC+7", "UTC+5:30", "UTC-3" or "UTC".
func utcOffset(sec int) string {
	if sec == 0 {
		return "UTC"
	}
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	h, m := sec/3600, sec%3600/60
	if m != 0 {
		return fmt.Sprintf("UTC%s%d:%02d", sign, h, m)
	}
	return fmt.Sprintf("UTC%s%d", sign, h)
}
