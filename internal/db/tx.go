package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Tx is a write transaction with the same placeholder handling as DB.
type Tx struct {
	d  *DB
	tx *sql.Tx
}

type txKey struct{}

// WithTx runs fn in a write transaction and commits when fn returns nil. A WithTx inside
// another (found through ctx) joins the outer transaction, so domain calls compose. Conflicts
// the engine resolves by aborting one side (deadlock, serialization failure, busy) are retried.
func (d *DB) WithTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if outer, ok := ctx.Value(txKey{}).(*Tx); ok && outer.d == d {
		return fn(ctx, outer)
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = d.tryTx(ctx, fn)
		if err == nil || !IsRetryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (d *DB) tryTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	stx, err := d.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{d: d, tx: stx}
	if err := fn(context.WithValue(ctx, txKey{}, tx), tx); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Dialect is the dialect of the store the transaction runs on.
func (t *Tx) Dialect() Dialect { return t.d.Dialect }

// Exec runs a statement in the transaction.
func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.Rebind(q), args...)
}

// Query runs a query in the transaction.
func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.d.Rebind(q), args...)
}

// QueryRow runs a one-row query in the transaction.
func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.Rebind(q), args...)
}

// Prepare prepares a statement for repeated use in the transaction.
func (t *Tx) Prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, t.d.Rebind(q))
}

// ForUpdate is the row-locking suffix for a SELECT: PostgreSQL locks the rows; SQLite's
// immediate transactions already hold the only write lock.
func (t *Tx) ForUpdate() string {
	if t.d.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// Row is one row to insert. Rows of the same table and columns are written together in
// multi-row INSERT statements by InsertRows.
type Row struct {
	Table string
	Cols  []string
	Vals  []any
	// IgnoreConflict skips the row when it collides with a unique key.
	IgnoreConflict bool
}

// InsertRows writes rows grouped by table and column list, in the order each group first
// appears, with as few statements as the engines' parameter limits allow.
func (t *Tx) InsertRows(ctx context.Context, rows []Row) error {
	type group struct {
		head Row
		vals [][]any
	}
	var order []string
	groups := map[string]*group{}
	for _, r := range rows {
		if len(r.Cols) != len(r.Vals) {
			return fmt.Errorf("insert into %s: %d columns, %d values", r.Table, len(r.Cols), len(r.Vals))
		}
		k := r.Table + "(" + strings.Join(r.Cols, ",") + ")"
		if r.IgnoreConflict {
			k += "!"
		}
		g, ok := groups[k]
		if !ok {
			g = &group{head: r}
			groups[k] = g
			order = append(order, k)
		}
		g.vals = append(g.vals, r.Vals)
	}
	for _, k := range order {
		g := groups[k]
		per := 30000 / len(g.head.Cols) // both engines take at least 32766 parameters
		for start := 0; start < len(g.vals); start += per {
			end := min(start+per, len(g.vals))
			if err := t.insertChunk(ctx, g.head, g.vals[start:end]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *Tx) insertChunk(ctx context.Context, head Row, vals [][]any) error {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(head.Table)
	b.WriteString(" (")
	b.WriteString(strings.Join(head.Cols, ", "))
	b.WriteString(") VALUES ")
	ph := "(" + strings.TrimSuffix(strings.Repeat("?,", len(head.Cols)), ",") + ")"
	args := make([]any, 0, len(vals)*len(head.Cols))
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(ph)
		args = append(args, v...)
	}
	if head.IgnoreConflict {
		b.WriteString(" ON CONFLICT DO NOTHING")
	}
	if _, err := t.Exec(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("insert into %s: %w", head.Table, err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique-key collision.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsRetryable reports whether err is a conflict that a fresh attempt of the same
// transaction may not meet again.
func IsRetryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// ErrNotFound is returned by lookups that find nothing; domain packages wrap it.
var ErrNotFound = errors.New("not found")

// NotFound turns sql.ErrNoRows into ErrNotFound and leaves other errors alone.
func NotFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
