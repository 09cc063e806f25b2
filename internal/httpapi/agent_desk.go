package httpapi

import (
	"net/http"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/support"
)

// The desk, agent side (API.md "Agents and supervisors"): presence, conversations, assignment,
// status, and the customer context with its audited actions. Agents work their team's
// conversations; supervisors and admins all of them; reviewers get 403 forbidden. A
// conversation or customer outside what the caller may see answers 404 not_found.

func viewerOf(r *http.Request) support.Viewer {
	p, _ := staffOf(r)
	return support.ViewerOf(p.Staff, clientIP(r))
}

type presenceRequest struct {
	Status string `json:"status" enum:"online,away,offline"`
}

func (s *Server) setPresence(w http.ResponseWriter, r *http.Request) error {
	var req presenceRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := staffOf(r)
	if err := s.support.Presence(r.Context(), p.Staff.ID, req.Status); err != nil {
		return err
	}
	a, err := s.support.Agent(r.Context(), p.Staff.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

var setPresenceDoc = operation{Summary: "Set the caller's presence", Tag: "agent",
	Description: "An agent who comes online is assigned waiting conversations of their team at once, up to their " +
		"capacity (read, with the team, from their staff account at each change). Supervisors and admins " +
		"are never assigned conversations automatically.",
	Request: presenceRequest{}, Response: support.AgentState{}}

func (s *Server) agentConversations(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, next, err := s.support.AgentConversations(r.Context(), viewerOf(r), support.Filter{View: q.Get("view"),
		Status: q.Get("status"), Channel: q.Get("channel"), Topic: q.Get("topic"), Cursor: cursor, Limit: limit})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(items, next))
}

var agentConversationsDoc = operation{Summary: "The inbox: conversations, newest first", Tag: "agent",
	Description: "`view`: `mine` (assigned to the caller), `unassigned`, or `all` (default). Agents see their " +
		"team's conversations and those assigned to them; supervisors and admins all.",
	Query:    append(append([]param{{Name: "view", Enum: []string{"mine", "unassigned", "all"}}}, conversationFilters...), listQuery...),
	Response: page[support.Conversation]{}, Errors: []string{"forbidden"}}

// agentConversationResponse is a conversation with its messages, internal notes included.
type agentConversationResponse struct {
	support.Conversation
	Messages []support.Message `json:"messages"`
}

func (s *Server) agentConversation(w http.ResponseWriter, r *http.Request) error {
	v := viewerOf(r)
	c, err := s.support.AgentConversation(r.Context(), v, r.PathValue("id"))
	if err != nil {
		return err
	}
	msgs, err := s.support.AgentMessages(r.Context(), v, c.ID, "")
	if err != nil {
		return err
	}
	if c.Reads, err = s.support.Reads(r.Context(), c.ID, true); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, agentConversationResponse{Conversation: c, Messages: msgs})
}

var agentConversationDoc = operation{Summary: "A conversation with its messages (internal notes included)", Tag: "agent",
	Response: agentConversationResponse{}, Errors: []string{"forbidden"}}

