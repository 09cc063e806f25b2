package identity

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password policy of API.md: at least MinPasswordLen characters with letters, digits and a
// symbol, and not a common password.
const (
	MinPasswordLen      = 10
	maxPasswordBytes    = 256 // longer input is refused as invalid, not hashed
	maxDisplayNameRunes = 80
)

// Reasons a password is refused, carried as the "reason" field of ErrWeakPassword.
const (
	ReasonTooShort = "too_short"
	ReasonNoLetter = "missing_letter"
	ReasonNoDigit  = "missing_digit"
	ReasonNoSymbol = "missing_symbol"
	ReasonCommon   = "common_password"
)

//go:embed common_passwords.txt
var commonPasswordsTxt string

// commonList is the embedded list of frequent passwords and their base words, lower-cased.
type commonList map[string]struct{}

func parseCommonList(txt string) commonList {
	l := commonList{}
	for line := range strings.Lines(txt) {
		w := strings.ToLower(strings.TrimSpace(line))
		if w != "" && !strings.HasPrefix(w, "#") {
			l[w] = struct{}{}
		}
	}
	return l
}

// leet undoes the usual look-alike substitutions ("p@ssw0rd" → "password").
var leet = strings.NewReplacer("@", "a", "4", "a", "0", "o", "3", "e", "$", "s", "5", "s", "1", "i", "!", "i", "7", "t", "+", "t")

// contains reports whether pw is on the list, also when it is a listed word padded with
// digits and symbols at either end ("Password123!", "!!qwerty2024") or written in leetspeak
// ("P@ssw0rd", "$unshine2026").
func (l commonList) contains(pw string) bool {
	lower := strings.ToLower(pw)
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	// Like core, but "@" and "$" at the edges may be letters in disguise.
	leetCore := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) && r != '@' && r != '$' })
	// Symbols alone trimmed, for listed entries that hold digits ("1q2w3e4r!!").
	noSymbols := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, c := range [...]string{lower, noSymbols, core, leet.Replace(core), leet.Replace(leetCore)} {
		// "1" and "!" may stand for "l" as well as "i" ("he11o").
		if l.has(c) || l.has(strings.ReplaceAll(c, "i", "l")) {
			return true
		}
	}
	return false
}

func (l commonList) has(w string) bool {
	_, ok := l[w]
	return ok && w != ""
}

// passwordProblem returns the reason pw breaks the policy and an English message, or "" when
// it is acceptable. Length is counted in characters, not bytes.
func (l commonList) passwordProblem(pw string) (reason, msg string) {
	var letter, digit, symbol bool
	for _, r := range pw {
		switch {
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsSpace(r) || unicode.IsControl(r):
		default:
			symbol = true
		}
	}
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return ReasonTooShort, "password must be at least 10 characters long"
	case !letter:
		return ReasonNoLetter, "password must contain a letter"
	case !digit:
		return ReasonNoDigit, "password must contain a digit"
	case !symbol:
		return ReasonNoSymbol, "password must contain a symbol"
	case l.contains(pw):
		return ReasonCommon, "password is too common"
	}
	return "", ""
}
