package wallet_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/wallet"
)

// barrierFunding lets n charges through together, so that two processes both charge before
// either credits; it counts charges and reversals.
type barrierFunding struct {
	wg                sync.WaitGroup
	charged, reversed atomic.Int32
}

func (b *barrierFunding) Charge(ctx context.Context, c wallet.Charge) error {
	b.charged.Add(1)
	b.wg.Done()
	b.wg.Wait()
	return nil
}

func (b *barrierFunding) Reverse(ctx context.Context, chargeID string) error {
	b.reversed.Add(1)
	return nil
}

// Two processes taking the same top-up at once both charge the card; the one whose credit
// turns out to be a replay of the other's must give its charge back.
func TestConcurrentTopUpInTwoProcessesChargesOnce(t *testing.T) {
	e := newEnv(t)
	fund := &barrierFunding{}
	fund.wg.Add(2)
	clock := func() time.Time { return time.UnixMicro(e.now.Load()) }
	var ws [2]*wallet.Wallet
	for i := range ws {
		w, err := wallet.New(wallet.Options{DB: e.d, Ledger: e.l, Users: directory{}, Merchants: merchants{e.merchant},
			Funding: fund, Bank: e.sandbox, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		ws[i] = w
	}
	c := e.call(e.alice)
	in := wallet.TopUpInput{Amount: 100_000, Currency: "IDR", Source: wallet.Source{Type: "bank_transfer", Reference: "BCA-1"}}
	var wg sync.WaitGroup
	var ids [2]string
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tx, err := w.TopUp(e.ctx, c, in)
			if err != nil {
				t.Error(err)
			}
			ids[i] = tx.ID
		}()
	}
	wg.Wait()
	if ids[0] != ids[1] {
		t.Fatalf("the same key answered two transactions: %v", ids)
	}
	if got := e.available(e.alice, "IDR"); got != 100_000 {
		t.Fatalf("credited %d, want 100000", got)
	}
	if kept := fund.charged.Load() - fund.reversed.Load(); kept != 1 {
		t.Fatalf("%d charges, %d reversed: the user pays %d times for one credit", fund.charged.Load(), fund.reversed.Load(), kept)
	}
}
