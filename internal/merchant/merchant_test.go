package merchant

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/outbox"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestCreateAllowsPrivateTargetsWhenSet(t *testing.T) {
	s := New(dbtest.Open(t), Options{AllowPrivateTargets: true})
	for _, u := range []string{"http://127.0.0.1:9000/h", "http://localhost/h", "http://10.0.0.7/h"} {
		if _, err := s.Create(context.Background(), "Dev", u); err != nil {
			t.Errorf("Create(%q) with private targets allowed: %v", u, err)
		}
	}
}

func TestCreateValidates(t *testing.T) {
	s := New(dbtest.Open(t), Options{})
	ctx := context.Background()
	tests := []struct {
		name, url string
		bad       []string // fields reported invalid; none means success
	}{
		{"Toko Budi", "", nil},
		{"Toko Budi", "https://shop.example/hooks/dompet?x=1", nil},
		{"  Warung  ", "http://203.0.113.9:9000/h", nil},
		{"Toko", "http://127.0.0.1:9000/h", []string{"webhook_url"}},
		{"Toko", "http://localhost:9000/h", []string{"webhook_url"}},
		{"Toko", "http://shop.localhost/h", []string{"webhook_url"}},
		{"Toko", "http://169.254.169.254/latest/meta-data/", []string{"webhook_url"}},
		{"Toko", "http://[fd00:ec2::254]/", []string{"webhook_url"}},
		{"Toko", "http://100.100.100.200/", []string{"webhook_url"}},
		{"Toko", "https://10.1.2.3/h", []string{"webhook_url"}},
		{"Toko", "https://172.16.0.1/h", []string{"webhook_url"}},
		{"Toko", "https://192.168.1.1/h", []string{"webhook_url"}},
		{"Toko", "http://[::1]:8080/h", []string{"webhook_url"}},
		{"Toko", "http://[::ffff:127.0.0.1]/h", []string{"webhook_url"}},
		{"Toko", "http://[fe80::1]/h", []string{"webhook_url"}},
		{"Toko", "http://0.0.0.0:80/h", []string{"webhook_url"}},
		{"Toko", "http://[::]/h", []string{"webhook_url"}},
		{"Toko", "http://[64:ff9b::7f00:1]/h", []string{"webhook_url"}},
		{strings.Repeat("店", 100), "", nil},
		{"", "", []string{"name"}},
		{"   ", "", []string{"name"}},
		{strings.Repeat("a", 101), "", []string{"name"}},
		{"Toko", "ftp://shop.example/h", []string{"webhook_url"}},
		{"Toko", "/relative/hook", []string{"webhook_url"}},
		{"Toko", "https://", []string{"webhook_url"}},
		{"Toko", "shop.example/hook", []string{"webhook_url"}},
		{"Toko", "http://[::1", []string{"webhook_url"}},
		{"", "mailto:a@b.c", []string{"name", "webhook_url"}},
	}
	for _, tc := range tests {
		c, err := s.Create(ctx, tc.name, tc.url)
		if tc.bad == nil {
			if err != nil {
				t.Errorf("Create(%q, %q): %v", tc.name, tc.url, err)
				continue
			}
			m, err := s.Get(ctx, c.ID)
			if err != nil {
				t.Errorf("Get(%s): %v", c.ID, err)
				continue
			}
			if m.Name != strings.TrimSpace(tc.name) || m.WebhookURL != tc.url || m.Status != StatusActive {
				t.Errorf("Create(%q, %q) stored %+v", tc.name, tc.url, m)
			}
			continue
		}
		fe, ok := fault.As(err)
		if !ok || fe.Code != "invalid_request" {
			t.Errorf("Create(%q, %q): got %v, want invalid_request", tc.name, tc.url, err)
			continue
		}
		var fields []string
		for _, e := range fe.Errs {
			fields = append(fields, e.Field)
		}
		if !slices.Equal(fields, tc.bad) {
			t.Errorf("Create(%q, %q): invalid fields %v, want %v", tc.name, tc.url, fields, tc.bad)
		}
	}
}

