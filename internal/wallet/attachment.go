package wallet

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
)

// MaxAttachment is the largest evidence file accepted.
const MaxAttachment = 10 << 20

// ErrTooLarge is a file over MaxAttachment.
var ErrTooLarge = fault.New("too_large", "the file is larger than 10 MB")

// attachmentTypes are the types evidence may have, as sniffed from the bytes. Everything a
// browser could run (HTML, SVG, XML, scripts) sniffs as something else and is refused.
var attachmentTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/heic": true,
	"application/pdf": true,
}

// AttachmentTypes lists every type an attachment may be served with, sorted.
func AttachmentTypes() []string {
	out := []string{"application/octet-stream"}
	for t := range attachmentTypes {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// AttachmentType is the type an attachment is served with: its stored type when that is on
// the allow-list, or else application/octet-stream (a row from elsewhere is never trusted to
// say text/html).
func AttachmentType(ct string) string {
	if attachmentTypes[ct] {
		return ct
	}
	return "application/octet-stream"
}

// sniffLen is how much of a file the type is read from (http.DetectContentType's window).
const sniffLen = 512

// Attachment is an uploaded evidence file.
type Attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// AddAttachment is StoreAttachment of a file already in memory, with no declared type.
func (w *Wallet) AddAttachment(ctx context.Context, userID, filename string, data []byte) (Attachment, error) {
	return w.StoreAttachment(ctx, userID, filename, "", bytes.NewReader(data))
}

// StoreAttachment stores an image or PDF uploaded by a user as evidence, reading it from r.
// The type is sniffed from the first bytes, before the rest is read, and must be on the
// allow-list and agree with declared, the type the client claims ("" or
// application/octet-stream: none). More than MaxAttachment bytes is ErrTooLarge. The bytes
// are stored as they came, in a binary column.
func (w *Wallet) StoreAttachment(ctx context.Context, userID, filename, declared string, r io.Reader) (Attachment, error) {
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Attachment{}, fmt.Errorf("read attachment: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return Attachment{}, fault.Invalid("file", fault.MsgFileEmpty)
	}
	ct, err := attachmentType(head, declared)
	if err != nil {
		return Attachment{}, err
	}
	var buf bytes.Buffer
	buf.Write(head)
	if n == sniffLen {
		if _, err := io.Copy(&buf, io.LimitReader(r, MaxAttachment+1-int64(n))); err != nil {
			return Attachment{}, fmt.Errorf("read attachment: %w", err)
		}
	}
	if buf.Len() > MaxAttachment {
		return Attachment{}, ErrTooLarge
	}
	a := Attachment{ID: id.New("att"), Filename: attachmentName(filename), ContentType: ct, Size: int64(buf.Len())}
	_, err = w.db.Exec(ctx, `INSERT INTO wallet_attachments (id, owner, filename, content_type, size, data, content, created_at)
		VALUES (?, ?, ?, ?, ?, '', ?, ?)`, a.ID, userOwner(userID), a.Filename, a.ContentType, a.Size,
		buf.Bytes(), w.now().UnixMicro())
	if err != nil {
		return Attachment{}, fmt.Errorf("store attachment: %w", err)
	}
	return a, nil
}

// attachmentType sniffs head and checks it against the allow-list and the declared type.
func attachmentType(head []byte, declared string) (string, error) {
	ct := sniff(head)
	if !attachmentTypes[ct] {
		return "", fault.Invalid("file", fault.MsgFileType)
	}
	if declared != "" {
		d, _, err := mime.ParseMediaType(declared)
		if err != nil {
			return "", fault.Invalid("file", fault.MsgFileContentType)
		}
		if d == "image/jpg" || d == "image/pjpeg" {
			d = "image/jpeg"
		}
		if d == "image/heif" {
			d = "image/heic"
		}
		if d != "application/octet-stream" && d != ct {
			return "", fault.Invalid("file", fault.MsgFileDeclared, d, ct)
		}
	}
	return ct, nil
}

// sniff is http.DetectContentType (the WHATWG algorithm) plus HEIC, which it does not know:
// an ISO-BMFF "ftyp" box whose major brand is one of HEIF's image brands.
func sniff(head []byte) string {
	if len(head) >= 12 && string(head[4:8]) == "ftyp" {
		switch string(head[8:12]) {
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1":
			return "image/heic"
		}
	}
	ct := http.DetectContentType(head)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return ct
}

// attachmentName keeps the base name of what the client called the file, or "attachment".
func attachmentName(filename string) string {
	name := filepath.Base(strings.ReplaceAll(filename, "\\", "/"))
	if !utf8.ValidString(name) || name == "." || name == "/" || name == "" {
		name = "attachment"
	}
	if len(name) > 200 {
		name = strings.ToValidUTF8(name[:200], "")
	}
	return name
}

// AttachmentContent returns userID's attachment and its bytes; another user's, or none, is
// ErrNotFound (the two are not told apart).
func (w *Wallet) AttachmentContent(ctx context.Context, userID, attachmentID string) (Attachment, []byte, error) {
	return readAttachment(w.db.QueryRow(ctx, `SELECT id, filename, content_type, size, data, content FROM wallet_attachments
		WHERE id = ? AND owner = ?`, attachmentID, userOwner(userID)), attachmentID)
}

// ConversationOwner is the owner of a file that came with a support mail from someone who is
// not a wallet user (or not the conversation's customer): the conversation, not a person.
func ConversationOwner(conversationID string) string { return "conversation:" + conversationID }

// UserOwner is the owner of a wallet user's file: they may download it themselves.
func UserOwner(userID string) string { return userOwner(userID) }

// StoreAttachmentTx stores data as an attachment of owner (UserOwner or ConversationOwner) in
// tx, the caller's transaction, so that the file and whatever refers to it (a support mail's
// message) commit together or not at all. It applies StoreAttachment's rules to bytes already
// in memory: empty is refused, more than MaxAttachment is ErrTooLarge, and the sniffed type
// must be on the allow-list and agree with declared (a file that is not what it says is
// refused, never stored as something else).
func StoreAttachmentTx(ctx context.Context, tx *db.Tx, owner, filename, declared string, data []byte, at time.Time) (Attachment, error) {
	if len(data) == 0 {
		return Attachment{}, fault.Invalid("file", fault.MsgFileEmpty)
	}
	if len(data) > MaxAttachment {
		return Attachment{}, ErrTooLarge
	}
	ct, err := attachmentType(data[:min(len(data), sniffLen)], declared)
	if err != nil {
		return Attachment{}, err
	}
	a := Attachment{ID: id.New("att"), Filename: attachmentName(filename), ContentType: ct, Size: int64(len(data))}
	if _, err := tx.Exec(ctx, `INSERT INTO wallet_attachments (id, owner, filename, content_type, size, data, content, created_at)
		VALUES (?, ?, ?, ?, ?, '', ?, ?)`, a.ID, owner, a.Filename, a.ContentType, a.Size, data, at.UnixMicro()); err != nil {
		return Attachment{}, fmt.Errorf("store attachment: %w", err)
	}
	return a, nil
}

// AttachmentByID returns any attachment and its bytes, whoever owns it, read through q (the
// store or a transaction). The caller decides who may see it: package support lets staff who
// may see a conversation download the files of its messages.
func AttachmentByID(ctx context.Context, q interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}, attachmentID string) (Attachment, []byte, error) {
	return readAttachment(q.QueryRow(ctx, `SELECT id, filename, content_type, size, data, content FROM wallet_attachments
		WHERE id = ?`, attachmentID), attachmentID)
}

func readAttachment(row *sql.Row, attachmentID string) (Attachment, []byte, error) {
	var (
		a       Attachment
		legacy  string
		content []byte
	)
	err := row.Scan(&a.ID, &a.Filename, &a.ContentType, &a.Size, &legacy, &content)
	if errors.Is(err, sql.ErrNoRows) {
		return Attachment{}, nil, ErrNotFound.Saying(fault.MsgAttachmentNotFound)
	}
	if err != nil {
		return Attachment{}, nil, fmt.Errorf("attachment %s: %w", attachmentID, err)
	}
	if content == nil { // stored as base64 before content existed, not yet converted
		if content, err = base64.StdEncoding.DecodeString(legacy); err != nil {
			return Attachment{}, nil, fmt.Errorf("attachment %s: %w", attachmentID, err)
		}
	}
	return a, content, nil
}

// ConvertAttachments moves attachments stored as base64 text (before migration 00011) into
// the binary column, a few per transaction (each may be 10 MB), and returns how many it
// moved. It is idempotent: the app runs it on every start, and a converted row's data is empty.
// A row whose text is not base64 is left as it is and logged: one corrupt old file must not
// keep the server from starting, and reading it answers an error.
func (w *Wallet) ConvertAttachments(ctx context.Context) (int, error) {
	total, after := 0, ""
	for {
		type row struct{ id, data string }
		var page []row
		rows, err := w.db.Query(ctx, "SELECT id, data FROM wallet_attachments WHERE content IS NULL AND id > ? ORDER BY id LIMIT 4", after)
		if err != nil {
			return total, fmt.Errorf("convert attachments: %w", err)
		}
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.data); err != nil {
				rows.Close()
				return total, fmt.Errorf("convert attachments: %w", err)
			}
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, fmt.Errorf("convert attachments: %w", err)
		}
		if len(page) == 0 {
			return total, nil
		}
		after = page[len(page)-1].id
		moved := 0
		err = w.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			moved = 0 // a retried transaction starts over
			for _, r := range page {
				b, err := base64.StdEncoding.DecodeString(r.data)
				if err != nil {
					w.o.Log.Error("attachment stored as text is not base64; left as it is", "attachment", r.id, "error", err)
					continue
				}
				if _, err := tx.Exec(ctx, "UPDATE wallet_attachments SET content = ?, data = '' WHERE id = ? AND content IS NULL",
					b, r.id); err != nil {
					return err
				}
				moved++
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("convert attachments: %w", err)
		}
		total += moved
	}
}

func (w *Wallet) ownsAttachment(ctx context.Context, owner, attachmentID string) error {
	var n int
	err := w.db.QueryRow(ctx, "SELECT COUNT(*) FROM wallet_attachments WHERE id = ? AND owner = ?", attachmentID, owner).Scan(&n)
	if err != nil {
		return fmt.Errorf("attachment %s: %w", attachmentID, db.NotFound(err))
	}
	if n == 0 {
		return fault.Invalid("attachment_ids", fault.MsgUnknownAttachment, attachmentID)
	}
	return nil
}
