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

// Timeouts of the HTTP server. Hijacked connections (WebSockets) are free of them.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 60 * time.Second // attachments up to 10 MB on slow phones
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	shutdownTimeout   = 10 * time.Second // in-flight requests get this long to finish
)

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
		if err := loadDemo(ctx, c, a); errors.Is(err, errNotImplemented) {
			c.log.Warn("--demo: demo data is not available in this build yet")
		} else if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}

	api, err := httpapi.New(httpapi.Options{Config: cfg, DB: a.DB, Log: c.log, Version: buildVersion(),
		Identity: a.Identity, Staff: a.Staff, Audit: a.Audit, Merchants: a.Merchants, Wallet: a.Wallet, Registry: a.Registry, Fallback: pages(a)})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(c.log.Handler(), slog.LevelWarn),
	}
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

// pages serves what is outside /api/: the front page and, in demo mode, /demo/messages, the
// SMS and emails sent (codes included) for a person trying Dompet.
func pages(a *app.App) http.Handler {
	var demo http.Handler
	if a.Recorder != nil {
		mux := http.NewServeMux()
		mux.Handle("/demo/messages", notify.DemoPage(a.Recorder))
		demo = mux
	}
	return web.Handler(web.Options{Demo: a.Recorder != nil}, demo)
}
