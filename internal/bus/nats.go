package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// NATS is the bus of several Dompet processes: events go through a NATS server to the
// subscribers of every process. A process's own events take the in-process path (a Local) and
// the NATS connection is opened with NoEcho, so the server never sends them back: each
// subscriber gets every event exactly once, its own process's at in-process speed (and still
// while NATS is unreachable), the others' through the server.
type NATS struct {
	local   *Local
	nc      *nats.Conn
	log     *slog.Logger
	dropped atomic.Int64  // events a full subscriber missed
	closed  chan struct{} // closed once the connection is
}

// flushTimeout bounds the round trip that makes a new subscription known to the server.
const flushTimeout = 5 * time.Second

// ConnectNATS connects to the NATS server(s) of urls (comma-separated) and returns the bus.
// name tells the server who is connected (monitoring). It fails when no server answers now; once connected it reconnects forever, and events
// published while disconnected are buffered by the client (and dropped past its buffer:
// events are hints).
func ConnectNATS(urls, name string, log *slog.Logger) (*NATS, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.NoEcho(), // our own events are delivered in process
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.Timeout(5 * time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("nats: disconnected", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("nats: reconnected", "server", c.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, s *nats.Subscription, err error) {
			subject := ""
			if s != nil {
				subject = s.Subject
			}
			log.Warn("nats: error", "subject", subject, "err", err)
		}),
	}
	closed := make(chan struct{})
	opts = append(opts, nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	nc, err := nats.Connect(urls, opts...)
	if err != nil {
		return nil, fmt.Errorf("bus: connect to NATS: %w", err)
	}
	log.Info("nats: connected", "server", nc.ConnectedUrlRedacted())
	return &NATS{local: NewLocal(), nc: nc, log: log, closed: closed}, nil
}

// Publish implements Bus: to this process's subscribers at once, and to the other
// processes' through the server (queued by the client; an error only when the connection
// is closed or the subject invalid).
func (n *NATS) Publish(ctx context.Context, subject string, payload []byte) error {
	if !validSubject(subject) {
		return fmt.Errorf("bus: publish: %q is not a subject", subject)
	}
	if err := n.local.Publish(ctx, subject, payload); err != nil {
		return err
	}
	if err := n.nc.Publish(subject, payload); err != nil {
		return fmt.Errorf("bus: publish %s on NATS: %w", subject, err)
	}
	return nil
}

// validSubject reports whether subject is dot-separated non-empty tokens without spaces or
// wildcards: anything else would be read as another part of the NATS protocol line.
func validSubject(subject string) bool {
	for tok := range strings.SplitSeq(subject, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n") {
			return false
		}
	}
	return true
}

// Subscribe implements Bus. The subscription is known to the server when Subscribe returns
// (one round trip), so that an event another process publishes afterwards is not missed by a
// caller that subscribes and then reads the store. If NATS cannot take the subscription the
// caller still gets this process's events (the failure is logged).
func (n *NATS) Subscribe(pattern string) (<-chan Event, func()) {
	own, endOwn := n.local.Subscribe(pattern)
	out := make(chan Event, Buffer)
	var (
		mu     sync.Mutex // guards closed and sends on out, from both paths
		closed bool
	)
	deliver := func(e Event) bool {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			return false
		}
		select {
		case out <- e:
			return true
		default:
			return false
		}
	}
	ownDone := make(chan struct{})
	go func() {
		defer close(ownDone)
		for e := range own {
			if !deliver(e) {
				n.dropped.Add(1)
			}
		}
	}()
	sub, err := n.nc.Subscribe(pattern, func(m *nats.Msg) {
		if !deliver(Event{Subject: m.Subject, Payload: m.Data}) {
			n.dropped.Add(1)
		}
	})
	if err != nil {
		n.log.Warn("nats: subscribe", "pattern", pattern, "err", err)
	} else if n.nc.IsConnected() {
		if err := n.nc.FlushTimeout(flushTimeout); err != nil {
			n.log.Warn("nats: subscribe", "pattern", pattern, "err", err)
		}
	} // reconnecting: the client subscribes again on reconnect
	var once sync.Once
	return out, func() {
		once.Do(func() {
			if sub != nil {
				_ = sub.Unsubscribe() // a callback still running finds closed set below
			}
			endOwn()
			<-ownDone
			mu.Lock()
			closed = true
			close(out)
			mu.Unlock()
		})
	}
}

// Dropped is how many events were dropped because a subscriber was full.
func (n *NATS) Dropped() int64 { return n.dropped.Load() }

// Close flushes the events still buffered to the server and closes the connection.
func (n *NATS) Close() error {
	if err := n.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		n.nc.Close()
		return fmt.Errorf("bus: close NATS: %w", err)
	}
	<-n.closed // Drain returns at once; the client closes within its drain timeout
	return nil
}
