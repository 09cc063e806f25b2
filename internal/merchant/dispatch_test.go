package merchant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/schema"
)

// fastOptions retry within milliseconds so tests run the whole schedule quickly.
func fastOptions() Options {
	return Options{
		Retry:        []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond},
		PollInterval: 10 * time.Millisecond,
		Lease:        10 * time.Second,
	}
}

// receiver is a merchant's webhook endpoint that checks every signature and counts requests.
type receiver struct {
	t      *testing.T
	secret string
	// answer gives the status to reply to the n-th request (1-based) for an event.
	answer func(n int) int

	mu       sync.Mutex
	requests map[string]int // event id → requests received
	accepted map[string]int // event id → 2xx answers given
	total    int
}

func newReceiver(t *testing.T, secret string, answer func(n int) int) (*receiver, *httptest.Server) {
	r := &receiver{t: t, secret: secret, answer: answer, requests: map[string]int{}, accepted: map[string]int{}}
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
	if err := Verify(r.secret, req.Header.Get(HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		r.t.Errorf("receiver: signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	time.Sleep(time.Millisecond) // a receiver takes time, so concurrent dispatchers overlap
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		r.t.Errorf("receiver: body %s: %v", body, err)
	}
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" ||
		req.Header.Get(HeaderEvent) != ev.Type || req.Header.Get(HeaderDelivery) == "" {
		r.t.Errorf("receiver: %s with headers %v", req.Method, req.Header)
	}
	r.mu.Lock()
	r.requests[ev.ID]++
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

// startDispatcher runs s's dispatcher until the test ends.
func startDispatcher(t *testing.T, s *Service) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.RunDispatcher(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// emit writes one event for merchantID in its own transaction and returns its event id.
func emit(t *testing.T, d *db.DB, s *Service, merchantID string, data any) string {
	t.Helper()
	ctx := context.Background()
	row, ok, err := s.EventRow(ctx, merchantID, EventPaymentSucceeded, data)
	if err != nil || !ok {
		t.Fatalf("EventRow: ok=%v err=%v", ok, err)
	}
	if err := d.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error { return tx.InsertRows(ctx, []db.Row{row}) }); err != nil {
		t.Fatal(err)
	}
	s.Notify()
	return row.Vals[2].(string)
}

type deliveryState struct {
	ID, Status, LastError string
	Attempts, StatusCode  int
	DeliveredAt           int64
}

func stateOf(t *testing.T, d *db.DB, eventID string) deliveryState {
	t.Helper()
	var st deliveryState
	err := d.QueryRow(context.Background(), `SELECT id, status, last_error, attempts, last_status_code, delivered_at
		FROM webhook_deliveries WHERE event_id = ?`, eventID).
		Scan(&st.ID, &st.Status, &st.LastError, &st.Attempts, &st.StatusCode, &st.DeliveredAt)
	if err != nil {
		t.Fatalf("delivery of %s: %v", eventID, err)
	}
	return st
}

// waitStatus waits until the delivery of eventID has left pending.
func waitStatus(t *testing.T, d *db.DB, eventID string) deliveryState {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := stateOf(t, d, eventID)
		if st.Status != "pending" {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery of %s still pending: %+v", eventID, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDispatcherDeliversSigned(t *testing.T) {
	d := dbtest.Open(t)
	opts := fastOptions()
	opts.PollInterval = time.Hour // only Notify can wake it after the first pass
	s := New(d, opts)
	ctx := context.Background()
	var gotDelivery, gotBody string
	var mu sync.Mutex
	c, err := s.Create(ctx, "Toko Budi", "http://placeholder.invalid/")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := Verify(c.WebhookSecret, req.Header.Get(HeaderSignature), body, time.Now(), time.Minute); err != nil {
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
	if _, err := d.Exec(ctx, "UPDATE merchants SET webhook_url = ? WHERE id = ?", srv.URL+"/hooks", c.ID); err != nil {
		t.Fatal(err)
	}
	startDispatcher(t, s)
	time.Sleep(50 * time.Millisecond) // let the first pass find nothing

	ev := emit(t, d, s, c.ID, map[string]any{"transaction_id": "tx_42"})
	st := waitStatus(t, d, ev)
	if st.Status != "delivered" || st.Attempts != 1 || st.StatusCode != 204 || st.DeliveredAt == 0 || st.LastError != "" {
		t.Fatalf("after delivery: %+v", st)
	}
	var payload string
	if err := d.QueryRow(ctx, "SELECT payload FROM webhook_deliveries WHERE event_id = ?", ev).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if gotDelivery != st.ID || gotBody != payload {
		t.Fatalf("receiver got delivery %q body %s; stored %q %s", gotDelivery, gotBody, st.ID, payload)
	}
}

func TestDispatcherRetriesUntilAccepted(t *testing.T) {
	d := dbtest.Open(t)
	s := New(d, fastOptions())
	c, err := s.Create(context.Background(), "Toko Budi", "http://placeholder.invalid/")
	if err != nil {
		t.Fatal(err)
	}
	r, srv := newReceiver(t, c.WebhookSecret, func(n int) int {
		if n <= 3 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	setURL(t, d, c.ID, srv.URL)
	startDispatcher(t, s)

	ev := emit(t, d, s, c.ID, map[string]any{"n": 1})
	st := waitStatus(t, d, ev)
	time.Sleep(100 * time.Millisecond) // room for a wrong extra attempt
	requests, accepted := r.counts(ev)
	if st.Status != "delivered" || st.Attempts != 4 || st.StatusCode != 200 || requests != 4 || accepted != 1 {
		t.Fatalf("state %+v; receiver saw %d requests, accepted %d", st, requests, accepted)
	}
	if st2 := stateOf(t, d, ev); st2 != st {
		t.Fatalf("delivered row changed afterwards: %+v → %+v", st, st2)
	}
}

func TestDispatcherGivesUp(t *testing.T) {
	d := dbtest.Open(t)
	opts := fastOptions()
	opts.MaxAttempts = 4
	s := New(d, opts)
	c, err := s.Create(context.Background(), "Toko Budi", "http://placeholder.invalid/")
	if err != nil {
		t.Fatal(err)
	}
	r, srv := newReceiver(t, c.WebhookSecret, func(int) int { return http.StatusServiceUnavailable })
	setURL(t, d, c.ID, srv.URL)
	startDispatcher(t, s)

	ev := emit(t, d, s, c.ID, nil)
	st := waitStatus(t, d, ev)
	time.Sleep(100 * time.Millisecond)
	requests, _ := r.counts(ev)
	if st.Status != "failed" || st.Attempts != 4 || requests != 4 || st.StatusCode != 503 ||
		st.LastError != "HTTP 503: answer 503" || st.DeliveredAt != 0 {
		t.Fatalf("state %+v; receiver saw %d requests", st, requests)
	}
}

func TestDispatcherTimeoutAndRefused(t *testing.T) {
	d := dbtest.Open(t)
	opts := fastOptions()
	opts.MaxAttempts = 2
	opts.Client = &http.Client{Timeout: 50 * time.Millisecond}
	s := New(d, opts)
	ctx := context.Background()

	slow, _ := s.Create(ctx, "Lambat", "http://placeholder.invalid/")
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select { // answer only after the client gave up
		case <-req.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	setURL(t, d, slow.ID, srv.URL)

	gone, _ := s.Create(ctx, "Tutup", "http://placeholder.invalid/")
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // connection refused from now on
	setURL(t, d, gone.ID, closed.URL)

	startDispatcher(t, s)
	for _, m := range []string{slow.ID, gone.ID} {
		ev := emit(t, d, s, m, nil)
		st := waitStatus(t, d, ev)
		if st.Status != "failed" || st.Attempts != 2 || st.StatusCode != 0 || st.LastError == "" {
			t.Errorf("merchant %s: %+v", m, st)
		}
		t.Logf("merchant %s: last_error %q", m, st.LastError)
	}
}

func TestConcurrentDispatchersDeliverOnce(t *testing.T) {
	dsn := dbtest.DSN(t)
	ctx := context.Background()
	open := func() *db.DB {
		d, err := db.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	d1, d2 := open(), open() // two processes sharing one store
	if err := d1.Migrate(ctx, schema.FS, nil); err != nil {
		t.Fatal(err)
	}
	opts := fastOptions()
	opts.BatchSize = 3
	s1, s2 := New(d1, opts), New(d2, opts)
	c, err := s1.Create(ctx, "Toko Budi", "http://placeholder.invalid/")
	if err != nil {
		t.Fatal(err)
	}
	r, srv := newReceiver(t, c.WebhookSecret, func(n int) int {
		if n == 1 {
			return http.StatusBadGateway // every event also goes through a retry
		}
		return http.StatusOK
	})
	setURL(t, d1, c.ID, srv.URL)

	const events = 60
	var ids []string
	err = d1.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var rows []db.Row
		for i := range events {
			row, _, err := s1.EventRow(ctx, c.ID, EventPaymentSucceeded, map[string]int{"i": i})
			if err != nil {
				return err
			}
			rows = append(rows, row)
			ids = append(ids, row.Vals[2].(string))
		}
		return tx.InsertRows(ctx, rows)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Service{s1, s1, s2, s2} {
		startDispatcher(t, s)
	}
	for _, ev := range ids {
		if st := waitStatus(t, d2, ev); st.Status != "delivered" || st.Attempts != 2 {
			t.Errorf("event %s: %+v", ev, st)
		}
	}
	time.Sleep(100 * time.Millisecond)
	for _, ev := range ids {
		if requests, accepted := r.counts(ev); requests != 2 || accepted != 1 {
			t.Errorf("event %s: %d requests, %d accepted; want 2 and 1", ev, requests, accepted)
		}
	}
}

func TestRolledBackEventIsNeverSent(t *testing.T) {
	d := dbtest.Open(t)
	s := New(d, fastOptions())
	ctx := context.Background()
	c, _ := s.Create(ctx, "Toko Budi", "http://placeholder.invalid/")
	r, srv := newReceiver(t, c.WebhookSecret, func(int) int { return http.StatusOK })
	setURL(t, d, c.ID, srv.URL)
	startDispatcher(t, s)

	boom := errors.New("payment failed after the event was written")
	var lost string
	err := d.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		row, _, err := s.EventRow(ctx, c.ID, EventPaymentSucceeded, map[string]string{"transaction_id": "tx_rolled_back"})
		if err != nil {
			return err
		}
		lost = row.Vals[2].(string)
		if err := tx.InsertRows(ctx, []db.Row{row}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WithTx: %v", err)
	}
	s.Notify()
	kept := emit(t, d, s, c.ID, map[string]string{"transaction_id": "tx_committed"})
	if st := waitStatus(t, d, kept); st.Status != "delivered" {
		t.Fatalf("committed event: %+v", st)
	}
	time.Sleep(50 * time.Millisecond)
	if requests, _ := r.counts(lost); requests != 0 {
		t.Fatalf("rolled-back event delivered %d times", requests)
	}
	r.mu.Lock()
	total := r.total
	r.mu.Unlock()
	var rows int
	if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM webhook_deliveries").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if total != 1 || rows != 1 {
		t.Fatalf("receiver got %d requests, outbox holds %d rows; want 1 and 1", total, rows)
	}
}

func TestClaimIsExclusive(t *testing.T) {
	d := dbtest.Open(t)
	s := New(d, fastOptions())
	ctx := context.Background()
	c, _ := s.Create(ctx, "Toko Budi", "http://placeholder.invalid/")
	emit(t, d, s, c.ID, nil)
	now := time.Now().UnixMicro()
	// Several dispatchers read the same due row before any of them claims it.
	const racers = 6
	var seen [][]delivery
	for range racers {
		due, err := s.dueDeliveries(ctx, now, 10)
		if err != nil || len(due) != 1 {
			t.Fatalf("due: %v %v", due, err)
		}
		seen = append(seen, due)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for _, due := range seen {
		wg.Go(func() {
			ok, err := s.claim(ctx, due[0], now+int64(time.Minute/time.Microsecond))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d of %d dispatchers claimed the same delivery", won, racers)
	}
	if due, _ := s.dueDeliveries(ctx, now, 10); len(due) != 0 {
		t.Fatalf("a claimed delivery is still due: %+v", due)
	}
}

func setURL(t *testing.T, d *db.DB, merchantID, url string) {
	t.Helper()
	if _, err := d.Exec(context.Background(), "UPDATE merchants SET webhook_url = ? WHERE id = ?", url, merchantID); err != nil {
		t.Fatal(err)
	}
}
