package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/secret"
	"github.com/dompet/dompet/internal/staff"
)

// TestAgentCreate runs `dompet agent create` and checks what it prints (API.md: exactly
// {id, email, password, totp_secret}) by logging in with it: the password and a TOTP code
// made by oathtool from the printed secret.
func TestAgentCreate(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "agents.db")
	code, stdout, stderr := runTest(t, agentEnv, "agent", "create", "--db", dsn,
		"--email", "Sari@Dompet.Example", "--name", "Sari Wulandari", "--role", "supervisor", "--team", "accounts")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("stdout is not JSON: %s", stdout)
	}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if strings.Join(keys, ",") != "email,id,password,totp_secret" {
		t.Fatalf("printed fields %v: %s", keys, stdout)
	}
	var out agentCreated
	_ = json.Unmarshal([]byte(stdout), &out)
	if !strings.HasPrefix(out.ID, "stf_") || out.Email != "sari@dompet.example" || len(out.Password) < 20 || len(out.TOTPSecret) != 32 {
		t.Fatalf("printed %+v", out)
	}
	if strings.Contains(stderr, out.Password) || strings.Contains(stderr, out.TOTPSecret) {
		t.Fatal("a secret is in the logs")
	}

	ctx := context.Background()
	store, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ids := staff.New(store, identity.New(store, identity.Options{}), staff.Options{Sealer: agentBox(t)})
	ss, st, err := ids.Login(ctx, staff.LoginInput{Email: out.Email, Password: out.Password,
		OTP: oathtoolNow(t, out.TOTPSecret)})
	if err != nil {
		t.Fatalf("login with what agent create printed: %v", err)
	}
	if st.ID != out.ID || st.Role != "supervisor" || st.Team != "accounts" || st.Name != "Sari Wulandari" || ss.Token == "" {
		t.Fatalf("staff %+v", st)
	}

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"given password", []string{"--email", "b@dompet.example", "--name", "B", "--password", "Given-Pass-77!"}, 0, ""},
		{"default role and team", []string{"--email", "c@dompet.example", "--name", "C"}, 0, ""},
		{"duplicate email", []string{"--email", "sari@dompet.example", "--name", "S"}, 1, "already_exists"},
		{"no email", []string{"--name", "N"}, 2, "--email is required"},
		{"no name", []string{"--email", "d@dompet.example"}, 2, "--name is required"},
		{"bad role", []string{"--email", "d@dompet.example", "--name", "D", "--role", "root"}, 2, "role"},
		{"bad team", []string{"--email", "d@dompet.example", "--name", "D", "--team", "sales"}, 2, "team"},
		{"weak password", []string{"--email", "d@dompet.example", "--name", "D", "--password", "password1"}, 2, "weak_password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runTest(t, agentEnv, append([]string{"agent", "create", "--db", dsn}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, stderr)
			}
			if (code == 0) != (stdout != "") {
				t.Fatalf("stdout %q with exit %d", stdout, code)
			}
			if tt.name == "given password" && !strings.Contains(stdout, `"password": "Given-Pass-77!"`) {
				t.Fatalf("stdout %s", stdout)
			}
			if tt.name == "default role and team" {
				list, _ := ids.List(ctx)
				i := slices.IndexFunc(list, func(s staff.Staff) bool { return s.Email == "c@dompet.example" })
				if i < 0 || list[i].Role != "agent" || list[i].Team != "general" {
					t.Fatalf("staff %+v", list)
				}
			}
		})
	}
}

// oathtoolNow is the TOTP code of secret now, from Debian's oathtool.
func oathtoolNow(t *testing.T, secret string) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("oathtool is required on CI: %v", err)
		}
		t.Skip("oathtool not installed (apt-get install oathtool)")
	}
	out, err := exec.Command(path, "--totp", "-b", "--now", time.Now().UTC().Format("2006-01-02 15:04:05 UTC"), secret).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// agentEnv gives the agent commands of these tests a server key, so that they seal TOTP
// secrets as a server would (and leave no key file behind); agentBox opens them.
var agentEnv = map[string]string{"DOMPET_SECRET_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}

func agentBox(t *testing.T) *secret.Box {
	t.Helper()
	keys, err := secret.ParseKeys(agentEnv["DOMPET_SECRET_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	b, err := secret.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
