package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/bus"
	"github.com/dompet/dompet/internal/bus/bustest"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
)

// TestBusFromConfig: without DOMPET_NATS_URL the bus is in process; with it, two Apps on one
// store (as two processes) share events through NATS, and the desk publishes on that bus; a
// NATS server that does not answer stops the start.
func TestBusFromConfig(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.Open(t)
	cfg := config.Default()
	local, err := app.New(ctx, cfg, nil, app.Options{DB: store})
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	if _, ok := local.Bus.(*bus.Local); !ok {
		t.Fatalf("bus %T without DOMPET_NATS_URL, want *bus.Local", local.Bus)
	}

	cfg.NATSURL = bustest.URL(t)
	one, err := app.New(ctx, cfg, nil, app.Options{DB: store})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	two, err := app.New(ctx, cfg, nil, app.Options{DB: store})
	if err != nil {
		t.Fatal(err)
	}
	defer two.Close()
	if _, ok := one.Bus.(*bus.NATS); !ok || one.Support.Bus() != one.Bus {
		t.Fatalf("bus %T (desk's %T) with DOMPET_NATS_URL, want the App's *bus.NATS", one.Bus, one.Support.Bus())
	}
	subj := fmt.Sprintf("apptest.%d.general", time.Now().UnixNano()) // unique on a shared server
	events, stop := two.Bus.Subscribe(strings.TrimSuffix(subj, "general") + "*")
	defer stop()
	if err := one.Bus.Publish(ctx, subj, []byte(`{"type":"queue"}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e.Subject != subj || string(e.Payload) != `{"type":"queue"}` {
			t.Fatalf("got %s %s", e.Subject, e.Payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the other App heard nothing")
	}

	cfg.NATSURL = "nats://127.0.0.1:1"
	if a, err := app.New(ctx, cfg, nil, app.Options{DB: store}); err == nil {
		_ = a.Close()
		t.Fatal("started with a NATS server that does not answer")
	}
}
