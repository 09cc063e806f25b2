package merchant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/outbox"
	"github.com/dompet/dompet/internal/schema"
)

// testRetry waits 1 s, 2 s, 4 s, 4 s… between attempts: tests move the clock past them.
var testRetry = outbox.Retry{First: time.Second, Factor: 2, Max: 4 * time.Second, Attempts: 10}

// env is a merchant service on a store, with an outbox driven by hand (DispatchOnce) on a
// clock moved by hand: no test waits for real time.
type env struct {
	d     *db.DB
	clock *fakeClock
	ob    *outbox.Outbox
	s     *Service
}

func newEnv(t *testing.T, adjust func(*Options)) *env {
	e := &env{d: dbtest.Open(t), clock: &fakeClock{t: time.Now().UTC().Truncate(time.Second)}}
	e.ob = outbox.New(e.d, outbox.Options{Now: e.clock.Now})
	o := Options{Outbox: e.ob, Retry: testRetry, Now: e.clock.Now, AllowPrivateTargets: true}
	if adjust != nil {
		adjust(&o)
	}
	e.s = New(e.d, o)
	return e
}

// dispatch runs one pass of the outbox and returns how many messages it attempted.
func (e *env) dispatch(t *testing.T) int {
	t.Helper()
	n, err := e.ob.DispatchOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// retryLater moves the clock past any wait of testRetry.
func (e *env) retryLater() { e.clock.Add(5 * time.Second) }

// receiver is a merchant's webhook endpoint that checks every signature and counts requests.
type receiver struct {
	t      *testing.T
	secret string
	now    func() time.Time
	// answer gives the status to reply to the n-th request (1-based) for an event.
	answer func(n int) int

	mu         sync.Mutex
	requests   map[string]int // event id → requests received
	deliveries map[string]int // X-Dompet-Delivery → requests received
	accepted   map[string]int // event id → 2xx answers given
	total      int
}

func (e *env) newReceiver(t *testing.T, secret string, answer func(n int) int) (*receiver, *httptest.Server) {
	r := &receiver{t: t, secret: secret, now: e.clock.Now, answer: answer,
		requests: map[string]int{}, deliveries: map[string]int{}, accepted: map[string]int{}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		r.t.Errorf("receiver: %v", err)
		return
	}
	if err := Verify(r.secret, req.Header.Get(HeaderSignature), body, r.now(), 5*time.Minute); err != nil {
		r.t.Errorf("receiver: signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		r.t.Errorf("receiver: body %s: %v", body, err)
	}
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" ||
		req.Header.Get(HeaderEvent) != ev.Type || req.Header.Get(HeaderDelivery) != ev.ID {
		r.t.Errorf("receiver: %s with headers %v for event %s", req.Method, req.Header, ev.ID)
	}
	r.mu.Lock()
	r.requests[ev.ID]++
	r.deliveries[req.Header.Get(HeaderDelivery)]++
	r.total++
	code := r.answer(r.requests[ev.ID])
	if code/100 == 2 {
		r.accepted[ev.ID]++
	}
	r.mu.Unlock()
	w.WriteHeader(code)
	fmt.Fprintf(w, "answer %d", code)
}

func (r *receiver) counts(eventID string) (requests, accepted int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[eventID], r.accepted[eventID]
}

// emit writes one event for merchantID in its own transaction and returns its event id.
func (e *env) emit(t *testing.T, merchantID string, data any) string {
	t.Helper()
	ctx := context.Background()
	row, ok, err := e.s.EventRow(ctx, merchantID, EventPaymentSucceeded, data)
	if err != nil || !ok {
		t.Fatalf("EventRow: ok=%v err=%v", ok, err)
	}
	if err := e.d.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error { return tx.InsertRows(ctx, []db.Row{row}) }); err != nil {
		t.Fatal(err)
	}
	e.s.Notify()
	return row.Vals[0].(string)
}

func (e *env) state(t *testing.T, eventID string) outbox.State {
	t.Helper()
	st, err := outbox.Lookup(context.Background(), e.d, eventID)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (e *env) merchant(t *testing.T, url string) Created {
	t.Helper()
	c, err := e.s.Create(context.Background(), "Toko Budi", "https://placeholder.example/")
	if err != nil {
		t.Fatal(err)
	}
	setURL(t, e.d, c.ID, url)
	return c
}

func TestDispatcherDeliversSigned(t *testing.T) {
	e := newEnv(t, nil)
	var gotDelivery, gotBody string
	var mu sync.Mutex
	var secret string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := Verify(secret, req.Header.Get(HeaderSignature), body, e.clock.Now(), time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		if req.Header.Get("Content-Type") != "application/json" || req.Header.Get(HeaderEvent) != EventPaymentSucceeded {
			t.Errorf("headers: %v", req.Header)
		}
		mu.Lock()
		gotDelivery, gotBody = req.Header.Get(HeaderDelivery), string(body)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	c := e.merchant(t, srv.URL+"/hooks")
	secret = c.WebhookSecret

	ev := e.emit(t, c.ID, map[string]any{"transaction_id": "tx_42"})
	if n := e.dispatch(t); n != 1 {
		t.Fatalf("dispatched %d", n)
	}
	st := e.state(t, ev)
	if st.Status != outbox.StatusDelivered || st.Attempts != 1 || st.DoneAt.IsZero() || st.LastError != "" {
		t.Fatalf("after delivery: %+v", st)
	}
	var payload string
	if err := e.d.QueryRow(context.Background(), "SELECT payload FROM outbox_messages WHERE id = ?", ev).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if gotDelivery != ev || c.ID+" "+gotBody != payload {
		t.Fatalf("receiver got delivery %q body %s; stored %q %s", gotDelivery, gotBody, ev, payload)
	}
}

func TestDispatcherRetriesUntilAccepted(t *testing.T) {
	e := newEnv(t, nil)
	var bodies []string
	var mu sync.Mutex
	c := e.merchant(t, "")
	r, _ := e.newReceiver(t, c.WebhookSecret, func(n int) int {
		if n <= 3 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	// Every attempt carries the same body and event id.
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		req.Body = io.NopCloser(strings.NewReader(string(b)))
		r.ServeHTTP(w, req)
	}))
	t.Cleanup(rec.Close)
	setURL(t, e.d, c.ID, rec.URL)

	ev := e.emit(t, c.ID, map[string]any{"n": 1})
	for attempt := 1; attempt <= 4; attempt++ {
		if n := e.dispatch(t); n != 1 {
			t.Fatalf("attempt %d: dispatched %d", attempt, n)
		}
		if n := e.dispatch(t); n != 0 {
			t.Fatalf("attempt %d: retried before the backoff", attempt)
		}
		e.retryLater()
	}
	e.clock.Add(time.Hour)
	if n := e.dispatch(t); n != 0 {
		t.Fatal("a delivered event was sent again")
	}
	st := e.state(t, ev)
	requests, accepted := r.counts(ev)
	if st.Status != outbox.StatusDelivered || st.Attempts != 4 || requests != 4 || accepted != 1 {
		t.Fatalf("state %+v; receiver saw %d requests, accepted %d", st, requests, accepted)
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("the body changed between attempts:\n%s\n%s", bodies[0], b)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.deliveries[ev] != 4 {
		t.Fatalf("X-Dompet-Delivery was not the event id on every attempt: %v", r.deliveries)
	}
}

func TestDispatcherGivesUp(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Retry.Attempts = 4 })
	c := e.merchant(t, "")
	r, srv := e.newReceiver(t, c.WebhookSecret, func(int) int { return http.StatusServiceUnavailable })
	setURL(t, e.d, c.ID, srv.URL)

	ev := e.emit(t, c.ID, nil)
	for range 6 {
		e.dispatch(t)
		e.retryLater()
	}
	st := e.state(t, ev)
	requests, _ := r.counts(ev)
	if st.Status != outbox.StatusDead || st.Attempts != 4 || requests != 4 || st.LastError != "HTTP 503: answer 503" {
		t.Fatalf("state %+v; receiver saw %d requests", st, requests)
	}
}

func TestDispatcherTimeoutAndRefused(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Retry.Attempts = 2
		o.Client = &http.Client{Timeout: 50 * time.Millisecond}
	})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select { // answer only after the client gave up
		case <-req.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	slow := e.merchant(t, srv.URL)

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // connection refused from now on
	gone := e.merchant(t, closed.URL)

	for _, m := range []string{slow.ID, gone.ID} {
		ev := e.emit(t, m, nil)
		e.dispatch(t)
		e.retryLater()
		e.dispatch(t)
		st := e.state(t, ev)
		if st.Status != outbox.StatusDead || st.Attempts != 2 || st.LastError == "" {
			t.Errorf("merchant %s: %+v", m, st)
		}
		t.Logf("merchant %s: last_error %q", m, st.LastError)
	}
}

