// Package identity owns wallet users and their credentials: registration with a password
// policy, argon2id password hashes computed through a bounded gate, login, opaque session
// tokens (stored only as SHA-256 hashes, cached for a few seconds per process), lockout and
// rate limits, second factors (TOTP, codes by SMS and email, new devices and networks),
// recovery, the payment PIN, and each user's security events (also written to the audit log,
// package audit).
//
// Staff accounts are not here: package staff holds them, sharing this package's credential
// machinery through the methods of credentials.go.
package identity

import (
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/secret"
)

// Failures of this package, with the codes of API.md.
var (
	ErrAlreadyExists      = fault.New("already_exists", "an account with this phone or email already exists")
	ErrWeakPassword       = fault.New("weak_password", "the password is too weak")
	ErrInvalidCredentials = fault.New("invalid_credentials", "the login or the password is wrong")
	ErrUnauthenticated    = fault.New("unauthenticated", "the session is missing, expired or revoked")
	ErrNotFound           = fault.New("not_found", "not found")
	ErrAccountLocked      = fault.New("account_locked", "the account is locked")
	// ErrSecondFactorRequired carries "methods": the second factors the login may use.
	ErrSecondFactorRequired = fault.New("second_factor_required", "a one-time code is required to log in")
	ErrInvalidCode          = fault.New("invalid_code", "the code is wrong, expired or already used")
	ErrInvalidState         = fault.New("invalid_state", "not possible in the current state")
)

// Locales a user may choose.
const (
	LocaleEN   = "en"
	LocaleZhCN = "zh-CN"
)

// Tier is the verification level of a user; limits depend on it.
type Tier string

const (
	TierBasic    Tier = "basic"
	TierVerified Tier = "verified"
)

// Status says whether a user may log in and move money.
type Status string

const (
	StatusActive     Status = "active"
	StatusLocked     Status = "locked"
	StatusRestricted Status = "restricted"
)

// Kinds of security events.
const (
	EventRegister        = "register"
	EventLogin           = "login"
	EventLoginFailed     = "login_failed"
	EventLogout          = "logout"
	EventSessionsRevoked = "sessions_revoked"
	EventTierChanged     = "tier_changed"
)

// User is a wallet user as GET /api/v1/me shows it; the password hash never leaves the package.
type User struct {
	ID    string `json:"id"`
	Phone string `json:"phone"`
	Email string `json:"email"`
	// PhoneVerified and EmailVerified: the user typed in a code sent there (verify.go). Money
	// leaves the wallet only once the phone is verified; recovery uses only verified ones.
	PhoneVerified bool      `json:"phone_verified" doc:"the code sent by SMS was typed in; money goes out only once true"`
	EmailVerified bool      `json:"email_verified" doc:"the code sent by email was typed in; recovery by email needs it"`
	DisplayName   string    `json:"display_name"`
	Locale        string    `json:"locale"`
	Tier          Tier      `json:"tier"`
	TwoFactor     TwoFactor `json:"two_factor"`
	Status        Status    `json:"status"`

	FailedLogins      int        `json:"-"` // consecutive wrong passwords since the last login
	LockedUntil       *time.Time `json:"-"` // with StatusLocked; nil: only recovery unlocks
	PasswordChangedAt time.Time  `json:"-"`
	CreatedAt         time.Time  `json:"-"`
	UpdatedAt         time.Time  `json:"-"`
}

// TwoFactor tells which second factors a user has on. Methods is never nil, so it encodes as [].
type TwoFactor struct {
	Enabled bool     `json:"enabled"`
	Methods []string `json:"methods"`
}

// clone returns a copy sharing no memory with u, for values handed out of the session cache.
func (u User) clone() User {
	u.TwoFactor.Methods = slices.Clone(u.TwoFactor.Methods)
	if u.TwoFactor.Methods == nil {
		u.TwoFactor.Methods = []string{}
	}
	if u.LockedUntil != nil {
		t := *u.LockedUntil
		u.LockedUntil = &t
	}
	return u
}

// Options tune a Service. The zero value gives production settings.
type Options struct {
	Argon2              Argon2Params     // zero: defaultArgon2; tests pass cheaper ones
	SessionTTL          time.Duration    // zero: 30 days
	CacheTTL            time.Duration    // how long Authenticate trusts a cached session; zero: 5 s, negative: no cache
	MaxConcurrentHashes int              // argon2 computations at once; zero: GOMAXPROCS
	Now                 func() time.Time // nil: time.Now; tests move the clock
	Log                 *slog.Logger     // nil: slog.Default()
	// Notify sends codes and security alerts by SMS and email; nil: they are only logged.
	Notify notify.Sender
	// Outbox, when set, makes security alerts durable: each is written (notify.Row) in the
	// transaction of the change it reports, and Outbox.Notify wakes the dispatcher after the
	// commit; the dispatcher sends it (app registers notify.Handler). Nil: alerts go through
	// Notify after the commit, from memory (package tests, tools without a dispatcher).
	// One-time codes always go through Notify: they must not sit in clear on disk.
	Outbox Waker

	// Access controls (lockout.go, ratelimit.go, password.go); zero values take the defaults.
	LockoutThreshold int           // consecutive wrong passwords that lock; zero: 5
	LockoutDuration  time.Duration // how long such a lock lasts; zero: 30 min
	PasswordMaxAge   time.Duration // older passwords are due for a change; zero: 180 days, negative: never
	RateLimits       RateLimits

	// DefaultCountry reads local phone numbers ("0812…" → "+62812…"): an ISO 3166 alpha-2
	// code; "": ID.
	DefaultCountry string

	// Secrets seals TOTP secrets at rest (totp.go): the server's key, which the app passes.
	// nil: enrolling and checking TOTP fail (never a throwaway key that would lose them).
	Secrets *secret.Box
}

// Service is the identity domain on one store.
type Service struct {
	db      *db.DB
	argon   Argon2Params
	ttl     time.Duration
	now     func() time.Time
	log     *slog.Logger
	common  commonList
	gate    hashGate
	cache   *sessionCache // nil when disabled
	notify  notify.Sender
	outbox  Waker       // nil: alerts from memory
	box     *secret.Box // seals TOTP secrets
	country string      // of local phone numbers

	acc *access // lockout, rate limits, recovery and PIN settings and state

	dummyOnce sync.Once
	dummyHash string // verified against when a login names no user, to take the same time

	verifications atomic.Int64 // argon2 verifications done, so tests can see the work without timing it
}

// New returns the identity service on d.
func New(d *db.DB, opts Options) *Service {
	s := &Service{
		db:      d,
		argon:   opts.Argon2.withDefaults(),
		ttl:     opts.SessionTTL,
		now:     opts.Now,
		log:     opts.Log,
		common:  parseCommonList(commonPasswordsTxt),
		notify:  opts.Notify,
		outbox:  opts.Outbox,
		acc:     newAccess(opts),
		box:     opts.Secrets,
		country: opts.DefaultCountry,
	}
	if s.country == "" {
		s.country = DefaultCountry
	}
	if s.ttl <= 0 {
		s.ttl = 30 * 24 * time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.notify == nil {
		s.notify = notify.Log{L: s.log}
	}
	n := opts.MaxConcurrentHashes
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	s.gate = make(hashGate, n)
	switch {
	case opts.CacheTTL == 0:
		s.cache = newSessionCache(5*time.Second, 100_000)
	case opts.CacheTTL > 0:
		s.cache = newSessionCache(opts.CacheTTL, 100_000)
	}
	return s
}

// micros and fromMicros convert between times and the unix microseconds stored in tables.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }
