package mailbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/mail"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
)

// ErrMalformed is a mail whose header cannot be read at all: it is refused (554 5.6.0) before
// anything is stored. A readable header with a broken body is accepted and stored best-effort
// (see Mail.Problems), never refused.
var ErrMalformed = errors.New("malformed message")

// MaxAttachment is the largest attachment whose bytes are kept, as for the API's uploads.
const MaxAttachment = 10 << 20

// maxText bounds the text kept of one mail; the rest is cut and noted.
const maxText = 256 << 10

// Mail is an inbound message taken apart.
type Mail struct {
	MessageID   string   // without <>; "" when the mail has none
	InReplyTo   []string // without <>
	References  []string // without <>, oldest first, as the mail gives them
	From        string   // the author's address (From header)
	FromName    string   // the author's display name, decoded
	Subject     string   // decoded to UTF-8
	Text        string   // the body as UTF-8 text: the text/plain part, else the HTML made text
	Lang        string   // "zh-CN" or "en" when the mail says or shows it; "" unknown
	Attachments []Attachment
	// Automatic says why the header marks the mail as automatic (an auto-reply, a bounce, a
	// list); "" for a mail a person wrote. The envelope sender is judged by Deliver.
	Automatic string
	// Problems lists what could not be decoded exactly (an unknown charset, a broken part):
	// the text is then a best effort and the desk should keep the raw mail.
	Problems []string
}

// Attachment is a file that came with a mail. Images and PDFs (sniffed, agreeing with the
// declared type, at most MaxAttachment) keep their bytes; anything else is kept as metadata
// only (name, declared type, size, and why), so the agent knows it was sent and can ask for
// it another way, and no executable or HTML ever reaches the console.
type Attachment struct {
	Filename    string
	ContentType string // the sniffed type when kept, else the declared one
	Size        int64
	Content     []byte // nil when not kept
	Refused     string // why the bytes were not kept; "" when kept
}

// allowed is the API's attachment allow-list (wallet.attachmentTypes): images and PDF.
var allowed = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/heic": true,
	"application/pdf": true,
}

var parser = enmime.NewParser(enmime.MaxStoredPartErrors(20))

// Parse takes a raw RFC 5322 message apart with enmime: headers decoded (RFC 2047 in any
// charset enmime knows, GB2312/GBK/GB18030 included), the text part or the HTML made text,
// attachments type-checked. It never panics and only fails (ErrMalformed) when there is no
// readable header; everything it returns is valid UTF-8.
func Parse(raw []byte) (m Mail, err error) {
	defer func() {
		// A parser bug must not lose a mail: the caller stores it raw instead.
		if r := recover(); r != nil {
			m, err = fallback(raw, fmt.Sprintf("parser failed: %v", r))
		}
	}()
	if len(bytes.TrimSpace(raw)) == 0 {
		return Mail{}, fmt.Errorf("%w: empty", ErrMalformed)
	}
	if !hasHeader(raw) {
		return Mail{}, fmt.Errorf("%w: no header", ErrMalformed)
	}
	env, err := parser.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		// The header was readable but the body structure was not: keep it as text.
		return fallback(raw, "body not parsed: "+err.Error())
	}
	m = headerOf(env.GetHeader, env.GetHeaderValues)
	for _, e := range env.Errors {
		if e.Severe || e.Name == enmime.ErrorCharsetConversion || e.Name == enmime.ErrorCharsetDeclaration {
			m.Problems = append(m.Problems, clean(e.Error()))
		}
	}
	m.Text = env.Text
	if strings.TrimSpace(m.Text) == "" && env.HTML == "" && len(env.Attachments)+len(env.Inlines) == 0 {
		if body := bodyOf(raw); strings.TrimSpace(body) != "" && env.Root != nil && strings.HasPrefix(env.Root.ContentType, "multipart/") {
			// A multipart mail whose parts yielded nothing: better the raw text than nothing.
			m.Text = body
			m.Problems = append(m.Problems, "no readable part; the raw body is kept as text")
		}
	}
	m.Text = limitText(clean(m.Text), &m.Problems)
	for _, p := range append(append(append([]*enmime.Part(nil), env.Attachments...), env.Inlines...), env.OtherParts...) {
		if strings.HasPrefix(p.ContentType, "text/") && p.FileName == "" {
			continue // an alternative body, not a file
		}
		m.Attachments = append(m.Attachments, attachment(p))
	}
	if m.Lang == "" && hasHan(m.Subject+" "+firstRunes(m.Text, 2000)) {
		m.Lang = "zh-CN"
	}
	if ct := strings.ToLower(env.GetHeader("Content-Type")); strings.HasPrefix(ct, "multipart/report") {
		m.Automatic = orElse(m.Automatic, "delivery report (multipart/report)")
	}
	return m, nil
}