// A merchant that removed its webhook URL, or a row naming no merchant, is dead at once.
func TestDispatcherPermanentFailures(t *testing.T) {
	e := newEnv(t, nil)
	c := e.merchant(t, "https://shop.example/")
	ev := e.emit(t, c.ID, nil)
	setURL(t, e.d, c.ID, "")
	e.dispatch(t)
	if st := e.state(t, ev); st.Status != outbox.StatusDead || st.Attempts != 1 || st.LastError != "the merchant has no webhook URL" {
		t.Fatalf("%+v", st)
	}
}

func TestRolledBackEventIsNeverSent(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	c := e.merchant(t, "")
	r, srv := e.newReceiver(t, c.WebhookSecret, func(int) int { return http.StatusOK })
	setURL(t, e.d, c.ID, srv.URL)

	boom := errors.New("payment failed after the event was written")
	var lost string
	err := e.d.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		row, _, err := e.s.EventRow(ctx, c.ID, EventPaymentSucceeded, map[string]string{"transaction_id": "tx_rolled_back"})
		if err != nil {
			return err
		}
		lost = row.Vals[0].(string)
		if err := tx.InsertRows(ctx, []db.Row{row}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WithTx: %v", err)
	}
	kept := e.emit(t, c.ID, map[string]string{"transaction_id": "tx_committed"})
	for range 3 {
		e.dispatch(t)
		e.retryLater()
	}
	if st := e.state(t, kept); st.Status != outbox.StatusDelivered {
		t.Fatalf("committed event: %+v", st)
	}
	if requests, _ := r.counts(lost); requests != 0 {
		t.Fatalf("rolled-back event delivered %d times", requests)
	}
	r.mu.Lock()
	total := r.total
	r.mu.Unlock()
	var rows int
	if err := e.d.QueryRow(ctx, "SELECT COUNT(*) FROM outbox_messages").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if total != 1 || rows != 1 {
		t.Fatalf("receiver got %d requests, outbox holds %d rows; want 1 and 1", total, rows)
	}
}

