package wallet

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
)

// MaxAttachment is the largest evidence file accepted.
const MaxAttachment = 10 << 20

var attachmentTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "application/pdf": true,
}

// Attachment is an uploaded evidence file.
type Attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// AddAttachment stores an image or PDF uploaded by a user as evidence. The type is sniffed
// from the content, not trusted from the client.
func (w *Wallet) AddAttachment(ctx context.Context, userID, filename string, data []byte) (Attachment, error) {
	if len(data) == 0 {
		return Attachment{}, fault.Invalid("file", "is empty")
	}
	if len(data) > MaxAttachment {
		return Attachment{}, fault.Invalid("file", "is larger than 10 MB")
	}
	ct := http.DetectContentType(data)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if !attachmentTypes[ct] {
		return Attachment{}, fault.Invalid("file", "must be an image (PNG, JPEG, GIF, WebP) or a PDF")
	}
	name := filepath.Base(strings.ReplaceAll(filename, "\\", "/"))
	if !utf8.ValidString(name) || name == "." || name == "/" || name == "" {
		name = "attachment"
	}
	if len(name) > 200 {
		name = name[:200]
	}
	a := Attachment{ID: id.New("att"), Filename: name, ContentType: ct, Size: int64(len(data))}
	_, err := w.db.Exec(ctx, `INSERT INTO wallet_attachments (id, owner, filename, content_type, size, data, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, a.ID, userOwner(userID), a.Filename, a.ContentType, a.Size,
		base64.StdEncoding.EncodeToString(data), w.now().UnixMicro())
	if err != nil {
		return Attachment{}, fmt.Errorf("store attachment: %w", err)
	}
	return a, nil
}

func (w *Wallet) ownsAttachment(ctx context.Context, owner, attachmentID string) error {
	var n int
	err := w.db.QueryRow(ctx, "SELECT COUNT(*) FROM wallet_attachments WHERE id = ? AND owner = ?", attachmentID, owner).Scan(&n)
	if err != nil {
		return fmt.Errorf("attachment %s: %w", attachmentID, db.NotFound(err))
	}
	if n == 0 {
		return fault.Invalid("attachment_ids", "unknown attachment "+attachmentID)
	}
	return nil
}