func TestCreateShapeAndHashedKey(t *testing.T) {
	d := dbtest.Open(t)
	s := New(d, Options{})
	ctx := context.Background()
	c, err := s.Create(ctx, "Toko Budi", "https://shop.example/hook")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(c)
	var asMap map[string]string
	if err := json.Unmarshal(b, &asMap); err != nil {
		t.Fatal(err)
	}
	if asMap["id"] != c.ID || asMap["api_key"] != c.APIKey || asMap["webhook_secret"] != c.WebhookSecret || len(asMap) != 3 {
		t.Fatalf("Created JSON = %s", b)
	}
	raw, ok := strings.CutPrefix(c.APIKey, "sk_live_")
	if !ok {
		t.Fatalf("api key %q lacks sk_live_", c.APIKey)
	}
	if k, err := base64.RawURLEncoding.DecodeString(raw); err != nil || len(k) != 32 {
		t.Fatalf("api key body %q: %d bytes, %v", raw, len(k), err)
	}
	// A server with sandbox providers or demo data makes test keys, and accepts them.
	ts := New(d, Options{Test: true})
	tc, err := ts.Create(ctx, "Toko Uji", "")
	if err != nil || !strings.HasPrefix(tc.APIKey, "sk_test_") {
		t.Fatalf("test-mode key %q, %v", tc.APIKey, err)
	}
	if m, err := ts.Authenticate(ctx, tc.APIKey); err != nil || m.ID != tc.ID {
		t.Fatalf("test key refused: %v", err)
	}
	// The demo loader chooses its keys: test keys only.
	for _, bad := range []string{"sk_live_" + strings.Repeat("a", 40), "sk_test_short", ""} {
		if _, err := ts.CreateWithKey(ctx, "Toko Demo", "", bad); err == nil {
			t.Fatalf("chosen key %q accepted", bad)
		}
	}
	chosen := "sk_test_" + strings.Repeat("d", 40)
	if c, err := s.CreateWithKey(ctx, "Toko Demo", "", chosen); err != nil || c.APIKey != chosen {
		t.Fatalf("chosen key: %+v %v", c, err)
	} else if m, err := s.Authenticate(ctx, chosen); err != nil || m.ID != c.ID {
		t.Fatalf("chosen key refused: %v", err)
	}
	other, err := s.Create(ctx, "Toko Lain", "")
	if err != nil {
		t.Fatal(err)
	}
	if other.APIKey == c.APIKey || other.WebhookSecret == c.WebhookSecret || other.ID == c.ID {
		t.Fatal("two merchants share a key, secret or id")
	}

	var hash, prefix, secret string
	err = d.QueryRow(ctx, "SELECT api_key_hash, api_key_prefix, webhook_secret FROM merchants WHERE id = ?", c.ID).
		Scan(&hash, &prefix, &secret)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(c.APIKey))
	if hash != hex.EncodeToString(sum[:]) {
		t.Errorf("api_key_hash = %q, want the SHA-256 hex of the key", hash)
	}
	if prefix != c.APIKey[:16] {
		t.Errorf("api_key_prefix = %q, want %q", prefix, c.APIKey[:16])
	}
	if secret != c.WebhookSecret {
		t.Errorf("webhook_secret stored as %q", secret)
	}
	// The raw key appears in no column of any merchant.
	var n int
	err = d.QueryRow(ctx, `SELECT COUNT(*) FROM merchants WHERE id = ? OR name = ? OR api_key_hash = ?
		OR api_key_prefix = ? OR webhook_url = ? OR webhook_secret = ?`,
		c.APIKey, c.APIKey, c.APIKey, c.APIKey, c.APIKey, c.APIKey).Scan(&n)
	if err != nil || n != 0 {
		t.Fatalf("raw API key found in %d rows (%v)", n, err)
	}
}

func TestAuthenticate(t *testing.T) {
	d := dbtest.Open(t)
	clock := &fakeClock{t: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)}
	s := New(d, Options{Now: clock.Now, AuthCacheTTL: 30 * time.Second})
	ctx := context.Background()
	c, err := s.Create(ctx, "Toko Budi", "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Authenticate(ctx, c.APIKey)
	if err != nil {
		t.Fatalf("right key: %v", err)
	}
	if m.ID != c.ID || m.Name != "Toko Budi" {
		t.Fatalf("right key gave %+v", m)
	}
	flip := []byte(c.APIKey)
	flip[len(flip)-1] ^= 1
	for _, key := range []string{"", "sk_live_", string(flip), c.APIKey + "x", strings.TrimPrefix(c.APIKey, "sk_live_"), c.WebhookSecret} {
		_, err := s.Authenticate(ctx, key)
		if !errors.Is(err, ErrUnauthenticated) || fault.Code(err) != "unauthenticated" {
			t.Errorf("Authenticate(%q) = %v, want unauthenticated", key, err)
		}
	}

	// Concurrent callers share the cache safely.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if m, err := s.Authenticate(ctx, c.APIKey); err != nil || m.ID != c.ID {
				t.Errorf("concurrent Authenticate: %+v %v", m, err)
			}
		})
	}
	wg.Wait()

	// A disabled merchant is refused once the cached answer expires.
	if _, err := d.Exec(ctx, "UPDATE merchants SET status = ? WHERE id = ?", StatusDisabled, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, c.APIKey); err != nil {
		t.Fatalf("within the cache TTL: %v", err)
	}
	clock.Add(31 * time.Second)
	if _, err := s.Authenticate(ctx, c.APIKey); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("disabled merchant after the TTL: got %v", err)
	}
	uncached := New(d, Options{AuthCacheTTL: -1})
	if _, err := uncached.Authenticate(ctx, c.APIKey); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("disabled merchant without cache: got %v", err)
	}
}

