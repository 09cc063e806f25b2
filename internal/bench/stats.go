// Package bench holds Dompet's built-in load generators (`dompet bench ledger` and `dompet
// bench http`): they build a store of their own, fill it with funded accounts or users, drive
// transfers or payments from many goroutines for a fixed time, and report throughput and
// latency percentiles, then check the ledger. The figures in docs/benchmarks.md come from here.
package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dompet/dompet/internal/ledger"
)

// latencies collects request durations from many goroutines; each worker appends to its own
// slice so that recording costs no lock.
type latencies struct {
	mu  sync.Mutex
	all [][]time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d)
	l.mu.Unlock()
}

// percentiles returns the p50, the p99 and the maximum of what was recorded, in milliseconds.
func (l *latencies) percentiles() (p50, p99, maxMs float64) {
	var n int
	for _, d := range l.all {
		n += len(d)
	}
	if n == 0 {
		return 0, 0, 0
	}
	merged := make([]time.Duration, 0, n)
	for _, d := range l.all {
		merged = append(merged, d...)
	}
	slices.Sort(merged)
	return ms(quantile(merged, 0.50)), ms(quantile(merged, 0.99)), ms(merged[len(merged)-1])
}

// quantile is the nearest-rank quantile of sorted values.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(v float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	if v < 0 {
		return float64(int64(v*p-0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}

// Check is the ledger verification that ends every benchmark.
type Check struct {
	OK        bool     `json:"ok"`
	Accounts  int      `json:"accounts"`
	Transfers int      `json:"transfers"`
	Postings  int      `json:"postings"`
	Problems  []string `json:"problems"`
}

// verify runs ledger.Verify and fails when the ledger is inconsistent.
func verify(ctx context.Context, l *ledger.Ledger) (Check, error) {
	rep, err := l.Verify(ctx)
	if err != nil {
		return Check{}, fmt.Errorf("verify the ledger: %w", err)
	}
	c := Check{OK: rep.OK(), Accounts: rep.Accounts, Transfers: rep.Transfers, Postings: rep.Postings, Problems: rep.Problems}
	if c.Problems == nil {
		c.Problems = []string{}
	}
	if !c.OK {
		return c, fmt.Errorf("ledger verify found %d problems, first: %s", len(c.Problems), c.Problems[0])
	}
	return c, nil
}

// parallel runs fn(i) for i in [0, n) on at most width goroutines and returns the first error.
func parallel(ctx context.Context, n, width int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(width, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}
