package config

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) LookupEnv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	c, rest, err := Parse("t", nil, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 0 {
		t.Fatalf("rest = %v", rest)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Addr", c.Addr, "127.0.0.1:8080"},
		{"DB", c.DB, "sqlite:./data/dompet.db"},
		{"SMTPListen", c.SMTPListen, "127.0.0.1:2525"},
		{"SupportEmail", c.SupportEmail, "support@dompet.localhost"},
		{"SMTPRelay", c.SMTPRelay, ""},
		{"SMSWebhook", c.SMSWebhook, ""},
		{"DefaultCountry", c.DefaultCountry, "ID"},
		{"NATSURL", c.NATSURL, ""},
		{"TelephonySecret", c.TelephonySecret, ""},
		{"Sandbox", c.Sandbox, true},
		{"SandboxSettleAfter", c.SandboxSettleAfter, 5 * time.Second},
		{"LogLevel", c.LogLevel, slog.LevelInfo},
		{"Demo", c.Demo, false},
		{"FeesFile", c.FeesFile, ""},
		{"LimitsFile", c.LimitsFile, ""},
		{"LockoutThreshold", c.LockoutThreshold, 5},
		{"LockoutDuration", c.LockoutDuration, 30 * time.Minute},
		{"PasswordMaxAge", c.PasswordMaxAge, 180 * 24 * time.Hour},
		{"OutboxRetention", c.OutboxRetention, 30 * 24 * time.Hour},
		{"Currencies", len(c.Currencies), 4},
		{"TrustedProxies", len(c.TrustedProxies), 0},
		{"FrameAncestors", len(c.FrameAncestors), 0},
		{"RateRegisterPerIP", c.RateRegisterPerIP, Rate{30, 10 * time.Minute}},
		{"RateLoginPerIP", c.RateLoginPerIP, Rate{20, time.Minute}},
		{"RateLoginPerIP every", c.RateLoginPerIP.Every(), 3 * time.Second},
		{"RateLoginPerAccount", c.RateLoginPerAccount, Rate{10, 5 * time.Minute}},
		{"RateRecoveryPerIP", c.RateRecoveryPerIP, Rate{10, time.Minute}},
		{"RateVerifyPerIP", c.RateVerifyPerIP, Rate{10, time.Minute}},
		{"RateLookupPerUser", c.RateLookupPerUser, Rate{20, 10 * time.Minute}},
		{"RateLookupPerIP", c.RateLookupPerIP, Rate{60, 10 * time.Minute}},
		{"DefaultCurrency", c.Currencies.Default().Code, "IDR"},
		{"IMAPURL", c.IMAPURL, ""},
		{"IMAPInterval", c.IMAPInterval, time.Minute},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	if d := Default(); d.Addr != c.Addr || d.DB != c.DB {
		t.Errorf("Default() = %+v differs from Parse with nothing set", d)
	}
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		get  func(Config) any
		want any
	}{
		{"env over default", map[string]string{"DOMPET_ADDR": "0.0.0.0:9000"}, nil,
			func(c Config) any { return c.Addr }, "0.0.0.0:9000"},
		{"flag over env", map[string]string{"DOMPET_ADDR": "0.0.0.0:9000"}, []string{"--addr", "127.0.0.1:7000"},
			func(c Config) any { return c.Addr }, "127.0.0.1:7000"},
		{"flag equal to default still beats env", map[string]string{"DOMPET_ADDR": "0.0.0.0:9000"}, []string{"-addr=127.0.0.1:8080"},
			func(c Config) any { return c.Addr }, "127.0.0.1:8080"},
		{"empty env disables smtp listener", map[string]string{"DOMPET_SMTP_LISTEN": ""}, nil,
			func(c Config) any { return c.SMTPListen }, ""},
		{"bare bool flag", map[string]string{"DOMPET_DEMO": "false"}, []string{"--demo"},
			func(c Config) any { return c.Demo }, true},
		{"bool flag false beats env true", map[string]string{"DOMPET_SANDBOX": "true"}, []string{"--sandbox=false"},
			func(c Config) any { return c.Sandbox }, false},
		{"env bool", map[string]string{"DOMPET_SANDBOX": "0"}, nil,
			func(c Config) any { return c.Sandbox }, false},
		{"settle after from env", map[string]string{"DOMPET_SANDBOX_SETTLE_AFTER": "2s"}, nil,
			func(c Config) any { return c.SandboxSettleAfter }, 2 * time.Second},
		{"currencies from env", map[string]string{"DOMPET_CURRENCIES": "usd, jpy"}, nil,
			func(c Config) any { return c.Currencies.Default().Code + "/" + c.Currencies[1].Code }, "USD/JPY"},
		{"log level from flag", map[string]string{"DOMPET_LOG_LEVEL": "error"}, []string{"--log-level", "debug"},
			func(c Config) any { return c.LogLevel }, slog.LevelDebug},
		{"postgres url", map[string]string{"DOMPET_DB": "postgres://u@127.0.0.1:5432/d?sslmode=disable"}, nil,
			func(c Config) any { return c.DB }, "postgres://u@127.0.0.1:5432/d?sslmode=disable"},
		{"fees and limits paths", map[string]string{"DOMPET_FEES": "/etc/fees.json"}, []string{"--limits", "l.json"},
			func(c Config) any { return c.FeesFile + "|" + c.LimitsFile }, "/etc/fees.json|l.json"},
		{"relay, webhook, nats, secret", map[string]string{
			"DOMPET_SMTP_RELAY": "smtps://u:p@mail.example:465", "DOMPET_SMS_WEBHOOK": "http://127.0.0.1:9/sms",
			"DOMPET_NATS_URL": "nats://127.0.0.1:4222", "DOMPET_TELEPHONY_SECRET": "s3cret"}, nil,
			func(c Config) any {
				return c.SMTPRelay + " " + c.SMSWebhook + " " + c.NATSURL + " " + c.TelephonySecret
			},
			"smtps://u:p@mail.example:465 http://127.0.0.1:9/sms nats://127.0.0.1:4222 s3cret"},
		{"private webhook targets refused by default", nil, nil,
			func(c Config) any { return c.WebhookAllowPrivate }, false},
		{"private webhook targets allowed", map[string]string{"DOMPET_WEBHOOK_ALLOW_PRIVATE": "true"}, nil,
			func(c Config) any { return c.WebhookAllowPrivate }, true},
		{"lockout from env and flag", map[string]string{"DOMPET_LOCKOUT_THRESHOLD": "3"}, []string{"--lockout-duration", "1h"},
			func(c Config) any { return fmt.Sprint(c.LockoutThreshold, " ", c.LockoutDuration) }, "3 1h0m0s"},
		{"password age in days", map[string]string{"DOMPET_PASSWORD_MAX_AGE": "90d"}, nil,
			func(c Config) any { return c.PasswordMaxAge }, 90 * 24 * time.Hour},
		{"password age as a duration", map[string]string{"DOMPET_PASSWORD_MAX_AGE": "36h"}, nil,
			func(c Config) any { return c.PasswordMaxAge }, 36 * time.Hour},
		{"password age off", map[string]string{"DOMPET_PASSWORD_MAX_AGE": "0"}, nil,
			func(c Config) any { return c.PasswordMaxAge }, time.Duration(0)},
		{"imap polling", map[string]string{"DOMPET_IMAP_URL": "imaps://help%40dompet.id:pw@imap.example:993/INBOX", "DOMPET_IMAP_INTERVAL": "30s"}, nil,
			func(c Config) any { return fmt.Sprint(c.IMAPURL, " ", c.IMAPInterval) }, "imaps://help%40dompet.id:pw@imap.example:993/INBOX 30s"},
		{"outbox retention in days", map[string]string{"DOMPET_OUTBOX_RETENTION": "90d"}, nil,
			func(c Config) any { return c.OutboxRetention }, 90 * 24 * time.Hour},
		{"outbox retention as a duration", nil, []string{"--outbox-retention", "48h"},
			func(c Config) any { return c.OutboxRetention }, 48 * time.Hour},
		{"outbox retention off", map[string]string{"DOMPET_OUTBOX_RETENTION": "0"}, nil,
			func(c Config) any { return c.OutboxRetention }, time.Duration(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := Parse("t", tt.args, envOf(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.get(c); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		mention string // the error must name the culprit
	}{
		{"bad addr", map[string]string{"DOMPET_ADDR": "8080"}, nil, "DOMPET_ADDR"},
		{"bad port", nil, []string{"--addr", "127.0.0.1:99999"}, "--addr"},
		{"empty addr", map[string]string{"DOMPET_ADDR": ""}, nil, "DOMPET_ADDR"},
		{"bad db scheme", map[string]string{"DOMPET_DB": "mysql://x"}, nil, "DOMPET_DB"},
		{"empty sqlite path", nil, []string{"--db", "sqlite:"}, "--db"},
		{"bad email", map[string]string{"DOMPET_SUPPORT_EMAIL": "Support <s@x.io>"}, nil, "DOMPET_SUPPORT_EMAIL"},
		{"relay scheme", map[string]string{"DOMPET_SMTP_RELAY": "http://x:25"}, nil, "DOMPET_SMTP_RELAY"},
		{"webhook without host", map[string]string{"DOMPET_SMS_WEBHOOK": "/sms"}, nil, "DOMPET_SMS_WEBHOOK"},
		{"unknown country", map[string]string{"DOMPET_DEFAULT_COUNTRY": "XX"}, nil, "DOMPET_DEFAULT_COUNTRY"},
		{"nats scheme", map[string]string{"DOMPET_NATS_URL": "nats://a:4222,redis://b"}, nil, "DOMPET_NATS_URL"},
		{"sandbox not a bool", map[string]string{"DOMPET_SANDBOX": "maybe"}, nil, "DOMPET_SANDBOX"},
		{"settle not a duration", map[string]string{"DOMPET_SANDBOX_SETTLE_AFTER": "5"}, nil, "DOMPET_SANDBOX_SETTLE_AFTER"},
		{"negative settle", nil, []string{"--sandbox-settle-after=-1s"}, "--sandbox-settle-after"},
		{"outbox retention under a day", map[string]string{"DOMPET_OUTBOX_RETENTION": "1h"}, nil, "DOMPET_OUTBOX_RETENTION"},
		{"outbox retention not a duration", map[string]string{"DOMPET_OUTBOX_RETENTION": "a month"}, nil, "DOMPET_OUTBOX_RETENTION"},
		{"unknown currency", map[string]string{"DOMPET_CURRENCIES": "IDR,XXX"}, nil, "DOMPET_CURRENCIES"},
		{"no currency", map[string]string{"DOMPET_CURRENCIES": " , "}, nil, "DOMPET_CURRENCIES"},
		{"bad log level", map[string]string{"DOMPET_LOG_LEVEL": "loud"}, nil, "DOMPET_LOG_LEVEL"},
		{"bad demo", nil, []string{"--demo=yes please"}, "--demo"},
		{"lockout threshold zero", map[string]string{"DOMPET_LOCKOUT_THRESHOLD": "0"}, nil, "DOMPET_LOCKOUT_THRESHOLD"},
		{"lockout threshold not a number", nil, []string{"--lockout-threshold=five"}, "--lockout-threshold"},
		{"lockout duration zero", map[string]string{"DOMPET_LOCKOUT_DURATION": "0s"}, nil, "DOMPET_LOCKOUT_DURATION"},
		{"password age bad days", map[string]string{"DOMPET_PASSWORD_MAX_AGE": "-3d"}, nil, "DOMPET_PASSWORD_MAX_AGE"},
		{"password age garbage", map[string]string{"DOMPET_PASSWORD_MAX_AGE": "soon"}, nil, "DOMPET_PASSWORD_MAX_AGE"},
		{"proxy not an address", map[string]string{"DOMPET_TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, nil, "DOMPET_TRUSTED_PROXIES"},
		{"bad proxy block", nil, []string{"--trusted-proxies=10.0.0.0/33"}, "--trusted-proxies"},
		{"frame ancestor with a path", map[string]string{"DOMPET_FRAME_ANCESTORS": "https://shop.example/chat"}, nil, "DOMPET_FRAME_ANCESTORS"},
		{"frame ancestor injecting a directive", map[string]string{"DOMPET_FRAME_ANCESTORS": "https://a.example;script-src *"}, nil, "DOMPET_FRAME_ANCESTORS"},
		{"frame ancestor not http", map[string]string{"DOMPET_FRAME_ANCESTORS": "javascript:x"}, nil, "DOMPET_FRAME_ANCESTORS"},
		{"rate without period", map[string]string{"DOMPET_RATE_LOGIN_PER_IP": "20"}, nil, "DOMPET_RATE_LOGIN_PER_IP"},
		{"rate zero", map[string]string{"DOMPET_RATE_REGISTER_PER_IP": "0/1m"}, nil, "DOMPET_RATE_REGISTER_PER_IP"},
		{"rate bad period", nil, []string{"--rate-verify-per-ip=5/soon"}, "--rate-verify-per-ip"},
		{"imap scheme", map[string]string{"DOMPET_IMAP_URL": "pop3://u:p@mail.example"}, nil, "DOMPET_IMAP_URL"},
		{"imap without user", map[string]string{"DOMPET_IMAP_URL": "imaps://mail.example/INBOX"}, nil, "DOMPET_IMAP_URL"},
		{"imap interval zero", map[string]string{"DOMPET_IMAP_INTERVAL": "0s"}, nil, "DOMPET_IMAP_INTERVAL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse("t", tt.args, envOf(tt.env))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("error %q does not name %s", err, tt.mention)
			}
		})
	}
}

func TestProxiesAndOrigins(t *testing.T) {
	c, _, err := Parse("t", nil, envOf(map[string]string{
		"DOMPET_TRUSTED_PROXIES": " 10.1.2.3/8, 127.0.0.1 ,::1,",
		"DOMPET_FRAME_ANCESTORS": "https://shop.example, http://localhost:3000/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(c.TrustedProxies); got != "[10.0.0.0/8 127.0.0.1/32 ::1/128]" {
		t.Errorf("TrustedProxies = %s", got)
	}
	if got := fmt.Sprint(c.FrameAncestors); got != "[https://shop.example http://localhost:3000]" {
		t.Errorf("FrameAncestors = %s", got)
	}
}

// TestErrorRedacts: a URL refused for another reason does not print its password.
func TestErrorRedacts(t *testing.T) {
	_, _, err := Parse("t", nil, envOf(map[string]string{"DOMPET_IMAP_URL": "pop3://help:imappass@imap.example/INBOX"}))
	if err == nil || strings.Contains(err.Error(), "imappass") || !strings.Contains(err.Error(), "imap.example") {
		t.Fatalf("error %v", err)
	}
}

func TestAllErrorsReported(t *testing.T) {
	_, _, err := Parse("t", nil, envOf(map[string]string{"DOMPET_ADDR": "x", "DOMPET_SANDBOX": "x"}))
	if err == nil || !strings.Contains(err.Error(), "DOMPET_ADDR") || !strings.Contains(err.Error(), "DOMPET_SANDBOX") {
		t.Fatalf("want both failures, got %v", err)
	}
}

func TestBindWithCommandFlags(t *testing.T) {
	fs := flag.NewFlagSet("merchant create", flag.ContinueOnError)
	name := fs.String("name", "", "merchant name")
	load := Bind(fs, envOf(map[string]string{"DOMPET_DB": "sqlite:/tmp/x.db"}))
	if err := fs.Parse([]string{"--name", "Toko", "--log-level", "warn", "extra"}); err != nil {
		t.Fatal(err)
	}
	c, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if *name != "Toko" || c.DB != "sqlite:/tmp/x.db" || c.LogLevel != slog.LevelWarn || fs.Arg(0) != "extra" {
		t.Fatalf("name=%q db=%q level=%v args=%v", *name, c.DB, c.LogLevel, fs.Args())
	}
}

func TestUnknownFlag(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Bind(fs, envOf(nil))
	if err := fs.Parse([]string{"--nope"}); err == nil {
		t.Fatal("unknown flag accepted")
	}
}

func TestLogValueRedacts(t *testing.T) {
	c, _, err := Parse("t", nil, envOf(map[string]string{
		"DOMPET_TELEPHONY_SECRET": "topsecret", "DOMPET_SMTP_RELAY": "smtp://me:hunter2@relay:25",
		"DOMPET_DB": "postgres://app:pgpass@127.0.0.1/d", "DOMPET_SECRET_KEY": testKey, "DOMPET_IMAP_URL": "imaps://help:imappass@imap.example/INBOX"}))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	out := buf.String()
	for _, secret := range []string{"topsecret", "hunter2", "pgpass", testKey, "imappass"} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, `"addr":"127.0.0.1:8080"`) || !strings.Contains(out, "relay:25") || !strings.Contains(out, "imap.example") {
		t.Errorf("log lacks settings: %s", out)
	}
}

// testKey is a well-formed DOMPET_SECRET_KEY (32 bytes, base64).
const testKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func TestDataDirAndSecretKey(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "data"},
		{map[string]string{"DOMPET_DB": "sqlite:/var/lib/dompet/d.db"}, "/var/lib/dompet"},
		{map[string]string{"DOMPET_DB": "postgres://u@h/d"}, "data"},
		{map[string]string{"DOMPET_DB": "postgres://u@h/d", "DOMPET_DATA_DIR": "/srv/dompet"}, "/srv/dompet"},
		{map[string]string{"DOMPET_DB": "sqlite:/a/d.db", "DOMPET_DATA_DIR": "/b"}, "/b"},
	} {
		cfg, _, err := Parse("t", nil, envOf(c.env))
		if err != nil || cfg.DataDir != c.want {
			t.Errorf("%v: DataDir = %q, %v; want %q", c.env, cfg.DataDir, err, c.want)
		}
	}
	if _, _, err := Parse("t", nil, envOf(map[string]string{"DOMPET_SECRET_KEY": testKey + "," + testKey})); err != nil {
		t.Errorf("two keys refused: %v", err)
	}
	for _, bad := range []string{"short", testKey[:20], testKey + ",nope"} {
		if _, _, err := Parse("t", nil, envOf(map[string]string{"DOMPET_SECRET_KEY": bad})); err == nil {
			t.Errorf("DOMPET_SECRET_KEY=%q accepted", bad)
		}
	}
}
