package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
)

type outcome struct {
	res Result
	err error
}

// group is the state of one database transaction: the locked accounts and counters, and
// everything to write when the group is done.
type group struct {
	now      time.Time
	accounts map[string]*Account
	dirty    map[string]bool
	usage    map[string]int64
	usageSet map[string]bool
	pendings map[string]*pendingTransfer // pending transfers referenced or created in the group
	keys     map[string]int              // key → index of the first request with it

	transfers []db.Row
	postings  []db.Row
	rows      []db.Row
}

type pendingTransfer struct {
	id       string
	timeout  int64 // unix µs, 0 = never
	resolved bool
	postings []Posting
	usage    []Usage // what the hold added to counters; a void gives it back
}

// apply runs the group in one transaction (retried whole on engine conflicts) and returns
// the outcome of each request in order.
//
// Another process may commit a transfer with one of the group's keys between our read of the
// keys and our insert; PostgreSQL then reports a unique violation once that commit is done,
// and a fresh attempt finds the key and answers with its outcome.
func (l *Ledger) apply(ctx context.Context, batch []*request) ([]outcome, error) {
	var outs []outcome
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = l.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			var err error
			outs, err = l.applyTx(ctx, tx, batch)
			return err
		})
		if err == nil || !db.IsUniqueViolation(err) {
			break
		}
	}
	return outs, err
}

