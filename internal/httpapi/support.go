package httpapi

import (
	"net/http"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/support"
)

// Support, customer side (API.md "Help center and support"): a wallet user's conversations
// with the desk. Another user's conversation answers 404 not_found.

// maxMessageBody is the largest request body of a message route: well above MaxBody
// characters of any script, far below the default megabyte, so a 100 kB message is refused
// before it is read (413 too_large), and a long one by its length (400).
const maxMessageBody = 64 << 10

func customerOf(u identity.User) support.Customer {
	return support.Customer{UserID: u.ID, Email: u.Email, Phone: u.Phone, Name: u.DisplayName}
}

type openConversationRequest struct {
	Topic         string   `json:"topic" enum:"account_locked,payment_failed,account_security,refund,fees,other"`
	Message       string   `json:"message" doc:"the first message, 1 to 10,000 characters"`
	Channel       string   `json:"channel,omitempty" enum:"chat" doc:"chat (the default); email and phone conversations start from their channels"`
	TransactionID string   `json:"transaction_id,omitempty" doc:"one of the user's transactions the conversation is about"`
	AttachmentIDs []string `json:"attachment_ids,omitempty" doc:"files uploaded with POST /api/v1/attachments"`
	ClientID      string   `json:"client_id,omitempty" doc:"the client's id for the first message"`
}

// openConversationResponse is API.md's answer to a new conversation.
type openConversationResponse struct {
	ID                string               `json:"id"`
	Ref               string               `json:"ref"`
	Channel           string               `json:"channel" enum:"chat,email" doc:"email when the chat was opened while the team is closed: the reply comes by mail"`
	Status            string               `json:"status" enum:"open,pending,resolved,closed"`
	Topic             string               `json:"topic"`
	Team              string               `json:"team"`
	AssigneeID        *string              `json:"assignee_id"`
	Queue             support.Queue        `json:"queue" doc:"position 0 and estimated_wait_seconds 0 when an agent was assigned at once"`
	SuggestedArticles []support.ArticleRef `json:"suggested_articles" doc:"up to 3 help-center articles, in the customer's language, chosen by the topic and the message"`
}

func (s *Server) openConversation(w http.ResponseWriter, r *http.Request) error {
	var req openConversationRequest
	raw, err := decodeRaw(r, &req)
	if err != nil {
		return err
	}
	once, err := optionalOnce(r, raw)
	if err != nil {
		return err
	}
	if req.Channel == "" {
		req.Channel = support.ChannelChat
	}
	if req.Channel != support.ChannelChat {
		return fault.Invalid("channel", fault.MsgChatOnly)
	}
	p, _ := userOf[identity.Principal](r)
	in := support.NewConversation{Channel: req.Channel, Customer: customerOf(p.User),
		Topic: req.Topic, Body: req.Message, TransactionID: req.TransactionID, AttachmentIDs: req.AttachmentIDs, ClientID: req.ClientID}
	var c support.Conversation
	if once != nil {
		c, _, err = s.support.OpenOnce(r.Context(), in, *once)
	} else {
		c, _, err = s.support.Open(r.Context(), in)
	}
	if err != nil {
		return err
	}
	out := openConversationResponse{ID: c.ID, Ref: c.Ref, Channel: c.Channel, Status: c.Status, Topic: c.Topic, Team: c.Team,
		AssigneeID: c.AssigneeID, SuggestedArticles: s.support.Suggestions(r.Context(), req.Topic, req.Message, localeOf(r).String())}
	if c.Queue != nil {
		out.Queue = *c.Queue
	}
	return writeJSON(w, http.StatusCreated, out)
}

var openConversationDoc = operation{
	Summary: "Start a conversation with the support desk",
	Description: "The conversation is routed at once: to the least-loaded online agent of the topic's team with " +
		"free capacity, else it waits in the team's queue; `queue` says where (`position` from 1) and how long " +
		"(`estimated_wait_seconds`, from recent handling times while agents are on, the time until the next " +
		"opening outside business hours). A topic whose team has no agents goes to the `general` team. " +
		"A chat opened while the team is closed becomes an email-style conversation (`channel` email, replies " +
		"by mail) when the user has an email address, with a system message giving the promised reply time. " +
		"With an `Idempotency-Key`, a replay (same key, same body) answers the conversation the first request " +
		"opened (its current state) and opens nothing; concurrent replays wait for the first.",
	Tag: "support", Request: openConversationRequest{}, Status: http.StatusCreated, Response: openConversationResponse{},
	MaxBody: maxMessageBody, IdempotencyOptional: true}

// optionalOnce is the Idempotency-Key of a request that takes one optionally (opening a
// conversation or a call-back): nil without the header; a malformed one is refused like on
// money-moving calls.
func optionalOnce(r *http.Request, raw []byte) (*support.Once, error) {
	if len(r.Header.Values("Idempotency-Key")) == 0 {
		return nil, nil
	}
	k, err := idempotencyKey(r)
	if err != nil {
		return nil, err
	}
	return &support.Once{Key: k, Hash: requestHash(raw)}, nil
}

func (s *Server) customerConversations(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p, _ := userOf[identity.Principal](r)
	items, next, err := s.support.CustomerConversations(r.Context(), p.User.ID, support.Filter{Status: q.Get("status"),
		Channel: q.Get("channel"), Topic: q.Get("topic"), Cursor: cursor, Limit: limit})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(items, next))
}

var conversationFilters = []param{
	{Name: "status", Enum: support.Statuses}, {Name: "channel", Enum: support.Channels}, {Name: "topic", Enum: support.Topics}}

