package ledger_test

import (
	"math"
	"testing"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/ledger"
)

// Sums past the range of int64 must be refused, not wrapped: a wrapped balance turns a
// debit into a credit and passes the overdraft check.
func TestOverflowRefused(t *testing.T) {
	f := newFixture(t)
	alice := f.wallet("alice")
	fees := f.account(ledger.SystemOwner, ledger.KindFeeRevenue, false, 0)
	f.fund(alice, 10)

	_, err := f.submit(ledger.Transfer{Key: "wrap-debit", Code: "payment", Postings: []ledger.Posting{
		{Debit: alice, Credit: fees, Amount: math.MaxInt64, Currency: "IDR"},
		{Debit: alice, Credit: fees, Amount: 100, Currency: "IDR"},
	}})
	if fault.Code(err) == "" {
		t.Fatalf("a debit wrapping the balance was accepted: %v", err)
	}
	if b := f.balance(alice).Balance; b != 10 {
		t.Fatalf("alice has %d, want 10", b)
	}

	// A counter wrapping below its maximum.
	if _, err := f.submit(ledger.Transfer{Key: "use-1", Code: "payment", Postings: []ledger.Posting{{Debit: alice, Credit: fees, Amount: 1, Currency: "IDR"}},
		Usage: []ledger.Usage{{Key: "out:d", Amount: 500, Max: 1000}}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.submit(ledger.Transfer{Key: "use-2", Code: "payment", Postings: []ledger.Posting{{Debit: alice, Credit: fees, Amount: 1, Currency: "IDR"}},
		Usage: []ledger.Usage{{Key: "out:d", Amount: math.MaxInt64, Max: 1000}}})
	if fault.Code(err) != "limit_exceeded" {
		t.Fatalf("a counter wrapping past its maximum: %v, want limit_exceeded", err)
	}
}
