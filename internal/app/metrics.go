package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dompet/dompet/internal/ledger"
)

// ledgerMetrics exposes the ledger's running totals; the HTTP layer serves the registry.
func ledgerMetrics(reg *prometheus.Registry, l *ledger.Ledger) error {
	counter := func(name, help string, v func(ledger.Stats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return v(l.Stats()) })
	}
	for _, c := range []prometheus.Collector{
		counter("dompet_ledger_groups_total", "Database transactions written by the ledger (group commits).", func(s ledger.Stats) float64 { return float64(s.Groups) }),
		counter("dompet_ledger_transfers_accepted_total", "Transfers that moved or held money.", func(s ledger.Stats) float64 { return float64(s.Accepted) }),
		counter("dompet_ledger_transfers_rejected_total", "Transfers refused by a rule (balance, limit, state).", func(s ledger.Stats) float64 { return float64(s.Rejected) }),
		counter("dompet_ledger_transfers_duplicate_total", "Replayed transfers answered with their first outcome.", func(s ledger.Stats) float64 { return float64(s.Duplicates) }),
		counter("dompet_ledger_transfers_failed_total", "Transfers that met a store error.", func(s ledger.Stats) float64 { return float64(s.Failed) }),
		counter("dompet_ledger_commit_seconds_total", "Time spent writing groups.", func(s ledger.Stats) float64 { return s.CommitSeconds }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
