package main

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/web"
)

// streams records what a command writes to stdout and stderr in one order, and tells when
// stdout has printed the demo's logins.
type streams struct {
	mu      sync.Mutex
	order   []string // "out" or "err", one per write
	out     strings.Builder
	printed chan struct{}
	once    sync.Once
}

type streamWriter struct {
	s    *streams
	name string
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.s.order = append(w.s.order, w.name)
	if w.name == "out" {
		w.s.out.Write(p)
		if strings.Contains(w.s.out.String(), "Support staff") {
			w.s.once.Do(func() { close(w.s.printed) })
		}
	}
	return len(p), nil
}

// TestServeDemo: `serve --demo` says on stdout which URL to open before its first JSON log
// line, prints the logins once loaded, and /demo shows them.
func TestServeDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes demo passwords at the production cost")
	}
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "demo.db")
	if os.Getenv("DOMPET_TEST_DB") != "" {
		dsn = dbtest.DSN(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &streams{printed: make(chan struct{})}
	done := make(chan int, 1)
	env := func(string) (string, bool) { return "", false }
	go func() {
		done <- runWith(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--db", dsn, "--data-dir", t.TempDir(),
			"--smtp-listen", ""}, streamWriter{s, "out"}, streamWriter{s, "err"}, env)
	}()
	select {
	case <-s.printed:
	case code := <-done:
		t.Fatalf("serve exited with %d", code)
	}
	s.mu.Lock()
	out, order := s.out.String(), s.order
	s.mu.Unlock()
	if len(order) == 0 || order[0] != "out" {
		t.Fatalf("the first write went to %v, not stdout", order)
	}
	m := regexp.MustCompile(`^Dompet demo: open (http://127\.0\.0\.1:\d+)/demo `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("first line: %q", strings.SplitN(out, "\n", 2)[0])
	}
	base := m[1]
	for _, want := range []string{demoPassword, demoPIN, demoAgentPassword, "sk_test_", "otpauth://totp/", base + "/demo/messages"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	// The server may not be listening yet when the logins are printed: retry until it is.
	var page string
	for page == "" {
		resp, err := http.Get(base + "/demo")
		if err != nil {
			select {
			case code := <-done:
				t.Fatalf("serve exited with %d", code)
			default:
			}
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("/demo: %s", resp.Status)
		}
		page = string(b)
	}
	const lead = "supervisor.general@dompet.localhost"
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(demoSecret("agent " + lead)[:20])
	for _, want := range []string{"alice@dompet.localhost", demoPIN, demoAgentPassword, "sk_test_", lead, secret} {
		if !strings.Contains(page, want) {
			t.Errorf("/demo lacks %q", want)
		}
	}
	// The supervisor logs in with the TOTP secret /demo shows and finds the desk at work: a
	// conversation on every channel through the agent API.
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"email": lead, "password": demoAgentPassword, "otp": code})
	resp, err := http.Post(base+"/api/v1/agent/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || login.Token == "" {
		t.Fatalf("supervisor login: %s %v", resp.Status, err)
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/agent/conversations", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []struct {
			Channel string `json:"channel"`
		} `json:"items"`
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("agent conversations: %s %v", resp.Status, err)
	}
	channels := map[string]int{}
	for _, c := range list.Items {
		channels[c.Channel]++
	}
	if len(list.Items) != 6 || channels["chat"] != 3 || channels["email"] != 1 || channels["phone"] != 1 || channels["callback"] != 1 {
		t.Errorf("the demo desk through the agent API: %v", channels)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d after the context ended", code)
	}
}

// TestDemoPageEscapes: /demo shows what it is given, escaped, and exists only in demo mode.
func TestDemoPageEscapes(t *testing.T) {
	cfg := config.Default()
	cfg.Demo = true
	logins := &web.DemoLogins{Password: "pw<b>", PIN: "147258", AgentPassword: "agent&pw", Messages: "/demo/messages",
		Users:     []web.DemoUser{{Email: "eve@example.com", Phone: "+6281", Name: `<script>alert(1)</script>`}},
		Merchants: []web.DemoMerchant{{ID: "mch_1", Name: "Toko", APIKey: "sk_test_abc"}},
		Agents: []web.DemoAgent{{Email: "a@example.com", Role: "agent", Team: "general", TOTPSecret: "ABCDEF",
			OTPAuthURL: "otpauth://totp/Dompet:a@example.com?secret=ABCDEF"}}}
	for _, l := range []*web.DemoLogins{logins, nil} {
		a, err := app.New(context.Background(), cfg, nil, app.Options{DB: dbtest.Open(t), Notify: notify.NewRecorder(nil, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		api, err := handler(cfg, nil, a, l)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(api)
		resp, err := http.Get(srv.URL + "/demo")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		page := string(b)
		if l == nil {
			if resp.StatusCode != 404 {
				t.Fatalf("/demo without demo logins: %s", resp.Status)
			}
			continue
		}
		if resp.StatusCode != 200 || strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Fatalf("%s: not escaped:\n%s", resp.Status, page)
		}
		for _, want := range []string{"pw&lt;b&gt;", "147258", "agent&amp;pw", "sk_test_abc", "mch_1", "ABCDEF",
			`href="otpauth://totp/Dompet:a@example.com?secret=ABCDEF"`, `href="/demo/messages"`} {
			if !strings.Contains(page, want) {
				t.Errorf("/demo lacks %s", want)
			}
		}
	}
}
