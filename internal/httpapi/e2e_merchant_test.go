package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/merchant"
)

// refund asks for a merchant refund under a fresh key.
func (e *e2eEnv) refund(t testing.TB, apiKey, paymentID string, amount int64) reply {
	t.Helper()
	return e.post(t, "/api/v1/merchant/refunds", apiKey, map[string]any{"payment_id": paymentID, "amount": amount, "reason": "customer returned it"})
}

func TestE2ERefunds(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	m := e.newMerchant(t, "Toko Sepatu", "")
	e.fundMerchant(t, m.ID, 100_000_00) // so the merchant can refund more than a payment nets
	u := e.newUser(t, userOpts{})
	e.topUp(t, u, 100_000_00, "IDR")

	t.Run("full", func(t *testing.T) {
		p := e.pay(t, u, m.ID, 10_000_00)
		before := e.balance(t, u.Token, "IDR").Available
		mBefore := e.merchantBalance(t, m.APIKey, "IDR").Available
		rf := txOf(t, want(t, e.refund(t, m.APIKey, p.ID, 10_000_00), http.StatusCreated))
		if rf.Kind != "refund" || rf.Status != "succeeded" || rf.Amount != 10_000_00 || rf.RelatedID != p.ID {
			t.Errorf("refund %+v", rf)
		}
		if got := e.balance(t, u.Token, "IDR").Available; got != before+10_000_00 {
			t.Errorf("user available %d, want %d", got, before+10_000_00)
		}
		if got := e.merchantBalance(t, m.APIKey, "IDR").Available; got != mBefore-10_000_00 {
			t.Errorf("merchant available %d, want %d", got, mBefore-10_000_00)
		}
		got := e.getTx(t, u.Token, p.ID)
		if got.RefundedAmount != 10_000_00 || len(got.Refunds) != 1 || got.Refunds[0].ID != rf.ID {
			t.Errorf("payment after a full refund %+v", got)
		}
		wantProblem(t, e.refund(t, m.APIKey, p.ID, 1), 422, "refund_not_allowed")
		// The user's history has the refund too.
		found := false
		for _, x := range e.transactions(t, u.Token, "kind=refund") {
			found = found || (x.ID == rf.ID && x.Amount == 10_000_00 && x.Status == "succeeded")
		}
		if !found {
			t.Errorf("refund %s missing from the user's history", rf.ID)
		}
	})

	t.Run("partial", func(t *testing.T) {
		p := e.pay(t, u, m.ID, 10_000_00)
		before := e.balance(t, u.Token, "IDR").Available
		want(t, e.refund(t, m.APIKey, p.ID, 3_000_00), http.StatusCreated)
		pr := wantProblem(t, e.refund(t, m.APIKey, p.ID, 8_000_00), 422, "refund_not_allowed")
		if r, ok := pr["refundable"].(float64); ok && int64(r) != 7_000_00 {
			t.Errorf("refundable %v, want 700000", pr["refundable"])
		}
		want(t, e.refund(t, m.APIKey, p.ID, 7_000_00), http.StatusCreated)
		wantProblem(t, e.refund(t, m.APIKey, p.ID, 1), 422, "refund_not_allowed")
		if got := e.balance(t, u.Token, "IDR").Available; got != before+10_000_00 {
			t.Errorf("user available %d, want %d", got, before+10_000_00)
		}
		got := e.getTx(t, u.Token, p.ID)
		if got.RefundedAmount != 10_000_00 {
			t.Errorf("refunded_amount %d, want 1000000", got.RefundedAmount)
		}
		succeeded := 0
		for _, r := range got.Refunds {
			if r.Status == "succeeded" {
				succeeded++
			}
		}
		if succeeded != 2 {
			t.Errorf("refunds %+v, want two succeeded", got.Refunds)
		}
	})

	t.Run("concurrent partial refunds never exceed the payment", func(t *testing.T) {
		p := e.pay(t, u, m.ID, 10_000_00)
		before := e.balance(t, u.Token, "IDR").Available
		const n, part = 10, 1_500_00 // 10 × 150000 > 1000000
		var wg sync.WaitGroup
		rs := make([]reply, n)
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			key := e.key()
			wg.Go(func() {
				<-start
				rs[i], errs[i] = e.send("POST", "/api/v1/merchant/refunds", m.APIKey,
					map[string]any{"payment_id": p.ID, "amount": part, "reason": "race"}, hdr{"Idempotency-Key", key})
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, r := range rs {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			switch r.status {
			case http.StatusCreated:
				ok++
			default:
				wantProblem(t, r, 422, "refund_not_allowed")
			}
		}
		if ok*part > 10_000_00 || ok != 10_000_00/part {
			t.Errorf("%d refunds of %d succeeded on a payment of 1000000, want %d", ok, part, 10_000_00/part)
		}
		got := e.getTx(t, u.Token, p.ID)
		if got.RefundedAmount != int64(ok*part) {
			t.Errorf("refunded_amount %d, want %d", got.RefundedAmount, ok*part)
		}
		if b := e.balance(t, u.Token, "IDR").Available; b != before+int64(ok*part) {
			t.Errorf("user available %d, want %d", b, before+int64(ok*part))
		}
		// The merchant's payment list agrees.
		for _, mp := range e.listAll(t, "/api/v1/merchant/payments", m.APIKey, "") {
			if mp.ID == p.ID && mp.RefundedAmount != got.RefundedAmount {
				t.Errorf("merchant sees refunded_amount %d, user %d", mp.RefundedAmount, got.RefundedAmount)
			}
		}
	})

	t.Run("one key, many tries", func(t *testing.T) {
		p := e.pay(t, u, m.ID, 4_000_00)
		before := e.balance(t, u.Token, "IDR").Available
		key := e.key()
		body := map[string]any{"payment_id": p.ID, "amount": 1_000_00, "reason": "late"}
		sameAnswers(t, replayConcurrently(t, e, 10, "/api/v1/merchant/refunds", m.APIKey, key, body), http.StatusCreated)
		if got := e.getTx(t, u.Token, p.ID).RefundedAmount; got != 1_000_00 {
			t.Errorf("refunded_amount %d after one refund sent 10 times, want 100000", got)
		}
		if got := e.balance(t, u.Token, "IDR").Available; got != before+1_000_00 {
			t.Errorf("user available %d, want %d", got, before+1_000_00)
		}
		body["amount"] = 2_000_00
		wantProblem(t, e.do(t, "POST", "/api/v1/merchant/refunds", m.APIKey, body, hdr{"Idempotency-Key", key}), 409, "idempotency_conflict")
	})

	t.Run("someone else's payment", func(t *testing.T) {
		p := e.pay(t, u, m.ID, 1_000_00)
		other := e.newMerchant(t, "Toko Lain", "")
		wantProblem(t, e.refund(t, other.APIKey, p.ID, 1_000_00), 404, "not_found")
		wantProblem(t, e.refund(t, m.APIKey, "tx_does_not_exist", 1), 404, "not_found")
	})
}

// refundRequest is a refund request as API.md shows it.
type refundRequest struct {
	ID             string    `json:"id"`
	TransactionID  string    `json:"transaction_id"`
	Amount         int64     `json:"amount"`
	Status         string    `json:"status"`
	Reason         string    `json:"reason"`
	CreatedAt      time.Time `json:"created_at"`
	ExpectedBy     time.Time `json:"expected_by"`
	AttachmentIDs  []string  `json:"attachment_ids"`
	DecisionReason string    `json:"decision_reason"`
}

func TestE2ERefundRequests(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	m := e.newMerchant(t, "Toko Kue", "")
	e.fundMerchant(t, m.ID, 50_000_00)
	u := e.newUser(t, userOpts{})
	e.topUp(t, u, 50_000_00, "IDR")
	p := e.pay(t, u, m.ID, 20_000_00)

	r := want(t, e.upload(t, u.Token, "receipt.png", tinyPNG(t)), http.StatusCreated)
	var att struct {
		ID string `json:"id"`
	}
	decodeJSON(t, r, &att)
	if att.ID == "" {
		t.Fatalf("%s: no attachment id", r)
	}
	wantProblem(t, e.upload(t, u.Token, "notes.txt", []byte("just some text, not evidence")), 400, "invalid_request")
	big := append(tinyPNG(t), make([]byte, 11<<20)...)
	wantProblem(t, e.upload(t, u.Token, "huge.png", big), 413, "too_large")

	file := func(amount int64) refundRequest {
		t.Helper()
		r := want(t, e.do(t, "POST", "/api/v1/refund-requests", u.Token, map[string]any{"transaction_id": p.ID, "amount": amount,
			"reason": "the cake arrived squashed", "attachment_ids": []string{att.ID}}), http.StatusCreated)
		var rr refundRequest
		decodeJSON(t, r, &rr)
		if rr.ID == "" || rr.Status != "submitted" || rr.TransactionID != p.ID || rr.Amount != amount ||
			rr.Reason == "" || rr.CreatedAt.IsZero() || !rr.ExpectedBy.After(rr.CreatedAt) {
			t.Fatalf("refund request %s", r.body)
		}
		return rr
	}
	rr := file(5_000_00)
	if len(rr.AttachmentIDs) != 1 || rr.AttachmentIDs[0] != att.ID {
		t.Errorf("attachment_ids %v", rr.AttachmentIDs)
	}
	wantProblem(t, e.do(t, "POST", "/api/v1/refund-requests", u.Token, map[string]any{"transaction_id": p.ID, "amount": 20_000_01, "reason": "all"}), 422, "refund_not_allowed")

	// The merchant sees it and approves: the money moves.
	var list struct {
		Items []refundRequest `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/merchant/refund-requests?status=submitted", m.APIKey, nil), http.StatusOK), &list)
	if len(list.Items) != 1 || list.Items[0].ID != rr.ID {
		t.Fatalf("merchant refund requests %+v", list.Items)
	}
	before := e.balance(t, u.Token, "IDR").Available
	// An approval moves money: it needs an Idempotency-Key, and a refused one moves nothing.
	approval := map[string]any{"decision": "approve", "reason": "sorry about that"}
	decisionPath := "/api/v1/merchant/refund-requests/" + rr.ID + "/decision"
	wantProblem(t, e.do(t, "POST", decisionPath, m.APIKey, approval, invalidOnPurpose), 400, "idempotency_key_required")
	key := hdr{"Idempotency-Key", e.key()}
	first := want(t, e.do(t, "POST", decisionPath, m.APIKey, approval, key), http.StatusOK)
	var decided refundRequest
	decodeJSON(t, first, &decided)
	// The same key and body replay the answer; another body is a conflict.
	if again := want(t, e.do(t, "POST", decisionPath, m.APIKey, approval, key), http.StatusOK); string(again.body) != string(first.body) {
		t.Errorf("replayed decision %s, first %s", again.body, first.body)
	}
	wantProblem(t, e.do(t, "POST", decisionPath, m.APIKey, map[string]any{"decision": "approve", "reason": "other"}, key), 409, "idempotency_conflict")
	if decided.Status != "refunded" {
		t.Errorf("approved request status %q, want refunded", decided.Status)
	}
	if got := e.balance(t, u.Token, "IDR").Available; got != before+5_000_00 {
		t.Errorf("user available %d, want %d", got, before+5_000_00)
	}
	var mine refundRequest
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/refund-requests/"+rr.ID, u.Token, nil), http.StatusOK), &mine)
	if mine.Status != "refunded" {
		t.Errorf("user sees status %q", mine.Status)
	}
	if got := e.getTx(t, u.Token, p.ID); got.RefundedAmount != 5_000_00 || len(got.Refunds) != 1 {
		t.Errorf("payment after the approved request %+v", got)
	}
	// Approving again moves nothing more.
	wantProblem(t, e.post(t, "/api/v1/merchant/refund-requests/"+rr.ID+"/decision", m.APIKey,
		map[string]any{"decision": "approve", "reason": "again"}), 409, "invalid_state")
	if got := e.balance(t, u.Token, "IDR").Available; got != before+5_000_00 {
		t.Errorf("user available %d after a second approval, want %d", got, before+5_000_00)
	}

	// Ten approvals at once of one request refund it once. (Those that overlap the first
	// answer like it, refunded; later ones 409 invalid_state.)
	rr3 := file(2_000_00)
	before = e.balance(t, u.Token, "IDR").Available
	var wg sync.WaitGroup
	statuses := make([]int, 10)
	for i := range statuses {
		wg.Go(func() {
			r, err := e.send("POST", "/api/v1/merchant/refund-requests/"+rr3.ID+"/decision", m.APIKey, map[string]any{"decision": "approve", "reason": "ok"}, hdr{"Idempotency-Key", e.key()})
			if err == nil {
				statuses[i] = r.status
				if r.status != http.StatusOK {
					if _, msg := problemError(r, 409, "invalid_state"); msg != "" {
						statuses[i] = -r.status
					}
				}
			}
		})
	}
	wg.Wait()
	approved := 0
	for _, st := range statuses {
		switch st {
		case http.StatusOK:
			approved++
		case http.StatusConflict:
		default:
			t.Errorf("a concurrent approval answered %d", st)
		}
	}
	if approved < 1 {
		t.Errorf("none of the concurrent approvals succeeded")
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/refund-requests/"+rr3.ID, u.Token, nil), http.StatusOK), &mine)
	if mine.Status != "refunded" {
		t.Errorf("status %q after concurrent approvals, want refunded", mine.Status)
	}
	if got := e.balance(t, u.Token, "IDR").Available; got != before+2_000_00 {
		t.Errorf("user available %d after concurrent approvals, want %d", got, before+2_000_00)
	}
	if got := e.getTx(t, u.Token, p.ID); got.RefundedAmount != 7_000_00 {
		t.Errorf("refunded_amount %d after concurrent approvals, want 700000", got.RefundedAmount)
	}

	// A request for more than the merchant has left to refund by now cannot be approved and
	// goes back to the merchant's queue.
	rr4 := file(10_000_00)
	want(t, e.refund(t, m.APIKey, p.ID, 5_000_00), http.StatusCreated) // 5000 + 2000 + 5000 refunded of 20000
	before = e.balance(t, u.Token, "IDR").Available
	wantProblem(t, e.post(t, "/api/v1/merchant/refund-requests/"+rr4.ID+"/decision", m.APIKey,
		map[string]any{"decision": "approve", "reason": "ok"}), 422, "refund_not_allowed")
	var back refundRequest
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/refund-requests/"+rr4.ID, u.Token, nil), http.StatusOK), &back)
	if back.Status != "submitted" || back.DecisionReason != "" {
		t.Errorf("a request whose approval failed is %q with decision_reason %q, want submitted and nothing stored", back.Status, back.DecisionReason)
	}
	if got := e.balance(t, u.Token, "IDR").Available; got != before {
		t.Errorf("a failed approval moved money: available %d, want %d", got, before)
	}
	decodeJSON(t, want(t, e.post(t, "/api/v1/merchant/refund-requests/"+rr4.ID+"/decision", m.APIKey,
		map[string]any{"decision": "reject", "reason": "already refunded in part"}), http.StatusOK), &back)
	if back.Status != "rejected" {
		t.Errorf("status %q, want rejected", back.Status)
	}

	// Rejection, then a second rejection.
	before = e.balance(t, u.Token, "IDR").Available
	rr2 := file(1_000_00)
	decodeJSON(t, want(t, e.post(t, "/api/v1/merchant/refund-requests/"+rr2.ID+"/decision", m.APIKey,
		map[string]any{"decision": "reject", "reason": "the photo shows a different cake"}), http.StatusOK), &decided)
	if decided.Status != "rejected" {
		t.Errorf("rejected request status %q", decided.Status)
	}
	wantProblem(t, e.post(t, "/api/v1/merchant/refund-requests/"+rr2.ID+"/decision", m.APIKey,
		map[string]any{"decision": "reject", "reason": "still no"}), 409, "invalid_state")
	wantProblem(t, e.post(t, "/api/v1/merchant/refund-requests/"+rr2.ID+"/decision", m.APIKey,
		map[string]any{"decision": "approve", "reason": "changed my mind"}), 409, "invalid_state")
	if got := e.balance(t, u.Token, "IDR").Available; got != before {
		t.Errorf("a rejected request moved money: available %d, want %d", got, before)
	}
	var mineAll struct {
		Items []refundRequest `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/refund-requests", u.Token, nil), http.StatusOK), &mineAll)
	if len(mineAll.Items) != 4 {
		t.Errorf("user lists %d refund requests, want 4", len(mineAll.Items))
	}
	// Another merchant can neither see nor decide it.
	other := e.newMerchant(t, "Toko Lain", "")
	wantProblem(t, e.post(t, "/api/v1/merchant/refund-requests/"+rr2.ID+"/decision", other.APIKey,
		map[string]any{"decision": "approve", "reason": "x"}), 404, "not_found")
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/merchant/refund-requests", other.APIKey, nil), http.StatusOK), &list)
	if len(list.Items) != 0 {
		t.Errorf("another merchant lists %d refund requests", len(list.Items))
	}
}

// hookSink is a merchant's webhook endpoint that keeps what it receives.
type hookSink struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []hookCall
}

type hookCall struct {
	event, signature string
	body             []byte
}

func newHookSink(t testing.TB) *hookSink {
	h := &hookSink{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, hookCall{event: r.Header.Get(merchant.HeaderEvent), signature: r.Header.Get(merchant.HeaderSignature), body: body})
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// wait returns the first call whose event type is typ and whose data satisfies match.
func (h *hookSink) wait(t testing.TB, typ string, match func(data map[string]any) bool) hookCall {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		calls := append([]hookCall(nil), h.got...)
		h.mu.Unlock()
		for _, c := range calls {
			var ev struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if json.Unmarshal(c.body, &ev) == nil && ev.Type == typ && match(ev.Data) {
				return c
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s webhook arrived in 10 s", typ)
	return hookCall{}
}

func TestE2EWebhooks(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	sink := newHookSink(t)
	m := e.newMerchant(t, "Kopi Kenangan", sink.srv.URL+"/dompet/hooks")
	e.fundMerchant(t, m.ID, 10_000_00)
	u := e.newUser(t, userOpts{})
	e.topUp(t, u, 10_000_00, "IDR")
	p := e.pay(t, u, m.ID, 2_500_00)
	check := func(c hookCall, typ string) {
		t.Helper()
		if c.event != typ {
			t.Errorf("%s header %q, want %q", merchant.HeaderEvent, c.event, typ)
		}
		if err := merchant.Verify(m.WebhookSecret, c.signature, c.body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("%s signature %q: %v", typ, c.signature, err)
		}
		if err := merchant.Verify("whsec_wrong", c.signature, c.body, time.Now(), 5*time.Minute); err == nil {
			t.Errorf("%s signature verifies with the wrong secret", typ)
		}
	}
	c := sink.wait(t, "payment.succeeded", func(d map[string]any) bool { return d["payment_id"] == p.ID })
	check(c, "payment.succeeded")
	var ev struct {
		Data struct {
			Amount   int64  `json:"amount"`
			Currency string `json:"currency"`
			UserID   string `json:"user_id"`
		} `json:"data"`
	}
	_ = json.Unmarshal(c.body, &ev)
	if ev.Data.Amount != 2_500_00 || ev.Data.Currency != "IDR" || ev.Data.UserID != u.ID {
		t.Errorf("payment event %s", c.body)
	}

	rf := txOf(t, want(t, e.refund(t, m.APIKey, p.ID, 1_000_00), http.StatusCreated))
	c = sink.wait(t, "refund.succeeded", func(d map[string]any) bool { return d["refund_id"] == rf.ID })
	check(c, "refund.succeeded")
	var rev struct {
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(c.body, &rev)
	if rev.Data["payment_id"] != p.ID || rev.Data["amount"] != float64(1_000_00) {
		t.Errorf("refund event %s", c.body)
	}
	// A refund request is announced, and so is the refund its approval makes.
	r := want(t, e.do(t, "POST", "/api/v1/refund-requests", u.Token, map[string]any{"transaction_id": p.ID, "amount": 500_00, "reason": "cold coffee"}), http.StatusCreated)
	var rr refundRequest
	decodeJSON(t, r, &rr)
	check(sink.wait(t, "refund_request.created", func(d map[string]any) bool { return d["id"] == rr.ID }), "refund_request.created")
	want(t, e.post(t, "/api/v1/merchant/refund-requests/"+rr.ID+"/decision", m.APIKey, map[string]any{"decision": "approve", "reason": "sorry"}), http.StatusOK)
	check(sink.wait(t, "refund.succeeded", func(d map[string]any) bool { return d["refund_request_id"] == rr.ID }), "refund.succeeded")

	// A refused payment announces nothing.
	wantProblem(t, e.post(t, "/api/v1/payments", u.Token, map[string]any{"merchant_id": m.ID, "amount": 1_000_000_00, "currency": "IDR", "order_ref": "x"}), 422, "insufficient_balance")
	time.Sleep(100 * time.Millisecond)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for _, c := range sink.got {
		var ev struct {
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(c.body, &ev)
		if ev.Data["amount"] == float64(1_000_000_00) {
			t.Errorf("a refused payment was announced: %s", c.body)
		}
	}
}
