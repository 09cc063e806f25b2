package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/merchant"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/outbox"
)

// flakyReceiver is a webhook endpoint (a merchant's, or the SMS gateway) that answers 503 while
// down and 200 once up, and remembers the ids it accepted.
type flakyReceiver struct {
	srv *httptest.Server
	id  func(r *http.Request, body []byte) string // the id a receiver would deduplicate on

	mu       sync.Mutex
	up       bool
	failed   map[string]int
	accepted map[string]int
	changed  chan struct{} // a value after each accepted request
}

func newFlakyReceiver(t *testing.T, id func(r *http.Request, body []byte) string) *flakyReceiver {
	f := &flakyReceiver{id: id, failed: map[string]int{}, accepted: map[string]int{}, changed: make(chan struct{}, 1)}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *flakyReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := f.id(r, body)
	f.mu.Lock()
	up := f.up
	if up {
		f.accepted[key]++
	} else {
		f.failed[key]++
	}
	f.mu.Unlock()
	if !up {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

func (f *flakyReceiver) setUp() {
	f.mu.Lock()
	f.up = true
	f.mu.Unlock()
}

// missing returns the ids of want the receiver has not accepted yet.
func (f *flakyReceiver) missing(want []string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, id := range want {
		if f.accepted[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}

// TestCrashOutboxDeliversEveryMessage runs `dompet serve` with its merchant's webhook endpoint
// and its SMS gateway down, makes payments (webhooks) and locks accounts (SMS alerts), lets
// every message fail once, kills the server with SIGKILL, brings the receivers up, restarts
// the server on the same store, and checks that every message arrives, with its id.
func TestCrashOutboxDeliversEveryMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	const payments = 20
	dsn := dbtest.DSN(t)
	bin := buildDompet(t)
	var secret string
	hook := newFlakyReceiver(t, func(r *http.Request, body []byte) string {
		var ev merchant.Event
		_ = json.Unmarshal(body, &ev)
		if r.Header.Get(merchant.HeaderDelivery) != ev.ID {
			t.Errorf("X-Dompet-Delivery %q for event %q", r.Header.Get(merchant.HeaderDelivery), ev.ID)
		}
		if err := merchant.Verify(secret, r.Header.Get(merchant.HeaderSignature), body, time.Now(), time.Minute); err != nil {
			t.Errorf("event %s: %v", ev.ID, err)
		}
		return ev.ID
	})
	sms := newFlakyReceiver(t, func(r *http.Request, _ []byte) string { return r.Header.Get("Idempotency-Key") })
	env := append(crashEnv(dsn), "DOMPET_WEBHOOK_ALLOW_PRIVATE=true", "DOMPET_SMS_WEBHOOK="+sms.srv.URL, "DOMPET_LOCKOUT_THRESHOLD=2")

	out, errOut, err := runDompet(bin, env, "merchant", "create", "--name", "Warung Outbox", "--webhook-url", hook.srv.URL+"/hooks")
	if err != nil {
		t.Fatalf("merchant create: %v\n%s", err, errOut)
	}
	var mk struct {
		ID            string `json:"id"`
		WebhookSecret string `json:"webhook_secret"`
	}
	if err := json.Unmarshal(out, &mk); err != nil || mk.ID == "" {
		t.Fatalf("merchant create printed %q: %v", out, err)
	}
	secret = mk.WebhookSecret

	s := startDompet(t, bin, env)
	users := crashSeedUsers(t, s)
	for i := range payments {
		u := users[i%len(users)]
		s.call("POST", "/api/v1/payments", u.token, fmt.Sprintf("outbox-pay-%d", i),
			map[string]any{"merchant_id": mk.ID, "amount": 1000 + i, "currency": "IDR", "order_ref": fmt.Sprintf("order-%d", i), "pin": crashPIN}, 201, nil)
	}
	for _, u := range users[:2] { // two wrong passwords lock (DOMPET_LOCKOUT_THRESHOLD=2): an SMS alert each
		for range 2 {
			st, b, err := s.do(context.Background(), "POST", "/api/v1/auth/login", "", "",
				crashJSON(map[string]string{"login": u.phone, "password": "Wrong-Password-1", "device_id": "crash-test"}))
			if err != nil || (st != 401 && st != 423) {
				t.Fatalf("wrong login: %d %v %s", st, err, b)
			}
		}
	}

	// Kill only once every message has failed once and its attempt is recorded, so that none
	// holds a claim whose lease would delay the test by a minute.
	store, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var webhooks, alerts []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		webhooks, alerts = waitingMessages(t, store)
		if len(webhooks) == payments && len(alerts) == 2 && allFailedOnce(t, store) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("messages not all tried within 60s: %d webhooks, %d SMS alerts\n%s", len(webhooks), len(alerts), s.logs.String())
		}
		time.Sleep(50 * time.Millisecond) // another process's progress: nothing to hook into
	}
	s.kill()
	s.waitKilled()

	// What the restart must show is that nothing was lost, not the backoff: on a loaded
	// machine a message may have failed twice or three times before the kill and be due only
	// minutes later (10 s, 30 s, 90 s for webhooks). Every waiting message is made due now.
	if _, err := store.Exec(context.Background(), "UPDATE outbox_messages SET next_attempt_at = 0 WHERE status = 'pending'"); err != nil {
		t.Fatal(err)
	}
	hook.setUp()
	sms.setUp()
	s = startDompet(t, bin, env)
	timeout := time.After(60 * time.Second)
	for len(hook.missing(webhooks))+len(sms.missing(alerts)) > 0 {
		select {
		case <-hook.changed:
		case <-sms.changed:
		case <-timeout:
			t.Fatalf("after the restart, still missing webhooks %v and SMS %v\n%s", hook.missing(webhooks), sms.missing(alerts), s.logs.String())
		}
	}
	s.stop()
	for _, id := range append(webhooks, alerts...) {
		st, err := outbox.Lookup(context.Background(), store, id)
		if err != nil || st.Status != outbox.StatusDelivered || st.Attempts < 2 {
			t.Errorf("message %s: %+v %v", id, st, err)
		}
	}
	t.Logf("%d webhooks and %d SMS alerts failed once, survived kill -9 and arrived after the restart", len(webhooks), len(alerts))
}

// waitingMessages lists the outbox's merchant webhooks and SMS alerts.
func waitingMessages(t *testing.T, d *db.DB) (webhooks, sms []string) {
	t.Helper()
	rows, err := d.Query(context.Background(), "SELECT id, topic, payload FROM outbox_messages ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, topic, payload string
		if err := rows.Scan(&id, &topic, &payload); err != nil {
			t.Fatal(err)
		}
		var m struct{ Channel string }
		switch {
		case topic == merchant.Topic:
			webhooks = append(webhooks, id)
		case topic == notify.Topic && json.Unmarshal([]byte(payload), &m) == nil && m.Channel == notify.SMS:
			sms = append(sms, id)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return webhooks, sms
}

// allFailedOnce tells whether every pending message has had an attempt, finished and recorded.
func allFailedOnce(t *testing.T, d *db.DB) bool {
	t.Helper()
	var n int
	err := d.QueryRow(context.Background(), `SELECT COUNT(*) FROM outbox_messages
		WHERE status = 'pending' AND (attempts = 0 OR last_error = '')`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n == 0
}
