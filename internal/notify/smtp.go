package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/dompet/dompet/internal/id"
)

// SMTP sends email through a relay (DOMPET_SMTP_RELAY). smtp://host:port speaks plain SMTP and
// upgrades with STARTTLS when the relay offers it; smtps://host:port is TLS from the first
// byte. Credentials go in the URL's user info (smtp://user:pass@host:587) and are sent with
// AUTH PLAIN or LOGIN, and only over TLS unless the relay is on localhost. Each message is
// UTF-8 text (quoted-printable, with an RFC 2047 subject), has a Date and a Message-ID, and is
// marked Auto-Submitted: auto-generated so that auto-responders do not answer it. Temporary
// failures (network, 4xx replies) are retried; 5xx replies are final.
type SMTP struct {
	Relay    string           // smtp://[user:pass@]host[:port] (port 25) or smtps://… (port 465)
	From     string           // bare sender address, DOMPET_SUPPORT_EMAIL
	FromName string           // display name; "": "Dompet"
	TLS      *tls.Config      // nil: system roots, checked against the relay's host name (tests pass their CA)
	Timeout  time.Duration    // per try, connecting to QUIT; zero: 15 s
	Retry    Retry            // zero: 4 tries, 0.5 s then 1 s then 2 s apart
	Log      *slog.Logger     // nil: slog.Default()
	Now      func() time.Time // the Date header; nil: time.Now
}

// relay is DOMPET_SMTP_RELAY taken apart.
type relay struct {
	host       string
	port       int
	implicit   bool // smtps://
	user, pass string
	auth       bool
}

// Validate checks the relay URL and the sender address, so that a bad configuration fails at
// start rather than at the first recovery code.
func (s *SMTP) Validate() error {
	if _, err := parseRelay(s.Relay); err != nil {
		return err
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return fmt.Errorf("smtp sender %q: %w", s.From, err)
	}
	return nil
}

func parseRelay(raw string) (relay, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return relay{}, fmt.Errorf("smtp relay: %w", err)
	}
	r := relay{host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		r.port = 25
	case "smtps":
		r.port, r.implicit = 465, true
	default:
		return relay{}, fmt.Errorf("smtp relay: scheme %q, want smtp or smtps", u.Scheme)
	}
	if r.host == "" {
		return relay{}, errors.New("smtp relay: no host")
	}
	if p := u.Port(); p != "" {
		if r.port, err = strconv.Atoi(p); err != nil || r.port < 1 || r.port > 65535 {
			return relay{}, fmt.Errorf("smtp relay: bad port %q", p)
		}
	}
	if u.User != nil {
		r.user = u.User.Username()
		r.pass, _ = u.User.Password()
		r.auth = true
	}
	return r, nil
}

// Send implements Sender for email messages.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if m.Channel != Email {
		return fmt.Errorf("smtp: cannot send a %q message", m.Channel)
	}
	r, err := parseRelay(s.Relay)
	if err != nil {
		return err
	}
	msg, err := s.message(m)
	if err != nil {
		return err
	}
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	// One Msg for every try: the same Message-ID lets the relay or the reader spot a duplicate.
	return s.Retry.do(ctx, log, "smtp relay "+r.host, m, func(ctx context.Context) error {
		c, err := s.client(r)
		if err != nil {
			return permanent{err}
		}
		err = c.DialAndSendWithContext(ctx, msg)
		var se *gomail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
			return permanent{err}
		}
		return err
	})
}

// message builds the MIME message of m.
func (s *SMTP) message(m Message) (*gomail.Msg, error) {
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return nil, permanent{fmt.Errorf("smtp sender %q: %w", s.From, err)}
	}
	name := s.FromName
	if name == "" {
		name = "Dompet"
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	if err := msg.FromFormat(name, from.Address); err != nil {
		return nil, permanent{fmt.Errorf("smtp sender: %w", err)}
	}
	if err := msg.To(m.To); err != nil {
		return nil, permanent{fmt.Errorf("smtp recipient %s: %w", Mask(m.To), err)}
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now())
	mid := m.ID
	if mid == "" {
		mid = strings.TrimPrefix(id.New("ntf"), "ntf_")
	}
	// Stable for a message of the outbox: a repeated delivery has the same Message-ID.
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageIDWithValue(mid + "@" + domainOf(from.Address))
	}
	if m.InReplyTo != "" {
		msg.SetGenHeader("In-Reply-To", "<"+m.InReplyTo+">")
	}
	if refs := strings.Fields(m.References); len(refs) > 0 {
		// One id per folded line: a long thread must not make a line over 998 octets.
		msg.SetGenHeaderPreformatted("References", "<"+strings.Join(refs, ">\r\n <")+">")
	}
	// RFC 3834: an automatic message; Microsoft servers read the second header instead.
	switch auto := m.AutoSubmitted; auto {
	case "no":
	default:
		if auto == "" {
			auto = "auto-generated"
		}
		msg.SetGenHeader("Auto-Submitted", auto)
		msg.SetGenHeader("X-Auto-Response-Suppress", "All")
	}
	msg.SetUserAgent("Dompet")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	return msg, nil
}

// client is a go-mail client for one try.
func (s *SMTP) client(r relay) (*gomail.Client, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLS != nil {
		tc = s.TLS.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = r.host
	}
	opts := []gomail.Option{gomail.WithPort(r.port), gomail.WithTimeout(timeout), gomail.WithTLSConfig(tc)}
	if r.implicit {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if r.auth {
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(r.user), gomail.WithPassword(r.pass))
	}
	return gomail.NewClient(r.host, opts...)
}

// domainOf is the part of an address after the @, for Message-IDs.
func domainOf(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 && at < len(addr)-1 {
		return addr[at+1:]
	}
	return "dompet.localhost"
}
