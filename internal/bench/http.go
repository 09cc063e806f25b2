package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/httpapi"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/wallet"
)

// HTTPConfig sets up an HTTP benchmark.
type HTTPConfig struct {
	Config      config.Config // settings of the App under test (its DB field is not used)
	Store       *db.DB        // migrated; the benchmark adds users, merchants and payments to it
	Users       int
	Merchants   int  // merchants paid at random; Hot uses one
	Hot         bool // every payment goes to one merchant
	Duration    time.Duration
	Concurrency int          // HTTP clients, each on its own keep-alive connection
	Log         *slog.Logger // progress and the App's own logs
	APILog      *slog.Logger // the HTTP server's access log; nil discards it
}

// HTTPResult is what `dompet bench http` prints.
type HTTPResult struct {
	Store        string         `json:"store"`
	Users        int            `json:"users"`
	Merchants    int            `json:"merchants"`
	Hot          bool           `json:"hot"`
	Concurrency  int            `json:"concurrency"`
	DurationS    float64        `json:"duration_s"`
	Requests     int64          `json:"requests"`
	PaymentsPerS float64        `json:"payments_per_s"` // 201 answers per second
	P50Ms        float64        `json:"p50_ms"`
	P99Ms        float64        `json:"p99_ms"`
	MaxMs        float64        `json:"max_ms"`
	StatusCounts map[string]int `json:"status_counts"` // "error" counts transport failures
	SetupS       float64        `json:"setup_s"`
	Note         string         `json:"note"`
	Verify       Check          `json:"verify"`
}

// cheapArgon2 hashes the benchmark users' passwords: the production cost (64 MiB, ~190 ms
// per hash) would make registering a thousand users the slowest part of the run, and login
// is not what is measured.
var cheapArgon2 = identity.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

const (
	httpPassword = "Bench-pass-2026!"
	httpPIN      = "502817"     // every bench user's payment PIN: each payment checks it, as in production
	httpTopUp    = 1_000_000_00 // IDR 1,000,000.00 per user, within the basic tier's ceiling
	httpPayment  = 10_00        // IDR 10.00 per payment
)

