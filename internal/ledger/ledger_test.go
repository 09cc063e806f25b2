package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/ledger"
)

type fixture struct {
	t       *testing.T
	d       *db.DB
	l       *ledger.Ledger
	funding string
	now     atomic.Int64
}

func newFixture(t *testing.T) *fixture {
	return newFixtureHooked(t, nil)
}

// newFixtureHooked is newFixture with a ledger Hook.
func newFixtureHooked(t *testing.T, hook func(ledger.Step, []string) error) *fixture {
	t.Helper()
	f := &fixture{t: t, d: dbtest.Open(t)}
	f.now.Store(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).UnixMicro())
	f.l = ledger.New(f.d, ledger.Options{Now: func() time.Time { return time.UnixMicro(f.now.Load()) }, Hook: hook})
	t.Cleanup(func() {
		f.verify()
		f.l.Close()
	})
	f.funding = f.account(ledger.SystemOwner, ledger.KindFundingClearing, false, 0)
	return f
}

// verify is run after every test: balances match the journal and each currency sums to zero.
func (f *fixture) verify() {
	f.t.Helper()
	rep, err := f.l.Verify(context.Background())
	if err != nil {
		f.t.Fatalf("verify: %v", err)
	}
	if !rep.OK() {
		f.t.Fatalf("ledger inconsistent: %v", rep.Problems)
	}
}

func (f *fixture) account(owner, kind string, noOverdraft bool, max int64) string {
	f.t.Helper()
	id, err := f.l.Ensure(context.Background(), ledger.Spec{Owner: owner, Kind: kind, Currency: "IDR", NoOverdraft: noOverdraft, MaxBalance: max})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) wallet(owner string) string { return f.account(owner, ledger.KindWallet, true, 0) }

func (f *fixture) fund(acct string, amount int64) {
	f.t.Helper()
	if _, err := f.submit(ledger.Transfer{Key: fmt.Sprintf("fund-%s-%d-%d", acct, amount, rand.Int64()), Code: "topup",
		Postings: []ledger.Posting{{Debit: f.funding, Credit: acct, Amount: amount, Currency: "IDR"}}}); err != nil {
		f.t.Fatalf("fund: %v", err)
	}
}

func (f *fixture) submit(t ledger.Transfer) (ledger.Result, error) {
	return f.l.Submit(context.Background(), t)
}

