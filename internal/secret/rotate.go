package secret

import (
	"context"
	"fmt"

	"github.com/dompet/dompet/internal/db"
)

// Rotation is what a rotation did.
type Rotation struct {
	KeyID    string   `json:"key_id"`   // the key that seals now
	Retired  []string `json:"retired"`  // key ids no longer held
	Resealed int      `json:"resealed"` // values re-sealed under KeyID
}

// maxPasses bounds the re-seal passes of a rotation; a pass needs another only when a
// concurrent writer sealed under the old key meanwhile (a server that has not yet noticed
// the new key file).
const maxPasses = 5

// Rotate replaces the key file's keys with a fresh one, in steps that are safe to interrupt:
//  1. the new key is put first in the file, the old ones kept: everything opens, new values
//     are sealed under the new key (running servers notice the changed file);
//  2. every value of cols is re-sealed under the new key, a batch per transaction, until a
//     pass finds nothing left under another key;
//  3. the file is rewritten with the new key alone: the old ones are retired.
//
// Interrupted before step 3, the file holds both keys and a new Rotate finishes the job.
func Rotate(ctx context.Context, d *db.DB, path string, cols []Column) (Rotation, error) {
	old, _, err := ReadKeyFile(path)
	if err != nil {
		return Rotation{}, err
	}
	fresh := NewKey()
	if err := WriteKeyFile(path, append([][]byte{fresh}, old...)); err != nil {
		return Rotation{}, err
	}
	b := &Box{file: &keyFile{path: path}}
	if err := b.reload(); err != nil {
		return Rotation{}, err
	}
	r := Rotation{KeyID: KeyID(fresh)}
	if r.Resealed, err = ResealAll(ctx, d, b, cols); err != nil {
		return r, err
	}
	if err := WriteKeyFile(path, [][]byte{fresh}); err != nil {
		return r, err
	}
	for _, k := range old {
		r.Retired = append(r.Retired, KeyID(k))
	}
	return r, nil
}

// ResealAll re-seals cols under b's current key, pass after pass until none finds a value left
// under another key, and returns how many values it re-sealed. After it returns nil the other
// keys of b can be retired.
func ResealAll(ctx context.Context, d *db.DB, b *Box, cols []Column) (int, error) {
	total := 0
	for range maxPasses {
		n, needed, err := walk(ctx, d, b, cols, true)
		total += n
		if err != nil {
			return total, err
		}
		if needed == 0 {
			return total, nil
		}
	}
	return total, fmt.Errorf("secret: values still sealed under an old key after %d passes; run the rotation again", maxPasses)
}
