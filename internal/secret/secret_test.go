package secret_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/secret"
)

func TestSealOpenRoundTrip(t *testing.T) {
	b := secret.Ephemeral()
	for _, pt := range [][]byte{[]byte("JBSWY3DPEHPK3PXP"), {}, bytes.Repeat([]byte{0, 0xff}, 1000)} {
		s, err := b.Seal(pt, []byte("usr_1"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s, "v1:"+b.CurrentID()+":") || !secret.IsSealed(s) {
			t.Fatalf("sealed value %q lacks its version and key id", s)
		}
		if len(pt) > 4 && strings.Contains(s, string(pt)) {
			t.Fatalf("sealed value %q shows the plaintext", s)
		}
		got, err := b.Open(s, []byte("usr_1"))
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Open = %q, %v; want %q", got, err, pt)
		}
	}
	a, _ := b.Seal([]byte("same"), nil)
	c, _ := b.Seal([]byte("same"), nil)
	if a == c {
		t.Fatal("two seals of one plaintext are equal: the nonce is not fresh")
	}
}

func TestOpenRefuses(t *testing.T) {
	b := secret.Ephemeral()
	s, err := b.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("usr_1"))
	if err != nil {
		t.Fatal(err)
	}
	body := s[strings.LastIndexByte(s, ':')+1:]
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	flip := func(i int) string {
		r := bytes.Clone(raw)
		r[i] ^= 1
		return s[:len(s)-len(body)] + base64.RawURLEncoding.EncodeToString(r)
	}
	cases := map[string]struct {
		sealed string
		aad    string
	}{
		"wrong aad":           {s, "usr_2"},
		"no aad":              {s, ""},
		"nonce tampered":      {flip(0), "usr_1"},
		"ciphertext tampered": {flip(len(raw) / 2), "usr_1"},
		"tag tampered":        {flip(len(raw) - 1), "usr_1"},
		"truncated":           {s[:len(s)-4], "usr_1"},
		"unknown key":         {"v1:00000000:" + body, "usr_1"},
		"plain text":          {"JBSWY3DPEHPK3PXP", "usr_1"},
		"other version":       {"v2" + s[2:], "usr_1"},
	}
	for name, c := range cases {
		if pt, err := b.Open(c.sealed, []byte(c.aad)); !errors.Is(err, secret.ErrOpen) || pt != nil {
			t.Errorf("%s: Open = %q, %v; want ErrOpen", name, pt, err)
		}
	}
	if _, err := secret.Ephemeral().Open(s, []byte("usr_1")); !errors.Is(err, secret.ErrOpen) {
		t.Errorf("another server's box opened the value: %v", err)
	}
}

func TestSeveralKeysOpenFirstSeals(t *testing.T) {
	k1, k2 := secret.NewKey(), secret.NewKey()
	old, _ := secret.New(k1)
	s1, _ := old.Seal([]byte("one"), nil)
	both, err := secret.New(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := both.Open(s1, nil); err != nil || string(got) != "one" {
		t.Fatalf("the second key does not open: %q %v", got, err)
	}
	s2, _ := both.Seal([]byte("two"), nil)
	if kid, _ := secret.SealedKeyID(s2); kid != secret.KeyID(k2) {
		t.Fatalf("sealed under %s, want the first key %s", kid, secret.KeyID(k2))
	}
}

func TestParseKeys(t *testing.T) {
	k := secret.NewKey()
	for _, s := range []string{base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k),
		hex.EncodeToString(k), " " + hex.EncodeToString(k) + "\n"} {
		got, err := secret.ParseKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("ParseKey(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "short", base64.StdEncoding.EncodeToString(k[:16]), hex.EncodeToString(k)[:60], "zz" + hex.EncodeToString(k)[2:]} {
		if _, err := secret.ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted a malformed key", s)
		}
	}
	keys, err := secret.ParseKeys(secret.EncodeKey(k) + "," + hex.EncodeToString(k))
	if err != nil || len(keys) != 2 {
		t.Fatalf("ParseKeys: %d keys, %v", len(keys), err)
	}
	if _, err := secret.Load(t.TempDir(), "not-a-key"); err == nil {
		t.Fatal("Load accepted a malformed DOMPET_SECRET_KEY")
	}
}

