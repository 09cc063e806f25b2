package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
)

// Staff are the people behind the support desk: agents, supervisors and admins. They log in
// with a password and a TOTP code, always (the secret is made with the account and shown
// once by `dompet agent create`); their tokens live in staff_sessions, apart from users'.

// Staff roles.
const (
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
)

// Staff statuses.
const (
	StaffActive   = "active"
	StaffLocked   = "locked"
	StaffDisabled = "disabled"
)

// Teams every Dompet starts with (API.md); staff belong to one.
var Teams = []string{"accounts", "payments", "general"}

// DefaultTeam is the team of staff created without one.
const DefaultTeam = "general"

// Staff is a staff member as the API shows it; the password hash and TOTP secret never leave
// the package.
type Staff struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role" enum:"agent,supervisor,admin"`
	Team      string    `json:"team"`
	Status    string    `json:"status" enum:"active,locked,disabled"`
	CreatedAt time.Time `json:"created_at"`

	FailedLogins int        `json:"-"`
	LockedUntil  *time.Time `json:"-"`
}

// CreateStaff creates a staff member with a fresh TOTP secret and returns it with the secret
// (base32, for an authenticator app) and the password, both shown once. An empty password is
// replaced by a generated strong one; a given one must pass the password policy
// (ErrWeakPassword). An empty team is DefaultTeam. A taken email gives ErrAlreadyExists.
func (s *Service) CreateStaff(ctx context.Context, email, name, role, team, password string) (st Staff, totpSecret, pw string, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	name = strings.TrimSpace(name)
	team = strings.TrimSpace(team)
	if team == "" {
		team = DefaultTeam
	}
	var v fault.Validation
	v.Check(validEmail(email), "email", "must be an email address")
	v.Check(validDisplayName(name), "name", "must be 1 to 80 characters of text")
	v.Check(slices.Contains([]string{RoleAgent, RoleSupervisor, RoleAdmin}, role), "role", `must be "agent", "supervisor" or "admin"`)
	v.Check(slices.Contains(Teams, team), "team", "must be one of "+strings.Join(Teams, ", "))
	v.Check(len(password) <= maxPasswordBytes, "password", fmt.Sprintf("must be at most %d bytes", maxPasswordBytes))
	if err := v.Err(); err != nil {
		return Staff{}, "", "", err
	}
	if password == "" {
		if password, err = s.strongPassword(); err != nil {
			return Staff{}, "", "", err
		}
	} else if reason, msg := s.common.passwordProblem(password); reason != "" {
		return Staff{}, "", "", ErrWeakPassword.Because(msg).With("reason", reason)
	}
	secret, _, err := newTOTPKey(email)
	if err != nil {
		return Staff{}, "", "", err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return Staff{}, "", "", err
	}
	now := s.now().UTC()
	st = Staff{ID: id.New("stf"), Email: email, Name: name, Role: role, Team: team, Status: StaffActive, CreatedAt: now}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO staff (id, email, name, role, team, password_hash, totp_secret, totp_last_step,
			status, failed_logins, locked_until, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, 0, NULL, ?, ?)`,
			st.ID, st.Email, st.Name, st.Role, st.Team, hash, secret, st.Status, micros(now), micros(now))
		if err != nil {
			return err
		}
		return appendAudit(ctx, tx, s.staffAudit(ctx, now, "staff.created", st.ID, "",
			map[string]any{"email": email, "role": role, "team": team}))
	})
	if db.IsUniqueViolation(err) {
		return Staff{}, "", "", ErrAlreadyExists.Because("a staff member with this email already exists").With("field", "email")
	}
	if err != nil {
		return Staff{}, "", "", fmt.Errorf("create staff %s: %w", email, err)
	}
	return st, secret, password, nil
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
		if reason, _ := s.common.passwordProblem(pw); reason == "" {
			return pw, nil
		}
	}
}

const staffCols = `id, email, name, role, team, status, failed_logins, locked_until, created_at`

func scanStaff(sc interface{ Scan(...any) error }, extra ...any) (Staff, error) {
	var st Staff
	var locked sql.NullInt64
	var created int64
	dest := append([]any{&st.ID, &st.Email, &st.Name, &st.Role, &st.Team, &st.Status, &st.FailedLogins, &locked, &created}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return Staff{}, err
	}
	st.CreatedAt = fromMicros(created)
	if locked.Valid {
		t := fromMicros(locked.Int64)
		st.LockedUntil = &t
	}
	return st, nil
}

// StaffMember returns the staff member with id, or ErrNotFound.
func (s *Service) StaffMember(ctx context.Context, staffID string) (Staff, error) {
	st, err := scanStaff(s.db.QueryRow(ctx, "SELECT "+staffCols+" FROM staff WHERE id = ?", staffID))
	if errors.Is(err, sql.ErrNoRows) {
		return Staff{}, ErrNotFound
	}
	if err != nil {
		return Staff{}, fmt.Errorf("staff %s: %w", staffID, err)
	}
	return st.asOf(s.now()), nil
}

// ListStaff returns every staff member, by team then name.
func (s *Service) ListStaff(ctx context.Context) ([]Staff, error) {
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

// asOf shows a timed lock that has run out as active.
func (st Staff) asOf(now time.Time) Staff {
	if st.Status == StaffLocked && st.LockedUntil != nil && !now.Before(*st.LockedUntil) {
		st.Status = StaffActive
	}
	return st
}

// staffAudit is an audit entry about staff member target: by the actor in ctx, else Dompet.
func (s *Service) staffAudit(ctx context.Context, at time.Time, action, target, ip string, detail map[string]any) AuditEntry {
	e := AuditEntry{At: at, ActorType: ActorSystem, Action: action, TargetType: "staff", TargetID: target, IP: ip, Detail: detail}
	if a, ok := actorOf(ctx); ok {
		e.ActorType, e.ActorID, e.Reason = a.Type, a.ID, a.Reason
		if e.IP == "" {
			e.IP = a.IP
		}
	}
	return e
}
