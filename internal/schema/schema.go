// Package schema holds Dompet's numbered SQL migrations. Each file belongs to the domain
// package that owns its tables; the SQL is portable between SQLite and PostgreSQL (BIGINT for
// money and times in unix microseconds, TEXT for ids and JSON, INTEGER 0/1 for flags). What
// cannot be portable (a trigger's body) goes in "-- +dialect sqlite|postgres" sections, ended
// by "-- +dialect all" (see db.Migrate).
package schema

import "embed"

// FS holds the migrations, applied in the order of their numbers by db.Migrate.
//
//go:embed *.sql
var FS embed.FS
