package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/support"
	"github.com/dompet/dompet/internal/wallet"
)

// The customer's live chat: /chat starts one (and lists the earlier ones), /chat/{id} is the
// conversation. Everything works as forms; static/chat.js makes the page live over the
// conversation's WebSocket (the API's stream route, which takes this site's session cookie
// from this site's pages only). With ?embed=1 the pages are compact and may be framed by
// DOMPET_FRAME_ANCESTORS: static/widget.js, the merchants' one <script> tag, frames them.

// chatUploadLimit bounds a message form: a file of at most wallet.MaxAttachment, the text
// (10,000 characters of up to 4 bytes) and the multipart envelope. A bigger body is refused
// as too large, as the file itself is.
const chatUploadLimit = wallet.MaxAttachment + 4*support.MaxBody + 64<<10

func (s *Site) chatRoutes() []front.Route {
	return []front.Route{
		{Pattern: "GET /chat", Page: true, Embeddable: true, Handler: s.handleWith(s.chatView, s.chatStart)},
		{Pattern: "POST /chat", Page: true, Embeddable: true, Handler: s.chatSignedIn(s.chatOpen)},
		{Pattern: "GET /chat/{id}", Page: true, Embeddable: true, Handler: s.chatSignedIn(s.chatRoom)},
		{Pattern: "POST /chat/{id}/messages", Page: true, Embeddable: true, BodyLimit: chatUploadLimit, Handler: s.chatSendHandler()},
		{Pattern: "POST /chat/{id}/rating", Page: true, Embeddable: true, Handler: s.chatSignedIn(s.chatRate)},
		{Pattern: "GET /chat/{id}/files/{file}", Page: true, Handler: s.chatSignedIn(s.chatFile)},
		{Pattern: "GET /widget.js", Page: true, Handler: http.HandlerFunc(s.widgetScript)},
	}
}

