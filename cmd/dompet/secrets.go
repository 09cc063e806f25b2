package main

import (
	"context"
	"fmt"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/secret"
)

var secretsRotateCmd = command{
	name:    "secrets rotate",
	summary: "re-seal every secret at rest under a new server key, then retire the old one (safe to re-run if interrupted)",
	run:     secretsRotate,
}

// secretsRotate rotates the server key. With the key file (no DOMPET_SECRET_KEY) it does the
// whole rotation (secret.Rotate). With DOMPET_SECRET_KEY the keys live outside Dompet, so it
// works in two rounds: given one key it prints a fresh one and the steps; given "NEW,OLD…" it
// re-seals everything under NEW and says which keys may now be dropped.
func secretsRotate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	cfg, err := c.config(fs, args)
	if err != nil {
		return err
	}
	if cfg.SecretKey == "" {
		path := secret.KeyFilePath(cfg.DataDir)
		if _, err := secret.Load(cfg.DataDir, ""); err != nil { // checks it, or creates it on a first run
			return err
		}
		store, err := c.openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer store.Close()
		r, err := secret.Rotate(ctx, store, path, app.SecretColumns())
		if err != nil {
			return err
		}
		c.log.Info("server key rotated", "key_id", r.KeyID, "retired", r.Retired, "resealed", r.Resealed)
		return c.printJSON(map[string]any{"status": "rotated", "key_file": path, "key_id": r.KeyID,
			"retired": r.Retired, "resealed": r.Resealed})
	}

	keys, err := secret.ParseKeys(cfg.SecretKey)
	if err != nil {
		return usageError{fmt.Errorf("DOMPET_SECRET_KEY: %w", err)}
	}
	if len(keys) == 1 {
		fresh := secret.NewKey()
		return c.printJSON(map[string]any{"status": "new_key", "new_key": secret.EncodeKey(fresh), "new_key_id": secret.KeyID(fresh),
			"steps": []string{
				"1. set DOMPET_SECRET_KEY=<new_key>,<current key> for every server and restart them (the new key seals, both open)",
				"2. run `dompet secrets rotate` again with that DOMPET_SECRET_KEY: it re-seals every secret under the new key",
				"3. set DOMPET_SECRET_KEY=<new_key> alone and restart the servers",
			}})
	}
	box, err := secret.New(keys...)
	if err != nil {
		return err
	}
	store, err := c.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := secret.ResealAll(ctx, store, box, app.SecretColumns())
	if err != nil {
		return err
	}
	var retired []string
	for _, k := range keys[1:] {
		retired = append(retired, secret.KeyID(k))
	}
	c.log.Info("secrets re-sealed under the first key", "key_id", box.CurrentID(), "resealed", n)
	return c.printJSON(map[string]any{"status": "resealed", "key_id": box.CurrentID(), "retired": retired, "resealed": n,
		"steps": []string{"set DOMPET_SECRET_KEY to its first key alone and restart the servers: nothing is sealed under the others any more"}})
}
