package main

import (
	"context"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db"
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
	store, err := c.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	return loadDemo(ctx, c, cfg, store)
}

// loadDemo loads the demo data into store; serve --demo calls it too. It must be safe to run
// on every start (loading what is missing only). To be written with the domain services.
func loadDemo(ctx context.Context, c *cli, cfg config.Config, store *db.DB) error {
	return errNotImplemented
}