// chatSignedIn is signedIn for the chat pages: they also take the widget's chat-only
// session, and an anonymous frame goes back to /chat?embed=1 (the login may not be framed).
func (s *Site) chatSignedIn(h func(w http.ResponseWriter, r *http.Request, v *View)) http.Handler {
	return s.handleWith(s.chatView, func(w http.ResponseWriter, r *http.Request, v *View) {
		if v.User == nil {
			if embedded(r) {
				http.Redirect(w, r, "/chat?embed=1", http.StatusSeeOther)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r, v)
	})
}

// chatTx is the failed transaction a chat is started about (?transaction_id=).
type chatTx struct {
	ID, Kind, Status, Currency, Reason string
	Amount                             int64
	CreatedAt                          time.Time
}

// chatStartData is /chat: the form (with what the link carried) and the earlier chats.
type chatStartData struct {
	Topics  []string
	Topic   string
	Message string
	Key     string // the form's idempotency key: a double submit opens one conversation
	Tx      *chatTx
	Article string
	Embed   bool
	Earlier []support.Conversation
	Anon    bool // an anonymous visitor (in the widget's frame): asked to log in
	Login   string
	Connect bool // the frame can sign in through the /widget/connect popup (widgetSignIn)
}

// articleSlug is what a help-center link may carry as ?article=.
var articleSlug = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,99}$`)

func embedded(r *http.Request) bool { return r.URL.Query().Get("embed") == "1" }

// chatPath keeps embed=1 on the pages a framed chat goes to.
func chatPath(r *http.Request, p string) string {
	if embedded(r) {
		if strings.Contains(p, "?") {
			return p + "&embed=1"
		}
		return p + "?embed=1"
	}
	return p
}

// chatStart is GET /chat. Anonymous visitors are sent to log in; in the widget's frame they
// get a page that signs the frame in through Dompet's own page in a popup (widget.go), or,
// where the widget's cookie cannot be kept, opens the login at the top level in a new tab.
func (s *Site) chatStart(w http.ResponseWriter, r *http.Request, v *View) {
	if v.User == nil {
		if !embedded(r) {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		v.Data = chatStartData{Anon: true, Embed: true, Login: "/login?next=" + url.QueryEscape("/chat"), Connect: widgetSignIn(r)}
		s.render(w, r, 0, "chat", v)
		return
	}
	q := r.URL.Query()
	d := chatStartData{Topics: support.Topics, Topic: q.Get("topic"), Key: randomKey(), Embed: embedded(r)}
	s.chatContext(r, v, &d, q.Get("transaction_id"), q.Get("article"))
	s.chatEarlier(r, v, &d)
	v.Data = d
	s.render(w, r, 0, "chat", v)
}

// chatContext fills the transaction and article a chat starts from, when they are the user's
// and well formed (anything else is dropped: a link is only a hint).
func (s *Site) chatContext(r *http.Request, v *View, d *chatStartData, txID, article string) {
	if txID != "" && s.o.Services.Wallet != nil {
		if tx, err := s.o.Services.Wallet.Transaction(r.Context(), v.User.ID, txID); err == nil {
			tx.Localize(v.Lang.String())
			d.Tx = &chatTx{ID: tx.ID, Kind: tx.Kind, Status: tx.Status, Currency: tx.Currency, Amount: tx.Amount,
				Reason: tx.FailureReason, CreatedAt: tx.CreatedAt}
			if d.Topic == "" && tx.Status == wallet.StatusFailed {
				d.Topic = "payment_failed"
			}
		}
	}
	if articleSlug.MatchString(article) {
		d.Article = article
	}
}

// chatEarlierLimit is how many earlier conversations /chat lists.
const chatEarlierLimit = 20

func (s *Site) chatEarlier(r *http.Request, v *View, d *chatStartData) {
	list, _, err := s.o.Services.Support.CustomerConversations(r.Context(), v.User.ID, support.Filter{Limit: chatEarlierLimit})
	if err != nil {
		s.log.Error("earlier conversations", "request_id", front.RequestID(r), "err", err)
		return
	}
	d.Earlier = list
}

// chatOpen is POST /chat: the same call as POST /api/v1/support/conversations (routed at
// once; a chat opened while the team is closed becomes an email conversation with the
// promised reply time), under the form's idempotency key.
func (s *Site) chatOpen(w http.ResponseWriter, r *http.Request, v *View) {
	topic, body := r.PostFormValue("topic"), r.PostFormValue("message")
	txID, article, key := r.PostFormValue("transaction_id"), r.PostFormValue("article"), r.PostFormValue("key")
	d := chatStartData{Topics: support.Topics, Topic: topic, Message: body, Key: key, Embed: embedded(r)}
	s.chatContext(r, v, &d, txID, article)
	if d.Tx == nil {
		txID = "" // not the user's: opened without it rather than refused
	}
	u := v.User
	in := support.NewConversation{Channel: support.ChannelChat, Topic: topic, Body: body, TransactionID: txID,
		Customer: support.Customer{UserID: u.ID, Email: u.Email, Phone: u.Phone, Name: u.DisplayName}}
	var (
		conv   support.Conversation
		replay bool
		err    error
	)
	if len(key) >= 16 && len(key) <= 64 {
		h := sha256.Sum256([]byte(topic + "\x00" + body + "\x00" + txID + "\x00" + d.Article))
		conv, replay, err = s.o.Services.Support.OpenOnce(r.Context(), in, support.Once{Key: "page:" + key, Hash: hex.EncodeToString(h[:])})
	} else {
		conv, _, err = s.o.Services.Support.Open(r.Context(), in)
	}
	if err != nil {
		d.Key = randomKey()
		s.chatEarlier(r, v, &d)
		v.Data = d
		s.fail(w, r, "chat", v, err)
		return
	}
	if d.Article != "" && !replay {
		// The agent sees where the customer came from; so does the customer.
		note := support.NewMessage{Author: support.Author{Type: support.AuthorSystem, Name: "Dompet"},
			Body: "Started from the help article /help/" + d.Article + "\n从帮助文章 /help/" + d.Article + " 发起"}
		if _, err := s.o.Services.Support.Append(r.Context(), conv.ID, note); err != nil {
			s.log.Error("chat article note", "conversation", conv.ID, "err", err)
		}
	}
	http.Redirect(w, r, chatPath(r, "/chat/"+conv.ID), http.StatusSeeOther)
}

// chatRoomData is /chat/{id}.
type chatRoomData struct {
	Conv      support.Conversation
	Messages  []support.Message
	Last      string // the last message's id: the stream resumes after it
	Agent     string // the assignee's name
	WaitMin   int64  // the queue estimate in minutes (rounded up)
	Away      bool   // opened while the team was closed: answered by email
	ReplyBy   time.Time
	Scores    []int
	Tx        *chatTx
	ClientID  string // the send form's id for its message: a resend is stored once
	Draft     string
	Embed     bool
	CanRate   bool
	Closed    bool   // resolved or closed: a message reopens it
	SeenUpTo  string // the agents' furthest read marker
	Seen      bool   // the customer's last message is read
	StreamURL string
}

func (s *Site) chatRoom(w http.ResponseWriter, r *http.Request, v *View) {
	s.showRoom(w, r, v, 0, "")
}

// showRoom renders the conversation, with status (0: 200) and the text of a refused message.
func (s *Site) showRoom(w http.ResponseWriter, r *http.Request, v *View, status int, draft string) {
	ctx := r.Context()
	convID := r.PathValue("id")
	sup := s.o.Services.Support
	conv, err := sup.CustomerConversation(ctx, v.User.ID, convID)
	if err != nil {
		v.Problem = nil
		s.fail(w, r, "error", v, err)
		return
	}
	msgs, err := sup.CustomerMessages(ctx, v.User.ID, convID, "")
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	if r.URL.Query().Get("done") == "rated" {
		v.Notice = v.T("chat.rated_notice")
	}
	d := chatRoomData{Scores: []int{1, 2, 3, 4, 5}, Conv: conv, Messages: msgs, ClientID: randomKey(), Draft: draft,
		Embed:     embedded(r),
		StreamURL: "/api/v1/support/conversations/" + url.PathEscape(conv.ID) + "/stream"}
	if len(msgs) > 0 {
		d.Last = msgs[len(msgs)-1].ID
	}
	if conv.AssigneeID != nil && s.o.Services.Staff != nil {
		if m, err := s.o.Services.Staff.Member(ctx, *conv.AssigneeID); err == nil {
			d.Agent = m.Name
		}
	}
	if q := conv.Queue; q != nil {
		d.WaitMin = (q.EstimatedWaitSeconds + 59) / 60
		if conv.Channel == support.ChannelEmail {
			d.Away, d.ReplyBy = true, time.Now().Add(time.Duration(q.EstimatedWaitSeconds)*time.Second).Round(time.Minute)
		}
	}
	if conv.TransactionID != "" && s.o.Services.Wallet != nil {
		var sd chatStartData
		s.chatContext(r, v, &sd, conv.TransactionID, "")
		d.Tx = sd.Tx
	}
	d.Closed = conv.Status == support.StatusResolved || conv.Status == support.StatusClosed
	d.CanRate = d.Closed && conv.Rating == nil
	lastMine := ""
	for _, m := range msgs {
		if m.Author.Type == support.AuthorCustomer {
			lastMine = m.ID
		}
	}
	for _, rd := range conv.Reads {
		if rd.Author.Type == support.AuthorAgent && rd.MessageID > d.SeenUpTo {
			d.SeenUpTo = rd.MessageID
		}
	}
	d.Seen = lastMine != "" && d.SeenUpTo >= lastMine // ids sort by time
	v.Data = d
	s.render(w, r, status, "chatroom", v)
}

// chatSendHandler is POST /chat/{id}/messages, a multipart form read as a stream: the CSRF
// token first (the form puts it first), then the text, then the file, which goes straight to
// the wallet's attachment store (type sniffed, size bounded). A refused file keeps the text
// in the form: nothing the customer wrote is lost, and nothing half is stored.
func (s *Site) chatSendHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := s.chatView(w, r)
		if v.User == nil {
			if embedded(r) {
				http.Redirect(w, r, "/chat?embed=1", http.StatusSeeOther)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape("/chat/"+r.PathValue("id")), http.StatusSeeOther)
			return
		}
		body, clientID, embed, err := s.readChatForm(w, r, v)
		if embed {
			r.URL.RawQuery = "embed=1"
		}
		if errors.Is(err, errCSRF) {
			v.Problem = &Explanation{Status: http.StatusForbidden, Code: "csrf_failed",
				Title: v.T("error.csrf.title"), Detail: v.T("error.csrf.detail")}
			s.render(w, r, http.StatusForbidden, "error", v)
			return
		}
		if err == nil {
			_, err = s.o.Services.Support.CustomerPost(r.Context(), v.User.ID, v.User.DisplayName, r.PathValue("id"),
				support.NewMessage{Body: body.text, ClientID: clientID, AttachmentIDs: body.files})
		}
		if err != nil {
			e := s.explain(err, v.Lang)
			if e.Status == http.StatusNotFound {
				s.fail(w, r, "error", v, err)
				return
			}
			v.Problem = &e
			s.showRoom(w, r, v, e.Status, body.text)
			return
		}
		http.Redirect(w, r, chatPath(r, "/chat/"+r.PathValue("id")), http.StatusSeeOther)
	})
}

// chatForm is what the message form sent.
type chatForm struct {
	text  string
	files []string
}

// readChatForm reads the multipart message form in order. A form without a file may also
// come url-encoded.
func (s *Site) readChatForm(w http.ResponseWriter, r *http.Request, v *View) (f chatForm, clientID string, embed bool, err error) {
	if err := s.crossOrigin.Check(r); err != nil {
		return f, "", false, errCSRF
	}
	want := csrfTokens(r)
	if len(want) == 0 {
		return f, "", false, errCSRF
	}
	tokenOK := func(sent string) bool { return csrfMatch(sent, want) }
	headerOK := tokenOK(r.Header.Get("X-CSRF-Token"))
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		if !headerOK && !tokenOK(r.PostFormValue("csrf")) {
			return f, "", false, errCSRF
		}
		return chatForm{text: r.PostFormValue("body")}, r.PostFormValue("client_id"), r.PostFormValue("embed") == "1", nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return f, "", false, errCSRF
	}
	checked := headerOK
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			if !checked {
				return f, clientID, embed, errCSRF
			}
			return f, clientID, embed, nil
		}
		if err != nil {
			if !checked {
				return f, clientID, embed, errCSRF
			}
			return f, clientID, embed, formError(err)
		}
		name := part.FormName()
		if name == "file" {
			if !checked {
				part.Close()
				return f, clientID, embed, errCSRF // never store a file before the token
			}
			if part.FileName() == "" { // the file input left empty
				part.Close()
				continue
			}
			a, err := s.o.Services.Wallet.StoreAttachment(r.Context(), v.User.ID, part.FileName(), part.Header.Get("Content-Type"), part)
			part.Close()
			if err != nil {
				return f, clientID, embed, formError(err)
			}
			f.files = append(f.files, a.ID)
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, 4*support.MaxBody+1))
		part.Close()
		if err != nil {
			return f, clientID, embed, formError(err)
		}
		switch name {
		case "csrf":
			checked = checked || tokenOK(string(b))
		case "body":
			f.text = string(b)
		case "client_id":
			clientID = string(b)
		case "embed":
			embed = string(b) == "1"
		}
	}
}

// formError words a body over the route's limit as the file being too large, as the API does.
func formError(err error) error {
	if _, ok := fault.As(err); ok {
		return err
	}
	if mb := (*http.MaxBytesError)(nil); errors.As(err, &mb) {
		return wallet.ErrTooLarge
	}
	return fault.Invalid("file", fault.MsgFileEndsEarly)
}

// chatRate is POST /chat/{id}/rating: 1 to 5, once the conversation is resolved.
func (s *Site) chatRate(w http.ResponseWriter, r *http.Request, v *View) {
	score, _ := strconv.Atoi(r.PostFormValue("score"))
	if _, err := s.o.Services.Support.Rate(r.Context(), v.User.ID, r.PathValue("id"), score, r.PostFormValue("comment")); err != nil {
		e := s.explain(err, v.Lang)
		if e.Status == http.StatusNotFound {
			s.fail(w, r, "error", v, err)
			return
		}
		v.Problem = &e
		s.showRoom(w, r, v, e.Status, "")
		return
	}
	http.Redirect(w, r, chatPath(r, "/chat/"+r.PathValue("id")+"?done=rated"), http.StatusSeeOther)
}

// chatFile serves a file of one of the user's messages as a download, never as a page.
func (s *Site) chatFile(w http.ResponseWriter, r *http.Request, v *View) {
	ctx := r.Context()
	msgs, err := s.o.Services.Support.CustomerMessages(ctx, v.User.ID, r.PathValue("id"), "")
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	for _, m := range msgs {
		for _, a := range m.Attachments {
			if a.ID != r.PathValue("file") {
				continue
			}
			// The customer's own files only: the wallet keeps agents' files apart.
			att, content, err := s.o.Services.Wallet.AttachmentContent(ctx, v.User.ID, a.ID)
			if err != nil {
				s.fail(w, r, "error", v, err)
				return
			}
			disposition := mime.FormatMediaType("attachment", map[string]string{"filename": att.Filename})
			if disposition == "" {
				disposition = "attachment"
			}
			h := w.Header()
			h.Set("Content-Type", wallet.AttachmentType(att.ContentType))
			h.Set("Content-Disposition", disposition)
			h.Set("Content-Security-Policy", "default-src 'none'; sandbox; frame-ancestors 'none'")
			h.Set("Cache-Control", "private, no-store")
			_, _ = w.Write(content)
			return
		}
	}
	s.fail(w, r, "error", v, support.ErrNotFound)
}

// widgetScript is /widget.js, the merchants' one <script> tag: a chat button that opens
// /chat?embed=1 of the site the script came from in a frame.
func (s *Site) widgetScript(w http.ResponseWriter, r *http.Request) {
	b, err := static.ReadFile("static/widget.js")
	if err != nil {
		http.Error(w, "no widget", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	// Loaded by other sites' pages: the script itself is public.
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	_, _ = w.Write(b)
}

// randomKey is a fresh form key (idempotency key, client id).
func randomKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
