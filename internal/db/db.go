// Package db opens Dompet's SQL store (SQLite or PostgreSQL), hides the few dialect differences
// the domain packages meet (placeholders, error classes), runs transactions and migrations.
// It knows no domain: tables and queries live in the packages that own them.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// Dialect tells which SQL engine is behind a DB.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is a store: a writer pool and a reader pool. On SQLite the writer is a single connection
// (SQLite allows one writer at a time; queueing in Go beats "database is locked"), readers are
// several; on PostgreSQL both are the same pool.
type DB struct {
	Dialect Dialect
	W       *sql.DB
	R       *sql.DB

	rebound sync.Map // query text with ? → query text with $n

	// Prepared statements of the reader pool, by query text (SQLite only: its driver does
	// not cache them, and parsing is a good part of a small query's cost; pgx caches its own).
	stmts  sync.Map
	nstmts atomic.Int32
}

// maxStmts bounds the statement cache: queries built with a variable number of placeholders
// must not fill it.
const maxStmts = 256

// CachedStatements is the number of prepared statements kept.
func (d *DB) CachedStatements() int { return int(d.nstmts.Load()) }

// reader returns a prepared statement for q on the reader pool, or nil when q is not cached.
func (d *DB) reader(ctx context.Context, q string) *sql.Stmt {
	if d.Dialect != SQLite || len(q) > 2048 {
		return nil
	}
	if v, ok := d.stmts.Load(q); ok {
		return v.(*sql.Stmt)
	}
	if d.nstmts.Load() >= maxStmts {
		return nil
	}
	st, err := d.R.PrepareContext(ctx, q)
	if err != nil {
		return nil // the query itself will report the error
	}
	if v, loaded := d.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return v.(*sql.Stmt)
	}
	d.nstmts.Add(1)
	return st
}

// Open opens the store named by dsn: "sqlite:PATH" (or a bare path) or a postgres:// URL.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("open sqlite: empty path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
	}
	// synchronous(FULL): every acknowledged commit is on disk; throughput comes from batching.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	r.SetConnMaxIdleTime(0)
	r.SetConnMaxLifetime(0)
	return &DB{Dialect: SQLite, W: w, R: r}, nil
}

func openPostgres(ctx context.Context, url string) (*DB, error) {
	p, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	p.SetMaxOpenConns(24)
	p.SetMaxIdleConns(24)
	if err := p.PingContext(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return &DB{Dialect: Postgres, W: p, R: p}, nil
}

// Close closes both pools.
func (d *DB) Close() error {
	d.stmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	err := d.W.Close()
	if d.R != d.W {
		err = errors.Join(err, d.R.Close())
	}
	return err
}

// Ping checks that the store answers (for /readyz).
func (d *DB) Ping(ctx context.Context) error {
	return d.R.PingContext(ctx)
}

// Rebind turns the ? placeholders of portable SQL into $1, $2… for PostgreSQL.
// Queries in Dompet never hold a literal '?' inside a string.
func (d *DB) Rebind(q string) string {
	if d.Dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	if v, ok := d.rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	out := b.String()
	if len(q) < 4096 { // don't cache one-off bulk statements
		d.rebound.Store(q, out)
	}
	return out
}

// Exec runs a write outside any transaction.
func (d *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return d.W.ExecContext(ctx, d.Rebind(q), args...)
}

// Query reads through the reader pool.
func (d *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := d.reader(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return d.R.QueryContext(ctx, d.Rebind(q), args...)
}

// QueryRow reads one row through the reader pool.
func (d *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := d.reader(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.R.QueryRowContext(ctx, d.Rebind(q), args...)
}
