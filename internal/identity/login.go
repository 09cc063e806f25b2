package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/id"
)

// LoginInput is what POST /api/v1/auth/login carries, plus where the request came from.
type LoginInput struct {
	Login     string // phone or email (any case)
	Password  string
	DeviceID  string
	IP        string
	UserAgent string
	OTP       string // second factor: TOTP, recovery code, or a code sent by SMS/email
	OTPMethod string // "sms" or "email": send a code that way (see secondFactor)
}

// Session is a login. Token is set only in the value Login returns: the store keeps its hash.
type Session struct {
	ID         string     `json:"id"`
	UserID     string     `json:"-"`
	Token      string     `json:"-"`
	DeviceID   string     `json:"device_id"`
	IP         string     `json:"ip"`
	UserAgent  string     `json:"user_agent"`
	CreatedAt  time.Time  `json:"created_at"`
	LastSeenAt time.Time  `json:"last_seen_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// Scope is "" for a login (the whole wallet) or ScopeChat for the chat widget's session.
	Scope string `json:"-"`
}

// Limits on what a client may send, so that junk costs no hashing or storage.
const (
	maxLoginInputBytes = 1024
	maxClientField     = 512 // device id, user agent, ip
)

// Login checks a password and opens a session. An unknown login and a wrong password both give
// ErrInvalidCredentials and cost one argon2 verification each, so neither the answer nor its
// timing tells whether an account exists.
func (s *Service) Login(ctx context.Context, in LoginInput) (Session, User, error) {
	in.Login = s.phoneLogin(strings.TrimSpace(in.Login)) // one key per account for the limits, whatever the form
	in.DeviceID, in.IP, in.UserAgent = clip(in.DeviceID), clip(in.IP), clip(in.UserAgent)
	now := s.now().UTC()
	if in.Login == "" || in.Password == "" || len(in.Login) > maxLoginInputBytes || len(in.Password) > maxLoginInputBytes {
		return Session{}, User{}, ErrInvalidCredentials
	}
	if err := s.limitLogin(in, now); err != nil { // before any read or hash: see lockout.go
		return Session{}, User{}, err
	}
	u, hash, err := s.userByLogin(ctx, in.Login, false)
	if errors.Is(err, ErrNotFound) {
		return Session{}, User{}, s.unknownLogin(ctx, in, now)
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("login: %w", err)
	}
	if err := s.loginGate(u, now); err != nil {
		return Session{}, User{}, err
	}
	ok, err := s.verify(ctx, hash, in.Password)
	if err != nil && ctx.Err() != nil {
		return Session{}, User{}, err
	}
	if err != nil {
		// A corrupt stored hash must not lock the user out silently nor let anyone in.
		s.log.Error("unusable password hash", "user", u.ID, "err", err)
	}
	if !ok {
		return Session{}, User{}, s.loginFailed(ctx, u, in, now)
	}
	check, err := s.secondFactor(ctx, u, in, now)
	if err != nil {
		return Session{}, User{}, err
	}

	token, tokenHash, err := newToken()
	if err != nil {
		return Session{}, User{}, err
	}
	ss := Session{
		ID: id.New("ses"), UserID: u.ID, Token: token,
		DeviceID: in.DeviceID, IP: in.IP, UserAgent: in.UserAgent,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.ttl),
	}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := insertSession(ctx, tx, ss, tokenHash); err != nil {
			return err
		}
		if err := loginSucceeded(ctx, tx, u, now); err != nil {
			return err
		}
		if err := rememberLogin(ctx, tx, u, in, check, now); err != nil {
			return err
		}
		if check.risky() {
			if err := s.stageAlerts(ctx, tx, alertMessage(u, alertNewDevice, now, newDeviceArgs(in))); err != nil {
				return err
			}
		}
		return recordEvent(ctx, tx, now, event{userID: u.ID, kind: EventLogin, ip: in.IP,
			deviceID: in.DeviceID, detail: map[string]any{"session_id": ss.ID}})
	})
	if err != nil {
		return Session{}, User{}, fmt.Errorf("login %s: %w", u.ID, err)
	}
	s.afterLogin(ctx, u, in, check, now)
	u.FailedLogins = 0
	return ss, u, nil
}

// unknownLogin spends the time a real verification would and records the attempt without a
// user, then answers like a wrong password.
func (s *Service) unknownLogin(ctx context.Context, in LoginInput, now time.Time) error {
	if err := s.phantomGate(in.Login, now); err != nil {
		return err
	}
	if _, err := s.verify(ctx, s.dummy(), in.Password); err != nil && ctx.Err() != nil {
		return err
	}
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return recordEvent(ctx, tx, now, event{kind: EventLoginFailed, ip: in.IP, deviceID: in.DeviceID,
			detail: map[string]any{"reason": "unknown_login"}})
	})
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	return s.phantomFailed(in.Login, now) // counts down and locks like a real account
}

// verify checks password against a stored hash, waiting its turn at the hash gate.
func (s *Service) verify(ctx context.Context, hash, password string) (bool, error) {
	var ok bool
	var verr error
	if err := s.gate.do(ctx, func() { ok, verr = verifyPassword(hash, password) }); err != nil {
		return false, err
	}
	s.verifications.Add(1)
	return ok, verr
}

// dummy is a hash with the service's parameters that no password is known to match.
func (s *Service) dummy() string {
	s.dummyOnce.Do(func() {
		var b [24]byte
		_, _ = rand.Read(b[:])
		h, err := hashPassword(s.argon, base64.RawURLEncoding.EncodeToString(b[:]))
		if err != nil {
			// Fall back to a fixed well-formed hash: the cost then follows its parameters.
			h = "$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		}
		s.dummyHash = h
	})
	return s.dummyHash
}

// newToken returns an opaque session token (32 random bytes, base64url) and its stored form.
func newToken() (token, tokenHash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("session token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	h := sha256.Sum256([]byte(token))
	return token, hex.EncodeToString(h[:]), nil
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxClientField {
		s = s[:maxClientField]
	}
	return strings.ToValidUTF8(s, "")
}
