package httpapi

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/merchant"
)

// propTally counts what the clients were told, per user (or merchant), kind and status.
type propTally struct {
	mu     sync.Mutex
	counts map[propKey]int
	errs   []string
	pays   []propPayment // succeeded payments, for refunds
}

type propKey struct {
	owner  int // user index, or merchant index for "merchant_refund"
	kind   string
	status int
}

type propPayment struct {
	id             string
	user, merchant int
	amount         int64
}

func (p *propTally) add(owner int, kind string, status int) {
	p.mu.Lock()
	p.counts[propKey{owner, kind, status}]++
	p.mu.Unlock()
}

func (p *propTally) fail(format string, args ...any) {
	p.mu.Lock()
	p.errs = append(p.errs, fmt.Sprintf(format, args...))
	p.mu.Unlock()
}

// TestE2EConcurrentProperty lets 16 clients do random payments, transfers, refunds,
// conversions and withdrawals (some bound to fail) for 8 users and 2 merchants at once, some
// of them sent twice under one key, and then checks that the books agree with what the
// clients were told: the ledger verifies, no balance is negative, every 201 is in the
// history exactly once as succeeded or pending (or failed at the bank, for withdrawals to a
// rejecting account), every 422 is there as failed, and each user's balance is what their
// history adds up to.
func TestE2EConcurrentProperty(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	const nUsers, nMerchants, workers, opsPerWorker = 8, 2, 16, 14
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)

	merchants := make([]merchant.Created, nMerchants)
	for i := range merchants {
		merchants[i] = e.newMerchant(t, fmt.Sprintf("Merchant %d", i), "")
		e.fundMerchant(t, merchants[i].ID, 5_000_00) // some float for refunds, not much
	}
	users := make([]*e2eUser, nUsers)
	for i := range users {
		users[i] = e.newUser(t, userOpts{verified: i%2 == 1})
		e.topUp(t, users[i], 20_000_00, "IDR")
	}
	tal := &propTally{counts: map[propKey]int{}}

	// send posts body under a fresh key, and sometimes again under the same key: the replay
	// must answer the same status and transaction.
	send := func(rng *rand.Rand, path, token string, body any) (reply, bool) {
		key := e.key()
		r, err := e.send("POST", path, token, body, hdr{"Idempotency-Key", key})
		if err != nil {
			tal.fail("POST %s: %v", path, err)
			return r, false
		}
		if r.status >= 500 || (r.status != http.StatusCreated && r.status != 422) {
			tal.fail("%s", r)
			return r, false
		}
		if r.status == 422 {
			if _, msg := problemError(r, 422, codeOf(r)); msg != "" {
				tal.fail("%s: %s", r, msg)
			}
		}
		if rng.IntN(10) == 0 {
			again, err := e.send("POST", path, token, body, hdr{"Idempotency-Key", key})
			if err != nil || again.status != r.status || txID(again) != txID(r) {
				tal.fail("replay of %s answered %s (err %v)", r, again, err)
			}
		}
		return r, true
	}

	op := func(rng *rand.Rand) {
		ui := rng.IntN(nUsers)
		u := users[ui]
		amount := int64(10_000 + rng.IntN(400_000))
		if rng.IntN(12) == 0 {
			amount = 250_000_000 // above a basic tier's single-transaction limit, or the balance
		}
		switch k := rng.IntN(10); {
		case k < 3: // payment
			mi := rng.IntN(nMerchants)
			r, ok := send(rng, "/api/v1/payments", u.Token, map[string]any{"merchant_id": merchants[mi].ID, "amount": amount, "currency": "IDR", "order_ref": "prop"})
			if !ok {
				return
			}
			tal.add(ui, "payment", r.status)
			if r.status == http.StatusCreated {
				tal.mu.Lock()
				tal.pays = append(tal.pays, propPayment{id: txID(r), user: ui, merchant: mi, amount: amount})
				tal.mu.Unlock()
			}
		case k < 5: // transfer
			to := (ui + 1 + rng.IntN(nUsers-1)) % nUsers
			r, ok := send(rng, "/api/v1/transfers", u.Token, map[string]any{"to": users[to].Email, "amount": amount, "currency": "IDR"})
			if !ok {
				return
			}
			tal.add(ui, "transfer_out", r.status)
			if r.status == http.StatusCreated {
				tal.add(to, "transfer_in", r.status)
			}
		case k < 7: // refund of a payment so far, often more than is left of it
			tal.mu.Lock()
			if len(tal.pays) == 0 {
				tal.mu.Unlock()
				return
			}
			p := tal.pays[rng.IntN(len(tal.pays))]
			tal.mu.Unlock()
			part := 1 + rng.Int64N(p.amount)
			r, ok := send(rng, "/api/v1/merchant/refunds", merchants[p.merchant].APIKey, map[string]any{"payment_id": p.id, "amount": part, "reason": "prop"})
			if !ok {
				return
			}
			tal.add(p.user, "refund", r.status)
			tal.add(p.merchant, "merchant_refund", r.status)
		case k < 8: // conversion
			q, err := e.send("POST", "/api/v1/fx/quotes", u.Token, map[string]any{"from_currency": "IDR", "to_currency": "USD", "amount": amount + 20_000}) // at least a cent
			if err != nil || q.status != http.StatusCreated {
				tal.fail("quote: %s %v", q, err)
				return
			}
			var quote struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(q.body, &quote)
			r, ok := send(rng, "/api/v1/fx/conversions", u.Token, map[string]any{"quote_id": quote.ID})
			if !ok {
				return
			}
			tal.add(ui, "fx_conversion", r.status)
		default: // withdrawal; one in four to an account the bank rejects
			account, kind := "1234567890", "withdrawal"
			if rng.IntN(4) == 0 {
				account, kind = "1234560000", "withdrawal_rejected"
			}
			r, ok := send(rng, "/api/v1/withdrawals", u.Token, map[string]any{"amount": amount, "currency": "IDR",
				"bank_account": map[string]any{"bank_code": "BNI", "account_number": account, "holder_name": "Prop"}})
			if !ok {
				return
			}
			if r.status == 422 {
				kind = "withdrawal"
			}
			tal.add(ui, kind, r.status)
		}
	}

	var wg sync.WaitGroup
	for w := range workers {
		rng := rand.New(rand.NewPCG(seed, uint64(w)))
		wg.Go(func() {
			for range opsPerWorker {
				op(rng)
			}
		})
	}
	wg.Wait()
	for _, msg := range tal.errs {
		t.Error(msg)
	}
	if t.Failed() {
		return
	}

	// Let every withdrawal settle.
	deadline := time.Now().Add(10 * time.Second)
	for _, u := range users {
		for len(e.transactions(t, u.Token, "kind=withdrawal&status=pending")) > 0 {
			if time.Now().After(deadline) {
				t.Fatal("withdrawals still pending after 10 s")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	c := func(owner int, kind string, status int) int { return tal.counts[propKey{owner, kind, status}] }
	total201, total422 := 0, 0
	for k, n := range tal.counts {
		if k.kind == "merchant_refund" {
			continue
		}
		switch k.status {
		case http.StatusCreated:
			total201 += n
		case 422:
			total422 += n
		}
	}
	t.Logf("clients were told 201 %d times and 422 %d times", total201, total422)
	if total201 < 20 || total422 < 5 {
		t.Errorf("the mix is off: %d created, %d refused", total201, total422)
	}

	for ui, u := range users {
		hist := e.transactions(t, u.Token, "")
		got := map[string]int{}
		for _, tx := range hist {
			switch {
			case tx.Status == "succeeded" || tx.Status == "pending":
				got[tx.Kind+"/ok"]++
			case tx.Status == "failed" && tx.FailureCode == "bank_rejected":
				got[tx.Kind+"/rejected"]++
			case tx.Status == "failed":
				got[tx.Kind+"/failed"]++
				if tx.FailureReason == "" || tx.FailureCode == "" {
					t.Errorf("user %d: failed %s %s without a code or reason", ui, tx.Kind, tx.ID)
				}
			default:
				got[tx.Kind+"/"+tx.Status]++
			}
		}
		for _, chk := range []struct {
			what      string
			got, want int
		}{
			{"payments succeeded", got["payment/ok"], c(ui, "payment", 201)},
			{"payments failed", got["payment/failed"], c(ui, "payment", 422)},
			{"transfers out succeeded", got["transfer_out/ok"], c(ui, "transfer_out", 201)},
			{"transfers out failed", got["transfer_out/failed"], c(ui, "transfer_out", 422)},
			{"transfers in", got["transfer_in/ok"], c(ui, "transfer_in", 201)},
			{"refunds received", got["refund/ok"], c(ui, "refund", 201)},
			{"conversions succeeded", got["fx_conversion/ok"], c(ui, "fx_conversion", 201)},
			{"conversions failed", got["fx_conversion/failed"], c(ui, "fx_conversion", 422)},
			{"withdrawals paid out", got["withdrawal/ok"], c(ui, "withdrawal", 201)},
			{"withdrawals rejected by the bank", got["withdrawal/rejected"], c(ui, "withdrawal_rejected", 201)},
			{"withdrawals refused", got["withdrawal/failed"], c(ui, "withdrawal", 422)},
			{"top-ups", got["topup/ok"], 1},
		} {
			if chk.got != chk.want {
				t.Errorf("user %d: %s: history has %d, clients were told %d", ui, chk.what, chk.got, chk.want)
			}
		}
		// The balance is what the history adds up to, and never negative.
		want := map[string]int64{}
		for _, tx := range hist {
			if tx.Status == "failed" {
				continue
			}
			switch tx.Kind {
			case "topup":
				want[tx.Currency] += tx.Amount - tx.Fee.Amount
			case "transfer_in", "refund":
				want[tx.Currency] += tx.Amount
			case "payment", "transfer_out", "withdrawal":
				want[tx.Currency] -= tx.Amount + tx.Fee.Amount
			case "fx_conversion":
				want[tx.Currency] -= tx.Amount + tx.Fee.Amount
				if tx.FX == nil {
					t.Fatalf("conversion %s shows no fx details", tx.ID)
				}
				want[tx.FX.Receive.Currency] += tx.FX.Receive.Amount
			default:
				t.Errorf("user %d: unexpected %s in the history", ui, tx.Kind)
			}
		}
		for cur, amount := range want {
			b := e.balance(t, u.Token, cur)
			if b.Available != amount || b.Pending != 0 || b.Available < 0 {
				t.Errorf("user %d %s: balance %+v, history adds up to %d", ui, cur, b, amount)
			}
		}
	}

	// Small pages, followed by their cursors, list the same history in the same order.
	full := e.transactions(t, users[0].Token, "")
	var paged []string
	cursor := ""
	for range len(full) + 1 {
		path := "/api/v1/transactions?limit=3"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var pg struct {
			Items      []apiTx `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		decodeJSON(t, want(t, e.do(t, "GET", path, users[0].Token, nil), http.StatusOK), &pg)
		if len(pg.Items) > 3 {
			t.Fatalf("limit=3 gave %d items", len(pg.Items))
		}
		for _, tx := range pg.Items {
			paged = append(paged, tx.ID)
		}
		if pg.NextCursor == nil {
			break
		}
		cursor = *pg.NextCursor
	}
	if len(paged) != len(full) {
		t.Errorf("paging by 3 lists %d transactions, one page of 200 %d", len(paged), len(full))
	}
	for i := range min(len(paged), len(full)) {
		if paged[i] != full[i].ID {
			t.Errorf("item %d: paged %s, unpaged %s", i, paged[i], full[i].ID)
			break
		}
		if i > 0 && !full[i].CreatedAt.Before(full[i-1].CreatedAt) && !full[i].CreatedAt.Equal(full[i-1].CreatedAt) {
			t.Errorf("the history is not newest first at %d", i)
		}
	}
	wantProblem(t, e.do(t, "GET", "/api/v1/transactions?limit=201", users[0].Token, nil), 400, "invalid_request")
	wantProblem(t, e.do(t, "GET", "/api/v1/transactions?status=lost", users[0].Token, nil, invalidOnPurpose), 400, "invalid_request")

	// Refused refunds are kept on the merchant's side, on the payment they were for.
	for mi, m := range merchants {
		failed, ok := 0, 0
		for _, p := range e.listAll(t, "/api/v1/merchant/payments", m.APIKey, "") {
			refunded := int64(0)
			for _, r := range p.Refunds {
				switch r.Status {
				case "failed":
					failed++
				case "succeeded":
					ok++
					refunded += r.Amount
				}
			}
			if refunded != p.RefundedAmount || refunded > p.Amount {
				t.Errorf("merchant %d payment %s: refunds add up to %d, refunded_amount %d, amount %d", mi, p.ID, refunded, p.RefundedAmount, p.Amount)
			}
		}
		if ok != c(mi, "merchant_refund", 201) || failed != c(mi, "merchant_refund", 422) {
			t.Errorf("merchant %d: refunds succeeded %d failed %d, clients were told %d and %d", mi, ok, failed,
				c(mi, "merchant_refund", 201), c(mi, "merchant_refund", 422))
		}
		if b := e.merchantBalance(t, m.APIKey, "IDR"); b.Available < 0 {
			t.Errorf("merchant %d balance %+v", mi, b)
		}
	}
}

// txID is the id of a transaction answer ("" for a problem).
func txID(r reply) string {
	var x struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(r.body, &x)
	return x.ID
}

// codeOf is the code of a problem answer.
func codeOf(r reply) string {
	var x struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.body, &x)
	return x.Code
}
