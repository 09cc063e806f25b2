package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/staff"
)

// totpAt is the RFC 6238 code of a base32 secret at t (HMAC-SHA1, 6 digits, 30 s steps),
// written here apart from Dompet's implementation.
func totpAt(secret string, t time.Time) string {
	key, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(t.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:off+4])&0x7fffffff)%1_000_000)
}

// TestAgentListUpdate runs `dompet agent list` and `dompet agent update`: what they print,
// what they refuse, that disabling ends the member's session at once, and that each change
// is audited with its reason.
func TestAgentListUpdate(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "agents.db")
	created := map[string]agentCreated{}
	for _, email := range []string{"sari@dompet.example", "budi@dompet.example"} {
		code, stdout, stderr := runTest(t, agentEnv, "agent", "create", "--db", dsn, "--email", email, "--name", "N "+email)
		if code != 0 {
			t.Fatalf("create: exit %d %s", code, stderr)
		}
		var out agentCreated
		_ = json.Unmarshal([]byte(stdout), &out)
		created[email] = out
	}
	code, stdout, stderr := runTest(t, agentEnv, "agent", "list", "--db", dsn)
	var list []staff.Staff
	if code != 0 || json.Unmarshal([]byte(stdout), &list) != nil || len(list) != 2 || list[0].Capacity != 3 || list[0].Status != "active" {
		t.Fatalf("list: exit %d %s %s", code, stdout, stderr)
	}

	ctx := context.Background()
	store, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := staff.New(store, identity.New(store, identity.Options{}), staff.Options{Sealer: agentBox(t)})
	sari := created["sari@dompet.example"]
	ss, _, err := svc.Login(ctx, staff.LoginInput{Email: sari.Email, Password: sari.Password, OTP: totpAt(sari.TOTPSecret, time.Now())})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no member", []string{"--reason", "x", "--capacity", "2"}, 2, "--id and --email"},
		{"no reason", []string{"--id", sari.ID, "--capacity", "2"}, 2, "--reason is required"},
		{"nothing", []string{"--id", sari.ID, "--reason", "x"}, 2, "nothing to change"},
		{"bad role", []string{"--id", sari.ID, "--reason", "x", "--role", "root"}, 2, "role"},
		{"bad team", []string{"--id", sari.ID, "--reason", "x", "--team", "sales"}, 2, "team"},
		{"unknown email", []string{"--email", "ghost@dompet.example", "--reason", "x", "--capacity", "2"}, 2, "no staff member"},
		{"unknown id", []string{"--id", "stf_nope", "--reason", "x", "--capacity", "2"}, 1, "not_found"},
		{"promote", []string{"--email", "SARI@dompet.example", "--reason", "team lead now", "--role", "supervisor",
			"--team", "payments", "--capacity", "5"}, 0, ""},
		{"disable", []string{"--id", sari.ID, "--reason", "left the company", "--disabled"}, 0, ""},
	}
	for _, tt := range tests {
		code, stdout, stderr := runTest(t, agentEnv, append([]string{"agent", "update", "--db", dsn}, tt.args...)...)
		if code != tt.code || !strings.Contains(stderr, tt.stderr) {
			t.Fatalf("%s: exit %d, want %d; stderr %s", tt.name, code, tt.code, stderr)
		}
		if code != 0 {
			continue
		}
		var st staff.Staff
		if err := json.Unmarshal([]byte(stdout), &st); err != nil || st.ID != sari.ID || st.Role != "supervisor" ||
			st.Team != "payments" || st.Capacity != 5 {
			t.Fatalf("%s: printed %s", tt.name, stdout)
		}
		if tt.name == "disable" && (!st.Disabled || st.Status != "disabled") {
			t.Fatalf("disable: printed %s", stdout)
		}
	}
	if _, err := svc.Authenticate(ctx, ss.Token); err == nil {
		t.Fatal("the disabled member's session still works")
	}
	entries, _, err := audit.New(store, nil).List(ctx, audit.Query{Subject: sari.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Action+":"+e.ActorType+":"+e.Reason)
	}
	if want := "staff.disabled:system:left the company,staff.updated:system:team lead now"; !strings.HasPrefix(strings.Join(got, ","), want) {
		t.Fatalf("audit %v", got)
	}
}
