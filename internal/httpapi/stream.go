package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/dompet/dompet/internal/bus"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/support"
)

// Live chat over WebSocket (API.md: the customer's conversation stream and the agent's
// stream). Everything that can be refused is refused before the upgrade, as a problem: no
// token, another customer's conversation (404), a request that is not an upgrade, a foreign
// Origin. After it, the stream forwards the bus's events (package support publishes them after
// each commit) and takes the client's frames: messages, stored before they are acknowledged,
// and typing.

const (
	// streamFrameLimit bounds a client frame: a 100 kB message closes the socket with 1009
	// (message too big) before anything is stored.
	streamFrameLimit = maxMessageBody
	// streamWriteTimeout drops a client that does not read its events.
	streamWriteTimeout = 10 * time.Second
	// streamRecheckEvery is how often a stream checks its session is still good (a disabled
	// staff member, a revoked session) and pings the client.
	streamRecheckEvery = 30 * time.Second
	// typingEvery throttles typing events per socket.
	typingEvery = time.Second
)

var errNotUpgrade = fault.New("invalid_request",
	"This address is a WebSocket: connect with Upgrade: websocket (the token as Authorization: Bearer or ?token=).")

var errOrigin = fault.New("forbidden", "WebSocket connections are accepted from this site and from DOMPET_FRAME_ANCESTORS only.")

// streamClientFrame is what a client sends: a message or a typing indicator.
type streamClientFrame struct {
	Type           string   `json:"type"`
	ConversationID string   `json:"conversation_id,omitempty"` // the agent stream's frames
	Body           string   `json:"body,omitempty"`
	ClientID       string   `json:"client_id,omitempty"`
	Internal       bool     `json:"internal,omitempty"`
	AttachmentIDs  []string `json:"attachment_ids,omitempty"`
	MessageID      string   `json:"message_id,omitempty"` // a read frame's
}

// streamAck answers a client's message once it is stored (also a resend: the stored one).
type streamAck struct {
	Type     string          `json:"type" enum:"ack"`
	ClientID string          `json:"client_id,omitempty"`
	Message  support.Message `json:"message"`
}

// streamError answers a client frame that was refused; nothing of it was stored.
type streamError struct {
	Type     string          `json:"type" enum:"error"`
	ClientID string          `json:"client_id,omitempty"`
	Error    json.RawMessage `json:"error" doc:"a problem, as the REST routes answer it"`
}

// streamEvent is what the stream reads of a bus event to decide whether to forward it; the
// payload itself goes out unchanged.
type streamEvent struct {
	Type           string            `json:"type"`
	ConversationID string            `json:"conversation_id"`
	Message        *support.Message  `json:"message"`
	Author         *support.Author   `json:"author"`
	Agent          *support.AgentRef `json:"agent"`
	Status         string            `json:"status"`
}

// streamSide is what differs between the customer's stream and the agent's.
type streamSide struct {
	self    support.Author
	locale  locale
	skip    map[string]bool                                                         // message ids already sent (the backlog)
	pass    func(subject string, e streamEvent) bool                                // forward this event?
	post    func(ctx context.Context, f streamClientFrame) (support.Message, error) // a message frame
	typing  func(ctx context.Context, f streamClientFrame) error                    // a typing frame
	read    func(ctx context.Context, f streamClientFrame) error                    // a read frame
	recheck func(ctx context.Context) error                                         // is the session still good?
}

