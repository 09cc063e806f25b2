// Package config reads Dompet's settings once, at start, from command-line flags and DOMPET_*
// environment variables (a flag wins over the environment, the environment over the default),
// validates them, and hands the result around as a typed Config value. Nothing reads settings
// from a global: whoever needs one gets it passed in.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/dompet/dompet/internal/money"
	"github.com/dompet/dompet/internal/secret"
)

// Config is every setting of a Dompet process, parsed and validated.
type Config struct {
	Addr                string        // HTTP listen address (host:port)
	DB                  string        // "sqlite:PATH" or a postgres:// URL
	SMTPListen          string        // inbound SMTP address; "" disables the listener
	SupportEmail        string        // the address customers write to
	SupportPhone        string        // the phone number the contact page shows
	SMTPRelay           string        // smtp:// or smtps:// relay for outbound mail; "" logs only
	SMTPMaxMessageMB    int           // largest inbound mail in MiB (announced by SIZE)
	SMTPMaxSessions     int           // inbound SMTP sessions at once; more are told 421
	SMTPTimeout         time.Duration // per inbound SMTP read or write
	SupportAckRate      Rate          // acknowledgements of new support mail per sender
	IMAPURL             string        // imap(s)://user:pass@host/mailbox polled for support mail; "" disables
	IMAPInterval        time.Duration // between IMAP polls
	SMSWebhook          string        // URL receiving POST {"to","text"} per SMS; "" logs only
	WebhookAllowPrivate bool          // let merchant webhooks reach loopback and private addresses (development)
	NATSURL             string        // NATS for multi-process fan-out; "" keeps events in process
	TelephonySecret     string        // HMAC secret of telephony events; "" disables the endpoint
	PublicURL           string        // base URL of links Dompet gives out (checkout pages); "" in the table: http://<Addr>
	Sandbox             bool          // sandbox bank and card providers
	SandboxSettleAfter  time.Duration // how long a sandbox withdrawal stays pending
	OutboxRetention     time.Duration // delivered outbox messages older than this are deleted; 0 keeps them
	Currencies          money.Set     // supported currencies; the first is the default
	DefaultCountry      string        // ISO 3166 alpha-2 country of local phone numbers ("0812…" in ID)
	LogLevel            slog.Level    // minimum level of the JSON logs
	Demo                bool          // load demo users, merchants, agents and articles on start
	FeesFile            string        // optional JSON fee schedule
	LimitsFile          string        // optional JSON tier-limits file
	LockoutThreshold    int           // consecutive wrong passwords that lock an account
	LockoutDuration     time.Duration // how long such a lock lasts
	PasswordMaxAge      time.Duration // after this a password change is suggested; 0 never
	SecretKey           string        // server key(s) sealing secrets at rest, comma-separated; "" uses the key file
	DataDir             string        // files of the server (the key file); "" in the table: the SQLite file's directory, or ./data

	TrustedProxies []netip.Prefix // reverse proxies whose X-Forwarded-For/-Proto are believed
	FrameAncestors []string       // origins allowed to frame embeddable pages (the chat widget)

	// Per-address and per-account budgets of the password and code endpoints.
	RateRegisterPerIP   Rate // registrations from one address
	RateLoginPerIP      Rate // logins from one address, whatever the account
	RateLoginPerAccount Rate // logins naming one phone or email, from any address
	RateRecoveryPerIP   Rate // recovery and PIN-reset requests from one address
	RateVerifyPerIP     Rate // recovery and PIN-reset code checks from one address
	RateLookupPerUser   Rate // recipient lookups (and favourites saved) by one user
	RateLookupPerIP     Rate // recipient lookups (and favourites saved) from one address
}

// Rate is a budget of N requests per Per: up to N at once, then one every Per/N.
type Rate struct {
	N   int
	Per time.Duration
}

// Every is the time one request of the budget takes to come back.
func (r Rate) Every() time.Duration { return r.Per / time.Duration(r.N) }

func (r Rate) String() string { return strconv.Itoa(r.N) + "/" + r.Per.String() }

// setting is one line of the settings table: the flag, the variable, the default and how the
// text turns into a Config field.
type setting struct {
	flag, env, def, usage string
	boolean               bool
	set                   func(c *Config, v string) error
}

