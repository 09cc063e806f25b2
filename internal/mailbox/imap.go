package mailbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// RefusedKeyword flags, beside \Seen, a mail the poller refused for good (malformed, too big,
// or automatic and answering no conversation), so that it is not fetched again and a person
// looking at the mailbox can find it.
const RefusedKeyword imap.Flag = "$DompetRefused"

// ErrIMAPLogin is a login the IMAP server refused: a wrong user or password in
// DOMPET_IMAP_URL, which no retry will fix by itself.
var ErrIMAPLogin = errors.New("imap login refused")

// PollOptions configure an IMAP poller.
type PollOptions struct {
	// URL is DOMPET_IMAP_URL: imaps://user:pass@host[:993]/MAILBOX (implicit TLS), or
	// imap://user:pass@host[:143]/MAILBOX, which upgrades with STARTTLS and fails without it,
	// except on a loopback host where it stays plain. The mailbox defaults to INBOX.
	URL      string
	Interval time.Duration // between polls; default 1 min
	// MaxBackoff bounds the wait after failed polls (the interval doubled per failure);
	// default 15 min.
	MaxBackoff time.Duration
	Timeout    time.Duration // per network read or write; default the mailbox's Timeout
	TLS        *tls.Config   // nil: the system's roots; tests trust their own certificate
}

// Poller fetches the unseen mail of an IMAP mailbox and delivers it through Mailbox.Deliver,
// the path of the SMTP listener.
type Poller struct {
	m       *Mailbox
	o       PollOptions
	tls     bool // implicit TLS (imaps)
	plain   bool // imap:// on a loopback host: no TLS at all
	addr    string
	user    string
	pass    string
	mailbox string
	log     *slog.Logger
	// beforeSeen runs after a mail is stored and before it is flagged \Seen; an error stops
	// the poll there. Tests use it to play a crash between the two.
	beforeSeen func(uid imap.UID) error
}

// PollResult is what one poll did, for logs and tests.
type PollResult struct {
	Unseen     int // unseen mails found
	Stored     int // stored by the desk
	Duplicates int // already stored (a poll that stopped before flagging them)
	Refused    int // refused for good and flagged RefusedKeyword
}

// NewPoller returns a poller of the mailbox o.URL names, delivering into m.
func (m *Mailbox) NewPoller(o PollOptions) (*Poller, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, fmt.Errorf("imap url: %w", redactURLError(err))
	}
	p := &Poller{m: m, o: o, log: m.log.With("imap", u.Host)}
	switch u.Scheme {
	case "imaps":
		p.tls, p.addr = true, hostPortDefault(u.Host, "993")
	case "imap":
		p.addr = hostPortDefault(u.Host, "143")
		p.plain = isLoopback(u.Hostname())
	default:
		return nil, fmt.Errorf("imap url: scheme %q is not imap or imaps", u.Scheme)
	}
	if u.Hostname() == "" || u.User == nil || u.User.Username() == "" {
		return nil, fmt.Errorf("imap url: want imap(s)://user:password@host/mailbox")
	}
	p.user = u.User.Username()
	p.pass, _ = u.User.Password()
	p.mailbox = strings.Trim(u.Path, "/")
	if p.mailbox == "" {
		p.mailbox = "INBOX"
	}
	if p.o.Interval <= 0 {
		p.o.Interval = time.Minute
	}
	if p.o.MaxBackoff <= 0 {
		p.o.MaxBackoff = 15 * time.Minute
	}
	if p.o.Timeout <= 0 {
		p.o.Timeout = m.o.Timeout
	}
	return p, nil
}

// Run polls every Interval until ctx ends. A failed poll is logged and the next one waits
// twice as long as the last, up to MaxBackoff; a good poll brings the interval back.
func (p *Poller) Run(ctx context.Context) {
	p.log.Info("imap polling", "mailbox", p.mailbox, "user", p.user, "interval", p.o.Interval.String())
	wait := p.o.Interval
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := p.Poll(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			wait = min(2*wait, p.o.MaxBackoff)
			msg := "imap poll failed"
			if errors.Is(err, ErrIMAPLogin) {
				msg = "imap login refused: check the user and password of DOMPET_IMAP_URL"
			}
			p.log.Error(msg, "err", err, "retry_in", wait.String())
		default:
			wait = p.o.Interval
		}
		t.Reset(wait)
	}
}

