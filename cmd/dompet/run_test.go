package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/db"
)

// runTest runs the program in process with only the given DOMPET_* variables set.
func runTest(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code = runWith(context.Background(), args, &out, &errb, lookup)
	return code, out.String(), errb.String()
}

func TestRunDispatch(t *testing.T) {
	dbPath := "sqlite:" + filepath.Join(t.TempDir(), "d.db")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring; "" means stdout must be empty
		stderr string // substring of the logs
	}{
		{"version", []string{"version"}, 0, `"version": "dev"`, ""},
		{"help", []string{"help"}, 0, "", "merchant create"},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command`},
		{"unknown two-word command", []string{"merchant", "delete"}, 2, "", `unknown command \"merchant delete\"`},
		{"bad flag", []string{"migrate", "--nope"}, 2, "", "bad usage"},
		{"bad setting", []string{"migrate", "--db", "mysql://x"}, 2, "", "--db"},
		{"stray argument", []string{"migrate", "--db", dbPath, "extra"}, 2, "", "unexpected argument"},
		{"migrate", []string{"migrate", "--db", dbPath}, 0, `"status": "migrated"`, "migration applied"},
		{"migrate again is a no-op", []string{"migrate", "--db", dbPath, "--log-level", "warn"}, 0, `"dialect": "sqlite"`, ""},
		{"merchant create", []string{"merchant", "create", "--name", "Toko", "--db", dbPath, "--sandbox=false"}, 0, `"api_key": "sk_live_`, ""},
		{"merchant create with the sandbox", []string{"merchant", "create", "--name", "Toko", "--db", dbPath}, 0, `"api_key": "sk_test_`, ""},
		{"merchant create needs a name", []string{"merchant", "create", "--db", dbPath}, 2, "", "--name is required"},
		{"ledger verify", []string{"ledger", "verify", "--db", dbPath}, 0, `"ok": true`, ""},
		{"command help", []string{"merchant", "create", "-h"}, 0, "", "-webhook-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runTest(t, nil, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.code, stdout, stderr)
			}
			if tt.stdout == "" && stdout != "" {
				t.Fatalf("stdout not empty: %s", stdout)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Fatalf("stdout %q lacks %q", stdout, tt.stdout)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("stderr %q lacks %q", stderr, tt.stderr)
			}
			if stdout != "" && !json.Valid([]byte(stdout)) {
				t.Fatalf("stdout is not one JSON document: %s", stdout)
			}
		})
	}
}

func TestEnvConfiguresCommands(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "env.db")
	code, stdout, stderr := runTest(t, map[string]string{"DOMPET_DB": "sqlite:" + dbPath}, "migrate")
	if code != 0 || !strings.Contains(stdout, "migrated") {
		t.Fatalf("%d %s %s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, `"level":"INFO"`) {
		t.Fatalf("logs are not JSON slog: %s", stderr)
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		args []string
		name string
		rest int
	}{
		{nil, "serve", 0},
		{[]string{"--demo"}, "serve", 1},
		{[]string{"serve", "--addr", "x"}, "serve", 2},
		{[]string{"agent", "create", "--email", "a@b"}, "agent create", 2},
		{[]string{"ledger", "verify"}, "ledger verify", 0},
	}
	for _, tt := range tests {
		c, rest, err := lookup(tt.args)
		if err != nil || c.name != tt.name || len(rest) != tt.rest {
			t.Errorf("lookup(%v) = %q %v %v", tt.args, c.name, rest, err)
		}
	}
	seen := map[string]bool{}
	for _, c := range commands() {
		if seen[c.name] || c.run == nil || c.summary == "" {
			t.Errorf("command %q: duplicate, or no run or summary", c.name)
		}
		seen[c.name] = true
	}
}

func TestLedgerVerifyFindsMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	if code, _, stderr := runTest(t, nil, "migrate", "--db", "sqlite:"+path); code != 0 {
		t.Fatal(stderr)
	}
	d, err := db.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	// A balance the journal does not explain, as a bug or a hand edit would leave.
	_, err = d.Exec(context.Background(), `INSERT INTO ledger_accounts (id, owner, kind, currency, balance, created_at)
		VALUES ('acc_x', 'user:x', 'wallet', 'IDR', 500, 0)`)
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runTest(t, nil, "ledger", "verify", "--db", "sqlite:"+path)
	if code != 1 || !strings.Contains(stdout, `"ok": false`) || !strings.Contains(stdout, "IDR sums to 500") {
		t.Fatalf("exit %d, stdout %s", code, stdout)
	}
}
