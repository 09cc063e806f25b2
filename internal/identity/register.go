package identity

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
)

// RegisterInput is what POST /api/v1/auth/register carries.
type RegisterInput struct {
	Phone       string // E.164 ("+" and 8–15 digits), or a local number of Options.DefaultCountry
	Email       string
	Password    string
	DisplayName string
	Locale      string // "en" (default) or "zh-CN"
	IP          string // the client's address, for the per-address budget; "" is not limited
}

// Register creates a basic-tier user. Malformed fields give an invalid_request failure naming
// them, a password against the policy gives ErrWeakPassword with a "reason" field, a phone or
// email already registered gives ErrAlreadyExists with a "field" field.
func (s *Service) Register(ctx context.Context, in RegisterInput) (User, error) {
	// Spent first, so a flood learns nothing (which phones have accounts) past the budget.
	if err := throttle(s.now(), take{s.acc.registerIP, ipKey(in.IP)}); err != nil {
		return User{}, err
	}
	if p, ok := normalizePhone(in.Phone, s.country); ok {
		in.Phone = p
	}
	in, err := s.common.checkRegister(in)
	if err != nil {
		return User{}, err
	}
	// Checked before hashing so that a duplicate costs no argon2 time; the unique keys still
	// decide races below.
	if field, err := s.duplicateField(ctx, in.Phone, in.Email); err != nil {
		return User{}, err
	} else if field != "" {
		return User{}, duplicate(field)
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return User{}, err
	}
	now := s.now().UTC()
	u := User{
		ID:                id.New("usr"),
		Phone:             in.Phone,
		Email:             in.Email,
		DisplayName:       in.DisplayName,
		Locale:            in.Locale,
		Tier:              TierBasic,
		TwoFactor:         TwoFactor{Methods: []string{}},
		Status:            StatusActive,
		PasswordChangedAt: now,
		CreatedAt:         now,
		UpdatedAt:         now,
	}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := insertUser(ctx, tx, u, hash); err != nil {
			return err
		}
		return recordEvent(ctx, tx, now, event{userID: u.ID, kind: EventRegister})
	})
	if db.IsUniqueViolation(err) {
		field, _ := s.duplicateField(ctx, in.Phone, in.Email)
		return User{}, duplicate(field)
	}
	if err != nil {
		return User{}, fmt.Errorf("register %s: %w", u.Phone, err)
	}
	// The codes that verify the phone and the email; a failure here leaves the account made,
	// and the user asks again with the resend endpoints.
	for _, c := range []verifiable{phoneContact, emailContact} {
		if err := s.sendVerification(ctx, u, c, clip(in.IP)); err != nil {
			s.log.Warn("verification code not sent", "user", u.ID, "channel", c.channel, "err", err)
		}
	}
	return u, nil
}

func duplicate(field string) error {
	if field == "" {
		return ErrAlreadyExists
	}
	return ErrAlreadyExists.Because(field+" is already registered").With("field", field)
}

// hash computes an argon2id hash of password with the service's parameters.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	var h string
	var herr error
	if err := s.gate.do(ctx, func() { h, herr = hashPassword(s.argon, password) }); err != nil {
		return "", err
	}
	return h, herr
}

// checkRegister normalizes in (trimmed fields, lower-cased email, default locale) and checks
// it: field failures first, all at once, then the password policy.
func (l commonList) checkRegister(in RegisterInput) (RegisterInput, error) {
	in.Phone = strings.TrimSpace(in.Phone)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	in.Locale = strings.TrimSpace(in.Locale)

	var v fault.Validation
	v.Check(validPhone(in.Phone), "phone", fault.MsgPhoneE164)
	v.Check(validEmail(in.Email), "email", fault.MsgEmail)
	switch {
	case in.Password == "":
		v.Add("password", fault.MsgRequired)
	case len(in.Password) > maxPasswordBytes:
		v.Add("password", fault.MsgAtMostBytes, maxPasswordBytes)
	case !utf8.ValidString(in.Password):
		v.Add("password", fault.MsgValidUTF8)
	}
	v.Check(validDisplayName(in.DisplayName), "display_name", fault.MsgTextLength, 1, 80)
	switch {
	case in.Locale == "" || strings.EqualFold(in.Locale, LocaleEN):
		in.Locale = LocaleEN
	case strings.EqualFold(in.Locale, LocaleZhCN):
		in.Locale = LocaleZhCN
	default:
		v.Add("locale", fault.MsgLocale)
	}
	if err := v.Err(); err != nil {
		return in, err
	}
	if reason, msg := l.passwordProblem(in.Password); reason != "" {
		return in, ErrWeakPassword.Because(msg).With("reason", reason)
	}
	return in, nil
}

// validPhone accepts E.164 numbers: "+", a non-zero digit, then 7 to 14 more digits.
func validPhone(p string) bool {
	if len(p) < 9 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// validEmail accepts a bare address (no display name, no angle brackets) that net/mail parses
// back to itself.
func validEmail(e string) bool {
	if e == "" || len(e) > 254 {
		return false
	}
	a, err := mail.ParseAddress(e)
	return err == nil && a.Name == "" && a.Address == e
}

func validDisplayName(n string) bool {
	if !utf8.ValidString(n) {
		return false
	}
	c := utf8.RuneCountInString(n)
	if c < 1 || c > maxDisplayNameRunes {
		return false
	}
	for _, r := range n {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
