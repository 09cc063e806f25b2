// Package mailbox is the support desk's email channel: an embedded SMTP listener for the
// support address (and, optionally, a poller of an IMAP mailbox feeding the same Deliver: see
// Poller), MIME parsing, threading of replies into conversations, acknowledgements
// and agent replies sent through the durable outbox, and the rules that keep auto-replies and
// bounces from starting mail loops. It knows conversations only through the Desk interface,
// which the support desk implements.
//
// # A mail answered 250 is never lost
//
// Deliver (called by the SMTP session with the whole DATA) parses the mail, threads it and has
// the desk store it, and writes the acknowledgement's outbox row, all in one database
// transaction, before the session answers 250. If anything fails the answer is a temporary
// 451 and the sending server keeps the mail and tries again; the desk drops the repeat by its
// Message-ID (a mail without one gets an id made from its bytes). A mail whose header cannot be
// read is refused with 554; a readable header with a broken or undecodable body is stored
// with the best text that could be made of it and its problems listed (Inbound.Problems), with
// the raw mail, so nothing accepted is lost.
//
// # Threading
//
// A mail joins a conversation when one of its In-Reply-To or References ids is the Message-ID
// of a mail of the conversation (the customer's or ours: the desk stores both), tried newest
// first, so clients that truncate References or drop In-Reply-To still thread. Failing that,
// "[#<ref>]" in the subject joins the conversation with that reference, if the mail comes
// from the conversation's customer (a reference is short and visible, so a stranger quoting
// it opens a conversation of their own instead of writing into someone else's).
//
// # Loops
//
// A mail marked automatic (Auto-Submitted other than "no", Precedence bulk/junk/list,
// X-Autoreply and kin, a mailing list, a delivery report, an empty envelope sender, our own
// address) is stored if it threads and dropped otherwise; it is never acknowledged. An
// acknowledgement is itself marked "Auto-Submitted: auto-replied", goes once per conversation
// (an outbox dedupe key), and at most Options.AckRate per sender.
package mailbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/id"
)

// Desk is what the mailbox needs from the support desk. Both methods are called inside the
// mailbox's database transaction (ctx carries it): the desk's db.WithTx joins it, so the
// stored mail and its acknowledgement commit together, or neither does.
type Desk interface {
	// Thread finds a conversation: with Lookup.MessageIDs, the one holding a mail (inbound or
	// outbound) whose Message-ID is among them, the earliest in the list winning; with
	// Lookup.Ref, the one with that reference (compared case-insensitively). Exactly one of
	// the two is set. ok is false when none matches.
	Thread(ctx context.Context, l Lookup) (t Thread, ok bool, err error)
	// Receive stores in: as a message of in.ConversationID, or in a new email conversation
	// when that is "" (with in.AckMessageID stored among its Message-IDs, as the
	// acknowledgement will carry it). A Message-ID already stored in the conversation (a
	// sender's retry) stores nothing and answers Duplicate.
	Receive(ctx context.Context, in Inbound) (Received, error)
}

// Lookup is what a conversation is looked up by.
type Lookup struct {
	MessageIDs []string // without <>, in order of preference
	Ref        string
}

// Thread is a conversation as the mailbox sees it.
type Thread struct {
	ConversationID string
	Ref            string
	Customer       string // the customer's address: where replies go
	Lang           string // "en", "zh-CN" or "" when unknown
	Subject        string // the conversation's subject (its first mail's)
	// MessageIDs are the Message-IDs (without <>) of the conversation's mails, oldest first,
	// the customer's and ours alike.
	MessageIDs []string
	// LastInbound is the Message-ID of the customer's latest mail ("" if none): what a reply
	// answers.
	LastInbound string
}

// Inbound is one received mail for the desk to store.
type Inbound struct {
	ConversationID string // "" opens a conversation
	MessageID      string // without <>; never ""
	// AckMessageID is the Message-ID the acknowledgement will carry if this mail opens a
	// conversation: the desk stores it with the conversation so that a reply to the
	// acknowledgement threads.
	AckMessageID string
	From         string // the customer's address
	FromName     string
	Subject      string
	Text         string
	Lang         string // "zh-CN", "en" or ""
	Attachments  []Attachment
	Automatic    string // why the mail is automatic; "" when a person wrote it
	Problems     []string
	Raw          []byte // the mail as received: keep it when Problems is not empty
	ReceivedAt   time.Time
}

