// Package schema holds Dompet's numbered SQL migrations. Each file belongs to the domain
// package that owns its tables; the SQL is portable between SQLite and PostgreSQL (BIGINT for
// money and times in unix microseconds, TEXT for ids and JSON, INTEGER 0/1 for flags).
package schema

import "embed"

// FS holds the migrations, applied in the order of their numbers by db.Migrate.
//
//go:embed *.sql
var FS embed.FS
