// Package app assembles Dompet from its configuration: the store, the ledger and the domain
// services, wired to each other, plus the background loops they need. The server command,
// the demo loader, benchmarks and end-to-end tests all build the product this one way.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/bus"
	"github.com/dompet/dompet/internal/checkout"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/helpcenter"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/inbox"
	"github.com/dompet/dompet/internal/ledger"
	"github.com/dompet/dompet/internal/mailbox"
	"github.com/dompet/dompet/internal/merchant"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/outbox"
	"github.com/dompet/dompet/internal/schema"
	"github.com/dompet/dompet/internal/secret"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/support"
	"github.com/dompet/dompet/internal/wallet"
)

// App is a running Dompet without its HTTP listener.
type App struct {
	Config    config.Config
	DB        *db.DB
	Ledger    *ledger.Ledger
	Identity  *identity.Service
	Staff     *staff.Service // staff accounts, teams, staff logins; shares Identity's credentials
	Audit     *audit.Log
	Merchants *merchant.Service
	// Outbox delivers the messages written with state changes: merchant webhooks (topic
	// merchant.Topic), durable SMS and email (notify.Topic) and receipts (inbox.Topic). Its dispatcher runs with
	// Options.Background.
	Outbox *outbox.Outbox
	Wallet *wallet.Wallet
	// Checkout is the online payment of merchants' sites (checkout pages and their API).
	Checkout *checkout.Service
	// Inbox holds the users' notifications (receipts) and their channel settings.
	Inbox   *inbox.Service
	Sandbox *wallet.Sandbox
	Log     *slog.Logger
	// Registry holds the process's metrics; the HTTP API serves it at /metrics.
	Registry *prometheus.Registry
	// Notify sends SMS and email (queued: Send returns at once; see package notify).
	Notify notify.Sender
	// Recorder keeps the last messages sent, for the demo page; nil unless cfg.Demo.
	Recorder *notify.Recorder
	// Secrets seals secrets at rest (TOTP secrets) under the server key.
	Secrets *secret.Box
	// Bus carries real-time events: in process, or through NATS between the processes
	// sharing DOMPET_NATS_URL.
	Bus bus.Bus
	// Support is the desk: conversations, routing and queue, customer context.
	Support *support.Service
	// Help is the help center: the shipped articles (loaded into the store by New), search,
	// votes, staff editing.
	Help *helpcenter.Service
	// Mailbox is the support desk's email channel (nil without DOMPET_SUPPORT_EMAIL); its
	// outgoing mail goes through the outbox (topic mailbox.Topic), its listener runs with
	// ServeSMTP. With DOMPET_IMAP_URL, its IMAP poller runs among the background loops.
	Mailbox *mailbox.Mailbox

	imap         *mailbox.Poller // nil without DOMPET_IMAP_URL
	notifyQueue  *notify.Queue
	outboxSender notify.Sender // the providers, without the queue: the outbox learns each outcome

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	mu        sync.Mutex
	smtpStops []context.CancelFunc
	nats      *bus.NATS // a.Bus when DOMPET_NATS_URL is set; closed with the App
	ownDB     bool
}