// Received is what the desk did with a mail.
type Received struct {
	ConversationID string
	Ref            string
	New            bool      // the mail opened the conversation
	Duplicate      bool      // the Message-ID was already stored: nothing was stored
	ReplyBy        time.Time // the promised first reply (in the time zone to show it in); zero if none
	Lang           string    // the customer's language if the desk knows it (their setting); "" otherwise
}

// Result is what Deliver did, for logs and tests.
type Result struct {
	Received
	MessageID string
	Stored    bool   // the desk stored the mail
	Dropped   string // why an automatic mail was not stored ("" when stored)
	Acked     bool   // an acknowledgement was written to the outbox
	AckLimit  bool   // an acknowledgement was due but the sender's rate limit held it back
}

// Options configure a Mailbox.
type Options struct {
	Address     string        // DOMPET_SUPPORT_EMAIL: the only recipient accepted
	Name        string        // display name of our mail; "": "Dompet Support"
	MaxBytes    int64         // largest mail accepted (announced by SIZE); default 25 MiB
	MaxSessions int           // SMTP sessions at once; more are told 421 and retry; default 50
	Timeout     time.Duration // per SMTP read and write; default 2 min
	// AckRate is how many acknowledgements one sender gets: AckBurst at once, then one per
	// AckEvery. Defaults: 3, then one per 20 min.
	AckBurst int
	AckEvery time.Duration
	Notify   func() // wakes the outbox after a commit that wrote a mail (outbox.Notify); may be nil
	// Stored is called after the commit of a stored mail (not a duplicate), outside the
	// transaction: the desk tells its streams and routes then. May be nil.
	Stored func(ctx context.Context, r Result)
	Now    func() time.Time
	Log    *slog.Logger
}

// Mailbox receives support mail for one address.
type Mailbox struct {
	db   *db.DB
	desk Desk
	o    Options
	c    Composer
	log  *slog.Logger

	mu   sync.Mutex
	acks map[string]*rate.Limiter // per sender
}

// New returns the mailbox of o.Address, storing through desk in d.
func New(d *db.DB, desk Desk, o Options) (*Mailbox, error) {
	a, err := mail.ParseAddress(o.Address)
	if err != nil {
		return nil, fmt.Errorf("mailbox: support address %q: %w", o.Address, err)
	}
	o.Address = a.Address
	if o.Name == "" {
		o.Name = "Dompet Support"
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 25 << 20
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 50
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.AckBurst <= 0 {
		o.AckBurst = 3
	}
	if o.AckEvery <= 0 {
		o.AckEvery = 20 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mailbox{db: d, desk: desk, o: o, c: Composer{Address: o.Address, Name: o.Name}, log: log, acks: map[string]*rate.Limiter{}}, nil
}

// Composer returns the composer of this mailbox's outgoing mail (for agent replies).
func (m *Mailbox) Composer() Composer { return m.c }

// Refusal is a permanent refusal of a mail, with its SMTP code (5xx).
type Refusal struct {
	Code     int
	Enhanced [3]int
	Msg      string
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("%d %d.%d.%d %s", r.Code, r.Enhanced[0], r.Enhanced[1], r.Enhanced[2], r.Msg)
}

// Deliver takes one mail for the support address, as received from envelope sender envFrom
// ("" for a bounce), and stores it durably before returning nil. A *Refusal error means the
// mail is refused for good; any other error is temporary (the sender should retry).
func (m *Mailbox) Deliver(ctx context.Context, envFrom string, raw []byte) (Result, error) {
	ml, err := Parse(raw)
	if err != nil {
		return Result{}, &Refusal{Code: 554, Enhanced: [3]int{5, 6, 0}, Msg: "Malformed message: " + err.Error()}
	}
	if ml.From == "" {
		ml.From = envFrom
	}
	if ml.From == "" {
		return Result{}, &Refusal{Code: 550, Enhanced: [3]int{5, 1, 7}, Msg: "No sender address (From) to answer"}
	}
	if envFrom == "" && ml.Automatic == "" {
		ml.Automatic = "empty envelope sender (a bounce)"
	}
	if sameAddress(ml.From, m.o.Address) && ml.Automatic == "" {
		ml.Automatic = "sent from the support address itself"
	}
	if ml.MessageID == "" {
		ml.MessageID = syntheticID(raw, domainOf(m.o.Address))
	}
	res := Result{MessageID: ml.MessageID}
	now := m.o.Now()
	err = m.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res = Result{MessageID: ml.MessageID}
		th, found, err := m.thread(ctx, ml)
		if err != nil {
			return err
		}
		if !found && ml.Automatic != "" {
			res.Dropped = ml.Automatic + ", and it answers no conversation"
			return nil
		}
		ackID := id.New("sm")
		in := Inbound{
			ConversationID: th.ConversationID, MessageID: ml.MessageID, AckMessageID: m.c.messageID(ackID),
			From: ml.From, FromName: ml.FromName, Subject: ml.Subject, Text: ml.Text, Lang: ml.Lang,
			Attachments: ml.Attachments, Automatic: ml.Automatic, Problems: ml.Problems, Raw: raw, ReceivedAt: now,
		}
		rec, err := m.desk.Receive(ctx, in)
		if err != nil {
			return fmt.Errorf("desk: %w", err)
		}
		res.Received, res.Stored = rec, !rec.Duplicate
		if !rec.New || rec.Duplicate || ml.Automatic != "" {
			return nil
		}
		if !m.allowAck(ml.From, now) {
			res.AckLimit = true
			return nil
		}
		row, err := m.c.ack(ackID, ml, rec)
		if err != nil {
			return err
		}
		res.Acked = true
		return tx.InsertRows(ctx, []db.Row{row})
	})
	if err != nil {
		var r *Refusal
		if errors.As(err, &r) {
			return Result{}, r
		}
		return Result{}, fmt.Errorf("store mail %s: %w", ml.MessageID, err)
	}
	if res.Acked && m.o.Notify != nil {
		m.o.Notify()
	}
	if res.Stored && m.o.Stored != nil {
		m.o.Stored(ctx, res)
	}
	m.log.InfoContext(ctx, "support mail", "message_id", res.MessageID, "conversation", res.ConversationID,
		"new", res.New, "duplicate", res.Duplicate, "acked", res.Acked, "ack_limited", res.AckLimit,
		"dropped", res.Dropped, "automatic", ml.Automatic, "problems", len(ml.Problems))
	return res, nil
}