// headerOf reads what Dompet uses from the header.
func headerOf(get func(string) string, values func(string) []string) Mail {
	var m Mail
	m.MessageID = first(msgIDs(get("Message-Id")))
	m.InReplyTo = msgIDs(get("In-Reply-To"))
	m.References = msgIDs(strings.Join(values("References"), " "))
	m.Subject = clean(collapse(get("Subject")))
	if a, err := mail.ParseAddress(get("From")); err == nil {
		m.From, m.FromName = clean(a.Address), clean(a.Name)
	} else if addrs, err := mail.ParseAddressList(get("From")); err == nil && len(addrs) > 0 {
		m.From, m.FromName = clean(addrs[0].Address), clean(addrs[0].Name)
	}
	if l := strings.ToLower(get("Content-Language")); strings.HasPrefix(l, "zh") {
		m.Lang = "zh-CN"
	} else if strings.HasPrefix(l, "en") {
		m.Lang = "en"
	}
	m.Automatic = automatic(get, values)
	return m
}

// automatic says why a header marks its mail as sent by a machine, "" if it does not (RFC
// 3834, and the older conventions auto-responders still use).
func automatic(get func(string) string, values func(string) []string) string {
	if v := strings.ToLower(token(get("Auto-Submitted"))); v != "" && v != "no" {
		return "Auto-Submitted: " + v
	}
	switch v := strings.ToLower(token(get("Precedence"))); v {
	case "bulk", "junk", "list", "auto_reply":
		return "Precedence: " + v
	}
	for _, h := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder"} {
		if len(values(h)) > 0 {
			return h
		}
	}
	switch v := strings.ToLower(token(get("X-Auto-Response-Suppress"))); v {
	case "all", "oof", "autoreply":
		return "X-Auto-Response-Suppress: " + v // set by Exchange on its own automatic mail
	}
	if get("List-Id") != "" || get("List-Unsubscribe") != "" {
		return "mailing list"
	}
	if a, err := mail.ParseAddress(get("From")); err == nil {
		local, _, _ := strings.Cut(strings.ToLower(a.Address), "@")
		if local == "mailer-daemon" || local == "postmaster" {
			return "bounce from " + local
		}
	}
	return ""
}