// settings is the one table of everything configurable. API.md's Configuration table is the
// contract for the variable names and defaults.
var settings = []setting{
	{flag: "addr", env: "DOMPET_ADDR", def: "127.0.0.1:8080", usage: "HTTP listen address",
		set: func(c *Config, v string) error { c.Addr = v; return hostPort(v, false) }},
	{flag: "db", env: "DOMPET_DB", def: "sqlite:./data/dompet.db", usage: "store: sqlite:PATH or a postgres:// URL",
		set: func(c *Config, v string) error { c.DB = v; return dsn(v) }},
	{flag: "smtp-listen", env: "DOMPET_SMTP_LISTEN", def: "127.0.0.1:2525", usage: "inbound SMTP address; empty disables",
		set: func(c *Config, v string) error { c.SMTPListen = v; return hostPort(v, true) }},
	{flag: "support-email", env: "DOMPET_SUPPORT_EMAIL", def: "support@dompet.localhost", usage: "the address customers write to",
		set: func(c *Config, v string) error { c.SupportEmail = v; return email(v) }},
	{flag: "support-phone", env: "DOMPET_SUPPORT_PHONE", def: "+62 21 0000 0000", usage: "the support phone number the contact page shows (the default is a sandbox placeholder)",
		set: func(c *Config, v string) error { c.SupportPhone = v; return nil }},
	{flag: "smtp-relay", env: "DOMPET_SMTP_RELAY", usage: "smtp://host:port (or smtps://) for outbound mail; empty logs only",
		set: func(c *Config, v string) error { c.SMTPRelay = v; return urlOf(v, "smtp", "smtps") }},
	{flag: "smtp-max-message-mb", env: "DOMPET_SMTP_MAX_MESSAGE_MB", def: "25", usage: "largest inbound mail in MiB, announced by SIZE; more is refused with 552",
		set: func(c *Config, v string) (err error) { c.SMTPMaxMessageMB, err = count(v, 1, 100); return err }},
	{flag: "smtp-max-sessions", env: "DOMPET_SMTP_MAX_SESSIONS", def: "20", usage: "inbound SMTP sessions at once; more are told 421 (try later)",
		set: func(c *Config, v string) (err error) { c.SMTPMaxSessions, err = count(v, 1, 10000); return err }},
	{flag: "smtp-timeout", env: "DOMPET_SMTP_TIMEOUT", def: "2m", usage: "inbound SMTP: how long one read or write may take",
		set: func(c *Config, v string) (err error) { c.SMTPTimeout, err = positiveDuration(v); return err }},
	{flag: "support-ack-rate", env: "DOMPET_SUPPORT_ACK_RATE", def: "3/1h", usage: "acknowledgements of new support mail one sender gets: N/DURATION",
		set: func(c *Config, v string) (err error) { c.SupportAckRate, err = rateOf(v); return err }},
	{flag: "imap-url", env: "DOMPET_IMAP_URL", usage: "imaps://user:password@host[:993]/MAILBOX (or imap://, STARTTLS required but on loopback) polled for support mail, beside the SMTP listener; empty disables",
		set: func(c *Config, v string) error { c.IMAPURL = v; return imapURL(v) }},
	{flag: "imap-interval", env: "DOMPET_IMAP_INTERVAL", def: "1m", usage: "time between two polls of DOMPET_IMAP_URL",
		set: func(c *Config, v string) (err error) { c.IMAPInterval, err = positiveDuration(v); return err }},
	{flag: "default-country", env: "DOMPET_DEFAULT_COUNTRY", def: "ID", usage: "country (ISO 3166 alpha-2) whose local phone numbers are accepted: 0812… becomes +62812…",
		set: func(c *Config, v string) error { c.DefaultCountry = strings.ToUpper(v); return country(v) }},
	{flag: "sms-webhook", env: "DOMPET_SMS_WEBHOOK", usage: "URL that receives POST {\"to\",\"text\"} for each SMS; empty logs only",
		set: func(c *Config, v string) error { c.SMSWebhook = v; return urlOf(v, "http", "https") }},
	{flag: "webhook-allow-private", env: "DOMPET_WEBHOOK_ALLOW_PRIVATE", def: "false", boolean: true,
		usage: "let merchant webhooks go to loopback, private and link-local addresses (development and tests only)",
		set:   func(c *Config, v string) (err error) { c.WebhookAllowPrivate, err = parseBool(v); return err }},
	{flag: "nats-url", env: "DOMPET_NATS_URL", usage: "NATS URL(s), comma-separated, for multi-process fan-out; empty keeps events in process",
		set: func(c *Config, v string) error { c.NATSURL = v; return natsURLs(v) }},
	{flag: "telephony-secret", env: "DOMPET_TELEPHONY_SECRET", usage: "HMAC secret of telephony events; empty disables them",
		set: func(c *Config, v string) error { c.TelephonySecret = v; return nil }},
	{flag: "public-url", env: "DOMPET_PUBLIC_URL", usage: "base URL of the links Dompet gives out, such as checkout pages (http(s)://host[:port]); empty: http://<DOMPET_ADDR>",
		set: func(c *Config, v string) error {
			c.PublicURL = strings.TrimRight(v, "/")
			return urlOf(v, "https", "http")
		}},
	{flag: "sandbox", env: "DOMPET_SANDBOX", def: "true", usage: "use the sandbox bank and card providers", boolean: true,
		set: func(c *Config, v string) (err error) { c.Sandbox, err = parseBool(v); return err }},
	{flag: "sandbox-settle-after", env: "DOMPET_SANDBOX_SETTLE_AFTER", def: "5s", usage: "how long a sandbox withdrawal stays pending",
		set: func(c *Config, v string) (err error) { c.SandboxSettleAfter, err = duration(v); return err }},
	{flag: "outbox-retention", env: "DOMPET_OUTBOX_RETENTION", def: "30d", usage: "delete delivered outbox messages (webhooks, receipts, mail sent) older than this (e.g. 30d, 720h; at least 1d); 0 keeps them",
		set: func(c *Config, v string) (err error) { c.OutboxRetention, err = retention(v); return err }},
	{flag: "currencies", env: "DOMPET_CURRENCIES", def: "IDR,CNY,USD,SGD", usage: "supported currencies, the default first",
		set: func(c *Config, v string) (err error) { c.Currencies, err = money.ParseSet(v); return err }},
	{flag: "log-level", env: "DOMPET_LOG_LEVEL", def: "info", usage: "debug, info, warn or error",
		set: func(c *Config, v string) error { return c.LogLevel.UnmarshalText([]byte(v)) }},
	{flag: "demo", env: "DOMPET_DEMO", def: "false", usage: "load demo users, merchants, agents and articles", boolean: true,
		set: func(c *Config, v string) (err error) { c.Demo, err = parseBool(v); return err }},
	{flag: "fees", env: "DOMPET_FEES", usage: "path of a JSON fee schedule; empty uses the built-in one",
		set: func(c *Config, v string) error { c.FeesFile = v; return nil }},
	{flag: "limits", env: "DOMPET_LIMITS", usage: "path of a JSON tier-limits file; empty uses the built-in one",
		set: func(c *Config, v string) error { c.LimitsFile = v; return nil }},
	{flag: "lockout-threshold", env: "DOMPET_LOCKOUT_THRESHOLD", def: "5", usage: "consecutive wrong passwords that lock an account",
		set: func(c *Config, v string) (err error) { c.LockoutThreshold, err = count(v, 1, 100); return err }},
	{flag: "lockout-duration", env: "DOMPET_LOCKOUT_DURATION", def: "30m", usage: "how long a lock after too many wrong passwords lasts",
		set: func(c *Config, v string) (err error) { c.LockoutDuration, err = positiveDuration(v); return err }},
	{flag: "password-max-age", env: "DOMPET_PASSWORD_MAX_AGE", def: "180d", usage: "password age after which a change is suggested (e.g. 180d, 4320h); 0 never",
		set: func(c *Config, v string) (err error) { c.PasswordMaxAge, err = days(v); return err }},
	{flag: "trusted-proxies", env: "DOMPET_TRUSTED_PROXIES", usage: "comma-separated addresses and CIDR blocks of reverse proxies whose X-Forwarded-For is believed; empty trusts none",
		set: func(c *Config, v string) (err error) { c.TrustedProxies, err = ParsePrefixes(v); return err }},
	{flag: "frame-ancestors", env: "DOMPET_FRAME_ANCESTORS", usage: "comma-separated origins (https://shop.example) allowed to frame the embeddable pages; empty: this site only",
		set: func(c *Config, v string) (err error) { c.FrameAncestors, err = origins(v); return err }},
	{flag: "rate-register-per-ip", env: "DOMPET_RATE_REGISTER_PER_IP", def: "30/10m", usage: "registrations from one address: N/DURATION (N at once, then one every DURATION/N)",
		set: func(c *Config, v string) (err error) { c.RateRegisterPerIP, err = rateOf(v); return err }},
	{flag: "rate-login-per-ip", env: "DOMPET_RATE_LOGIN_PER_IP", def: "20/1m", usage: "logins from one address: N/DURATION",
		set: func(c *Config, v string) (err error) { c.RateLoginPerIP, err = rateOf(v); return err }},
	{flag: "rate-login-per-account", env: "DOMPET_RATE_LOGIN_PER_ACCOUNT", def: "10/5m", usage: "logins naming one phone or email, from any address: N/DURATION",
		set: func(c *Config, v string) (err error) { c.RateLoginPerAccount, err = rateOf(v); return err }},
	{flag: "rate-recovery-per-ip", env: "DOMPET_RATE_RECOVERY_PER_IP", def: "10/1m", usage: "password-recovery and PIN-reset requests from one address: N/DURATION",
		set: func(c *Config, v string) (err error) { c.RateRecoveryPerIP, err = rateOf(v); return err }},
	{flag: "rate-verify-per-ip", env: "DOMPET_RATE_VERIFY_PER_IP", def: "10/1m", usage: "recovery and PIN-reset code checks from one address: N/DURATION",
		set: func(c *Config, v string) (err error) { c.RateVerifyPerIP, err = rateOf(v); return err }},
	{flag: "rate-lookup-per-user", env: "DOMPET_RATE_LOOKUP_PER_USER", def: "20/10m", usage: "recipient lookups (and favourites saved) by one user: N/DURATION",
		set: func(c *Config, v string) (err error) { c.RateLookupPerUser, err = rateOf(v); return err }},
	{flag: "rate-lookup-per-ip", env: "DOMPET_RATE_LOOKUP_PER_IP", def: "60/10m", usage: "recipient lookups (and favourites saved) from one address: N/DURATION",
		set: func(c *Config, v string) (err error) { c.RateLookupPerIP, err = rateOf(v); return err }},
	{flag: "secret-key", env: "DOMPET_SECRET_KEY", usage: "32-byte server key(s), base64 or hex, comma-separated, the sealing one first; prefer the variable to the flag; empty uses the key file in the data directory",
		set: func(c *Config, v string) error { c.SecretKey = v; return secretKeys(v) }},
	{flag: "data-dir", env: "DOMPET_DATA_DIR", usage: "directory of the server's files (the secret key file); empty: the SQLite file's directory, or ./data with PostgreSQL",
		set: func(c *Config, v string) error { c.DataDir = v; return nil }},
}

