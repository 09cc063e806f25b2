package notify_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/notify"
)

// gate is a Sender that waits for open (or its context) before accepting.
type gate struct {
	open     chan struct{}
	started  chan struct{}
	got      capture
	canceled atomic.Int32
}

func newGate() *gate { return &gate{open: make(chan struct{}), started: make(chan struct{}, 100)} }

func (g *gate) Send(ctx context.Context, m notify.Message) error {
	g.started <- struct{}{}
	select {
	case <-g.open:
		return g.got.Send(ctx, m)
	case <-ctx.Done():
		g.canceled.Add(1)
		return ctx.Err()
	}
}

func TestQueueSendDoesNotWait(t *testing.T) {
	g := newGate()
	q := notify.NewQueue(g, notify.QueueOptions{Log: discard()})
	defer q.Close(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	if err := q.Send(ctx, smsMessage()); err != nil {
		t.Fatal(err)
	}
	cancel() // the request is over; delivery goes on
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Send took %s while the provider hangs", d)
	}
	<-g.started
	fctx, fcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer fcancel()
	if err := q.Flush(fctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush returned %v while a message is in flight", err)
	}
	close(g.open)
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := g.got.messages(); len(got) != 1 || got[0] != smsMessage() {
		t.Fatalf("delivered %v", got)
	}
	if g.canceled.Load() != 0 {
		t.Error("the caller's cancellation reached the delivery")
	}
}

func TestQueueFull(t *testing.T) {
	g := newGate()
	log, logs := newLog()
	q := notify.NewQueue(g, notify.QueueOptions{Size: 1, Workers: 1, Log: log})
	defer func() { close(g.open); q.Close(context.Background()) }()
	if err := q.Send(context.Background(), smsMessage()); err != nil {
		t.Fatal(err)
	}
	<-g.started // the worker holds the first; the second waits in the queue
	if err := q.Send(context.Background(), smsMessage()); err != nil {
		t.Fatal(err)
	}
	err := q.Send(context.Background(), smsMessage())
	if !errors.Is(err, notify.ErrQueueFull) || fault.Code(err) != "provider_unavailable" {
		t.Fatalf("third Send: %v, want ErrQueueFull", err)
	}
	if out := logs.String(); !strings.Contains(out, "queue full") || !strings.Contains(out, `"kind":"recovery_code"`) {
		t.Errorf("refusal not logged:\n%s", out)
	}
}

func TestQueueLogsFailures(t *testing.T) {
	log, logs := newLog()
	q := notify.NewQueue(&capture{err: errors.New("gateway on fire")}, notify.QueueOptions{Log: log})
	m := smsMessage()
	if err := q.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{`"level":"ERROR"`, "notification not delivered", `"kind":"recovery_code"`, `"channel":"sms"`, notify.Mask(m.To), "gateway on fire"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, m.To) || strings.Contains(out, "483920") {
		t.Errorf("log shows the number or the code:\n%s", out)
	}
}

func TestQueueCloseDrains(t *testing.T) {
	c := &capture{}
	q := notify.NewQueue(c, notify.QueueOptions{Workers: 2, Log: discard()})
	for range 50 {
		if err := q.Send(context.Background(), smsMessage()); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(c.messages()); n != 50 {
		t.Fatalf("%d delivered before Close returned, want 50", n)
	}
	if err := q.Send(context.Background(), smsMessage()); !errors.Is(err, notify.ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
}

func TestQueueCloseGivesUp(t *testing.T) {
	g := newGate()
	log, logs := newLog()
	q := notify.NewQueue(g, notify.QueueOptions{Workers: 1, Log: log})
	for range 3 {
		if err := q.Send(context.Background(), smsMessage()); err != nil {
			t.Fatal(err)
		}
	}
	<-g.started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := q.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v", err)
	}
	if g.canceled.Load() != 1 {
		t.Errorf("%d in-flight deliveries cancelled, want 1", g.canceled.Load())
	}
	out := logs.String()
	if n := strings.Count(out, "notification not delivered"); n != 3 {
		t.Errorf("%d messages logged as not delivered, want 3:\n%s", n, out)
	}
}

func TestQueueTimeout(t *testing.T) {
	g := newGate()
	q := notify.NewQueue(g, notify.QueueOptions{Timeout: 10 * time.Millisecond, Log: discard()})
	if err := q.Send(context.Background(), smsMessage()); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if g.canceled.Load() != 1 {
		t.Error("a hanging provider was not cut off by the timeout")
	}
}