// HTTP runs the HTTP benchmark: it starts the whole API on a loopback port over cfg.Store,
// registers, logs in and tops up cfg.Users users through the domain services, creates the
// merchants, then sends POST /api/v1/payments from cfg.Concurrency keep-alive clients for
// cfg.Duration, each request with its own Idempotency-Key, and finally verifies the ledger.
func HTTP(ctx context.Context, cfg HTTPConfig) (HTTPResult, error) {
	if cfg.Store == nil || cfg.Users < 1 || cfg.Concurrency < 1 || cfg.Duration <= 0 {
		return HTTPResult{}, errors.New("bench http: needs a store, at least 1 user, concurrency ≥ 1 and a duration")
	}
	if cfg.Hot || cfg.Merchants < 1 {
		cfg.Merchants = 1
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	apiLog := cfg.APILog
	if apiLog == nil {
		apiLog = slog.New(slog.DiscardHandler)
	}
	res := HTTPResult{Store: cfg.Store.Dialect.String(), Users: cfg.Users, Merchants: cfg.Merchants, Hot: cfg.Hot,
		Concurrency: cfg.Concurrency, StatusCounts: map[string]int{},
		Note: fmt.Sprintf("setup hashes the bench users' passwords with cheap argon2id (t=%d, %d KiB) instead of the production cost; payments are what is timed",
			cheapArgon2.Time, cheapArgon2.MemoryKiB)}

	a, err := app.New(ctx, cfg.Config, log, app.Options{DB: cfg.Store, Identity: identity.Options{Argon2: cheapArgon2}})
	if err != nil {
		return res, err
	}
	defer a.Close()
	api, err := httpapi.New(httpapi.Options{Config: cfg.Config, DB: a.DB, Log: apiLog, Version: "bench",
		Identity: a.Identity, Staff: a.Staff, Audit: a.Audit, Merchants: a.Merchants, Wallet: a.Wallet, Checkout: a.Checkout, Support: a.Support, Inbox: a.Inbox, Help: a.Help})
	if err != nil {
		return res, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, fmt.Errorf("listen: %w", err)
	}
	srv := front.NewServer(api, apiLog) // as `dompet serve` builds it
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	base := "http://" + ln.Addr().String()

	start := time.Now()
	run := id.New("run")
	log.Info("bench http: creating users and merchants", "users", cfg.Users, "merchants", cfg.Merchants, "addr", ln.Addr().String())
	tokens, err := setupUsers(ctx, a, run, cfg.Users)
	if err != nil {
		return res, err
	}
	merchants := make([]string, cfg.Merchants)
	for i := range merchants {
		m, err := a.Merchants.Create(ctx, fmt.Sprintf("Bench Merchant %d", i), "")
		if err != nil {
			return res, err
		}
		merchants[i] = m.ID
	}
	res.SetupS = round(time.Since(start).Seconds(), 2)
	log.Info("bench http: sending payments", "duration", cfg.Duration.String(), "concurrency", cfg.Concurrency, "hot", cfg.Hot)

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: cfg.Concurrency, MaxIdleConnsPerHost: cfg.Concurrency, IdleConnTimeout: time.Minute}}
	defer client.CloseIdleConnections()
	var (
		seq    atomic.Int64
		lat    latencies
		mu     sync.Mutex
		counts = map[string]int{}
		wg     sync.WaitGroup
		logged sync.Once
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
			local := map[string]int{}
			defer func() {
				lat.add(mine)
				mu.Lock()
				for k, v := range local {
					counts[k] += v
				}
				mu.Unlock()
			}()
			var body []byte
			for loadCtx.Err() == nil {
				n := seq.Add(1)
				body = body[:0]
				body = append(body, `{"merchant_id":"`...)
				body = append(body, merchants[rnd.IntN(len(merchants))]...)
				body = append(body, `","amount":`...)
				body = strconv.AppendInt(body, httpPayment, 10)
				body = append(body, `,"currency":"IDR","order_ref":"bench-`...)
				body = strconv.AppendInt(body, n, 10)
				body = append(body, `","pin":"`+httpPIN+`"}`...)
				// The request is not bound to loadCtx: one in flight when the time is up
				// completes and is counted, as the ledger benchmark does.
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/payments", bytes.NewReader(body))
				if err != nil {
					return
				}
				req.Header.Set("Authorization", "Bearer "+tokens[rnd.IntN(len(tokens))])
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", run+"-"+strconv.FormatInt(n, 10))
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					mine = append(mine, time.Since(t0))
					local["error"]++
					logged.Do(func() { log.Warn("bench http: request failed", "err", err) })
					if ctx.Err() != nil {
						return
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				local[strconv.Itoa(resp.StatusCode)]++
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	if err := ctx.Err(); err != nil {
		return res, err
	}

	res.DurationS = round(elapsed.Seconds(), 3)
	res.StatusCounts = counts
	for _, v := range counts {
		res.Requests += int64(v)
	}
	res.PaymentsPerS = round(float64(counts["201"])/elapsed.Seconds(), 1)
	res.P50Ms, res.P99Ms, res.MaxMs = lat.percentiles()
	log.Info("bench http: verifying the ledger")
	res.Verify, err = verify(ctx, a.Ledger)
	return res, err
}

// setupUsers registers n users, logs each in once and tops each up; it returns their tokens.
func setupUsers(ctx context.Context, a *app.App, run string, n int) ([]string, error) {
	tokens := make([]string, n)
	// Phone numbers must be unique across runs on one store: the run id's random tail picks
	// a block of numbers, and n is far below the block's size.
	block := rand.Int64N(90_000) + 10_000
	err := parallel(ctx, n, 8, func(ctx context.Context, i int) error {
		email := fmt.Sprintf("%s-%d@bench.localhost", run, i)
		u, err := a.Identity.Register(ctx, identity.RegisterInput{
			Phone: fmt.Sprintf("+62%05d%05d", block, i%100_000), Email: email, Password: httpPassword,
			DisplayName: fmt.Sprintf("Bench User %d", i)})
		if err != nil {
			return fmt.Errorf("register bench user %d: %w", i, err)
		}
		// Ready to pay as a real user is: phone verified, PIN set.
		if err := a.Identity.MarkVerified(ctx, u.ID); err != nil {
			return fmt.Errorf("verify bench user %d: %w", i, err)
		}
		if err := a.Identity.SetPIN(ctx, identity.SetPINInput{UserID: u.ID, PIN: httpPIN, Password: httpPassword}); err != nil {
			return fmt.Errorf("set pin of bench user %d: %w", i, err)
		}
		s, _, err := a.Identity.Login(ctx, identity.LoginInput{Login: email, Password: httpPassword, DeviceID: "bench"})
		if err != nil {
			return fmt.Errorf("log in bench user %d: %w", i, err)
		}
		tokens[i] = s.Token
		_, err = a.Wallet.TopUp(ctx, wallet.Call{User: app.Party(u), Key: run + "-topup"},
			wallet.TopUpInput{Amount: httpTopUp, Currency: "IDR", Source: wallet.Source{Type: "bank_transfer", Reference: "bench"}})
		if err != nil {
			return fmt.Errorf("top up bench user %d: %w", i, err)
		}
		return nil
	})
	return tokens, err
}