func (s *Server) agentMessages(w http.ResponseWriter, r *http.Request) error {
	items, err := s.support.AgentMessages(r.Context(), viewerOf(r), r.PathValue("id"), r.URL.Query().Get("after"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(items, ""))
}

var agentMessagesDoc = operation{Summary: "A conversation's messages, oldest first (internal notes included)", Tag: "agent",
	Query: afterQuery, Response: page[support.Message]{}, Errors: []string{"forbidden"}}

type agentPostRequest struct {
	Body     string `json:"body" doc:"1 to 10,000 characters"`
	Internal bool   `json:"internal,omitempty" doc:"a note for the staff only; the customer never sees it"`
}

func (s *Server) agentPost(w http.ResponseWriter, r *http.Request) error {
	var req agentPostRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	m, err := s.support.AgentPost(r.Context(), viewerOf(r), r.PathValue("id"), req.Body, req.Internal)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

var agentPostDoc = operation{Summary: "Reply in a conversation, or add an internal note", Tag: "agent",
	Description: "The first reply that is not internal sets `first_response_at`. A closed conversation answers " +
		"`409 invalid_state`.",
	Request: agentPostRequest{}, Status: http.StatusCreated, Response: support.Message{},
	Errors: []string{"forbidden", "invalid_state"}, MaxBody: maxMessageBody}

func (s *Server) agentRead(w http.ResponseWriter, r *http.Request) error {
	var req readRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	rd, err := s.support.AgentRead(r.Context(), viewerOf(r), r.PathValue("id"), req.MessageID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rd)
}

var agentReadDoc = operation{Summary: "Mark the conversation read up to a message", Tag: "agent",
	Description: readDescription, Request: readRequest{}, Response: support.Read{}, Errors: []string{"forbidden"}}

type assignRequest struct {
	AgentID string `json:"agent_id" doc:"a staff id"`
}

func (s *Server) assignConversation(w http.ResponseWriter, r *http.Request) error {
	var req assignRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.support.Assign(r.Context(), viewerOf(r), r.PathValue("id"), req.AgentID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

var assignConversationDoc = operation{Summary: "Assign a conversation", Tag: "agent",
	Description: "Supervisors and admins assign any conversation to anyone on the desk (capacity is theirs to " +
		"override); an agent takes an unassigned conversation of their team for themselves, within capacity. " +
		"Otherwise `403 forbidden`. The previous assignee's capacity is freed and their queue routed at once.",
	Request: assignRequest{}, Response: support.Conversation{}, Errors: []string{"forbidden", "invalid_state"}}

type statusRequest struct {
	Status string `json:"status" enum:"open,pending,resolved"`
}

func (s *Server) setConversationStatus(w http.ResponseWriter, r *http.Request) error {
	var req statusRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Status == support.StatusClosed {
		return invalidStatus
	}
	c, err := s.support.SetStatus(r.Context(), viewerOf(r), r.PathValue("id"), req.Status)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

var invalidStatus = fault.Invalid("status", fault.MsgOneOf, "open, pending, resolved")

var setConversationStatusDoc = operation{Summary: "Change a conversation's status", Tag: "agent",
	Description: "`resolved` frees the assignee's capacity, and the first conversation waiting in their team's " +
		"queue is assigned at once. Reopening a resolved conversation puts it back in the queue.",
	Request: statusRequest{}, Response: support.Conversation{}, Errors: []string{"forbidden", "invalid_state"}}

func (s *Server) agentCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.support.Customer(r.Context(), viewerOf(r), r.PathValue("user_id"), localeOf(r).String())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

var agentCustomerDoc = operation{Summary: "The customer context: account, money, refunds, conversations", Tag: "agent",
	Description: "Profile, lock and two-factor state, balances, the latest transactions (failed ones with " +
		"`failure_code` and `failure_reason`), refund requests and conversations. Agents see customers who " +
		"have a conversation with their team; supervisors and admins any. Every view is written to the " +
		"audit log (`customer.viewed`).",
	Response: support.CustomerContext{}, Errors: []string{"forbidden"}}

type unlockRequest struct {
	Verification string `json:"verification" doc:"how the customer's identity was checked (required, 1 to 500 characters)"`
	Note         string `json:"note,omitempty" doc:"anything else worth keeping (at most 1,000 characters)"`
}

func (s *Server) unlockCustomer(w http.ResponseWriter, r *http.Request) error {
	var req unlockRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.support.Unlock(r.Context(), viewerOf(r), r.PathValue("user_id"), req.Verification, req.Note); err != nil {
		return err
	}
	return noContent(w)
}

var unlockCustomerDoc = operation{Summary: "Unlock a customer's account after checking their identity", Tag: "agent",
	Description: "Ends the lockout and clears the failed logins. The audit log records who, the customer, and " +
		"why (the `verification` and `note`) with the unlock itself (`user.account_unlocked`); an account " +
		"that was not locked is left alone and the attempt recorded (`customer.unlock_not_locked`).",
	Request: unlockRequest{}, Status: http.StatusNoContent, Errors: []string{"forbidden"}}
