package app_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/secret"
)

// TestServerKeyOnStart: the first start makes the key file 0600 beside the SQLite file, the
// next start uses it, and a key file others may read stops the start.
func TestServerKeyOnStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DB, cfg.DataDir = "sqlite:"+filepath.Join(dir, "d.db"), dir
	a, err := app.New(ctx, cfg, nil, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kid := a.Secrets.CurrentID()
	_ = a.Close()
	path := secret.KeyFilePath(dir)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	a, err = app.New(ctx, cfg, nil, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Secrets.CurrentID() != kid {
		t.Fatal("the second start made another key")
	}
	_ = a.Close()

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if a, err := app.New(ctx, cfg, nil, app.Options{}); err == nil {
		_ = a.Close()
		t.Fatal("started on a world-readable key file")
	}
}
