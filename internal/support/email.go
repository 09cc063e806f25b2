package support

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/hours"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/sla"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/wallet"
)

// The email channel. The mailbox (package mailbox) parses and threads mail and calls
// ThreadEmail and ReceiveEmail inside its own transaction (db.WithTx joins it through ctx),
// so a stored mail and its acknowledgement commit together; EmailStored then tells the
// streams and routes, after the commit. Every Message-ID of a conversation, the customer's
// and ours, is kept in support_email_ids so that a reply to any of them threads.

// EmailThread is an email conversation as the mailbox sees it (mailbox.Thread).
type EmailThread struct {
	ConversationID string
	Ref            string
	Customer       string // the customer's address
	Lang           string
	Subject        string
	MessageIDs     []string // oldest first, inbound and ours
	LastInbound    string
}

// EmailSender returns the outbox row mailing an agent's reply body into conversation t and the
// Message-ID it will carry (mailbox.Composer.Reply, adapted in package app).
type EmailSender func(t EmailThread, body string) (row db.Row, messageID string, err error)

// InboundEmail is a received mail to store (mailbox.Inbound).
type InboundEmail struct {
	ConversationID string // "" opens a conversation
	MessageID      string
	AckMessageID   string // stored with a new conversation: the acknowledgement carries it
	From           string
	FromName       string
	Subject        string
	Text           string
	Lang           string
	Attachments    []EmailAttachment
	Automatic      string // why the mail is automatic; "" when a person wrote it
	Problems       []string
	ReceivedAt     time.Time
}

// EmailAttachment is a mail's attachment. Content is nil when the mailbox did not keep the
// bytes (Refused says why); kept bytes are stored with the message (see storeEmailAttachments).
type EmailAttachment struct {
	Filename    string
	ContentType string
	Size        int64
	Content     []byte
	Refused     string
}

// ReceivedEmail is what ReceiveEmail did (mailbox.Received).
type ReceivedEmail struct {
	ConversationID string
	Ref            string
	New            bool
	Duplicate      bool
	ReplyBy        time.Time // the first-response due time, in the team's time zone; zero if none
	Lang           string    // the customer's own setting when the sender is a wallet user
}

// ThreadEmail finds the conversation holding one of messageIDs (the earliest in the list
// winning), or else, when ref is set, the conversation with that reference (any case).
func (s *Service) ThreadEmail(ctx context.Context, messageIDs []string, ref string) (EmailThread, bool, error) {
	var t EmailThread
	var ok bool
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		t, ok = EmailThread{}, false
		convID := ""
		if len(messageIDs) > 0 {
			args := make([]any, len(messageIDs))
			for i, v := range messageIDs {
				args[i] = v
			}
			rows, err := tx.Query(ctx, `SELECT conversation_id, message_id FROM support_email_ids WHERE message_id IN (?`+
				strings.Repeat(", ?", len(messageIDs)-1)+`)`, args...)
			if err != nil {
				return fmt.Errorf("thread by message id: %w", err)
			}
			best := len(messageIDs)
			for rows.Next() {
				var c, mid string
				if err := rows.Scan(&c, &mid); err != nil {
					rows.Close()
					return fmt.Errorf("thread by message id: %w", err)
				}
				for i, v := range messageIDs[:best] {
					if v == mid {
						best, convID = i, c
						break
					}
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		} else if ref != "" {
			err := tx.QueryRow(ctx, `SELECT id FROM support_conversations WHERE ref = ?`,
				strings.ToUpper(strings.TrimSpace(ref))).Scan(&convID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("thread by ref: %w", err)
			}
		}
		if convID == "" {
			return nil
		}
		var err error
		t, err = emailThread(ctx, tx, convID)
		ok = err == nil
		return err
	})
	return t, ok, err
}

