// Package ledger is Dompet's double-entry core. Money lives in accounts (one per owner, kind and
// currency) and moves only by immutable transfers made of postings, each debiting one account
// and crediting another of the same currency by the same positive amount, so every currency
// always sums to zero. A transfer may be pending (a hold) and later posted or voided once, or
// expire. Every transfer carries an idempotency key: the same key never moves money twice and
// always gets the first outcome back, rejections included.
//
// Transfers are committed in groups: one goroutine gathers the transfers submitted while the
// previous group was being written and applies them in a single database transaction, checking
// balances and limits in memory against rows it has locked. Durability then costs one fsync per
// group, and a hot account (a big merchant, the fee account) is locked once per group rather
// than once per transfer.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
)

// Failures a transfer can be rejected with. Rejections are stored under the transfer's key.
var (
	ErrInsufficientFunds = fault.New("insufficient_balance", "the account balance is too low")
	ErrLimitExceeded     = fault.New("limit_exceeded", "a limit would be exceeded")
	ErrAccountNotFound   = fault.New("not_found", "ledger account not found")
	ErrCurrencyMismatch  = fault.New("invalid_request", "posting currency differs from an account's currency")
	ErrPendingNotFound   = fault.New("not_found", "pending transfer not found")
	ErrAlreadyResolved   = fault.New("invalid_state", "the pending transfer was already posted or voided")
	ErrPendingExpired    = fault.New("invalid_state", "the pending transfer has expired")
	ErrInvalidTransfer   = fault.New("invalid_request", "malformed transfer")
	ErrStateChanged      = fault.New("invalid_state", "a record the transfer changes is not in the state it expects")
	ErrClosed            = errors.New("ledger closed")
)

// Phases of a stored transfer.
const (
	PhasePosted   = "posted"   // moved money at once
	PhasePending  = "pending"  // holds money until posted, voided or expired
	PhasePost     = "post"     // posted a pending transfer
	PhaseVoid     = "void"     // released a pending transfer
	PhaseRejected = "rejected" // refused; moved nothing
)

// Posting moves Amount of Currency from the Debit account to the Credit account.
type Posting struct {
	Debit, Credit string
	Amount        int64
	Currency      string
}

// Usage adds Amount to the counter Key; when Max > 0 the transfer is rejected with
// ErrLimitExceeded (field "limit" = Key) if the counter would pass Max. Counters are how
// callers enforce daily limits or "never refund more than was paid" atomically.
type Usage struct {
	Key    string
	Amount int64
	Max    int64
}

// Transfer is one atomic movement request.
type Transfer struct {
	ID   string // optional; assigned when empty
	Key  string // idempotency key, required, unique across the ledger
	Code string // what the transfer is for, e.g. "payment"

	Postings []Posting
	Pending  bool          // hold the postings instead of moving money
	Timeout  time.Duration // a pending transfer expires (is voided) after this; 0 = never

	Post string // post the pending transfer with this id (Postings must be empty)
	Void string // void the pending transfer with this id (Postings must be empty)

	// Usage counts the transfer against counters. A pending transfer's usage stays when it
	// is posted and is given back when it is voided or expires.
	Usage []Usage

	// Rows are written in the same database transaction if and only if the transfer is
	// accepted (records of the caller's own domain, outbox events).
	Rows []db.Row
	// Rejected, when set, gives rows to write in the same transaction if it is rejected
	// (e.g. a failed transaction shown in the user's history).
	Rejected func(reason *fault.Error) []db.Row

	// Updates are the state change the transfer carries: conditional statements on the
	// caller's own records ("withdrawal w from pending to succeeded"), run in the transfer's
	// database transaction when it is decided. Each must change at least one row, or the
	// transfer is rejected with that update's Reject and none of its effects remain (no
	// money, counters, Rows or earlier Updates); the other transfers of its group still commit.
	// The state is checked before the money: a transfer whose records are not in the expected
	// state is refused with Reject whatever the balances. A transfer without Updates costs
	// nothing more.
	Updates []Update
}