// thread finds the conversation ml answers: by its Message-ID references first, then by the
// subject's reference if the sender is that conversation's customer.
func (m *Mailbox) thread(ctx context.Context, ml Mail) (Thread, bool, error) {
	if ids := candidates(ml); len(ids) > 0 {
		th, ok, err := m.desk.Thread(ctx, Lookup{MessageIDs: ids})
		if err != nil || ok {
			return th, ok, err
		}
	}
	if ref := SubjectRef(ml.Subject); ref != "" {
		th, ok, err := m.desk.Thread(ctx, Lookup{Ref: ref})
		if err != nil {
			return Thread{}, false, err
		}
		if ok && sameAddress(th.Customer, ml.From) {
			return th, true, nil
		}
	}
	return Thread{}, false, nil
}

// candidates are the ids a mail answers, most specific first: In-Reply-To, then References
// newest first. At most 50, so a forged header cannot make a huge lookup.
func candidates(ml Mail) []string {
	var ids []string
	seen := map[string]bool{ml.MessageID: true}
	add := func(v string) {
		if !seen[v] && len(ids) < 50 {
			seen[v] = true
			ids = append(ids, v)
		}
	}
	for _, v := range ml.InReplyTo {
		add(v)
	}
	for i := len(ml.References) - 1; i >= 0; i-- {
		add(ml.References[i])
	}
	return ids
}

// allowAck takes one acknowledgement from sender's budget. Kept in memory: after a restart a
// sender may get a few more, which the per-conversation dedupe and the Auto-Submitted header
// keep from ever becoming a loop.
func (m *Mailbox) allowAck(sender string, now time.Time) bool {
	key := strings.ToLower(sender)
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.acks[key]
	if !ok {
		if len(m.acks) >= 10000 {
			for k, v := range m.acks { // forget senders whose budget is full again
				if v.TokensAt(now) >= float64(m.o.AckBurst) {
					delete(m.acks, k)
				}
			}
		}
		l = rate.NewLimiter(rate.Every(m.o.AckEvery), m.o.AckBurst)
		m.acks[key] = l
	}
	return l.AllowN(now, 1)
}

func sameAddress(a, b string) bool {
	return a != "" && strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// domainOf is the part of an address after the @.
func domainOf(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 && at < len(addr)-1 {
		return addr[at+1:]
	}
	return "dompet.localhost"
}
