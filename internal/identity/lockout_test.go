package identity

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/notify"
)

// outbox records what the service sends, in place of SMS and email.
type outbox struct {
	mu   sync.Mutex
	msgs []notify.Message
}

func (o *outbox) Send(_ context.Context, m notify.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// of returns the messages of kind sent so far, after waiting for those on their way.
func (o *outbox) of(s *Service, kind string) []notify.Message {
	s.acc.pending.Wait()
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []notify.Message
	for _, m := range o.msgs {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

var codeRE = regexp.MustCompile(`\b\d{6}\b`)

// code is the code in the last message of kind, failing the test when there is none.
func (o *outbox) code(t testing.TB, s *Service, kind string) string {
	t.Helper()
	ms := o.of(s, kind)
	if len(ms) == 0 {
		t.Fatalf("no %s message sent", kind)
	}
	c := codeRE.FindString(ms[len(ms)-1].Text)
	if c == "" {
		t.Fatalf("no code in %q", ms[len(ms)-1].Text)
	}
	return c
}

// newAccessFixture is newFixture with an outbox for notifications.
func newAccessFixture(t testing.TB, opts Options) (*fixture, *outbox) {
	t.Helper()
	box := &outbox{}
	opts.Notify = box
	return newFixture(t, opts), box
}

func wantFault(t testing.TB, err error, code string) *fault.Error {
	t.Helper()
	f, ok := fault.As(err)
	if !ok || f.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	return f
}

func (f *fixture) wrongLogin(login, ip string) error {
	_, _, err := f.s.Login(context.Background(), LoginInput{Login: login, Password: "Not-The-Password-1", IP: ip, DeviceID: "dev-x"})
	return err
}

func (f *fixture) eventKinds(t testing.TB, userID string) []string {
	t.Helper()
	evs, err := f.s.SecurityEvents(context.Background(), userID, 200)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

func countKind(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func TestLockoutAfterFiveWrongPasswords(t *testing.T) {
	f, box := newAccessFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	before := f.login(t, u.Phone)

	for i := 1; i <= 4; i++ {
		f.clock.Advance(time.Second)
		fe := wantFault(t, f.wrongLogin(u.Email, fmt.Sprintf("198.51.100.%d", i)), "invalid_credentials")
		if got := fe.Fields["attempts_remaining"]; got != 5-i {
			t.Fatalf("failure %d: attempts_remaining %v, want %d", i, got, 5-i)
		}
	}
	f.clock.Advance(time.Second)
	lockedAtTime := f.clock.Now()
	fe := wantFault(t, f.wrongLogin(u.Phone, "198.51.100.9"), "account_locked")
	until, ok := fe.Fields["locked_until"].(time.Time)
	if !ok || !until.Equal(lockedAtTime.Add(30*time.Minute)) {
		t.Fatalf("locked_until %v, want %v", fe.Fields["locked_until"], lockedAtTime.Add(30*time.Minute))
	}

	// The right password gets 423 too, for 30 minutes.
	f.clock.Advance(29 * time.Minute)
	_, _, err := f.s.Login(ctx, LoginInput{Login: u.Email, Password: goodPassword, IP: "203.0.113.1"})
	if fe := wantFault(t, err, "account_locked"); fe.Fields["locked_until"] != until {
		t.Fatalf("locked_until changed: %v", fe.Fields["locked_until"])
	}

	// The session opened before the lock still works and shows the lock.
	p, err := f.s.Authenticate(ctx, before.Token)
	if err != nil {
		t.Fatalf("existing session after lock: %v", err)
	}
	if p.User.Status != StatusLocked {
		t.Fatalf("status %q, want locked", p.User.Status)
	}

	kinds := f.eventKinds(t, u.ID)
	if countKind(kinds, EventLoginFailed) != 5 || countKind(kinds, EventAccountLocked) != 1 {
		t.Fatalf("events %v: want 5 login_failed and 1 account_locked", kinds)
	}
	alerts := box.of(f.s, KindAccountLocked)
	if len(alerts) != 1 || alerts[0].Channel != notify.SMS || alerts[0].To != u.Phone || !strings.Contains(alerts[0].Text, "locked") {
		t.Fatalf("lock alerts %+v", alerts)
	}

	// When the lock runs out the right password works, and the count starts again.
	f.clock.Advance(time.Minute)
	f.login(t, u.Email)
	got, _ := f.s.User(ctx, u.ID)
	if got.Status != StatusActive || got.LockedUntil != nil || got.FailedLogins != 0 {
		t.Fatalf("after the lock: status %s locked_until %v failed %d", got.Status, got.LockedUntil, got.FailedLogins)
	}
	fe = wantFault(t, f.wrongLogin(u.Email, "198.51.100.1"), "invalid_credentials")
	if fe.Fields["attempts_remaining"] != 4 {
		t.Fatalf("attempts_remaining %v after the lock ran out, want 4", fe.Fields["attempts_remaining"])
	}
}

func TestLockoutIsConfigurableAndLocalized(t *testing.T) {
	f, box := newAccessFixture(t, Options{LockoutThreshold: 3, LockoutDuration: time.Hour})
	in := validInput(1)
	in.Locale = LocaleZhCN
	u, err := f.s.Register(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	wantFault(t, f.wrongLogin(u.Email, "192.0.2.1"), "invalid_credentials")
	wantFault(t, f.wrongLogin(u.Email, "192.0.2.1"), "invalid_credentials")
	fe := wantFault(t, f.wrongLogin(u.Email, "192.0.2.1"), "account_locked")
	if until := fe.Fields["locked_until"].(time.Time); !until.Equal(f.clock.Now().Add(time.Hour)) {
		t.Fatalf("locked_until %v", until)
	}
	alerts := box.of(f.s, KindAccountLocked)
	if len(alerts) != 1 || !strings.Contains(alerts[0].Text, "锁定") {
		t.Fatalf("zh-CN alert %+v", alerts)
	}
}

func TestLockoutUnderConcurrentGuesses(t *testing.T) {
	f, _ := newAccessFixture(t, Options{})
	u := f.register(t, 1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := map[string]int{}
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := f.wrongLogin(u.Phone, fmt.Sprintf("198.51.100.%d", i))
			mu.Lock()
			answers[fault.Code(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if answers["invalid_credentials"] != 4 || answers["account_locked"] != 6 {
		t.Fatalf("answers %v: want 4 invalid_credentials then 6 account_locked", answers)
	}
	if n := countKind(f.eventKinds(t, u.ID), EventAccountLocked); n != 1 {
		t.Fatalf("%d account_locked events, want 1", n)
	}
}

// An unknown login answers exactly like a real account: attempts_remaining counting down,
// then account_locked for 30 minutes.
func TestUnknownLoginLooksLikeAnAccount(t *testing.T) {
	f, _ := newAccessFixture(t, Options{})
	u := f.register(t, 1)
	for _, login := range []string{u.Email, "ghost@example.com"} {
		var seq []string
		for range 6 {
			f.clock.Advance(time.Second)
			fe, _ := fault.As(f.wrongLogin(login, "192.0.2.77"))
			seq = append(seq, fmt.Sprintf("%s:%v:%v", fe.Code, fe.Fields["attempts_remaining"], fe.Fields["locked_until"] != nil))
		}
		want := "invalid_credentials:4:false invalid_credentials:3:false invalid_credentials:2:false invalid_credentials:1:false account_locked:<nil>:true account_locked:<nil>:true"
		if got := strings.Join(seq, " "); got != want {
			t.Errorf("%s:\n got %s\nwant %s", login, got, want)
		}
	}
	f.clock.Advance(31 * time.Minute)
	wantFault(t, f.wrongLogin("ghost@example.com", "192.0.2.78"), "invalid_credentials")
}

func TestLockKeepsRestriction(t *testing.T) {
	f, _ := newAccessFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	if _, err := f.d.Exec(ctx, "UPDATE users SET status = 'restricted' WHERE id = ?", u.ID); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		wantFault(t, f.wrongLogin(u.Email, "192.0.2.1"), "invalid_credentials")
	}
	wantFault(t, f.wrongLogin(u.Email, "192.0.2.1"), "account_locked")
	_, _, err := f.s.Login(ctx, LoginInput{Login: u.Email, Password: goodPassword, DeviceID: "dev-1"})
	wantFault(t, err, "account_locked")
	if got, _ := f.s.User(ctx, u.ID); got.Status != StatusRestricted {
		t.Fatalf("status %s, want restricted kept", got.Status)
	}
	f.clock.Advance(31 * time.Minute)
	f.login(t, u.Email)
	if got, _ := f.s.User(ctx, u.ID); got.Status != StatusRestricted || got.LockedUntil != nil {
		t.Fatalf("after the lock: status %s locked_until %v", got.Status, got.LockedUntil)
	}
}

func TestRateLimitedLoginsCostNothing(t *testing.T) {
	f, _ := newAccessFixture(t, Options{RateLimits: RateLimits{LoginPerIP: RateLimit{Every: time.Minute, Burst: 3}}})
	u := f.register(t, 1)
	for range 3 {
		wantFault(t, f.wrongLogin(u.Email, "192.0.2.5"), "invalid_credentials")
	}
	fe := wantFault(t, f.wrongLogin(u.Email, "192.0.2.5"), "rate_limited")
	if d, ok := fe.Fields["retry_after"].(time.Duration); !ok || d <= 0 || d > time.Minute {
		t.Fatalf("retry_after %v", fe.Fields["retry_after"])
	}
	if got, _ := f.s.User(context.Background(), u.ID); got.FailedLogins != 3 {
		t.Fatalf("failed_logins %d: a throttled attempt must not count", got.FailedLogins)
	}
	if !errors.Is(f.wrongLogin(u.Email, "192.0.2.6"), ErrInvalidCredentials) {
		t.Fatal("another address is not throttled")
	}
}