// LookupEnv is how the environment is read; os.LookupEnv in production, a map in tests.
// A variable that is set but empty counts as set (DOMPET_SMTP_LISTEN= disables the listener).
type LookupEnv func(name string) (string, bool)

// Bind registers every setting as a flag on fs and returns the function that, called after
// fs.Parse, builds the validated Config. Subcommands use it to add their own flags beside the
// settings; Parse is the shortcut for a FlagSet of settings alone.
func Bind(fs *flag.FlagSet, env LookupEnv) func() (Config, error) {
	if env == nil {
		env = os.LookupEnv
	}
	flags := make([]*text, len(settings))
	for i, s := range settings {
		flags[i] = &text{boolean: s.boolean}
		usage := fmt.Sprintf("%s (env %s", s.usage, s.env)
		if s.def != "" {
			usage += ", default " + s.def
		}
		fs.Var(flags[i], s.flag, usage+")")
	}
	return func() (Config, error) {
		var c Config
		var errs []error
		for i, s := range settings {
			v, from := s.def, "default"
			if e, ok := env(s.env); ok {
				v, from = strings.TrimSpace(e), s.env
			}
			if flags[i].set {
				v, from = flags[i].v, "--"+s.flag
			}
			if err := s.set(&c, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", from, redact(v), err)) // no URL password in the message
			}
		}
		if err := errors.Join(errs...); err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if c.DataDir == "" {
			c.DataDir = defaultDataDir(c.DB)
		}
		if c.PublicURL == "" {
			c.PublicURL = "http://" + c.Addr
		}
		return c, nil
	}
}

