package secret

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFileName is the key file's name under the data directory.
const KeyFileName = "secret.key"

// KeyFilePath is where the key file of dataDir lives.
func KeyFilePath(dataDir string) string { return filepath.Join(dataDir, KeyFileName) }

// keyFile remembers which version of the key file a Box holds, to notice a rotation.
type keyFile struct {
	path string
	seen fs.FileInfo
}

// Load returns the server's Box: from envKeys (DOMPET_SECRET_KEY, a comma-separated list)
// when it is set, or else from the key file under dataDir, which is created with a fresh key
// and mode 0600 on the first start. A key file readable by anyone but its owner, or holding
// a malformed key, is refused: the server must not start on a key that may have leaked or
// that would seal under garbage.
func Load(dataDir, envKeys string) (*Box, error) {
	if strings.TrimSpace(envKeys) != "" {
		keys, err := ParseKeys(envKeys)
		if err != nil {
			return nil, fmt.Errorf("secret: DOMPET_SECRET_KEY: %w", err)
		}
		return New(keys...)
	}
	path := KeyFilePath(dataDir)
	if err := createKeyFile(path); err != nil {
		return nil, err
	}
	b := &Box{file: &keyFile{path: path}}
	if err := b.reload(); err != nil {
		return nil, err
	}
	return b, nil
}

// createKeyFile writes a key file with one fresh key unless one exists. O_EXCL makes two
// processes starting at once agree on one key.
func createKeyFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("secret: data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("secret: create key file: %w", err)
	}
	_, err = f.Write(keyFileText([][]byte{NewKey()}))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("secret: write key file: %w", err)
	}
	return nil
}

func keyFileText(keys [][]byte) []byte {
	var b bytes.Buffer
	b.WriteString("# Dompet server key: seals secrets at rest (TOTP secrets). Keep it as private as the\n")
	b.WriteString("# database and back it up with it: without it the sealed values cannot be read.\n")
	b.WriteString("# The first key seals; any others only open (a rotation under way). Mode must be 0600.\n")
	for _, k := range keys {
		b.WriteString(EncodeKey(k))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ReadKeyFile returns the keys of a key file, the sealing one first, after checking its
// permissions.
func ReadKeyFile(path string) ([][]byte, fs.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("secret: key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("secret: key file: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, nil, fmt.Errorf("secret: key file %s has mode %#o: others may read it; make it 0600 (chmod 600) if it has not leaked, or replace it", path, perm)
	}
	var keys [][]byte
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := ParseKey(line)
		if err != nil {
			return nil, nil, fmt.Errorf("secret: key file %s, line %d: %w", path, n, err)
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("secret: key file %s: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, nil, fmt.Errorf("secret: key file %s holds no key", path)
	}
	return keys, fi, nil
}

// WriteKeyFile replaces the key file with keys (the sealing one first), atomically: a crash
// leaves either the old file or the new one, never a torn one.
func WriteKeyFile(path string, keys [][]byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret-key-*") // mode 0600
	if err != nil {
		return fmt.Errorf("secret: write key file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	_, err = tmp.Write(keyFileText(keys))
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("secret: write key file: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil { // make the rename durable
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// reload reads the key file into b.
func (b *Box) reload() error {
	keys, fi, err := ReadKeyFile(b.file.path)
	if err != nil {
		return err
	}
	if err := b.setKeys(keys); err != nil {
		return fmt.Errorf("%w (in %s)", err, b.file.path)
	}
	b.mu.Lock()
	b.file.seen = fi
	b.mu.Unlock()
	return nil
}

// refresh re-reads the key file when it changed since it was read (or always, with force),
// and reports whether it did. A file that became unreadable keeps the keys held: opening
// what is sealed matters more than noticing a broken rotation a little later.
func (b *Box) refresh(force bool) bool {
	if b.file == nil {
		return false
	}
	if !force {
		fi, err := os.Stat(b.file.path)
		b.mu.RLock()
		seen := b.file.seen
		b.mu.RUnlock()
		if err != nil || (os.SameFile(fi, seen) && fi.ModTime().Equal(seen.ModTime()) && fi.Size() == seen.Size()) {
			return false
		}
	}
	return b.reload() == nil
}
