package bench

import (
	"context"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
)

func TestPercentiles(t *testing.T) {
	var l latencies
	if p50, p99, max := l.percentiles(); p50 != 0 || p99 != 0 || max != 0 {
		t.Fatalf("empty: %v %v %v", p50, p99, max)
	}
	// 1..100 ms spread over two workers in no order.
	var a, b []time.Duration
	for i := 100; i >= 1; i-- {
		if i%2 == 0 {
			a = append(a, time.Duration(i)*time.Millisecond)
		} else {
			b = append(b, time.Duration(i)*time.Millisecond)
		}
	}
	l.add(a)
	l.add(b)
	if p50, p99, max := l.percentiles(); p50 != 50 || p99 != 99 || max != 100 {
		t.Fatalf("p50 %v p99 %v max %v, want 50 99 100", p50, p99, max)
	}
}

func TestParallelStopsOnError(t *testing.T) {
	var ran [100]bool
	err := parallel(context.Background(), 100, 4, func(ctx context.Context, i int) error {
		ran[i] = true
		if i == 3 {
			return context.DeadlineExceeded
		}
		return nil
	})
	if err != context.DeadlineExceeded {
		t.Fatalf("err %v", err)
	}
	n := 0
	for _, r := range ran {
		if r {
			n++
		}
	}
	if n == 100 {
		t.Fatal("kept going after an error")
	}
	if err := parallel(context.Background(), 50, 3, func(ctx context.Context, i int) error { ran[i] = false; return nil }); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if ran[i] {
			t.Fatalf("item %d not run", i)
		}
	}
}

func TestLedgerTwiceOnOneStore(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	for _, hot := range []bool{false, true} {
		res, err := Ledger(ctx, LedgerConfig{Store: d, Accounts: 10, Hot: hot, Duration: 300 * time.Millisecond, Concurrency: 4})
		if err != nil {
			t.Fatal(err)
		}
		if res.Succeeded == 0 || res.Failed != 0 || !res.Verify.OK || res.P99Ms < res.P50Ms {
			t.Fatalf("hot=%v: %+v", hot, res)
		}
	}
}

func TestHTTP(t *testing.T) {
	cfg := config.Default()
	res, err := HTTP(context.Background(), HTTPConfig{Config: cfg, Store: dbtest.Open(t), Users: 3, Merchants: 2,
		Duration: 300 * time.Millisecond, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCounts["201"] == 0 || int64(res.StatusCounts["201"]) != res.Requests || !res.Verify.OK {
		t.Fatalf("%+v", res)
	}
	// Every accepted payment is one ledger transfer beside the three top-ups.
	if res.Verify.Transfers != res.StatusCounts["201"]+3 {
		t.Fatalf("transfers %d, payments %d", res.Verify.Transfers, res.StatusCounts["201"])
	}
}