func TestKeyFileCreated0600AndReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	b, err := secret.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(secret.KeyFilePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("key file mode %#o, want 0600", perm)
	}
	s, _ := b.Seal([]byte("x"), nil)
	again, err := secret.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Open(s, nil); err != nil || string(got) != "x" {
		t.Fatalf("a second start made another key: %v", err)
	}
	if again.CurrentID() != b.CurrentID() {
		t.Fatal("the key changed between starts")
	}
}

func TestKeyFileRefused(t *testing.T) {
	for name, c := range map[string]struct {
		mode os.FileMode
		text string
	}{
		"group readable": {0o640, secret.EncodeKey(secret.NewKey()) + "\n"},
		"world readable": {0o644, secret.EncodeKey(secret.NewKey()) + "\n"},
		"malformed key":  {0o600, "not a key\n"},
		"short key":      {0o600, secret.EncodeKey(secret.NewKey()[:31]) + "\n"},
		"no key":         {0o600, "# nothing here\n"},
	} {
		dir := t.TempDir()
		path := secret.KeyFilePath(dir)
		if err := os.WriteFile(path, []byte(c.text), c.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, c.mode); err != nil { // past the umask
			t.Fatal(err)
		}
		if _, err := secret.Load(dir, ""); err == nil {
			t.Errorf("%s: Load accepted the key file", name)
		}
	}
}

