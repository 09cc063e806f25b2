package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/schema"
)

// clock is a settable time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)} }

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

var testRetry = Retry{First: time.Second, Factor: 2, Max: 4 * time.Second, Attempts: 4}

// past is more than any wait of testRetry, jitter included.
const past = 5 * time.Second

// write commits msgs in one transaction.
func write(t *testing.T, d *db.DB, msgs ...Message) {
	t.Helper()
	err := d.WithTx(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		var rows []db.Row
		for _, m := range msgs {
			rows = append(rows, Row(m))
		}
		return tx.InsertRows(ctx, rows)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func state(t *testing.T, d *db.DB, id string) State {
	t.Helper()
	s, err := Lookup(context.Background(), d, id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func once(t *testing.T, o *Outbox) int {
	t.Helper()
	n, err := o.DispatchOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// recorder is a handler that remembers what it got and answers with fail(id, attempt).
type recorder struct {
	mu   sync.Mutex
	got  []Delivery
	fail func(d Delivery) error
}

func (r *recorder) handle(_ context.Context, d Delivery) error {
	r.mu.Lock()
	r.got = append(r.got, d)
	r.mu.Unlock()
	if r.fail != nil {
		return r.fail(d)
	}
	return nil
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, d := range r.got {
		out = append(out, d.ID)
	}
	return out
}

func TestCommittedIsDeliveredRolledBackNever(t *testing.T) {
	d := dbtest.Open(t)
	c := newClock()
	o := New(d, Options{Now: c.Now})
	r := &recorder{}
	o.Handle("t", r.handle, testRetry)

	boom := errors.New("the state change failed")
	err := d.WithTx(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		if err := tx.InsertRows(ctx, []db.Row{Row(Message{ID: "msg_lost", Topic: "t", Payload: []byte("no")})}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	write(t, d, Message{ID: "msg_kept", Topic: "t", Payload: []byte(`{"a":1}`), CreatedAt: c.Now()})
	if n := once(t, o); n != 1 {
		t.Fatalf("attempted %d, want 1", n)
	}
	if n := once(t, o); n != 0 {
		t.Fatalf("a delivered message was attempted again (%d)", n)
	}
	if got := r.ids(); len(got) != 1 || got[0] != "msg_kept" || string(r.got[0].Payload) != `{"a":1}` || r.got[0].Attempt != 1 {
		t.Fatalf("handler got %+v", r.got)
	}
	if s := state(t, d, "msg_kept"); s.Status != StatusDelivered || s.Attempts != 1 || !s.DoneAt.Equal(c.Now()) {
		t.Fatalf("state %+v", s)
	}
	if _, err := Lookup(context.Background(), d, "msg_lost"); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("rolled-back message: %v", err)
	}
}

func TestRetriesWithBackoffThenDead(t *testing.T) {
	d := dbtest.Open(t)
	c := newClock()
	o := New(d, Options{Now: c.Now})
	r := &recorder{fail: func(d Delivery) error { return fmt.Errorf("down (attempt %d)", d.Attempt) }}
	o.Handle("t", r.handle, testRetry)
	write(t, d, Message{ID: "msg_1", Topic: "t"})

	for n := 1; n <= testRetry.Attempts; n++ {
		if got := once(t, o); got != 1 {
			t.Fatalf("attempt %d: dispatched %d", n, got)
		}
		s := state(t, d, "msg_1")
		if s.Attempts != n || s.LastError != fmt.Sprintf("down (attempt %d)", n) {
			t.Fatalf("after attempt %d: %+v", n, s)
		}
		if n == testRetry.Attempts {
			if s.Status != StatusDead {
				t.Fatalf("after the last attempt: %+v", s)
			}
			break
		}
		// Exponential: 1 s, 2 s, 4 s (±20%), capped at 4 s.
		want := testRetry.First * time.Duration(1<<(n-1))
		if wait := s.NextAttemptAt.Sub(c.Now()); s.Status != StatusPending || wait < want*8/10 || wait > want*12/10 {
			t.Fatalf("after attempt %d: waits %v, want about %v: %+v", n, wait, want, s)
		}
		if got := once(t, o); got != 0 {
			t.Fatalf("retried before its time")
		}
		c.Advance(past)
	}
	c.Advance(time.Hour)
	if got := once(t, o); got != 0 || len(r.ids()) != testRetry.Attempts {
		t.Fatalf("a dead message was attempted again")
	}
}

func TestPermanentErrorAndUnknownTopic(t *testing.T) {
	d := dbtest.Open(t)
	o := New(d, Options{})
	o.Handle("t", func(context.Context, Delivery) error { return Permanent(errors.New("no such merchant")) }, testRetry)
	write(t, d, Message{ID: "msg_perm", Topic: "t"}, Message{ID: "msg_other", Topic: "someone.else"})
	if n := once(t, o); n != 1 {
		t.Fatalf("dispatched %d, want 1 (the other topic is not ours)", n)
	}
	if s := state(t, d, "msg_perm"); s.Status != StatusDead || s.Attempts != 1 || s.LastError != "no such merchant" {
		t.Fatalf("permanent failure: %+v", s)
	}
	if s := state(t, d, "msg_other"); s.Status != StatusPending || s.Attempts != 0 {
		t.Fatalf("a message of a topic without handler was touched: %+v", s)
	}
}

func TestDedupeKeyAndNotBefore(t *testing.T) {
	d := dbtest.Open(t)
	c := newClock()
	o := New(d, Options{Now: c.Now})
	r := &recorder{}
	o.Handle("t", r.handle, testRetry)
	write(t, d, Message{ID: "msg_a", Topic: "t", DedupeKey: "k"}, Message{ID: "msg_b", Topic: "t", DedupeKey: "k"})
	write(t, d, Message{ID: "msg_c", Topic: "t", DedupeKey: "k"})
	write(t, d, Message{ID: "msg_later", Topic: "t", NotBefore: c.Now().Add(time.Minute)})
	if n := once(t, o); n != 1 {
		t.Fatalf("dispatched %d, want the one message of key k", n)
	}
	c.Advance(time.Minute)
	if n := once(t, o); n != 1 {
		t.Fatalf("the delayed message: dispatched %d", n)
	}
	if got := r.ids(); len(got) != 2 || got[0] != "msg_a" || got[1] != "msg_later" {
		t.Fatalf("delivered %v", got)
	}
}

// Two dispatchers on one store (two handles, as two processes) race for the same messages: a
// message is never in two handlers at once while its lease holds, and each is handled once.
func TestTwoDispatchersNeverOverlapWithinLease(t *testing.T) {
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
	d1, d2 := open(), open()
	if err := d1.Migrate(ctx, schema.FS, nil); err != nil {
		t.Fatal(err)
	}
	c := newClock() // frozen: no lease runs out
	const msgs = 40
	var inFlight sync.Map // id → *atomic.Int32
	var calls sync.Map    // id → *atomic.Int32
	var delivered atomic.Int32
	handle := func(_ context.Context, d Delivery) error {
		v, _ := inFlight.LoadOrStore(d.ID, new(atomic.Int32))
		if v.(*atomic.Int32).Add(1) != 1 {
			t.Errorf("%s handled by two dispatchers at once", d.ID)
		}
		defer v.(*atomic.Int32).Add(-1)
		n, _ := calls.LoadOrStore(d.ID, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		delivered.Add(1)
		return nil
	}
	var all []Message
	for i := range msgs {
		all = append(all, Message{ID: fmt.Sprintf("msg_%02d", i), Topic: "t"})
	}
	write(t, d1, all...)
	var wg sync.WaitGroup
	for _, d := range []*db.DB{d1, d1, d2, d2} {
		o := New(d, Options{Now: c.Now, BatchSize: 3})
		o.Handle("t", handle, testRetry)
		wg.Go(func() {
			for delivered.Load() < msgs && !t.Failed() {
				if _, err := o.DispatchOnce(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, m := range all {
		n, _ := calls.Load(m.ID)
		if n == nil || n.(*atomic.Int32).Load() != 1 {
			t.Errorf("%s handled %v times, want 1", m.ID, n)
		}
		if s := state(t, d2, m.ID); s.Status != StatusDelivered || s.Attempts != 1 {
			t.Errorf("%s: %+v", m.ID, s)
		}
	}
}

// A dispatcher that dies holding a claim (here: its handler never returns in time) hides the
// message only for the lease; then another dispatcher delivers it, and the late answer of the
// first changes nothing.
func TestLeaseExpiryRedelivers(t *testing.T) {
	d := dbtest.Open(t)
	c := newClock()
	const lease = time.Minute
	entered, release := make(chan struct{}), make(chan error)
	dead := New(d, Options{Now: c.Now, Lease: lease})
	dead.Handle("t", func(context.Context, Delivery) error { close(entered); return <-release }, testRetry)
	r := &recorder{}
	alive := New(d, Options{Now: c.Now, Lease: lease})
	alive.Handle("t", r.handle, testRetry)
	write(t, d, Message{ID: "msg_1", Topic: "t"})

	done := make(chan struct{})
	go func() { defer close(done); _, _ = dead.DispatchOnce(context.Background()) }()
	<-entered
	if n := once(t, alive); n != 0 {
		t.Fatalf("claimed within another dispatcher's lease")
	}
	c.Advance(lease - time.Microsecond)
	if n := once(t, alive); n != 0 {
		t.Fatalf("claimed just before the lease ended")
	}
	c.Advance(time.Microsecond)
	if n := once(t, alive); n != 1 {
		t.Fatalf("not re-delivered after the lease")
	}
	release <- errors.New("too late")
	<-done
	s := state(t, d, "msg_1")
	if s.Status != StatusDelivered || s.Attempts != 2 || s.LastError != "" {
		t.Fatalf("the late failure of the first dispatcher changed the message: %+v", s)
	}
	if got := r.ids(); len(got) != 1 || r.got[0].Attempt != 2 {
		t.Fatalf("second dispatcher got %+v", r.got)
	}
}

// Run, once its context ends, waits for handlers in flight and records their outcome.
func TestRunDrainsHandlersInFlight(t *testing.T) {
	d := dbtest.Open(t)
	entered, release := make(chan struct{}), make(chan struct{})
	o := New(d, Options{Drain: time.Hour})
	o.Handle("t", func(ctx context.Context, _ Delivery) error {
		close(entered)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, testRetry)
	write(t, d, Message{ID: "msg_1", Topic: "t"})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); o.Run(ctx) }()
	<-entered
	cancel()
	select {
	case <-stopped:
		t.Fatal("Run returned while a handler was still running")
	default:
	}
	close(release)
	<-stopped
	if s := state(t, d, "msg_1"); s.Status != StatusDelivered {
		t.Fatalf("after drain: %+v", s)
	}
}

// A handler still running when the drain time is over is cancelled, and its claim given back
// without counting, so the next start delivers the message at once.
func TestRunGivesBackClaimsAfterDrain(t *testing.T) {
	d := dbtest.Open(t)
	entered := make(chan struct{})
	o := New(d, Options{Drain: time.Millisecond})
	o.Handle("t", func(ctx context.Context, _ Delivery) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	}, testRetry)
	write(t, d, Message{ID: "msg_1", Topic: "t"})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); o.Run(ctx) }()
	<-entered
	cancel()
	<-stopped
	s := state(t, d, "msg_1")
	if s.Status != StatusPending || s.Attempts != 0 || s.NextAttemptAt.After(time.Now()) {
		t.Fatalf("cancelled attempt: %+v", s)
	}
	r := &recorder{}
	next := New(d, Options{})
	next.Handle("t", r.handle, testRetry)
	if n := once(t, next); n != 1 || r.got[0].Attempt != 1 {
		t.Fatalf("after restart: %d, %+v", n, r.got)
	}
}

func TestPanickingHandlerIsAFailure(t *testing.T) {
	d := dbtest.Open(t)
	o := New(d, Options{})
	o.Handle("t", func(context.Context, Delivery) error { panic("bad payload") }, testRetry)
	write(t, d, Message{ID: "msg_1", Topic: "t"})
	once(t, o)
	if s := state(t, d, "msg_1"); s.Status != StatusPending || s.LastError != "handler panicked: bad payload" {
		t.Fatalf("%+v", s)
	}
}
