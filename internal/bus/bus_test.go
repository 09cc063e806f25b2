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
	for range Buffer + 10 { // nobody reads: the publisher must not block
		_ = b.Publish(context.Background(), "x", nil)
	}
	if b.dropped != 10 {
		t.Fatalf("dropped %d, want 10", b.dropped)
	}
}
