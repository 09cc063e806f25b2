package mailbox

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

const (
	imapUser = "help@dompet.test"
	imapPass = "s3cret/pass"
)

// imapRig is a real IMAP server (go-imap's imapserver on its in-memory backend) listening on
// loopback, with one user and an INBOX, counting the bytes it sends. Its mode is "plain",
// "tls" (implicit) or "starttls" (offered).
type imapRig struct {
	t        testing.TB
	user     *imapmemserver.User
	addr     string
	sent     atomic.Int64
	mu       sync.Mutex
	in       bytes.Buffer   // what clients sent, as it came (TLS still on)
	pool     *x509.CertPool // with TLS: trusts the server's certificate
	starttls *tls.Config
}

func newIMAPServer(t testing.TB, mode string) *imapRig {
	t.Helper()
	s := &imapRig{t: t, user: imapmemserver.NewUser(imapUser, imapPass)}
	var cert tls.Certificate
	if mode != "plain" {
		cert, s.pool = selfSignedCert(t)
	}
	var starttls *tls.Config
	if mode == "starttls" {
		starttls = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.starttls = starttls
	}
	if err := s.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem := imapmemserver.New()
	mem.AddUser(s.user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: mode == "plain", // plain IMAP on loopback, as the poller allows
		TLSConfig:    starttls,
		Logger:       discardLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	ln = &countingListener{Listener: ln, s: s}
	if mode == "tls" {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	t.Cleanup(func() { _ = srv.Close(); wg.Wait() })
	return s
}

// url is the DOMPET_IMAP_URL of the rig's INBOX with password pass.
func (s *imapRig) url(pass string) string {
	scheme := "imap"
	if s.pool != nil && s.starttls == nil {
		scheme = "imaps"
	}
	u := url.URL{Scheme: scheme, User: url.UserPassword(imapUser, pass), Host: s.addr, Path: "/INBOX"}
	return u.String()
}

// deliver puts raw (LF line ends made CRLF) into the INBOX, unseen, as the mail server would.
func (s *imapRig) deliver(raw string) {
	s.t.Helper()
	b := []byte(strings.ReplaceAll(raw, "\n", "\r\n"))
	if _, err := s.user.Append("INBOX", bytes.NewReader(b), &imap.AppendOptions{}); err != nil {
		s.t.Fatal(err)
	}
}

// flags returns every mail's flags by UID, read with a real client as a person would.
func (s *imapRig) flags() map[imap.UID][]imap.Flag {
	s.t.Helper()
	var c *imapclient.Client
	var err error
	switch {
	case s.starttls != nil:
		c, err = imapclient.DialStartTLS(s.addr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.pool}})
	case s.pool != nil:
		c, err = imapclient.DialTLS(s.addr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.pool}})
	default:
		c, err = imapclient.DialInsecure(s.addr, nil)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(imapUser, imapPass).Wait(); err != nil {
		s.t.Fatal(err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		s.t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[imap.UID][]imap.Flag{}
	for _, m := range msgs {
		out[m.UID] = m.Flags
	}
	return out
}

// wantFlags checks that mail uid is seen or not, and refused or not.
func (s *imapRig) wantFlags(uid imap.UID, seen, refused bool) {
	s.t.Helper()
	f := s.flags()[uid]
	has := func(want imap.Flag) bool { // flags are case-insensitive; the server lowercases keywords
		return slices.ContainsFunc(f, func(x imap.Flag) bool { return strings.EqualFold(string(x), string(want)) })
	}
	if has(imap.FlagSeen) != seen || has(RefusedKeyword) != refused {
		s.t.Fatalf("mail %d has flags %v, want seen %v and refused %v", uid, f, seen, refused)
	}
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

type countingListener struct {
	net.Listener
	s *imapRig
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, s: l.s}, nil
}

// countingConn counts what the server writes and keeps what it reads (before any TLS).
type countingConn struct {
	net.Conn
	s *imapRig
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.s.sent.Add(int64(n))
	return n, err
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.s.mu.Lock()
	c.s.in.Write(b[:n])
	c.s.mu.Unlock()
	return n, err
}

// heard reports whether a client sent s in clear.
func (s *imapRig) heard(x string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Contains(s.in.Bytes(), []byte(x))
}

func selfSignedCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "imap test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func (r *rig) poller(s *imapRig, pass string) *Poller {
	r.t.Helper()
	p, err := r.mb.NewPoller(PollOptions{URL: s.url(pass), Timeout: 10 * time.Second, TLS: &tls.Config{RootCAs: s.pool}})
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

func mustPoll(t testing.TB, p *Poller, want PollResult) {
	t.Helper()
	got, err := p.Poll(context.Background())
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	if got != want {
		t.Fatalf("poll did %+v, want %+v", got, want)
	}
}

// chineseMail is a new customer's mail: a GB2312-encoded Chinese subject, a UTF-8 body and a
// PDF.
func chineseMail(t testing.TB, mid string) string {
	return `Return-Path: <li.ming@example.cn>
From: =?UTF-8?B?5p2O5piO?= <li.ming@example.cn>
To: <help@dompet.test>
Subject: =?GB2312?B?` + b64(gbk(t, "我的账户被锁定了")) + `?=
Message-ID: <` + mid + `>
Date: Mon, 30 Nov 2026 18:00:00 +0800
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=UTF-8

你好，我今天无法登录我的钱包，请帮我解锁。
--b1
Content-Type: application/pdf; name="receipt.pdf"
Content-Disposition: attachment; filename="receipt.pdf"
Content-Transfer-Encoding: base64

` + b64(pdf) + `
--b1--
`
}

// TestIMAPConversation: mail fetched from a real IMAP server takes the SMTP listener's path.
// A Chinese mail with a PDF opens a conversation, is acknowledged through the outbox and the
// relay, and is flagged \Seen; a reply joins it; a threaded auto-reply is stored, an unthreaded
// one and a mail without a header are refused and flagged; a second poll finds nothing.
func TestIMAPConversation(t *testing.T) {
	r := newRig(t, nil)
	s := newIMAPServer(t, "plain")
	p := r.poller(s, imapPass)

	s.deliver(chineseMail(t, "m1@example.cn"))
	mustPoll(t, p, PollResult{Unseen: 1, Stored: 1})
	ack := r.relay.Next(t)
	convs := r.desk.snapshot()
	if len(convs) != 1 || len(convs[0].msgs) != 1 {
		t.Fatalf("%d conversations after the first mail", len(convs))
	}
	c, m := convs[0], convs[0].msgs[0]
	if m.Subject != "我的账户被锁定了" || !strings.Contains(m.Text, "无法登录我的钱包") || m.FromName != "李明" || m.MessageID != "m1@example.cn" {
		t.Fatalf("first mail stored as %+v", m.Inbound)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "application/pdf" || !bytes.Equal(m.Attachments[0].Content, pdf) {
		t.Fatalf("attachment %+v", m.Attachments)
	}
	if ack.To[0] != "li.ming@example.cn" || !strings.Contains(ack.Subject, "[#"+c.ref+"]") || ack.Header.Get("In-Reply-To") != "<m1@example.cn>" {
		t.Fatalf("acknowledgement to %v, subject %q, In-Reply-To %q", ack.To, ack.Subject, ack.Header.Get("In-Reply-To"))
	}
	s.wantFlags(1, true, false)

	s.deliver(`From: li.ming@example.cn
To: help@dompet.test
Subject: ` + utf8Subject("回复: 我的账户") + `
Message-ID: <m2@example.cn>
In-Reply-To: ` + ack.Header.Get("Message-Id") + `
Content-Type: text/plain; charset=UTF-8

我附上了截图。
`)
	s.deliver(`From: li.ming@example.cn
To: help@dompet.test
Subject: Automatic reply: out of office
Message-ID: <auto1@example.cn>
In-Reply-To: <m1@example.cn>
Auto-Submitted: auto-replied

I am away until Monday.
`)
	s.deliver(`Return-Path: <stranger@example.org>
From: stranger@example.org
To: help@dompet.test
Subject: Out of office
Message-ID: <auto2@example.org>
Auto-Submitted: auto-replied

Away.
`)
	s.deliver("this line is no header\n\nnor is this\n")
	mustPoll(t, p, PollResult{Unseen: 4, Stored: 2, Refused: 2})
	convs = r.desk.snapshot()
	if len(convs) != 1 || len(convs[0].msgs) != 3 || convs[0].msgs[1].MessageID != "m2@example.cn" || convs[0].msgs[2].Automatic == "" {
		t.Fatalf("after the replies: %d conversations, the first %+v", len(convs), convs[0].msgs)
	}
	if n := r.outboxed(); n != 1 {
		t.Fatalf("%d support mails in the outbox, want only the one acknowledgement", n)
	}
	s.wantFlags(2, true, false)
	s.wantFlags(3, true, false)
	s.wantFlags(4, true, true)
	s.wantFlags(5, true, true)
	mustPoll(t, p, PollResult{})
}

// TestIMAPCrashBeforeSeen: a poll that stored a mail and died before flagging it leaves it
// unseen; the next poll delivers it again, the desk knows its Message-ID, and nothing is stored
// or acknowledged twice. A mail without a Message-ID dedupes by its bytes the same way.
func TestIMAPCrashBeforeSeen(t *testing.T) {
	for _, mid := range []string{"crash@example.cn", ""} {
		t.Run("message-id "+mid, func(t *testing.T) {
			r := newRig(t, nil)
			s := newIMAPServer(t, "plain")
			p := r.poller(s, imapPass)
			raw := chineseMail(t, mid)
			if mid == "" {
				raw = strings.Replace(raw, "Message-ID: <>\n", "", 1)
			}
			s.deliver(raw)
			crash := errors.New("killed before flagging")
			p.beforeSeen = func(imap.UID) error { return crash }
			if _, err := p.Poll(context.Background()); !errors.Is(err, crash) {
				t.Fatalf("poll: %v, want the crash", err)
			}
			if r.desk.messages() != 1 {
				t.Fatalf("%d messages stored by the crashed poll", r.desk.messages())
			}
			s.wantFlags(1, false, false)

			p.beforeSeen = nil
			mustPoll(t, p, PollResult{Unseen: 1, Duplicates: 1})
			if len(r.desk.snapshot()) != 1 || r.desk.messages() != 1 || r.outboxed() != 1 {
				t.Fatalf("after the second delivery: %d conversations, %d messages, %d acknowledgements", len(r.desk.snapshot()), r.desk.messages(), r.outboxed())
			}
			s.wantFlags(1, true, false)
		})
	}
}

// TestIMAPTooBig: a 30 MB mail is refused on its RFC822.SIZE, its body never sent, and
// flagged; the small mail after it is still stored.
func TestIMAPTooBig(t *testing.T) {
	r := newRig(t, nil)
	s := newIMAPServer(t, "plain")
	p := r.poller(s, imapPass)
	big := "From: li.ming@example.cn\nTo: help@dompet.test\nSubject: huge\nMessage-ID: <big@example.cn>\n\n" +
		strings.Repeat(strings.Repeat("x", 998)+"\n", 30<<10)
	s.deliver(big)
	s.deliver(chineseMail(t, "small@example.cn"))
	before := s.sent.Load()
	mustPoll(t, p, PollResult{Unseen: 2, Stored: 1, Refused: 1})
	if sent := s.sent.Load() - before; sent > 1<<20 {
		t.Fatalf("the server sent %d bytes: the big body was downloaded", sent)
	}
	s.wantFlags(1, true, true)
	s.wantFlags(2, true, false)
	if c := r.desk.snapshot(); len(c) != 1 || c[0].msgs[0].MessageID != "small@example.cn" {
		t.Fatalf("stored %+v", c)
	}
}

// TestIMAPFailures: a wrong password is ErrIMAPLogin and stores nothing; a database outage
// leaves the mail unseen for the next poll, which stores it.
func TestIMAPFailures(t *testing.T) {
	r := newRig(t, nil)
	s := newIMAPServer(t, "plain")
	s.deliver(chineseMail(t, "m1@example.cn"))

	_, err := r.poller(s, "wrong").Poll(context.Background())
	if !errors.Is(err, ErrIMAPLogin) || strings.Contains(err.Error(), imapPass) {
		t.Fatalf("poll with a wrong password: %v", err)
	}
	if r.desk.messages() != 0 {
		t.Fatal("stored with a wrong password")
	}

	p := r.poller(s, imapPass)
	r.desk.mu.Lock()
	r.desk.fail = errors.New("database down")
	r.desk.mu.Unlock()
	if _, err := p.Poll(context.Background()); err == nil || !strings.Contains(err.Error(), "database down") {
		t.Fatalf("poll with the database down: %v", err)
	}
	s.wantFlags(1, false, false)
	r.desk.mu.Lock()
	r.desk.fail = nil
	r.desk.mu.Unlock()
	mustPoll(t, p, PollResult{Unseen: 1, Stored: 1})
	s.wantFlags(1, true, false)
}

// TestIMAPRun: the poller's loop over implicit TLS stores and acknowledges what arrives, and
// stops with its context; with a wrong password it says so in the log and keeps running.
func TestIMAPRun(t *testing.T) {
	logs := &recorder{ch: make(chan string, 100)}
	r := newRig(t, func(o *Options) { o.Log = slog.New(logs) })
	s := newIMAPServer(t, "tls")
	s.deliver(chineseMail(t, "m1@example.cn"))
	run := func(p *Poller) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { p.Run(ctx); close(done) }()
		return func() { cancel(); <-done }
	}

	bad := r.poller(s, "wrong")
	bad.o.Interval = time.Millisecond // failures back off from here
	stop := run(bad)
	logs.await(t, "imap login refused: check the user and password of DOMPET_IMAP_URL")
	logs.await(t, "imap login refused: check the user and password of DOMPET_IMAP_URL")
	stop()
	if r.desk.messages() != 0 {
		t.Fatal("stored with a wrong password")
	}

	stop = run(r.poller(s, imapPass))
	defer stop()
	ack := r.relay.Next(t)
	if ack.Header.Get("In-Reply-To") != "<m1@example.cn>" {
		t.Fatalf("acknowledgement %+v", ack.Header)
	}
	stop()
	s.wantFlags(1, true, false)
}

// recorder is a slog handler passing each record's message on.
type recorder struct{ ch chan string }

func (h *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *recorder) Handle(_ context.Context, rec slog.Record) error {
	select {
	case h.ch <- rec.Message:
	default:
	}
	return nil
}
func (h *recorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recorder) WithGroup(string) slog.Handler      { return h }

func (h *recorder) await(t testing.TB, msg string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case got := <-h.ch:
			if got == msg {
				return
			}
		case <-deadline:
			t.Fatalf("no log %q", msg)
		}
	}
}