var customerConversationsDoc = operation{Summary: "The user's conversations, newest first", Tag: "support",
	Query: append(append([]param{}, conversationFilters...), listQuery...), Response: page[support.Conversation]{}}

func (s *Server) customerConversation(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	c, err := s.support.CustomerConversation(r.Context(), p.User.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if c.Reads, err = s.support.Reads(r.Context(), c.ID, false); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

var customerConversationDoc = operation{Summary: "One of the user's conversations", Tag: "support",
	Description: "With `queue` while it waits for an agent, and `reads`: how far each participant has read.", Response: support.Conversation{}}

func (s *Server) customerMessages(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	items, err := s.support.CustomerMessages(r.Context(), p.User.ID, r.PathValue("id"), r.URL.Query().Get("after"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(items, ""))
}

var afterQuery = []param{{Name: "after", Description: "a message id: only the messages after it (to resume)"}}

var customerMessagesDoc = operation{Summary: "A conversation's messages, oldest first", Tag: "support",
	Description: "Internal notes of the staff are never listed. With `after`, only the messages after that one.",
	Query:       afterQuery, Response: page[support.Message]{}}

type postMessageRequest struct {
	Body          string   `json:"body" doc:"1 to 10,000 characters"`
	AttachmentIDs []string `json:"attachment_ids,omitempty" doc:"files uploaded with POST /api/v1/attachments"`
	ClientID      string   `json:"client_id,omitempty" doc:"the client's id for the message: a resend with the same one is stored once and answers the stored message"`
}

func (s *Server) customerPost(w http.ResponseWriter, r *http.Request) error {
	var req postMessageRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	m, err := s.support.CustomerPost(r.Context(), p.User.ID, p.User.DisplayName, r.PathValue("id"),
		support.NewMessage{Body: req.Body, AttachmentIDs: req.AttachmentIDs, ClientID: req.ClientID})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

var customerPostDoc = operation{Summary: "Write in a conversation", Tag: "support",
	Description: "The message is stored before the answer. A message reopens a pending conversation; a resolved " +
		"one goes back to the queue and is routed again; a closed one answers `409 invalid_state`. A body over " +
		"10,000 characters answers `400 invalid_request`; a request over 64 KiB `413 too_large`.",
	Request: postMessageRequest{}, Status: http.StatusCreated, Response: support.Message{}, Errors: []string{"invalid_state"},
	MaxBody: maxMessageBody}

type readRequest struct {
	MessageID string `json:"message_id" doc:"the last message read: a message of the conversation"`
}

func (s *Server) customerRead(w http.ResponseWriter, r *http.Request) error {
	var req readRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	rd, err := s.support.CustomerRead(r.Context(), p.User.ID, p.User.DisplayName, r.PathValue("id"), req.MessageID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rd)
}

const readDescription = "Moves the caller's read marker: every message up to `message_id` is read. Markers only move " +
	"forward: an older message leaves the marker where it is, and the answer says where that is. When it moves, the " +
	"conversation's streams get `{\"type\":\"read\",\"conversation_id\",\"author\":{…},\"message_id\"}`. " +
	"(A message is *delivered* once stored: the sender's `ack`, the other side's `message` event.) A message " +
	"of another conversation answers `400 invalid_request`."

var customerReadDoc = operation{Summary: "Mark the conversation read up to a message", Tag: "support",
	Description: readDescription + " Internal notes are not the customer's to read.",
	Request:     readRequest{}, Response: support.Read{}}

type rateRequest struct {
	Score   int    `json:"score" doc:"1 to 5"`
	Comment string `json:"comment,omitempty" doc:"at most 2,000 characters"`
}

func (s *Server) rateConversation(w http.ResponseWriter, r *http.Request) error {
	var req rateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	c, err := s.support.Rate(r.Context(), p.User.ID, r.PathValue("id"), req.Score, req.Comment)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

var rateConversationDoc = operation{Summary: "Rate a resolved conversation (once)", Tag: "support",
	Description: "Only a resolved or closed conversation, and only once; otherwise `409 invalid_state`.",
	Request:     rateRequest{}, Response: support.Conversation{}, Errors: []string{"invalid_state"}}

type callbackRequest struct {
	Phone string `json:"phone" doc:"the number to call, e.g. +6281234567890"`
	Topic string `json:"topic" enum:"account_locked,payment_failed,account_security,refund,fees,other"`
	Note  string `json:"note,omitempty" doc:"at most 1,000 characters"`
}

func (s *Server) requestCallback(w http.ResponseWriter, r *http.Request) error {
	var req callbackRequest
	raw, err := decodeRaw(r, &req)
	if err != nil {
		return err
	}
	once, err := optionalOnce(r, raw)
	if err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	cb, err := s.support.RequestCallback(r.Context(), customerOf(p.User), req.Phone, req.Topic, req.Note, once)
	if err != nil {
		return err
	}
	if cb.Queue == nil {
		cb.Queue = &support.Queue{}
	}
	return writeJSON(w, http.StatusCreated, cb)
}

var requestCallbackDoc = operation{Summary: "Ask to be called back", Tag: "support",
	Description: "Opens a conversation on the `callback` channel, routed like a chat; `queue` says where it " +
		"waits (position 0 when an agent was assigned at once). With an `Idempotency-Key`, a replay answers " +
		"the first call-back and opens nothing.",
	Request: callbackRequest{}, Status: http.StatusCreated, Response: support.Callback{}, IdempotencyOptional: true}
