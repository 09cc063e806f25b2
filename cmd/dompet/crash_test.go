package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db/dbtest"
)

// Shape of the load: a few users (argon2 makes each registration and login cost ~0.2 s), many
// concurrent senders among them, amounts small enough that no tier limit is near.
const (
	crashUsers   = 6
	crashWorkers = 16
	crashRounds  = 2
	crashLoad    = 1000 * time.Millisecond // of traffic before each kill -9
	crashTopUp   = 100_000_000             // IDR 1,000,000 each: half the basic balance cap
	crashMaxAmt  = 20_000                  // IDR 200 at most per movement
	crashPayPct  = 30                      // share of payments (the rest are P2P transfers)
	crashBigPct  = 3                       // share refused (insufficient_balance, or limit_exceeded by the payee's cap)
	crashBigAmt  = 150_000_000             // under the per-transaction limit, over the balance
	crashPass    = "Kopi-Tubruk-73-Panas"

	crashReplayLast = 100 // acknowledged ops replayed: the last ones answered before the kill…
	crashReplaySome = 150 // …and about this many of the others
)

// crashWIB is the zone the wallet's daily and monthly limits follow.
var crashWIB = time.FixedZone("WIB", 7*3600)

type crashUser struct {
	id, phone, token string
	topUp            crashTx
}

// crashOp is one money-moving request, kept so that it can be replayed byte for byte.
type crashOp struct {
	key, path string
	body      []byte
	from, to  int // user indexes; to is -1 for the merchant
	amount    int64
	kind      string // transfer_out | payment
}

// crashAnswer is what the client learnt of an op: a status and body, or err when none came.
type crashAnswer struct {
	op     crashOp
	sent   time.Time
	status int
	body   []byte
	err    error
}

// crashWorld is what the client knows was decided: every op answered 201 (by id) or 422.
type crashWorld struct {
	users       []*crashUser
	merchantID  string
	merchantKey string
	acked       map[string]crashOp // transaction id → the op that made it
	refused     []crashAnswer
}

// TestCrashKeepsAcknowledgedTransfers kills `dompet serve` with SIGKILL while transfers and
// payments are in flight, restarts it on the same store and checks that every acknowledged
// movement is there, that replaying the unanswered ones under their Idempotency-Key never
// moves money twice, that every balance follows from the history, and that the ledger verifies.
func TestCrashKeepsAcknowledgedTransfers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	began := time.Now()
	dsn := dbtest.DSN(t)
	bin := buildDompet(t)
	env := crashEnv(dsn)

	out, errOut, err := runDompet(bin, env, "merchant", "create", "--name", "Warung Crash")
	if err != nil {
		t.Fatalf("merchant create: %v\n%s", err, errOut)
	}
	var mk struct {
		ID     string `json:"id"`
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(out, &mk); err != nil || mk.ID == "" || mk.APIKey == "" {
		t.Fatalf("merchant create printed %q: %v", out, err)
	}
	w := &crashWorld{merchantID: mk.ID, merchantKey: mk.APIKey, acked: map[string]crashOp{}}

	s := startDompet(t, bin, env)
	w.users = crashSeedUsers(t, s)

	for round := 1; round <= crashRounds; round++ {
		roundBegan := time.Now()
		answers, killedAt := crashRunLoad(t, s, w, round)
		s = startDompet(t, bin, env)
		unknown := w.absorb(t, answers)
		inFlight := 0 // sent before the kill and never answered; the others met a dead server
		for _, a := range answers {
			if a.err != nil && a.sent.Before(killedAt) {
				inFlight++
			}
		}
		committed, fresh := w.replayUnknown(t, s, unknown, killedAt)
		w.checkAcked(t, s, answers)
		w.replayAcked(t, s, answers)
		w.checkBalances(t, s)
		s.stop()
		crashVerifyLedger(t, bin, env)
		acked := 0
		for _, a := range answers {
			if a.status == 201 {
				acked++
			}
		}
		t.Logf("round %d: %d requests, %d acknowledged (201), %d refused (422), %d in flight at kill -9, %d sent after it; "+
			"on replay %d answered as committed before the kill, %d ran then, %d refused; %s",
			round, len(answers), acked, len(answers)-acked-len(unknown), inFlight, len(unknown)-inFlight,
			committed, fresh, len(unknown)-committed-fresh, time.Since(roundBegan).Round(time.Millisecond))
		if t.Failed() {
			return
		}
		if round < crashRounds {
			s = startDompet(t, bin, env)
		}
	}
	t.Logf("%d movements acknowledged in all; %s in all", len(w.acked), time.Since(began).Round(time.Millisecond))
}

