package main

import "context"

var migrateCmd = command{
	name:    "migrate",
	summary: "apply the database migrations and exit",
	run:     migrate,
}

func migrate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	cfg, err := c.config(fs, args)
	if err != nil {
		return err
	}
	store, err := c.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	if err := store.Close(); err != nil {
		return err
	}
	return c.printJSON(map[string]string{"status": "migrated", "dialect": store.Dialect.String()})
}
