package support

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/sla"
)

// Customer is who a conversation is with: a wallet user (UserID), or for mail and calls from
// unknown senders only an email address or a phone number.
type Customer struct {
	UserID string `json:"user_id,omitempty"`
	Email  string `json:"email,omitempty"`
	Phone  string `json:"phone,omitempty"`
	Name   string `json:"name"`
}

// Author is who wrote a message.
type Author struct {
	Type string `json:"type" enum:"customer,agent,system"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Attachment is a file attached to a message (stored by the wallet's attachment store).
type Attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// Message is one message of a conversation. Internal notes are for staff only.
type Message struct {
	ID             string       `json:"id"`
	ConversationID string       `json:"conversation_id"`
	Author         Author       `json:"author"`
	Body           string       `json:"body"`
	Internal       bool         `json:"internal" doc:"a note between staff; customers never see it"`
	Channel        string       `json:"channel" enum:"chat,email,phone,callback"`
	CreatedAt      time.Time    `json:"created_at"`
	ClientID       string       `json:"client_id,omitempty" doc:"the sender's id for the message; a resend with the same one is stored once"`
	Attachments    []Attachment `json:"attachments"`
}

// Queue is where a waiting conversation stands.
type Queue struct {
	Position             int   `json:"position" doc:"1 is next"`
	EstimatedWaitSeconds int64 `json:"estimated_wait_seconds" doc:"from recent handling times while agents are on; outside business hours, the time until the next opening"`
}

// Rating is the customer's satisfaction score.
type Rating struct {
	Score   int    `json:"score"`
	Comment string `json:"comment"`
}

// Conversation is one case with a customer, whatever the channel.
type Conversation struct {
	ID              string       `json:"id"`
	Ref             string       `json:"ref" doc:"short reference; email subjects carry it as [#ref]"`
	Channel         string       `json:"channel" enum:"chat,email,phone,callback"`
	Status          string       `json:"status" enum:"open,pending,resolved,closed"`
	Topic           string       `json:"topic" enum:"account_locked,payment_failed,account_security,refund,fees,other"`
	Priority        string       `json:"priority" enum:"low,normal,high,urgent"`
	Team            string       `json:"team"`
	AssigneeID      *string      `json:"assignee_id" doc:"the staff member handling it, or null"`
	Customer        Customer     `json:"customer"`
	Subject         string       `json:"subject"`
	Tags            []string     `json:"tags"`
	TransactionID   string       `json:"transaction_id,omitempty"`
	Queue           *Queue       `json:"queue" doc:"where it waits for an agent; null when it is not waiting"`
	Rating          *Rating      `json:"rating"`
	CreatedAt       time.Time    `json:"created_at"`
	UpdatedAt       time.Time    `json:"updated_at"`
	AssignedAt      *time.Time   `json:"assigned_at"`
	FirstResponseAt *time.Time   `json:"first_response_at"`
	ResolvedAt      *time.Time   `json:"resolved_at"`
	SLA             *SLA         `json:"sla" doc:"when the first response and the resolution fall due (business time of the team's calendar); null for conversations opened before SLA clocks"`
	Reads           []Read       `json:"reads,omitempty" doc:"the participants' read markers (in the answer about one conversation, not in lists)"`
	Disposition     *Disposition `json:"disposition" doc:"the agent's disposition of the call (phone and call-back conversations); null until set, and always for customers"`

	queuedAt *int64
	lang     string
}

// SLA are a conversation's due times, fixed when it opens (package sla on the team's
// business-hours calendar, package hours).
type SLA struct {
	FirstResponseDue time.Time `json:"first_response_due"`
	ResolutionDue    time.Time `json:"resolution_due"`

	alarms [2][]sla.Alarm // when opened: first response's and resolution's warning and breach
}

// NewConversation is what Open needs. Author defaults to the customer.
type NewConversation struct {
	Channel       string
	Customer      Customer
	Topic         string
	Priority      string // "" is normal
	Subject       string
	Body          string
	TransactionID string
	ClientID      string
	AttachmentIDs []string
	Author        *Author
}

// NewMessage is what Append needs.
type NewMessage struct {
	Author        Author
	Body          string
	Internal      bool
	Channel       string // "" is the conversation's
	ClientID      string
	AttachmentIDs []string
}

const convCols = `id, ref, channel, customer_id, customer_email, customer_phone, customer_name, subject, topic,
	priority, status, team, assignee, tags, transaction_id, queued_at, assigned_at, first_response_at, resolved_at,
	rating, rating_comment, created_at, updated_at, lang, first_response_due, resolution_due, disposition, disposition_note,
	disposition_by, disposition_at`

func scanConversation(sc interface{ Scan(...any) error }) (Conversation, error) {
	var c Conversation
	var assignee sql.NullString
	var tags string
	var queued, assigned, first, resolved, rating sql.NullInt64
	var comment string
	var created, updated int64
	var frDue, resDue, dispAt sql.NullInt64
	var disp, dispNote, dispBy string
	err := sc.Scan(&c.ID, &c.Ref, &c.Channel, &c.Customer.UserID, &c.Customer.Email, &c.Customer.Phone, &c.Customer.Name,
		&c.Subject, &c.Topic, &c.Priority, &c.Status, &c.Team, &assignee, &tags, &c.TransactionID, &queued, &assigned,
		&first, &resolved, &rating, &comment, &created, &updated, &c.lang, &frDue, &resDue, &disp, &dispNote, &dispBy, &dispAt)
	if err != nil {
		return Conversation{}, db.NotFound(err)
	}
	c.Disposition = dispositionOf(disp, dispNote, dispBy, dispAt)
	if assignee.Valid {
		c.AssigneeID = &assignee.String
	}
	if err := json.Unmarshal([]byte(tags), &c.Tags); err != nil || c.Tags == nil {
		c.Tags = []string{}
	}
	if queued.Valid {
		c.queuedAt = &queued.Int64
	}
	at := func(v sql.NullInt64) *time.Time {
		if !v.Valid {
			return nil
		}
		t := fromMicros(v.Int64)
		return &t
	}
	c.AssignedAt, c.FirstResponseAt, c.ResolvedAt = at(assigned), at(first), at(resolved)
	if rating.Valid {
		c.Rating = &Rating{Score: int(rating.Int64), Comment: comment}
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	if frDue.Valid && resDue.Valid {
		c.SLA = &SLA{FirstResponseDue: fromMicros(frDue.Int64), ResolutionDue: fromMicros(resDue.Int64)}
	}
	return c, nil
}

const msgCols = `id, conversation_id, author_type, author_id, author_name, body, internal, channel, client_id, attachments, created_at`

func scanMessage(sc interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var internal int
	var client sql.NullString
	var atts string
	var created int64
	if err := sc.Scan(&m.ID, &m.ConversationID, &m.Author.Type, &m.Author.ID, &m.Author.Name, &m.Body, &internal,
		&m.Channel, &client, &atts, &created); err != nil {
		return Message{}, db.NotFound(err)
	}
	m.Internal, m.ClientID, m.CreatedAt = internal == 1, client.String, fromMicros(created)
	if err := json.Unmarshal([]byte(atts), &m.Attachments); err != nil || m.Attachments == nil {
		m.Attachments = []Attachment{}
	}
	return m, nil
}

// Limits of input besides MaxBody.
const (
	maxClientID    = 128
	maxAttachments = 10
	maxSubject     = 300
	maxName        = 200
)

func checkBody(v *fault.Validation, field, body string) {
	n := utf8.RuneCountInString(body)
	v.Check(utf8.ValidString(body) && strings.TrimSpace(body) != "", field, fault.MsgNotEmpty)
	v.Check(n <= MaxBody, field, fault.MsgAtMostCharsHas, MaxBody, n)
}

// Open starts a conversation with its first message and routes it at once: assigned to a free
// agent of the topic's team, or queued (Conversation.Queue says where). Channels outside HTTP
// call it with the customer they recognised (a user id, or only an email or phone).
//
// A chat opened while the team's business hours are closed becomes an email-style
// conversation when the customer has an email address (agents' replies go out by mail): it
// waits in the queue until the next opening, which its queue estimate gives, and a system
// message tells the customer so.
func (s *Service) Open(ctx context.Context, in NewConversation) (Conversation, Message, error) {
	conv, msg, _, err := s.open(ctx, in, nil, nil)
	return conv, msg, err
}

// Once is a customer's Idempotency-Key with the fingerprint of the request it came with.
type Once struct {
	Key  string
	Hash string
}

// ErrIdempotencyConflict: a key already used with another request.
var ErrIdempotencyConflict = fault.New("idempotency_conflict", "This Idempotency-Key was used with another request.")

// OpenOnce is Open under the customer's Idempotency-Key: a replay (same key, same request)
// answers the conversation the first one opened, with replay true, and opens nothing; the
// same key with another request answers idempotency_conflict. Concurrent replays wait for
// the first: the key is written in the transaction that opens the conversation.
func (s *Service) OpenOnce(ctx context.Context, in NewConversation, once Once) (Conversation, bool, error) {
	conv, _, replay, err := s.open(ctx, in, &once, nil)
	return conv, replay, err
}

// replayed reads what an Idempotency-Key of customer stored: the conversation and call-back
// it opened. ok false when the key is new.
func (s *Service) replayed(ctx context.Context, customer string, once Once) (convID, callbackID string, ok bool, err error) {
	var hash string
	err = s.db.QueryRow(ctx, `SELECT request_hash, conversation_id, callback_id FROM support_idempotency
		WHERE customer_id = ? AND idem_key = ?`, customer, once.Key).Scan(&hash, &convID, &callbackID)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("idempotency key: %w", err)
	}
	if hash != once.Hash {
		return "", "", false, ErrIdempotencyConflict
	}
	return convID, callbackID, true, nil
}

// customerKey is whom an Idempotency-Key belongs to.
func customerKey(c Customer) string {
	switch {
	case c.UserID != "":
		return c.UserID
	case c.Email != "":
		return "email:" + strings.ToLower(c.Email)
	}
	return "phone:" + c.Phone
}

// open is Open, under an Idempotency-Key when once is not nil, with extra writes in the
// opening transaction when also is not nil (it gets the new conversation's id).
func (s *Service) open(ctx context.Context, in NewConversation, once *Once,
	also func(ctx context.Context, tx *db.Tx, convID string) error) (Conversation, Message, bool, error) {
	var v fault.Validation
	v.Check(slices.Contains(Channels, in.Channel), "channel", fault.MsgOneOf, "chat, email, phone, callback")
	v.Check(slices.Contains(Topics, in.Topic), "topic", fault.MsgOneOf, strings.Join(Topics, ", "))
	if in.Priority == "" {
		in.Priority = "normal"
	}
	v.Check(slices.Contains(Priorities, in.Priority), "priority", fault.MsgOneOf, "low, normal, high, urgent")
	checkBody(&v, "message", in.Body)
	v.Check(utf8.RuneCountInString(in.Subject) <= maxSubject, "subject", fault.MsgTooLong)
	v.Check(len(in.ClientID) <= maxClientID, "client_id", fault.MsgMustAtMostChars, 128)
	c := in.Customer
	v.Check(c.UserID != "" || c.Email != "" || c.Phone != "", "customer", fault.MsgCustomerNamed)
	if err := v.Err(); err != nil {
		return Conversation{}, Message{}, false, err
	}
	replay := func() (Conversation, Message, bool, error) {
		convID, _, ok, err := s.replayed(ctx, customerKey(c), *once)
		if err != nil || !ok {
			return Conversation{}, Message{}, false, err
		}
		conv, err := s.conversation(ctx, convID)
		return conv, Message{}, true, err
	}
	if once != nil {
		if conv, msg, ok, err := replay(); err != nil || ok {
			return conv, msg, ok, err
		}
	}
	if in.TransactionID != "" {
		if c.UserID == "" || s.money == nil {
			return Conversation{}, Message{}, false, fault.Invalid("transaction_id", fault.MsgNotYourTransaction)
		}
		if _, err := s.money.Transaction(ctx, c.UserID, in.TransactionID); err != nil {
			if fault.Code(err) == "not_found" || errors.Is(err, db.ErrNotFound) {
				return Conversation{}, Message{}, false, fault.Invalid("transaction_id", fault.MsgNotYourTransaction)
			}
			return Conversation{}, Message{}, false, fmt.Errorf("open conversation: %w", err)
		}
	}
	atts, err := s.attachments(ctx, c.UserID, in.AttachmentIDs)
	if err != nil {
		return Conversation{}, Message{}, false, err
	}
	team, err := s.teamFor(ctx, in.Topic)
	if err != nil {
		return Conversation{}, Message{}, false, err
	}
	now := s.now()
	due, err := s.dueTimes(ctx, team, in.Topic, in.Priority, now)
	if err != nil {
		return Conversation{}, Message{}, false, err
	}
	var closedNote *Message
	if in.Channel == ChannelChat && c.Email != "" {
		if next, closed, err := s.closedUntil(ctx, team, now); err != nil {
			return Conversation{}, Message{}, false, err
		} else if closed {
			in.Channel = ChannelEmail // answered by mail when the team is back
			if in.Subject == "" {
				in.Subject = "Dompet support"
			}
			closedNote = &Message{Author: Author{Type: AuthorSystem, Name: "Dompet"}, Body: closedBody(c.Email, next),
				Channel: ChannelEmail, Attachments: []Attachment{}}
		}
	}
	var msg Message
	for attempt := 0; ; attempt++ {
		err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			var err error
			msg, err = insertConversation(ctx, tx, in, team, "", atts, due, now)
			if err != nil {
				return err
			}
			if closedNote != nil {
				closedNote.ID, closedNote.ConversationID, closedNote.CreatedAt = id.New("msg"), msg.ConversationID, msg.CreatedAt
				if err := insertMessage(ctx, tx, *closedNote); err != nil {
					return err
				}
			}
			if also != nil {
				if err := also(ctx, tx, msg.ConversationID); err != nil {
					return err
				}
			}
			if once != nil {
				// Last: on PostgreSQL a concurrent replay waits here for this commit, then fails.
				_, err = tx.Exec(ctx, `INSERT INTO support_idempotency (customer_id, idem_key, request_hash,
					conversation_id, callback_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
					customerKey(c), once.Key, once.Hash, msg.ConversationID, callbackOf(ctx), micros(now))
			}
			return err
		})
		if err != nil && once != nil && db.IsUniqueViolation(err) {
			if conv, m, ok, rerr := replay(); rerr != nil || ok {
				return conv, m, ok, rerr // a concurrent request under the same key won
			}
		}
		if err == nil || !db.IsUniqueViolation(err) || attempt == 2 {
			break
		}
	}
	if err != nil {
		return Conversation{}, Message{}, false, fmt.Errorf("open conversation: %w", err)
	}
	s.publishMessage(ctx, msg)
	if closedNote != nil {
		s.publishMessage(ctx, *closedNote)
	}
	s.route(ctx, team)
	conv, err := s.conversation(ctx, msg.ConversationID)
	return conv, msg, false, err
}

