// Package outbox delivers messages that must neither be lost nor invented: a merchant webhook
// for a payment, a security alert for a lockout, a receipt. It knows no domain.
//
// A message is a row of outbox_messages written in the same database transaction as the state
// change that causes it (Row gives the db.Row, for ledger.Transfer.Rows or tx.InsertRows), so
// it exists exactly when the change committed. A dispatcher (Outbox.Run) claims due messages
// with a lease, hands each to the Handler registered for its topic, and records the outcome:
// delivered; retried later with exponential backoff; or dead after the topic's last attempt,
// with the last error kept. Several dispatchers (goroutines or dompet processes sharing one
// PostgreSQL) may run at once: a claim is a conditional UPDATE that only one of them wins, and
// a claim whose dispatcher died (kill -9) expires with its lease, so the message is delivered
// again. Delivery is therefore at least once: handlers pass the message's stable id to the
// receiver (a webhook's event id, an email's Message-ID) so that it can drop duplicates.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/id"
)

// Message statuses.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusDead      = "dead"
)

// Message is what a caller writes.
type Message struct {
	// ID is the stable id handed to the handler on every attempt; "" makes a new "msg_…" id.
	ID    string
	Topic string // chooses the Handler
	// Payload is what the handler gets: UTF-8 text (usually JSON), stored as is.
	Payload []byte
	// DedupeKey, when set, makes the message unique per (Topic, DedupeKey): a second row with
	// the same key is skipped silently, so that a repeated cause does not send twice.
	DedupeKey string
	// NotBefore delays the first attempt (zero: at once).
	NotBefore time.Time
	// CreatedAt is recorded with the message (zero: time.Now()).
	CreatedAt time.Time
}

// Row returns the row that stores m, to be inserted in the transaction of the change that
// causes it. Call Outbox.Notify after the commit so that it goes out at once.
func Row(m Message) db.Row {
	if m.ID == "" {
		m.ID = id.New("msg")
	}
	created := m.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	var due int64 // due at once, whatever a dispatcher's clock says
	if !m.NotBefore.IsZero() {
		due = m.NotBefore.UnixMicro()
	}
	var dedupe any // NULL: no key
	if m.DedupeKey != "" {
		dedupe = m.DedupeKey
	}
	return db.Row{
		Table:          "outbox_messages",
		Cols:           []string{"id", "topic", "dedupe_key", "payload", "status", "attempts", "next_attempt_at", "created_at"},
		Vals:           []any{m.ID, m.Topic, dedupe, string(m.Payload), StatusPending, 0, due, created.UnixMicro()},
		IgnoreConflict: m.DedupeKey != "",
	}
}

// Delivery is one attempt at a message, as a Handler receives it.
type Delivery struct {
	ID        string // the message's stable id: give it to the receiver to deduplicate
	Topic     string
	Payload   []byte
	Attempt   int // 1 for the first attempt
	CreatedAt time.Time
}

// Handler delivers one message. A nil error marks it delivered; an error is retried later,
// unless it is Permanent. The context ends when the dispatcher gives up waiting at shutdown:
// the attempt is then not counted and the message is due again at once.
type Handler func(ctx context.Context, d Delivery) error