// Options adjust how the App is built; the zero value is production.
type Options struct {
	// DB is an already opened and migrated store; nil opens cfg.DB and migrates it.
	DB *db.DB
	// Identity options (tests pass cheap password hashing).
	Identity identity.Options
	// Staff options (the Sealer of TOTP secrets; the clock in tests).
	Staff staff.Options
	// Background starts the settlement loop, the outbox dispatcher and its retention, and the
	// help center's view counter (the server wants them; one-shot commands do not: what they
	// write to the outbox waits for the next server).
	Background bool
	// Notify delivers SMS and email instead of the providers of cfg (still queued, and
	// recorded in demo mode); nil: the SMS webhook and the SMTP relay, or the log.
	Notify notify.Sender
	// Secrets is the box sealing secrets at rest. nil: the server key of cfg
	// (DOMPET_SECRET_KEY, or the key file in the data directory) when New opens the store;
	// with a store of the caller's (tests, benchmarks), a key for this App's lifetime only.
	Secrets *secret.Box
	// WalletHooks let tests order racing money requests (nil: none).
	WalletHooks *wallet.Hooks
	// CheckoutNow is the clock of checkouts' expiry (tests move it); nil: Identity's clock.
	CheckoutNow func() time.Time
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
	if err := a.openSecrets(ctx, cfg, o); err != nil {
		a.close()
		return nil, err
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
	a.Outbox = outbox.New(a.DB, outbox.Options{Log: log})
	a.Outbox.Handle(notify.Topic, notify.Handler(a.outboxSender), notify.OutboxRetry())
	io := o.Identity
	if io.Log == nil {
		io.Log = log
	}
	if io.Notify == nil {
		io.Notify = a.Notify
	}
	if io.Outbox == nil {
		io.Outbox = a.Outbox
	}
	accessSettings(&io, cfg)
	io.Secrets = a.Secrets
	a.Identity = identity.New(a.DB, io)
	so := o.Staff
	if so.Log == nil {
		so.Log = log
	}
	if so.Now == nil {
		so.Now = io.Now
	}
	if so.Sealer == nil {
		so.Sealer = a.Secrets
	}
	a.Staff = staff.New(a.DB, a.Identity, so)
	a.Audit = audit.New(a.DB, io.Now)
	a.Merchants = merchant.New(a.DB, merchant.Options{Logger: log, Outbox: a.Outbox, AllowPrivateTargets: cfg.WebhookAllowPrivate,
		Test: cfg.Sandbox || cfg.Demo})
	if !cfg.Sandbox {
		a.close()
		return nil, errors.New("no real bank or card provider is configured: run with DOMPET_SANDBOX=true")
	}
	a.Sandbox = &wallet.Sandbox{}
	a.Inbox = inbox.New(a.DB, inbox.Options{Contacts: Contacts{a.Identity}, Outbox: a.Outbox, Now: io.Now, Log: log})
	a.Outbox.Handle(inbox.Topic, a.Inbox.Handler(a.outboxSender), inbox.OutboxRetry())
	a.Wallet, err = wallet.New(wallet.Options{
		DB: a.DB, Ledger: a.Ledger, Users: Users{a.Identity}, Merchants: Merchants{a.Merchants}, Receipts: a.Inbox,
		Currencies: cfg.Currencies, Fees: fees, Limits: limits, Rates: rates,
		Funding: a.Sandbox, Bank: a.Sandbox, SettleAfter: cfg.SandboxSettleAfter, Log: log,
		CheckPIN: a.Identity.CheckPIN, Hooks: o.WalletHooks, LookupLimit: lookupLimit(cfg),
	})
	if err != nil {
		a.close()
		return nil, err
	}
	checkoutNow := o.CheckoutNow
	if checkoutNow == nil {
		checkoutNow = io.Now
	}
	a.Checkout = checkout.New(checkout.Options{DB: a.DB, Wallet: a.Wallet, Merchants: a.Merchants,
		PublicURL: cfg.PublicURL, Sandbox: cfg.Sandbox, Now: checkoutNow})
	if n, err := a.Wallet.ConvertAttachments(ctx); err != nil {
		a.close()
		return nil, err
	} else if n > 0 {
		log.Info("attachments stored as base64 moved to the binary column", "count", n)
	}
	if err := a.openBus(cfg, log); err != nil {
		a.close()
		return nil, err
	}
	a.Outbox.Handle(mailbox.Topic, mailbox.Handler(a.outboxSender), mailbox.OutboxRetry())
	a.Help = helpcenter.New(a.DB, helpcenter.Options{Now: io.Now, Log: log})
	if err := a.Help.Load(ctx); err != nil {
		a.close()
		return nil, err
	}
	deskOpts := support.Options{Articles: Articles{a.Help}, Staff: a.Staff, Accounts: a.Identity, Money: a.Wallet, Bus: a.Bus,
		Audit: a.Audit, Now: io.Now, Log: log, Customers: a.Identity, Wake: a.Outbox.Notify}
	if cfg.SupportEmail != "" {
		deskOpts.Email = emailSender(composer(cfg))
	}
	a.Support = support.New(a.DB, deskOpts)
	a.Outbox.Handle(support.SLATopic, a.Support.SLAHandler(), support.SLAOutboxRetry())
	if a.Mailbox, err = a.newMailbox(cfg); err != nil {
		a.close()
		return nil, err
	}
	if a.imap, err = a.newPoller(cfg); err != nil {
		a.close()
		return nil, err
	}
	if o.Background {
		bctx, cancel := context.WithCancel(context.Background())
		a.cancel = cancel
		a.wg.Add(4)
		go func() { defer a.wg.Done(); a.Wallet.RunSettler(bctx) }()
		go func() { defer a.wg.Done(); a.Outbox.Run(bctx) }()    // returns once its handlers are done
		go func() { defer a.wg.Done(); a.Help.RunViews(bctx) }() // stores the counted views at the end too
		go func() { defer a.wg.Done(); a.Outbox.RunRetention(bctx, cfg.OutboxRetention) }()
		if a.imap != nil {
			a.wg.Go(func() { a.imap.Run(bctx) })
		}
	}
	return a, nil
}

// Close stops the background loops (the outbox dispatcher finishes the deliveries in flight),
// lets the one-time codes still on their way reach the notification queue and the queue
// deliver them, stops the ledger, and closes the store if New opened it. Call it after the
// HTTP server has stopped.
func (a *App) Close() error {
	a.mu.Lock()
	for _, stop := range a.smtpStops {
		stop()
	}
	a.mu.Unlock()
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	if a.Identity != nil {
		ctx, cancel := context.WithTimeout(context.Background(), notifyDrain)
		defer cancel()
		if err := a.Identity.Drain(ctx); err != nil {
			a.Log.Warn("shutdown", "err", err)
		}
	}
	return a.close()
}

func (a *App) close() error {
	a.stopNotify()
	if a.nats != nil {
		if err := a.nats.Close(); err != nil {
			a.Log.Warn("shutdown", "err", err)
		}
	}
	if a.Ledger != nil {
		a.Ledger.Close()
	}
	if a.ownDB && a.DB != nil {
		return a.DB.Close()
	}
	return nil
}

// openBus sets a.Bus: NATS when cfg names a server (which must answer now), else in process.
func (a *App) openBus(cfg config.Config, log *slog.Logger) error {
	if cfg.NATSURL == "" {
		a.Bus = bus.NewLocal()
		return nil
	}
	host, _ := os.Hostname()
	n, err := bus.ConnectNATS(cfg.NATSURL, fmt.Sprintf("dompet %s:%d", host, os.Getpid()), log)
	if err != nil {
		return err
	}
	a.Bus, a.nats = n, n
	return nil
}

// SecretColumns are the sealed columns of every package, walked on start (to seal values
// stored before sealing existed) and by `dompet secrets rotate`. A package that seals a
// column adds its list here.
func SecretColumns() []secret.Column {
	return append(identity.SecretColumns(), staff.SecretColumns()...)
}

// openSecrets sets a.Secrets (see Options.Secrets) and seals the plain values left in the
// sealed columns by a version before sealing.
func (a *App) openSecrets(ctx context.Context, cfg config.Config, o Options) error {
	switch {
	case o.Secrets != nil:
		a.Secrets = o.Secrets
	case !a.ownDB:
		a.Secrets = secret.Ephemeral()
	default:
		b, err := secret.Load(cfg.DataDir, cfg.SecretKey)
		if err != nil {
			return err
		}
		a.Secrets = b
	}
	n, err := secret.SealPlain(ctx, a.DB, a.Secrets, SecretColumns())
	if err != nil {
		return err
	}
	if n > 0 {
		a.Log.Info("sealed secrets stored in clear by an earlier version", "count", n)
	}
	return nil
}

// accessSettings fills the lockout, password-age and rate-limit settings of io the caller
// left unset from the configuration (a password age of 0 there means never).
func accessSettings(io *identity.Options, cfg config.Config) {
	if io.DefaultCountry == "" {
		io.DefaultCountry = cfg.DefaultCountry
	}
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
	rl := &io.RateLimits
	for _, b := range []struct {
		dst *identity.RateLimit
		src config.Rate
	}{
		{&rl.RegisterPerIP, cfg.RateRegisterPerIP},
		{&rl.LoginPerIP, cfg.RateLoginPerIP},
		{&rl.LoginPerLogin, cfg.RateLoginPerAccount},
		{&rl.RequestPerIP, cfg.RateRecoveryPerIP},
		{&rl.VerifyPerIP, cfg.RateVerifyPerIP},
	} {
		if *b.dst == (identity.RateLimit{}) && b.src.N > 0 {
			*b.dst = identity.RateLimit{Every: b.src.Every(), Burst: b.src.N}
		}
	}
}

// lookupLimit is the recipient-lookup budget of cfg, per user and per client address.
func lookupLimit(cfg config.Config) func(userID, ip string) error {
	budget := func(r config.Rate) identity.RateLimit {
		if r.N <= 0 {
			return identity.RateLimit{}
		}
		return identity.RateLimit{Every: r.Every(), Burst: r.N}
	}
	return identity.NewThrottle(budget(cfg.RateLookupPerUser), budget(cfg.RateLookupPerIP)).Take
}

// Party is the wallet's view of a user.
func Party(u identity.User) wallet.Party {
	return wallet.Party{ID: u.ID, Name: u.DisplayName, Tier: string(u.Tier), Status: string(u.Status), Locale: u.Locale, PhoneVerified: u.PhoneVerified}
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
