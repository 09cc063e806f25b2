// Package bus carries real-time events between the parts of Dompet and between Dompet
// processes: a publisher names a subject ("support.conversation.cnv_…") and sends bytes; every
// subscriber of a matching subject gets them. It knows no domain. Delivery is at most once and
// best effort: an event is a hint that something changed after a commit, and a subscriber that
// misses one (slow, reconnecting) reads the store to catch up.
//
// Subjects are dot-separated tokens, as in NATS: a subscription may use "*" for one token and
// a final ">" for one or more, so that a NATS implementation (DOMPET_NATS_URL) can stand behind
// the same interface without changing any caller.
package bus

import (
	"context"
	"strings"
	"sync"
)

// Bus publishes and subscribes to events.
type Bus interface {
	// Publish sends payload to the subscribers of subject; it never waits for slow ones.
	Publish(ctx context.Context, subject string, payload []byte) error
	// Subscribe returns the events of the subjects pattern matches, and a function that ends
	// the subscription (and closes the channel). Safe to call more than once.
	Subscribe(pattern string) (<-chan Event, func())
}

// Event is one published payload with the subject it was published on.
type Event struct {
	Subject string
	Payload []byte
}

// Buffer is how many events a subscriber may fall behind before events to it are dropped.
const Buffer = 256

// Local is the in-process bus: fan-out through buffered channels. A subscriber whose buffer
// is full misses the event (counted in Dropped) rather than holding the publisher up.
type Local struct {
	mu      sync.RWMutex
	subs    map[*sub]struct{}
	dropped int64
}

type sub struct {
	pattern []string
	ch      chan Event
}

// NewLocal returns an empty in-process bus.
func NewLocal() *Local { return &Local{subs: map[*sub]struct{}{}} }

// Publish implements Bus.
func (l *Local) Publish(_ context.Context, subject string, payload []byte) error {
	tokens := strings.Split(subject, ".")
	l.mu.RLock()
	defer l.mu.RUnlock()
	for s := range l.subs {
		if !Match(s.pattern, tokens) {
			continue
		}
		select {
		case s.ch <- Event{Subject: subject, Payload: payload}:
		default:
			l.dropped++ // under the read lock: approximate, for metrics only
		}
	}
	return nil
}

// Subscribe implements Bus.
func (l *Local) Subscribe(pattern string) (<-chan Event, func()) {
	s := &sub{pattern: strings.Split(pattern, "."), ch: make(chan Event, Buffer)}
	l.mu.Lock()
	l.subs[s] = struct{}{}
	l.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.subs, s)
			l.mu.Unlock()
			close(s.ch)
		})
	}
}

// Subscribers is how many subscriptions are open (for tests and metrics).
func (l *Local) Subscribers() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.subs)
}

// Match reports whether a subject's tokens match a pattern's, with NATS wildcards: "*" is
// any one token, a final ">" one or more.
func Match(pattern, subject []string) bool {
	for i, p := range pattern {
		if p == ">" && i == len(pattern)-1 {
			return len(subject) > i
		}
		if i >= len(subject) || (p != "*" && p != subject[i]) {
			return false
		}
	}
	return len(pattern) == len(subject)
}
