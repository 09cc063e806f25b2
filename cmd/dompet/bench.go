package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/dompet/dompet/internal/bench"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db"
)

var benchCmd = command{
	name:    "bench",
	args:    "ledger|http|chat [flags]",
	summary: "built-in load generators on a temporary store unless --db is given (see docs/benchmarks.md)",
	run:     benchRun,
}

// benchRun picks the load generator. Both print one JSON result and fail when the ledger does
// not verify afterwards.
func benchRun(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || (args[0] != "ledger" && args[0] != "http" && args[0] != "chat") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(c.stderr, "usage: dompet bench ledger|http|chat [flags]   (\"dompet bench ledger -h\" lists the flags)")
			return flag.ErrHelp
		}
		return usageError{errors.New(`bench needs "ledger", "http" or "chat"`)}
	}
	c.name = "bench " + args[0]
	switch args[0] {
	case "ledger":
		return benchLedger(ctx, c, args[1:])
	case "chat":
		return benchChat(ctx, c, args[1:])
	}
	return benchHTTP(ctx, c, args[1:])
}

func benchLedger(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	accounts := fs.Int("accounts", 10_000, "wallet accounts to create and fund")
	hot := fs.Bool("hot", false, "every transfer pays one merchant account")
	duration := fs.Duration("duration", 10*time.Second, "how long to submit transfers")
	concurrency := fs.Int("concurrency", 256, "goroutines submitting transfers")
	maxBatch := fs.Int("max-batch", 0, "transfers per ledger transaction (0: the ledger's default)")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	// The ledger benchmark needs a store and nothing else of the server's settings: its own
	// flags alone, so that -h lists what it takes.
	dsn := fs.String("db", "", "sqlite:PATH or postgres:// URL of the store to run on; empty (the default): a fresh SQLite file in a temporary directory, removed afterwards (DOMPET_DB is never used)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error (logs go to stderr)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg, cleanup, err := c.benchStore(*dsn, *logLevel)
	if err != nil {
		return err
	}
	defer cleanup() // after the store is closed
	switch {
	case *accounts < 2:
		return usageError{errors.New("--accounts must be at least 2")}
	case *concurrency < 1 || *duration <= 0 || *maxBatch < 0:
		return usageError{errors.New("--concurrency and --duration must be positive, --max-batch not negative")}
	}
	store, err := c.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	stop, err := startProfile(*profile)
	if err != nil {
		return err
	}
	defer stop()
	res, err := bench.Ledger(ctx, bench.LedgerConfig{Store: store, Accounts: *accounts, Hot: *hot, Duration: *duration,
		Concurrency: *concurrency, MaxBatch: *maxBatch, Log: c.log})
	if perr := c.printJSON(res); perr != nil && err == nil {
		err = perr
	}
	return err
}

func benchHTTP(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	users := fs.Int("users", 1000, "users to register and top up")
	merchants := fs.Int("merchants", 100, "merchants paid at random (--hot: one)")
	hot := fs.Bool("hot", false, "every payment goes to one merchant")
	duration := fs.Duration("duration", 10*time.Second, "how long to send payments")
	concurrency := fs.Int("concurrency", 64, "HTTP clients, each with a keep-alive connection")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (clients and server) to this file")
	cfg, cleanup, err := c.benchConfig(fs, args)
	if err != nil {
		return err
	}
	defer cleanup() // after the store is closed
	switch {
	case *users < 1 || *users > 100_000:
		return usageError{errors.New("--users must be 1 to 100000")}
	case *merchants < 1 || *concurrency < 1 || *duration <= 0:
		return usageError{errors.New("--merchants, --concurrency and --duration must be positive")}
	}
	return c.runServerBench(ctx, cfg, *profile, func(store *db.DB, apiLog *slog.Logger) (any, error) {
		return bench.HTTP(ctx, bench.HTTPConfig{Config: cfg, Store: store, Users: *users, Merchants: *merchants,
			Hot: *hot, Duration: *duration, Concurrency: *concurrency, Log: c.log, APILog: apiLog})
	})
}

// runServerBench opens the store, profiles the run when asked, runs a benchmark of the whole
// server and prints its result (also when it failed part way). The access log would log
// every refused request; the benchmark keeps its warnings only.
func (c *cli) runServerBench(ctx context.Context, cfg config.Config, profile string, run func(*db.DB, *slog.Logger) (any, error)) error {
	store, err := c.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	stop, err := startProfile(profile)
	if err != nil {
		return err
	}
	defer stop()
	res, err := run(store, newLogger(c.stderr, max(cfg.LogLevel, slog.LevelWarn)))
	if perr := c.printJSON(res); perr != nil && err == nil {
		err = perr
	}
	return err
}

func benchChat(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	conns := fs.Int("connections", 2000, "customer WebSocket streams, one conversation each (both ends are in this process: 2 open files each)")
	rate := fs.Int("rate", 1000, "messages per second, sent round-robin over the streams")
	duration := fs.Duration("duration", 10*time.Second, "how long to send messages")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (clients and server) to this file")
	cfg, cleanup, err := c.benchConfig(fs, args)
	if err != nil {
		return err
	}
	defer cleanup() // after the store is closed
	if *conns < 1 || *conns > 100_000 || *rate < 1 || *duration <= 0 {
		return usageError{errors.New("--connections must be 1 to 100000, --rate and --duration positive")}
	}
	return c.runServerBench(ctx, cfg, *profile, func(store *db.DB, apiLog *slog.Logger) (any, error) {
		return bench.Chat(ctx, bench.ChatConfig{Config: cfg, Store: store, Connections: *conns, Rate: *rate,
			Duration: *duration, Log: c.log, APILog: apiLog})
	})
}

// benchConfig parses the flags. Unless --db is on the command line, the store is a fresh
// SQLite file in a temporary directory that cleanup removes, so that a benchmark never
// writes into the database DOMPET_DB points at unless asked to.
func (c *cli) benchConfig(fs *flag.FlagSet, args []string) (config.Config, func(), error) {
	nothing := func() {}
	cfg, err := c.config(fs, args)
	if err != nil {
		return cfg, nothing, err
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "db" })
	cleanup := nothing
	if !explicit {
		dir, err := os.MkdirTemp("", "dompet-bench-")
		if err != nil {
			return cfg, nothing, err
		}
		cfg.DB = "sqlite:" + filepath.Join(dir, "bench.db")
		cleanup = func() { _ = os.RemoveAll(dir) }
	}
	c.log.Info("bench store", "db", redactDSN(cfg.DB), "temporary", !explicit)
	return cfg, cleanup, nil
}

