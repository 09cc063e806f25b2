package notify

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/dompet/dompet/internal/fault"
)

// ErrQueueFull is returned by Queue.Send when more messages wait than the queue holds: the
// providers are down or far too slow. The caller may report it (503, retry later).
var ErrQueueFull = fault.New("provider_unavailable", "too many notifications are waiting to be sent").With("retry_after", 30)

// ErrClosed is returned by Queue.Send once the queue is shutting down.
var ErrClosed = errors.New("notify: queue closed")

// QueueOptions tune a Queue; the zero value is production.
type QueueOptions struct {
	Size    int           // messages waiting at most; zero: 1024
	Workers int           // messages delivered at once; zero: 4
	Timeout time.Duration // per message, all of its tries included; zero: 30 s
	Log     *slog.Logger  // nil: slog.Default()
}

// Queue is a Sender that hands messages to another Sender in the background, so that a request
// never waits on an SMS gateway or a mail relay. Send only enqueues (it fails at once, with
// ErrQueueFull, when the queue is full); workers deliver with the inner sender's retries, and
// every delivery is logged, a failure at Error level with the kind and the masked recipient.
type Queue struct {
	next    Sender
	log     *slog.Logger
	timeout time.Duration
	jobs    chan job
	workers sync.WaitGroup
	abort   context.Context // cancelled when Close runs out of time
	stop    context.CancelFunc

	mu      sync.Mutex
	closed  bool
	pending int           // enqueued and not yet finished
	idle    chan struct{} // closed while pending == 0
}

type job struct {
	ctx    context.Context // the caller's values without its cancellation
	m      Message
	queued time.Time
}

// NewQueue starts the workers delivering through next. Close stops them.
func NewQueue(next Sender, o QueueOptions) *Queue {
	if o.Size <= 0 {
		o.Size = 1024
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	q := &Queue{next: next, log: o.Log, timeout: o.Timeout, jobs: make(chan job, o.Size), idle: make(chan struct{})}
	close(q.idle)
	q.abort, q.stop = context.WithCancel(context.Background())
	q.workers.Add(o.Workers)
	for range o.Workers {
		go func() {
			defer q.workers.Done()
			for j := range q.jobs {
				q.deliver(j)
			}
		}()
	}
	return q
}

// Send implements Sender: it enqueues m and returns at once.
func (q *Queue) Send(ctx context.Context, m Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		q.log.ErrorContext(ctx, "notification not sent: shutting down", "channel", m.Channel, "kind", m.Kind, "to", Mask(m.To))
		return ErrClosed
	}
	select {
	case q.jobs <- job{ctx: context.WithoutCancel(ctx), m: m, queued: time.Now()}:
	default:
		q.log.ErrorContext(ctx, "notification not sent: queue full", "channel", m.Channel, "kind", m.Kind, "to", Mask(m.To))
		return ErrQueueFull
	}
	if q.pending == 0 {
		q.idle = make(chan struct{})
	}
	q.pending++
	return nil
}

func (q *Queue) deliver(j job) {
	defer q.done()
	m := j.m
	if q.abort.Err() != nil {
		q.log.ErrorContext(j.ctx, "notification not delivered: shut down before its turn", "channel", m.Channel, "kind", m.Kind, "to", Mask(m.To))
		return
	}
	ctx, cancel := context.WithTimeout(j.ctx, q.timeout)
	defer cancel()
	unhook := context.AfterFunc(q.abort, cancel)
	defer unhook()
	err := q.next.Send(ctx, m)
	if err != nil {
		q.log.ErrorContext(ctx, "notification not delivered", "channel", m.Channel, "kind", m.Kind, "to", Mask(m.To),
			"after", time.Since(j.queued).Round(time.Millisecond).String(), "error", err)
		return
	}
	q.log.InfoContext(ctx, "notification sent", "channel", m.Channel, "kind", m.Kind, "to", Mask(m.To),
		"after", time.Since(j.queued).Round(time.Millisecond).String())
}

func (q *Queue) done() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending--
	if q.pending == 0 {
		close(q.idle)
	}
}

// Flush waits until every message enqueued so far has been delivered or given up on, or ctx
// ends. Tests use it; so may a command that sends and exits.
func (q *Queue) Flush(ctx context.Context) error {
	q.mu.Lock()
	idle := q.idle
	q.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close refuses new messages and delivers the waiting ones until ctx ends; then it cancels
// what is in flight and logs what is left as not delivered. It returns ctx's error when it
// had to cut delivery short.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.jobs)
	}
	q.mu.Unlock()
	finished := make(chan struct{})
	go func() { q.workers.Wait(); close(finished) }()
	select {
	case <-finished:
		q.stop()
		return nil
	case <-ctx.Done():
		q.stop()
		<-finished
		return ctx.Err()
	}
}
