package mailbox

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/notify/notifytest"
	"github.com/dompet/dompet/internal/outbox"
)

const support = "help@dompet.test"

// rig is a mailbox listening on loopback, an in-memory desk, the outbox running, and a test
// relay receiving what goes out.
type rig struct {
	t     testing.TB
	store *db.DB
	desk  *memDesk
	mb    *Mailbox
	relay *notifytest.SMTPServer
	addr  string
}

var cst = time.FixedZone("CST", 8*3600)

func newRig(t testing.TB, tune func(*Options)) *rig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &rig{t: t, store: dbtest.Open(t), desk: newMemDesk(), relay: notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})}
	r.desk.now = func() time.Time { return time.Date(2026, 11, 30, 18, 0, 0, 0, cst) }
	ob := outbox.New(r.store, outbox.Options{PollInterval: 20 * time.Millisecond})
	ob.Handle(Topic, Handler(&notify.SMTP{Relay: r.relay.URL, From: support}), OutboxRetry())
	o := Options{Address: support, Notify: ob.Notify, Timeout: 10 * time.Second}
	if tune != nil {
		tune(&o)
	}
	mb, err := New(r.store, r.desk, o)
	if err != nil {
		t.Fatal(err)
	}
	r.mb = mb
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	var wg sync.WaitGroup
	wg.Go(func() { ob.Run(ctx) })
	wg.Go(func() {
		if err := mb.Serve(ctx, ln); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return r
}

// send mails raw from envelope sender from to the support address with Go's SMTP client.
func (r *rig) send(from string, raw string) error {
	return smtp.SendMail(r.addr, nil, from, []string{support}, []byte(strings.ReplaceAll(raw, "\n", "\r\n")))
}

func (r *rig) mustSend(from, raw string) {
	r.t.Helper()
	if err := r.send(from, raw); err != nil {
		r.t.Fatalf("send: %v", err)
	}
}

// sendRaw is send for a big mail that needs no dot-stuffing: it is written in one go rather
// than through net/smtp's byte-wise DotWriter (slow under the race detector). It returns the
// answer to the DATA.
func (r *rig) sendRaw(from, raw string) (int, string) {
	r.t.Helper()
	cl, err := smtp.Dial(r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Mail(from); err != nil {
		r.t.Fatal(err)
	}
	if err := cl.Rcpt(support); err != nil {
		r.t.Fatal(err)
	}
	id, err := cl.Text.Cmd("DATA")
	if err != nil {
		r.t.Fatal(err)
	}
	cl.Text.StartResponse(id)
	if _, _, err := cl.Text.ReadResponse(354); err != nil {
		r.t.Fatal(err)
	}
	cl.Text.EndResponse(id)
	if _, err := cl.Text.W.WriteString(raw + "\r\n.\r\n"); err != nil {
		r.t.Fatal(err)
	}
	if err := cl.Text.W.Flush(); err != nil {
		r.t.Fatal(err)
	}
	c, msg, _ := cl.Text.ReadResponse(250)
	return c, msg
}

// outboxed counts the support mails written to the outbox.
func (r *rig) outboxed() int {
	r.t.Helper()
	var n int
	if err := r.store.QueryRow(context.Background(), `SELECT COUNT(*) FROM outbox_messages WHERE topic = ?`, Topic).Scan(&n); err != nil {
		r.t.Fatal(err)
	}
	return n
}

func code(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

func gbk(t testing.TB, s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

var pdf = []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

func utf8Subject(s string) string { return mime.BEncoding.Encode("UTF-8", s) }

// TestEmailConversation is issue 8's email test: a Chinese mail with a GB2312 body and a PDF,
// its acknowledgement on a real relay, two replies (one by In-Reply-To, one by [#ref] only with
// rewritten References), an auto-reply that starts no loop, an agent reply with the right
// headers, and the customer's answer to it: one conversation, every message in order.
func TestEmailConversation(t *testing.T) {
	r := newRig(t, nil)
	first := `From: =?UTF-8?B?5p2O5piO?= <li.ming@example.cn>
To: <help@dompet.test>
Subject: =?GB2312?B?` + b64(gbk(t, "我的账户被锁定了")) + `?=
Message-ID: <m1@example.cn>
Date: Mon, 30 Nov 2026 18:00:00 +0800
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=GB2312
Content-Transfer-Encoding: base64

` + b64(gbk(t, "你好，我今天无法登录我的钱包，请帮我解锁。")) + `
--b1
Content-Type: application/pdf; name="receipt.pdf"
Content-Disposition: attachment; filename="receipt.pdf"
Content-Transfer-Encoding: base64

` + b64(pdf) + `
--b1--
`
	r.mustSend("li.ming@example.cn", first)

	ack := r.relay.Next(t)
	convs := r.desk.snapshot()
	if len(convs) != 1 {
		t.Fatalf("%d conversations after the first mail", len(convs))
	}
	c := convs[0]
	m := c.msgs[0]
	if m.Subject != "我的账户被锁定了" || !strings.Contains(m.Text, "无法登录我的钱包") || m.FromName != "李明" || m.Lang != "zh-CN" {
		t.Fatalf("first mail stored as %+v", m.Inbound)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "application/pdf" || string(m.Attachments[0].Content) != string(pdf) || m.Attachments[0].Filename != "receipt.pdf" {
		t.Fatalf("attachment %+v", m.Attachments)
	}
	if ack.To[0] != "li.ming@example.cn" || !strings.Contains(ack.Subject, "[#"+c.ref+"]") || !strings.Contains(ack.Subject, "我的账户被锁定了") {
		t.Fatalf("acknowledgement to %v, subject %q", ack.To, ack.Subject)
	}
	if got := ack.Header.Get("Auto-Submitted"); got != "auto-replied" {
		t.Fatalf("acknowledgement Auto-Submitted %q", got)
	}
	if got := ack.Header.Get("In-Reply-To"); got != "<m1@example.cn>" {
		t.Fatalf("acknowledgement In-Reply-To %q", got)
	}
	if !strings.Contains(ack.Body, "2026年11月30日 22:00 (CST)") || !strings.Contains(ack.Body, "#"+c.ref) {
		t.Fatalf("acknowledgement body has no promised time in Chinese:\n%s", ack.Body)
	}
	ackID := ack.Header.Get("Message-Id")

	// A reply by In-Reply-To (to the acknowledgement), its subject without the reference.
	r.mustSend("li.ming@example.cn", `From: li.ming@example.cn
To: help@dompet.test
Subject: `+utf8Subject("回复: 我的账户")+`
Message-ID: <m2@example.cn>
In-Reply-To: `+ackID+`
References: <m1@example.cn> `+ackID+`
Content-Type: text/plain; charset=UTF-8

我附上了截图。
`)
	// A reply with only [#ref] in the subject, from a client that rewrote References.
	r.mustSend("li.ming@example.cn", `From: Li Ming <LI.MING@example.cn>
To: help@dompet.test
Subject: `+utf8Subject("答复: 账户问题 [#"+c.ref+"]")+`
Message-ID: <m3@example.cn>
References: <rewritten.4711@outlook.example>
Content-Type: text/plain; charset=UTF-8

还是无法登录。
`)
	// The customer's auto-responder answers the acknowledgement: stored, never acknowledged.
	r.mustSend("li.ming@example.cn", `From: li.ming@example.cn
To: help@dompet.test
Subject: Automatic reply: out of office
Message-ID: <auto1@example.cn>
In-Reply-To: `+ackID+`
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=UTF-8

I am away until Monday.
`)
	if n := r.outboxed(); n != 1 {
		t.Fatalf("%d support mails in the outbox after the replies, want only the one acknowledgement", n)
	}

	// The agent answers: In-Reply-To the customer's latest mail, References the chain.
	if err := r.desk.reply(context.Background(), r.store, r.mb.Composer(), c.id, "您好，账户已解锁。"); err != nil {
		t.Fatal(err)
	}
	out := r.relay.Next(t)
	if got := out.Header.Get("In-Reply-To"); got != "<m3@example.cn>" {
		t.Fatalf("agent reply In-Reply-To %q", got)
	}
	refs := msgIDs(out.Header.Get("References"))
	if len(refs) < 3 || refs[0] != "m1@example.cn" || refs[len(refs)-1] != "m3@example.cn" || !strings.Contains(out.Header.Get("References"), ackID) {
		t.Fatalf("agent reply References %q", out.Header.Get("References"))
	}
	if !strings.Contains(out.Subject, "[#"+c.ref+"]") || out.Header.Get("Auto-Submitted") != "" || strings.TrimSpace(out.Body) != "您好，账户已解锁。" {
		t.Fatalf("agent reply: subject %q, Auto-Submitted %q, body %q", out.Subject, out.Header.Get("Auto-Submitted"), out.Body)
	}
	// The customer answers the agent's mail (its Message-ID threads).
	r.mustSend("li.ming@example.cn", `From: li.ming@example.cn
To: help@dompet.test
Subject: thanks
Message-ID: <m5@example.cn>
In-Reply-To: `+out.Header.Get("Message-Id")+`
Content-Type: text/plain; charset=UTF-8

Thank you!
`)

	convs = r.desk.snapshot()
	if len(convs) != 1 {
		t.Fatalf("%d conversations, want 1", len(convs))
	}
	var order []string
	for _, m := range convs[0].msgs {
		order = append(order, m.MessageID)
	}
	want := []string{"m1@example.cn", "m2@example.cn", "m3@example.cn", "auto1@example.cn", strings.Trim(out.Header.Get("Message-Id"), "<>"), "m5@example.cn"}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Fatalf("messages\n got %v\nwant %v", order, want)
	}
	if convs[0].msgs[3].Automatic == "" {
		t.Fatal("the auto-reply is not marked automatic")
	}
	if n := r.outboxed(); n != 2 {
		t.Fatalf("%d support mails in the outbox, want the acknowledgement and the agent reply", n)
	}
}

// TestLoops: automatic mail that threads is stored and never acknowledged; automatic mail that
// threads nowhere is dropped; acknowledgements are limited per sender.
func TestLoops(t *testing.T) {
	r := newRig(t, func(o *Options) { o.AckBurst, o.AckEvery = 2, time.Hour })
	ctx := context.Background()
	cases := []struct {
		name, envFrom, header string
	}{
		{"auto-submitted", "bot@example.com", "Auto-Submitted: auto-generated\n"},
		{"precedence bulk", "news@example.com", "Precedence: bulk\n"},
		{"precedence list", "list@example.com", "Precedence: list\n"},
		{"x-autoreply", "ooo@example.com", "X-Autoreply: yes\n"},
		{"bounce", "", ""},
		{"mailing list", "l@example.com", "List-Id: <x.example.com>\n"},
		{"our own address", support, ""},
	}
	for _, c := range cases {
		from := c.envFrom
		if from == "" {
			from = "mailer-daemon@example.com"
		}
		raw := "From: " + from + "\nSubject: hi\nMessage-ID: <" + strings.ReplaceAll(c.name, " ", "-") + "@x>\n" + c.header + "\nhello\n"
		res, err := r.mb.Deliver(ctx, c.envFrom, []byte(raw))
		if err != nil || res.Stored || res.Acked || res.Dropped == "" {
			t.Errorf("%s: %+v %v, want dropped", c.name, res, err)
		}
	}
	if r.desk.messages() != 0 || r.outboxed() != 0 {
		t.Fatalf("automatic mail stored or acknowledged: %d messages, %d mails out", r.desk.messages(), r.outboxed())
	}
	// Auto-Submitted: no is a person's mail.
	if res, err := r.mb.Deliver(ctx, "a@example.com", []byte("From: a@example.com\nAuto-Submitted: no\nMessage-ID: <p1@x>\n\nhi\n")); err != nil || !res.Acked {
		t.Fatalf("Auto-Submitted: no: %+v %v", res, err)
	}
	// A sender opening many conversations gets at most the burst of acknowledgements.
	var acked, limited int
	for i := range 5 {
		res, err := r.mb.Deliver(ctx, "flood@example.com", []byte("From: flood@example.com\nSubject: n\nMessage-ID: <f"+string(rune('a'+i))+"@x>\n\nhi\n"))
		if err != nil || !res.Stored || !res.New {
			t.Fatalf("flood %d: %+v %v", i, res, err)
		}
		if res.Acked {
			acked++
		}
		if res.AckLimit {
			limited++
		}
	}
	if acked != 2 || limited != 3 {
		t.Fatalf("flood: %d acknowledged, %d limited; want 2 and 3", acked, limited)
	}
	// A stranger quoting someone's reference opens a conversation of their own.
	ref := r.desk.snapshot()[0].ref
	res, err := r.mb.Deliver(ctx, "stranger@example.com", []byte("From: stranger@example.com\nSubject: about [#"+ref+"]\nMessage-ID: <s1@x>\n\nlet me in\n"))
	if err != nil || !res.New {
		t.Fatalf("stranger with a reference: %+v %v", res, err)
	}
	// The same sender retrying a mail (a lost 250) stores it once and acknowledges once.
	again, err := r.mb.Deliver(ctx, "a@example.com", []byte("From: a@example.com\nAuto-Submitted: no\nMessage-ID: <p1@x>\n\nhi\n"))
	if err != nil || !again.Duplicate || again.Acked {
		t.Fatalf("retry: %+v %v", again, err)
	}
}

// TestBadInput: each bad mail gets a clear refusal or is stored best-effort, and nothing stored
// before is lost.
func TestBadInput(t *testing.T) {
	r := newRig(t, nil)
	r.mustSend("keep@example.com", "From: keep@example.com\nSubject: keep me\nMessage-ID: <keep@x>\n\nimportant\n")
	r.relay.Next(t)

	// Not for us: 550 at RCPT.
	err := smtp.SendMail(r.addr, nil, "a@example.com", []string{"someone@else.test"}, []byte("Subject: x\r\n\r\nx\r\n"))
	if code(err) != 550 {
		t.Fatalf("other recipient: %v", err)
	}
	// No header at all: 554.
	if err := r.send("a@example.com", "this is not a mail at all\n"); code(err) != 554 {
		t.Fatalf("headerless mail: %v", err)
	}
	// 30 MB: 552, nothing stored. The refusal comes before the store is touched, so one pass is
	// enough: the PostgreSQL pass skips it (30 MB through go-smtp's byte-wise DATA reader takes
	// 10-20 s under the race detector).
	if os.Getenv("DOMPET_TEST_DB") == "" {
		tooBig(t, r)
	}

	stored := []struct {
		name, raw string
		check     func(m memMsg) string
	}{
		{"malformed MIME: multipart without its parts' end", "From: mal@example.com\nSubject: broken\nMessage-ID: <mal@x>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"zz\"\n\n--zz\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n@@@ not base64 !!!\n", func(m memMsg) string {
			if m.Text == "" && len(m.Problems) == 0 {
				return "nothing kept and no problem noted"
			}
			return ""
		}},
		{"multipart without boundary", "From: nob@example.com\nSubject: no boundary\nMessage-ID: <nob@x>\nMIME-Version: 1.0\nContent-Type: multipart/mixed\n\nsome text anyway\n", func(m memMsg) string {
			if !strings.Contains(m.Text, "some text anyway") {
				return "text lost: " + m.Text
			}
			return ""
		}},
		{"no text part: HTML only", "From: html@example.com\nSubject: html\nMessage-ID: <html@x>\nMIME-Version: 1.0\nContent-Type: text/html; charset=UTF-8\n\n<html><body><p>Payment <b>failed</b> twice</p><script>alert(1)</script></body></html>\n", func(m memMsg) string {
			if !strings.Contains(m.Text, "Payment") || !strings.Contains(m.Text, "failed") || strings.Contains(m.Text, "<p>") {
				return "HTML not made text: " + m.Text
			}
			return ""
		}},
		{"no text part: a PDF only", "From: pdf@example.com\nSubject: pdf\nMessage-ID: <pdf@x>\nMIME-Version: 1.0\nContent-Type: application/pdf; name=a.pdf\nContent-Transfer-Encoding: base64\n\n" + b64(pdf) + "\n", func(m memMsg) string {
			if len(m.Attachments) != 1 || m.Attachments[0].Content == nil {
				return "PDF not kept"
			}
			return ""
		}},
		{"unknown charset", "From: cs@example.com\nSubject: =?x-klingon?B?" + b64([]byte{0xff, 0xfe, 'q', 'a'}) + "?=\nMessage-ID: <cs@x>\nContent-Type: text/plain; charset=x-klingon\n\nnuqneH \xff\xfe tlhIngan\n", func(m memMsg) string {
			if !strings.Contains(m.Text, "nuqneH") || !utf8.ValidString(m.Text) || !utf8.ValidString(m.Subject) {
				return "text not kept as valid UTF-8: " + m.Text
			}
			return ""
		}},
		{"an attachment that is not what it says", "From: fake@example.com\nSubject: fake\nMessage-ID: <fake@x>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: image/png; name=x.png\nContent-Disposition: attachment; filename=x.png\n\n<html><script>alert(1)</script></html>\n--b--\n", func(m memMsg) string {
			if len(m.Attachments) != 1 || m.Attachments[0].Content != nil || m.Attachments[0].Refused == "" {
				return "a fake PNG kept its bytes"
			}
			return ""
		}},
	}
	for _, c := range stored {
		from := strings.TrimPrefix(strings.SplitN(c.raw, "\n", 2)[0], "From: ")
		if err := r.send(from, c.raw); err != nil {
			t.Errorf("%s: refused: %v", c.name, err)
			continue
		}
		var got *memMsg
		for _, conv := range r.desk.snapshot() {
			for _, m := range conv.msgs {
				if m.From == from {
					got = &m
				}
			}
		}
		if got == nil {
			t.Errorf("%s: not stored", c.name)
			continue
		}
		if msg := c.check(*got); msg != "" {
			t.Errorf("%s: %s", c.name, msg)
		}
	}
	if c := r.desk.snapshot()[0]; len(c.msgs) != 1 || c.msgs[0].Text != "important\r\n" && c.msgs[0].Text != "important\n" {
		t.Fatalf("the mail stored first changed: %+v", c.msgs)
	}
}

// tooBig sends a 30 MB mail: 552, and nothing stored.
func tooBig(t *testing.T, r *rig) {
	before := r.desk.messages()
	big := "From: big@example.com\r\nSubject: big\r\nMessage-ID: <big@x>\r\nContent-Type: text/plain\r\n\r\n" + strings.Repeat(strings.Repeat("x", 98)+"\r\n", 300_000)
	if c, msg := r.sendRaw("big@example.com", big); c != 552 || !strings.Contains(msg, "size") {
		t.Fatalf("30 MB mail: %d %s", c, msg)
	}
	if r.desk.messages() != before {
		t.Fatal("the 30 MB mail was stored")
	}
}

// TestStoreOutage: when the desk cannot store, the sender is told 451 (it keeps the mail and
// retries), nothing is acknowledged, and the retry is stored once.
func TestStoreOutage(t *testing.T) {
	r := newRig(t, nil)
	raw := "From: a@example.com\nSubject: help\nMessage-ID: <o1@x>\n\nplease\n"
	r.desk.mu.Lock()
	r.desk.fail = errors.New("store down")
	r.desk.mu.Unlock()
	if err := r.send("a@example.com", raw); code(err) != 451 {
		t.Fatalf("during the outage: %v", err)
	}
	if r.outboxed() != 0 {
		t.Fatal("an acknowledgement was written for a mail that was not stored")
	}
	r.desk.mu.Lock()
	r.desk.fail = nil
	r.desk.mu.Unlock()
	r.mustSend("a@example.com", raw)
	r.mustSend("a@example.com", raw) // the 250 was lost: the sender tries once more
	r.relay.Next(t)
	if r.desk.messages() != 1 || r.outboxed() != 1 {
		t.Fatalf("%d messages, %d acknowledgements; want 1 and 1", r.desk.messages(), r.outboxed())
	}
}

// TestSessionLimit: a connection beyond MaxSessions is told 421 at once.
func TestSessionLimit(t *testing.T) {
	r := newRig(t, func(o *Options) { o.MaxSessions = 1 })
	first, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	c1 := textproto.NewConn(first)
	if line, err := c1.ReadLine(); err != nil || !strings.HasPrefix(line, "220 ") { // the session is counted
		t.Fatalf("first session: %q %v", line, err)
	}
	conn, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	line, err := textproto.NewConn(conn).ReadLine()
	if err != nil || !strings.HasPrefix(line, "421 ") {
		t.Fatalf("second session: %q %v", line, err)
	}
	// The first leaves. The server gives its place back before it closes the connection, so
	// once this side reads the end of the stream the place is free.
	if err := c1.PrintfLine("QUIT"); err != nil {
		t.Fatal(err)
	}
	if line, err := c1.ReadLine(); err != nil || !strings.HasPrefix(line, "221 ") {
		t.Fatalf("quit: %q %v", line, err)
	}
	if _, err := io.Copy(io.Discard, first); err != nil {
		t.Fatalf("waiting for the server to close: %v", err)
	}
	c3, err := smtp.Dial(r.addr)
	if err != nil {
		t.Fatalf("after the first left: %v", err)
	}
	_ = c3.Quit()
}

// TestSizeAnnounced: the listener announces its limit, and a sender declaring a bigger mail is
// refused with 552 before sending it.
func TestSizeAnnounced(t *testing.T) {
	r := newRig(t, nil)
	cl, err := smtp.Dial(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if ok, size := cl.Extension("SIZE"); !ok || size != "26214400" {
		t.Fatalf("SIZE %v %q", ok, size)
	}
	id, err := cl.Text.Cmd("MAIL FROM:<a@example.com> SIZE=%d", 30<<20)
	if err != nil {
		t.Fatal(err)
	}
	cl.Text.StartResponse(id)
	c, msg, err := cl.Text.ReadResponse(250)
	cl.Text.EndResponse(id)
	if c != 552 {
		t.Fatalf("MAIL with SIZE=30 MiB: %d %s %v", c, msg, err)
	}
}

// TestThreading: the ways a reply finds its conversation, and the ways it must not.
func TestThreading(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	deliver := func(from, headers string) Result {
		t.Helper()
		res, err := r.mb.Deliver(ctx, from, []byte("From: "+from+"\r\n"+strings.ReplaceAll(headers, "\n", "\r\n")+"\r\nbody\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	open := deliver("c@example.com", "Subject: card declined\nMessage-ID: <t1@c>\n")
	if !open.New {
		t.Fatalf("first mail: %+v", open)
	}
	cases := []struct {
		name, from, headers string
		joins               bool
	}{
		{"In-Reply-To unknown, References ends with a known id", "c@example.com", "Message-ID: <t2@c>\nIn-Reply-To: <lost@elsewhere>\nReferences: <x@y> <t1@c>\n", true},
		{"References truncated to the first id", "c@example.com", "Message-ID: <t3@c>\nReferences: <t1@c>\n", true},
		{"reply by id from another address (a forward)", "colleague@example.com", "Message-ID: <t4@c>\nIn-Reply-To: <t1@c>\n", true},
		{"reference only, sender in other case", "C@Example.com", "Subject: Re: card [#" + open.Ref + "]\nMessage-ID: <t5@c>\nReferences: <rewritten@mua>\n", true},
		{"reference only, from a stranger", "mallory@example.com", "Subject: [#" + open.Ref + "] let me in\nMessage-ID: <t6@c>\n", false},
		{"unknown ids and no reference", "c@example.com", "Subject: another problem\nMessage-ID: <t7@c>\nIn-Reply-To: <nope@x>\n", false},
	}
	for _, c := range cases {
		res := deliver(c.from, c.headers)
		if joined := !res.New && res.ConversationID == open.ConversationID; joined != c.joins {
			t.Errorf("%s: %+v, joins=%v", c.name, res, c.joins)
		}
	}
}