// Update is one conditional statement a transfer carries (see Transfer.Updates).
type Update struct {
	SQL  string // an UPDATE (or INSERT, DELETE) with ? placeholders, on the caller's tables
	Args []any
	// Reject is the transfer's rejection when the statement changes no row (ErrStateChanged
	// when nil). It is stored under the transfer's key like any rejection.
	Reject *fault.Error
}

// Step is a point in a group's way through the ledger, for Options.Hook.
type Step int

const (
	StepQueued    Step = iota // Submit queued the transfer (keys: its key)
	StepGroup                 // a group was gathered and is about to be written
	StepDecided               // the group is decided and written, its transaction not yet committed
	StepCommitted             // the group is durable; its callers do not have their answers yet
)

// Result is the outcome of an accepted transfer, or of the first one with the same key.
type Result struct {
	ID        string
	Phase     string
	CreatedAt time.Time
	Duplicate bool // the key had been used: this is the first outcome
}

// Options tune the ledger.
type Options struct {
	MaxBatch int              // transfers per database transaction (default 1000)
	Now      func() time.Time // clock, for tests
	Log      *slog.Logger
	// Hook, when set, is called at each Step with the keys of the transfers concerned, so
	// that tests can order events and inject failures. An error at StepDecided fails the
	// group's database transaction as a broken store would (the group is then retried one
	// transfer at a time, asking the hook again); an error at StepCommitted is the answer
	// of each of the group's callers although the group is durable, as when a commit's
	// acknowledgement is lost. Errors at other steps are ignored. For tests.
	Hook func(step Step, keys []string) error
}

// Ledger accepts transfers and commits them in groups.
type Ledger struct {
	db   *db.DB
	opts Options
	in   chan *request

	closeOnce sync.Once
	quit      chan struct{}
	done      chan struct{}
	mu        sync.RWMutex // guards closed against Submit
	closed    bool

	accounts sync.Map // owner|kind|currency → account id (accounts are never deleted)

	stats struct {
		groups, accepted, rejected, duplicates, failed, commitNanos atomic.Uint64
	}
}

// Stats are running totals since the ledger started, for metrics.
type Stats struct {
	Groups        uint64  // database transactions committed (or attempted)
	Accepted      uint64  // transfers that moved or held money
	Rejected      uint64  // transfers refused by a rule (balance, limit, state)
	Duplicates    uint64  // replays answered with a first outcome
	Failed        uint64  // transfers that met a store error and were not decided
	CommitSeconds float64 // time spent writing groups
}

// Stats returns the running totals.
func (l *Ledger) Stats() Stats {
	return Stats{
		Groups: l.stats.groups.Load(), Accepted: l.stats.accepted.Load(), Rejected: l.stats.rejected.Load(),
		Duplicates: l.stats.duplicates.Load(), Failed: l.stats.failed.Load(),
		CommitSeconds: float64(l.stats.commitNanos.Load()) / 1e9,
	}
}

type request struct {
	t    Transfer
	res  Result
	err  error
	done chan struct{}
}

// New starts a ledger on d. Close stops it.
func New(d *db.DB, opts Options) *Ledger {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	l := &Ledger{db: d, opts: opts, in: make(chan *request, 4*opts.MaxBatch), quit: make(chan struct{}), done: make(chan struct{})}
	go l.run()
	return l
}

// Close stops accepting transfers, waits for the group being written and answers the rest
// with ErrClosed.
func (l *Ledger) Close() {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		close(l.quit)
		<-l.done
	})
}

// Submit applies t and waits until it is durably committed or rejected. A rejection is a
// *fault.Error (ErrInsufficientFunds, ErrLimitExceeded, …); a replayed key returns the first
// outcome with Duplicate set, whether it was accepted or rejected.
func (l *Ledger) Submit(ctx context.Context, t Transfer) (Result, error) {
	if err := validate(&t); err != nil {
		return Result{}, err
	}
	r := &request{t: t, done: make(chan struct{})}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return Result{}, ErrClosed
	}
	select {
	case l.in <- r:
	case <-ctx.Done():
		l.mu.RUnlock()
		return Result{}, ctx.Err()
	}
	l.mu.RUnlock()
	if l.opts.Hook != nil {
		_ = l.opts.Hook(StepQueued, []string{t.Key})
	}
	// Once queued, the transfer will be decided; wait for the answer even if the caller's
	// context ends, so that the caller's records never disagree with the ledger.
	<-r.done
	return r.res, r.err
}

