package db

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

// Migrate applies the numbered migrations in fsys that are not applied yet.
func (d *DB) Migrate(ctx context.Context, fsys fs.FS, log *slog.Logger) error {
	dialect := database.DialectSQLite3
	if d.Dialect == Postgres {
		dialect = database.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, d.W, fsys)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range res {
		if log != nil {
			log.Info("migration applied", "version", r.Source.Version, "path", r.Source.Path, "took", r.Duration)
		}
	}
	return nil
}
