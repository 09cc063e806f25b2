package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/ledger"
)

// LedgerConfig sets up a ledger benchmark.
type LedgerConfig struct {
	Store       *db.DB // migrated; the benchmark adds accounts and transfers to it
	Accounts    int    // wallet accounts to create and fund
	Hot         bool   // every transfer pays one merchant account instead of a random wallet
	Duration    time.Duration
	Concurrency int // goroutines submitting transfers
	MaxBatch    int // ledger.Options.MaxBatch; 0 keeps the ledger's default
	Log         *slog.Logger
}

// LedgerResult is what `dompet bench ledger` prints.
type LedgerResult struct {
	Store         string  `json:"store"`
	Accounts      int     `json:"accounts"`
	Hot           bool    `json:"hot"`
	Concurrency   int     `json:"concurrency"`
	MaxBatch      int     `json:"max_batch,omitempty"`
	DurationS     float64 `json:"duration_s"`
	Succeeded     int64   `json:"succeeded"`
	Failed        int64   `json:"failed"`
	TransfersPerS float64 `json:"transfers_per_s"`
	P50Ms         float64 `json:"p50_ms"`
	P99Ms         float64 `json:"p99_ms"`
	MaxMs         float64 `json:"max_ms"` // the slowest one: shows stalls (a slow fsync, a checkpoint)
	SetupS        float64 `json:"setup_s"`
	Verify        Check   `json:"verify"`
}

// Amounts of the ledger benchmark: every wallet gets far more than it can spend in a run.
const (
	benchFunding  = 1 << 40
	benchTransfer = 100
	fundPerBatch  = 1000 // postings per funding transfer
)

// Ledger runs the ledger benchmark: it creates and funds cfg.Accounts wallets, submits
// one-posting transfers between random wallets (or from random wallets to one merchant) from
// cfg.Concurrency goroutines for cfg.Duration through the ledger's Go API, then verifies the
// ledger. Each run names its accounts and keys after a fresh run id, so a store can be reused.
func Ledger(ctx context.Context, cfg LedgerConfig) (LedgerResult, error) {
	if cfg.Store == nil || cfg.Accounts < 2 || cfg.Concurrency < 1 || cfg.Duration <= 0 {
		return LedgerResult{}, errors.New("bench ledger: needs a store, at least 2 accounts, concurrency ≥ 1 and a duration")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	res := LedgerResult{Store: cfg.Store.Dialect.String(), Accounts: cfg.Accounts, Hot: cfg.Hot,
		Concurrency: cfg.Concurrency, MaxBatch: cfg.MaxBatch}
	l := ledger.New(cfg.Store, ledger.Options{MaxBatch: cfg.MaxBatch, Log: log})
	defer l.Close()

	start := time.Now()
	run := id.New("run")
	log.Info("bench ledger: creating accounts", "accounts", cfg.Accounts, "run", run)
	accts, merchant, err := fundAccounts(ctx, l, run, cfg.Accounts)
	if err != nil {
		return res, err
	}
	res.SetupS = round(time.Since(start).Seconds(), 2)
	log.Info("bench ledger: submitting transfers", "duration", cfg.Duration.String(), "concurrency", cfg.Concurrency, "hot", cfg.Hot)

	var (
		seq       atomic.Int64
		succeeded atomic.Int64
		failed    atomic.Int64
		lat       latencies
		firstErr  sync.Once
		wg        sync.WaitGroup
	)
	loadCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	began := time.Now()
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
			mine := make([]time.Duration, 0, 1024)
			defer func() { lat.add(mine) }()
			for loadCtx.Err() == nil {
				from := accts[rnd.IntN(len(accts))]
				to := merchant
				if !cfg.Hot {
					if to = accts[rnd.IntN(len(accts))]; to == from {
						continue
					}
				}
				t0 := time.Now()
				// The submit gets the outer ctx: a transfer in flight when the time is up
				// still completes and is counted.
				_, err := l.Submit(ctx, ledger.Transfer{Key: fmt.Sprintf("%s-%d", run, seq.Add(1)), Code: "bench",
					Postings: []ledger.Posting{{Debit: from, Credit: to, Amount: benchTransfer, Currency: "IDR"}}})
				mine = append(mine, time.Since(t0))
				if err != nil {
					failed.Add(1)
					firstErr.Do(func() { log.Warn("bench ledger: transfer failed", "err", err) })
					if ctx.Err() != nil {
						return
					}
					continue
				}
				succeeded.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	if err := ctx.Err(); err != nil {
		return res, err
	}

	res.DurationS = round(elapsed.Seconds(), 3)
	res.Succeeded, res.Failed = succeeded.Load(), failed.Load()
	res.TransfersPerS = round(float64(res.Succeeded)/elapsed.Seconds(), 1)
	res.P50Ms, res.P99Ms, res.MaxMs = lat.percentiles()
	log.Info("bench ledger: verifying the ledger")
	res.Verify, err = verify(ctx, l)
	return res, err
}

// fundAccounts creates n wallets and a merchant for run and credits each wallet from the
// funding clearing account. Accounts are created from several goroutines (each creation is
// its own small commit); funding goes through the ledger in transfers of fundPerBatch postings.
func fundAccounts(ctx context.Context, l *ledger.Ledger, run string, n int) ([]string, string, error) {
	funding, err := l.System(ctx, ledger.KindFundingClearing, "IDR")
	if err != nil {
		return nil, "", err
	}
	merchant, err := l.Ensure(ctx, ledger.Spec{Owner: "bench:" + run + ":merchant", Kind: ledger.KindMerchant, Currency: "IDR", NoOverdraft: true})
	if err != nil {
		return nil, "", err
	}
	accts := make([]string, n)
	err = parallel(ctx, n, 16, func(ctx context.Context, i int) error {
		a, err := l.Ensure(ctx, ledger.Spec{Owner: fmt.Sprintf("bench:%s:%d", run, i), Kind: ledger.KindWallet, Currency: "IDR", NoOverdraft: true})
		accts[i] = a
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("create bench accounts: %w", err)
	}
	for start := 0; start < n; start += fundPerBatch {
		var ps []ledger.Posting
		for _, a := range accts[start:min(start+fundPerBatch, n)] {
			ps = append(ps, ledger.Posting{Debit: funding, Credit: a, Amount: benchFunding, Currency: "IDR"})
		}
		if _, err := l.Submit(ctx, ledger.Transfer{Key: fmt.Sprintf("%s-fund-%d", run, start), Code: "bench_funding", Postings: ps}); err != nil {
			return nil, "", fmt.Errorf("fund bench accounts: %w", err)
		}
	}
	return accts, merchant, nil
}