// benchStore is the configuration of a benchmark that takes only a store and a log level:
// the defaults, dsn (or a fresh SQLite file in a temporary directory that cleanup removes)
// and the level, checked as the server checks them.
func (c *cli) benchStore(dsn, logLevel string) (config.Config, func(), error) {
	nothing := func() {}
	args := []string{"--log-level", logLevel}
	if dsn != "" {
		args = append(args, "--db", dsn)
	}
	cfg, _, err := config.Parse("dompet "+c.name, args, func(string) (string, bool) { return "", false })
	if err != nil {
		return cfg, nothing, usageError{err}
	}
	c.log = newLogger(c.stderr, cfg.LogLevel)
	cleanup := nothing
	if dsn == "" {
		dir, err := os.MkdirTemp("", "dompet-bench-")
		if err != nil {
			return cfg, nothing, err
		}
		cfg.DB = "sqlite:" + filepath.Join(dir, "bench.db")
		cleanup = func() { _ = os.RemoveAll(dir) }
	}
	c.log.Info("bench store", "db", redactDSN(cfg.DB), "temporary", dsn == "")
	return cfg, cleanup, nil
}

// startProfile starts a CPU profile into path ("" = none); stop ends it.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// redactDSN hides a password in a postgres:// URL before it is logged.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}
