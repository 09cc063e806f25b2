package mailbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// Serve runs the SMTP listener on ln until ctx ends, then closes it (sessions in the middle of
// a DATA are cut; their senders retry, and nothing they were not told 250 for was stored).
func (m *Mailbox) Serve(ctx context.Context, ln net.Listener) error {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{m: m, ctx: ctx}, nil
	}))
	srv.Domain = domainOf(m.o.Address)
	srv.MaxMessageBytes = m.o.MaxBytes // announced by SIZE; more is 552 and nothing stored
	srv.MaxRecipients = 20
	// go-smtp's ReadTimeout covers a whole command, DATA included, which would cut a big mail
	// on a slow link: the connections time each read instead (limitListener).
	srv.WriteTimeout = m.o.Timeout
	srv.ErrorLog = log.New(io.Discard, "", 0)
	lim := &limitListener{Listener: ln, max: int64(m.o.MaxSessions), idle: m.o.Timeout, life: maxSession}
	stop := context.AfterFunc(ctx, func() { _ = srv.Close() })
	defer stop()
	err := srv.Serve(lim)
	if ctx.Err() != nil || errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// ListenAndServe listens on addr (DOMPET_SMTP_LISTEN) and serves until ctx ends.
func (m *Mailbox) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	m.log.Info("smtp listener", "addr", ln.Addr().String(), "address", m.o.Address)
	return m.Serve(ctx, ln)
}

// session is one SMTP session.
type session struct {
	m    *Mailbox
	ctx  context.Context
	from string
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !sameAddress(to, s.m.o.Address) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here: only " + s.m.o.Address}
	}
	return nil
}

func (s *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return err // ErrDataTooLarge is 552; a broken connection answers nothing
	}
	// The delivery outlives a cut connection: once the DATA is in, it is stored or not as a
	// whole, and the sender's retry finds it by its Message-ID.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), time.Minute)
	defer cancel()
	_, err := s.m.Deliver(ctx, s.from, buf.Bytes())
	var ref *Refusal
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ref):
		return &smtp.SMTPError{Code: ref.Code, EnhancedCode: smtp.EnhancedCode(ref.Enhanced), Message: ref.Msg}
	default:
		s.m.log.Error("support mail not stored", "from", s.from, "err", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Not stored, please try again later"}
	}
}

func (s *session) Reset()        { s.from = "" }
func (s *session) Logout() error { return nil }

// maxSession is the longest an SMTP session may last, however busy: a 25 MiB mail at 1 Mbit/s
// takes under 4 minutes.
const maxSession = 30 * time.Minute

// limitListener answers "421 too busy" to connections beyond max at once: the sending server
// retries later, where a listener that stopped accepting would leave it hanging. Its
// connections give each read idle to arrive, and the session life in all.
type limitListener struct {
	net.Listener
	max        int64
	idle, life time.Duration
	n          atomic.Int64
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.n.Add(1) > l.max {
			l.n.Add(-1)
			go func() {
				_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
				_, _ = io.WriteString(c, "421 4.3.2 Too many connections, try again later\r\n")
				_ = c.Close()
			}()
			continue
		}
		return &countedConn{Conn: c, l: l, end: time.Now().Add(l.life)}, nil
	}
}

type countedConn struct {
	net.Conn
	l    *limitListener
	end  time.Time
	once sync.Once
}

func (c *countedConn) Read(p []byte) (int, error) {
	d := time.Now().Add(c.l.idle)
	if d.After(c.end) {
		d = c.end
	}
	if err := c.Conn.SetReadDeadline(d); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.n.Add(-1) })
	return c.Conn.Close()
}