// closedUntil reports whether team's business hours are closed at now, and when they open.
func (s *Service) closedUntil(ctx context.Context, team string, now time.Time) (time.Time, bool, error) {
	teams, err := s.staff.Teams(ctx)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("teams: %w", err)
	}
	for _, t := range teams {
		if t.Slug == team {
			if open, next := s.opening(t.BusinessHours, now); !open && !next.IsZero() {
				return next, true, nil
			}
		}
	}
	return time.Time{}, false, nil
}

// closedBody is the system message of a chat opened outside business hours, in both
// languages (the conversation does not know the customer's).
func closedBody(email string, next time.Time) string {
	at := next.UTC().Format("2006-01-02 15:04 UTC")
	return fmt.Sprintf("Our team is away right now. Your message is kept and we will reply by email to %s after we open at %s.\n"+
		"客服团队目前不在线。您的留言已保存，我们将在 %s 上班后通过邮件回复至 %s。", email, at, at, email)
}

type callbackKey struct{}

// callbackOf is the call-back id that open's caller put in ctx, or "".
func callbackOf(ctx context.Context) string {
	v, _ := ctx.Value(callbackKey{}).(string)
	return v
}

// insertConversation writes a new conversation (queued for team) with its first message in tx.
func insertConversation(ctx context.Context, tx *db.Tx, in NewConversation, team, lang string, atts []Attachment, due SLA, now time.Time) (Message, error) {
	c := in.Customer
	author := Author{Type: AuthorCustomer, ID: c.UserID, Name: clipName(c.Name)}
	if in.Author != nil {
		author = *in.Author
	}
	convID := id.New("cnv")
	ref := strings.ToUpper(convID[len(convID)-8:]) // the ULID's random tail
	msg := Message{ID: id.New("msg"), ConversationID: convID, Author: author, Body: in.Body, Channel: in.Channel,
		CreatedAt: fromMicros(micros(now)), ClientID: in.ClientID, Attachments: atts}
	_, err := tx.Exec(ctx, `INSERT INTO support_conversations (id, ref, channel, customer_id, customer_email,
		customer_phone, customer_name, subject, topic, priority, status, team, tags, transaction_id, queued_at,
		created_at, updated_at, lang, first_response_due, resolution_due)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, '[]', ?, ?, ?, ?, ?, ?, ?)`,
		convID, ref, in.Channel, c.UserID, strings.ToLower(c.Email), c.Phone, clipName(c.Name), in.Subject,
		in.Topic, in.Priority, team, in.TransactionID, micros(now), micros(now), micros(now), lang,
		micros(due.FirstResponseDue), micros(due.ResolutionDue))
	if err != nil {
		return Message{}, fmt.Errorf("insert conversation: %w", err)
	}
	if err := tx.InsertRows(ctx, alarmRows(convID, due)); err != nil {
		return Message{}, fmt.Errorf("sla alarms: %w", err)
	}
	return msg, insertMessage(ctx, tx, msg)
}

