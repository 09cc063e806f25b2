package wallet_test

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/schema"
)

// Migration 00009 finishes what a crash of the old two-step code left: a request approved
// whose refund was made is refunded, one whose refund never came is submitted again, and a
// payout whose hold was posted or voided gets the status that goes with it.
func TestMigrationFinishesOldCrashes(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, dbtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	before := fstest.MapFS{}
	entries, _ := fs.ReadDir(schema.FS, ".")
	for _, e := range entries {
		if e.Name() < "00009" {
			b, _ := fs.ReadFile(schema.FS, e.Name())
			before[e.Name()] = &fstest.MapFile{Data: b}
		}
	}
	if err := d.Migrate(ctx, before, nil); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	tx := func(owner, id, kind, status, key string) {
		exec(`INSERT INTO wallet_transactions (owner, id, kind, status, amount, currency, idem_key, created_at, updated_at)
			VALUES (?, ?, ?, ?, 100, 'IDR', ?, 1, 1)`, owner, id, kind, status, key)
	}
	rr := func(id string) {
		exec(`INSERT INTO wallet_refund_requests (id, user_id, merchant_id, transaction_id, amount, currency, reason, status, decision_reason, created_at, decided_at, expected_by)
			VALUES (?, 'usr_a', 'mer_1', 'tx_pay', 100, 'IDR', 'r', 'approved', 'ok', 1, 2, 3)`, id)
	}
	transfer := func(id, key, code, phase string, pending any) {
		exec("INSERT INTO ledger_transfers (id, key, code, phase, pending_id, created_at) VALUES (?, ?, ?, ?, ?, 1)", id, key, code, phase, pending)
	}
	rr("rfr_paid")
	tx("merchant:mer_1", "tx_refund", "refund", "succeeded", "request:rfr_paid:1")
	rr("rfr_lost")
	for _, id := range []string{"tx_posted", "tx_voided", "tx_expired", "tx_open"} {
		tx("user:usr_a", id, "withdrawal", "pending", "k-"+id)
		transfer(id, "w:"+id, "withdrawal", "pending", nil)
	}
	transfer("trf_1", "settle:tx_posted", "withdrawal_settled", "post", "tx_posted")
	transfer("trf_2", "settle:tx_voided", "withdrawal_failed", "void", "tx_voided")
	transfer("trf_3", "expire:tx_expired", "expire", "void", "tx_expired")

	if err := d.Migrate(ctx, schema.FS, nil); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"rfr_paid": "refunded/tx_refund/ok", "rfr_lost": "submitted//"} {
		var got string
		if err := d.QueryRow(ctx, "SELECT status || '/' || refund_id || '/' || decision_reason FROM wallet_refund_requests WHERE id = ?", id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("request %s: %s, want %s", id, got, want)
		}
	}
	for id, want := range map[string]string{"tx_posted": "succeeded/", "tx_voided": "failed/bank_rejected", "tx_expired": "failed/expired", "tx_open": "pending/"} {
		var got string
		if err := d.QueryRow(ctx, "SELECT status || '/' || failure_code FROM wallet_transactions WHERE id = ?", id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("payout %s: %s, want %s", id, got, want)
		}
	}
}
