package web

import (
	"testing"

	"github.com/dompet/dompet/internal/front"
)

func TestRateLine(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := &View{site: s, Lang: front.ZH}
	tests := []struct{ rate, from, to, want string }{
		{"0.0000824615", "IDR", "USD", "1 USD = 12,126.87 IDR"}, // turned to the side ≥ 1
		{"12127", "USD", "IDR", "1 USD = 12,127.00 IDR"},
		{"0.74", "SGD", "USD", "1 USD = 1.3514 SGD"}, // under 100: four decimals
		{"5.3", "SGD", "CNY", "1 SGD = 5.3000 CNY"},
		{"1", "IDR", "IDR", "1 IDR = 1.0000 IDR"},
		{"0.000000001", "IDR", "XYZ", "1 XYZ = 1,000,000,000.00 IDR"},
		{"nope", "IDR", "USD", "nope"}, // not a rate: as stored
		{"0", "IDR", "USD", "0"},
	}
	for _, tt := range tests {
		if got := v.Rate(tt.rate, tt.from, tt.to); got != tt.want {
			t.Errorf("%s %s→%s: %q, want %q", tt.rate, tt.from, tt.to, got, tt.want)
		}
	}
}