func clipName(n string) string {
	n = strings.TrimSpace(strings.ToValidUTF8(n, ""))
	if utf8.RuneCountInString(n) > maxName {
		n = string([]rune(n)[:maxName])
	}
	return n
}

const insertQuery = `INSERT INTO support_messages (` + msgCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// messageArgs are insertQuery's arguments for m.
func messageArgs(m Message) ([]any, error) {
	atts, err := json.Marshal(m.Attachments)
	if err != nil {
		return nil, err
	}
	var client any
	if m.ClientID != "" {
		client = m.ClientID
	}
	internal := 0
	if m.Internal {
		internal = 1
	}
	return []any{m.ID, m.ConversationID, m.Author.Type, m.Author.ID, m.Author.Name, m.Body, internal, m.Channel, client,
		string(atts), micros(m.CreatedAt)}, nil
}

func insertMessage(ctx context.Context, tx *db.Tx, m Message) error {
	args, err := messageArgs(m)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, insertQuery, args...)
	if err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	return nil
}

// attachments checks that every id is an attachment of userID and describes them.
func (s *Service) attachments(ctx context.Context, userID string, ids []string) ([]Attachment, error) {
	out := []Attachment{}
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > maxAttachments {
		return nil, fault.Invalid("attachment_ids", fault.MsgAtMostAttachments, maxAttachments)
	}
	if userID == "" || s.money == nil {
		return nil, fault.Invalid("attachment_ids", fault.MsgYourAttachments)
	}
	for _, aid := range ids {
		a, _, err := s.money.AttachmentContent(ctx, userID, aid)
		if err != nil {
			if fault.Code(err) == "not_found" || errors.Is(err, db.ErrNotFound) {
				return nil, fault.Invalid("attachment_ids", fault.MsgYourAttachments)
			}
			return nil, fmt.Errorf("attachment %s: %w", aid, err)
		}
		out = append(out, Attachment{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size})
	}
	return out, nil
}