// Parse reads the settings from args and env. It returns the arguments left after the flags.
func Parse(name string, args []string, env LookupEnv) (Config, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	load := Bind(fs, env)
	if err := fs.Parse(args); err != nil {
		return Config{}, nil, err
	}
	c, err := load()
	return c, fs.Args(), err
}

// country accepts an ISO 3166 alpha-2 code whose phone numbering libphonenumber knows.
func country(v string) error {
	if len(v) != 2 || phonenumbers.GetCountryCodeForRegion(strings.ToUpper(v)) == 0 {
		return fmt.Errorf("%q is not a country code such as ID, SG or CN", v)
	}
	return nil
}

// Default is the configuration with every setting at its default (for tests and tools).
func Default() Config {
	c, _, err := Parse("default", nil, func(string) (string, bool) { return "", false })
	if err != nil {
		panic("config: the defaults do not validate: " + err.Error()) // a bug in the table above
	}
	return c
}

// LogValue hides secrets when a Config is logged: the telephony secret, the server key and
// URL passwords.
func (c Config) LogValue() slog.Value {
	secret := ""
	if c.TelephonySecret != "" {
		secret = "redacted"
	}
	key := "key file"
	if c.SecretKey != "" {
		key = "redacted"
	}
	codes := make([]string, len(c.Currencies))
	for i, cur := range c.Currencies {
		codes[i] = cur.Code
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("default_country", c.DefaultCountry),
		slog.String("db", redact(c.DB)),
		slog.String("smtp_listen", c.SMTPListen),
		slog.String("support_email", c.SupportEmail),
		slog.String("support_phone", c.SupportPhone),
		slog.String("smtp_relay", redact(c.SMTPRelay)),
		slog.Int("smtp_max_message_mb", c.SMTPMaxMessageMB),
		slog.Int("smtp_max_sessions", c.SMTPMaxSessions),
		slog.String("smtp_timeout", c.SMTPTimeout.String()),
		slog.String("support_ack_rate", c.SupportAckRate.String()),
		slog.String("imap_url", redact(c.IMAPURL)),
		slog.String("imap_interval", c.IMAPInterval.String()),
		slog.String("sms_webhook", redact(c.SMSWebhook)),
		slog.Bool("webhook_allow_private", c.WebhookAllowPrivate),
		slog.String("nats_url", redact(c.NATSURL)),
		slog.String("telephony_secret", secret),
		slog.String("public_url", c.PublicURL),
		slog.Bool("sandbox", c.Sandbox),
		slog.String("sandbox_settle_after", c.SandboxSettleAfter.String()),
		slog.String("outbox_retention", c.OutboxRetention.String()),
		slog.String("currencies", strings.Join(codes, ",")),
		slog.String("log_level", c.LogLevel.String()),
		slog.Bool("demo", c.Demo),
		slog.String("fees", c.FeesFile),
		slog.String("limits", c.LimitsFile),
		slog.Int("lockout_threshold", c.LockoutThreshold),
		slog.String("lockout_duration", c.LockoutDuration.String()),
		slog.String("password_max_age", c.PasswordMaxAge.String()),
		slog.Any("trusted_proxies", c.TrustedProxies),
		slog.Any("frame_ancestors", c.FrameAncestors),
		slog.String("rate_register_per_ip", c.RateRegisterPerIP.String()),
		slog.String("rate_login_per_ip", c.RateLoginPerIP.String()),
		slog.String("rate_login_per_account", c.RateLoginPerAccount.String()),
		slog.String("rate_recovery_per_ip", c.RateRecoveryPerIP.String()),
		slog.String("rate_verify_per_ip", c.RateVerifyPerIP.String()),
		slog.String("rate_lookup_per_user", c.RateLookupPerUser.String()),
		slog.String("rate_lookup_per_ip", c.RateLookupPerIP.String()),
		slog.String("secret_key", key),
		slog.String("data_dir", c.DataDir),
	)
}