func (l *Ledger) applyTx(ctx context.Context, tx *db.Tx, batch []*request) ([]outcome, error) {
	g := &group{
		now:      l.opts.Now().UTC(),
		accounts: map[string]*Account{},
		dirty:    map[string]bool{},
		usage:    map[string]int64{},
		usageSet: map[string]bool{},
		pendings: map[string]*pendingTransfer{},
		keys:     map[string]int{},
	}
	outs := make([]outcome, len(batch))

	// Replays: keys already in the journal answer with their first outcome.
	var keys []string
	for _, r := range batch {
		keys = append(keys, r.t.Key)
	}
	existing, err := loadByKeys(ctx, tx, keys)
	if err != nil {
		return nil, err
	}

	// Lock what the group touches, in a fixed order so that two dompet processes sharing
	// PostgreSQL cannot deadlock on each other.
	var pendingIDs []string
	for _, r := range batch {
		if ref := r.t.Post + r.t.Void; ref != "" {
			pendingIDs = append(pendingIDs, ref)
		}
	}
	if err := loadPendings(ctx, tx, pendingIDs, g.pendings); err != nil {
		return nil, err
	}
	accountIDs := map[string]bool{}
	usageKeys := map[string]bool{}
	for _, r := range batch {
		for _, p := range r.t.Postings {
			accountIDs[p.Debit], accountIDs[p.Credit] = true, true
		}
		if pt := g.pendings[r.t.Post+r.t.Void]; pt != nil {
			for _, p := range pt.postings {
				accountIDs[p.Debit], accountIDs[p.Credit] = true, true
			}
			for _, u := range pt.usage {
				usageKeys[u.Key] = true
			}
		}
		for _, u := range r.t.Usage {
			usageKeys[u.Key] = true
		}
	}
	if err := lockAccounts(ctx, tx, sortedKeys(accountIDs), g.accounts); err != nil {
		return nil, err
	}
	if err := lockUsage(ctx, tx, sortedKeys(usageKeys), g.usage); err != nil {
		return nil, err
	}

	for i, r := range batch {
		if e, ok := existing[r.t.Key]; ok {
			outs[i] = e.outcome()
			continue
		}
		if first, ok := g.keys[r.t.Key]; ok { // same key twice in one group
			outs[i] = outs[first]
			outs[i].res.Duplicate = true
			continue
		}
		g.keys[r.t.Key] = i
		if len(r.t.Updates) > 0 {
			if outs[i], err = g.decideWithUpdates(ctx, tx, &r.t); err != nil {
				return nil, err
			}
			continue
		}
		outs[i] = g.decide(&r.t)
	}

	if err := g.flush(ctx, tx); err != nil {
		return nil, err
	}
	if err := g.saveAccounts(ctx, tx); err != nil {
		return nil, err
	}
	if err := g.saveUsage(ctx, tx); err != nil {
		return nil, err
	}
	if l.opts.Hook != nil {
		if err := l.opts.Hook(StepDecided, batchKeys(batch)); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// flush inserts the journal and the callers' rows gathered so far. Balances and counters
// are kept in memory until the group ends.
func (g *group) flush(ctx context.Context, tx *db.Tx) error {
	if err := tx.InsertRows(ctx, g.transfers); err != nil {
		return err
	}
	if err := tx.InsertRows(ctx, g.postings); err != nil {
		return err
	}
	if err := tx.InsertRows(ctx, g.rows); err != nil {
		return err
	}
	g.transfers, g.postings, g.rows = g.transfers[:0], g.postings[:0], g.rows[:0]
	return nil
}

// decideWithUpdates decides a transfer that carries updates. They must run, and be checked,
// while the transfer is decided, so it gets a savepoint of its own: when an update changes
// nothing, or the money is refused, the savepoint is rolled back and only the rejection is
// written. The rows of the transfers decided before it are written first, so that its
// updates see the group as it stands.
func (g *group) decideWithUpdates(ctx context.Context, tx *db.Tx, t *Transfer) (outcome, error) {
	if err := g.flush(ctx, tx); err != nil {
		return outcome{}, err
	}
	if _, err := tx.Exec(ctx, "SAVEPOINT ledger_transfer"); err != nil {
		return outcome{}, fmt.Errorf("savepoint: %w", err)
	}
	var refused *fault.Error
	for _, u := range t.Updates {
		res, err := tx.Exec(ctx, u.SQL, u.Args...)
		if err != nil {
			return outcome{}, fmt.Errorf("update of transfer %s: %w", t.Key, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return outcome{}, fmt.Errorf("update of transfer %s: %w", t.Key, err)
		}
		if n == 0 {
			refused = u.Reject
			if refused == nil {
				refused = ErrStateChanged
			}
			break
		}
	}
	var out outcome
	if refused != nil {
		if t.ID == "" {
			t.ID = id.New("trf")
		}
		g.reject(t, refused)
		out = outcome{err: refused}
	} else {
		out = g.decide(t)
	}
	if out.err != nil {
		if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT ledger_transfer"); err != nil {
			return outcome{}, fmt.Errorf("rollback to savepoint: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT ledger_transfer"); err != nil {
		return outcome{}, fmt.Errorf("release savepoint: %w", err)
	}
	return out, nil
}

// decide applies one transfer to the group's state, or rejects it leaving the state as it was.
func (g *group) decide(t *Transfer) outcome {
	if t.ID == "" {
		t.ID = id.New("trf")
	}
	phase := PhasePosted
	switch {
	case t.Pending:
		phase = PhasePending
	case t.Post != "":
		phase = PhasePost
	case t.Void != "":
		phase = PhaseVoid
	}
	if reason := g.check(t, phase); reason != nil {
		g.reject(t, reason)
		return outcome{err: reason}
	}
	var timeout int64
	if t.Pending && t.Timeout > 0 {
		timeout = g.now.Add(t.Timeout).UnixMicro()
	}
	var pendingID any
	if ref := t.Post + t.Void; ref != "" {
		pendingID = ref
	}
	g.transfers = append(g.transfers, db.Row{Table: "ledger_transfers",
		Cols: []string{"id", "key", "code", "phase", "pending_id", "timeout_at", "error", "created_at"},
		Vals: []any{t.ID, t.Key, t.Code, phase, pendingID, timeout, "", g.now.UnixMicro()}})
	postings := t.Postings
	if pt := g.pendings[t.Post]; t.Post != "" && pt != nil {
		postings = pt.postings // a post moves exactly what was held
	}
	if phase != PhaseVoid {
		for n, p := range postings {
			g.postings = append(g.postings, db.Row{Table: "ledger_postings",
				Cols: []string{"transfer_id", "n", "debit_id", "credit_id", "amount", "currency"},
				Vals: []any{t.ID, n, p.Debit, p.Credit, p.Amount, p.Currency}})
		}
	}
	if t.Pending {
		g.pendings[t.ID] = &pendingTransfer{id: t.ID, timeout: timeout, postings: t.Postings, usage: t.Usage}
		for _, u := range t.Usage {
			g.rows = append(g.rows, db.Row{Table: "ledger_hold_usage", Cols: []string{"transfer_id", "key", "amount"},
				Vals: []any{t.ID, u.Key, u.Amount}})
		}
	}
	g.rows = append(g.rows, t.Rows...)
	return outcome{res: Result{ID: t.ID, Phase: phase, CreatedAt: time.UnixMicro(g.now.UnixMicro()).UTC()}}
}

// check computes the transfer's effect on copies of the accounts and counters it touches and
// applies it only if every rule holds.
func (g *group) check(t *Transfer, phase string) *fault.Error {
	postings := t.Postings
	var pt *pendingTransfer
	if ref := t.Post + t.Void; ref != "" {
		pt = g.pendings[ref]
		switch {
		case pt == nil:
			return ErrPendingNotFound.With("transfer", ref)
		case pt.resolved:
			return ErrAlreadyResolved.With("transfer", ref)
		case t.Post != "" && pt.timeout != 0 && g.now.UnixMicro() >= pt.timeout:
			return ErrPendingExpired.With("transfer", ref)
		}
		postings = pt.postings
	}
	next := map[string]Account{}
	get := func(id string) (Account, bool) {
		if a, ok := next[id]; ok {
			return a, true
		}
		a, ok := g.accounts[id]
		if !ok {
			return Account{}, false
		}
		return *a, true
	}
	for _, p := range postings {
		d, ok1 := get(p.Debit)
		c, ok2 := get(p.Credit)
		if !ok1 || !ok2 {
			missing := p.Debit
			if ok1 {
				missing = p.Credit
			}
			return ErrAccountNotFound.With("account", missing)
		}
		if d.Currency != p.Currency || c.Currency != p.Currency {
			return ErrCurrencyMismatch.With("currency", p.Currency)
		}
		// Sums are checked: a wrapped balance would turn a debit into a credit.
		ok := true
		switch phase {
		case PhasePosted:
			d.Balance, ok = add(d.Balance, -p.Amount, ok)
			c.Balance, ok = add(c.Balance, p.Amount, ok)
		case PhasePending:
			d.PendingDebits, ok = add(d.PendingDebits, p.Amount, ok)
			c.PendingCredits, ok = add(c.PendingCredits, p.Amount, ok)
		case PhasePost:
			d.PendingDebits -= p.Amount
			c.PendingCredits -= p.Amount
			d.Balance, ok = add(d.Balance, -p.Amount, ok)
			c.Balance, ok = add(c.Balance, p.Amount, ok)
		case PhaseVoid:
			d.PendingDebits -= p.Amount
			c.PendingCredits -= p.Amount
		}
		if !ok {
			return ErrLimitExceeded.With("limit", "amount", "account", p.Debit)
		}
		next[d.ID], next[c.ID] = d, c
	}
	if phase == PhasePosted || phase == PhasePending {
		for id, a := range next {
			old := g.accounts[id]
			avail, ok := add(a.Balance, -a.PendingDebits, true)
			incoming, ok := add(a.Balance, a.PendingCredits, ok)
			if !ok {
				return ErrLimitExceeded.With("limit", "amount", "account", id)
			}
			if a.NoOverdraft && avail < 0 && avail < old.Balance-old.PendingDebits {
				return ErrInsufficientFunds.With("account", id)
			}
			if a.MaxBalance > 0 && incoming > a.MaxBalance && incoming > old.Balance+old.PendingCredits {
				return ErrLimitExceeded.With("limit", "max_balance", "account", id)
			}
		}
	}
	usage := t.Usage
	if t.Void != "" && pt != nil {
		for _, u := range pt.usage {
			usage = append(usage[:len(usage):len(usage)], Usage{Key: u.Key, Amount: -u.Amount})
		}
	}
	for _, u := range usage {
		v, ok := add(g.usage[u.Key], u.Amount, true)
		if !ok || u.Max > 0 && u.Amount > 0 && v > u.Max {
			return ErrLimitExceeded.With("limit", u.Key)
		}
	}
	for id, a := range next {
		*g.accounts[id] = a
		g.dirty[id] = true
	}
	for _, u := range usage {
		g.usage[u.Key] += u.Amount
		g.usageSet[u.Key] = true
	}
	if pt != nil {
		pt.resolved = true
	}
	return nil
}

func (g *group) reject(t *Transfer, reason *fault.Error) {
	data, _ := json.Marshal(storedError{Code: reason.Code, Msg: reason.Msg, Fields: reason.Fields})
	g.transfers = append(g.transfers, db.Row{Table: "ledger_transfers",
		Cols: []string{"id", "key", "code", "phase", "pending_id", "timeout_at", "error", "created_at"},
		Vals: []any{t.ID, t.Key, t.Code, PhaseRejected, nil, 0, string(data), g.now.UnixMicro()}})
	if t.Rejected != nil {
		g.rows = append(g.rows, t.Rejected(reason)...)
	}
}

type storedError struct {
	Code   string         `json:"code"`
	Msg    string         `json:"msg"`
	Fields map[string]any `json:"fields,omitempty"`
}

func (s storedError) fault() *fault.Error {
	return &fault.Error{Code: s.Code, Msg: s.Msg, Fields: s.Fields}
}

type stored struct {
	id, phase, errText string
	created            int64
}

func (s stored) outcome() outcome {
	if s.phase == PhaseRejected {
		var se storedError
		if err := json.Unmarshal([]byte(s.errText), &se); err != nil {
			return outcome{err: fmt.Errorf("decode stored rejection of %s: %w", s.id, err)}
		}
		return outcome{res: Result{ID: s.id, Phase: s.phase, Duplicate: true, CreatedAt: time.UnixMicro(s.created).UTC()}, err: se.fault()}
	}
	return outcome{res: Result{ID: s.id, Phase: s.phase, Duplicate: true, CreatedAt: time.UnixMicro(s.created).UTC()}}
}

// add returns a+b and whether ok held and the sum stayed within int64.
func add(a, b int64, ok bool) (int64, bool) {
	s := a + b
	return s, ok && (s > a) == (b > 0)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
