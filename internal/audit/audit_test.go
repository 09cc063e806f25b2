package audit

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/fault"
)

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if fault.Code(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

// rows is the whole audit log, every column, in id order.
func rows(t testing.TB, d *db.DB) []string {
	t.Helper()
	r, err := d.Query(context.Background(), "SELECT "+strings.Join(cols, ", ")+" FROM audit_log ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for r.Next() {
		var c [10]any
		ptrs := make([]any, len(c))
		for i := range c {
			ptrs[i] = &c[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(c))
	}
	return out
}

// TestRowsCannotChange: the database itself refuses to update or delete audit rows, on
// SQLite and on PostgreSQL, whoever asks, even inside a transaction that inserts.
func TestRowsCannotChange(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	l := New(d, nil)
	for i := range 3 {
		if err := l.Write(ctx, Entry{ActorType: ActorSystem, Action: "test.written", TargetID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	before := rows(t, d)
	attempts := []string{
		"UPDATE audit_log SET reason = 'rewritten'",
		"UPDATE audit_log SET actor_id = 'someone-else' WHERE target_id = '1'",
		"DELETE FROM audit_log",
		"DELETE FROM audit_log WHERE target_id = '2'",
	}
	if d.Dialect == db.Postgres {
		attempts = append(attempts, "TRUNCATE audit_log")
	}
	for _, q := range attempts {
		if _, err := d.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
		// Inside a transaction, too: the refusal fails it, and the row it inserted goes with it.
		err := d.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			if err := Insert(ctx, tx, Entry{At: time.Now(), ActorType: ActorSystem, Action: "test.in_tx"}); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, q)
			return err
		})
		if err == nil {
			t.Errorf("%s in a transaction: no error", q)
		}
	}
	if after := rows(t, d); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("the audit log changed:\n%v\n%v", before, after)
	}
	// Inserting still works.
	if err := l.Write(ctx, Entry{ActorType: ActorSystem, Action: "test.after"}); err != nil {
		t.Fatal(err)
	}
}

func TestWriteAndList(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	l := New(d, func() time.Time { return now })
	wantCode(t, l.Write(ctx, Entry{ActorType: "robot", Action: "x"}), "invalid_request")
	wantCode(t, l.Write(ctx, Entry{ActorType: ActorSystem}), "invalid_request")

	sctx := WithActor(ctx, Actor{Type: ActorStaff, ID: "stf_1", IP: "10.0.0.8", Reason: "checked the caller's id"})
	for i := range 5 {
		now = now.Add(time.Hour)
		e := Entry{Action: "staff.customer_viewed", TargetType: "user", TargetID: fmt.Sprintf("usr_%d", i%2), Detail: map[string]any{"n": i}}
		c := sctx
		if i == 4 {
			c, e.ActorType = ctx, ActorSystem
		}
		if err := l.Write(c, e); err != nil {
			t.Fatal(err)
		}
	}
	all, next, err := l.List(ctx, Query{})
	if err != nil || next != "" || len(all) != 5 {
		t.Fatalf("%d %q %v", len(all), next, err)
	}
	if e := all[1]; e.ActorType != ActorStaff || e.ActorID != "stf_1" || e.IP != "10.0.0.8" || e.Reason == "" ||
		e.Detail["n"] != float64(3) || !e.At.Equal(time.Date(2026, 11, 2, 13, 0, 0, 0, time.UTC)) {
		t.Fatalf("entry %+v", e)
	}
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		q    Query
		want int
	}{
		{Query{Actor: "stf_1"}, 4},
		{Query{Subject: "usr_0"}, 3},
		{Query{Actor: "stf_1", Subject: "usr_0"}, 2},
		{Query{From: t0.Add(2 * time.Hour)}, 4},
		{Query{From: t0.Add(2 * time.Hour), To: t0.Add(4 * time.Hour)}, 2},
		{Query{ActorType: ActorSystem}, 1},
		{Query{Action: "nope"}, 0},
	} {
		got, _, err := l.List(ctx, tt.q)
		if err != nil || len(got) != tt.want {
			t.Errorf("%+v: %d entries, want %d (%v)", tt.q, len(got), tt.want, err)
		}
	}
	var paged []Entry
	q := Query{Limit: 2}
	for {
		page, next, err := l.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page...)
		if next == "" {
			break
		}
		q.Cursor = next
	}
	if fmt.Sprint(paged) != fmt.Sprint(all) {
		t.Fatalf("pages %v\nall %v", paged, all)
	}
	_, _, err = l.List(ctx, Query{Cursor: "x' OR 1=1"})
	wantCode(t, err, "invalid_request")
}

// TestNothingRewritesTheAuditLog: no code of Dompet even tries to update or delete audit
// rows (the triggers would refuse; this finds the attempt before it fails in production).
func TestNothingRewritesTheAuditLog(t *testing.T) {
	root := filepath.Join("..", "..")
	bad := regexp.MustCompile(`(?is)\b(update\s+audit_log|delete\s+from\s+audit_log|truncate\s+(table\s+)?audit_log|alter\s+table\s+audit_log)\b`)
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || strings.HasSuffix(path, "_test.go") || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".sql")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		if m := bad.Find(b); m != nil {
			t.Errorf("%s: %q", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("only %d files checked", checked)
	}
}
