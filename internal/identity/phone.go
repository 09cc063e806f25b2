package identity

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultCountry is the country whose local numbers are accepted when no other is set.
const DefaultCountry = "ID"

// normalizePhone turns what a person types as a phone number into E.164, or returns ok false.
// An E.164 number (spaces and dashes allowed) is kept as typed; a local one ("0812-3456-7890")
// is read as a number of country (ISO 3166 alpha-2) with libphonenumber's rules, the Go port
// of what Android and most wallets use, and must be a possible number there.
func normalizePhone(p, country string) (string, bool) {
	p = strings.TrimSpace(p)
	compact := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "").Replace(p)
	if strings.HasPrefix(compact, "+") {
		return compact, validPhone(compact)
	}
	if compact == "" || country == "" || strings.Trim(compact, "0123456789") != "" {
		return p, false // digits only: libphonenumber would read letters as a keypad's
	}
	n, err := phonenumbers.Parse(compact, strings.ToUpper(country))
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return p, false
	}
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	return e164, validPhone(e164)
}

// phoneLogin is login as it is stored when it reads as a phone number (a local one included),
// else login unchanged: emails and user ids pass through.
func (s *Service) phoneLogin(login string) string {
	if strings.Contains(login, "@") || strings.HasPrefix(login, "usr_") {
		return login
	}
	if p, ok := normalizePhone(login, s.country); ok {
		return p
	}
	return login
}
