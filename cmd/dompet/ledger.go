package main

import (
	"context"
	"fmt"

	"github.com/dompet/dompet/internal/ledger"
)

var ledgerVerifyCmd = command{
	name:    "ledger verify",
	summary: "recompute every balance from the journal and check each currency sums to zero",
	run:     ledgerVerify,
}

// ledgerVerify prints what it checked and exits non-zero on any mismatch.
func ledgerVerify(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	cfg, err := c.config(fs, args)
	if err != nil {
		return err
	}
	store, err := c.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	l := ledger.New(store, ledger.Options{Log: c.log})
	defer l.Close()
	rep, err := l.Verify(ctx)
	if err != nil {
		return err
	}
	if rep.Problems == nil {
		rep.Problems = []string{}
	}
	if err := c.printJSON(map[string]any{"ok": rep.OK(), "accounts": rep.Accounts, "transfers": rep.Transfers,
		"postings": rep.Postings, "currencies": rep.Currencies, "problems": rep.Problems}); err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("ledger verify: %d problems", len(rep.Problems))
	}
	return nil
}