// isUpgrade reports whether r asks for a WebSocket.
func isUpgrade(r *http.Request) bool {
	return headerHas(r.Header, "Connection", "upgrade") && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// checkUpgrade refuses what is not a WebSocket upgrade from an allowed origin: a browser's
// page of this site, or a merchant's site embedding the widget (DOMPET_FRAME_ANCESTORS).
// Clients that are not browsers send no Origin.
//
// A connection authenticated by a page cookie comes from this site's own pages only: it must
// name its Origin, and that must be this host (a browser sends the cookie whichever page
// opens the socket; the Origin is what tells them apart).
func (s *Server) checkUpgrade(r *http.Request) error {
	if !isUpgrade(r) {
		return errNotUpgrade
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		if byCookie(r) {
			return errOrigin
		}
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return errOrigin
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	if byCookie(r) {
		return errOrigin
	}
	o := strings.ToLower(u.Scheme + "://" + u.Host)
	if slices.ContainsFunc(s.cfg.FrameAncestors, func(a string) bool { return strings.EqualFold(strings.TrimSuffix(a, "/"), o) }) {
		return nil
	}
	return errOrigin
}

// accept upgrades a request checkUpgrade passed. The origin was checked there, and the
// library checks it again (its default: the Origin's host is the Host, or one of the
// patterns): the widget's sites for a token, none for a page cookie.
func (s *Server) accept(w http.ResponseWriter, r *http.Request) (*websocket.Conn, bool) {
	var patterns []string
	if !byCookie(r) {
		patterns = s.cfg.FrameAncestors // scheme://host: the library matches scheme and host
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: patterns})
	if err != nil {
		s.log.DebugContext(r.Context(), "websocket accept", "err", err)
		return nil, false
	}
	c.SetReadLimit(streamFrameLimit)
	return c, true
}

// customerStream is GET /api/v1/support/conversations/{id}/stream.
func (s *Server) customerStream(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, _ := userOf[identity.Principal](r)
	convID := r.PathValue("id")
	if _, err := s.support.CustomerConversation(ctx, p.User.ID, convID); err != nil {
		return err
	}
	if err := s.checkUpgrade(r); err != nil {
		return err
	}
	// Subscribe before reading the backlog: a message stored in between is in both, and the
	// live copy is dropped; none falls between the two.
	events, unsubscribe := s.support.Bus().Subscribe(support.SubjectConversation(convID))
	defer unsubscribe()
	if hook := s.subscribed.Load(); hook != nil {
		(*hook)(convID)
	}
	var backlog []support.Message
	if after := r.URL.Query().Get("after"); after != "" {
		for {
			page, err := s.support.CustomerMessages(ctx, p.User.ID, convID, after)
			if err != nil {
				return err
			}
			backlog = append(backlog, page...)
			if len(page) < 500 {
				break
			}
			after = page[len(page)-1].ID
		}
	}
	token, _ := credential(r)
	self := support.Author{Type: support.AuthorCustomer, ID: p.User.ID, Name: p.User.DisplayName}
	side := streamSide{
		self:   self,
		locale: localeOf(r),
		skip:   make(map[string]bool, len(backlog)),
		pass:   func(_ string, e streamEvent) bool { return e.Message == nil || !e.Message.Internal },
		post: func(ctx context.Context, f streamClientFrame) (support.Message, error) {
			return s.support.CustomerPost(ctx, p.User.ID, p.User.DisplayName, convID,
				support.NewMessage{Body: f.Body, ClientID: f.ClientID, AttachmentIDs: f.AttachmentIDs})
		},
		typing: func(ctx context.Context, _ streamClientFrame) error {
			s.support.Typing(ctx, convID, self)
			return nil
		},
		read: func(ctx context.Context, f streamClientFrame) error {
			_, err := s.support.CustomerRead(ctx, p.User.ID, p.User.DisplayName, convID, f.MessageID)
			return err
		},
		recheck: func(ctx context.Context) error {
			_, err := s.identity.AuthenticateChat(ctx, token) // the route takes the widget's session too
			return err
		},
	}
	c, ok := s.accept(w, r)
	if !ok {
		return nil
	}
	defer c.CloseNow()
	for _, m := range backlog {
		b, err := json.Marshal(support.Event{Type: "message", ConversationID: convID, Message: &m})
		if err != nil || s.write(ctx, c, b) != nil {
			return nil
		}
		side.skip[m.ID] = true
	}
	s.runStream(ctx, c, events, side)
	return nil
}

// agentStream is GET /api/v1/agent/stream.
func (s *Server) agentStream(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, _ := staffOf(r)
	v := support.ViewerOf(p.Staff, clientIP(r))
	if !v.Lead() && v.Role != staff.RoleAgent {
		return support.ErrForbidden.Because("Only agents, supervisors and admins have a desk stream.")
	}
	if err := s.checkUpgrade(r); err != nil {
		return err
	}
	var patterns []string
	if v.Lead() {
		patterns = []string{"support.>"}
	} else {
		patterns = []string{support.SubjectAgent(v.StaffID), support.SubjectTeam(v.Team),
			"support.conversation.>", "support.internal.>"}
	}
	events, unsubscribe := subscribeAll(s.support.Bus(), patterns)
	defer unsubscribe()
	// The agent's own conversations, whose messages the stream carries; assignments change it.
	// The unassigned ones of their team are looked up as their messages come.
	scope := &agentScope{v: v, mine: map[string]bool{}, team: map[string]bool{},
		place: func(convID string) (string, bool, error) { return s.support.Placement(ctx, convID) }}
	if !v.Lead() {
		list, _, err := s.support.AgentConversations(ctx, v, support.Filter{View: "mine", Limit: 100})
		if err != nil {
			return err
		}
		for _, c := range list {
			scope.mine[c.ID] = true
		}
	}
	token, _ := credential(r)
	self := support.Author{Type: support.AuthorAgent, ID: v.StaffID, Name: v.Name}
	side := streamSide{
		self:   self,
		locale: localeOf(r),
		pass:   scope.passes,
		post: func(ctx context.Context, f streamClientFrame) (support.Message, error) {
			if _, err := s.support.AgentConversation(ctx, v, f.ConversationID); err != nil {
				return support.Message{}, err
			}
			return s.support.Append(ctx, f.ConversationID, support.NewMessage{Author: self, Body: f.Body,
				Internal: f.Internal, ClientID: f.ClientID})
		},
		typing: func(ctx context.Context, f streamClientFrame) error {
			if _, err := s.support.AgentConversation(ctx, v, f.ConversationID); err != nil {
				return err
			}
			s.support.Typing(ctx, f.ConversationID, self)
			return nil
		},
		read: func(ctx context.Context, f streamClientFrame) error {
			_, err := s.support.AgentRead(ctx, v, f.ConversationID, f.MessageID)
			return err
		},
		recheck: func(ctx context.Context) error {
			_, err := s.staff.Authenticate(ctx, token)
			return err
		},
	}
	c, ok := s.accept(w, r)
	if !ok {
		return nil
	}
	defer c.CloseNow()
	s.runStream(ctx, c, events, side)
	return nil
}

// agentScope is what an agent's stream knows of the conversations it forwards: the agent's
// own (mine, loaded at connect and kept by assigned events) and the unassigned ones of their
// team (team: looked up once per conversation with place, the first time one of its events
// comes, and kept by assigned events; a reopening forgets the entry, since it unassigns).
type agentScope struct {
	v     support.Viewer
	mine  map[string]bool
	team  map[string]bool // conversation id → unassigned and of v's team
	place func(convID string) (team string, assigned bool, err error)
}

// maxTeamScope bounds the looked-up entries a stream keeps; past it they are looked up again.
const maxTeamScope = 4096

// passes decides what an agent's stream forwards, and keeps the scope up to date. A lead
// subscribes to everything and takes each change once, from the conversation's subjects (plus
// the teams' queue lengths and calls); an agent takes the assignments and calls of their own
// (agent subject), their team's queue, assignment, status and call changes (team subject), and
// the messages, typing and status of their own conversations and the messages and typing of
// their team's unassigned ones (never another team's).
func (sc *agentScope) passes(subject string, e streamEvent) bool {
	v := sc.v
	if (e.Type == "typing" || e.Type == "read") && e.Author != nil && e.Author.Type == support.AuthorAgent && e.Author.ID == v.StaffID {
		return false // one's own typing or reading
	}
	kind := strings.Split(subject, ".")
	if len(kind) < 3 {
		return false
	}
	if v.Lead() {
		switch kind[1] {
		case "conversation", "internal":
			return true
		case "team":
			// The queue's length, and calls; the rest comes per conversation.
			return e.ConversationID == "" || e.Type == "call"
		}
		return false
	}
	if e.Type == "assigned" && e.Agent != nil {
		if e.Agent.ID == v.StaffID {
			sc.mine[e.ConversationID] = true
		} else {
			delete(sc.mine, e.ConversationID)
		}
		sc.team[e.ConversationID] = false // assigned: no longer the team's to pick up
	}
	if e.Type == "status" && e.Status == support.StatusOpen {
		delete(sc.team, e.ConversationID) // a reopened conversation goes back to the queue
	}
	switch kind[1] {
	case "agent":
		return true
	case "team":
		if (e.Type == "assigned" || e.Type == "call") && e.Agent != nil && e.Agent.ID == v.StaffID {
			return false // the agent subject carried it
		}
		return e.Type != "status" || !sc.mine[e.ConversationID]
	case "conversation", "internal":
		if sc.mine[kind[2]] {
			return e.Type == "message" || e.Type == "typing" || e.Type == "status" || e.Type == "read"
		}
		// The team subject carries the status of the team's conversations.
		return (e.Type == "message" || e.Type == "typing" || e.Type == "read") && sc.teamUnassigned(kind[2])
	}
	return false
}

// teamUnassigned reports whether convID is an unassigned conversation of the agent's team,
// looking it up the first time. A failed look-up forwards nothing and is not kept.
func (sc *agentScope) teamUnassigned(convID string) bool {
	if ok, known := sc.team[convID]; known {
		return ok
	}
	team, assigned, err := sc.place(convID)
	if err != nil {
		return false
	}
	if len(sc.team) >= maxTeamScope {
		clear(sc.team)
	}
	ok := team == sc.v.Team && !assigned
	sc.team[convID] = ok
	return ok
}

// subscribeAll merges the subscriptions of patterns into one channel.
func subscribeAll(b bus.Bus, patterns []string) (<-chan bus.Event, func()) {
	if len(patterns) == 1 {
		return b.Subscribe(patterns[0])
	}
	out := make(chan bus.Event, bus.Buffer)
	done := make(chan struct{})
	var stops []func()
	for _, p := range patterns {
		ch, stop := b.Subscribe(p)
		stops = append(stops, stop)
		go func() {
			for ev := range ch {
				select {
				case out <- ev:
				case <-done:
					return
				default: // a stream that does not keep up misses events, as on the bus
				}
			}
		}()
	}
	return out, func() {
		close(done)
		for _, stop := range stops {
			stop()
		}
	}
}

// write sends one text frame, or fails after streamWriteTimeout.
func (s *Server) write(ctx context.Context, c *websocket.Conn, b []byte) error {
	ctx, cancel := context.WithTimeout(ctx, streamWriteTimeout)
	defer cancel()
	return c.Write(ctx, websocket.MessageText, b)
}

// runStream forwards events and answers the client's frames until the client leaves, the
// session ends (re-checked every streamRecheck), or the server shuts down.
func (s *Server) runStream(ctx context.Context, c *websocket.Conn, events <-chan bus.Event, side streamSide) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	replies := make(chan []byte, 16)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		s.readStream(ctx, c, side, replies)
	}()
	var pinging atomic.Bool
	tick := time.NewTicker(s.streamRecheck())
	defer tick.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				c.Close(websocket.StatusTryAgainLater, "events ended; reconnect with ?after=")
				return
			}
			var e streamEvent
			if json.Unmarshal(ev.Payload, &e) != nil {
				continue
			}
			if e.Type == "message" && e.Message != nil && side.skip[e.Message.ID] {
				delete(side.skip, e.Message.ID) // sent with the backlog; once is enough
				continue
			}
			if (e.Type == "typing" || e.Type == "read") && e.Author != nil && e.Author.Type == side.self.Type && e.Author.ID == side.self.ID {
				continue // one's own
			}
			if !side.pass(ev.Subject, e) {
				continue
			}
			if s.write(ctx, c, ev.Payload) != nil {
				return
			}
		case b := <-replies:
			if s.write(ctx, c, b) != nil {
				return
			}
		case <-readDone:
			return // the client closed, broke the protocol or sent too big a frame (1009 sent)
		case <-tick.C:
			if err := side.recheck(ctx); err != nil {
				c.Close(websocket.StatusPolicyViolation, "session ended")
				return
			}
			if pinging.CompareAndSwap(false, true) {
				// Aside, so that events are not held up while the pong travels: a peer
				// that is gone does not answer, and its socket is closed.
				go func() {
					defer pinging.Store(false)
					pctx, pcancel := context.WithTimeout(ctx, streamWriteTimeout)
					defer pcancel()
					if c.Ping(pctx) != nil {
						c.CloseNow()
					}
				}()
			}
		case <-s.stopping:
			c.Close(websocket.StatusGoingAway, "server shutting down; reconnect with ?after=")
			return
		}
	}
}

