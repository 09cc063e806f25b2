package support

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
		var st *groupStmts
		if len(group) >= prepareFrom {
			var err error
			if st, err = prepareGroup(ctx, tx); err != nil {
				return err
			}
			defer st.close()
		}
		for _, r := range group {
			if err := s.appendOne(ctx, tx, r, st); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(group) > 1 {
		s.log.WarnContext(ctx, "support: message group failed, storing one by one", "messages", len(group), "err", err)
		for _, r := range group {
			if err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error { return s.appendOne(ctx, tx, r, nil) }); err != nil {
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

// prepareFrom is the group size from which the group's statements are prepared once
// (SQLite otherwise parses each statement for each message: most of the writer's time).
const prepareFrom = 4

// groupStmts are the statements of appendOne, prepared for a group.
type groupStmts struct {
	lock, byClient, insert *sql.Stmt
}

func prepareGroup(ctx context.Context, tx *db.Tx) (*groupStmts, error) {
	st := &groupStmts{}
	for _, p := range []struct {
		to *(*sql.Stmt)
		q  string
	}{{&st.lock, lockQuery + tx.ForUpdate()}, {&st.byClient, byClientQuery}, {&st.insert, insertQuery}} {
		var err error
		if *p.to, err = tx.Prepare(ctx, p.q); err != nil {
			st.close()
			return nil, fmt.Errorf("prepare message group: %w", err)
		}
	}
	return st, nil
}

func (st *groupStmts) close() {
	for _, s := range []*sql.Stmt{st.lock, st.byClient, st.insert} {
		if s != nil {
			_ = s.Close()
		}
	}
}

const byClientQuery = `SELECT ` + msgCols + ` FROM support_messages WHERE conversation_id = ? AND client_id = ?`

// appendOne stores r's message in tx (with st's statements when not nil). Refusals and
// resends go to r and return nil (nothing was written for them); an error returned fails the
// transaction.
func (s *Service) appendOne(ctx context.Context, tx *db.Tx, r *appendReq, st *groupStmts) error {
	r.reopened, r.requeued, r.mailed, r.dup, r.err = false, false, false, false, nil // a retried transaction starts over
	var status string
	var err error
	if st != nil {
		status, err = lockedStatus(st.lock.QueryRowContext(ctx, r.convID))
	} else {
		status, err = lockConversation(ctx, tx, r.convID)
	}
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
		var row *sql.Row
		if st != nil {
			row = st.byClient.QueryRowContext(ctx, r.convID, r.in.ClientID)
		} else {
			row = tx.QueryRow(ctx, byClientQuery, r.convID, r.in.ClientID)
		}
		m, err := scanMessage(row)
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
	var insert *sql.Stmt
	if st != nil {
		insert = st.insert
	}
	r.reopened, r.requeued, err = applyAppend(ctx, tx, r.convID, status, r.in, r.m, now, insert, s.resumeTx)
	if err != nil {
		return err
	}
	if r.in.Author.Type == AuthorAgent && !r.in.Internal && r.in.Channel == ChannelEmail && r.conv.channel == ChannelEmail && s.email != nil {
		r.mailed = true
		return s.mailReply(ctx, tx, r.convID, r.m)
	}
	return nil
}
