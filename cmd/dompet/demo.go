package main

import (
	"context"

	"github.com/dompet/dompet/internal/app"
)

var demoCmd = command{
	name:    "demo",
	summary: "load demo users, merchants, agents and articles (also serve --demo)",
	run:     demo,
}

func demo(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	cfg, err := c.config(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, c.log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	return loadDemo(ctx, c, a)
}

// loadDemo loads the demo data; serve --demo calls it too. It must be safe to run on every
// start (loading what is missing only).
func loadDemo(ctx context.Context, c *cli, a *app.App) error {
	return errNotImplemented
}