// crashRunLoad sends transfers and payments from crashWorkers goroutines for crashLoad and
// kills the server with SIGKILL while they are still sending, so that requests are caught at
// every stage, including committed but not yet answered.
func crashRunLoad(t *testing.T, s *dompetProc, w *crashWorld, round int) ([]crashAnswer, time.Time) {
	var (
		mu      sync.Mutex
		answers []crashAnswer
		wg      sync.WaitGroup
	)
	stop := make(chan struct{})
	for g := range crashWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from := g % len(w.users)
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				op := w.newOp(round, g, n, from)
				a := crashAnswer{op: op, sent: time.Now()}
				a.status, a.body, a.err = s.do(context.Background(), "POST", op.path, w.users[from].token, op.key, op.body)
				mu.Lock()
				answers = append(answers, a)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(crashLoad)
	killedAt := time.Now()
	s.kill()
	close(stop)
	s.waitKilled()
	wg.Wait()
	return answers, killedAt
}

func (w *crashWorld) newOp(round, g, n, from int) crashOp {
	op := crashOp{key: fmt.Sprintf("crash-r%d-g%d-n%d", round, g, n), from: from, amount: 100 + rand.Int64N(crashMaxAmt-100)}
	if rand.IntN(100) < crashBigPct { // refused with insufficient_balance, and kept as failed
		op.amount = crashBigAmt
	}
	if rand.IntN(100) < crashPayPct {
		op.to, op.kind, op.path = -1, "payment", "/api/v1/payments"
		op.body = crashJSON(map[string]any{"merchant_id": w.merchantID, "amount": op.amount, "currency": "IDR", "order_ref": op.key, "pin": crashPIN})
		return op
	}
	op.to = (from + 1 + rand.IntN(len(w.users)-1)) % len(w.users)
	op.kind, op.path = "transfer_out", "/api/v1/transfers"
	op.body = crashJSON(map[string]any{"to": w.users[op.to].phone, "amount": op.amount, "currency": "IDR", "note": op.key, "pin": crashPIN})
	return op
}

// absorb records the acknowledged and refused answers and returns the unanswered ops.
func (w *crashWorld) absorb(t *testing.T, answers []crashAnswer) []crashOp {
	var unknown []crashOp
	for _, a := range answers {
		switch {
		case a.err != nil:
			unknown = append(unknown, a.op)
		case a.status == 201:
			w.ack(t, a.op, a.body)
		case a.status == 422:
			w.refused = append(w.refused, a)
		default:
			t.Errorf("%s %s before the kill: %d %s", a.op.path, a.op.key, a.status, a.body)
		}
	}
	return unknown
}

// ack records a 201 answer, checking it describes the op.
func (w *crashWorld) ack(t *testing.T, op crashOp, body []byte) crashTx {
	var tx crashTx
	if err := json.Unmarshal(body, &tx); err != nil || tx.ID == "" {
		t.Errorf("%s %s: 201 with %s: %v", op.path, op.key, body, err)
		return tx
	}
	if tx.Status != "succeeded" || tx.Kind != op.kind || tx.Amount != op.amount || tx.Currency != "IDR" {
		t.Errorf("%s %s answered %+v for amount %d", op.path, op.key, tx, op.amount)
	}
	if prev, ok := w.acked[tx.ID]; ok && prev.key != op.key {
		t.Errorf("transaction %s acknowledged for two keys: %s and %s", tx.ID, prev.key, op.key)
	}
	w.acked[tx.ID] = op
	return tx
}

