package app_test

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/mailbox"
	"github.com/dompet/dompet/internal/notify/notifytest"
)

// TestIMAPWiring: with DOMPET_IMAP_URL the app's background loops poll the mailbox into the
// real support desk. The same mail found twice (a poll that stopped before flagging it)
// opens one conversation and is acknowledged once; both copies end \Seen.
func TestIMAPWiring(t *testing.T) {
	user := imapmemserver.NewUser("help", "pw")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem := imapmemserver.New()
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	t.Cleanup(func() { _ = srv.Close(); wg.Wait() })

	raw := strings.ReplaceAll(`From: Budi <budi@example.id>
To: help@dompet.test
Subject: =?UTF-8?B?`+"5oiR55qE6L2s6LSm5aSx6LSl5LqG"+`?=
Message-ID: <imap-1@example.id>
Content-Type: text/plain; charset=UTF-8

钱被扣了但是对方没有收到。
`, "\n", "\r\n")
	for range 2 {
		if _, err := user.Append("INBOX", bytes.NewReader([]byte(raw)), &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	relay := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	cfg := config.Default()
	cfg.SupportEmail, cfg.SMTPRelay = "help@dompet.test", relay.URL
	cfg.IMAPURL = (&url.URL{Scheme: "imap", User: url.UserPassword("help", "pw"), Host: ln.Addr().String(), Path: "/INBOX"}).String()
	cfg.IMAPInterval = 20 * time.Millisecond
	store := dbtest.Open(t)
	a, err := app.New(context.Background(), cfg, nil, app.Options{DB: store, Background: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	ack := relay.Next(t)
	if ack.To[0] != "budi@example.id" || !strings.Contains(ack.Subject, "我的转账失败了") || ack.Header.Get("In-Reply-To") != "<imap-1@example.id>" {
		t.Fatalf("acknowledgement to %v, subject %q", ack.To, ack.Subject)
	}
	// Both copies get flagged \Seen: the second one only after the desk found it a duplicate.
	deadline := time.Now().Add(10 * time.Second)
	for seen := 0; seen < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of the 2 copies flagged \\Seen", seen)
		}
		seen = countSeen(t, ln.Addr().String())
	}
	var convs, acks int
	if err := store.QueryRow(context.Background(), `SELECT COUNT(*) FROM support_email_ids WHERE message_id = ?`, "imap-1@example.id").Scan(&convs); err != nil {
		t.Fatal(err)
	}
	if err := store.QueryRow(context.Background(), `SELECT COUNT(*) FROM outbox_messages WHERE topic = ?`, mailbox.Topic).Scan(&acks); err != nil {
		t.Fatal(err)
	}
	if convs != 1 || acks != 1 {
		t.Fatalf("the mail is stored %d times and acknowledged %d times", convs, acks)
	}
}

// countSeen counts the mails of the INBOX flagged \Seen.
func countSeen(t *testing.T, addr string) int {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("help", "pw").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if slices.Contains(m.Flags, imap.FlagSeen) {
			n++
		}
	}
	return n
}