// Deliveries waiting in webhook_deliveries when 00008_outbox runs become outbox messages with
// their event id, attempts and schedule, and go out signed with the unchanged body.
func TestMigrationMovesPendingDeliveries(t *testing.T) {
	dsn := dbtest.DSN(t)
	ctx := context.Background()
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	before := fstest.MapFS{}
	files, _ := fs.Glob(schema.FS, "*.sql")
	for _, f := range files {
		if f < "00008" {
			b, _ := fs.ReadFile(schema.FS, f)
			before[f] = &fstest.MapFile{Data: b}
		}
	}
	if err := d.Migrate(ctx, before, nil); err != nil {
		t.Fatal(err)
	}
	body := `{"id":"evt_old","type":"payment.succeeded","created_at":"2026-11-30T09:00:00Z","data":{"n":1}}`
	for _, q := range []string{
		`INSERT INTO merchants (id, name, api_key_hash, api_key_prefix, webhook_url, webhook_secret, created_at)
			VALUES ('mch_1', 'Toko', 'h', 'sk_live_x', 'https://shop.example/', 'whsec_1', 1)`,
		`INSERT INTO webhook_deliveries (id, merchant_id, event_id, event_type, payload, status, attempts, next_attempt_at, last_error, created_at)
			VALUES ('whd_1', 'mch_1', 'evt_old', 'payment.succeeded', '` + body + `', 'pending', 2, 5, 'HTTP 500', 1)`,
		`INSERT INTO webhook_deliveries (id, merchant_id, event_id, event_type, payload, status, attempts, next_attempt_at, last_error, created_at, delivered_at)
			VALUES ('whd_2', 'mch_1', 'evt_gone', 'payment.succeeded', '{}', 'failed', 10, 5, 'HTTP 404', 1, 0)`,
	} {
		if _, err := d.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Migrate(ctx, schema.FS, nil); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Now()}
	ob := outbox.New(d, outbox.Options{Now: clock.Now})
	s := New(d, Options{Outbox: ob, Now: clock.Now, AllowPrivateTargets: true})
	if st, err := outbox.Lookup(ctx, d, "evt_gone"); err != nil || st.Status != outbox.StatusDead || st.Attempts != 10 {
		t.Fatalf("failed delivery after the migration: %+v %v", st, err)
	}
	e := &env{clock: clock}
	r, srv := e.newReceiver(t, "whsec_1", func(int) int { return http.StatusOK })
	setURL(t, d, "mch_1", srv.URL)
	if n, err := ob.DispatchOnce(ctx); n != 1 || err != nil {
		t.Fatalf("dispatched %d: %v", n, err)
	}
	st, err := outbox.Lookup(ctx, d, "evt_old")
	if err != nil || st.Status != outbox.StatusDelivered || st.Attempts != 3 || st.Topic != Topic {
		t.Fatalf("migrated delivery: %+v %v", st, err)
	}
	if requests, _ := r.counts("evt_old"); requests != 1 {
		t.Fatalf("receiver saw %d requests", requests)
	}
	_ = s
}

func setURL(t *testing.T, d *db.DB, merchantID, url string) {
	t.Helper()
	if _, err := d.Exec(context.Background(), "UPDATE merchants SET webhook_url = ? WHERE id = ?", url, merchantID); err != nil {
		t.Fatal(err)
	}
}