// replayUnknown sends each unanswered op again, twice, under its key: the first replay gets
// the outcome committed before the crash or runs it now; the second must repeat the first.
// It returns how many had committed before the kill and how many ran on replay.
func (w *crashWorld) replayUnknown(t *testing.T, s *dompetProc, unknown []crashOp, killedAt time.Time) (committed, fresh int) {
	for _, op := range unknown {
		tok := w.users[op.from].token
		st, b, err := s.do(context.Background(), "POST", op.path, tok, op.key, op.body)
		if err != nil {
			t.Fatalf("replay %s after restart: %v", op.key, err)
		}
		st2, b2, err := s.do(context.Background(), "POST", op.path, tok, op.key, op.body)
		if err != nil {
			t.Fatalf("second replay %s: %v", op.key, err)
		}
		switch st {
		case 201:
			tx := w.ack(t, op, b)
			if tx.CreatedAt.Before(killedAt) {
				committed++
			} else {
				fresh++
			}
			var tx2 crashTx
			_ = json.Unmarshal(b2, &tx2)
			if st2 != 201 || tx2.ID != tx.ID {
				t.Errorf("replays of %s differ: 201 %s, then %d %s", op.key, tx.ID, st2, b2)
			}
		case 422:
			w.refused = append(w.refused, crashAnswer{op: op, status: st, body: b})
			if st2 != 422 || crashProblemCode(b2) != crashProblemCode(b) {
				t.Errorf("replays of %s differ: 422 %s, then %d %s", op.key, b, st2, b2)
			}
		default:
			t.Errorf("replay %s after restart: %d %s", op.key, st, b)
		}
	}
	return committed, fresh
}

// checkAcked looks up every movement acknowledged before the kill, as its sender and (for a
// transfer) as its recipient.
func (w *crashWorld) checkAcked(t *testing.T, s *dompetProc, answers []crashAnswer) {
	var ids []string
	for _, a := range answers {
		var tx crashTx
		if a.err == nil && a.status == 201 && json.Unmarshal(a.body, &tx) == nil {
			ids = append(ids, tx.ID)
		}
	}
	crashParallel(len(ids), 8, func(i int) {
		id := ids[i]
		op := w.acked[id]
		look := func(who int, kind string) {
			st, b, err := s.do(context.Background(), "GET", "/api/v1/transactions/"+id, w.users[who].token, "", nil)
			var tx crashTx
			if err == nil && st == 200 {
				err = json.Unmarshal(b, &tx)
			}
			switch {
			case err != nil || st != 200:
				t.Errorf("acknowledged %s (%s) lost after kill -9: GET as %s: %d %v %s", id, op.key, w.users[who].phone, st, err, b)
			case tx.Status != "succeeded" || tx.Kind != kind || tx.Amount != op.amount:
				t.Errorf("acknowledged %s (%s, %d) is now %+v", id, op.key, op.amount, tx)
			}
		}
		look(op.from, op.kind)
		if op.to >= 0 {
			look(op.to, "transfer_in")
		}
	})
}

