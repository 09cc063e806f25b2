package wallet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/fault"
)

// ErrNoSuchUser answers a phone, email or id that names nobody, in words that say so in
// every language (a bare "not found" would leave the sender guessing what was not found).
var ErrNoSuchUser = ErrNotFound.Saying(fault.MsgNoUserLogin)

// RecipientName is who a transfer would reach, as the sender may see them before sending.
type RecipientName struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name" doc:"the recipient's display name, masked (\"Bu*** S.\")"`
}

// LookupRecipient answers the masked name of the user to names (phone, email or id), for the
// sender to check before a transfer. Each call spends from the caller's and the address's
// lookup budget (Options.LookupLimit), whether the user exists or not.
func (w *Wallet) LookupRecipient(ctx context.Context, u Party, ip, to string) (RecipientName, error) {
	to = strings.TrimSpace(to)
	if to == "" || utf8.RuneCountInString(to) > 254 {
		return RecipientName{}, fault.Invalid("to", fault.MsgRequiredTo)
	}
	if w.o.LookupLimit != nil {
		if err := w.o.LookupLimit(u.ID, ip); err != nil {
			return RecipientName{}, err
		}
	}
	p, err := w.o.Users.Lookup(ctx, to)
	if errors.Is(err, ErrNotFound) {
		return RecipientName{}, ErrNoSuchUser
	}
	if err != nil {
		return RecipientName{}, fmt.Errorf("look up recipient: %w", err)
	}
	return RecipientName{ID: p.ID, DisplayName: MaskName(p.Name)}, nil
}

// MaskName shows enough of a display name to recognise a friend and too little to learn a
// stranger's name:
//   - names written in words: the first word's first two letters then "***" (one letter if
//     the word has no more than two), and the last word's initial: "Budi Santoso" → "Bu*** S.",
//     "Budi" → "Bu***", "Al" → "A***", "Siti Nur Aisyah" → "Si*** A.";
//   - a name in Chinese, Japanese or Korean script without spaces: every character masked
//     but the last: "王小明" → "**明", "李娜" → "*娜"; a one-character name → "*";
//   - an empty name → "***".
func MaskName(name string) string {
	words := strings.Fields(name)
	if len(words) == 0 {
		return "***"
	}
	if len(words) == 1 && isCJK(words[0]) {
		r := []rune(words[0])
		if len(r) == 1 {
			return "*"
		}
		return strings.Repeat("*", len(r)-1) + string(r[len(r)-1])
	}
	first := []rune(words[0])
	keep := 2
	if len(first) <= 2 {
		keep = 1
	}
	out := string(first[:keep]) + "***"
	if len(words) > 1 {
		last, _ := utf8.DecodeRuneInString(words[len(words)-1])
		out += " " + string(unicode.ToUpper(last)) + "."
	}
	return out
}

// isCJK reports whether s is written in Han, Hiragana, Katakana or Hangul.
func isCJK(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			return true
		}
	}
	return false
}