// conversation reads a conversation with its queue place.
func (s *Service) conversation(ctx context.Context, convID string) (Conversation, error) {
	c, err := scanConversation(s.db.QueryRow(ctx, `SELECT `+convCols+` FROM support_conversations WHERE id = ?`, convID))
	if errors.Is(err, db.ErrNotFound) {
		return Conversation{}, ErrNotFound
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("conversation %s: %w", convID, err)
	}
	if err := s.fillQueue(ctx, &c); err != nil {
		return Conversation{}, err
	}
	return c, nil
}

// Conversation returns a conversation by id, whoever it belongs to (for channels and tests;
// the API's readers use CustomerConversation and AgentConversation).
func (s *Service) Conversation(ctx context.Context, convID string) (Conversation, error) {
	return s.conversation(ctx, convID)
}

// ByRef finds a conversation by its short reference (any case), as email subjects carry it.
func (s *Service) ByRef(ctx context.Context, ref string) (Conversation, error) {
	var convID string
	err := s.db.QueryRow(ctx, `SELECT id FROM support_conversations WHERE ref = ?`,
		strings.ToUpper(strings.TrimSpace(ref))).Scan(&convID)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return Conversation{}, ErrNotFound
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("conversation by ref: %w", err)
	}
	return s.conversation(ctx, convID)
}