// redact drops the password of a URL's user info.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	return u.String()
}

// text is a flag.Value remembering whether the flag was given at all, so an explicit flag
// wins over the environment even when it repeats the default.
type text struct {
	v       string
	set     bool
	boolean bool
}

func (t *text) String() string { return t.v }
func (t *text) Set(v string) error {
	t.v, t.set = v, true
	return nil
}

// IsBoolFlag lets "--demo" stand for "--demo=true".
func (t *text) IsBoolFlag() bool { return t.boolean }

func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errors.New("want true or false")
	}
	return b, nil
}

func duration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, errors.New("want a duration such as 5s or 1m")
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	return d, nil
}

func positiveDuration(v string) (time.Duration, error) {
	d, err := duration(v)
	if err == nil && d == 0 {
		return 0, errors.New("must be more than zero")
	}
	return d, err
}

// days is duration that also takes whole days ("180d"), the natural unit of password ages.
func days(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 0 || d > 100*365 {
			return 0, errors.New("want a number of days such as 180d")
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	return duration(v)
}

// retention is days (or a duration) of at least a day, or 0 for forever: a delivered
// message's dedupe key is free again once its row is deleted, and the causes that write one
// repeat within minutes or hours (an SMTP retry, a paused SLA clock), never after a day.
func retention(v string) (time.Duration, error) {
	d, err := days(v)
	if err == nil && d != 0 && d < 24*time.Hour {
		return 0, errors.New("want 0 (keep) or at least 1d")
	}
	return d, err
}

func count(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("want a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

func hostPort(v string, emptyOK bool) error {
	if v == "" && emptyOK {
		return nil
	}
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return errors.New("want host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("want a port number from 0 to 65535")
	}
	return nil
}

func dsn(v string) error {
	switch {
	case strings.HasPrefix(v, "sqlite:"):
		if strings.TrimPrefix(v, "sqlite:") == "" {
			return errors.New("sqlite: needs a file path")
		}
		return nil
	case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
		if _, err := url.Parse(v); err != nil {
			return errors.New("not a valid postgres:// URL")
		}
		return nil
	}
	return errors.New("want sqlite:PATH or a postgres:// URL")
}

func email(v string) error {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v {
		return errors.New("want a bare e-mail address such as support@example.com")
	}
	return nil
}

// imapURL accepts an imap:// or imaps:// URL naming a user (the mailbox is its path).
func imapURL(v string) error {
	if err := urlOf(v, "imaps", "imap"); err != nil || v == "" {
		return err
	}
	if u, _ := url.Parse(v); u.User == nil || u.User.Username() == "" {
		return errors.New("want imaps://user:password@host/MAILBOX")
	}
	return nil
}

func urlOf(v string, schemes ...string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return fmt.Errorf("want a %s://host URL", schemes[0])
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return fmt.Errorf("want a URL of scheme %s", strings.Join(schemes, " or "))
}

func natsURLs(v string) error {
	if v == "" {
		return nil
	}
	for _, p := range strings.Split(v, ",") {
		if err := urlOf(strings.TrimSpace(p), "nats", "tls", "ws", "wss"); err != nil {
			return err
		}
	}
	return nil
}

// ParsePrefixes reads comma-separated addresses and CIDR blocks, as DOMPET_TRUSTED_PROXIES
// holds them; an address is its own block.
func ParsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%q: want an IP address or a CIDR block such as 10.0.0.0/8", part)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// origins reads comma-separated web origins (scheme://host[:port], no path).
func origins(v string) ([]string, error) {
	var out []string
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		u, err := url.Parse(part)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil ||
			strings.ContainsAny(part, " ;'\"") {
			return nil, fmt.Errorf("%q: want an origin such as https://shop.example", part)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out, nil
}

// rateOf reads a budget "N/DURATION", e.g. 20/1m.
func rateOf(v string) (Rate, error) {
	n, per, ok := strings.Cut(v, "/")
	bad := errors.New("want N/DURATION such as 20/1m")
	if !ok {
		return Rate{}, bad
	}
	r := Rate{}
	var err error
	if r.N, err = strconv.Atoi(strings.TrimSpace(n)); err != nil || r.N < 1 || r.N > 1_000_000 {
		return Rate{}, bad
	}
	if r.Per, err = time.ParseDuration(strings.TrimSpace(per)); err != nil || r.Per <= 0 || r.Per/time.Duration(r.N) <= 0 {
		return Rate{}, bad
	}
	return r, nil
}

// secretKeys checks DOMPET_SECRET_KEY the way the server will read it, so that a malformed key
// is a usage error at start rather than a surprise at the first sealing.
func secretKeys(v string) error {
	if v == "" {
		return nil
	}
	_, err := secret.ParseKeys(v)
	return err
}

// defaultDataDir is the data directory when none is set: beside the SQLite file, or ./data.
func defaultDataDir(dsn string) string {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		return filepath.Dir(path)
	}
	return "data"
}
