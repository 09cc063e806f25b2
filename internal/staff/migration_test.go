package staff

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/schema"
)

// TestMigrationKeepsStaff: a store with staff from before migration 00010 keeps them
// through the rebuild of staff and staff_sessions: a disabled member becomes the flag, a
// locked one stays locked, sessions stay attached, every team exists.
func TestMigrationKeepsStaff(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, dbtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	before := fstest.MapFS{}
	files, _ := fs.Glob(schema.FS, "*.sql")
	for _, name := range files {
		if name < "00010" {
			b, _ := fs.ReadFile(schema.FS, name)
			before[name] = &fstest.MapFile{Data: b}
		}
	}
	if err := d.Migrate(ctx, before, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO staff (id, email, name, role, team, password_hash, totp_secret, totp_last_step, status, failed_logins,
			locked_until, created_at, updated_at) VALUES
			('stf_a', 'a@x.example', 'A', 'agent', 'accounts', 'h', 'SECRETA', 7, 'active', 2, NULL, 1, 1),
			('stf_d', 'd@x.example', 'D', 'admin', 'general', 'h', 'SECRETD', 0, 'disabled', 0, NULL, 1, 1),
			('stf_l', 'l@x.example', 'L', 'supervisor', 'payments', 'h', 'SECRETL', 0, 'locked', 0, 99, 1, 1)`,
		`INSERT INTO staff_sessions (id, staff_id, token_hash, created_at, last_seen_at, expires_at)
			VALUES ('sss_1', 'stf_a', 'th1', 1, 1, 2)`,
	} {
		if _, err := d.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Migrate(ctx, schema.FS, nil); err != nil {
		t.Fatal(err)
	}
	rows, err := d.Query(ctx, `SELECT id, role, team, capacity, disabled, status, failed_logins, totp_secret, totp_last_step
		FROM staff ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id, role, team, status, secret string
		var capacity, disabled, failed, step int
		if err := rows.Scan(&id, &role, &team, &capacity, &disabled, &status, &failed, &secret, &step); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{id, role, team, fmtAny(capacity), fmtAny(disabled), status, fmtAny(failed), secret, fmtAny(step)}, " "))
	}
	rows.Close()
	want := []string{
		"stf_a agent accounts 3 0 active 2 SECRETA 7",
		"stf_d admin general 3 1 active 0 SECRETD 0",
		"stf_l supervisor payments 3 0 locked 0 SECRETL 0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("staff after migration:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var n int
	if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM staff_sessions s JOIN staff t ON t.id = s.staff_id").Scan(&n); err != nil || n != 1 {
		t.Fatalf("sessions %d %v", n, err)
	}
	// The team is a foreign key now.
	if _, err := d.Exec(ctx, "UPDATE staff SET team = 'marketing' WHERE id = 'stf_a'"); err == nil {
		t.Fatal("a member was put in a team that does not exist")
	}
}