// TestIMAPStartTLS: off loopback, imap:// upgrades with STARTTLS, and a server that does not
// offer it is never sent the password. (The rigs are on loopback: the poller is told it is
// not, as it would be for a remote host.)
func TestIMAPStartTLS(t *testing.T) {
	r := newRig(t, nil)
	s := newIMAPServer(t, "starttls")
	s.deliver(chineseMail(t, "m1@example.cn"))
	p := r.poller(s, imapPass)
	p.plain = false
	mustPoll(t, p, PollResult{Unseen: 1, Stored: 1})
	s.wantFlags(1, true, false)

	clear := newIMAPServer(t, "plain")
	clear.deliver(chineseMail(t, "m2@example.cn"))
	p = r.poller(clear, imapPass)
	p.plain = false
	if _, err := p.Poll(context.Background()); err == nil || !strings.Contains(err.Error(), "starttls") {
		t.Fatalf("poll of a server without STARTTLS: %v", err)
	}
	if r.desk.messages() != 1 || clear.heard(imapUser) {
		t.Fatalf("a server without STARTTLS was used: %d messages stored, login sent %v", r.desk.messages(), clear.heard(imapUser))
	}
	if s.heard(imapUser) || !clear.heard("STARTTLS") {
		t.Fatal("the login crossed in clear, or STARTTLS was never asked")
	}
}

