package ledger_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/ledger"
)

// BenchmarkTransfer measures committed transfers per second through the Go API with many
// concurrent submitters: spread over 10,000 wallets, and all paying one hot merchant.
// Run with DOMPET_TEST_DB=postgres://… for PostgreSQL.
func BenchmarkTransfer(b *testing.B) {
	for _, hot := range []bool{false, true} {
		name := "spread"
		if hot {
			name = "hot"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			d := dbtest.Open(b)
			l := ledger.New(d, ledger.Options{})
			defer l.Close()
			funding, _ := l.System(ctx, ledger.KindFundingClearing, "IDR")
			const n = 10_000
			accts := make([]string, n)
			var fund []ledger.Posting
			for i := range accts {
				accts[i], _ = l.Ensure(ctx, ledger.Spec{Owner: fmt.Sprintf("user:%d", i), Kind: ledger.KindWallet, Currency: "IDR", NoOverdraft: true})
				fund = append(fund, ledger.Posting{Debit: funding, Credit: accts[i], Amount: 1 << 40, Currency: "IDR"})
			}
			if _, err := l.Submit(ctx, ledger.Transfer{Key: "fund", Code: "topup", Postings: fund}); err != nil {
				b.Fatal(err)
			}
			merchant, _ := l.Ensure(ctx, ledger.Spec{Owner: "merchant:hot", Kind: ledger.KindMerchant, Currency: "IDR", NoOverdraft: true})
			var seq atomic.Int64
			b.SetParallelism(256)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					from := accts[rand.IntN(n)]
					to := accts[rand.IntN(n)]
					if hot || from == to {
						to = merchant
					}
					_, err := l.Submit(ctx, ledger.Transfer{Key: fmt.Sprintf("b%d", i), Code: "payment",
						Postings: []ledger.Posting{{Debit: from, Credit: to, Amount: 100, Currency: "IDR"}}})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
		})
	}
}
