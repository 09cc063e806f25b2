package web

import (
	"testing"

	"github.com/dompet/dompet/internal/front"
)

func TestZoneNames(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	en, zh := &View{site: s, Lang: front.EN}, &View{site: s, Lang: front.ZH}
	tests := []struct {
		v        *View
		tz, want string
	}{
		{en, "Asia/Jakarta", "WIB, Western Indonesia Time (UTC+7)"},
		{zh, "Asia/Jakarta", "西部印尼时间（UTC+7）"},
		{zh, "Asia/Makassar", "中部印尼时间（UTC+8）"},
		{en, "Asia/Kolkata", "UTC+5:30"},   // no name in the catalogues: the offset
		{zh, "America/Sao_Paulo", "UTC-3"}, // no daylight saving since 2019
		{en, "UTC", "UTC"},
		{en, "Mars/Olympus", "Mars/Olympus"}, // not a zone: as it was given
	}
	for _, tt := range tests {
		if got := tt.v.Zone(tt.tz); got != tt.want {
			t.Errorf("%s %s: %q, want %q", tt.v.Lang, tt.tz, got, tt.want)
		}
	}
}
