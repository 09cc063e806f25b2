// Package app assembles Dompet from its configuration: the store, the ledger and the domain
// services, wired to each other, plus the background loops they need. The server command,
// the demo loader, benchmarks and end-to-end tests all build the product this one way.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/ledger"
	"github.com/dompet/dompet/internal/merchant"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/schema"
	"github.com/dompet/dompet/internal/wallet"
)

// App is a running Dompet without its HTTP listener.
type App struct {
	Config    config.Config
	DB        *db.DB
	Ledger    *ledger.Ledger
	Identity  *identity.Service
	Merchants *merchant.Service
	Wallet    *wallet.Wallet
	Sandbox   *wallet.Sandbox
	Log       *slog.Logger
	// Registry holds the process's metrics; the HTTP API serves it at /metrics.
	Registry *prometheus.Registry
	// Notify sends SMS and email (queued: Send returns at once; see package notify).
	Notify notify.Sender
	// Recorder keeps the last messages sent, for the demo page; nil unless cfg.Demo.
	Recorder *notify.Recorder

	notifyQueue *notify.Queue

	cancel context.CancelFunc
	wg     sync.WaitGroup
	ownDB  bool
}

// Options adjust how the App is built; the zero value is production.
type Options struct {
	// DB is an already opened and migrated store; nil opens cfg.DB and migrates it.
	DB *db.DB
	// Identity options (tests pass cheap password hashing).
	Identity identity.Options
	// Background starts the settlement and webhook loops (the server wants them; one-shot
	// commands do not).
	Background bool
	// Notify delivers SMS and email instead of the providers of cfg (still queued, and
	// recorded in demo mode); nil: the SMS webhook and the SMTP relay, or the log.
	Notify notify.Sender
	// WalletHooks let tests order racing money requests (nil: none).
	WalletHooks *wallet.Hooks
}

// New builds the App.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, o Options) (*App, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &App{Config: cfg, DB: o.DB, Log: log}
	if a.DB == nil {
		d, err := db.Open(ctx, cfg.DB)
		if err != nil {
			return nil, err
		}
		if err := d.Migrate(ctx, schema.FS, log); err != nil {
			d.Close()
			return nil, err
		}
		a.DB, a.ownDB = d, true
	}
	fees, err := wallet.LoadFees(cfg.FeesFile)
	if err != nil {
		a.close()
		return nil, err
	}
	rates := wallet.DefaultRates()
	limits, err := wallet.LoadLimits(cfg.LimitsFile, rates, cfg.Currencies)
	if err != nil {
		a.close()
		return nil, err
	}
	a.Ledger = ledger.New(a.DB, ledger.Options{Log: log})
	a.Registry = prometheus.NewRegistry()
	if err := ledgerMetrics(a.Registry, a.Ledger); err != nil {
		a.close()
		return nil, err
	}
	if err := a.startNotify(cfg, log, o.Notify); err != nil {
		a.close()
		return nil, err
	}
	io := o.Identity
	if io.Log == nil {
		io.Log = log
	}
	if io.Notify == nil {
		io.Notify = a.Notify
	}
	accessSettings(&io, cfg)
	a.Identity = identity.New(a.DB, io)
	a.Merchants = merchant.New(a.DB, merchant.Options{Logger: log})
	if !cfg.Sandbox {
		a.close()
		return nil, errors.New("no real bank or card provider is configured: run with DOMPET_SANDBOX=true")
	}
	a.Sandbox = &wallet.Sandbox{}
	a.Wallet, err = wallet.New(wallet.Options{
		DB: a.DB, Ledger: a.Ledger, Users: Users{a.Identity}, Merchants: Merchants{a.Merchants},
		Currencies: cfg.Currencies, Fees: fees, Limits: limits, Rates: rates,
		Funding: a.Sandbox, Bank: a.Sandbox, SettleAfter: cfg.SandboxSettleAfter, Log: log,
		CheckPIN: a.Identity.CheckPIN, Hooks: o.WalletHooks,
	})
	if err != nil {
		a.close()
		return nil, err
	}
	if o.Background {
		bctx, cancel := context.WithCancel(context.Background())
		a.cancel = cancel
		a.wg.Add(2)
		go func() { defer a.wg.Done(); a.Wallet.RunSettler(bctx) }()
		go func() { defer a.wg.Done(); a.Merchants.RunDispatcher(bctx) }()
	}
	return a, nil
}

// Close stops the background loops and the ledger, and closes the store if New opened it.
func (a *App) Close() error {
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	return a.close()
}

func (a *App) close() error {
	a.stopNotify()
	if a.Ledger != nil {
		a.Ledger.Close()
	}
	if a.ownDB && a.DB != nil {
		return a.DB.Close()
	}
	return nil
}

// accessSettings fills the lockout and password-age settings of io the caller left unset
// from the configuration (a password age of 0 there means never).
func accessSettings(io *identity.Options, cfg config.Config) {
	if io.LockoutThreshold == 0 {
		io.LockoutThreshold = cfg.LockoutThreshold
	}
	if io.LockoutDuration == 0 {
		io.LockoutDuration = cfg.LockoutDuration
	}
	if io.PasswordMaxAge == 0 {
		io.PasswordMaxAge = cfg.PasswordMaxAge
		if cfg.PasswordMaxAge == 0 {
			io.PasswordMaxAge = -1
		}
	}
}

// Party is the wallet's view of a user.
func Party(u identity.User) wallet.Party {
	return wallet.Party{ID: u.ID, Name: u.DisplayName, Tier: string(u.Tier), Status: string(u.Status), Locale: u.Locale}
}

// Users lets the wallet find P2P recipients through the identity service.
type Users struct{ S *identity.Service }

// Lookup implements wallet.Users.
func (u Users) Lookup(ctx context.Context, login string) (wallet.Party, error) {
	x, err := u.S.UserByLogin(ctx, login)
	if err != nil {
		if errors.Is(err, identity.ErrNotFound) {
			return wallet.Party{}, wallet.ErrNotFound
		}
		return wallet.Party{}, fmt.Errorf("look up %s: %w", login, err)
	}
	return Party(x), nil
}

// Merchants lets the wallet name merchants and queue their webhooks.
type Merchants struct{ S *merchant.Service }

// Name implements wallet.Merchants.
func (m Merchants) Name(ctx context.Context, merchantID string) (string, error) {
	x, err := m.S.Get(ctx, merchantID)
	if err != nil {
		return "", err
	}
	return x.Name, nil
}

// EventRow implements wallet.Merchants.
func (m Merchants) EventRow(ctx context.Context, merchantID, eventType string, data any) (db.Row, bool, error) {
	return m.S.EventRow(ctx, merchantID, eventType, data)
}

// Notify implements wallet.Merchants.
func (m Merchants) Notify() { m.S.Notify() }
