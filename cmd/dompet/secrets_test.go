package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/secret"
)

// enrolledUser starts Dompet on the store of env (as serve would: the key comes from env),
// registers a user and enrols TOTP; it returns the plain TOTP secret and the user id.
func enrolledUser(t *testing.T, env map[string]string, n int) (string, string) {
	t.Helper()
	ctx := context.Background()
	cfg, _, err := config.Parse("t", nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, cfg, nil, app.Options{Identity: identity.Options{Argon2: identity.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	u, err := a.Identity.Register(ctx, identity.RegisterInput{Phone: fmt.Sprintf("+62812000000%d", n),
		Email: fmt.Sprintf("rot%d@example.com", n), Password: "Kopi-Susu-42-Gula", DisplayName: "Rot"})
	if err != nil {
		t.Fatal(err)
	}
	en, err := a.Identity.EnrollTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return en.Secret, u.ID
}

// confirmWith starts Dompet again on env and confirms userID's enrolment with a code of
// plain: it works only if the stored, rotated secret still opens.
func confirmWith(t *testing.T, env map[string]string, userID, plain string) {
	t.Helper()
	ctx := context.Background()
	cfg, _, _ := config.Parse("t", nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	a, err := app.New(ctx, cfg, nil, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	code, err := totp.GenerateCodeCustom(plain, time.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Identity.ConfirmTOTP(ctx, userID, code); err != nil {
		t.Fatalf("confirm after rotation: %v", err)
	}
}

func pendingOf(t *testing.T, env map[string]string, userID string) string {
	t.Helper()
	ctx := context.Background()
	cfg, _, _ := config.Parse("t", nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	a, err := app.New(ctx, cfg, nil, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var v string
	if err := a.DB.QueryRow(ctx, "SELECT pending_secret FROM user_totp WHERE user_id = ?", userID).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSecretsRotateKeyFile(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DOMPET_DB": "sqlite:" + filepath.Join(dir, "d.db"), "DOMPET_SMTP_LISTEN": ""}
	plain, uid := enrolledUser(t, env, 1)
	before, _ := secret.SealedKeyID(pendingOf(t, env, uid))

	code, stdout, stderr := runTest(t, env, "secrets", "rotate")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Status   string   `json:"status"`
		KeyID    string   `json:"key_id"`
		Retired  []string `json:"retired"`
		Resealed int      `json:"resealed"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if out.Status != "rotated" || out.KeyID == before || len(out.Retired) != 1 || out.Retired[0] != before || out.Resealed != 1 {
		t.Fatalf("rotation %+v (key before %s)", out, before)
	}
	after := pendingOf(t, env, uid)
	if kid, _ := secret.SealedKeyID(after); kid != out.KeyID || strings.Contains(after, plain) {
		t.Fatalf("stored %q, want sealed under %s", after, out.KeyID)
	}
	keys, _, err := secret.ReadKeyFile(filepath.Join(dir, secret.KeyFileName))
	if err != nil || len(keys) != 1 || secret.KeyID(keys[0]) != out.KeyID {
		t.Fatalf("key file after rotation: %d keys, %v", len(keys), err)
	}
	confirmWith(t, env, uid, plain)
}

func TestSecretsRotateEnvKey(t *testing.T) {
	dir := t.TempDir()
	old := secret.EncodeKey(secret.NewKey())
	env := map[string]string{"DOMPET_DB": "sqlite:" + filepath.Join(dir, "d.db"), "DOMPET_SMTP_LISTEN": "", "DOMPET_SECRET_KEY": old}
	plain, uid := enrolledUser(t, env, 2)

	// One key: a fresh key and the steps, and nothing changes.
	code, stdout, stderr := runTest(t, env, "secrets", "rotate")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var step1 struct {
		Status string `json:"status"`
		Key    string `json:"new_key"`
		KeyID  string `json:"new_key_id"`
	}
	if err := json.Unmarshal([]byte(stdout), &step1); err != nil || step1.Status != "new_key" || !strings.Contains(stdout, "set DOMPET_SECRET_KEY=") {
		t.Fatalf("%v: %s", err, stdout)
	}
	if _, err := secret.ParseKey(step1.Key); err != nil {
		t.Fatalf("printed key: %v", err)
	}
	// Both keys: everything re-sealed under the new one.
	env["DOMPET_SECRET_KEY"] = step1.Key + "," + old
	code, stdout, stderr = runTest(t, env, "secrets", "rotate")
	if code != 0 || !strings.Contains(stdout, `"resealed": 1`) {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	if kid, _ := secret.SealedKeyID(pendingOf(t, env, uid)); kid != step1.KeyID {
		t.Fatalf("sealed under %s, want %s", kid, step1.KeyID)
	}
	env["DOMPET_SECRET_KEY"] = step1.Key
	confirmWith(t, env, uid, plain)
	if _, err := os.Stat(filepath.Join(dir, secret.KeyFileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a key file was made though DOMPET_SECRET_KEY is set: %v", err)
	}
}