// Append adds a message to a conversation; the message is stored before Append returns. A
// resend with the same ClientID returns the message stored the first time. A customer's
// message reopens a pending conversation, and a resolved one goes back to the queue (a
// returning conversation is routed again); a closed one refuses with invalid_state.
//
// Messages are committed in groups (see chatwriter.go): concurrent Appends share one
// transaction and one fsync, and each returns once its group is committed.
func (s *Service) Append(ctx context.Context, convID string, in NewMessage) (Message, error) {
	return s.appendAs(ctx, convID, "", in)
}

// appendAs is Append for a conversation that must belong to the customer owner ("": any).
func (s *Service) appendAs(ctx context.Context, convID, owner string, in NewMessage) (Message, error) {
	var v fault.Validation
	checkBody(&v, "body", in.Body)
	v.Check(len(in.ClientID) <= maxClientID, "client_id", fault.MsgMustAtMostChars, 128)
	v.Check(slices.Contains([]string{AuthorCustomer, AuthorAgent, AuthorSystem}, in.Author.Type), "author", fault.MsgUnknownAuthor)
	v.Check(!in.Internal || in.Author.Type == AuthorAgent, "internal", fault.MsgInternalStaff)
	if err := v.Err(); err != nil {
		return Message{}, err
	}
	// A resend with attachments answers from the store before they are checked again (they
	// may be gone by now); other resends are found by the writer, in the group's transaction.
	if in.ClientID != "" && len(in.AttachmentIDs) > 0 {
		if m, err := s.messageByClient(ctx, convID, in.ClientID); err == nil {
			return m, nil
		} else if !errors.Is(err, db.ErrNotFound) {
			return Message{}, err
		}
	}
	conv, err := s.head(ctx, convID)
	if err != nil {
		return Message{}, err
	}
	if owner != "" && conv.customerID != owner {
		return Message{}, ErrNotFound
	}
	userID := ""
	if in.Author.Type == AuthorCustomer {
		userID = conv.customerID
	}
	atts, err := s.attachments(ctx, userID, in.AttachmentIDs)
	if err != nil {
		return Message{}, err
	}
	if in.Channel == "" {
		in.Channel = conv.channel
	}
	r := &appendReq{convID: convID, in: in, conv: conv, done: make(chan struct{}),
		m: Message{ConversationID: convID, Author: in.Author, Body: in.Body, Internal: in.Internal,
			Channel: in.Channel, ClientID: in.ClientID, Attachments: atts}}
	s.chat.enqueue(s, r)
	<-r.done // once queued the message will be decided: wait even if ctx ends
	if r.err != nil {
		if in.ClientID != "" && db.IsUniqueViolation(r.err) { // a concurrent resend won
			return s.messageByClient(ctx, convID, in.ClientID)
		}
		if errors.Is(r.err, db.ErrNotFound) {
			return Message{}, ErrNotFound
		}
		return Message{}, r.err
	}
	if r.requeued {
		s.route(ctx, conv.team)
	}
	return r.m, nil
}