// Poll logs in, stores every unseen mail of the mailbox through Deliver, and flags each \Seen
// once it is stored (a crash in between fetches it again: the desk then finds its Message-ID
// and stores nothing). A mail refused for good is flagged \Seen and RefusedKeyword. A
// temporary failure (the database is down) ends the poll with the mail still unseen.
//
// Unseen is the whole state: no last UID is remembered, so a new UIDVALIDITY needs no
// handling; the price is that the mailbox must be Dompet's alone (a person reading it in
// another client marks mail seen before Dompet fetches it).
func (p *Poller) Poll(ctx context.Context) (PollResult, error) {
	var res PollResult
	c, err := p.dial(ctx)
	if err != nil {
		return res, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.Close() }) // the client takes no context
	defer stop()
	if err := c.Login(p.user, p.pass).Wait(); err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) {
			return res, fmt.Errorf("%w: as %q: %s", ErrIMAPLogin, p.user, ie.Text)
		}
		return res, fmt.Errorf("imap login: %w", err)
	}
	defer func() {
		if ctx.Err() == nil {
			_ = c.Logout().Wait()
		}
	}()
	if _, err := c.Select(p.mailbox, nil).Wait(); err != nil {
		return res, fmt.Errorf("imap select %q: %w", p.mailbox, err)
	}
	sd, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return res, fmt.Errorf("imap search unseen: %w", err)
	}
	uids := searchUIDs(sd)
	res.Unseen = len(uids)
	if len(uids) == 0 {
		return res, nil
	}
	sizes, err := p.sizes(c, uids)
	if err != nil {
		return res, err
	}
	for _, uid := range uids {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		size, ok := sizes[uid]
		if !ok {
			continue // expunged meanwhile
		}
		if err := p.one(ctx, c, uid, size, &res); err != nil {
			return res, err
		}
	}
	p.log.Info("imap poll", "unseen", res.Unseen, "stored", res.Stored, "duplicates", res.Duplicates, "refused", res.Refused)
	return res, nil
}

// one delivers the mail uid of size bytes and flags it.
func (p *Poller) one(ctx context.Context, c *imapclient.Client, uid imap.UID, size int64, res *PollResult) error {
	if size > p.m.o.MaxBytes { // refused on its announced size: the body is never downloaded
		res.Refused++
		return p.refuse(c, uid, fmt.Sprintf("too big: %d bytes, the limit is %d", size, p.m.o.MaxBytes))
	}
	raw, err := p.body(c, uid)
	if errors.Is(err, errTooBig) {
		res.Refused++
		return p.refuse(c, uid, fmt.Sprintf("too big: more than %d bytes, though announced as %d", p.m.o.MaxBytes, size))
	}
	if errors.Is(err, errGone) {
		return nil // expunged since the search: nothing to store or flag
	}
	if err != nil {
		return err
	}
	r, err := p.m.Deliver(ctx, envelopeSender(raw), raw)
	var ref *Refusal
	switch {
	case errors.As(err, &ref):
		res.Refused++
		return p.refuse(c, uid, ref.Msg)
	case err != nil:
		return fmt.Errorf("imap uid %d: %w", uid, err) // left unseen for the next poll
	case r.Dropped != "":
		res.Refused++
		return p.refuse(c, uid, r.Dropped)
	case r.Duplicate:
		res.Duplicates++
	default:
		res.Stored++
	}
	if p.beforeSeen != nil {
		if err := p.beforeSeen(uid); err != nil {
			return err
		}
	}
	return p.flag(c, uid, imap.FlagSeen)
}

// sizes fetches the RFC822.SIZE of the mails uids.
func (p *Poller) sizes(c *imapclient.Client, uids []imap.UID) (map[imap.UID]int64, error) {
	msgs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("imap fetch sizes: %w", err)
	}
	sizes := make(map[imap.UID]int64, len(msgs))
	for _, m := range msgs {
		sizes[m.UID] = m.RFC822Size
	}
	return sizes, nil
}

var (
	errTooBig = errors.New("mail too big")
	errGone   = errors.New("mail gone")
)