// readStream reads the client's frames until the connection ends, storing messages and
// publishing typing; acknowledgements and refusals go to replies, in order.
func (s *Server) readStream(ctx context.Context, c *websocket.Conn, side streamSide, replies chan<- []byte) {
	var lastTyping time.Time
	reply := func(v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		select {
		case replies <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	refuse := func(clientID string, err error) bool {
		f, ok := fault.As(err)
		if !ok {
			if errors.Is(err, context.Canceled) {
				return false
			}
			s.log.ErrorContext(ctx, "stream frame failed", "err", err)
			f = errInternal
		} else if _, known := codes[f.Code]; !known {
			f = errInternal
		}
		_, body := problemBody(f, side.locale)
		return reply(streamError{Type: "error", ClientID: clientID, Error: bytes.TrimSpace(body)})
	}
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		f, err := decodeStreamFrame(typ, data)
		if err != nil {
			if !refuse("", err) {
				return
			}
			continue
		}
		switch f.Type {
		case "typing":
			if time.Since(lastTyping) < typingEvery {
				continue
			}
			lastTyping = time.Now()
			if err := side.typing(ctx, f); err != nil && !refuse("", err) {
				return
			}
		case "read":
			if err := side.read(ctx, f); err != nil && !refuse("", err) {
				return
			}
		case "message":
			m, err := side.post(ctx, f)
			if err != nil {
				if !refuse(f.ClientID, err) {
					return
				}
				continue
			}
			if !reply(streamAck{Type: "ack", ClientID: f.ClientID, Message: m}) {
				return
			}
		default:
			if !refuse(f.ClientID, fault.Invalid("type", fault.MsgOneOf, "message, typing, read")) {
				return
			}
		}
	}
}

var errStreamFrame = fault.New("invalid_request", `A frame is a JSON object: {"type":"message","body":…,"client_id":…}, {"type":"typing"} or {"type":"read","message_id":…}.`)

// decodeStreamFrame reads a client frame: a text frame of one JSON object with the fields of
// streamClientFrame, read as strictly as a REST body (unmarshalStrict): nothing after the
// object, no unknown, repeated or wrongly cased name, valid UTF-8, so that a message is
// stored as sent or refused, never silently altered. A frame over streamFrameLimit is
// too_large (the socket's read limit already closes on one).
func decodeStreamFrame(typ websocket.MessageType, data []byte) (streamClientFrame, error) {
	if len(data) > streamFrameLimit {
		return streamClientFrame{}, errTooLarge.Because(fmt.Sprintf("A frame is at most %d bytes.", streamFrameLimit))
	}
	var f streamClientFrame
	if typ != websocket.MessageText || unmarshalStrict(data, &f) != nil {
		return streamClientFrame{}, errStreamFrame
	}
	return f, nil
}

// streamRecheck is how often streams re-check their session (tests shorten it).
func (s *Server) streamRecheck() time.Duration {
	if d := time.Duration(s.recheckEvery.Load()); d > 0 {
		return d
	}
	return streamRecheckEvery
}

const streamEventsDoc = "Server events are JSON text frames with a `type`:\n\n" +
	"- `{\"type\":\"message\",\"conversation_id\",\"message\":{…}}`: a stored message (customers never get internal notes);\n" +
	"- `{\"type\":\"typing\",\"conversation_id\",\"author\":{type,id,name}}`: the other side is writing (never one's own);\n" +
	"- `{\"type\":\"assigned\",\"conversation_id\",\"agent\":{id,name}}`;\n" +
	"- `{\"type\":\"queue\",\"conversation_id\",\"position\",\"estimated_wait_seconds\"}`;\n" +
	"- `{\"type\":\"status\",\"conversation_id\",\"status\"}`;\n" +
	"- `{\"type\":\"read\",\"conversation_id\",\"author\":{type,id,name},\"message_id\"}`: a participant has read every " +
	"message up to `message_id` (never one's own marker). A message is *delivered* once it is stored: its `ack` to the sender, " +
	"its `message` event to the other side;\n" +
	"- `{\"type\":\"ack\",\"client_id\",\"message\":{…}}`: the client's message is stored (a resend with the same " +
	"`client_id` is stored once and acknowledged with the stored message); the `message` event of it follows as for any message;\n" +
	"- `{\"type\":\"error\",\"client_id\",\"error\":{problem}}`: a frame was refused and nothing of it stored " +
	"(the problem as the REST routes answer it: `invalid_request`, `invalid_state` for a closed conversation…).\n\n" +
	"A frame over 64 KiB closes the socket with 1009 (message too big), nothing stored. The server closes with " +
	"1001 when it shuts down and 1008 when the session ends (logout, a disabled account; checked every 30 s); " +
	"reconnect and resume with `?after=`. Events are at most once: after any reconnect, resume from the store. " +
	"Browsers connect from this site or from a `DOMPET_FRAME_ANCESTORS` origin (the widget); another Origin is 403. " +
	"Without an upgrade the route answers 400 `invalid_request`."

var customerStreamDoc = operation{Summary: "The conversation's live chat (WebSocket)", Tag: "support", Status: http.StatusSwitchingProtocols,
	Description: "A WebSocket; the token may come as `?token=` (browsers cannot set headers on a WebSocket), or, from a page " +
		"of this site only (Origin the same host), as the web app's session cookie `dompet_session` or the chat " +
		"widget's `dompet_widget`. The widget's chat-only session (opened by `/widget/session`, 8 hours) is taken " +
		"here and by the chat pages, and by no other route. " +
		"With `after` (a message id), the messages stored after it come first, then the live ones, none missing and none twice.\n\n" +
		"The client sends `{\"type\":\"message\",\"body\",\"client_id\",\"attachment_ids\"?}` (stored before it is acknowledged) " +
		"`{\"type\":\"typing\"}` (at most one a second is passed on) and `{\"type\":\"read\",\"message_id\"}` " +
		"(as `POST …/read`; nothing answers it unless it is refused).\n\n" + streamEventsDoc,
	Query:   append(append([]param{}, afterQuery...), param{Name: "token", Description: "the session token, when no Authorization header can be sent"}),
	MaxBody: -1, Errors: []string{"invalid_request", "forbidden"}}

var agentStreamDoc = operation{Summary: "The desk's live events (WebSocket)", Tag: "agent", Status: http.StatusSwitchingProtocols,
	Description: "A WebSocket for agents, supervisors and admins; the token may come as `?token=`, or, from a page of " +
		"this site only (Origin the same host), as the agent console's session cookie `dompet_staff`. An agent gets the " +
		"conversations assigned to them (`assigned`, also when they come online), their team's queue and assignment changes, the " +
		"messages (internal notes included), typing and status of their own conversations, and the messages and typing of their " +
		"team's unassigned conversations; supervisors and admins get every conversation's events and the queue length of every " +
		"team (`{\"type\":\"queue\",\"position\":<waiting>}`). Calls (the screen pop) come to the agents of the call's team, to the " +
		"agent it is assigned to, and to supervisors and admins: `{\"type\":\"call\",\"conversation_id\",\"team\",\"agent\":{id,name}?," +
		"\"call\":{\"id\",\"event\":\"call.incoming\"|\"call.answered\"|\"call.ended\",\"from_masked\",\"customer\":{id,display_name,locked,two_factor}|null}}`, " +
		"once per telephony event (a retried event is not repeated). Nothing is replayed: " +
		"read the conversations with the REST routes after connecting.\n\n" +
		"The client sends `{\"type\":\"message\",\"conversation_id\",\"body\",\"internal\"?,\"client_id\"?}` and " +
		"`{\"type\":\"typing\",\"conversation_id\"}` and `{\"type\":\"read\",\"conversation_id\",\"message_id\"}` on a conversation it may see (as `POST /api/v1/agent/conversations/{id}/messages`).\n\n" +
		streamEventsDoc,
	Query:   []param{{Name: "token", Description: "the staff session token, when no Authorization header can be sent"}},
	MaxBody: -1, Errors: []string{"invalid_request", "forbidden"}}