// convHead is what Append needs of a conversation: far less than Conversation (no queue place).
type convHead struct {
	channel, team, customerID string
}

func (s *Service) head(ctx context.Context, convID string) (convHead, error) {
	var h convHead
	err := s.db.QueryRow(ctx, `SELECT channel, team, customer_id FROM support_conversations WHERE id = ?`, convID).
		Scan(&h.channel, &h.team, &h.customerID)
	if err = db.NotFound(err); errors.Is(err, db.ErrNotFound) {
		return convHead{}, ErrNotFound
	} else if err != nil {
		return convHead{}, fmt.Errorf("conversation %s: %w", convID, err)
	}
	return h, nil
}

// appendTx stores m in conversation convID within tx: a customer's message reopens a pending
// conversation and sends a resolved one back to the queue; an agent's first public message
// marks the first response.
func appendTx(ctx context.Context, tx *db.Tx, convID string, in NewMessage, m Message, now time.Time, resume resumeFunc) (reopened, requeued bool, err error) {
	status, err := lockConversation(ctx, tx, convID)
	if err != nil {
		return false, false, err
	}
	return applyAppend(ctx, tx, convID, status, in, m, now, nil, resume)
}

// resumeFunc restarts a conversation's SLA clocks when it leaves pending (Service.resumeTx);
// nil: none.
type resumeFunc func(ctx context.Context, tx *db.Tx, convID string, now time.Time, alarms bool) error