// body fetches the whole mail uid with BODY.PEEK[], which leaves it unseen, reading at most
// the size limit (a server may announce a size smaller than it sends).
func (p *Poller) body(c *imapclient.Client, uid imap.UID) ([]byte, error) {
	cmd := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	defer cmd.Close()
	var raw []byte
	var found, tooBig bool
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			b, ok := item.(imapclient.FetchItemDataBodySection)
			if !ok || b.Literal == nil || found {
				continue
			}
			buf, err := io.ReadAll(io.LimitReader(b.Literal, p.m.o.MaxBytes+1))
			if err != nil {
				return nil, fmt.Errorf("imap fetch uid %d: %w", uid, err)
			}
			found, tooBig, raw = true, int64(len(buf)) > p.m.o.MaxBytes, buf
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("imap fetch uid %d: %w", uid, err)
	}
	switch {
	case tooBig:
		return nil, errTooBig
	case !found:
		return nil, errGone
	}
	return raw, nil
}

// refuse flags uid \Seen and RefusedKeyword and logs why.
func (p *Poller) refuse(c *imapclient.Client, uid imap.UID, why string) error {
	p.log.Warn("imap mail refused", "uid", uint32(uid), "mailbox", p.mailbox, "reason", why)
	err := p.flag(c, uid, imap.FlagSeen, RefusedKeyword)
	var ie *imap.Error
	if errors.As(err, &ie) { // a server without keywords: \Seen alone keeps it from coming back
		return p.flag(c, uid, imap.FlagSeen)
	}
	return err
}

func (p *Poller) flag(c *imapclient.Client, uid imap.UID, flags ...imap.Flag) error {
	err := c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}, nil).Close()
	if err != nil {
		return fmt.Errorf("imap flag uid %d %v: %w", uid, flags, err)
	}
	return nil
}

// dial connects and, but for a plain loopback connection, secures the connection.
func (p *Poller) dial(ctx context.Context) (*imapclient.Client, error) {
	d := net.Dialer{Timeout: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, fmt.Errorf("imap dial: %w", err)
	}
	conn := net.Conn(&timedConn{Conn: nc, timeout: p.o.Timeout})
	host, _, _ := net.SplitHostPort(p.addr)
	cfg := &tls.Config{}
	if p.o.TLS != nil {
		cfg = p.o.TLS.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	opts := &imapclient.Options{TLSConfig: cfg}
	switch {
	case p.tls:
		cfg.NextProtos = []string{"imap"}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("imap tls: %w", err)
		}
		return imapclient.New(tc, opts), nil
	case p.plain:
		return imapclient.New(conn, opts), nil
	default:
		c, err := imapclient.NewStartTLS(conn, opts) // fails when the server offers no STARTTLS
		if err != nil {
			return nil, fmt.Errorf("imap starttls: %w", err)
		}
		return c, nil
	}
}

// timedConn gives each read and write the timeout: a server that stops answering ends the
// poll instead of hanging it.
type timedConn struct {
	net.Conn
	timeout time.Duration
}

func (c *timedConn) Read(b []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *timedConn) Write(b []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

// searchUIDs are the UIDs a UID SEARCH found, ascending (oldest mail first). A dynamic set
// ("*") would be a server bug: it yields nothing rather than the library's panic.
func searchUIDs(sd *imap.SearchData) []imap.UID {
	set, ok := sd.All.(imap.UIDSet)
	if !ok {
		return nil
	}
	uids, ok := set.Nums()
	if !ok {
		return nil
	}
	slices.Sort(uids)
	return slices.Compact(uids)
}

// envelopeSender is what SMTP's MAIL FROM would have been: the Return-Path the delivering
// server wrote ("" for "<>", a bounce), else the From address (a mailbox without Return-Path
// headers must not make every mail look like a bounce). "" when neither can be read; Deliver
// then refuses a mail without From.
func envelopeSender(raw []byte) string {
	head := raw
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		head = raw[:i+4]
	} else if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		head = raw[:i+2]
	}
	msg, err := mail.ReadMessage(bytes.NewReader(head))
	if err != nil {
		return ""
	}
	if rp, ok := msg.Header["Return-Path"]; ok && len(rp) > 0 {
		v := strings.TrimSpace(rp[0])
		if v == "<>" || v == "" {
			return ""
		}
		if a, err := mail.ParseAddress(v); err == nil {
			return a.Address
		}
		return strings.Trim(v, "<>")
	}
	if a, err := mail.ParseAddress(msg.Header.Get("From")); err == nil {
		return a.Address
	}
	return ""
}

func hostPortDefault(host, port string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), port)
}

// isLoopback reports whether host is localhost or a loopback address, where plain IMAP
// never leaves the machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactURLError keeps the password of a URL that failed to parse out of the error.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
