package wallet

import "strings"

// MaskReference returns a top-up source reference as Dompet may keep it: a card number
// (13-19 digits passing the Luhn check, spaces and dashes allowed between them) becomes
// "**** 1234", its last four digits; any other reference is returned as it is. The full
// number goes to the card processor and nowhere else: not to the database, a response, a
// log line or an idempotency hash.
func MaskReference(ref string) string {
	digits, ok := cardDigits(ref)
	if !ok {
		return ref
	}
	return "**** " + digits[len(digits)-4:]
}

// cardDigits returns the digits of ref when ref is a card number.
func cardDigits(ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	var b strings.Builder
	for i := 0; i < len(ref); i++ {
		switch c := ref[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-':
		default:
			return "", false
		}
	}
	d := b.String()
	if len(d) < 13 || len(d) > 19 || !luhn(d) {
		return "", false
	}
	return d, true
}

// luhn reports whether the digits pass the Luhn (mod 10) check.
func luhn(d string) bool {
	sum := 0
	for i := 0; i < len(d); i++ {
		n := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}
