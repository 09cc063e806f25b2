package staff

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/identity"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

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

// gcmSealer is a real AES-GCM sealer, as secret.Box will be, so that tests see what the
// column holds with encryption on.
type gcmSealer struct{ aead cipher.AEAD }

func newGCMSealer(t testing.TB) gcmSealer {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return gcmSealer{g}
}

func (s gcmSealer) Seal(p, aad []byte) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return "gcm:" + base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, p, aad)), nil
}

func (s gcmSealer) Open(sealed string, aad []byte) ([]byte, error) {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "gcm:"))
	if err != nil || len(raw) < s.aead.NonceSize() {
		return nil, errors.New("not sealed")
	}
	n := s.aead.NonceSize()
	return s.aead.Open(nil, raw[:n], raw[n:], aad)
}

type fixture struct {
	d     *db.DB
	ids   *identity.Service
	s     *Service
	clock *clock
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{d: dbtest.Open(t), clock: &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}}
	f.ids = identity.New(f.d, identity.Options{Argon2: identity.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}, Now: f.clock.Now})
	f.s = New(f.d, f.ids, Options{Now: f.clock.Now, Sealer: newGCMSealer(t)})
	return f
}

func (f *fixture) create(t testing.TB, email, role string) (Staff, string, string) {
	t.Helper()
	st, secret, pw, err := f.s.Create(context.Background(), email, "Sari Agent", role, "", "")
	if err != nil {
		t.Fatalf("create staff: %v", err)
	}
	return st, secret, pw
}

// login logs st in with a fresh code and returns the session.
func (f *fixture) login(t testing.TB, st Staff, secret, pw string) Session {
	t.Helper()
	f.clock.Advance(time.Minute) // a fresh TOTP step
	ss, _, err := f.s.Login(context.Background(), LoginInput{Email: st.Email, Password: pw, OTP: oathtool(t, secret, f.clock.Now())})
	if err != nil {
		t.Fatalf("login %s: %v", st.Email, err)
	}
	return ss
}

func (f *fixture) principal(t testing.TB, st Staff, secret, pw string) Principal {
	t.Helper()
	p, err := f.s.Authenticate(context.Background(), f.login(t, st, secret, pw).Token)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.d.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// oathtool computes the TOTP code of secret at at (RFC 6238: HMAC-SHA1, 6 digits, 30 s), an
// implementation independent of Dompet's (which uses pquerna/otp).
func oathtool(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1_000_000)
}

func wantCode(t testing.TB, err error, code string) *fault.Error {
	t.Helper()
	fe, ok := fault.As(err)
	if !ok || fe.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	return fe
}

func ptr[T any](v T) *T { return &v }

func fmtAny(v any) string { return fmt.Sprint(v) }
