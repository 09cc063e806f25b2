package secret

import (
	"context"
	"fmt"

	"github.com/dompet/dompet/internal/db"
)

// Column is a sealed column, described by the package that owns it, so that sealing old plain
// values on start and re-sealing on rotation can walk every sealed column without knowing the
// domain. Empty values mean "none" and are left alone.
type Column struct {
	Table    string                 // e.g. "user_totp"
	IDCol    string                 // the row's unique id column (text), e.g. "user_id"
	ValueCol string                 // the sealed column, e.g. "secret"
	AAD      func(id string) []byte // the aad the owner seals the row's value with
}

func (c Column) String() string { return c.Table + "." + c.ValueCol }

// walkBatch is how many rows one transaction re-writes.
const walkBatch = 200

// SealPlain seals every plain (not yet sealed) value of cols under b's current key: what a
// start does to values written before sealing existed. It is idempotent (sealed values are
// recognised by their prefix) and returns how many values it sealed.
func SealPlain(ctx context.Context, d *db.DB, b *Box, cols []Column) (int, error) {
	n, _, err := walk(ctx, d, b, cols, false)
	return n, err
}

// Reseal re-seals every value of cols that is plain or sealed under another key than b's
// current one, and returns how many it changed. A value it cannot open fails the walk: a key
// must not be retired while anything still needs it.
func Reseal(ctx context.Context, d *db.DB, b *Box, cols []Column) (int, error) {
	n, _, err := walk(ctx, d, b, cols, true)
	return n, err
}

// walk returns how many values it changed and how many needed a change (more when a
// conditional update lost to a concurrent writer: the next walk looks again).
func walk(ctx context.Context, d *db.DB, b *Box, cols []Column, reseal bool) (changed, needed int, err error) {
	for _, c := range cols {
		after := ""
		for {
			n, want, last, err := walkPage(ctx, d, b, c, after, reseal)
			changed, needed = changed+n, needed+want
			if err != nil {
				return changed, needed, fmt.Errorf("secret: seal %s: %w", c, err)
			}
			if last == "" {
				break
			}
			after = last
		}
	}
	return changed, needed, nil
}

// walkPage re-writes, in one transaction, the values that need it among the walkBatch rows
// after the id after; it returns how many it changed, how many needed it, and the last id
// seen ("" at the end).
// Each update is conditional on the value read, so a value changed meanwhile (a user
// re-enrolling) is not overwritten with a stale one.
func walkPage(ctx context.Context, d *db.DB, b *Box, c Column, after string, reseal bool) (changed, needed int, last string, err error) {
	type row struct{ id, val string }
	var page []row
	rows, err := d.Query(ctx, fmt.Sprintf("SELECT %s, COALESCE(%s, '') FROM %s WHERE %s > ? ORDER BY %s LIMIT %d",
		c.IDCol, c.ValueCol, c.Table, c.IDCol, c.IDCol, walkBatch), after)
	if err != nil {
		return 0, 0, "", err
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.val); err != nil {
			rows.Close()
			return 0, 0, "", err
		}
		page = append(page, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, "", err
	}
	if len(page) == 0 {
		return 0, 0, "", nil
	}
	current := b.CurrentID()
	err = d.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		changed, needed = 0, 0
		for _, r := range page {
			if r.val == "" {
				continue
			}
			plain, err := []byte(r.val), error(nil)
			if kid, sealed := SealedKeyID(r.val); sealed {
				if !reseal || kid == current {
					continue
				}
				if plain, err = b.Open(r.val, c.AAD(r.id)); err != nil {
					return fmt.Errorf("row %s: %w", r.id, err)
				}
			}
			needed++
			v, err := b.Seal(plain, c.AAD(r.id))
			if err != nil {
				return err
			}
			res, err := tx.Exec(ctx, fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s = ? AND %s = ?",
				c.Table, c.ValueCol, c.IDCol, c.ValueCol), v, r.id, r.val)
			if err != nil {
				return fmt.Errorf("row %s: %w", r.id, err)
			}
			if n, err := res.RowsAffected(); err == nil && n == 1 {
				changed++
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, "", err
	}
	return changed, needed, page[len(page)-1].id, nil
}
