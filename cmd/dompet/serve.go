package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/httpapi"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/web"
)

var serveCmd = command{
	name:    "serve",
	args:    "[--demo]",
	summary: "run the server (the default command)",
	run:     serve,
}

// shutdownTimeout is how long in-flight requests get to finish. The server's own timeouts
// are front.NewServer's.
const shutdownTimeout = 10 * time.Second

// serve opens and migrates the store, serves HTTP until ctx ends (SIGINT/SIGTERM), then
// drains in-flight requests for up to shutdownTimeout and closes the store.
func serve(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	cfg, err := c.config(fs, args)
	if err != nil {
		return err
	}
	c.log.Info("starting", "version", buildVersion(), "config", cfg)

	a, err := app.New(ctx, cfg, c.log, app.Options{Background: true})
	if err != nil {
		return err
	}
	defer func() {
		if err := a.Close(); err != nil {
			c.log.Warn("closing the store", "error", err)
		}
	}()
	if cfg.Demo {
		if err := loadDemo(ctx, c, a); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}

	api, err := handler(cfg, c.log, a)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if cfg.SMTPListen != "" && a.Mailbox != nil {
		sln, err := net.Listen("tcp", cfg.SMTPListen)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("smtp listen: %w", err)
		}
		c.log.Info("smtp listener", "addr", sln.Addr().String(), "address", cfg.SupportEmail)
		go func() { // stopped by a.Close (deferred above)
			if err := a.ServeSMTP(context.Background(), sln); err != nil {
				c.log.Error("smtp listener", "error", err)
			}
		}()
	}
	srv := front.NewServer(api, c.log)
	srv.RegisterOnShutdown(api.BeginShutdown)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	c.log.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	c.log.Info("shutting down", "drain", shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		c.log.Warn("requests still running after the drain; closing them", "error", err)
		_ = srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		c.log.Warn("serve", "error", err)
	}
	c.log.Info("stopped")
	return nil
}

// handler is the one HTTP front of the product: the API and the pages side by side.
func handler(cfg config.Config, log *slog.Logger, a *app.App) (*httpapi.Server, error) {
	f, err := httpapi.NewFront(cfg, log, a.Registry)
	if err != nil {
		return nil, err
	}
	api, err := httpapi.New(httpapi.Options{Config: cfg, DB: a.DB, Log: log, Version: buildVersion(),
		Identity: a.Identity, Staff: a.Staff, Audit: a.Audit, Merchants: a.Merchants, Wallet: a.Wallet, Support: a.Support, Inbox: a.Inbox, Front: f})
	if err != nil {
		return nil, err
	}
	docs, err := web.APIDocs(api.OpenAPIDocument())
	if err != nil {
		return nil, err
	}
	for _, rt := range append(pages(a), docs) {
		if err := f.Handle(rt); err != nil {
			return nil, err
		}
	}
	return api, nil
}

// pages are what is outside /api/: the front page and, in demo mode, /demo/messages, the
// SMS and emails sent (codes included) for a person trying Dompet.
func pages(a *app.App) []front.Route {
	o := web.Options{Demo: a.Recorder != nil}
	if a.Recorder != nil {
		o.DemoMessages = notify.DemoPage(a.Recorder)
	}
	return web.Routes(o)
}
