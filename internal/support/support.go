// Package support is the support desk's core: conversations of every channel (chat, email,
// phone, call-back) with their messages, the agents' presence and load, and routing. A
// conversation that needs an agent is assigned the moment one is free, driven by the events
// that free one (a new or returning conversation, an agent coming online, a conversation
// resolved or reassigned), never by a timer; meanwhile it waits in its team's queue with a
// position and an honest wait estimate.
//
// Routing is correct across processes sharing one PostgreSQL: an assignment is two
// conditional updates in one transaction (the agent's load below capacity, the conversation
// still unassigned), so no in-memory state decides who gets a chat. Changes are published on
// the bus (package bus) after they commit, for the real-time streams.
//
// Channels outside HTTP (email, phone) use the exported API: Open creates a conversation for
// a customer known by user id or by email or phone, Append adds a message, ByRef finds a
// conversation by the reference its email subjects carry ("[#ref]").
package support

import (
	"context"
	"log/slog"
	"time"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/bus"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/sla"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/wallet"
)

// Channels.
const (
	ChannelChat     = "chat"
	ChannelEmail    = "email"
	ChannelPhone    = "phone"
	ChannelCallback = "callback"
)

// Channels lists every channel.
var Channels = []string{ChannelChat, ChannelEmail, ChannelPhone, ChannelCallback}

// Statuses of a conversation. Open and pending hold an agent's capacity; resolved and closed
// free it.
const (
	StatusOpen     = "open"
	StatusPending  = "pending"
	StatusResolved = "resolved"
	StatusClosed   = "closed"
)

// Statuses lists every status.
var Statuses = []string{StatusOpen, StatusPending, StatusResolved, StatusClosed}

// Topics a conversation is about (API.md).
var Topics = []string{"account_locked", "payment_failed", "account_security", "refund", "fees", "other"}

// Priorities.
var Priorities = []string{"low", "normal", "high", "urgent"}

// Authors of messages.
const (
	AuthorCustomer = "customer"
	AuthorAgent    = "agent"
	AuthorSystem   = "system"
)

// Presence of an agent.
const (
	Online  = "online"
	Away    = "away"
	Offline = "offline"
)

// MaxBody is the longest message body, in characters.
const MaxBody = 10000

// Failures of this package.
var (
	ErrNotFound  = fault.New("not_found", "not found")
	ErrForbidden = fault.New("forbidden", "not allowed")
	ErrState     = fault.New("invalid_state", "the conversation is not in a state that allows this")
)

// Staff is what routing needs of package staff (*staff.Service implements it).
type Staff interface {
	Member(ctx context.Context, staffID string) (staff.Staff, error)
	List(ctx context.Context) ([]staff.Staff, error)
	Teams(ctx context.Context) ([]staff.Team, error)
}

// Accounts is what the customer context needs of package identity (*identity.Service).
type Accounts interface {
	User(ctx context.Context, id string) (identity.User, error)
	UnlockByStaff(ctx context.Context, userID string) (bool, error)
	RequestRecovery(ctx context.Context, in identity.RecoveryRequest) error
}

// Money is what the customer context needs of package wallet (*wallet.Wallet).
type Money interface {
	Summary(ctx context.Context, u wallet.Party) (wallet.Summary, error)
	Transactions(ctx context.Context, userID string, f wallet.Filter) (wallet.Page[wallet.Transaction], error)
	RefundRequests(ctx context.Context, userID string, f wallet.Filter) (wallet.Page[wallet.RefundRequest], error)
	Transaction(ctx context.Context, userID, id string) (wallet.Transaction, error)
	AttachmentContent(ctx context.Context, userID, attachmentID string) (wallet.Attachment, []byte, error)
	RefundRequest(ctx context.Context, userID, requestID string) (wallet.RefundRequest, error)
}

// Opening tells whether business hours are open at t and, when closed, when they open next
// (zero when never). The default is OpenAt; the SLA calendar package can replace it.
type Opening func(h staff.BusinessHours, t time.Time) (open bool, next time.Time)