// emailThread reads conversation convID as an email thread, in tx.
func emailThread(ctx context.Context, tx *db.Tx, convID string) (EmailThread, error) {
	t := EmailThread{ConversationID: convID}
	if err := tx.QueryRow(ctx, `SELECT ref, customer_email, lang, subject FROM support_conversations WHERE id = ?`,
		convID).Scan(&t.Ref, &t.Customer, &t.Lang, &t.Subject); err != nil {
		return t, fmt.Errorf("email thread %s: %w", convID, db.NotFound(err))
	}
	rows, err := tx.Query(ctx, `SELECT message_id, inbound FROM support_email_ids WHERE conversation_id = ?
		ORDER BY created_at, message_id`, convID)
	if err != nil {
		return t, fmt.Errorf("email thread %s: %w", convID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var mid string
		var inbound int
		if err := rows.Scan(&mid, &inbound); err != nil {
			return t, fmt.Errorf("email thread %s: %w", convID, err)
		}
		t.MessageIDs = append(t.MessageIDs, mid)
		if inbound == 1 {
			t.LastInbound = mid
		}
	}
	return t, rows.Err()
}

// ReceiveEmail stores a mail: in its conversation, or in a new email conversation (topic
// other, routed to its team after the commit by EmailStored) when in.ConversationID is "" or
// names a closed conversation. A Message-ID already stored answers Duplicate and stores
// nothing. An automatic mail is stored as a system message and reopens nothing.
func (s *Service) ReceiveEmail(ctx context.Context, in InboundEmail) (ReceivedEmail, error) {
	now := in.ReceivedAt
	if now.IsZero() {
		now = s.now()
	}
	var out ReceivedEmail
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		out = ReceivedEmail{}
		if in.ConversationID != "" {
			var status string
			err := tx.QueryRow(ctx, `SELECT status FROM support_conversations WHERE id = ?`, in.ConversationID).Scan(&status)
			if err != nil {
				return fmt.Errorf("conversation %s: %w", in.ConversationID, db.NotFound(err))
			}
			if status == StatusClosed {
				in.ConversationID = "" // a closed case is not reopened by mail: the mail starts a new one
			}
		}
		if in.ConversationID == "" {
			var c string
			err := tx.QueryRow(ctx, `SELECT conversation_id FROM support_email_ids WHERE message_id = ? AND support_message <> ''`,
				in.MessageID).Scan(&c)
			if err == nil { // a retry of the mail that opened it
				out.ConversationID, out.Duplicate = c, true
				return tx.QueryRow(ctx, `SELECT ref FROM support_conversations WHERE id = ?`, c).Scan(&out.Ref)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("duplicate mail: %w", err)
			}
			return s.openEmail(ctx, tx, in, now, &out)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM support_email_ids WHERE conversation_id = ? AND message_id = ?`,
			in.ConversationID, in.MessageID).Scan(&n); err != nil {
			return fmt.Errorf("duplicate mail: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT ref, lang FROM support_conversations WHERE id = ?`,
			in.ConversationID).Scan(&out.Ref, &out.Lang); err != nil {
			return fmt.Errorf("conversation %s: %w", in.ConversationID, err)
		}
		out.ConversationID = in.ConversationID
		if n > 0 {
			out.Duplicate = true
			return nil
		}
		author := Author{Type: AuthorCustomer, Name: clipName(orElse(in.FromName, in.From))}
		if in.Automatic != "" {
			author = Author{Type: AuthorSystem, Name: "mail"}
		}
		atts, err := storeEmailAttachments(ctx, tx, in.ConversationID, in, now)
		if err != nil {
			return err
		}
		body := emailBody(in)
		nm := NewMessage{Author: author, Body: body, Channel: ChannelEmail}
		m := Message{ID: id.New("msg"), ConversationID: in.ConversationID, Author: author, Body: body, Channel: ChannelEmail,
			CreatedAt: fromMicros(micros(now)), Attachments: atts}
		if _, _, err := appendTx(ctx, tx, in.ConversationID, nm, m, now, s.resumeTx); err != nil {
			return err
		}
		return insertEmailID(ctx, tx, in.ConversationID, in.MessageID, m.ID, in.Automatic == "", now)
	})
	return out, err
}