func (f *fixture) balance(acct string) ledger.Account {
	f.t.Helper()
	a, err := f.l.Account(context.Background(), acct)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func pay(key, from, to string, amt int64) ledger.Transfer {
	return ledger.Transfer{Key: key, Code: "payment", Postings: []ledger.Posting{{Debit: from, Credit: to, Amount: amt, Currency: "IDR"}}}
}

func TestTransferMovesMoneyAndRejectsOverdraft(t *testing.T) {
	f := newFixture(t)
	alice, bob := f.wallet("user:alice"), f.wallet("user:bob")
	f.fund(alice, 10_000)
	if _, err := f.submit(pay("p1", alice, bob, 7_000)); err != nil {
		t.Fatal(err)
	}
	_, err := f.submit(pay("p2", alice, bob, 3_001))
	if !errors.Is(err, ledger.ErrInsufficientFunds) {
		t.Fatalf("overdraft: got %v, want insufficient balance", err)
	}
	if got := f.balance(alice).Balance; got != 3_000 {
		t.Fatalf("alice has %d, want 3000", got)
	}
	if got := f.balance(bob).Balance; got != 7_000 {
		t.Fatalf("bob has %d, want 7000", got)
	}
	// The rejection is stored under its key: a replay gets it back even though alice could
	// now afford it, because the first answer is the answer.
	f.fund(alice, 10_000)
	res, err := f.submit(pay("p2", alice, bob, 3_001))
	if !errors.Is(err, ledger.ErrInsufficientFunds) || !res.Duplicate {
		t.Fatalf("replayed rejection: got %+v, %v", res, err)
	}
}

func TestMultiLegIsAtomic(t *testing.T) {
	f := newFixture(t)
	alice, shop := f.wallet("user:alice"), f.account("merchant:m1", ledger.KindMerchant, true, 0)
	fee := f.account(ledger.SystemOwner, ledger.KindFeeRevenue, false, 0)
	f.fund(alice, 1_000)
	// amount + fee exceeds the balance: neither leg may move.
	_, err := f.submit(ledger.Transfer{Key: "k", Code: "payment", Postings: []ledger.Posting{
		{Debit: alice, Credit: shop, Amount: 1_000, Currency: "IDR"},
		{Debit: alice, Credit: fee, Amount: 1, Currency: "IDR"},
	}})
	if !errors.Is(err, ledger.ErrInsufficientFunds) {
		t.Fatalf("got %v", err)
	}
	if b := f.balance(shop).Balance; b != 0 {
		t.Fatalf("first leg moved %d despite the rejection", b)
	}
	// The merchant pays its fee out of what it receives in the same transfer.
	_, err = f.submit(ledger.Transfer{Key: "k2", Code: "payment", Postings: []ledger.Posting{
		{Debit: alice, Credit: shop, Amount: 1_000, Currency: "IDR"},
		{Debit: shop, Credit: fee, Amount: 7, Currency: "IDR"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if b := f.balance(shop).Balance; b != 993 {
		t.Fatalf("merchant has %d, want 993", b)
	}
}

func TestCurrencyMismatchRejected(t *testing.T) {
	f := newFixture(t)
	alice := f.wallet("user:alice")
	usd, err := f.l.Ensure(context.Background(), ledger.Spec{Owner: "user:alice", Kind: ledger.KindWallet, Currency: "USD", NoOverdraft: true})
	if err != nil {
		t.Fatal(err)
	}
	f.fund(alice, 100)
	_, err = f.submit(ledger.Transfer{Key: "x", Code: "bad", Postings: []ledger.Posting{{Debit: alice, Credit: usd, Amount: 10, Currency: "IDR"}}})
	if !errors.Is(err, ledger.ErrCurrencyMismatch) {
		t.Fatalf("got %v", err)
	}
}

func TestInvalidTransfers(t *testing.T) {
	f := newFixture(t)
	a, b := f.wallet("user:a"), f.wallet("user:b")
	cases := map[string]ledger.Transfer{
		"no key":        {Code: "x", Postings: []ledger.Posting{{Debit: a, Credit: b, Amount: 1, Currency: "IDR"}}},
		"no postings":   {Key: "k", Code: "x"},
		"zero amount":   {Key: "k", Code: "x", Postings: []ledger.Posting{{Debit: a, Credit: b, Amount: 0, Currency: "IDR"}}},
		"negative":      {Key: "k", Code: "x", Postings: []ledger.Posting{{Debit: a, Credit: b, Amount: -5, Currency: "IDR"}}},
		"same account":  {Key: "k", Code: "x", Postings: []ledger.Posting{{Debit: a, Credit: a, Amount: 1, Currency: "IDR"}}},
		"post and void": {Key: "k", Code: "x", Post: "p", Void: "p"},
		"unknown acct":  {Key: "k2", Code: "x", Postings: []ledger.Posting{{Debit: a, Credit: "acc_nope", Amount: 1, Currency: "IDR"}}},
	}
	f.fund(a, 10)
	for name, tr := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := f.submit(tr); fault.Code(err) == "" {
				t.Fatalf("accepted or untyped error: %v", err)
			}
		})
	}
}

func TestPendingPostVoidExpire(t *testing.T) {
	f := newFixture(t)
	alice := f.wallet("user:alice")
	clearing := f.account(ledger.SystemOwner, ledger.KindWithdrawalClearing, false, 0)
	f.fund(alice, 10_000)
	hold := func(key string, amt int64, timeout time.Duration) string {
		t.Helper()
		r, err := f.submit(ledger.Transfer{Key: key, Code: "withdrawal", Pending: true, Timeout: timeout,
			Postings: []ledger.Posting{{Debit: alice, Credit: clearing, Amount: amt, Currency: "IDR"}}})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	h1 := hold("h1", 6_000, time.Hour)
	if a := f.balance(alice); a.Balance != 10_000 || a.Available() != 4_000 {
		t.Fatalf("after hold: %+v", a)
	}
	// Held money cannot be spent twice.
	if _, err := f.submit(ledger.Transfer{Key: "h2", Code: "withdrawal", Pending: true,
		Postings: []ledger.Posting{{Debit: alice, Credit: clearing, Amount: 4_001, Currency: "IDR"}}}); !errors.Is(err, ledger.ErrInsufficientFunds) {
		t.Fatalf("second hold beyond available: %v", err)
	}
	if _, err := f.submit(ledger.Transfer{Key: "post1", Code: "settle", Post: h1}); err != nil {
		t.Fatal(err)
	}
	if a := f.balance(alice); a.Balance != 4_000 || a.PendingDebits != 0 {
		t.Fatalf("after post: %+v", a)
	}
	if _, err := f.submit(ledger.Transfer{Key: "void1", Code: "fail", Void: h1}); !errors.Is(err, ledger.ErrAlreadyResolved) {
		t.Fatalf("void after post: %v", err)
	}
	h3 := hold("h3", 1_000, 0)
	if _, err := f.submit(ledger.Transfer{Key: "void3", Code: "fail", Void: h3}); err != nil {
		t.Fatal(err)
	}
	if a := f.balance(alice); a.Balance != 4_000 || a.Available() != 4_000 {
		t.Fatalf("after void: %+v", a)
	}
	// Expiry: a hold past its timeout cannot be posted and is voided by the sweeper.
	h4 := hold("h4", 500, time.Minute)
	f.now.Add(int64(2 * time.Minute / time.Microsecond))
	if _, err := f.submit(ledger.Transfer{Key: "post4", Code: "settle", Post: h4}); !errors.Is(err, ledger.ErrPendingExpired) {
		t.Fatalf("post after expiry: %v", err)
	}
	n, err := f.l.ExpirePending(context.Background(), nil)
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v; want 1", n, err)
	}
	if a := f.balance(alice); a.Available() != 4_000 || a.PendingDebits != 0 {
		t.Fatalf("after expiry: %+v", a)
	}
	st, err := f.l.Transfer(context.Background(), h4)
	if err != nil || st.Resolution != ledger.PhaseVoid {
		t.Fatalf("expired transfer: %+v, %v", st, err)
	}
}

func TestUsageLimitsAndMaxBalance(t *testing.T) {
	f := newFixture(t)
	alice := f.wallet("user:alice")
	capped := f.account("user:carol", ledger.KindWallet, true, 5_000)
	f.fund(alice, 100_000)
	day := func(key string, amt int64) error {
		tr := pay(key, alice, capped, amt)
		tr.Usage = []ledger.Usage{{Key: "out:alice:day", Amount: amt, Max: 3_000}}
		_, err := f.submit(tr)
		return err
	}
	if err := day("d1", 2_000); err != nil {
		t.Fatal(err)
	}
	err := day("d2", 1_001)
	if !errors.Is(err, ledger.ErrLimitExceeded) {
		t.Fatalf("daily limit: %v", err)
	}
	if e, _ := fault.As(err); e.Fields["limit"] != "out:alice:day" {
		t.Fatalf("limit field: %v", e.Fields)
	}
	if err := day("d3", 1_000); err != nil {
		t.Fatalf("up to the limit: %v", err)
	}
	if v, _ := f.l.Usage(context.Background(), "out:alice:day"); v != 3_000 {
		t.Fatalf("usage %d, want 3000", v)
	}
	// carol holds 3000 of at most 5000.
	if _, err := f.submit(pay("m1", alice, capped, 2_001)); !errors.Is(err, ledger.ErrLimitExceeded) {
		t.Fatalf("max balance: %v", err)
	}
	if _, err := f.submit(pay("m2", alice, capped, 2_000)); err != nil {
		t.Fatalf("up to max balance: %v", err)
	}
}

func TestRowsWrittenOnlyWithTheirOutcome(t *testing.T) {
	g := newGrouper()
	f := newFixtureHooked(t, g.hook)
	g.f = f
	ctx := context.Background()
	if _, err := f.d.Exec(ctx, "CREATE TABLE notes (id TEXT PRIMARY KEY, what TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	alice, bob := f.wallet("user:alice"), f.wallet("user:bob")
	f.fund(alice, 100)
	note := func(id, what string) db.Row {
		return db.Row{Table: "notes", Cols: []string{"id", "what"}, Vals: []any{id, what}}
	}
	ok := pay("ok", alice, bob, 60)
	ok.Rows = []db.Row{note("n1", "accepted")}
	ok.Rejected = func(*fault.Error) []db.Row { return []db.Row{note("n1", "rejected")} }
	bad := pay("bad", alice, bob, 60)
	bad.Rows = []db.Row{note("n2", "accepted")}
	bad.Rejected = func(r *fault.Error) []db.Row { return []db.Row{note("n2", "rejected:"+r.Code)} }
	// A transfer whose rows break a constraint fails alone, not with its group.
	broken := pay("broken", alice, bob, 1)
	broken.Rows = []db.Row{note("n1", "duplicate id")}
	errs := g.together(ok, bad, broken)
	if errs[0] != nil || !errors.Is(errs[1], ledger.ErrInsufficientFunds) || errs[2] == nil {
		t.Fatalf("outcomes: %v", errs)
	}
	got := map[string]string{}
	rows, err := f.d.Query(ctx, "SELECT id, what FROM notes")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, what string
		_ = rows.Scan(&id, &what)
		got[id] = what
	}
	if got["n1"] != "accepted" || got["n2"] != "rejected:insufficient_balance" || len(got) != 2 {
		t.Fatalf("rows: %v", got)
	}
	if b := f.balance(bob).Balance; b != 60 {
		t.Fatalf("bob has %d, want 60 (the broken transfer must not move money)", b)
	}
}

// grouper makes transfers share one group: it holds the ledger's writer on a gate transfer
// until each of them is queued, in order, and records the groups written.
type grouper struct {
	f       *fixture
	mu      sync.Mutex
	queued  map[string]chan struct{}
	held    chan struct{}
	release chan struct{}
	groups  [][]string
	fail    func(step ledger.Step, keys []string) error // injected failures, optional
	gates   int
}

func newGrouper() *grouper { return &grouper{queued: map[string]chan struct{}{}} }

func (g *grouper) signal(key string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.queued[key]
	if !ok {
		c = make(chan struct{})
		g.queued[key] = c
	}
	return c
}

func (g *grouper) hook(step ledger.Step, keys []string) error {
	switch step {
	case ledger.StepQueued:
		c := g.signal(keys[0])
		select {
		case <-c: // a replay of the key
		default:
			close(c)
		}
	case ledger.StepGroup:
		g.mu.Lock()
		g.groups = append(g.groups, keys)
		held, release := g.held, g.release
		g.mu.Unlock()
		if len(keys) == 1 && strings.HasPrefix(keys[0], "gate-") && held != nil {
			close(held)
			<-release
		}
	}
	if g.fail != nil {
		return g.fail(step, keys)
	}
	return nil
}

// together submits trs so that they are decided in one group, in this order, and returns
// their errors. It fails the test unless they really shared a group.
func (g *grouper) together(trs ...ledger.Transfer) []error {
	f := g.f
	f.t.Helper()
	g.mu.Lock()
	g.gates++
	gate := fmt.Sprintf("gate-%d", g.gates)
	g.held, g.release = make(chan struct{}), make(chan struct{})
	held, release := g.held, g.release
	g.mu.Unlock()
	done := make(chan error)
	go func() {
		_, err := f.submit(ledger.Transfer{Key: gate, Code: "topup",
			Postings: []ledger.Posting{{Debit: f.funding, Credit: f.wallet("user:gate"), Amount: 1, Currency: "IDR"}}})
		done <- err
	}()
	<-held // the writer waits on the gate: what is queued now goes into the next group
	errs := make([]error, len(trs))
	var wg sync.WaitGroup
	for i, tr := range trs {
		wg.Go(func() { _, errs[i] = f.submit(tr) })
		<-g.signal(tr.Key)
	}
	g.mu.Lock()
	g.held = nil
	g.mu.Unlock()
	close(release)
	if err := <-done; err != nil {
		f.t.Fatalf("gate transfer: %v", err)
	}
	wg.Wait()
	var keys []string
	for _, tr := range trs {
		keys = append(keys, tr.Key)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, grp := range g.groups {
		if len(grp) == 1 && grp[0] == gate {
			if i+1 >= len(g.groups) || !slices.Equal(g.groups[i+1], keys) {
				f.t.Fatalf("groups %v: %v were not decided together", g.groups, keys)
			}
			return errs
		}
	}
	f.t.Fatalf("groups %v: no gate", g.groups)
	return errs
}

func TestSameKeyConcurrentlyMovesMoneyOnce(t *testing.T) {
	f := newFixture(t)
	alice, bob := f.wallet("user:alice"), f.wallet("user:bob")
	f.fund(alice, 1_000)
	var wg sync.WaitGroup
	ids := make([]string, 20)
	var dups atomic.Int32
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := f.submit(pay("same", alice, bob, 100))
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = r.ID
			if r.Duplicate {
				dups.Add(1)
			}
		}()
	}
	wg.Wait()
	for _, x := range ids {
		if x != ids[0] {
			t.Fatalf("different transfer ids for one key: %v", ids)
		}
	}
	if dups.Load() != 19 {
		t.Fatalf("%d duplicates, want 19", dups.Load())
	}
	if b := f.balance(bob).Balance; b != 100 {
		t.Fatalf("bob has %d, want 100", b)
	}
}

// TestConcurrentRandomTransfers hammers the ledger from many goroutines with transfers of
// which many must fail, then checks the invariants: the journal explains every balance, each
// currency sums to zero, no wallet is negative, and the money that moved is exactly the sum
// of what callers were told succeeded.
func TestConcurrentRandomTransfers(t *testing.T) {
	f := newFixture(t)
	const users, workers, perWorker = 30, 16, 150
	wallets := make([]string, users)
	for i := range wallets {
		wallets[i] = f.wallet(fmt.Sprintf("user:%d", i))
		f.fund(wallets[i], 1_000)
	}
	clearing := f.account(ledger.SystemOwner, ledger.KindWithdrawalClearing, false, 0)
	var ok, rejected, withdrawn atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range perWorker {
				from, to := wallets[rng.IntN(users)], wallets[rng.IntN(users)]
				amt := int64(1 + rng.IntN(400))
				key := fmt.Sprintf("w%d-%d", w, i)
				var err error
				switch {
				case from == to || rng.IntN(10) == 0: // a withdrawal: hold, then post or void
					var r ledger.Result
					r, err = f.submit(ledger.Transfer{Key: key, Code: "withdrawal", Pending: true,
						Postings: []ledger.Posting{{Debit: from, Credit: clearing, Amount: amt, Currency: "IDR"}}})
					if err == nil {
						if rng.IntN(2) == 0 {
							_, err = f.submit(ledger.Transfer{Key: key + "-post", Code: "settle", Post: r.ID})
							if err == nil {
								withdrawn.Add(amt)
							}
						} else {
							_, err = f.submit(ledger.Transfer{Key: key + "-void", Code: "fail", Void: r.ID})
						}
						if err != nil {
							t.Errorf("resolve: %v", err)
						}
					}
				default:
					_, err = f.submit(pay(key, from, to, amt))
				}
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ledger.ErrInsufficientFunds):
					rejected.Add(1)
				default:
					t.Errorf("unexpected: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	if rejected.Load() == 0 || ok.Load() == 0 {
		t.Fatalf("the load should mix successes and failures: %d ok, %d rejected", ok.Load(), rejected.Load())
	}
	var total int64
	for _, w := range wallets {
		a := f.balance(w)
		if a.Balance < 0 || a.PendingDebits != 0 {
			t.Fatalf("wallet %s: %+v", w, a)
		}
		total += a.Balance
	}
	if total+withdrawn.Load() != users*1_000 {
		t.Fatalf("wallets hold %d and %d was withdrawn; %d was funded", total, withdrawn.Load(), users*1_000)
	}
	var journal int
	if err := f.d.QueryRow(context.Background(), "SELECT COUNT(*) FROM ledger_transfers WHERE phase <> 'rejected' AND code <> 'topup'").Scan(&journal); err != nil {
		t.Fatal(err)
	}
	// Each accepted withdrawal is two journal entries (hold + post/void) but one success.
	var holds int
	_ = f.d.QueryRow(context.Background(), "SELECT COUNT(*) FROM ledger_transfers WHERE phase = 'pending'").Scan(&holds)
	if int64(journal-holds) != ok.Load() {
		t.Fatalf("journal has %d accepted operations, clients were told %d", journal-holds, ok.Load())
	}
}

func TestStatsCountOutcomes(t *testing.T) {
	f := newFixture(t)
	alice, bob := f.wallet("user:alice"), f.wallet("user:bob")
	f.fund(alice, 100)
	before := f.l.Stats()
	_, _ = f.submit(pay("s1", alice, bob, 60))
	_, _ = f.submit(pay("s1", alice, bob, 60))
	_, _ = f.submit(pay("s2", alice, bob, 60))
	got := f.l.Stats()
	if got.Accepted-before.Accepted != 1 || got.Duplicates-before.Duplicates != 1 || got.Rejected-before.Rejected != 1 || got.Groups-before.Groups != 3 {
		t.Fatalf("stats moved from %+v to %+v", before, got)
	}
}

// TestTwoLedgersOnOneStore runs two ledgers, as two dompet processes would, on one store:
// their groups interleave, lock the same hot account and the same keys, and the invariants
// still hold with every key decided once.
func TestTwoLedgersOnOneStore(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d2, err := db.Open(ctx, dbtest.DSNOf(f.d))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	l2 := ledger.New(d2, ledger.Options{})
	defer l2.Close()
	const users = 10
	wallets := make([]string, users)
	for i := range wallets {
		wallets[i] = f.wallet(fmt.Sprintf("user:%d", i))
		f.fund(wallets[i], 10_000)
	}
	hot := f.account("merchant:hot", ledger.KindMerchant, true, 0)
	var ok atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		l := f.l
		if w%2 == 1 {
			l = l2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				// Both processes race on the same keys: each key must move money once.
				key := fmt.Sprintf("k%d-%d", w/2, i)
				from := wallets[(w/2*7+i)%users]
				_, err := l.Submit(ctx, pay(key, from, hot, int64(1+i%50)))
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ledger.ErrInsufficientFunds):
				default:
					t.Errorf("submit: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	var total int64
	for _, w := range wallets {
		total += f.balance(w).Balance
	}
	var moved int64
	if err := f.d.QueryRow(ctx, "SELECT COALESCE(SUM(amount), 0) FROM ledger_postings WHERE credit_id = ?", hot).Scan(&moved); err != nil {
		t.Fatal(err)
	}
	if total+moved != users*10_000 || f.balance(hot).Balance != moved {
		t.Fatalf("wallets %d + merchant %d != %d funded", total, moved, users*10_000)
	}
	var keys int
	_ = f.d.QueryRow(ctx, "SELECT COUNT(*) FROM ledger_transfers WHERE code = 'payment'").Scan(&keys)
	if keys != 4*100 {
		t.Fatalf("%d payment keys in the journal, want 400 (each decided once)", keys)
	}
}

func TestHoldUsageComesBackOnVoidAndExpiry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice := f.wallet("user:alice")
	clearing := f.account(ledger.SystemOwner, ledger.KindWithdrawalClearing, false, 0)
	f.fund(alice, 10_000)
	hold := func(key string, amt int64, timeout time.Duration) string {
		t.Helper()
		r, err := f.submit(ledger.Transfer{Key: key, Code: "withdrawal", Pending: true, Timeout: timeout,
			Postings: []ledger.Posting{{Debit: alice, Credit: clearing, Amount: amt, Currency: "IDR"}},
			Usage:    []ledger.Usage{{Key: "out:day", Amount: amt, Max: 5_000}}})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	usage := func() int64 { v, _ := f.l.Usage(ctx, "out:day"); return v }
	posted := hold("h1", 1_000, 0)
	voided := hold("h2", 2_000, 0)
	hold("h3", 1_500, time.Minute)
	if usage() != 4_500 {
		t.Fatalf("usage %d after three holds, want 4500", usage())
	}
	if _, err := f.submit(ledger.Transfer{Key: "p1", Code: "settle", Post: posted}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.submit(ledger.Transfer{Key: "v2", Code: "fail", Void: voided}); err != nil {
		t.Fatal(err)
	}
	if usage() != 2_500 {
		t.Fatalf("usage %d after a post and a void, want 2500", usage())
	}
	f.now.Add(int64(2 * time.Minute / time.Microsecond))
	if n, err := f.l.ExpirePending(ctx, nil); n != 1 || err != nil {
		t.Fatalf("expired %d, %v", n, err)
	}
	if usage() != 1_000 {
		t.Fatalf("usage %d after expiry, want 1000 (only the posted hold counts)", usage())
	}
	// The limit is free again for new holds.
	hold("h4", 4_000, 0)
}