// Options configures the service. Staff is required; Accounts and Money may be nil in tests
// that do not use the customer context or attachments.
type Options struct {
	Staff    Staff
	Accounts Accounts
	Money    Money
	Bus      bus.Bus          // nil: a private in-process bus
	Audit    *audit.Log       // nil: customer-context views are not logged (tests only)
	Opening  Opening          // nil: OpenAt
	Now      func() time.Time // nil: time.Now
	Log      *slog.Logger     // nil: slog.Default()
	// Customers finds a wallet user by email or phone (*identity.Service), for mail and calls
	// from outside the app; nil: such customers stay known only by their address.
	Customers Customers
	// Policies are the SLA targets; the zero value: sla.DefaultPolicies().
	Policies sla.Policies
	// Email writes the outbox row of an agent's reply on an email conversation (the mailbox's
	// composer, adapted in package app); nil: replies are stored but not mailed.
	Email EmailSender
	// Wake wakes the outbox after a commit that wrote a mail (outbox.Notify); may be nil.
	Wake func()
	// Articles suggests help-center articles for a new conversation (package helpcenter,
	// adapted in package app); nil: no suggestions.
	Articles Articles
	// BeforeAssign runs when the router has chosen an agent for a queued conversation and
	// before its conditional updates: tests hold routers there to make them race. nil in
	// production.
	BeforeAssign func(convID, staffID string)
}

// Articles is what the desk needs of the help center: a few articles for a conversation
// about topic whose first message is text, in the customer's language. The desk never reads
// the help center's tables.
type Articles interface {
	Suggest(ctx context.Context, topic, text, locale string, limit int) ([]ArticleRef, error)
}

// ArticleRef is a help-center article suggested to a customer.
type ArticleRef struct {
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	Snippet string `json:"snippet"`
}

// Customers is what the channels outside HTTP need of package identity.
type Customers interface {
	UserByLogin(ctx context.Context, login string) (identity.User, error)
}

// Service is the support desk on one store.
type Service struct {
	db       *db.DB
	staff    Staff
	accounts Accounts
	money    Money
	bus      bus.Bus
	audit    *audit.Log
	opening  Opening
	now      func() time.Time
	log      *slog.Logger

	customers Customers
	policies  sla.Policies
	email     EmailSender
	wake      func()
	articles  Articles

	beforeAssign func(convID, staffID string)

	chat chatWriter // the group writer of messages (chatwriter.go)
}

// New returns the support desk on d.
func New(d *db.DB, o Options) *Service {
	s := &Service{db: d, staff: o.Staff, accounts: o.Accounts, money: o.Money, bus: o.Bus, audit: o.Audit,
		opening: o.Opening, now: o.Now, log: o.Log, customers: o.Customers, policies: o.Policies, email: o.Email, wake: o.Wake,
		articles: o.Articles, beforeAssign: o.BeforeAssign}
	if s.policies.Default == nil {
		s.policies = sla.DefaultPolicies()
	}
	if s.bus == nil {
		s.bus = bus.NewLocal()
	}
	if s.opening == nil {
		s.opening = OpenAt
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// suggestionsPerConversation is how many articles a new conversation suggests.
const suggestionsPerConversation = 3

// Suggestions are the help-center articles offered to a customer who opens a conversation
// about topic with the message text, in locale; never nil. A help center that fails is
// logged and gives none: suggestions must not stop a customer reaching the desk.
func (s *Service) Suggestions(ctx context.Context, topic, text, locale string) []ArticleRef {
	if s.articles == nil {
		return []ArticleRef{}
	}
	refs, err := s.articles.Suggest(ctx, topic, text, locale, suggestionsPerConversation)
	if err != nil {
		s.log.Warn("help-center suggestions", "err", err)
		return []ArticleRef{}
	}
	if refs == nil {
		refs = []ArticleRef{}
	}
	return refs
}

// Bus is the bus the service publishes on.
func (s *Service) Bus() bus.Bus { return s.bus }

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func explained(f *fault.Error, en, zh string) *fault.Error {
	return f.Because(en).Explained(map[string]string{"en": en, "zh-CN": zh})
}
