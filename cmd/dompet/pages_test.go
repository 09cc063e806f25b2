package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/httpapi"
	"github.com/dompet/dompet/internal/notify"
)

// TestDemoMessagesPage: /demo/messages lists what was sent in demo mode and is absent otherwise.
func TestDemoMessagesPage(t *testing.T) {
	for _, demo := range []bool{true, false} {
		cfg := config.Default()
		cfg.Demo = demo
		ctx := context.Background()
		a, err := app.New(ctx, cfg, nil, app.Options{DB: dbtest.Open(t), Notify: notify.NewRecorder(nil, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := a.Notify.Send(ctx, notify.Message{Channel: notify.SMS, To: "+6281234567890", Text: "Kode 918273", Kind: "recovery_code"}); err != nil {
			t.Fatal(err)
		}
		api, err := httpapi.New(httpapi.Options{Config: cfg, DB: a.DB, Version: "test", Identity: a.Identity, Staff: a.Staff, Audit: a.Audit,
			Merchants: a.Merchants, Wallet: a.Wallet, Registry: a.Registry, Fallback: pages(a)})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(api)
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/demo/messages")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		shown := resp.StatusCode == 200 && strings.Contains(string(b), "918273")
		if shown != demo {
			t.Errorf("demo=%v: %s, code shown: %v", demo, resp.Status, shown)
		}
	}
}
