package wallet

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestMaskName(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"Budi Santoso", "Bu*** S."},
		{"  Budi   Santoso  ", "Bu*** S."},
		{"Siti Nur Aisyah", "Si*** A."},
		{"Budi", "Bu***"},
		{"Al", "A***"},
		{"X", "X***"},
		{"Al Gore", "A*** G."},
		{"budi santoso", "bu*** S."},
		{"Émile Zola", "Ém*** Z."},
		{"王小明", "**明"},
		{"李娜", "*娜"},
		{"王", "*"},
		{"さくら", "**ら"},
		{"김민준", "**준"},
		{"Wei Ling Tan", "We*** T."},
		{"", "***"},
		{"   ", "***"},
	} {
		if got := MaskName(tt.name); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestMaskNameHidesTheName: whatever the name, the mask never holds more than two letters
// of the first word and one of the last.
func TestMaskNameHidesTheName(t *testing.T) {
	for _, n := range []string{"Budi Santoso", "Bartholomew Featherstonehaugh", "王小明", "Siti Nur Aisyah"} {
		m := MaskName(n)
		for _, w := range strings.Fields(n) {
			if len([]rune(w)) > 2 && strings.Contains(m, w) {
				t.Errorf("MaskName(%q) = %q shows %q", n, m, w)
			}
		}
	}
}

func TestMaskReference(t *testing.T) {
	for _, tt := range []struct{ ref, want string }{
		{"4111111111111111", "**** 1111"},                // Visa test number
		{"4111 1111 1111 1111", "**** 1111"},             // with spaces
		{"4111-1111-1111-1111", "**** 1111"},             // with dashes
		{"5555555555554444", "**** 4444"},                // Mastercard
		{"378282246310005", "**** 0005"},                 // Amex, 15 digits
		{"4222222222222", "**** 2222"},                   // 13 digits
		{"6011000990139424", "**** 9424"},                // Discover
		{"4111111111111112", "4111111111111112"},         // fails Luhn: not a card, kept
		{"411111111111", "411111111111"},                 // 12 digits
		{"41111111111111111111", "41111111111111111111"}, // 20 digits
		{"BT-2026-000123", "BT-2026-000123"},
		{"sandbox:decline", "sandbox:decline"},
		{"4111x1111x1111x1111", "4111x1111x1111x1111"},
	} {
		if got := MaskReference(tt.ref); got != tt.want {
			t.Errorf("MaskReference(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

// TestSandboxInquiry: the sandbox bank answers a listed bank's accounts with the same name
// every time (different accounts, mostly different names), and refuses an unknown code.
func TestSandboxInquiry(t *testing.T) {
	ctx := context.Background()
	s := &Sandbox{}
	banks, _ := s.Banks(ctx)
	countries := map[string]int{}
	for _, b := range banks {
		countries[b.Country]++
		if !bankCodeRE.MatchString(b.Code) {
			t.Errorf("bank code %q is not what withdrawals accept", b.Code)
		}
	}
	for _, c := range []string{"ID", "CN", "SG", "US"} {
		if countries[c] < 3 {
			t.Errorf("%d banks of %s, want at least 3", countries[c], c)
		}
	}
	a, err := s.Inquire(ctx, "CENAIDJA", "1234567890")
	if err != nil || a == "" {
		t.Fatalf("inquire: %q, %v", a, err)
	}
	if b, _ := s.Inquire(ctx, "cenaidja", "1234567890"); b != a {
		t.Errorf("same account answered %q then %q", a, b)
	}
	names := map[string]bool{}
	for _, n := range []string{"1234567891", "1234567892", "1234567893", "1234567894", "1234567895"} {
		x, _ := s.Inquire(ctx, "CENAIDJA", n)
		names[x] = true
	}
	if len(names) < 2 {
		t.Errorf("five accounts share one holder name: %v", names)
	}
	if _, err := s.Inquire(ctx, "NOPEIDJA", "1234567890"); !errors.Is(err, ErrUnknownBank) {
		t.Errorf("unknown bank: %v, want ErrUnknownBank", err)
	}
}
