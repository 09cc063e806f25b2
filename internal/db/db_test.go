package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
)

func TestInsertRowsAndUnique(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	if _, err := d.Exec(ctx, "CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	var rows []db.Row
	for i := range 5000 { // more than one chunk
		rows = append(rows, db.Row{Table: "kv", Cols: []string{"k", "v"}, Vals: []any{fmt.Sprintf("k%05d", i), int64(i)}})
	}
	err := d.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error { return tx.InsertRows(ctx, rows) })
	if err != nil {
		t.Fatal(err)
	}
	var n, sum int64
	if err := d.QueryRow(ctx, "SELECT COUNT(*), SUM(v) FROM kv").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != 5000 || sum != 4999*5000/2 {
		t.Fatalf("got %d rows summing %d", n, sum)
	}
	err = d.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error { return tx.InsertRows(ctx, rows[:1]) })
	if !db.IsUniqueViolation(err) {
		t.Fatalf("duplicate insert: got %v, want a unique violation", err)
	}
	rows[0].IgnoreConflict = true
	err = d.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error { return tx.InsertRows(ctx, rows[:1]) })
	if err != nil {
		t.Fatalf("ignored conflict: %v", err)
	}
}

func TestWithTxJoinsOuterAndRollsBack(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	if _, err := d.Exec(ctx, "CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	boom := context.Canceled
	err := d.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO kv (k, v) VALUES (?, ?)", "a", 1); err != nil {
			return err
		}
		return d.WithTx(ctx, func(ctx context.Context, inner *db.Tx) error {
			if inner != tx {
				t.Error("inner WithTx did not join the outer transaction")
			}
			return boom
		})
	})
	if err != boom {
		t.Fatalf("got %v", err)
	}
	var n int
	if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM kv").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("rolled-back insert is visible: %d rows", n)
	}
}

// BenchmarkQueryRow measures a small indexed read through the reader pool, the shape of the
// per-request lookups (idempotency key, PIN state); on SQLite the statement is cached.
func BenchmarkQueryRow(b *testing.B) {
	d := dbtest.Open(b)
	ctx := context.Background()
	if _, err := d.Exec(ctx, "CREATE TABLE kv (owner TEXT, k TEXT, v BIGINT NOT NULL, PRIMARY KEY (owner, k))"); err != nil {
		b.Fatal(err)
	}
	if _, err := d.Exec(ctx, "INSERT INTO kv (owner, k, v) VALUES ('o', 'a', 1)"); err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var v int64
			if err := d.QueryRow(ctx, "SELECT v FROM kv WHERE owner = ? AND k = ?", "o", "a").Scan(&v); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func TestStatementCacheIsBounded(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	for i := range 400 {
		var v int64
		if err := d.QueryRow(ctx, fmt.Sprintf("SELECT %d + ?", i), 1).Scan(&v); err != nil || v != int64(i+1) {
			t.Fatalf("query %d: %d %v", i, v, err)
		}
	}
	if n := d.CachedStatements(); n > 256 {
		t.Fatalf("%d statements cached", n)
	}
}

func TestForDialect(t *testing.T) {
	src := "A;\n-- +dialect sqlite\nS;\n-- +dialect postgres\nP;\n-- +dialect all\nB;\n"
	for d, want := range map[db.Dialect]string{db.SQLite: "A;\n\nS;\n\n\n\nB;\n", db.Postgres: "A;\n\n\n\nP;\n\nB;\n"} {
		if got := string(db.ForDialect([]byte(src), d)); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
	}
}
