// Package staff holds the people behind the support desk: staff accounts with their roles
// (agent, reviewer, supervisor, admin), teams with their topics and business hours, staff
// logins (password and TOTP, always), staff sessions, and the administration of all of these.
// Staff are a credential system of their own, apart from wallet users (package identity):
// their tokens live in staff_sessions and authenticate staff routes only.
//
// The credential machinery itself (argon2id through one hashing gate, the password policy,
// rate limits, the lockout settings and the phantom lockout of unknown logins, TOTP) is
// shared with users' logins through Credentials, which identity.Service implements, so both
// keep the same properties. Every change and every login attempt is written to the audit log
// (package audit) in the transaction that makes it.
package staff

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/secret"
)

// Failures of this package, with the codes of API.md. The login's share the codes of users'
// logins, so that a client handles both alike.
var (
	ErrAlreadyExists        = fault.New("already_exists", "already exists")
	ErrWeakPassword         = fault.New("weak_password", "the password is too weak")
	ErrInvalidCredentials   = fault.New("invalid_credentials", "the login or the password is wrong")
	ErrUnauthenticated      = fault.New("unauthenticated", "the session is missing, expired or revoked")
	ErrNotFound             = fault.New("not_found", "not found")
	ErrAccountLocked        = fault.New("account_locked", "the account is locked")
	ErrSecondFactorRequired = fault.New("second_factor_required", "a one-time code is required to log in")
	ErrInvalidCode          = fault.New("invalid_code", "the code is wrong, expired or already used")
	ErrForbidden            = fault.New("forbidden", "not allowed")
)

// Roles. Agents answer customers; reviewers decide risk reviews; supervisors run teams;
// admins manage staff and read the audit log.
const (
	RoleAgent      = "agent"
	RoleReviewer   = "reviewer"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
)

// Roles lists every role, lowest first.
var Roles = []string{RoleAgent, RoleReviewer, RoleSupervisor, RoleAdmin}

// Statuses as the API shows them: disabled (by an admin) comes before the lock state.
const (
	StatusActive   = "active"
	StatusLocked   = "locked"
	StatusDisabled = "disabled"
)

// DefaultTeam is the team of staff created without one.
const DefaultTeam = "general"

// Capacity bounds: how many chats a member takes at once.
const (
	DefaultCapacity = 3
	MaxCapacity     = 50
)

// Staff is a staff member as the API shows it; the password hash and TOTP secret never leave
// the package.
type Staff struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role" enum:"agent,reviewer,supervisor,admin"`
	Team      string    `json:"team" doc:"the slug of the member's team"`
	Capacity  int       `json:"capacity" doc:"how many chats the member takes at once (0 to 50)"`
	Disabled  bool      `json:"disabled" doc:"a disabled member cannot log in and has no sessions"`
	Status    string    `json:"status" enum:"active,locked,disabled"`
	CreatedAt time.Time `json:"created_at"`

	FailedLogins int        `json:"-"`
	LockedUntil  *time.Time `json:"-"`
}

// Credentials is the machinery staff logins share with users' (identity.Service has it).
type Credentials interface {
	CheckNewPassword(password string) error
	HashPassword(ctx context.Context, password string) (string, error)
	// VerifyPassword with an empty hash costs a verification and never matches.
	VerifyPassword(ctx context.Context, hash, password string) (bool, error)
	LimitLogin(login, ip string, now time.Time) error
	PhantomGate(login string, now time.Time) error
	PhantomFailed(login string, now time.Time) error
	Lockout() (threshold int, lockFor time.Duration)
	NewTOTPSecret(account string) (string, error)
	MatchTOTP(secret, code string, now time.Time, lastStep int64) int64
}

// Sealer encrypts secrets at rest (the TOTP secrets); secret.Box implements it. aad binds a
// sealed value to its row: the staff id.
type Sealer interface {
	Seal(plaintext, aad []byte) (string, error)
	Open(sealed string, aad []byte) ([]byte, error)
}

// plain is the Sealer of a store without a key: the value as is.
type plain struct{}

func (plain) Seal(p, _ []byte) (string, error)        { return string(p), nil }
func (plain) Open(s string, _ []byte) ([]byte, error) { return []byte(s), nil }

// Options tune a Service.
type Options struct {
	Sealer     Sealer           // nil: secrets are stored as they are
	SessionTTL time.Duration    // zero: 12 hours, about a working day
	Now        func() time.Time // nil: time.Now
	Log        *slog.Logger     // nil: slog.Default()
}

// Service is the staff domain on one store.
type Service struct {
	db     *db.DB
	cred   Credentials
	sealer Sealer
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger
}

