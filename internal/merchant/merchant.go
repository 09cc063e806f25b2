// Package merchant keeps the businesses that accept Dompet payments: their API keys (stored
// hashed, shown once), and the signed webhooks that tell them about payments and refunds. Webhooks
// go through the outbox (package outbox): the paying code writes the event row in its own
// transaction, and the outbox dispatcher sends committed rows with retries, so an event is never
// lost and never sent for a payment that rolled back. Webhooks never go to loopback, private,
// link-local or cloud metadata addresses, checked when the URL is saved and again on every
// connection (so DNS cannot point a saved name there later).
package merchant

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/outbox"
)

// Failures of this package, with the codes of API.md.
var (
	ErrUnauthenticated = fault.New("unauthenticated", "the API key is missing, wrong or revoked")
	ErrNotFound        = fault.New("not_found", "").Saying(fault.MsgMerchantUnknown)
)

// The prefixes of merchant API keys, so a leaked key is recognisable (secret scanners) and
// says whether it moves real money: keys made by a server with sandbox providers or demo data
// (Options.Test) say sk_test_. Both have the same length.
const (
	KeyPrefix     = "sk_live_"
	TestKeyPrefix = "sk_test_"
)

// Merchant statuses.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// Merchant is what may be shown about a merchant: never its key hash or webhook secret.
type Merchant struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	WebhookURL string    `json:"webhook_url"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
}

// Created is the result of Create: the only time the API key is ever returned.
type Created struct {
	ID            string `json:"id"`
	APIKey        string `json:"api_key"`
	WebhookSecret string `json:"webhook_secret"`
}

// Options tune a Service; the zero value gives production defaults.
type Options struct {
	// Outbox carries the webhooks: New registers the handler of Topic on it. Nil: webhooks are
	// written (EventRow) but this Service sends none (one-shot commands).
	Outbox *outbox.Outbox
	// Retry is the webhooks' schedule. Default: 10 s after the first failure, then tripling up
	// to 12 h between attempts, 10 attempts (about a day), then the message is dead.
	Retry outbox.Retry
	// Client sends webhooks. Default: 10 s timeout, redirects not followed (a 3xx is a
	// failure), and a dialer that refuses private targets unless AllowPrivateTargets. A Client
	// given here is used as is.
	Client *http.Client
	// AllowPrivateTargets lets webhooks go to loopback, private and link-local addresses
	// (DOMPET_WEBHOOK_ALLOW_PRIVATE: development and tests only).
	AllowPrivateTargets bool
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// AuthCacheTTL is how long Authenticate trusts a key it has looked up, and EventRow a
	// merchant's webhook URL. Default 30 s; negative disables the cache.
	AuthCacheTTL time.Duration
	// Logger receives delivery failures. Default: discard.
	Logger *slog.Logger
	// Test makes new API keys start with TestKeyPrefix: the server runs with sandbox
	// providers or demo data (DOMPET_SANDBOX, DOMPET_DEMO).
	Test bool
}

// Service manages merchants and sends their webhooks.
type Service struct {
	db   *db.DB
	opts Options
	log  *slog.Logger

	mu    sync.Mutex
	cache map[string]cached // key hash or "id:"+id → merchant
}

type cached struct {
	m      Merchant
	url    string // webhook URL, for EventRow
	expire time.Time
}

const maxCached = 10000 // bound memory; the cache is an optimisation only

// New returns a Service on d.
func New(d *db.DB, opts Options) *Service {
	if opts.Client == nil {
		opts.Client = &http.Client{
			Timeout:       10 * time.Second,
			Transport:     webhookTransport(opts.AllowPrivateTargets),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retry == (outbox.Retry{}) {
		opts.Retry = outbox.Retry{First: 10 * time.Second, Factor: 3, Max: 12 * time.Hour, Attempts: 10}
	}
	if opts.AuthCacheTTL == 0 {
		opts.AuthCacheTTL = 30 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: d, opts: opts, log: log, cache: map[string]cached{}}
	if opts.Outbox != nil {
		opts.Outbox.Handle(Topic, s.deliver, opts.Retry)
	}
	return s
}

// Create registers a merchant and returns its API key and webhook secret, which are not
// retrievable later. webhookURL may be empty (no webhooks).
func (s *Service) Create(ctx context.Context, name, webhookURL string) (Created, error) {
	return s.create(ctx, name, webhookURL, "")
}

// CreateWithKey is Create with an API key chosen by the caller: the demo loader's, whose
// merchants' keys are published so that they stay the same from one start to the next. Only a
// test key (TestKeyPrefix, at least 32 characters after it) may be chosen.
func (s *Service) CreateWithKey(ctx context.Context, name, webhookURL, apiKey string) (Created, error) {
	if !strings.HasPrefix(apiKey, TestKeyPrefix) || len(apiKey) < len(TestKeyPrefix)+32 || len(apiKey) > 128 {
		return Created{}, fmt.Errorf("create merchant %s: a chosen API key must be a test key (%s…)", name, TestKeyPrefix)
	}
	return s.create(ctx, name, webhookURL, apiKey)
}

func (s *Service) create(ctx context.Context, name, webhookURL, key string) (Created, error) {
	name = strings.TrimSpace(name)
	webhookURL = strings.TrimSpace(webhookURL)
	var v fault.Validation
	n := utf8.RuneCountInString(name)
	v.Check(n >= 1 && n <= 100, "name", fault.MsgNameLength, 1, 100)
	if webhookURL != "" {
		v.Check(validURL(webhookURL), "webhook_url", fault.MsgURL)
		v.Check(s.opts.AllowPrivateTargets || !privateURL(webhookURL), "webhook_url",
			fault.MsgPrivateURL)
	}
	if err := v.Err(); err != nil {
		return Created{}, err
	}
	if key == "" {
		prefix := KeyPrefix
		if s.opts.Test {
			prefix = TestKeyPrefix
		}
		key = prefix + randomToken()
	}
	c := Created{ID: id.New("mch"), APIKey: key, WebhookSecret: "whsec_" + randomToken()}
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return insertMerchant(ctx, tx, c.ID, name, hashKey(key), key[:len(KeyPrefix)+8],
			webhookURL, c.WebhookSecret, s.opts.Now().UnixMicro())
	})
	if err != nil {
		return Created{}, fmt.Errorf("create merchant %s: %w", c.ID, err)
	}
	return c, nil
}

// Authenticate returns the active merchant whose API key is apiKey, or ErrUnauthenticated.
// It is on the path of every merchant request, so answers are cached for AuthCacheTTL: a
// disabled merchant may keep working that long.
func (s *Service) Authenticate(ctx context.Context, apiKey string) (Merchant, error) {
	if !(strings.HasPrefix(apiKey, KeyPrefix) || strings.HasPrefix(apiKey, TestKeyPrefix)) || len(apiKey) > 128 {
		return Merchant{}, ErrUnauthenticated
	}
	h := hashKey(apiKey)
	if c, ok := s.cached(h); ok {
		return c.m, nil
	}
	m, url, err := s.merchantByKeyHash(ctx, h)
	if errors.Is(err, db.ErrNotFound) {
		return Merchant{}, ErrUnauthenticated
	}
	if err != nil {
		return Merchant{}, fmt.Errorf("authenticate merchant: %w", err)
	}
	if m.Status != StatusActive {
		return Merchant{}, ErrUnauthenticated
	}
	s.remember(h, m, url)
	return m, nil
}

// Get returns the merchant id, or ErrNotFound. Every payment asks, so answers are briefly
// cached like webhook URLs.
func (s *Service) Get(ctx context.Context, id string) (Merchant, error) {
	k := "id:" + id
	if c, ok := s.cached(k); ok {
		return c.m, nil
	}
	m, url, err := s.merchantByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return Merchant{}, ErrNotFound
	}
	if err != nil {
		return Merchant{}, fmt.Errorf("get merchant %s: %w", id, err)
	}
	s.remember(k, m, url)
	return m, nil
}

// webhookURL returns the merchant's webhook URL ("" for none), briefly cached because every
// payment asks.
func (s *Service) webhookURL(ctx context.Context, merchantID string) (string, error) {
	k := "id:" + merchantID
	if c, ok := s.cached(k); ok {
		return c.url, nil
	}
	m, url, err := s.merchantByID(ctx, merchantID)
	if errors.Is(err, db.ErrNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("merchant %s: %w", merchantID, err)
	}
	s.remember(k, m, url)
	return url, nil
}

func (s *Service) cached(k string) (cached, bool) {
	if s.opts.AuthCacheTTL < 0 {
		return cached{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cache[k]
	if !ok || !s.opts.Now().Before(c.expire) {
		return cached{}, false
	}
	return c, true
}

func (s *Service) remember(k string, m Merchant, url string) {
	if s.opts.AuthCacheTTL < 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cache) >= maxCached {
		clear(s.cache)
	}
	s.cache[k] = cached{m: m, url: url, expire: s.opts.Now().Add(s.opts.AuthCacheTTL)}
}

func validURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// randomToken is 32 random bytes in unpadded base64url (43 characters).
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}