type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as final: the message is marked dead without further attempts (a
// webhook URL that was removed, a payload that cannot be read).
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Retry is a topic's schedule: the wait after failed attempt n is First·Factor^(n-1), capped
// at Max, with ±20% jitter so that a receiver coming back is not hit by every retry at once.
type Retry struct {
	First    time.Duration // default 10 s
	Factor   float64       // default 2
	Max      time.Duration // default 1 h
	Attempts int           // attempts before a message is dead; default 10
}

func (r Retry) withDefaults() Retry {
	if r.First <= 0 {
		r.First = 10 * time.Second
	}
	if r.Factor < 1 {
		r.Factor = 2
	}
	if r.Max <= 0 {
		r.Max = time.Hour
	}
	if r.Attempts <= 0 {
		r.Attempts = 10
	}
	return r
}

// wait is the backoff after failed attempt n (1-based).
func (r Retry) wait(n int) time.Duration {
	d := float64(r.First) * math.Pow(r.Factor, float64(n-1))
	d = min(d, float64(r.Max)) * (0.8 + 0.4*rand.Float64())
	return time.Duration(d)
}

// Options tune an Outbox; the zero value gives production defaults.
type Options struct {
	Now          func() time.Time // the clock; default time.Now
	PollInterval time.Duration    // how often Run looks for due messages when not notified; default 2 s
	// Lease is how long a claimed message stays hidden from other dispatchers. It must exceed
	// a handler's longest attempt, or a slow attempt could be repeated. Default 1 min.
	Lease     time.Duration
	BatchSize int // messages claimed and handled at once by one dispatcher; default 16
	// Drain is how long Run, once its context ends, waits for handlers in flight before
	// cancelling them. Default 10 s.
	Drain time.Duration
	Log   *slog.Logger // default: discard
	// PruneBatch is how many delivered messages one statement of Prune deletes; default 1,000.
	PruneBatch int
	// PruneEvery is how often RunRetention prunes; default 1 h.
	PruneEvery time.Duration
}

type route struct {
	h Handler
	r Retry
}

// Outbox is a dispatcher of the messages of one store.
type Outbox struct {
	db   *db.DB
	opts Options
	log  *slog.Logger
	wake chan struct{}

	mu     sync.RWMutex
	routes map[string]route
	topics []any // registered topics, for the due query
}

// New returns the dispatcher of d's outbox. Register handlers with Handle before Run.
func New(d *db.DB, o Options) *Outbox {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 16
	}
	if o.Drain <= 0 {
		o.Drain = 10 * time.Second
	}
	if o.PruneBatch <= 0 {
		o.PruneBatch = 1000
	}
	if o.PruneEvery <= 0 {
		o.PruneEvery = time.Hour
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Outbox{db: d, opts: o, log: log, wake: make(chan struct{}, 1), routes: map[string]route{}}
}

// Handle makes h deliver the messages of topic, on schedule r (zero: the defaults). Messages
// of topics this process has no handler for are left for a process that has one.
func (o *Outbox) Handle(topic string, h Handler, r Retry) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.routes[topic]; !ok {
		o.topics = append(o.topics, topic)
	}
	o.routes[topic] = route{h: h, r: r.withDefaults()}
}

// Notify wakes Run at once instead of at its next poll. Call it after committing a transaction
// that wrote messages; it never blocks.
func (o *Outbox) Notify() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run delivers due messages until ctx ends. It then stops claiming, waits up to Options.Drain
// for the handlers in flight to finish (cancelling them after that, and giving their claims
// back), and returns only when none is left running. Store errors are logged and retried at the
// next poll.
func (o *Outbox) Run(ctx context.Context) {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stopDrain := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(o.opts.Drain, cancel)
		context.AfterFunc(hctx, func() { t.Stop() })
	})
	defer stopDrain()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		attempted, seen, err := o.batch(ctx, hctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			o.log.Error("outbox dispatcher", "err", err)
		}
		if attempted > 0 && seen == o.opts.BatchSize {
			continue // there may be more due right now
		}
		timer.Reset(o.opts.PollInterval)
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-timer.C:
		}
	}
}

// DispatchOnce claims one batch of due messages, hands them to their handlers concurrently,
// waits for them and records the outcomes. It returns how many messages it attempted. Tests
// drive the outbox with it and an injected clock.
func (o *Outbox) DispatchOnce(ctx context.Context) (int, error) {
	n, _, err := o.batch(ctx, ctx)
	return n, err
}

// batch claims due messages with ctx and runs their handlers with hctx.
func (o *Outbox) batch(ctx, hctx context.Context) (attempted, seen int, err error) {
	o.mu.RLock()
	topics := o.topics
	o.mu.RUnlock()
	if len(topics) == 0 {
		return 0, 0, nil
	}
	now := o.opts.Now()
	due, err := o.due(ctx, topics, now.UnixMicro(), o.opts.BatchSize)
	if err != nil {
		return 0, 0, err
	}
	leaseUntil := now.Add(o.opts.Lease).UnixMicro()
	var wg sync.WaitGroup
	var errs []error
	for _, m := range due {
		ok, err := o.claim(ctx, m, leaseUntil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue // another dispatcher has it
		}
		attempted++
		wg.Go(func() { o.attempt(hctx, m, m.Attempts+1) })
	}
	wg.Wait()
	return attempted, len(due), errors.Join(errs...)
}

