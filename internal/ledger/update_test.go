package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/ledger"
)

// states is a caller's table of records whose state moves with the money.
func states(t *testing.T, f *fixture, ids ...string) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.d.Exec(ctx, "CREATE TABLE states (id TEXT PRIMARY KEY, status TEXT NOT NULL, note TEXT NOT NULL DEFAULT '')"); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := f.d.Exec(ctx, "INSERT INTO states (id, status) VALUES (?, 'open')", id); err != nil {
			t.Fatal(err)
		}
	}
}

func stateOf(t *testing.T, f *fixture, id string) string {
	t.Helper()
	var s string
	if err := f.d.QueryRow(context.Background(), "SELECT status || '/' || note FROM states WHERE id = ?", id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// close moves a record from open to done, or rejects the transfer with errGone.
func closeState(id, note string) ledger.Update {
	return ledger.Update{SQL: "UPDATE states SET status = 'done', note = ? WHERE id = ? AND status = 'open'", Args: []any{note, id}, Reject: errGone}
}

var errGone = fault.New("invalid_state", "the record is no longer open")

// A transfer's updates commit with its money, or not at all; the transfers decided with it
// in one group keep their own outcome.
func TestUpdatesCommitWithTheMoney(t *testing.T) {
	g := newGrouper()
	f := newFixtureHooked(t, g.hook)
	g.f = f
	ctx := context.Background()
	states(t, f, "a", "b", "c", "d")
	if _, err := f.d.Exec(ctx, "CREATE TABLE notes (id TEXT PRIMARY KEY, what TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	note := func(id string) db.Row {
		return db.Row{Table: "notes", Cols: []string{"id", "what"}, Vals: []any{id, "x"}}
	}
	alice, bob := f.wallet("user:alice"), f.wallet("user:bob")
	f.fund(alice, 1_000)
	if _, err := f.d.Exec(ctx, "UPDATE states SET status = 'done' WHERE id = 'c'"); err != nil {
		t.Fatal(err)
	}

	plain := pay("plain", alice, bob, 100)
	plain.Rows = []db.Row{note("plain")}
	// Accepted: the money moves and the record changes.
	good := pay("good", alice, bob, 100)
	good.Usage = []ledger.Usage{{Key: "count", Amount: 1}}
	good.Rows = []db.Row{note("good")}
	good.Updates = []ledger.Update{closeState("a", "good")}
	// Its second update finds its record already done: nothing of it remains, not even its
	// first update.
	stale := pay("stale", alice, bob, 100)
	stale.Usage = []ledger.Usage{{Key: "count", Amount: 1}}
	stale.Rows = []db.Row{note("stale")}
	stale.Rejected = func(r *fault.Error) []db.Row { return []db.Row{note("stale-rejected")} }
	stale.Updates = []ledger.Update{closeState("b", "stale"), closeState("c", "stale")}
	// The money is refused: its update is undone.
	poor := pay("poor", alice, bob, 10_000)
	poor.Updates = []ledger.Update{closeState("d", "poor")}
	// The same record as good: already done in this group.
	again := pay("again", alice, bob, 100)
	again.Updates = []ledger.Update{{SQL: "UPDATE states SET status = 'done' WHERE id = ? AND status = 'open'", Args: []any{"a"}}}

	errs := g.together(plain, good, stale, poor, again)
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("plain %v, good %v", errs[0], errs[1])
	}
	if !errors.Is(errs[2], errGone) || errs[2].Error() != errGone.Error() {
		t.Fatalf("stale: %v, want %v", errs[2], errGone)
	}
	if !errors.Is(errs[3], ledger.ErrInsufficientFunds) {
		t.Fatalf("poor: %v", errs[3])
	}
	if !errors.Is(errs[4], ledger.ErrStateChanged) {
		t.Fatalf("again: %v", errs[4])
	}
	for id, want := range map[string]string{"a": "done/good", "b": "open/", "c": "done/", "d": "open/"} {
		if got := stateOf(t, f, id); got != want {
			t.Errorf("record %s is %s, want %s", id, got, want)
		}
	}
	if b := f.balance(bob).Balance; b != 200 {
		t.Errorf("bob has %d, want 200 (plain and good)", b)
	}
	if n, _ := f.l.Usage(ctx, "count"); n != 1 {
		t.Errorf("counter %d, want 1", n)
	}
	var notes []string
	rows, err := f.d.Query(ctx, "SELECT id FROM notes ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		notes = append(notes, s)
	}
	rows.Close()
	if len(notes) != 3 || notes[0] != "good" || notes[1] != "plain" || notes[2] != "stale-rejected" {
		t.Errorf("rows written: %v", notes)
	}

	// A replay answers the stored outcome without running the updates again, even once the
	// record would fit.
	if _, err := f.d.Exec(ctx, "UPDATE states SET status = 'open' WHERE id = 'c'"); err != nil {
		t.Fatal(err)
	}
	res, err := f.submit(stale)
	if !res.Duplicate || !errors.Is(err, errGone) {
		t.Fatalf("replay of a refused transfer: %+v %v", res, err)
	}
	if got := stateOf(t, f, "b"); got != "open/" {
		t.Errorf("a replay ran the updates: b is %s", got)
	}
	res, err = f.submit(good)
	if !res.Duplicate || err != nil {
		t.Fatalf("replay of an accepted transfer: %+v %v", res, err)
	}
}

// A pending transfer is posted or voided together with its owner's record, and the updates of
// a post see a hold created earlier in the same group.
func TestUpdatesOnPostVoidAndExpiry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	states(t, f, "w1", "w2", "w3")
	alice := f.wallet("user:alice")
	clearing := f.account(ledger.SystemOwner, ledger.KindWithdrawalClearing, false, 0)
	f.fund(alice, 1_000)
	hold := func(key string, timeout time.Duration) string {
		t.Helper()
		r, err := f.submit(ledger.Transfer{Key: key, Code: "withdrawal", Pending: true, Timeout: timeout,
			Postings: []ledger.Posting{{Debit: alice, Credit: clearing, Amount: 100, Currency: "IDR"}}})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	h1, h2, h3 := hold("h1", 0), hold("h2", 0), hold("h3", time.Minute)
	if _, err := f.submit(ledger.Transfer{Key: "p1", Code: "settled", Post: h1, Updates: []ledger.Update{closeState("w1", "posted")}}); err != nil {
		t.Fatal(err)
	}
	// Voiding the posted hold is refused and leaves the record alone.
	if _, err := f.submit(ledger.Transfer{Key: "v1", Code: "failed", Void: h1, Updates: []ledger.Update{
		{SQL: "UPDATE states SET note = 'voided' WHERE id = ?", Args: []any{"w1"}}}}); !errors.Is(err, ledger.ErrAlreadyResolved) {
		t.Fatalf("void after post: %v", err)
	}
	if _, err := f.submit(ledger.Transfer{Key: "v2", Code: "failed", Void: h2, Updates: []ledger.Update{closeState("w2", "voided")}}); err != nil {
		t.Fatal(err)
	}
	f.now.Add(int64(2 * time.Minute / time.Microsecond))
	var asked []string
	n, err := f.l.ExpirePending(ctx, func(_ context.Context, ids []string) (map[string][]ledger.Update, error) {
		asked = append(asked, ids...)
		return map[string][]ledger.Update{h3: {closeState("w3", "expired")}}, nil
	})
	if n != 1 || err != nil || len(asked) != 1 || asked[0] != h3 {
		t.Fatalf("expired %d, %v, asked about %v", n, err, asked)
	}
	for id, want := range map[string]string{"w1": "done/posted", "w2": "done/voided", "w3": "done/expired"} {
		if got := stateOf(t, f, id); got != want {
			t.Errorf("record %s is %s, want %s", id, got, want)
		}
	}
	if a := f.balance(alice); a.Balance != 900 || a.PendingDebits != 0 {
		t.Errorf("alice %+v", a)
	}
}

// A failure after the group is decided leaves nothing; one after the commit leaves the money
// and its state together, though the caller hears of an error.
func TestUpdatesAcrossStoreFailures(t *testing.T) {
	var failAt ledger.Step = -1
	f := newFixtureHooked(t, func(step ledger.Step, keys []string) error {
		if step == failAt && keys[0] != "fund" {
			return errors.New("injected store failure")
		}
		return nil
	})
	states(t, f, "s1", "s2")
	alice, bob := f.wallet("user:alice"), f.wallet("user:bob")
	if _, err := f.submit(ledger.Transfer{Key: "fund", Code: "topup",
		Postings: []ledger.Posting{{Debit: f.funding, Credit: alice, Amount: 500, Currency: "IDR"}}}); err != nil {
		t.Fatal(err)
	}
	failAt = ledger.StepDecided
	tr := pay("t1", alice, bob, 100)
	tr.Updates = []ledger.Update{closeState("s1", "paid")}
	if _, err := f.submit(tr); err == nil || fault.Code(err) != "" {
		t.Fatalf("failed before commit: %v", err)
	}
	if got := stateOf(t, f, "s1"); got != "open/" || f.balance(bob).Balance != 0 {
		t.Fatalf("after a failure before commit: s1 %s, bob %d", got, f.balance(bob).Balance)
	}
	failAt = ledger.StepCommitted
	tr = pay("t2", alice, bob, 100)
	tr.Updates = []ledger.Update{closeState("s2", "paid")}
	if _, err := f.submit(tr); err == nil {
		t.Fatal("no error after the commit")
	}
	if got := stateOf(t, f, "s2"); got != "done/paid" || f.balance(bob).Balance != 100 {
		t.Fatalf("after a failure after commit: s2 %s, bob %d", got, f.balance(bob).Balance)
	}
	failAt = -1
	if res, err := f.submit(tr); err != nil || !res.Duplicate {
		t.Fatalf("retry after the lost answer: %+v %v", res, err)
	}
}