// fallback is a mail whose body could not be parsed: the header as far as net/mail reads it,
// the body as raw text.
func fallback(raw []byte, problem string) (Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Mail{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	dec := mime.WordDecoder{}
	get := func(k string) string {
		v := msg.Header.Get(k)
		if d, err := dec.DecodeHeader(v); err == nil {
			return d
		}
		return v
	}
	values := func(k string) []string { return msg.Header[http.CanonicalHeaderKey(k)] }
	m := headerOf(get, values)
	m.Problems = []string{clean(problem)}
	m.Text = limitText(clean(bodyOf(raw)), &m.Problems)
	return m, nil
}

// hasHeader reports whether raw starts with at least one header field ("Name: value").
func hasHeader(raw []byte) bool {
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	name, _, ok := bytes.Cut(line, []byte(":"))
	if !ok || len(name) == 0 {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// bodyOf is what follows the header of raw.
func bodyOf(raw []byte) string {
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if _, body, ok := bytes.Cut(raw, []byte(sep)); ok {
			return string(body)
		}
	}
	return ""
}

// attachment checks one part like the API checks an upload.
func attachment(p *enmime.Part) Attachment {
	a := Attachment{Filename: fileName(p.FileName), ContentType: clean(p.ContentType), Size: int64(len(p.Content))}
	switch {
	case a.Size == 0:
		a.Refused = "empty"
	case a.Size > MaxAttachment:
		a.Refused = "larger than 10 MB"
	default:
		got := sniff(p.Content)
		declared := p.ContentType
		switch declared {
		case "image/jpg", "image/pjpeg":
			declared = "image/jpeg"
		case "image/heif":
			declared = "image/heic"
		}
		switch {
		case !allowed[got]:
			a.Refused = "not an image or a PDF (" + got + ")"
		case declared != "" && declared != "application/octet-stream" && declared != got:
			a.Refused = "declared as " + clean(declared) + " but its content is " + got
		default:
			a.ContentType, a.Content = got, p.Content
		}
	}
	return a
}

// sniff is the API's type check (wallet.sniff): the WHATWG algorithm plus HEIC.
func sniff(head []byte) string {
	if len(head) >= 12 && string(head[4:8]) == "ftyp" {
		switch string(head[8:12]) {
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1":
			return "image/heic"
		}
	}
	ct := http.DetectContentType(head[:min(len(head), 512)])
	ct, _, _ = strings.Cut(ct, ";")
	return ct
}

// fileName keeps the base name a sender gave a file, or "attachment".
func fileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(clean(name), "\\", "/"))
	if name == "." || name == "/" || name == "" {
		return "attachment"
	}
	if len(name) > 200 {
		name = strings.ToValidUTF8(name[:200], "")
	}
	return name
}

var idPattern = regexp.MustCompile(`<([^<>\s]+)>`)

// msgIDs reads the Message-IDs of a header value, without <>; clients that drop the brackets
// get their whitespace-separated words.
func msgIDs(v string) []string {
	var ids []string
	if ms := idPattern.FindAllStringSubmatch(v, -1); len(ms) > 0 {
		for _, m := range ms {
			ids = append(ids, m[1])
		}
	} else {
		for _, f := range strings.Fields(v) {
			if strings.Contains(f, "@") {
				ids = append(ids, strings.Trim(f, "<>,"))
			}
		}
	}
	out := ids[:0]
	for _, id := range ids {
		if id = clean(id); id != "" && len(id) <= 250 && utf8.ValidString(id) {
			out = append(out, id)
		}
	}
	return out
}

var refPattern = regexp.MustCompile(`\[#([A-Za-z0-9][A-Za-z0-9_-]{1,39})\]`)

// SubjectRef is the conversation reference a subject carries as "[#<ref>]" ("" if none).
func SubjectRef(subject string) string {
	if m := refPattern.FindStringSubmatch(subject); m != nil {
		return m[1]
	}
	return ""
}

// syntheticID is the Message-ID given to a mail without one: the same bytes get the same id,
// so a mail the sender retries after a lost "250" is still stored once.
func syntheticID(raw []byte, domain string) string {
	sum := sha256.Sum256(raw)
	return "noid." + hex.EncodeToString(sum[:12]) + "@" + domain
}

// clean makes s valid UTF-8 without NUL bytes.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}

// collapse folds a header's line breaks into spaces.
func collapse(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func limitText(s string, problems *[]string) string {
	if len(s) <= maxText {
		return s
	}
	*problems = append(*problems, fmt.Sprintf("text cut at %d KB", maxText>>10))
	return strings.ToValidUTF8(s[:maxText], "")
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// token is the first word of a header value, before any parameter or comment.
func token(v string) string {
	v, _, _ = strings.Cut(v, ";")
	v, _, _ = strings.Cut(v, "(")
	return strings.TrimSpace(v)
}

func first(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