func TestGet(t *testing.T) {
	s := New(dbtest.Open(t), Options{})
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	c, err := s.Create(ctx, "Toko Budi", "https://shop.example/hook")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != c.ID || m.CreatedAt.Before(before) || m.CreatedAt.After(time.Now()) {
		t.Fatalf("Get = %+v", m)
	}
	b, _ := json.Marshal(m)
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "name", "webhook_url", "created_at"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("merchant JSON lacks %q: %s", k, b)
		}
	}
	if strings.Contains(string(b), c.WebhookSecret) || strings.Contains(string(b), "hash") || strings.Contains(string(b), "secret") {
		t.Errorf("merchant JSON leaks a secret: %s", b)
	}
	_, err = s.Get(ctx, "mch_nope")
	if !errors.Is(err, ErrNotFound) || fault.Code(err) != "not_found" {
		t.Fatalf("Get(unknown) = %v, want not_found", err)
	}
}

func TestEventRow(t *testing.T) {
	d := dbtest.Open(t)
	s := New(d, Options{})
	ctx := context.Background()
	withHook, _ := s.Create(ctx, "Toko Budi", "https://shop.example/hook")
	noHook, _ := s.Create(ctx, "Warung", "")

	if _, ok, err := s.EventRow(ctx, noHook.ID, EventPaymentSucceeded, map[string]any{"x": 1}); ok || err != nil {
		t.Fatalf("merchant without webhook URL: ok=%v err=%v, want skipped", ok, err)
	}
	if _, _, err := s.EventRow(ctx, "mch_nope", EventPaymentSucceeded, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown merchant: %v", err)
	}
	if _, _, err := s.EventRow(ctx, withHook.ID, EventPaymentSucceeded, func() {}); err == nil {
		t.Fatal("unmarshalable data accepted")
	}

	data := map[string]any{"transaction_id": "tx_1", "amount": map[string]any{"amount": 150000, "currency": "IDR"}}
	row, ok, err := s.EventRow(ctx, withHook.ID, EventPaymentSucceeded, data)
	if err != nil || !ok {
		t.Fatalf("EventRow: ok=%v err=%v", ok, err)
	}
	if err := d.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error { return tx.InsertRows(ctx, []db.Row{row}) }); err != nil {
		t.Fatal(err)
	}
	m := row.Vals[0].(string) // the message id
	st, err := outbox.Lookup(ctx, d, m)
	if err != nil {
		t.Fatal(err)
	}
	if st.Topic != Topic || st.Status != outbox.StatusPending || st.Attempts != 0 {
		t.Fatalf("message: %+v", st)
	}
	var stored string
	if err := d.QueryRow(ctx, "SELECT payload FROM outbox_messages WHERE id = ?", m).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	merchantID, payload, _ := strings.Cut(stored, " ")
	eventID := m
	if merchantID != withHook.ID {
		t.Fatalf("payload %q", stored)
	}
	var ev struct {
		ID        string         `json:"id"`
		Type      string         `json:"type"`
		CreatedAt string         `json:"created_at"`
		Data      map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		t.Fatalf("payload %s: %v", payload, err)
	}
	if ev.ID != eventID || ev.Type != EventPaymentSucceeded || ev.Data["transaction_id"] != "tx_1" {
		t.Fatalf("payload = %s", payload)
	}
	if ts, err := time.Parse(time.RFC3339, ev.CreatedAt); err != nil || time.Since(ts) > time.Minute {
		t.Fatalf("created_at %q: %v", ev.CreatedAt, err)
	}
}
