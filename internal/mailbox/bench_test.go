package mailbox

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db/dbtest"
)

// BenchmarkInboundSMTP measures inbound SMTP throughput over loopback: 8 clients, each on one
// connection, send b.N mails in all (each a new conversation with a Chinese subject and a
// small PDF), and every one answered 250 must be in the desk, with its acknowledgement in the
// outbox (no loss). Each mail is parsed and stored in its own committed transaction before
// the 250. The desk is the in-memory test desk (the real one adds its rows to the same
// transaction); the outbox is not dispatched, so only the inbound side is measured.
//
//	go test -run '^$' -bench InboundSMTP -benchtime 3000x ./internal/mailbox/
func BenchmarkInboundSMTP(b *testing.B) {
	store := dbtest.Open(b)
	desk := newMemDesk()
	mb, err := New(store, desk, Options{Address: support, AckBurst: 1 << 30, MaxSessions: 64})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var served sync.WaitGroup
	served.Go(func() { _ = mb.Serve(ctx, ln) })
	defer func() { cancel(); served.Wait() }()

	const clients = 8
	body := "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" +
		"我的付款失败了，请帮我看看。\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=r.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		b64(pdf) + "\r\n--b--\r\n"
	subject := utf8Subject("付款失败")
	var next, ok atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			cl, err := smtp.Dial(ln.Addr().String())
			if err != nil {
				b.Error(err)
				return
			}
			defer cl.Close()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					_ = cl.Quit()
					return
				}
				from := fmt.Sprintf("c%d-%d@example.com", c, i)
				raw := "From: " + from + "\r\nTo: " + support + "\r\nSubject: " + subject + "\r\nMessage-ID: <b" + fmt.Sprint(i) + "@example.com>\r\n" + body
				if err := send(cl, from, raw); err != nil {
					b.Errorf("mail %d: %v", i, err)
					return
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(ok.Load())/elapsed.Seconds(), "msgs/s")
	if got := desk.messages(); int64(got) != ok.Load() || got != b.N {
		b.Fatalf("%d mails answered 250, %d stored, %d sent", ok.Load(), got, b.N)
	}
	var acks int
	if err := store.QueryRow(context.Background(), `SELECT COUNT(*) FROM outbox_messages WHERE topic = ?`, Topic).Scan(&acks); err != nil || acks != b.N {
		b.Fatalf("%d acknowledgements for %d mails (%v)", acks, b.N, err)
	}
}

// send mails raw on an open client connection.
func send(cl *smtp.Client, from, raw string) error {
	if err := cl.Mail(from); err != nil {
		return err
	}
	if err := cl.Rcpt(support); err != nil {
		return err
	}
	w, err := cl.Data()
	if err != nil {
		return err
	}
	if _, err := strings.NewReader(raw).WriteTo(w); err != nil {
		return err
	}
	return w.Close()
}
