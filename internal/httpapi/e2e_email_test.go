package httpapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/config"
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
	pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"))
	send := func(msg string) {
		t.Helper()
		if err := smtp.SendMail(ln.Addr().String(), nil, u.Email, []string{support}, []byte(strings.ReplaceAll(msg, "\n", "\r\n"))); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
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
	var msgs struct {
		Items []apiMessage `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations/"+conv+"/messages", agentTok, nil), http.StatusOK), &msgs)
	if len(msgs.Items) != 3 || msgs.Items[0].Author.Type != "customer" || !strings.Contains(msgs.Items[0].Body, "receipt.pdf") ||
		msgs.Items[1].Author.Type != "agent" || msgs.Items[2].Author.Type != "customer" || !strings.Contains(msgs.Items[2].Body, "我等着") {
		t.Fatalf("messages: %+v", msgs.Items)
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations?channel=email", agentTok, nil), http.StatusOK), &list)
	if len(list.Items) != 1 {
		t.Fatalf("conversations after the answer: %d", len(list.Items))
	}
	// The customer, a wallet user, sees the conversation in the app too.
	var mine struct {
		Items []apiConversation `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/support/conversations", u.Token, nil), http.StatusOK), &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != conv {
		t.Fatalf("customer's conversations: %+v", mine.Items)
	}
}
