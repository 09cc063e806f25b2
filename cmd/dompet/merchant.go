package main

import (
	"context"
	"errors"

	"github.com/dompet/dompet/internal/merchant"
)

var merchantCreateCmd = command{
	name:    "merchant create",
	args:    "--name N [--webhook-url U]",
	summary: "create a merchant; prints {id, api_key, webhook_secret}",
	run:     merchantCreate,
}

func merchantCreate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	name := fs.String("name", "", "merchant name (required)")
	hook := fs.String("webhook-url", "", "URL that receives signed payment and refund events")
	cfg, err := c.config(fs, args)
	if err != nil {
		return err
	}
	if *name == "" {
		return usageError{errors.New("--name is required")}
	}
	store, err := c.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	m, err := merchant.New(store, merchant.Options{Logger: c.log, AllowPrivateTargets: cfg.WebhookAllowPrivate,
		Test: cfg.Sandbox || cfg.Demo}).Create(ctx, *name, *hook)
	if err != nil {
		return err
	}
	return c.printJSON(m)
}
