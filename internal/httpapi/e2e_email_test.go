package httpapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/mailbox"
	"github.com/dompet/dompet/internal/notify/notifytest"
)

// TestE2EEmail goes through the real app: a real SMTP client writes to the support
// listener, the acknowledgement reaches the relay, an agent sees the conversation and replies
// over the API, the reply reaches the relay with threading headers, and the customer's answer
// threads into the same conversation.
func TestE2EEmail(t *testing.T) {
	t.Parallel()
	const support = "help@dompet.test"
	relay := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	e := newE2EConfig(t, func(c *config.Config) { c.SupportEmail, c.SMTPRelay = support, relay.URL })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.app.ServeSMTP(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("smtp listener: %v", err)
		}
	})
	u := e.newUser(t, userOpts{})
	_, agentTok := deskStaff(t, e, "ayu", "agent", "general")
	_, otherTok := deskStaff(t, e, "budi", "agent", "payments")

	subject := "我的转账失败了"
	first := "<first-" + e.run + "@customer.test>"
	pdfBytes := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	pdf := base64.StdEncoding.EncodeToString(pdfBytes)
	sendFrom := func(envFrom, msg string) {
		t.Helper()
		if err := smtp.SendMail(ln.Addr().String(), nil, envFrom, []string{support}, []byte(strings.ReplaceAll(msg, "\n", "\r\n"))); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	send := func(msg string) { t.Helper(); sendFrom(u.Email, msg) }
	send(fmt.Sprintf(`From: Customer <%s>
To: %s
Subject: %s
Message-ID: %s
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

我昨天给朋友转账，钱被扣了但是对方没有收到。
--b1
Content-Type: application/pdf; name="receipt.pdf"
Content-Disposition: attachment; filename="receipt.pdf"
Content-Transfer-Encoding: base64

%s
--b1--
`, u.Email, support, mime.BEncoding.Encode("UTF-8", subject), first, pdf))

	// The fixture's registration also mailed an email verification code: skip it.
	nextSupportMail := func() notifytest.Mail {
		for {
			if m := relay.Next(t); notifytest.Code(m.Body) == "" || strings.Contains(m.Subject, "[#") {
				return m
			}
		}
	}
	ack := nextSupportMail()
	if !strings.Contains(ack.Subject, subject) || !strings.Contains(ack.Subject, "[#") || ack.Header.Get("Auto-Submitted") != "auto-replied" {
		t.Fatalf("acknowledgement: %q %v", ack.Subject, ack.Header)
	}
	ref := ack.Subject[strings.Index(ack.Subject, "[#")+2 : strings.LastIndex(ack.Subject, "]")]

	// The agent of the right team sees it; an agent of another team does not.
	var list struct {
		Items []struct {
			apiConversation
			Channel string `json:"channel"`
			Subject string `json:"subject"`
			SLA     *struct {
				FirstResponseDue time.Time `json:"first_response_due"`
				ResolutionDue    time.Time `json:"resolution_due"`
			} `json:"sla"`
		} `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations?channel=email", agentTok, nil), http.StatusOK), &list)
	if len(list.Items) != 1 || list.Items[0].Ref != ref || list.Items[0].Subject != subject || list.Items[0].SLA == nil ||
		!list.Items[0].SLA.ResolutionDue.After(list.Items[0].SLA.FirstResponseDue) {
		t.Fatalf("agent's email conversations: %+v", list.Items)
	}
	conv := list.Items[0].ID
	// The acknowledgement promises the first-response due time, in the team's time zone.
	teams, err := e.app.Staff.Teams(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	loc := time.UTC
	for _, tm := range teams {
		if tm.Slug == list.Items[0].Team {
			if loc, err = time.LoadLocation(tm.BusinessHours.TimeZone); err != nil {
				t.Fatal(err)
			}
		}
	}
	if due := list.Items[0].SLA.FirstResponseDue.In(loc).Format("15:04 (MST)"); !strings.Contains(ack.Body, due) || !strings.Contains(ack.Body, "#"+ref) {
		t.Fatalf("acknowledgement does not promise %s for #%s:\n%s", due, ref, ack.Body)
	}
	var other struct {
		Items []apiConversation `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations?channel=email", otherTok, nil), http.StatusOK), &other)
	if len(other.Items) != 0 {
		t.Fatalf("another team's agent sees %+v", other.Items)
	}

	// The agent's reply goes out threaded.
	want(t, e.post(t, "/api/v1/agent/conversations/"+conv+"/messages", agentTok, map[string]any{"body": "我们正在查，请稍候。"}), http.StatusCreated)
	reply := nextSupportMail()
	if reply.Header.Get("In-Reply-To") != first || !strings.Contains(reply.Header.Get("References"), first) ||
		!strings.Contains(reply.Subject, "[#"+ref+"]") || !strings.Contains(reply.Body, "我们正在查") || reply.To[0] != u.Email {
		t.Fatalf("reply: %q to %v, headers %v", reply.Subject, reply.To, reply.Header)
	}

	// The customer answers the reply (a client that keeps only In-Reply-To): same conversation.
	send(fmt.Sprintf("From: %s\nTo: %s\nSubject: Re: %s\nMessage-ID: <second-%s@customer.test>\nIn-Reply-To: %s\nContent-Type: text/plain; charset=UTF-8\n\n谢谢，我等着。\n",
		u.Email, support, mime.BEncoding.Encode("UTF-8", reply.Subject), e.run, reply.Header.Get("Message-Id")))
	// And the same mail again (a sender's retry): stored once.
	send(fmt.Sprintf("From: %s\nTo: %s\nSubject: Re: %s\nMessage-ID: <second-%s@customer.test>\nIn-Reply-To: %s\nContent-Type: text/plain; charset=UTF-8\n\n谢谢，我等着。\n",
		u.Email, support, mime.BEncoding.Encode("UTF-8", reply.Subject), e.run, reply.Header.Get("Message-Id")))
	// A reply carrying only [#ref], from a client that rewrote References.
	send(fmt.Sprintf("From: %s\nTo: %s\nSubject: %s\nMessage-ID: <third-%s@customer.test>\nReferences: <rewritten-%s@webmail.test>\nContent-Type: text/plain; charset=UTF-8\n\n还有一个问题。\n",
		u.Email, support, mime.QEncoding.Encode("UTF-8", "答复: 转账 [#"+ref+"]"), e.run, e.run))
	// The customer's auto-responder answers the agent's reply, and a bounce (empty envelope
	// sender) comes back for it: both thread, neither is acknowledged.
	send(fmt.Sprintf("From: %s\nTo: %s\nSubject: Automatic reply\nMessage-ID: <auto-%s@customer.test>\nIn-Reply-To: %s\nAuto-Submitted: auto-replied\nContent-Type: text/plain\n\nI am away.\n",
		u.Email, support, e.run, reply.Header.Get("Message-Id")))
	sendFrom("", fmt.Sprintf("From: MAILER-DAEMON@customer.test\nTo: %s\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <bounce-%s@customer.test>\nReferences: %s\nContent-Type: text/plain\n\nThe mail could not be delivered.\n",
		support, e.run, reply.Header.Get("Message-Id")))
	var supportMails int
	if err := e.app.DB.QueryRow(context.Background(), `SELECT COUNT(*) FROM outbox_messages WHERE topic = ?`, mailbox.Topic).Scan(&supportMails); err != nil {
		t.Fatal(err)
	}
	if supportMails != 2 {
		t.Fatalf("%d support mails written, want the acknowledgement and the agent's reply only", supportMails)
	}

	var msgs struct {
		Items []apiMessage `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations/"+conv+"/messages", agentTok, nil), http.StatusOK), &msgs)
	var authors []string
	for _, m := range msgs.Items {
		authors = append(authors, m.Author.Type)
	}
	if strings.Join(authors, " ") != "customer agent customer customer system system" ||
		!strings.Contains(msgs.Items[0].Body, "钱被扣了") || !strings.Contains(msgs.Items[2].Body, "我等着") ||
		!strings.Contains(msgs.Items[3].Body, "还有一个问题") || !strings.Contains(msgs.Items[4].Body, "auto-replied") {
		t.Fatalf("messages: %+v", msgs.Items)
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations?channel=email", agentTok, nil), http.StatusOK), &list)
	if len(list.Items) != 1 {
		t.Fatalf("conversations after the answers: %d", len(list.Items))
	}

	// The PDF is stored with the first message; the team's agent downloads it (audited), an
	// agent of another team cannot, and the customer, whose file it is, downloads it in the app.
	atts := msgs.Items[0].Attachments
	if len(atts) != 1 || atts[0].Filename != "receipt.pdf" || atts[0].ContentType != "application/pdf" {
		t.Fatalf("first message's attachments: %+v", atts)
	}
	path := "/api/v1/agent/conversations/" + conv + "/attachments/" + atts[0].ID
	wantDownload(t, e.getRaw(t, agentTok, path), "application/pdf", "receipt.pdf", pdfBytes)
	wantProblem(t, e.do(t, "GET", path, otherTok, nil), http.StatusNotFound, "not_found")
	wantProblem(t, e.do(t, "GET", "/api/v1/agent/conversations/"+conv+"/attachments/att_nope", agentTok, nil), http.StatusNotFound, "not_found")
	var viewed int
	if err := e.app.DB.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'attachment.viewed' AND target_id = ?`,
		atts[0].ID).Scan(&viewed); err != nil {
		t.Fatal(err)
	}
	if viewed != 1 {
		t.Fatalf("%d audited downloads, want 1", viewed)
	}
	wantDownload(t, e.download(t, u.Token, atts[0].ID), "application/pdf", "receipt.pdf", pdfBytes)

	// The customer, a wallet user, sees the conversation in the app too, with the file.
	var mine struct {
		Items []apiConversation `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/support/conversations", u.Token, nil), http.StatusOK), &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != conv {
		t.Fatalf("customer's conversations: %+v", mine.Items)
	}
	var theirs struct {
		Items []apiMessage `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/support/conversations/"+conv+"/messages", u.Token, nil), http.StatusOK), &theirs)
	if len(theirs.Items) == 0 || len(theirs.Items[0].Attachments) != 1 || theirs.Items[0].Attachments[0].ID != atts[0].ID {
		t.Fatalf("customer's messages: %+v", theirs.Items)
	}
}

// getRaw GETs path with token, for a download (not JSON).
func (e *e2eEnv) getRaw(t testing.TB, token, path string) reply {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return reply{method: "GET", path: path, status: resp.StatusCode, header: resp.Header, body: raw}
}