// lockConversation locks the conversation for a new message and returns its status; a closed
// one is ErrState. It writes nothing, so its refusals leave a group's transaction usable.
func lockConversation(ctx context.Context, tx *db.Tx, convID string) (string, error) {
	return lockedStatus(tx.QueryRow(ctx, lockQuery+tx.ForUpdate(), convID))
}

const lockQuery = `SELECT status FROM support_conversations WHERE id = ?`

// lockedStatus reads lockQuery's row (see lockConversation).
func lockedStatus(row *sql.Row) (string, error) {
	var status string
	if err := row.Scan(&status); err != nil {
		return "", fmt.Errorf("lock conversation: %w", db.NotFound(err))
	}
	if status == StatusClosed {
		return "", explained(ErrState, "The conversation is closed; start a new one.", "此会话已关闭，请发起新的会话。")
	}
	return status, nil
}

// applyAppend writes message m of the locked conversation convID (in status) and its effects;
// insert, when not nil, is insertQuery prepared.
func applyAppend(ctx context.Context, tx *db.Tx, convID, status string, in NewMessage, m Message, now time.Time, insert *sql.Stmt, resume resumeFunc) (reopened, requeued bool, err error) {
	if in.Author.Type == AuthorCustomer && status != StatusOpen {
		reopened = true
		if status == StatusResolved { // a returning conversation: back to the queue, routed again
			requeued = true
			if _, err := tx.Exec(ctx, `UPDATE support_conversations SET status = 'open', assignee = NULL,
				assigned_at = NULL, resolved_at = NULL, queued_at = ?, updated_at = ? WHERE id = ?`,
				micros(now), micros(now), convID); err != nil {
				return false, false, fmt.Errorf("reopen: %w", err)
			}
		} else if _, err := tx.Exec(ctx, `UPDATE support_conversations SET status = 'open', updated_at = ? WHERE id = ?`,
			micros(now), convID); err != nil {
			return false, false, fmt.Errorf("reopen: %w", err)
		}
		if resume != nil {
			if err := resume(ctx, tx, convID, now, true); err != nil {
				return false, false, err
			}
		}
	} else if in.Author.Type == AuthorAgent && !in.Internal {
		if _, err := tx.Exec(ctx, `UPDATE support_conversations SET first_response_at = COALESCE(first_response_at, ?),
			updated_at = ? WHERE id = ?`, micros(now), micros(now), convID); err != nil {
			return false, false, fmt.Errorf("first response: %w", err)
		}
	}
	if insert != nil {
		args, err := messageArgs(m)
		if err == nil {
			_, err = insert.ExecContext(ctx, args...)
		}
		if err != nil {
			return false, false, fmt.Errorf("insert message: %w", err)
		}
		return reopened, requeued, nil
	}
	return reopened, requeued, insertMessage(ctx, tx, m)
}