// attempt hands claimed message m (attempt number n) to its handler and records how it went.
func (o *Outbox) attempt(ctx context.Context, m stored, n int) {
	o.mu.RLock()
	rt, ok := o.routes[m.Topic]
	o.mu.RUnlock()
	var err error
	if ok {
		err = call(ctx, rt.h, Delivery{ID: m.ID, Topic: m.Topic, Payload: []byte(m.Payload), Attempt: n, CreatedAt: time.UnixMicro(m.CreatedAt)})
	} else {
		err = Permanent(fmt.Errorf("no handler for topic %q", m.Topic))
	}
	now := o.opts.Now()
	// Written even when shutting down, so that the claim is not left to expire.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err != nil && ctx.Err() != nil {
		if err := o.release(rctx, m.ID, n, now.UnixMicro()); err != nil {
			o.log.Error("outbox dispatcher", "err", err)
		}
		return
	}
	var res outcome
	switch {
	case err == nil:
		res = outcome{Status: StatusDelivered, NextAttemptAt: now.UnixMicro(), DoneAt: now.UnixMicro()}
	case IsPermanent(err) || n >= rt.r.Attempts:
		res = outcome{Status: StatusDead, NextAttemptAt: now.UnixMicro(), Error: err.Error(), DoneAt: now.UnixMicro()}
		o.log.Error("outbox message dead", "id", m.ID, "topic", m.Topic, "attempts", n, "err", err)
	default:
		next := now.Add(rt.r.wait(n))
		res = outcome{Status: StatusPending, NextAttemptAt: next.UnixMicro(), Error: err.Error()}
		o.log.Warn("outbox delivery failed", "id", m.ID, "topic", m.Topic, "attempt", n, "retry_at", next, "err", err)
	}
	if err := o.finish(rctx, m.ID, n, res); err != nil {
		o.log.Error("outbox dispatcher", "err", err)
	}
}

// call runs h, turning a panic into an error so that one bad message cannot stop the process.
func call(ctx context.Context, h Handler, d Delivery) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return h(ctx, d)
}

// Retention: a delivered message has done its work, and its row is only history; kept
// forever, the table (and its due index) would grow with every payment and receipt. Prune
// deletes delivered rows older than the retention; pending messages (due, leased, or waiting
// for a retry) and dead ones (kept for whoever looks into why) are never deleted. Deleting a
// row frees its dedupe key: a message with the same (topic, key) written afterwards is sent
// again, so the retention must be longer than any time in which a cause can repeat (see
// docs/design.md, "The outbox").

// Prune deletes the messages delivered before before, PruneBatch rows per statement (each
// its own short transaction, so no lock is held long, and dispatchers go on between them),
// until none is left or ctx ends. It returns how many it deleted.
func (o *Outbox) Prune(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		n, err := o.prune(ctx, before.UnixMicro(), o.opts.PruneBatch)
		total += n
		if err != nil {
			return total, err
		}
		if n < o.opts.PruneBatch {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// RunRetention prunes the messages delivered more than keep ago, at once and then every
// PruneEvery, until ctx ends. keep <= 0 keeps them forever (it returns at once).
func (o *Outbox) RunRetention(ctx context.Context, keep time.Duration) {
	if keep <= 0 {
		return
	}
	t := time.NewTicker(o.opts.PruneEvery)
	defer t.Stop()
	for {
		n, err := o.Prune(ctx, o.opts.Now().Add(-keep))
		switch {
		case err != nil && ctx.Err() == nil:
			o.log.Error("outbox retention", "err", err, "deleted", n)
		case n > 0:
			o.log.Info("outbox retention: delivered messages deleted", "count", n, "older_than", keep.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
