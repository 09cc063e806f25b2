package bus

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, subject string
		want             bool
	}{
		{"a.b", "a.b", true},
		{"a.b", "a.c", false},
		{"a.b", "a.b.c", false},
		{"a.*", "a.b", true},
		{"a.*", "a.b.c", false},
		{"a.>", "a.b.c", true},
		{"a.>", "a", false},
		{"*.b", "x.b", true},
		{">", "x", true},
	} {
		if got := Match(strings.Split(c.pattern, "."), strings.Split(c.subject, ".")); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.subject, got, c.want)
		}
	}
}

func TestLocalFanOutInOrder(t *testing.T) {
	ctx := context.Background()
	b := NewLocal()
	one, end1 := b.Subscribe("support.conversation.c1")
	all, end2 := b.Subscribe("support.>")
	other, end3 := b.Subscribe("support.conversation.c2")
	defer end3()
	for i := range 3 {
		if err := b.Publish(ctx, "support.conversation.c1", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	for _, ch := range []<-chan Event{one, all} {
		for i := range 3 {
			e := <-ch
			if string(e.Payload) != fmt.Sprint(i) || e.Subject != "support.conversation.c1" {
				t.Fatalf("event %d: %+v", i, e)
			}
		}
	}
	select {
	case e := <-other:
		t.Fatalf("a subscriber of another subject got %+v", e)
	default:
	}
	end1()
	end1() // twice is fine
	if _, open := <-one; open {
		t.Fatal("the channel stays open after unsubscribe")
	}
	end2()
	if n := b.Subscribers(); n != 1 {
		t.Fatalf("%d subscribers left, want 1", n)
	}
	// Publishing after unsubscribe reaches nobody and does not panic.
	if err := b.Publish(ctx, "support.conversation.c1", nil); err != nil {
		t.Fatal(err)
	}
}

func TestLocalSlowSubscriberDoesNotBlock(t *testing.T) {
	b := NewLocal()
	_, end := b.Subscribe("x")
	defer end()
	_, endAll := b.Subscribe(">")
	defer endAll()
	for range Buffer + 10 { // nobody reads: the publisher must not block
		_ = b.Publish(context.Background(), "x", nil)
	}
	// The exact subscription holds SubjectBuffer events, the wildcard one Buffer.
	if want := int64(Buffer + 10 - SubjectBuffer + 10); b.dropped != want {
		t.Fatalf("dropped %d, want %d", b.dropped, want)
	}
}

// TestLocalIndexed: exact and wildcard subscriptions of many subjects each get exactly the
// events of their subject, and unsubscribing leaves no empty index entry behind.
func TestLocalIndexed(t *testing.T) {
	ctx := context.Background()
	b := NewLocal()
	const n = 100
	chans := make([]<-chan Event, n)
	ends := make([]func(), n)
	for i := range n {
		chans[i], ends[i] = b.Subscribe(fmt.Sprintf("support.conversation.c%d", i))
	}
	same, endSame := b.Subscribe("support.conversation.c7") // a second subscriber of one subject
	star, endStar := b.Subscribe("support.*.c7")
	for i := range n {
		_ = b.Publish(ctx, fmt.Sprintf("support.conversation.c%d", i), []byte(fmt.Sprint(i)))
	}
	for i, ch := range chans {
		if e := <-ch; string(e.Payload) != fmt.Sprint(i) {
			t.Fatalf("subscriber %d got %q", i, e.Payload)
		}
		select {
		case e := <-ch:
			t.Fatalf("subscriber %d got a second event %q", i, e.Payload)
		default:
		}
	}
	for _, ch := range []<-chan Event{same, star} {
		if e := <-ch; string(e.Payload) != "7" || len(ch) != 0 {
			t.Fatalf("got %q and %d more", e.Payload, len(ch))
		}
	}
	for _, end := range ends {
		end()
	}
	endSame()
	endStar()
	if len(b.exact) != 0 || len(b.wild) != 0 || b.Subscribers() != 0 {
		t.Fatalf("left behind: %d subjects, %d wildcards, %d subscribers", len(b.exact), len(b.wild), b.Subscribers())
	}
}

// BenchmarkLocalPublish publishes to one of 10,000 subscribed conversations with a few
// wildcard subscribers (staff consoles) listening, as a busy desk does.
func BenchmarkLocalPublish(b *testing.B) {
	l := NewLocal()
	const n = 10000
	for i := range n {
		ch, end := l.Subscribe(fmt.Sprintf("support.conversation.cnv_%d", i))
		defer end()
		go func() {
			for range ch {
			}
		}()
	}
	for range 4 {
		ch, end := l.Subscribe("support.>")
		defer end()
		go func() {
			for range ch {
			}
		}()
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_ = l.Publish(ctx, fmt.Sprintf("support.conversation.cnv_%d", i%n), nil)
	}
}
