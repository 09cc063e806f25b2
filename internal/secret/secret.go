// Package secret seals small secrets at rest (TOTP secrets and the like) with AES-256-GCM under
// a server key. A sealed value is self-describing text, "v1:<key id>:<base64url(nonce|box)>",
// so values sealed under several keys can coexist in one column and a key can be rotated
// without a flag day. It knows no domain: the packages that own a sealed column describe it
// with a Column, and the walk over columns (SealPlain, Reseal) lives here.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// KeySize is the length of a server key: AES-256.
const KeySize = 32

// version is the prefix of every sealed value; a new format gets a new version.
const version = "v1"

// ErrOpen is returned when a sealed value cannot be opened: it is malformed, sealed under an
// unknown key, tampered with, or opened with another aad than it was sealed with.
var ErrOpen = errors.New("secret: cannot open sealed value")

// Box seals and opens values. It holds one or more keys: the first seals, all of them open.
// A Box loaded from a key file re-reads the file when it changes (see Load), so a server
// follows a rotation run by `dompet secrets rotate` without a restart. Safe for concurrent use.
type Box struct {
	mu      sync.RWMutex
	keys    map[string]cipher.AEAD // by key id
	current string                 // key id that seals
	file    *keyFile               // nil: keys given once (DOMPET_SECRET_KEY, tests)
}

// New returns a Box over keys: the first seals new values, every one opens.
func New(keys ...[]byte) (*Box, error) {
	b := &Box{}
	if err := b.setKeys(keys); err != nil {
		return nil, err
	}
	return b, nil
}

// Ephemeral returns a Box with a fresh random key that lives as long as the process: for
// tests and throwaway stores, never for data that must outlive the process.
func Ephemeral() *Box {
	k := NewKey()
	b, err := New(k)
	if err != nil {
		panic("secret: a fresh key is refused: " + err.Error()) // cannot happen: the size is right
	}
	return b
}

// NewKey returns a fresh random key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (it crashes the program instead)
	return k
}

// KeyID names a key in sealed values: the first 8 hex digits of a SHA-256 over it. It tells
// keys apart without revealing anything usable about them.
func KeyID(key []byte) string {
	h := sha256.Sum256(append([]byte("dompet secret key id\x00"), key...))
	return hex.EncodeToString(h[:4])
}

func (b *Box) setKeys(keys [][]byte) error {
	if len(keys) == 0 {
		return errors.New("secret: no key")
	}
	m := make(map[string]cipher.AEAD, len(keys))
	for i, k := range keys {
		if len(k) != KeySize {
			return fmt.Errorf("secret: key %d is %d bytes, want %d", i+1, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return fmt.Errorf("secret: key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return fmt.Errorf("secret: key %d: %w", i+1, err)
		}
		m[KeyID(k)] = aead
	}
	b.mu.Lock()
	b.keys, b.current = m, KeyID(keys[0])
	b.mu.Unlock()
	return nil
}

// CurrentID is the id of the key that seals.
func (b *Box) CurrentID() string {
	b.refresh(false)
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.current
}

// Seal encrypts plaintext bound to aad (the owner's id, say: a value copied to another row
// does not open there) under the current key.
func (b *Box) Seal(plaintext, aad []byte) (string, error) {
	b.refresh(false)
	b.mu.RLock()
	kid, aead := b.current, b.keys[b.current]
	b.mu.RUnlock()
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	_, _ = rand.Read(nonce)
	out := aead.Seal(nonce, nonce, plaintext, aad)
	return version + ":" + kid + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal with the same aad. Any failure is ErrOpen (wrapped with
// the reason), and no partial plaintext is returned.
func (b *Box) Open(sealed string, aad []byte) ([]byte, error) {
	kid, body, ok := parse(sealed)
	if !ok {
		return nil, fmt.Errorf("%w: not a sealed value", ErrOpen)
	}
	b.mu.RLock()
	aead := b.keys[kid]
	b.mu.RUnlock()
	if aead == nil && b.refresh(true) {
		b.mu.RLock()
		aead = b.keys[kid]
		b.mu.RUnlock()
	}
	if aead == nil {
		return nil, fmt.Errorf("%w: unknown key %s", ErrOpen, kid)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w: malformed", ErrOpen)
	}
	n := aead.NonceSize()
	pt, err := aead.Open(nil, raw[:n], raw[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: key %s: authentication failed", ErrOpen, kid)
	}
	return pt, nil
}

// IsSealed tells a value made by Seal from a plain one (what columns held before sealing).
func IsSealed(s string) bool {
	_, _, ok := parse(s)
	return ok
}

// SealedKeyID is the id of the key a sealed value is sealed under.
func SealedKeyID(s string) (string, bool) {
	kid, _, ok := parse(s)
	return kid, ok
}

func parse(s string) (kid, body string, ok bool) {
	rest, ok := strings.CutPrefix(s, version+":")
	if !ok {
		return "", "", false
	}
	kid, body, ok = strings.Cut(rest, ":")
	if !ok || len(kid) != 8 || body == "" {
		return "", "", false
	}
	return kid, body, true
}

// ParseKey reads one key written as base64 (standard or URL alphabet, padded or not) or as
// 64 hex digits.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("the key is %d bytes, want %d", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("want %d bytes as base64 or as %d hex digits", KeySize, 2*KeySize)
}

// ParseKeys reads a comma-separated list of keys (DOMPET_SECRET_KEY): the first seals, the
// others only open, which is how a rotation is done with keys kept outside the data directory.
func ParseKeys(s string) ([][]byte, error) {
	var keys [][]byte
	for i, part := range strings.Split(s, ",") {
		k, err := ParseKey(part)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// EncodeKey writes a key the way ParseKey reads it (standard base64).
func EncodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }
