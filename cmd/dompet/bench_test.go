package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/db/dbtest"
)

// benchDB returns the --db arguments for a bench test: none (the command's own temporary
// SQLite file) unless DOMPET_TEST_DB asks for PostgreSQL, then a fresh schema.
func benchDB(t *testing.T) []string {
	if os.Getenv("DOMPET_TEST_DB") == "" {
		return nil
	}
	return []string{"--db", dbtest.DSN(t)}
}

// TestBenchCommands runs each load generator for about a second and checks the shape of its
// JSON and that money moved and the ledger verified. Throughput is not asserted.
func TestBenchCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("runs load for seconds")
	}
	tests := []struct {
		name    string
		args    []string
		keys    []string
		counter string // a number that must be > 0
	}{
		{"ledger spread", []string{"bench", "ledger", "--accounts", "50", "--duration", "1s", "--concurrency", "8"},
			[]string{"store", "accounts", "hot", "concurrency", "duration_s", "succeeded", "failed", "transfers_per_s", "p50_ms", "p99_ms", "verify"},
			"succeeded"},
		{"ledger hot", []string{"bench", "ledger", "--accounts", "20", "--duration", "1s", "--concurrency", "8", "--hot", "--max-batch", "50"},
			[]string{"store", "hot", "succeeded", "transfers_per_s", "p99_ms"}, "succeeded"},
		{"http spread", []string{"bench", "http", "--users", "10", "--merchants", "3", "--duration", "1s", "--concurrency", "4"},
			[]string{"store", "users", "hot", "concurrency", "duration_s", "payments_per_s", "p50_ms", "p99_ms", "status_counts", "note", "verify"},
			"payments_per_s"},
		{"http hot", []string{"bench", "http", "--users", "5", "--duration", "1s", "--concurrency", "4", "--hot"},
			[]string{"payments_per_s", "status_counts"}, "payments_per_s"},
		{"chat", []string{"bench", "chat", "--connections", "20", "--rate", "20", "--duration", "1s"},
			[]string{"store", "connections", "sent", "acked", "delivered", "p50_ms", "p99_ms", "idle_bytes_per_connection"}, "delivered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// DOMPET_DB names a store the benchmark must leave alone without --db.
			untouched := filepath.Join(t.TempDir(), "real.db")
			env := map[string]string{"DOMPET_DB": "sqlite:" + untouched}
			code, stdout, stderr := runTest(t, env, append(tt.args, benchDB(t)...)...)
			if code != 0 {
				t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
			}
			for _, k := range tt.keys {
				if _, ok := got[k]; !ok {
					t.Errorf("result lacks %q: %s", k, stdout)
				}
			}
			if n, _ := got[tt.counter].(float64); n <= 0 {
				t.Errorf("%s = %v, want > 0", tt.counter, got[tt.counter])
			}
			if v, _ := got["verify"].(map[string]any); got["verify"] != nil && (v == nil || v["ok"] != true) {
				t.Errorf("ledger not verified: %v", got["verify"])
			}
			if counts, ok := got["status_counts"].(map[string]any); ok {
				for status := range counts {
					if status != "201" {
						t.Errorf("payments answered %s: %v", status, counts)
					}
				}
			}
			if _, err := os.Stat(untouched); !os.IsNotExist(err) {
				t.Errorf("the benchmark touched DOMPET_DB (%v)", err)
			}
		})
	}
}

// TestBenchLedgerHelp: "dompet bench ledger -h" lists the benchmark's own flags, not every
// setting of the server, and says what --db defaults to.
func TestBenchLedgerHelp(t *testing.T) {
	_, stdout, stderr := runTest(t, nil, "bench", "ledger", "-h")
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	for _, f := range []string{"-accounts", "-hot", "-duration", "-concurrency", "-max-batch", "-cpuprofile", "-db", "-log-level", "temporary directory"} {
		if !strings.Contains(stderr, f) {
			t.Errorf("help does not mention %q:\n%s", f, stderr)
		}
	}
	for _, f := range []string{"-smtp-listen", "-addr", "-telephony-secret", "-demo", "sqlite:./data/dompet.db", "DOMPET_DB,"} {
		if strings.Contains(stderr, f) {
			t.Errorf("help lists the server's %q:\n%s", f, stderr)
		}
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "disk"},
		{"bench", "ledger", "--accounts", "1"},
		{"bench", "http", "--concurrency", "0"},
		{"bench", "ledger", "extra"},
		{"bench", "ledger", "--db", "mysql://x"},
		{"bench", "ledger", "--smtp-listen", ""},
	} {
		if code, stdout, stderr := runTest(t, nil, args...); code != exitUsage || stdout != "" {
			t.Errorf("%v: exit %d, want %d; stdout %q stderr %s", args, code, exitUsage, stdout, stderr)
		}
	}
}
