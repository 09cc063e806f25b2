// Package dbtest gives tests a fresh, migrated store: a temporary SQLite file by default, or a
// new PostgreSQL schema when DOMPET_TEST_DB holds a postgres:// URL, so one suite runs on both.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/schema"
)

// DSN returns a data source name for a fresh, empty store and registers its cleanup.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("DOMPET_TEST_DB")
	if base == "" {
		return "sqlite:" + filepath.Join(t.TempDir(), "dompet.db")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	admin, err := db.Open(ctx, base)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("dbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// dsns remembers the data source name behind each store Open returned, so that a test can
// open a second handle on it (a second dompet process).
var dsns sync.Map

// DSNOf returns the data source name of a store made by Open.
func DSNOf(d *db.DB) string {
	v, _ := dsns.Load(d)
	s, _ := v.(string)
	return s
}

// Open returns a migrated store that is closed when the test ends.
func Open(t testing.TB) *db.DB {
	t.Helper()
	dsn := DSN(t)
	d, err := db.Open(context.Background(), dsn)
	dsns.Store(d, dsn)
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background(), schema.FS, nil); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return d
}