// openEmail opens the email conversation of in, in tx.
func (s *Service) openEmail(ctx context.Context, tx *db.Tx, in InboundEmail, now time.Time, out *ReceivedEmail) error {
	c := Customer{Email: strings.ToLower(in.From), Name: in.FromName}
	lang := in.Lang
	if s.customers != nil {
		if u, err := s.customers.UserByLogin(ctx, in.From); err == nil {
			c.UserID = u.ID
			if c.Name == "" {
				c.Name = u.DisplayName
			}
			if u.Locale != "" {
				lang, out.Lang = u.Locale, u.Locale
			}
		}
	}
	const topic, priority = "other", "normal"
	team, err := s.teamFor(ctx, topic)
	if err != nil {
		return err
	}
	due, loc, err := s.due(ctx, team, topic, priority, now)
	if err != nil {
		return err
	}
	subject := in.Subject
	if utf8.RuneCountInString(subject) > maxSubject {
		subject = string([]rune(subject)[:maxSubject])
	}
	// The message is stored first with the text alone: the attachments' owner may be the
	// conversation, whose id insertConversation makes. Then the files, then the message's list.
	body := emailBody(InboundEmail{Automatic: in.Automatic, Text: in.Text, Problems: in.Problems})
	msg, err := insertConversation(ctx, tx, NewConversation{Channel: ChannelEmail, Customer: c, Topic: topic,
		Priority: priority, Subject: subject, Body: body}, team, lang, []Attachment{}, due, now)
	if err != nil {
		return err
	}
	if len(in.Attachments) > 0 {
		atts, err := storeEmailAttachments(ctx, tx, msg.ConversationID, in, now)
		if err != nil {
			return err
		}
		js, err := json.Marshal(atts)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE support_messages SET body = ?, attachments = ? WHERE id = ?`,
			emailBody(in), string(js), msg.ID); err != nil {
			return fmt.Errorf("mail attachments: %w", err)
		}
	}
	if err := insertEmailID(ctx, tx, msg.ConversationID, in.MessageID, msg.ID, in.Automatic == "", now); err != nil {
		return err
	}
	if in.AckMessageID != "" { // after the mail it answers
		if err := insertEmailID(ctx, tx, msg.ConversationID, in.AckMessageID, "", false, now.Add(time.Microsecond)); err != nil {
			return err
		}
	}
	out.ConversationID, out.New = msg.ConversationID, true
	if out.Lang == "" {
		out.Lang = lang
	}
	if err := tx.QueryRow(ctx, `SELECT ref FROM support_conversations WHERE id = ?`, msg.ConversationID).Scan(&out.Ref); err != nil {
		return fmt.Errorf("new conversation: %w", err)
	}
	if due.FirstResponseDue.Before(hours.Never()) {
		out.ReplyBy = due.FirstResponseDue.In(loc)
	}
	return nil
}

// storeEmailAttachments stores the kept files of in, in tx (wallet.StoreAttachmentTx), and
// marks as refused in in.Attachments those the attachment store's own check refuses (a mail is
// never refused for its files). A file belongs to the conversation's customer when the mail
// comes from that wallet user's address, so that they can download it in the app; otherwise
// (a stranger, a forward from another address) to the conversation. At most maxAttachments
// are kept; the rest are listed as not kept.
func storeEmailAttachments(ctx context.Context, tx *db.Tx, convID string, in InboundEmail, now time.Time) ([]Attachment, error) {
	out := []Attachment{}
	owner := wallet.ConversationOwner(convID)
	var userID, email string
	if err := tx.QueryRow(ctx, `SELECT customer_id, customer_email FROM support_conversations WHERE id = ?`, convID).
		Scan(&userID, &email); err != nil {
		return nil, fmt.Errorf("mail attachments: %w", db.NotFound(err))
	}
	if userID != "" && strings.EqualFold(strings.TrimSpace(in.From), email) {
		owner = wallet.UserOwner(userID)
	}
	for i := range in.Attachments {
		a := &in.Attachments[i]
		if a.Refused != "" || a.Content == nil {
			if a.Refused == "" {
				a.Refused = "no content"
			}
			continue
		}
		if len(out) >= maxAttachments {
			a.Refused = fmt.Sprintf("more than %d files in one mail", maxAttachments)
			continue
		}
		w, err := wallet.StoreAttachmentTx(ctx, tx, owner, a.Filename, a.ContentType, a.Content, now)
		if f, ok := fault.As(err); ok {
			a.Refused = f.Error()
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Attachment{ID: w.ID, Filename: w.Filename, ContentType: w.ContentType, Size: w.Size})
	}
	return out, nil
}

func insertEmailID(ctx context.Context, tx *db.Tx, convID, messageID, supportMessage string, inbound bool, at time.Time) error {
	in := 0
	if inbound {
		in = 1
	}
	if _, err := tx.Exec(ctx, `INSERT INTO support_email_ids (conversation_id, message_id, support_message, inbound, created_at)
		VALUES (?, ?, ?, ?, ?)`, convID, messageID, supportMessage, in, micros(at)); err != nil {
		return fmt.Errorf("store message id: %w", err)
	}
	return nil
}

// EmailStored is called after the transaction that stored mail messageID in convID
// committed: it tells the streams and routes the conversation's team (a new or returning
// conversation is assigned at once).
func (s *Service) EmailStored(ctx context.Context, convID, messageID string) {
	var msgID string
	if err := s.db.QueryRow(ctx, `SELECT support_message FROM support_email_ids WHERE conversation_id = ? AND message_id = ?`,
		convID, messageID).Scan(&msgID); err == nil && msgID != "" {
		if m, err := scanMessage(s.db.QueryRow(ctx, `SELECT `+msgCols+` FROM support_messages WHERE id = ?`, msgID)); err == nil {
			s.publishMessage(ctx, m)
		}
	}
	if c, err := s.conversation(ctx, convID); err == nil {
		s.route(ctx, c.Team)
	} else {
		s.log.WarnContext(ctx, "support: stored mail", "conversation", convID, "err", err)
	}
}

// mailReply writes the outbox row mailing agent message m of email conversation convID, and
// keeps its Message-ID for threading, in tx.
func (s *Service) mailReply(ctx context.Context, tx *db.Tx, convID string, m Message) error {
	t, err := emailThread(ctx, tx, convID)
	if err != nil {
		return err
	}
	row, mid, err := s.email(t, m.Body)
	if err != nil {
		return fmt.Errorf("mail reply: %w", err)
	}
	if err := tx.InsertRows(ctx, []db.Row{row}); err != nil {
		return fmt.Errorf("mail reply: %w", err)
	}
	return insertEmailID(ctx, tx, convID, mid, m.ID, false, m.CreatedAt)
}

// emailBody is the message text of a mail: its text, clipped to MaxBody, with the attachments
// whose bytes were not kept and its problems listed. A mail with no text (an attachment only)
// gets a placeholder, so that no message is empty.
func emailBody(in InboundEmail) string {
	var b strings.Builder
	if in.Automatic != "" {
		b.WriteString("[automatic mail: " + in.Automatic + "]\n")
	}
	text := strings.TrimSpace(strings.ToValidUTF8(in.Text, "\uFFFD"))
	if text == "" {
		text = "(the mail has no text)"
	}
	var tail strings.Builder
	for _, a := range in.Attachments {
		if a.Refused == "" { // kept: in the message's attachments
			continue
		}
		fmt.Fprintf(&tail, "\n[attachment: %s, %s, %d bytes, not kept: %s]", a.Filename, a.ContentType, a.Size, a.Refused)
	}
	for _, p := range in.Problems {
		tail.WriteString("\n[problem: " + p + "]")
	}
	room := MaxBody - utf8.RuneCountInString(b.String()) - utf8.RuneCountInString(tail.String()) - 20
	if room < 100 {
		room, tail = 100, strings.Builder{}
	}
	if utf8.RuneCountInString(text) > room {
		text = string([]rune(text)[:room]) + "\n[… cut]"
	}
	b.WriteString(text)
	b.WriteString(tail.String())
	out := b.String()
	if utf8.RuneCountInString(out) > MaxBody {
		out = string([]rune(out)[:MaxBody])
	}
	return out
}

func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// due is when a conversation of team, topic and priority opened at now falls due (package sla
// on the team's calendar, package hours), and the calendar's time zone. Hours that cannot be
// read count as always open, so a broken calendar never hides a deadline.
func (s *Service) due(ctx context.Context, team, topic, priority string, now time.Time) (SLA, *time.Location, error) {
	cal := hours.Always()
	teams, err := s.staff.Teams(ctx)
	if err != nil {
		return SLA{}, nil, fmt.Errorf("teams: %w", err)
	}
	for _, t := range teams {
		if t.Slug == team {
			if c, err := calendarOf(t.BusinessHours); err == nil {
				cal = c
			} else {
				s.log.WarnContext(ctx, "support: business hours", "team", team, "err", err)
			}
		}
	}
	p := s.policies.For(topic, sla.Priority(priority))
	fr, res := sla.FirstResponse(p, cal, now, nil).Deadline(), sla.Resolution(p, cal, now, nil).Deadline()
	return SLA{FirstResponseDue: fr.Due.UTC(), ResolutionDue: res.Due.UTC(), alarms: [2][]sla.Alarm{fr.Alarms(), res.Alarms()}},
		cal.Location(), nil
}

// dueTimes is due without the time zone.
func (s *Service) dueTimes(ctx context.Context, team, topic, priority string, now time.Time) (SLA, error) {
	d, _, err := s.due(ctx, team, topic, priority, now)
	return d, err
}

func calendarOf(h staff.BusinessHours) (*hours.Calendar, error) {
	ps := make([]hours.Period, len(h.Weekly))
	for i, p := range h.Weekly {
		ps[i] = hours.Period{Day: p.Day, Start: p.Start, End: p.End}
	}
	return hours.New(h.TimeZone, ps, h.Holidays)
}
