package support

import (
	"context"
	"errors"
	"sync"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
)

// Group commit of messages. A message must be stored before it is acknowledged, and one
// durable commit per message caps a busy desk at the disk's commit rate (about 1,000 a
// second here, see docs/benchmarks.md). So Append queues its message and waits; one writer
// goroutine takes everything queued while the previous group was being written and stores it
// in one transaction: one commit, one fsync. Each message's outcome is its own: a refusal
// (closed conversation, unknown conversation) or a resend found by client_id is decided
// before anything of it is written, so it does not spoil the group; any other failure rolls
// the group back and its messages are retried one transaction each.
//
// The writer runs only while there is work: it starts with the first queued message and ends
// when the queue is empty, so the service needs no Close.

// maxGroup bounds a group, so that one huge backlog does not become one huge transaction.
const maxGroup = 512

// appendReq is one message waiting for the writer.
type appendReq struct {
	convID string
	in     NewMessage
	conv   convHead
	m      Message // the writer gives it its id and time

	// The outcome, set by the writer before done is closed.
	reopened, requeued, mailed, dup bool
	err                             error
	done                            chan struct{}
}

// chatWriter is the queue and the writer's state; its zero value is ready.
type chatWriter struct {
	mu      sync.Mutex
	queue   []*appendReq
	running bool
	// group, when set (tests), is called with each group before it is written.
	group func(convIDs []string)
}

// enqueue adds r to the queue and starts the writer if it is not running.
func (w *chatWriter) enqueue(s *Service, r *appendReq) {
	w.mu.Lock()
	w.queue = append(w.queue, r)
	start := !w.running
	w.running = true
	w.mu.Unlock()
	if start {
		go w.run(s)
	}
}

func (w *chatWriter) run(s *Service) {
	for {
		w.mu.Lock()
		n := min(len(w.queue), maxGroup)
		if n == 0 {
			w.running = false
			w.queue = nil
			w.mu.Unlock()
			return
		}
		group := w.queue[:n:n]
		w.queue = w.queue[n:]
		w.mu.Unlock()
		if w.group != nil {
			ids := make([]string, len(group))
			for i, r := range group {
				ids[i] = r.convID
			}
			w.group(ids)
		}
		s.writeGroup(group)
	}
}

// writeGroup stores a group in one transaction (or, if that fails, each message in its own),
// publishes the stored messages in order, and answers every caller.
func (s *Service) writeGroup(group []*appendReq) {
	ctx := context.Background()
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, r := range group {
			if err := s.appendOne(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(group) > 1 {
		s.log.WarnContext(ctx, "support: message group failed, storing one by one", "messages", len(group), "err", err)
		for _, r := range group {
			if err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error { return s.appendOne(ctx, tx, r) }); err != nil {
				r.err = err
			}
		}
	} else if err != nil {
		group[0].err = err
	}
	mailed := false
	for _, r := range group {
		if r.err == nil && !r.dup {
			s.publishMessage(ctx, r.m)
			if r.reopened {
				s.publish(ctx, SubjectConversation(r.convID), Event{Type: "status", ConversationID: r.convID, Status: StatusOpen})
			}
			mailed = mailed || r.mailed
		}
		close(r.done)
	}
	if mailed && s.wake != nil {
		s.wake()
	}
}

// appendOne stores r's message in tx. Refusals and resends go to r and return nil (nothing
// was written for them); an error returned fails the transaction.
func (s *Service) appendOne(ctx context.Context, tx *db.Tx, r *appendReq) error {
	r.reopened, r.requeued, r.mailed, r.dup, r.err = false, false, false, false, nil // a retried transaction starts over
	status, err := lockConversation(ctx, tx, r.convID)
	if errors.Is(err, db.ErrNotFound) {
		r.err = ErrNotFound
		return nil
	}
	if fault.Code(err) == fault.Code(ErrState) {
		r.err = err
		return nil
	}
	if err != nil {
		return err
	}
	if r.in.ClientID != "" {
		// After the lock: a resend in this group or from another process is seen here.
		m, err := scanMessage(tx.QueryRow(ctx, `SELECT `+msgCols+` FROM support_messages
			WHERE conversation_id = ? AND client_id = ?`, r.convID, r.in.ClientID))
		if err == nil {
			r.m, r.dup = m, true
			return nil
		}
		if !errors.Is(err, db.ErrNotFound) {
			return err
		}
	}
	// Ids are given in commit order, so that a stream resuming ?after= a message it saw never
	// skips one committed after it.
	now := s.now()
	r.m.ID, r.m.CreatedAt = id.New("msg"), fromMicros(micros(now))
	r.reopened, r.requeued, err = applyAppend(ctx, tx, r.convID, status, r.in, r.m, now)
	if err != nil {
		return err
	}
	if r.in.Author.Type == AuthorAgent && !r.in.Internal && r.in.Channel == ChannelEmail && r.conv.channel == ChannelEmail && s.email != nil {
		r.mailed = true
		return s.mailReply(ctx, tx, r.convID, r.m)
	}
	return nil
}
