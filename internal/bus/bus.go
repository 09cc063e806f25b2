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
	"slices"
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

// SubjectBuffer is Buffer for Local's subscriptions to one exact subject (a customer's
// conversation): its events come a few at a time, and with thousands of idle chat streams
// open, 256 buffered events each (about 10 KB) was the largest part of a stream's memory.
const SubjectBuffer = 32

// Local is the in-process bus: fan-out through buffered channels. A subscriber whose buffer
// is full misses the event (counted in Dropped) rather than holding the publisher up.
//
// Subscriptions to an exact subject (every customer's chat stream) are indexed by subject, so
// a publish costs one map lookup plus a scan of the few wildcard subscriptions (staff
// consoles), not a scan of every subscriber.
type Local struct {
	mu      sync.RWMutex
	exact   map[string]map[*sub]struct{}
	wild    map[*sub]struct{}
	n       int
	dropped int64
}

type sub struct {
	subject string   // exact subscriptions: the subject
	pattern []string // wildcard subscriptions: the pattern's tokens
	ch      chan Event
}

// NewLocal returns an empty in-process bus.
func NewLocal() *Local {
	return &Local{exact: map[string]map[*sub]struct{}{}, wild: map[*sub]struct{}{}}
}

// Publish implements Bus.
func (l *Local) Publish(_ context.Context, subject string, payload []byte) error {
	e := Event{Subject: subject, Payload: payload}
	l.mu.RLock()
	defer l.mu.RUnlock()
	for s := range l.exact[subject] {
		l.send(s, e)
	}
	if len(l.wild) == 0 {
		return nil
	}
	tokens := strings.Split(subject, ".")
	for s := range l.wild {
		if Match(s.pattern, tokens) {
			l.send(s, e)
		}
	}
	return nil
}

func (l *Local) send(s *sub, e Event) {
	select {
	case s.ch <- e:
	default:
		l.dropped++ // under the read lock: approximate, for metrics only
	}
}

// Subscribe implements Bus.
func (l *Local) Subscribe(pattern string) (<-chan Event, func()) {
	s := &sub{}
	if tokens := strings.Split(pattern, "."); slices.ContainsFunc(tokens, func(t string) bool { return t == "*" || t == ">" }) {
		s.pattern, s.ch = tokens, make(chan Event, Buffer)
	} else {
		s.subject, s.ch = pattern, make(chan Event, SubjectBuffer)
	}
	l.mu.Lock()
	if s.pattern != nil {
		l.wild[s] = struct{}{}
	} else {
		set := l.exact[s.subject]
		if set == nil {
			set = map[*sub]struct{}{}
			l.exact[s.subject] = set
		}
		set[s] = struct{}{}
	}
	l.n++
	l.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			l.mu.Lock()
			if s.pattern != nil {
				delete(l.wild, s)
			} else if set := l.exact[s.subject]; set != nil {
				delete(set, s)
				if len(set) == 0 {
					delete(l.exact, s.subject)
				}
			}
			l.n--
			l.mu.Unlock()
			close(s.ch)
		})
	}
}

// Subscribers is how many subscriptions are open (for tests and metrics).
func (l *Local) Subscribers() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.n
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