// replayAcked replays acknowledged ops of the round — the last ones answered before the kill
// and a random sample of the others — and every refused one: each must get its first answer
// (same status and body) and move nothing (checkBalances would see a second movement).
func (w *crashWorld) replayAcked(t *testing.T, s *dompetProc, answers []crashAnswer) {
	var acked []crashAnswer
	for i, a := range answers {
		if a.err == nil && a.status == 201 && (i >= len(answers)-crashReplayLast || rand.IntN(len(answers)) < crashReplaySome) {
			acked = append(acked, a)
		}
	}
	crashParallel(len(acked), 8, func(i int) {
		a := acked[i]
		st, b, err := s.do(context.Background(), "POST", a.op.path, w.users[a.op.from].token, a.op.key, a.op.body)
		if err != nil || st != 201 || !bytes.Equal(b, a.body) {
			t.Errorf("replay of acknowledged %s: %d %v\n got %s\nwant %s", a.op.key, st, err, b, a.body)
		}
	})
	for _, a := range w.refused {
		st, b, err := s.do(context.Background(), "POST", a.op.path, w.users[a.op.from].token, a.op.key, a.op.body)
		if err != nil || st != 422 || crashProblemCode(b) != crashProblemCode(a.body) {
			t.Errorf("replay of refused %s: %d %v %s, first answer %s", a.op.key, st, err, b, a.body)
		}
	}
}

// checkBalances compares, for every user and the merchant, the succeeded movements in the
// history with the acknowledged ones (no more, no fewer), and the balance with both.
func (w *crashWorld) checkBalances(t *testing.T, s *dompetProc) {
	for i, u := range w.users {
		wantOut, wantIn := map[string]crashOp{}, map[string]crashOp{}
		for id, op := range w.acked {
			if op.from == i {
				wantOut[id] = op
			}
			if op.to == i {
				wantIn[id] = op
			}
		}
		today, month := time.Now().In(crashWIB).Format("2006-01-02"), time.Now().In(crashWIB).Format("2006-01")
		wantFailed := 0
		for _, a := range w.refused {
			if a.op.from == i {
				wantFailed++
			}
		}
		failed := 0
		var fromHistory, model, dayOut, monthIn int64
		model = u.topUp.Amount - u.topUp.Fee.Amount
		seen := map[string]bool{}
		for _, tx := range s.history("/api/v1/transactions", u.token) {
			if seen[tx.ID+tx.Kind] {
				t.Errorf("%s: %s %s listed twice", u.phone, tx.Kind, tx.ID)
			}
			seen[tx.ID+tx.Kind] = true
			if tx.Status == "failed" {
				failed++
				if (tx.FailureCode != "insufficient_balance" && tx.FailureCode != "limit_exceeded") || tx.Amount != crashBigAmt {
					t.Errorf("%s: failed %s %s of %d with %q", u.phone, tx.Kind, tx.ID, tx.Amount, tx.FailureCode)
				}
				continue
			}
			if tx.Status != "succeeded" {
				t.Errorf("%s: %s %s is %s", u.phone, tx.Kind, tx.ID, tx.Status)
				continue
			}
			day, mon := tx.CreatedAt.In(crashWIB).Format("2006-01-02"), tx.CreatedAt.In(crashWIB).Format("2006-01")
			switch tx.Kind {
			case "topup":
				if tx.ID != u.topUp.ID {
					t.Errorf("%s: unexpected top-up %s", u.phone, tx.ID)
				}
				fromHistory += tx.Amount - tx.Fee.Amount
				if mon == month {
					monthIn += tx.Amount - tx.Fee.Amount
				}
			case "transfer_out", "payment":
				op, ok := wantOut[tx.ID]
				if !ok {
					t.Errorf("%s: %s %s of %d was never acknowledged: a movement made twice?", u.phone, tx.Kind, tx.ID, tx.Amount)
				} else if op.amount != tx.Amount || op.kind != tx.Kind {
					t.Errorf("%s: %s %s is %s of %d, acknowledged as %s of %d", u.phone, tx.Kind, tx.ID, tx.Kind, tx.Amount, op.kind, op.amount)
				}
				delete(wantOut, tx.ID)
				fromHistory -= tx.Amount + tx.Fee.Amount
				model -= op.amount + tx.Fee.Amount
				if day == today {
					dayOut += tx.Amount
				}
			case "transfer_in":
				op, ok := wantIn[tx.ID]
				if !ok {
					t.Errorf("%s: transfer_in %s of %d was never acknowledged", u.phone, tx.ID, tx.Amount)
				} else if op.amount != tx.Amount {
					t.Errorf("%s: transfer_in %s of %d, acknowledged as %d", u.phone, tx.ID, tx.Amount, op.amount)
				}
				delete(wantIn, tx.ID)
				fromHistory += tx.Amount
				model += op.amount
				if mon == month {
					monthIn += tx.Amount
				}
			default:
				t.Errorf("%s: unexpected %s %s", u.phone, tx.Kind, tx.ID)
			}
		}
		if failed != wantFailed {
			t.Errorf("%s: %d failed attempts in the history, %d refused", u.phone, failed, wantFailed)
		}
		for id, op := range wantOut {
			t.Errorf("%s: acknowledged %s %s (%s, %d) missing from the history", u.phone, op.kind, id, op.key, op.amount)
		}
		for id, op := range wantIn {
			t.Errorf("%s: acknowledged transfer %s (%s, %d) missing from the recipient's history", u.phone, id, op.key, op.amount)
		}

		var sum struct {
			Balances []struct {
				Currency           string
				Available, Pending int64
			}
			Limits map[string]struct {
				Used struct {
					DailyOutgoing   int64 `json:"daily_outgoing"`
					MonthlyIncoming int64 `json:"monthly_incoming"`
				} `json:"used"`
			}
		}
		s.call("GET", "/api/v1/wallet", u.token, "", nil, 200, &sum)
		sameDay := time.Now().In(crashWIB).Format("2006-01-02") == today
		var avail, pending int64 = -1, -1
		for _, b := range sum.Balances {
			if b.Currency == "IDR" {
				avail, pending = b.Available, b.Pending
			}
		}
		if avail != fromHistory || avail != model || pending != 0 {
			t.Errorf("%s: wallet shows %d available (%d pending); history gives %d; acknowledged movements give %d",
				u.phone, avail, pending, fromHistory, model)
		}
		used := sum.Limits["IDR"].Used
		if sameDay && (used.DailyOutgoing != dayOut || used.MonthlyIncoming != monthIn) {
			t.Errorf("%s: limit counters show %d out today and %d in this month; history gives %d and %d",
				u.phone, used.DailyOutgoing, used.MonthlyIncoming, dayOut, monthIn)
		}
	}
	w.checkMerchant(t, s)
}