// TestPollerURL: which connection a DOMPET_IMAP_URL makes.
func TestPollerURL(t *testing.T) {
	mb, err := New(nil, newMemDesk(), Options{Address: support})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url, addr, user, pass, mailbox string
		tls, plain                     bool
		err                            bool
	}{
		{url: "imaps://u%40x.cn:p%2Fw@mail.example.com/INBOX", addr: "mail.example.com:993", user: "u@x.cn", pass: "p/w", mailbox: "INBOX", tls: true},
		{url: "imaps://u:p@mail.example.com:1993", addr: "mail.example.com:1993", user: "u", pass: "p", mailbox: "INBOX", tls: true},
		{url: "imap://u:p@mail.example.com/Support/Inbound", addr: "mail.example.com:143", user: "u", pass: "p", mailbox: "Support/Inbound"},
		{url: "imap://u:p@127.0.0.1:1143/INBOX", addr: "127.0.0.1:1143", user: "u", pass: "p", mailbox: "INBOX", plain: true},
		{url: "imap://u:p@localhost/INBOX", addr: "localhost:143", user: "u", pass: "p", mailbox: "INBOX", plain: true},
		{url: "imap://u:p@[::1]/INBOX", addr: "[::1]:143", user: "u", pass: "p", mailbox: "INBOX", plain: true},
		{url: "pop3://u:p@mail.example.com", err: true},
		{url: "imaps://mail.example.com/INBOX", err: true},
		{url: "imaps://u:p@/INBOX", err: true},
	} {
		p, err := mb.NewPoller(PollOptions{URL: tc.url})
		if tc.err {
			if err == nil {
				t.Errorf("%s: accepted", tc.url)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		got := fmt.Sprint(p.addr, p.user, p.pass, p.mailbox, p.tls, p.plain)
		if want := fmt.Sprint(tc.addr, tc.user, tc.pass, tc.mailbox, tc.tls, tc.plain); got != want {
			t.Errorf("%s: %s, want %s", tc.url, got, want)
		}
	}
}

func TestEnvelopeSender(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"Return-Path: <a@x.cn>\r\nFrom: b@y.cn\r\n\r\nhi", "a@x.cn"},
		{"Return-Path: <>\r\nFrom: b@y.cn\r\n\r\nhi", ""},
		{"From: B <b@y.cn>\n\nhi", "b@y.cn"},
		{"no header at all", ""},
	} {
		if got := envelopeSender([]byte(tc.raw)); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.raw, got, tc.want)
		}
	}
}
