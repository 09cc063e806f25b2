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
	// The port is taken first: a busy one fails before any migration, and the URL to open is
	// known (also for port 0) for the demo's first line on stdout, before the JSON log on
	// stderr. Without --demo, stdout stays empty.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close() // closed by the server once it serves; this covers an early return
	base := baseURL(ln.Addr())
	if cfg.Demo {
		fmt.Fprintf(c.stdout, "Dompet demo: open %s/demo (the logins) once the demo data is loaded.\n", base)
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
	var logins *web.DemoLogins
	if cfg.Demo {
		sum, err := loadDemo(ctx, c, a)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		logins = &sum.Logins
		if err := writeDemoLogins(c.stdout, base, sum.Logins); err != nil {
			return err
		}
	}

	api, err := handler(cfg, c.log, a, logins)
	if err != nil {
		return err
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
	c.log.Info("listening", "addr", ln.Addr().String(), "url", base+"/")

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

// baseURL is the address a browser on this machine opens for a listener on addr: an
// unspecified host (":8080", "0.0.0.0") is reached at 127.0.0.1.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// handler is the one HTTP front of the product: the API and the pages side by side. demo,
// in demo mode, is what /demo shows.
func handler(cfg config.Config, log *slog.Logger, a *app.App, demo *web.DemoLogins) (*httpapi.Server, error) {
	f, err := httpapi.NewFront(cfg, log, a.Registry)
	if err != nil {
		return nil, err
	}
	api, err := httpapi.New(httpapi.Options{Config: cfg, DB: a.DB, Log: log, Version: buildVersion(),
		Identity: a.Identity, Staff: a.Staff, Audit: a.Audit, Merchants: a.Merchants, Wallet: a.Wallet, Checkout: a.Checkout, Support: a.Support, Inbox: a.Inbox, Help: a.Help, Front: f})
	if err != nil {
		return nil, err
	}
	docs, err := web.APIDocs(api.OpenAPIDocument())
	if err != nil {
		return nil, err
	}
	routes, err := pages(a, log, demo)
	if err != nil {
		return nil, err
	}
	for _, rt := range append(routes, docs) {
		if err := f.Handle(rt); err != nil {
			return nil, err
		}
	}
	return api, nil
}

// pages are what is outside /api/: the front page, the web app and, in demo mode, /demo
// (the logins) and /demo/messages (the SMS and emails sent, codes included) for a person
// trying Dompet.
func pages(a *app.App, log *slog.Logger, demo *web.DemoLogins) ([]front.Route, error) {
	o := web.Options{Demo: a.Recorder != nil, DemoLogins: demo, Log: log, Explain: explain, Problem: httpapi.WriteProblem,
		Services:     web.Services{Identity: a.Identity, Wallet: a.Wallet, Inbox: a.Inbox, Staff: a.Staff, Support: a.Support, Help: a.Help, Checkout: a.Checkout},
		SupportPhone: a.Config.SupportPhone, SupportEmail: a.Config.SupportEmail}
	if a.Recorder != nil {
		o.DemoMessages = notify.DemoPage(a.Recorder)
	}
	return web.Routes(o)
}

// explain words a refused page action as the API's problem+json would.
func explain(err error, l front.Locale) web.Explanation {
	e := httpapi.Explain(err, l)
	out := web.Explanation{Status: e.Status, Code: e.Code, Title: e.Title, Detail: e.Detail, Fields: e.Fields}
	for _, f := range e.Errors {
		out.Errors = append(out.Errors, web.FieldError{Field: f.Field, Message: f.Message})
	}
	return out
}
