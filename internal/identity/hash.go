package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters for new password hashes. Verification always
// uses the parameters recorded in the stored hash, so raising them later keeps old hashes valid.
type Argon2Params struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32
	Threads   uint8
	SaltLen   uint32 // bytes
	KeyLen    uint32 // bytes
}

// defaultArgon2 is the production cost: t=1, 64 MiB, p=2 (about 190 ms on a small server).
var defaultArgon2 = Argon2Params{Time: 1, MemoryKiB: 64 * 1024, Threads: 2, SaltLen: 16, KeyLen: 32}

// withDefaults fills unset or unusable fields: zero parameters mean defaultArgon2.
func (p Argon2Params) withDefaults() Argon2Params {
	if p == (Argon2Params{}) {
		return defaultArgon2
	}
	p.Time = max(p.Time, 1)
	p.Threads = max(p.Threads, 1)
	p.MemoryKiB = max(p.MemoryKiB, 8*uint32(p.Threads))
	p.SaltLen = max(p.SaltLen, 16)
	if p.KeyLen < 16 {
		p.KeyLen = 32
	}
	return p
}

var b64 = base64.RawStdEncoding // PHC strings use standard base64 without padding

var errBadHash = errors.New("malformed password hash")

// hashPassword returns the PHC string form of password's argon2id hash with a fresh salt.
func hashPassword(p Argon2Params, password string) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// verifyPassword reports whether password matches the PHC-encoded hash, in constant time with
// respect to the key bytes. A malformed hash is an error, never a match.
func verifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// parseHash splits "$argon2id$v=19$m=65536,t=1,p=2$salt$key". Parameters are bounded so that
// a corrupt row cannot make a login allocate gigabytes or spin for minutes.
func parseHash(encoded string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version %q", errBadHash, parts[2])
	}
	var m, t, th uint64
	for kv := range strings.SplitSeq(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, nil, nil, errBadHash
		}
		n, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil {
			return p, nil, nil, errBadHash
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			th = n
		default:
			return p, nil, nil, errBadHash
		}
	}
	if m < 8 || m > 1<<20 || t < 1 || t > 64 || th < 1 || th > 64 || m < 8*th {
		return p, nil, nil, fmt.Errorf("%w: parameters out of range", errBadHash)
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 || len(salt) > 64 {
		return p, nil, nil, fmt.Errorf("%w: salt", errBadHash)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, fmt.Errorf("%w: key", errBadHash)
	}
	p = Argon2Params{Time: uint32(t), MemoryKiB: uint32(m), Threads: uint8(th), SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	return p, salt, key, nil
}

// hashGate bounds how many argon2 computations run at once: each holds MemoryKiB of RAM, and a
// login storm must queue rather than exhaust memory.
type hashGate chan struct{}

func (g hashGate) do(ctx context.Context, fn func()) error {
	select {
	case g <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g }()
	fn()
	return nil
}
