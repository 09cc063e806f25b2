package notify

import (
	"context"
	"sync"
	"time"
)

// Sent is a message a Recorder saw go out.
type Sent struct {
	At      time.Time
	Message Message
}

// Recorder is a Sender that passes messages on and keeps the last few in memory, for the demo
// page (a person trying Dompet reads the codes there) and for tests. Only demo mode uses it:
// it holds one-time codes in clear.
type Recorder struct {
	next Sender
	now  func() time.Time

	mu   sync.Mutex
	ring []Sent // oldest overwritten first once full
	head int    // where the next one goes
	full bool
}

// NewRecorder keeps the last size messages (zero: 200) that next accepted; a nil next only
// records.
func NewRecorder(next Sender, size int) *Recorder {
	if size <= 0 {
		size = 200
	}
	return &Recorder{next: next, now: time.Now, ring: make([]Sent, size)}
}

// Send implements Sender: it records m once next has accepted it.
func (r *Recorder) Send(ctx context.Context, m Message) error {
	if r.next != nil {
		if err := r.next.Send(ctx, m); err != nil {
			return err
		}
	}
	r.Record(m)
	return nil
}

// Record keeps m without sending it (for messages sent another way, such as the outbox).
func (r *Recorder) Record(m Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ring[r.head] = Sent{At: r.now(), Message: m}
	r.head++
	if r.head == len(r.ring) {
		r.head, r.full = 0, true
	}
}

// Recent returns the recorded messages, newest first.
func (r *Recorder) Recent() []Sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.head
	if r.full {
		n = len(r.ring)
	}
	out := make([]Sent, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, r.ring[(r.head-i+len(r.ring))%len(r.ring)])
	}
	return out
}
