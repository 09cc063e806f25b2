package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/identity"
)

// limitEnv is Dompet with the default rate budgets (or cfg's), a clock the test moves, and
// requests sent in process from any peer address.
type limitEnv struct {
	api *Server
	mu  sync.Mutex
	now time.Time
	seq int
}

func newLimitEnv(t *testing.T, adjust func(*config.Config)) *limitEnv {
	t.Helper()
	e := &limitEnv{now: time.Now()}
	cfg := config.Default()
	if adjust != nil {
		adjust(&cfg)
	}
	a, err := app.New(context.Background(), cfg, nil, app.Options{DB: dbtest.Open(t),
		Identity: identity.Options{Argon2: identity.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}, Now: e.clock}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	if e.api, err = New(Options{Config: cfg, DB: a.DB, Identity: a.Identity, Merchants: a.Merchants, Wallet: a.Wallet, Inbox: a.Inbox}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *limitEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *limitEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func (e *limitEnv) send(method, path, peer, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = peer
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.api.ServeHTTP(rec, req)
	return rec
}

// register sends a registration of a new person; it returns the answer and their email.
func (e *limitEnv) register(peer string, header ...string) (*httptest.ResponseRecorder, string) {
	e.mu.Lock()
	e.seq++
	n := e.seq
	e.mu.Unlock()
	email := fmt.Sprintf("office%d@example.com", n)
	body := fmt.Sprintf(`{"phone":"+62815%08d","email":%q,"password":%q,"display_name":"Staff %d"}`, n, email, e2ePassword, n)
	return e.send("POST", "/api/v1/auth/register", peer, body, header...), email
}

// TestOfficeBehindOneAddress: with the default budgets, 20 people behind one office router
// register and log in within a minute, every one of them.
func TestOfficeBehindOneAddress(t *testing.T) {
	e := newLimitEnv(t, nil)
	const office = "198.51.100.20:40000"
	for i := range 20 {
		rec, email := e.register(office)
		if rec.Code != http.StatusCreated {
			t.Fatalf("person %d registering: %d %s", i, rec.Code, rec.Body)
		}
		rec = e.send("POST", "/api/v1/auth/login", office,
			fmt.Sprintf(`{"login":%q,"password":%q,"device_id":"laptop-%d"}`, email, e2ePassword, i))
		if rec.Code != http.StatusOK {
			t.Fatalf("person %d logging in: %d %s", i, rec.Code, rec.Body)
		}
		e.advance(2900 * time.Millisecond) // 20 people in 58 s
	}
}

// TestRegisterFloodIsThrottled: registrations from one address get 429 with Retry-After once
// the budget is spent (loopback included: it is no longer exempt), while another address
// still registers; the budget is a setting.
func TestRegisterFloodIsThrottled(t *testing.T) {
	e := newLimitEnv(t, func(c *config.Config) { c.RateRegisterPerIP = config.Rate{N: 5, Per: time.Minute} })
	for _, flooder := range []string{"203.0.113.66:1234", "127.0.0.1:5555"} {
		codes := map[int]int{}
		var last *httptest.ResponseRecorder
		for range 12 {
			last, _ = e.register(flooder)
			codes[last.Code]++
		}
		if codes[http.StatusCreated] != 5 || codes[http.StatusTooManyRequests] != 7 {
			t.Fatalf("%s: %v", flooder, codes)
		}
		if p := problemOf(t, last); p["code"] != "rate_limited" {
			t.Fatalf("%s: %v", flooder, p)
		}
		if ra, err := strconv.Atoi(last.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 12 {
			t.Fatalf("%s: Retry-After %q", flooder, last.Header().Get("Retry-After"))
		}
	}
	if rec, _ := e.register("192.0.2.44:1"); rec.Code != http.StatusCreated {
		t.Fatalf("another address: %d %s", rec.Code, rec.Body)
	}
	e.advance(12 * time.Second) // one registration's worth of budget comes back
	if rec, _ := e.register("203.0.113.66:1234"); rec.Code != http.StatusCreated {
		t.Fatalf("after the wait: %d %s", rec.Code, rec.Body)
	}
}

// TestForwardedForOnlyFromTrustedProxies: behind a trusted proxy each forwarded client has
// its own budget; a client that is not a trusted proxy cannot pick its address by writing
// X-Forwarded-For.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	e := newLimitEnv(t, func(c *config.Config) {
		c.RateRegisterPerIP = config.Rate{N: 2, Per: time.Hour}
		c.TrustedProxies, _ = config.ParsePrefixes("127.0.0.1, 10.0.0.0/8")
	})
	// Through the proxy: three clients, two registrations each, all within budget.
	for i := range 3 {
		for range 2 {
			rec, _ := e.register("127.0.0.1:8000", "X-Forwarded-For", fmt.Sprintf("6.6.6.6, 198.51.100.%d, 10.1.1.1", i))
			if rec.Code != http.StatusCreated {
				t.Fatalf("client %d behind the proxy: %d %s", i, rec.Code, rec.Body)
			}
		}
	}
	if rec, _ := e.register("127.0.0.1:8000", "X-Forwarded-For", "198.51.100.0"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("client 0's third registration: %d", rec.Code)
	}
	// Straight from the internet: the header is ignored, the peer's budget is spent.
	codes := map[int]int{}
	for i := range 4 {
		rec, _ := e.register("203.0.113.9:1", "X-Forwarded-For", fmt.Sprintf("192.0.2.%d", i))
		codes[rec.Code]++
	}
	if codes[http.StatusCreated] != 2 || codes[http.StatusTooManyRequests] != 2 {
		t.Fatalf("spoofed X-Forwarded-For: %v", codes)
	}
}

// TestBodyLimitsPerRoute: JSON routes take 1 MB, the attachment upload 10 MB and its
// envelope; larger is 413 too_large from the front, before authentication or decoding.
func TestBodyLimitsPerRoute(t *testing.T) {
	e := newLimitEnv(t, nil)
	big := strings.Repeat(" ", 2<<20)
	rec := e.send("POST", "/api/v1/auth/login", "192.0.2.1:1", `{"login":"a"}`+big)
	if rec.Code != http.StatusRequestEntityTooLarge || problemOf(t, rec)["code"] != "too_large" {
		t.Fatalf("2 MB of JSON: %d %s", rec.Code, rec.Body)
	}
	// 2 MB is fine for the upload route: it reaches authentication (no token: 401).
	rec = e.send("POST", "/api/v1/attachments", "192.0.2.1:1", big, "Content-Type", "multipart/form-data; boundary=x")
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("2 MB upload: %d %s", rec.Code, rec.Body)
	}
	rec = e.send("POST", "/api/v1/attachments", "192.0.2.1:1", strings.Repeat("x", 11<<20), "Content-Type", "multipart/form-data; boundary=x")
	if rec.Code != http.StatusRequestEntityTooLarge || problemOf(t, rec)["code"] != "too_large" {
		t.Fatalf("11 MB upload: %d %s", rec.Code, rec.Body)
	}
}