func (s *Service) messageByClient(ctx context.Context, convID, clientID string) (Message, error) {
	m, err := scanMessage(s.db.QueryRow(ctx, `SELECT `+msgCols+` FROM support_messages
		WHERE conversation_id = ? AND client_id = ?`, convID, clientID))
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return Message{}, fmt.Errorf("message by client id: %w", err)
	}
	return m, err
}

// Messages lists a conversation's messages after the message id after ("" from the start),
// oldest first, at most limit; internal notes only when withInternal.
func (s *Service) Messages(ctx context.Context, convID, after string, withInternal bool, limit int) ([]Message, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	q := `SELECT ` + msgCols + ` FROM support_messages WHERE conversation_id = ? AND id > ?`
	if !withInternal {
		q += ` AND internal = 0`
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY id LIMIT ?`, convID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("messages: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Filter narrows a list of conversations.
type Filter struct {
	View    string // agents: mine, unassigned, all
	Status  string
	Channel string
	Topic   string
	Cursor  string // id of the last item of the previous page
	Limit   int
}

// list reads conversations matching where (with args) and f, newest first.
func (s *Service) list(ctx context.Context, where []string, args []any, f Filter) ([]Conversation, string, error) {
	for _, c := range []struct{ col, val string }{{"status", f.Status}, {"channel", f.Channel}, {"topic", f.Topic}} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if f.Cursor != "" {
		where = append(where, "id < ?")
		args = append(args, f.Cursor)
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := `SELECT ` + convCols + ` FROM support_conversations`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, f.Limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	out := []Conversation{}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("list conversations: %w", err)
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	for i := range out {
		if err := s.fillQueue(ctx, &out[i]); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

func validFilter(f Filter) error {
	var v fault.Validation
	v.Check(f.Status == "" || slices.Contains(Statuses, f.Status), "status", fault.MsgOneOf, "open, pending, resolved, closed")
	v.Check(f.Channel == "" || slices.Contains(Channels, f.Channel), "channel", fault.MsgOneOf, "chat, email, phone, callback")
	v.Check(f.Topic == "" || slices.Contains(Topics, f.Topic), "topic", fault.MsgOneOf, strings.Join(Topics, ", "))
	v.Check(f.View == "" || slices.Contains([]string{"mine", "unassigned", "all"}, f.View), "view", fault.MsgOneOf, "mine, unassigned, all")
	return v.Err()
}

// OpenedWith returns the conversation a message with clientID opened or joined, the earliest,
// and ok false when there is none. Loaders that must run twice without duplicates (the demo)
// give each conversation they open a fixed client id and look it up first.
func (s *Service) OpenedWith(ctx context.Context, clientID string) (c Conversation, ok bool, err error) {
	var convID string
	err = s.db.QueryRow(ctx, `SELECT conversation_id FROM support_messages WHERE client_id = ? ORDER BY id LIMIT 1`, clientID).Scan(&convID)
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, false, nil
	}
	if err != nil {
		return Conversation{}, false, fmt.Errorf("conversation opened with %s: %w", clientID, err)
	}
	c, err = s.conversation(ctx, convID)
	return c, err == nil, err
}
