package money

import (
	"math/big"
	"testing"
)

func TestFormatMinor(t *testing.T) {
	tests := []struct {
		minor int64
		exp   int
		want  string
	}{
		{0, 2, "0.00"},
		{5, 2, "0.05"},
		{150000, 2, "1,500.00"},
		{-123456789, 2, "-1,234,567.89"},
		{1000, 0, "1,000"},
		{999, 0, "999"},
		{100000000000, 2, "1,000,000,000.00"},
	}
	for _, tt := range tests {
		if got := FormatMinor(tt.minor, tt.exp); got != tt.want {
			t.Errorf("FormatMinor(%d, %d) = %q, want %q", tt.minor, tt.exp, got, tt.want)
		}
	}
	if s := New(150000, "IDR").String(); s != "IDR 1,500.00" {
		t.Errorf("String = %q", s)
	}
}

func TestParseSet(t *testing.T) {
	s, err := ParseSet("idr, CNY,USD")
	if err != nil || len(s) != 3 || s.Default().Code != "IDR" || !s.Has("CNY") || s.Has("SGD") {
		t.Fatalf("%v %v", s, err)
	}
	for _, bad := range []string{"", " , ", "IDR,XXX"} {
		if _, err := ParseSet(bad); err == nil {
			t.Errorf("ParseSet(%q) accepted", bad)
		}
	}
}

func TestConvertRoundsDownAcrossExponents(t *testing.T) {
	idr, _ := Lookup("IDR")
	usd, _ := Lookup("USD")
	jpy, _ := Lookup("JPY")
	r := MustRate("16250") // IDR per USD
	if got := r.Inverse().Convert(1_625_000_00, idr, usd); got != 100_00 {
		t.Fatalf("IDR 1,625,000 → %d US cents, want 10000", got)
	}
	if got := r.Inverse().Convert(1_624_999_99, idr, usd); got != 99_99 {
		t.Fatalf("rounding: %d, want 9999 (down)", got)
	}
	if got := MustRate("152.5").Convert(1_00, usd, jpy); got != 152 {
		t.Fatalf("USD 1 → %d yen, want 152", got)
	}
	if got := MustRate("0.0065574").Convert(1000, jpy, usd); got != 655 {
		t.Fatalf("JPY 1000 → %d cents, want 655", got)
	}
	if s := MustRate("7.1200").String(); s != "7.12" {
		t.Fatalf("rate string %q", s)
	}
	if s := MustRate("16250").Adjust(100).String(); s != "16087.5" {
		t.Fatalf("1%% off 16250 = %q", s)
	}
}

func TestParseRateRejects(t *testing.T) {
	for _, bad := range []string{"", "0", "-1", "abc", "1/0"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

// FuzzConvert checks that conversion never pays more than the exact product and never
// panics, whatever the rate and amount.
func FuzzConvert(f *testing.F) {
	f.Add("16250", int64(100))
	f.Add("0.0000615", int64(1_625_000_00))
	f.Add("1e3", int64(7))
	f.Fuzz(func(t *testing.T, rate string, minor int64) {
		r, err := ParseRate(rate)
		if err != nil || minor < 0 || minor > 1<<50 {
			return
		}
		if r.r.Cmp(big.NewRat(1_000_000, 1)) > 0 || r.r.Cmp(big.NewRat(1, 1_000_000_000)) < 0 {
			return
		}
		idr, _ := Lookup("IDR")
		jpy, _ := Lookup("JPY")
		got := r.Convert(minor, idr, jpy)
		exact := new(big.Rat).Mul(new(big.Rat).SetInt64(minor), r.r)
		exact.Quo(exact, big.NewRat(100, 1))
		if new(big.Rat).SetInt64(got).Cmp(exact) > 0 {
			t.Fatalf("%d at %s gave %d, more than %s", minor, rate, got, exact.FloatString(4))
		}
		if new(big.Rat).SetInt64(got+1).Cmp(exact) <= 0 {
			t.Fatalf("%d at %s gave %d, a whole unit less than %s", minor, rate, got, exact.FloatString(4))
		}
	})
}
