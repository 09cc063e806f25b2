package identity

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/secret"
)

// cheap argon2 parameters: tests check behaviour, not cost.
var cheapArgon = Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

// clock is a settable time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	d     *db.DB
	s     *Service
	clock *clock
}

func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	f := &fixture{d: dbtest.Open(t), clock: newClock()}
	if opts.Argon2 == (Argon2Params{}) {
		opts.Argon2 = cheapArgon
	}
	if opts.Now == nil {
		opts.Now = f.clock.Now
	}
	if opts.Secrets == nil {
		opts.Secrets = secret.Ephemeral()
	}
	f.s = New(f.d, opts)
	return f
}

const goodPassword = "Kopi-Susu-42-Gula"

func validInput(n int) RegisterInput {
	return RegisterInput{
		Phone:       fmt.Sprintf("+62812%07d", n),
		Email:       fmt.Sprintf("user%d@example.com", n),
		Password:    goodPassword,
		DisplayName: fmt.Sprintf("User %d", n),
	}
}

// register registers user n, with the phone and email verified.
func (f *fixture) register(t testing.TB, n int) User {
	t.Helper()
	u, err := f.s.Register(context.Background(), validInput(n))
	if err != nil {
		t.Fatalf("register %d: %v", n, err)
	}
	// A fixture user has proved their phone and email (verify_test.go tests how).
	if err := f.s.MarkVerified(context.Background(), u.ID); err != nil {
		t.Fatal(err)
	}
	u.PhoneVerified, u.EmailVerified = true, true
	return u
}

func (f *fixture) login(t testing.TB, login string) Session {
	t.Helper()
	ss, _, err := f.s.Login(context.Background(), LoginInput{Login: login, Password: goodPassword, DeviceID: "dev-1", IP: "203.0.113.7", UserAgent: "test"})
	if err != nil {
		t.Fatalf("login %s: %v", login, err)
	}
	return ss
}

func (f *fixture) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.d.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