func validate(t *Transfer) error {
	if t.Key == "" || len(t.Key) > 300 {
		return ErrInvalidTransfer.Because("transfer key must be 1-300 characters")
	}
	if t.Code == "" {
		return ErrInvalidTransfer.Because("transfer code is required")
	}
	resolving := t.Post != "" || t.Void != ""
	if t.Post != "" && t.Void != "" {
		return ErrInvalidTransfer.Because("a transfer cannot both post and void")
	}
	if resolving && (len(t.Postings) > 0 || t.Pending) {
		return ErrInvalidTransfer.Because("posting or voiding a pending transfer takes no postings")
	}
	if !resolving && len(t.Postings) == 0 {
		return ErrInvalidTransfer.Because("a transfer needs at least one posting")
	}
	for i, p := range t.Postings {
		if p.Amount <= 0 {
			return ErrInvalidTransfer.Because(fmt.Sprintf("posting %d: amount must be positive", i))
		}
		if p.Debit == "" || p.Credit == "" || p.Debit == p.Credit {
			return ErrInvalidTransfer.Because(fmt.Sprintf("posting %d: needs two different accounts", i))
		}
		if p.Currency == "" {
			return ErrInvalidTransfer.Because(fmt.Sprintf("posting %d: currency is required", i))
		}
	}
	for _, u := range t.Usage {
		if u.Key == "" {
			return ErrInvalidTransfer.Because("usage key is required")
		}
	}
	for _, u := range t.Updates {
		if u.SQL == "" {
			return ErrInvalidTransfer.Because("an update needs its statement")
		}
	}
	return nil
}

func (l *Ledger) run() {
	defer close(l.done)
	batch := make([]*request, 0, l.opts.MaxBatch)
	for {
		select {
		case r := <-l.in:
			batch = append(batch[:0], r)
		case <-l.quit:
			l.drainClosed()
			return
		}
	fill:
		for len(batch) < l.opts.MaxBatch {
			select {
			case r := <-l.in:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		l.commit(batch)
	}
}

func (l *Ledger) drainClosed() {
	for {
		select {
		case r := <-l.in:
			r.err = ErrClosed
			close(r.done)
		default:
			return
		}
	}
}

// commit writes a group. If the group fails as a whole for a reason other than the store
// being unreachable (say one caller's rows break a constraint), each transfer is retried on
// its own so that one bad request cannot sink the others.
func (l *Ledger) commit(batch []*request) {
	ctx := context.Background()
	start := time.Now()
	if l.opts.Hook != nil {
		_ = l.opts.Hook(StepGroup, batchKeys(batch))
	}
	outs, err := l.apply(ctx, batch)
	l.stats.groups.Add(1)
	l.stats.commitNanos.Add(uint64(time.Since(start)))
	if err != nil && len(batch) > 1 {
		l.opts.Log.Warn("ledger group failed; retrying one by one", "size", len(batch), "err", err)
		for _, r := range batch {
			l.commit([]*request{r})
		}
		return
	}
	if err == nil && l.opts.Hook != nil {
		err = l.opts.Hook(StepCommitted, batchKeys(batch))
	}
	for i, r := range batch {
		switch {
		case err != nil:
			r.err = fmt.Errorf("ledger commit: %w", err)
			l.stats.failed.Add(1)
		default:
			r.res, r.err = outs[i].res, outs[i].err
			switch {
			case r.res.Duplicate:
				l.stats.duplicates.Add(1)
			case r.err != nil:
				l.stats.rejected.Add(1)
			default:
				l.stats.accepted.Add(1)
			}
		}
		close(r.done)
	}
}

func batchKeys(batch []*request) []string {
	keys := make([]string, len(batch))
	for i, r := range batch {
		keys[i] = r.t.Key
	}
	return keys
}
