package identity

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/notify"
)

// recorder is a notify.Sender that keeps what it was given.
type recorder struct {
	mu   sync.Mutex
	sent []notify.Message
}

func (r *recorder) Send(_ context.Context, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return nil
}

// ofKind returns the messages of kind, oldest first.
func (r *recorder) ofKind(kind string) []notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []notify.Message
	for _, m := range r.sent {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

var sixDigitRE = regexp.MustCompile(`\b\d{6}\b`)

// lastCode is the code of the latest login_code message, failing when there is none.
func (r *recorder) lastCode(t testing.TB) (notify.Message, string) {
	t.Helper()
	ms := r.ofKind("login_code")
	if len(ms) == 0 {
		t.Fatal("no login code was sent")
	}
	m := ms[len(ms)-1]
	code := sixDigitRE.FindString(m.Text)
	if code == "" {
		t.Fatalf("no code in %q", m.Text)
	}
	return m, code
}

// oathtool is an independent TOTP implementation (Debian's oathtool): the code of secret at
// at. Missing, it fails the test on CI and skips it elsewhere.
func oathtool(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("oathtool is required on CI (apt-get install oathtool): %v", err)
		}
		t.Skip("oathtool not installed (apt-get install oathtool)")
	}
	out, err := exec.Command(path, "--totp", "-b", "--now", at.UTC().Format("2006-01-02 15:04:05 UTC"), secret).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	code := strings.TrimSpace(string(out))
	if len(code) != 6 {
		t.Fatalf("oathtool printed %q", out)
	}
	return code
}

// twoFactorFixture is a fixture whose notifications are recorded.
func newTwoFactorFixture(t testing.TB) (*fixture, *recorder) {
	t.Helper()
	rec := &recorder{}
	return newFixture(t, Options{Notify: rec}), rec
}

// enableTOTP turns two-factor on for u with oathtool's code and returns the secret and the
// recovery codes.
func (f *fixture) enableTOTP(t testing.TB, u User) (string, []string) {
	t.Helper()
	ctx := context.Background()
	en, err := f.s.EnrollTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := f.s.ConfirmTOTP(ctx, u.ID, oathtool(t, en.Secret, f.clock.Now()))
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	return en.Secret, codes
}

// loginWith logs u's phone in with the good password from device and ip, with otp.
func (f *fixture) loginWith(device, ip, otp string) (Session, User, error) {
	return f.s.Login(context.Background(), LoginInput{Login: "+628120000001", Password: goodPassword,
		DeviceID: device, IP: ip, UserAgent: "test-agent", OTP: otp})
}

func wantCode(t testing.TB, err error, code string) *fault.Error {
	t.Helper()
	fe, ok := fault.As(err)
	if !ok || fe.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	return fe
}

func wantMethods(t testing.TB, err error, want ...string) *fault.Error {
	t.Helper()
	fe := wantCode(t, err, "second_factor_required")
	got, _ := fe.Fields["methods"].([]string)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("methods %v, want %v", got, want)
	}
	if !errors.Is(err, ErrSecondFactorRequired) {
		t.Fatal("not ErrSecondFactorRequired")
	}
	return fe
}