// checkMerchant compares the merchant's payments and balance with the acknowledged payments.
func (w *crashWorld) checkMerchant(t *testing.T, s *dompetProc) {
	want := map[string]crashOp{}
	for id, op := range w.acked {
		if op.kind == "payment" {
			want[id] = op
		}
	}
	var net int64
	for _, p := range s.history("/api/v1/merchant/payments", w.merchantKey) {
		if p.Status != "succeeded" {
			continue
		}
		op, ok := want[p.ID]
		if !ok {
			t.Errorf("merchant: payment %s of %d was never acknowledged", p.ID, p.Amount)
		} else if op.amount != p.Amount {
			t.Errorf("merchant: payment %s of %d, acknowledged as %d", p.ID, p.Amount, op.amount)
		}
		delete(want, p.ID)
		net += p.Amount - p.Fee.Amount
	}
	for id, op := range want {
		t.Errorf("merchant: acknowledged payment %s (%s, %d) missing", id, op.key, op.amount)
	}
	var bal struct {
		Balances []struct {
			Currency  string
			Available int64
		}
	}
	s.call("GET", "/api/v1/merchant/balance", w.merchantKey, "", nil, 200, &bal)
	var got int64 = -1
	for _, b := range bal.Balances {
		if b.Currency == "IDR" {
			got = b.Available
		}
	}
	if got != net {
		t.Errorf("merchant: balance %d, payments less fees %d", got, net)
	}
}