// New returns the staff service on d, sharing cred with users' logins.
func New(d *db.DB, cred Credentials, o Options) *Service {
	s := &Service{db: d, cred: cred, sealer: o.Sealer, ttl: o.SessionTTL, now: o.Now, log: o.Log}
	if s.sealer == nil {
		s.sealer = plain{}
	}
	if s.ttl <= 0 {
		s.ttl = 12 * time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Limits of input.
const (
	maxInputBytes  = 1024 // email, password, token
	maxPassword    = 256
	maxNameRunes   = 80
	maxClientField = 512 // ip, user agent
	maxReasonRunes = 500
)

// Create makes a staff member with a fresh TOTP secret and returns it with the secret
// (base32, for an authenticator app) and the password, both shown once. An empty password is
// replaced by a generated strong one; a given one must pass the password policy
// (weak_password). An empty team is DefaultTeam; the team must exist. A taken email gives
// already_exists. The creation is audited, by the actor in ctx or else by the system.
func (s *Service) Create(ctx context.Context, email, name, role, team, password string) (st Staff, totpSecret, pw string, err error) {
	return s.create(ctx, email, name, role, team, password, "")
}

// CreateWithSecret is Create with a TOTP secret chosen by the caller (base32, at least 128
// bits): the demo loader's, whose agents' secrets are published so that anyone trying Dompet
// can log in as them. Never for real staff.
func (s *Service) CreateWithSecret(ctx context.Context, email, name, role, team, password, totpSecret string) (Staff, error) {
	k, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(totpSecret, "="))
	if err != nil || len(k) < 16 {
		return Staff{}, fmt.Errorf("create staff %s: the TOTP secret must be base32, at least 128 bits", email)
	}
	st, _, _, err := s.create(ctx, email, name, role, team, password, totpSecret)
	return st, err
}

func (s *Service) create(ctx context.Context, email, name, role, team, password, secret string) (st Staff, totpSecret, pw string, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	name = strings.TrimSpace(name)
	team = strings.TrimSpace(team)
	if team == "" {
		team = DefaultTeam
	}
	var v fault.Validation
	v.Check(validEmail(email), "email", fault.MsgEmail)
	v.Check(validName(name), "name", fault.MsgTextLength, 1, 80)
	v.Check(slices.Contains(Roles, role), "role", fault.MsgRole)
	v.Check(len(password) <= maxPassword, "password", fault.MsgAtMostBytes, maxPassword)
	if err := v.Err(); err != nil {
		return Staff{}, "", "", err
	}
	if password == "" {
		if password, err = s.strongPassword(); err != nil {
			return Staff{}, "", "", err
		}
	} else if err := s.cred.CheckNewPassword(password); err != nil {
		return Staff{}, "", "", err
	}
	if secret == "" {
		if secret, err = s.cred.NewTOTPSecret(email); err != nil {
			return Staff{}, "", "", err
		}
	}
	hash, err := s.cred.HashPassword(ctx, password)
	if err != nil {
		return Staff{}, "", "", err
	}
	now := s.now().UTC()
	st = Staff{ID: id.New("stf"), Email: email, Name: name, Role: role, Team: team, Capacity: DefaultCapacity,
		Status: StatusActive, CreatedAt: now}
	sealed, err := s.sealer.Seal([]byte(secret), []byte(st.ID))
	if err != nil {
		return Staff{}, "", "", fmt.Errorf("create staff %s: seal: %w", email, err)
	}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := teamExists(ctx, tx, team); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO staff (id, email, name, role, team, capacity, disabled, password_hash, totp_secret,
			totp_last_step, status, failed_logins, locked_until, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, 0, 'active', 0, NULL, ?, ?)`,
			st.ID, st.Email, st.Name, st.Role, st.Team, st.Capacity, hash, sealed, now.UnixMicro(), now.UnixMicro())
		if err != nil {
			return err
		}
		return audit.Insert(ctx, tx, s.entry(ctx, now, "staff.created", "staff", st.ID,
			map[string]any{"email": email, "role": role, "team": team}))
	})
	if db.IsUniqueViolation(err) {
		return Staff{}, "", "", explained(ErrAlreadyExists, "A staff member with this email already exists.",
			"已有工作人员使用此邮箱。").With("field", "email")
	}
	if err != nil {
		return Staff{}, "", "", fmt.Errorf("create staff %s: %w", email, err)
	}
	return st, secret, password, nil
}

// explained is f with its English message and its words in each language of the API.
func explained(f *fault.Error, en, zh string) *fault.Error {
	return f.Because(en).Explained(map[string]string{"en": en, "zh-CN": zh})
}

// teamExists is nil when team names a team, else an invalid_request about the field.
func teamExists(ctx context.Context, tx *db.Tx, team string) error {
	var n int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM teams WHERE slug = ?", team).Scan(&n); err != nil {
		return fmt.Errorf("team %s: %w", team, err)
	}
	if n == 0 {
		return fault.Invalid("team", fault.MsgNotATeam)
	}
	return nil
}

// strongPassword makes a 23-character password ("Abcde-fGhij-2kLmn-pQr7s") that passes the
// policy: about 110 bits from a 32-letter alphabet and a digit in each group.
func (s *Service) strongPassword() (string, error) {
	const letters = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
	const digits = "23456789"
	for {
		var b [24]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("generate password: %w", err)
		}
		var sb strings.Builder
		for g := range 4 {
			if g > 0 {
				sb.WriteByte('-')
			}
			pos := int(b[20+g]) % 5
			for i := range 5 {
				c := b[g*5+i]
				if i == pos {
					sb.WriteByte(digits[int(c)%len(digits)])
				} else {
					sb.WriteByte(letters[int(c)%len(letters)])
				}
			}
		}
		pw := sb.String()
		if s.cred.CheckNewPassword(pw) == nil {
			return pw, nil
		}
	}
}

const staffCols = `id, email, name, role, team, capacity, disabled, status, failed_logins, locked_until, created_at`

func scanStaff(sc interface{ Scan(...any) error }, extra ...any) (Staff, error) {
	var st Staff
	var locked sql.NullInt64
	var created int64
	var disabled int
	dest := append([]any{&st.ID, &st.Email, &st.Name, &st.Role, &st.Team, &st.Capacity, &disabled, &st.Status,
		&st.FailedLogins, &locked, &created}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return Staff{}, err
	}
	st.Disabled = disabled == 1
	st.CreatedAt = time.UnixMicro(created).UTC()
	if locked.Valid {
		t := time.UnixMicro(locked.Int64).UTC()
		st.LockedUntil = &t
	}
	return st, nil
}

// asOf is st as the API shows it at now: disabled first, and a timed lock that has run out
// as active.
func (st Staff) asOf(now time.Time) Staff {
	switch {
	case st.Disabled:
		st.Status = StatusDisabled
	case st.Status == StatusLocked && st.LockedUntil != nil && !now.Before(*st.LockedUntil):
		st.Status = StatusActive
	}
	return st
}

// Member returns the staff member with id, or not_found.
func (s *Service) Member(ctx context.Context, staffID string) (Staff, error) {
	st, err := scanStaff(s.db.QueryRow(ctx, "SELECT "+staffCols+" FROM staff WHERE id = ?", staffID))
	if errors.Is(err, sql.ErrNoRows) {
		return Staff{}, ErrNotFound
	}
	if err != nil {
		return Staff{}, fmt.Errorf("staff %s: %w", staffID, err)
	}
	return st.asOf(s.now()), nil
}

// List returns every staff member, by team then name.
func (s *Service) List(ctx context.Context) ([]Staff, error) {
	rows, err := s.db.Query(ctx, "SELECT "+staffCols+" FROM staff ORDER BY team, name, id")
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	defer rows.Close()
	out := []Staff{}
	now := s.now()
	for rows.Next() {
		st, err := scanStaff(rows)
		if err != nil {
			return nil, fmt.Errorf("list staff: %w", err)
		}
		out = append(out, st.asOf(now))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	return out, nil
}

// entry is an audit entry by the actor in ctx, else by the system.
func (s *Service) entry(ctx context.Context, at time.Time, action, targetType, target string, detail map[string]any) audit.Entry {
	e := audit.FromContext(ctx, audit.Entry{At: at, Action: action, TargetType: targetType, TargetID: target, Detail: detail})
	if e.ActorType == "" {
		e.ActorType = audit.ActorSystem
	}
	return e
}

func validEmail(e string) bool {
	if e == "" || len(e) > 254 {
		return false
	}
	a, err := mail.ParseAddress(e)
	return err == nil && a.Name == "" && a.Address == e
}

func validName(n string) bool {
	if !utf8.ValidString(n) {
		return false
	}
	if c := utf8.RuneCountInString(n); c < 1 || c > maxNameRunes {
		return false
	}
	return !strings.ContainsFunc(n, unicode.IsControl)
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxClientField {
		s = s[:maxClientField]
	}
	return strings.ToValidUTF8(s, "")
}

// SecretColumns is the sealed column of the staff package, for the server key's walks:
// sealing the secrets a store without a key kept in the clear, and `dompet secrets rotate`.
func SecretColumns() []secret.Column {
	return []secret.Column{{Table: "staff", IDCol: "id", ValueCol: "totp_secret", AAD: func(id string) []byte { return []byte(id) }}}
}