// TestBoxFollowsKeyFile: a server's box notices a rotation done by another process.
func TestBoxFollowsKeyFile(t *testing.T) {
	dir := t.TempDir()
	server, err := secret.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	keys, _, err := secret.ReadKeyFile(secret.KeyFilePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	fresh := secret.NewKey()
	other, _ := secret.New(fresh)
	s, _ := other.Seal([]byte("new"), nil)
	if err := secret.WriteKeyFile(secret.KeyFilePath(dir), [][]byte{fresh, keys[0]}); err != nil {
		t.Fatal(err)
	}
	if got, err := server.Open(s, nil); err != nil || string(got) != "new" {
		t.Fatalf("the server did not pick up the new key: %v", err)
	}
	if server.CurrentID() != secret.KeyID(fresh) {
		t.Fatal("the server does not seal under the new key")
	}
}

// sealedTable makes a table with one sealed column for the walk tests.
func sealedTable(t *testing.T) (context.Context, []secret.Column) {
	t.Helper()
	return context.Background(), []secret.Column{{Table: "vault", IDCol: "id", ValueCol: "v",
		AAD: func(id string) []byte { return []byte("vault:" + id) }}}
}

func TestSealPlainAndRotate(t *testing.T) {
	ctx, cols := sealedTable(t)
	d := dbtest.Open(t)
	if _, err := d.Exec(ctx, "CREATE TABLE vault (id TEXT PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	plain := map[string]string{}
	for i := range 450 { // more than two pages
		id, v := fmt.Sprintf("r%03d", i), fmt.Sprintf("SECRET%d", i)
		if i%10 == 0 {
			v = "" // none: stays empty
		}
		plain[id] = v
		if _, err := d.Exec(ctx, "INSERT INTO vault (id, v) VALUES (?, ?)", id, v); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	b, err := secret.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	n, err := secret.SealPlain(ctx, d, b, cols)
	if err != nil || n != 405 {
		t.Fatalf("SealPlain sealed %d, %v; want 405", n, err)
	}
	if n, err := secret.SealPlain(ctx, d, b, cols); err != nil || n != 0 {
		t.Fatalf("a second SealPlain sealed %d, %v; want 0 (idempotent)", n, err)
	}
	check := func(b *secret.Box, kid string) {
		t.Helper()
		rows, err := d.Query(ctx, "SELECT id, v FROM vault")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, v string
			if err := rows.Scan(&id, &v); err != nil {
				t.Fatal(err)
			}
			if plain[id] == "" {
				if v != "" {
					t.Fatalf("%s: empty value became %q", id, v)
				}
				continue
			}
			if got, _ := secret.SealedKeyID(v); got != kid {
				t.Fatalf("%s: sealed under %q, want %s", id, got, kid)
			}
			pt, err := b.Open(v, []byte("vault:"+id))
			if err != nil || string(pt) != plain[id] {
				t.Fatalf("%s: opens to %q, %v", id, pt, err)
			}
		}
	}
	first := b.CurrentID()
	check(b, first)

	rot, err := secret.Rotate(ctx, d, secret.KeyFilePath(dir), cols)
	if err != nil {
		t.Fatal(err)
	}
	if rot.KeyID == first || rot.Resealed != 405 || len(rot.Retired) != 1 || rot.Retired[0] != first {
		t.Fatalf("rotation %+v", rot)
	}
	after, err := secret.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	check(after, rot.KeyID)
	keys, fi, err := secret.ReadKeyFile(secret.KeyFilePath(dir))
	if err != nil || len(keys) != 1 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file after rotation: %d keys, mode %v, %v", len(keys), fi.Mode(), err)
	}
	// The old server's box followed the file: it opens everything under the new key.
	check(b, rot.KeyID)
}

// TestRotateInterruptedIsResumed: a rotation stopped after writing both keys (the state a
// crash in the middle leaves) reads everything, and the next rotation finishes the job.
func TestRotateInterruptedIsResumed(t *testing.T) {
	ctx, cols := sealedTable(t)
	d := dbtest.Open(t)
	if _, err := d.Exec(ctx, "CREATE TABLE vault (id TEXT PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := secret.KeyFilePath(dir)
	old, _ := secret.Load(dir, "")
	for _, id := range []string{"a", "b"} {
		v, _ := old.Seal([]byte("s-"+id), []byte("vault:"+id))
		if _, err := d.Exec(ctx, "INSERT INTO vault (id, v) VALUES (?, ?)", id, v); err != nil {
			t.Fatal(err)
		}
	}
	// The interrupted rotation: a new key first, the old kept, row a re-sealed, b not yet.
	keys, _, _ := secret.ReadKeyFile(path)
	mid := secret.NewKey()
	if err := secret.WriteKeyFile(path, [][]byte{mid, keys[0]}); err != nil {
		t.Fatal(err)
	}
	both, err := secret.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	va, _ := both.Seal([]byte("s-a"), []byte("vault:a"))
	if _, err := d.Exec(ctx, "UPDATE vault SET v = ? WHERE id = 'a'", va); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		var v string
		_ = d.QueryRow(ctx, "SELECT v FROM vault WHERE id = ?", id).Scan(&v)
		if pt, err := both.Open(v, []byte("vault:"+id)); err != nil || string(pt) != "s-"+id {
			t.Fatalf("mid-rotation %s does not open: %v", id, err)
		}
	}
	rot, err := secret.Rotate(ctx, d, path, cols)
	if err != nil {
		t.Fatal(err)
	}
	if len(rot.Retired) != 2 || rot.Resealed != 2 {
		t.Fatalf("resumed rotation %+v", rot)
	}
	final, _ := secret.Load(dir, "")
	for _, id := range []string{"a", "b"} {
		var v string
		_ = d.QueryRow(ctx, "SELECT v FROM vault WHERE id = ?", id).Scan(&v)
		if kid, _ := secret.SealedKeyID(v); kid != rot.KeyID {
			t.Fatalf("%s still under %s", id, kid)
		}
		if pt, err := final.Open(v, []byte("vault:"+id)); err != nil || string(pt) != "s-"+id {
			t.Fatalf("%s does not open after the rotation: %v", id, err)
		}
	}
}
