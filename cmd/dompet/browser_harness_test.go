package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/notify"
)

// browserSite is Dompet as `serve --demo` builds it (the same handler, demo data loaded),
// on a test server, for tests that drive it with a real browser.
type browserSite struct {
	URL  string
	App  *app.App
	Demo demoSummary
	// Handler is the site's handler itself, for benchmarks that skip the network.
	Handler http.Handler
}

// newBrowserSite starts the site for a browser test (skipped where there is no Chromium);
// setCfg (nil: none) changes settings first.
func newBrowserSite(t *testing.T, setCfg func(*config.Config)) *browserSite {
	t.Helper()
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("no chromium on PATH (.ci/run installs Debian's)")
	}
	return newDemoSiteConfig(t, setCfg)
}

// newDemoSite is the same site for page tests that need no browser: they post the pages'
// forms with a plain HTTP client.
func newDemoSite(t testing.TB) *browserSite { return newDemoSiteConfig(t, nil) }

// newPageSite is newDemoSite (the wallet pages' tests name it so).
func newPageSite(t testing.TB) *browserSite { return newDemoSiteConfig(t, nil) }

// newDemoSiteConfig builds the site; setCfg (nil: none) changes settings first.
func newDemoSiteConfig(t testing.TB, setCfg func(*config.Config)) *browserSite {
	t.Helper()
	cfg := config.Default()
	cfg.Demo = true
	lots := config.Rate{N: 1_000_000, Per: time.Minute} // every client is 127.0.0.1
	cfg.RateRegisterPerIP, cfg.RateLoginPerIP, cfg.RateRecoveryPerIP, cfg.RateVerifyPerIP = lots, lots, lots, lots
	if setCfg != nil {
		setCfg(&cfg)
	}
	ctx := context.Background()
	a, err := app.New(ctx, cfg, nil, app.Options{DB: dbtest.Open(t), Background: true, Notify: notify.NewRecorder(nil, 64),
		Identity: identity.Options{Argon2: identity.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	sum, err := seedDemo(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	logins := sum.Logins
	api, err := handler(cfg, nil, a, &logins)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return &browserSite{URL: srv.URL, App: a, Demo: sum, Handler: api}
}

// browser is a headless Chromium tab at phone size (360×800), driven by chromedp. Its
// methods fail the test on any error, each step with a time budget of its own.
type browser struct {
	t   *testing.T
	ctx context.Context
}

// newBrowser starts Chromium with Accept-Language lang and a fresh profile; it stops with
// the test.
func newBrowser(t *testing.T, lang string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath("chromium"), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(360, 800), chromedp.Flag("lang", lang), chromedp.Flag("accept-lang", lang),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	// The first call starts the browser, and its context must have no deadline (the browser
	// would die with it): chromedp's rule.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// Headless Chromium's window is 500 px wide at least, whatever WindowSize says: the
	// phone's width is set on the page itself.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 800)); err != nil {
		t.Fatalf("phone viewport: %v", err)
	}
	return &browser{t: t, ctx: ctx}
}

// stepTimeout bounds one call of a browser method (a page load, a wait for an element).
const stepTimeout = 30 * time.Second

// do runs the steps in order.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// value runs one action that gives a value.
func value[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// text is the visible text of the first element matching the CSS selector, once visible.
func (b *browser) text(css string) string {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS(css)))
	return value(b, chromedp.Text(chromedp.CSS(css)))
}

// location is the tab's URL.
func (b *browser) location() string {
	b.t.Helper()
	return value(b, chromedp.Location())
}

// screenshot saves the page as name.png in DOMPET_SCREENSHOTS (else the test's temporary
// folder): every browser test keeps one of what the person saw.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("DOMPET_SCREENSHOTS")
	if dir == "" {
		dir = b.t.TempDir()
	}
	png := value(b, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
