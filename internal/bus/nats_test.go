package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/bus"
	"github.com/dompet/dompet/internal/bus/bustest"
)

// connect opens a NATS bus on url, as one Dompet process would, closed when the test ends.
func connect(t *testing.T, url, name string) *bus.NATS {
	t.Helper()
	n, err := bus.ConnectNATS(url, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// next reads one event, failing after a deadline (it returns as soon as one comes).
func next(t *testing.T, ch <-chan bus.Event) bus.Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("the channel closed")
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return bus.Event{}
}

// TestNATSAcrossProcesses: two buses on one server stand for two processes. Each subscriber,
// on either side, gets every event of a matching subject once and in the publisher's order,
// its own process's included; other subjects do not reach it. A fence event published by B
// after B saw all of A's shows that nothing more (an echo of A's own events through the
// server) was on its way to A.
func TestNATSAcrossProcesses(t *testing.T) {
	t.Parallel()
	url := bustest.URL(t)
	a, b := connect(t, url, "dompet-a"), connect(t, url, "dompet-b")
	ctx := context.Background()
	subj := fmt.Sprintf("bustest.conversation.c%d", time.Now().UnixNano()) // unique on a shared server
	onA, endA := a.Subscribe(subj)
	defer endA()
	onB, endB := b.Subscribe("bustest.conversation.*")
	defer endB()
	otherB, endOther := b.Subscribe(subj + ".x") // another subject: hears nothing
	defer endOther()

	const n = bus.SubjectBuffer - 1 // published before anyone reads: within every buffer (an exact subject's is the smallest)
	for i := range n {
		if err := a.Publish(ctx, subj, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if e := next(t, onB); e.Subject != subj || string(e.Payload) != fmt.Sprint(i) {
			t.Fatalf("B's event %d: %s %q", i, e.Subject, e.Payload)
		}
	}
	if err := b.Publish(ctx, subj, []byte("fence")); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if e := next(t, onA); string(e.Payload) != fmt.Sprint(i) {
			t.Fatalf("A's own event %d: %q", i, e.Payload)
		}
	}
	if e := next(t, onA); string(e.Payload) != "fence" {
		t.Fatalf("after its own %d events A got %q, want B's fence (an echo?)", n, e.Payload)
	}
	if e := next(t, onB); string(e.Payload) != "fence" {
		t.Fatalf("B's own fence: %q", e.Payload)
	}
	select {
	case e := <-otherB:
		t.Fatalf("a subscriber of another subject got %s %q", e.Subject, e.Payload)
	case e := <-onB:
		t.Fatalf("B got its own fence twice: %q", e.Payload)
	default:
	}
}

// TestNATSSubscribeThenPublish: once Subscribe returns, the server knows the subscription,
// so an event another process publishes at once is not lost (what a stream that subscribes
// and then reads its backlog counts on).
func TestNATSSubscribeThenPublish(t *testing.T) {
	t.Parallel()
	url := bustest.URL(t)
	a, b := connect(t, url, "dompet-a"), connect(t, url, "dompet-b")
	for i := range 20 {
		subj := fmt.Sprintf("bustest.t%d.s%d", time.Now().UnixNano(), i)
		ch, end := b.Subscribe(subj)
		if err := a.Publish(context.Background(), subj, []byte("now")); err != nil {
			t.Fatal(err)
		}
		if e := next(t, ch); string(e.Payload) != "now" {
			t.Fatalf("%s: %q", subj, e.Payload)
		}
		end()
	}
}

// TestNATSUnsubscribeAndSlowSubscriber: ending a subscription closes its channel (twice is
// fine) and stops remote events to it; a subscriber that reads nothing holds up neither the
// publisher nor another subscriber.
func TestNATSUnsubscribeAndSlowSubscriber(t *testing.T) {
	t.Parallel()
	url := bustest.URL(t)
	a, b := connect(t, url, "dompet-a"), connect(t, url, "dompet-b")
	ctx := context.Background()
	subj := fmt.Sprintf("bustest.slow.s%d", time.Now().UnixNano())
	_, endSlow := b.Subscribe(subj) // never read
	fast, endFast := b.Subscribe(subj)
	for i := range bus.Buffer + 10 { // the slow one's buffer fills up, the fast one keeps up
		if err := a.Publish(ctx, subj, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		if e := next(t, fast); string(e.Payload) != fmt.Sprint(i) {
			t.Fatalf("fast subscriber's event %d: %q", i, e.Payload)
		}
	}
	endFast()
	endFast()
	if _, open := <-fast; open {
		t.Fatal("the channel stays open after unsubscribe")
	}
	endSlow()
	if err := a.Publish(ctx, subj, nil); err != nil { // reaches nobody, panics nowhere
		t.Fatal(err)
	}
}

// TestNATSConnectAndClose: no server is an error at start; after Close, publishing is one.
func TestNATSConnectAndClose(t *testing.T) {
	t.Parallel()
	if _, err := bus.ConnectNATS("nats://127.0.0.1:1", "dompet", nil); err == nil {
		t.Fatal("connected to a port nobody listens on")
	}
	n, err := bus.ConnectNATS(bustest.URL(t), "dompet", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "a..b", "a.*", "a.>", "team.my team", "a.b\r\nPUB x 1"} {
		if err := n.Publish(context.Background(), bad, nil); err == nil {
			t.Errorf("published on %q", bad)
		}
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Publish(context.Background(), "x", nil); err == nil {
		t.Fatal("published on a closed connection")
	}
}
