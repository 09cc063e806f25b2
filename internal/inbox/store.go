package inbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/fault"
)

// Notification is one entry of a user's in-app list, in the reader's language.
type Notification struct {
	ID            string     `json:"id"`
	Kind          string     `json:"kind" enum:"payment_made,transfer_sent,money_received,topup_credited,withdrawal_settled,withdrawal_failed,refund_received,fx_converted,remittance_sent,remittance_settled,remittance_failed"`
	Title         string     `json:"title"`
	Body          string     `json:"body"`
	TransactionID string     `json:"transaction_id,omitempty" doc:"the transaction the receipt is about"`
	CreatedAt     time.Time  `json:"created_at"`
	ReadAt        *time.Time `json:"read_at,omitempty" doc:"when it was marked read; absent while unread"`
}

// NotificationPage is one page of notifications, newest first, with the number of unread ones.
type NotificationPage struct {
	Items      []Notification `json:"items"`
	NextCursor *string        `json:"next_cursor"`
	Unread     int            `json:"unread" doc:"how many of the user's notifications are unread (all pages)"`
}

// Filter chooses a page.
type Filter struct {
	UnreadOnly bool
	Limit      int    // 1-200; 50 by default
	Cursor     string // the last id of the previous page
}

// List returns the user's notifications in locale, newest first. Kinds whose in_app setting
// is off are left out, of the list and of the count.
func (s *Service) List(ctx context.Context, userID, locale string, f Filter) (NotificationPage, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	set, err := s.settings(ctx, userID)
	if err != nil {
		return NotificationPage{}, err
	}
	where := "user_id = ?"
	args := []any{userID}
	for _, k := range Kinds {
		if !set[k].InApp {
			where += " AND kind <> ?"
			args = append(args, k)
		}
	}
	var unread int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM notifications WHERE "+where+" AND read_at IS NULL", args...).Scan(&unread); err != nil {
		return NotificationPage{}, fmt.Errorf("count notifications of %s: %w", userID, err)
	}
	if f.UnreadOnly {
		where += " AND read_at IS NULL"
	}
	if f.Cursor != "" {
		where += " AND id < ?"
		args = append(args, f.Cursor)
	}
	args = append(args, f.Limit+1)
	rows, err := s.db.Query(ctx, "SELECT id, kind, transaction_id, params, created_at, read_at FROM notifications WHERE "+
		where+" ORDER BY id DESC LIMIT ?", args...)
	if err != nil {
		return NotificationPage{}, fmt.Errorf("list notifications of %s: %w", userID, err)
	}
	defer rows.Close()
	pg := NotificationPage{Items: []Notification{}, Unread: unread}
	for rows.Next() {
		var n Notification
		var pj string
		var at int64
		var read sql.NullInt64
		if err := rows.Scan(&n.ID, &n.Kind, &n.TransactionID, &pj, &at, &read); err != nil {
			return NotificationPage{}, fmt.Errorf("list notifications of %s: %w", userID, err)
		}
		var p params
		if err := json.Unmarshal([]byte(pj), &p); err != nil {
			return NotificationPage{}, fmt.Errorf("notification %s: %w", n.ID, err)
		}
		n.Title, n.Body = render(n.Kind, locale, p)
		n.CreatedAt = createdAt(at)
		if read.Valid {
			t := createdAt(read.Int64)
			n.ReadAt = &t
		}
		pg.Items = append(pg.Items, n)
	}
	if err := rows.Err(); err != nil {
		return NotificationPage{}, fmt.Errorf("list notifications of %s: %w", userID, err)
	}
	if len(pg.Items) > f.Limit {
		pg.Items = pg.Items[:f.Limit]
		next := pg.Items[f.Limit-1].ID
		pg.NextCursor = &next
	}
	return pg, nil
}

// MarkReadInput marks notifications read.
type MarkReadInput struct {
	IDs []string `json:"ids" doc:"1-200 notification ids; ids that are not the caller's, or already read, are ignored"`
}

// MarkRead marks the user's notifications among ids read. Another user's ids change nothing.
func (s *Service) MarkRead(ctx context.Context, userID string, in MarkReadInput) error {
	var v fault.Validation
	v.Check(len(in.IDs) >= 1 && len(in.IDs) <= 200, "ids", fault.MsgRequiredIDs)
	if err := v.Err(); err != nil {
		return err
	}
	args := []any{s.now().UnixMicro(), userID}
	for _, x := range in.IDs {
		args = append(args, x)
	}
	_, err := s.db.Exec(ctx, "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL AND id IN ("+
		strings.TrimSuffix(strings.Repeat("?,", len(in.IDs)), ",")+")", args...)
	if err != nil {
		return fmt.Errorf("mark notifications of %s read: %w", userID, err)
	}
	return nil
}
