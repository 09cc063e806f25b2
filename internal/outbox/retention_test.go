package outbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
)

const day = 24 * time.Hour

// TestPruneDeletesOnlyOldDelivered: retention deletes the messages delivered before the
// cut, in several batches, and keeps recent deliveries, pending messages (never attempted,
// delayed, or failed and waiting for their retry) and dead ones, however old.
func TestPruneDeletesOnlyOldDelivered(t *testing.T) {
	d := dbtest.Open(t)
	c := newClock()
	o := New(d, Options{Now: c.Now, PruneBatch: 2, BatchSize: 50})
	r := &recorder{fail: func(d Delivery) error {
		switch d.ID {
		case "msg_retry":
			return errors.New("receiver down")
		case "msg_dead":
			return Permanent(errors.New("no such receiver"))
		}
		return nil
	}}
	o.Handle("t", r.handle, Retry{First: 100 * day, Max: 100 * day, Attempts: 10})
	var old []string
	for i := range 5 { // more than two batches
		old = append(old, fmt.Sprintf("msg_old_%d", i))
		write(t, d, Message{ID: old[i], Topic: "t"})
	}
	write(t, d, Message{ID: "msg_retry", Topic: "t"}, Message{ID: "msg_dead", Topic: "t"},
		Message{ID: "msg_later", Topic: "t", NotBefore: c.Now().Add(90 * day)})
	if n := once(t, o); n != 7 {
		t.Fatalf("dispatched %d, want 7", n)
	}
	// Never attempted: another process's topic.
	write(t, d, Message{ID: "msg_unhandled", Topic: "someone.else"})
	c.Advance(31 * day)
	write(t, d, Message{ID: "msg_recent", Topic: "t"})
	if n := once(t, o); n != 1 {
		t.Fatalf("dispatched %d, want the recent one", n)
	}
	c.Advance(time.Hour)
	n, err := o.Prune(context.Background(), c.Now().Add(-30*day))
	if err != nil || n != len(old) {
		t.Fatalf("pruned %d, %v; want %d", n, err, len(old))
	}
	for _, id := range old {
		if _, err := Lookup(context.Background(), d, id); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("%s was delivered 31 days ago and is still there: %v", id, err)
		}
	}
	for id, status := range map[string]string{"msg_recent": StatusDelivered, "msg_retry": StatusPending, "msg_dead": StatusDead,
		"msg_later": StatusPending, "msg_unhandled": StatusPending} {
		if s := state(t, d, id); s.Status != status {
			t.Errorf("%s: %+v, want %s", id, s, status)
		}
	}
	if n, err := o.Prune(context.Background(), c.Now().Add(-30*day)); err != nil || n != 0 {
		t.Errorf("a second prune deleted %d, %v", n, err)
	}
	// The message waiting for its retry is still delivered when its time comes.
	c.Advance(200 * day)
	r.fail = nil
	if n := once(t, o); n != 2 || state(t, d, "msg_retry").Status != StatusDelivered {
		t.Errorf("after the retention: dispatched %d, %+v", n, state(t, d, "msg_retry"))
	}
}

// TestDedupeKeyWithinRetention: a dedupe key still dedupes while its delivered message is
// kept (within the retention); once the row is pruned, the key is free and the same message
// is written again. The retention must therefore outlast any repeat of a cause.
func TestDedupeKeyWithinRetention(t *testing.T) {
	d := dbtest.Open(t)
	c := newClock()
	o := New(d, Options{Now: c.Now})
	r := &recorder{}
	o.Handle("t", r.handle, testRetry)
	keep := 30 * day
	write(t, d, Message{ID: "msg_first", Topic: "t", DedupeKey: "ack:conv_1"})
	if n := once(t, o); n != 1 {
		t.Fatal(n)
	}
	delivered := c.Now()
	for _, after := range []time.Duration{day, 29 * day} {
		c.Advance(delivered.Add(after).Sub(c.Now()))
		if _, err := o.Prune(context.Background(), c.Now().Add(-keep)); err != nil {
			t.Fatal(err)
		}
		write(t, d, Message{ID: fmt.Sprintf("msg_again_%d", after/day), Topic: "t", DedupeKey: "ack:conv_1"})
		if n := once(t, o); n != 0 {
			t.Fatalf("%v after delivery, within the retention: the same key was sent again", after)
		}
	}
	c.Advance(2 * day) // 31 days after delivery
	if n, err := o.Prune(context.Background(), c.Now().Add(-keep)); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	write(t, d, Message{ID: "msg_after", Topic: "t", DedupeKey: "ack:conv_1"})
	if n := once(t, o); n != 1 || !slices.Equal(r.ids(), []string{"msg_first", "msg_after"}) {
		t.Fatalf("after the retention: dispatched %d, delivered %v", n, r.ids())
	}
}

// TestRunRetention: the loop prunes at once when started and stops with its context; a
// retention of zero keeps everything.
func TestRunRetention(t *testing.T) {
	d := dbtest.Open(t)
	c := newClock()
	o := New(d, Options{Now: c.Now})
	o.Handle("t", (&recorder{}).handle, testRetry)
	write(t, d, Message{ID: "msg_old", Topic: "t"})
	once(t, o)
	c.Advance(40 * day)
	o.RunRetention(context.Background(), 0) // returns at once: nothing to do
	if s := state(t, d, "msg_old"); s.Status != StatusDelivered {
		t.Fatalf("a zero retention deleted: %+v", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); o.RunRetention(ctx, 30*day) }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := Lookup(context.Background(), d, "msg_old"); errors.Is(err, db.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the retention loop did not prune")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}
