package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/web"
)

// chromium runs Debian's headless Chromium (installed by .ci/run) at phone width with the
// given Accept-Language, and returns what it printed: the rendered DOM, or nothing when it
// writes a screenshot.
func chromium(t *testing.T, lang, url string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir=" + t.TempDir(),
		"--window-size=360,800", "--accept-lang=" + lang}, extra...)
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "chromium", append(args, url)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", url, err, errb.String())
	}
	return out.Bytes()
}

// TestPagesInChromium opens every page in a real browser at 360 px, in English and in
// Chinese: each is served in the language asked for, user text is shown as text (a display
// name holding a script appears escaped in the rendered DOM, never as an element), and a
// screenshot is saved (in DOMPET_SCREENSHOTS when set, else in the test's temporary folder).
// The pages have no forms yet, so there is no CSRF token to check.
func TestPagesInChromium(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("no chromium on PATH (.ci/run installs Debian's)")
	}
	cfg := config.Default()
	cfg.Demo = true
	a, err := app.New(context.Background(), cfg, nil, app.Options{DB: dbtest.Open(t), Notify: notify.NewRecorder(nil, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	const evil = `<script>document.title="owned"</script>`
	logins := &web.DemoLogins{Password: "Dompet-demo-2026!", PIN: "147258", Messages: "/demo/messages",
		Users: []web.DemoUser{{Email: "alice@dompet.localhost", Name: "Alice " + evil}}}
	api, err := handler(cfg, nil, a, logins)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()

	shots := os.Getenv("DOMPET_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	pages := []struct {
		name, path string
		en, zh     string // a heading each language must show
	}{
		{"front", "/", "An e-wallet with a human support desk", "电子钱包与人工客服"},
		{"demo", "/demo", "Wallet users", "钱包用户"},
		{"api-docs", "/api/docs", "API reference", "API 参考"},
	}
	for _, p := range pages {
		for _, lang := range []string{"en", "zh-CN"} {
			t.Run(p.name+"/"+lang, func(t *testing.T) {
				dom := string(chromium(t, lang, srv.URL+p.path, "--dump-dom"))
				want := p.en
				if lang == "zh-CN" {
					want = p.zh
				}
				if !strings.Contains(dom, `<html lang="`+lang+`"`) || !strings.Contains(dom, want) {
					t.Errorf("%s in %s: no %q in the rendered page:\n%.600s", p.path, lang, want, dom)
				}
				if strings.Contains(dom, "<script>") {
					t.Errorf("%s: user text rendered as markup:\n%.600s", p.path, dom)
				}
				if p.name == "demo" && !strings.Contains(dom, "Alice &lt;script&gt;") {
					t.Errorf("the demo user's name is not shown as text:\n%.2000s", dom)
				}
				png := filepath.Join(shots, p.name+"-"+lang+".png")
				chromium(t, lang, srv.URL+p.path, "--screenshot="+png, "--hide-scrollbars")
				if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
					t.Errorf("screenshot %s: %v", png, err)
				}
			})
		}
	}
}
