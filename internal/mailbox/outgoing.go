package mailbox

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/outbox"
)

// Topic is the outbox topic of support mail: acknowledgements and agent replies.
const Topic = "support.email"

// OutboxRetry is Topic's schedule, the same as notify's: each attempt makes a few quick tries
// through the relay, then the outbox waits 10 s, doubling up to 30 min, 12 attempts.
func OutboxRetry() outbox.Retry { return notify.OutboxRetry() }

// outgoing is the payload of a Topic message.
type outgoing struct {
	Kind          string   `json:"kind"` // support_ack or support_reply
	To            string   `json:"to"`
	Subject       string   `json:"subject"`
	Text          string   `json:"text"`
	MessageID     string   `json:"message_id"`
	InReplyTo     string   `json:"in_reply_to,omitempty"`
	References    []string `json:"references,omitempty"`
	AutoSubmitted string   `json:"auto_submitted"`
}

// Handler is the outbox handler of Topic: it sends each mail with s (notify.SMTP through
// DOMPET_SMTP_RELAY, or notify.Log), with the threading headers it was composed with. The
// Message-ID is fixed when the row is written, so a repeated delivery carries the same one.
func Handler(s notify.Sender) outbox.Handler {
	return func(ctx context.Context, d outbox.Delivery) error {
		var p outgoing
		if err := json.Unmarshal(d.Payload, &p); err != nil {
			return outbox.Permanent(fmt.Errorf("support mail %s: %w", d.ID, err))
		}
		err := s.Send(ctx, notify.Message{
			ID: d.ID, Channel: notify.Email, To: p.To, Subject: p.Subject, Text: p.Text, Kind: p.Kind,
			MessageID: p.MessageID, InReplyTo: p.InReplyTo, References: strings.Join(p.References, " "), AutoSubmitted: p.AutoSubmitted,
		})
		if notify.IsPermanent(err) {
			return outbox.Permanent(err)
		}
		return err
	}
}

// Composer writes the support desk's outgoing mail as outbox rows.
type Composer struct {
	Address string // DOMPET_SUPPORT_EMAIL: the sender, and the domain of our Message-IDs
	Name    string // display name (the relay sender's own is used for From)
}

// messageID is the Message-ID of outbox message id.
func (c Composer) messageID(outboxID string) string {
	return outboxID + "@" + domainOf(c.Address)
}

// Reply returns the outbox row that mails an agent's reply (body, already in the customer's
// language) into conversation t, and the Message-ID it will carry, which the desk stores with
// the reply so that the customer's answer threads. Write the row in the transaction that
// stores the reply, and wake the outbox after the commit. The mail answers the customer's
// latest mail (In-Reply-To), carries the thread (References: the first id and the latest
// ones) and "[#<ref>]" in the subject, and is not marked automatic: a person wrote it.
func (c Composer) Reply(t Thread, body string) (db.Row, string, error) {
	if t.Customer == "" {
		return db.Row{}, "", fmt.Errorf("reply to conversation %s: no customer address", t.ConversationID)
	}
	oid := id.New("sm")
	mid := c.messageID(oid)
	inReplyTo := t.LastInbound
	if inReplyTo == "" && len(t.MessageIDs) > 0 {
		inReplyTo = t.MessageIDs[len(t.MessageIDs)-1]
	}
	p := outgoing{
		Kind: "support_reply", To: t.Customer, Subject: replySubject(t.Subject, t.Ref, t.Lang), Text: body,
		MessageID: mid, InReplyTo: inReplyTo, References: trimReferences(t.MessageIDs, inReplyTo), AutoSubmitted: "no",
	}
	row, err := row(oid, p, "")
	return row, mid, err
}

// ack is the acknowledgement of ml, which opened conversation rec.
func (c Composer) ack(oid string, ml Mail, rec Received) (db.Row, error) {
	lang := orElse(rec.Lang, ml.Lang)
	p := outgoing{
		Kind: "support_ack", To: ml.From, Subject: replySubject(ml.Subject, rec.Ref, lang), Text: ackText(lang, ml.FromName, rec),
		MessageID: c.messageID(oid), InReplyTo: ml.MessageID, References: trimReferences(ml.References, ml.MessageID),
		AutoSubmitted: "auto-replied",
	}
	// One acknowledgement per conversation, whatever retries happen.
	return row(oid, p, "ack:"+rec.ConversationID)
}

func row(oid string, p outgoing, dedupe string) (db.Row, error) {
	payload, err := json.Marshal(p)
	if err != nil {
		return db.Row{}, fmt.Errorf("support mail: %w", err)
	}
	return outbox.Row(outbox.Message{ID: oid, Topic: Topic, Payload: payload, DedupeKey: dedupe}), nil
}

// trimReferences is the References of a mail answering last in a thread of ids: the first id
// and the latest ones (RFC 5322 §3.6.4 lets the middle go), ending with last.
func trimReferences(ids []string, last string) []string {
	var out []string
	for _, v := range ids {
		if v != last {
			out = append(out, v)
		}
	}
	if last != "" {
		out = append(out, last)
	}
	if len(out) > 10 {
		out = append(out[:1:1], out[len(out)-9:]...)
	}
	return out
}

var rePrefix = regexp.MustCompile(`(?i)^\s*((re|fw|fwd|aw|sv|答复|回复|转发)\s*[:：]\s*)+`)

// replySubject is "Re: <subject> [#<ref>]", the reference added once.
func replySubject(subject, ref, lang string) string {
	s := strings.TrimSpace(rePrefix.ReplaceAllString(subject, ""))
	if s == "" {
		if lang == "zh-CN" {
			s = "您的 Dompet 客服请求"
		} else {
			s = "Your Dompet support request"
		}
	}
	if ref != "" && SubjectRef(s) != ref {
		s += " [#" + ref + "]"
	}
	return "Re: " + s
}

// ackText is the acknowledgement's body in lang (zh-CN or English).
func ackText(lang, name string, rec Received) string {
	var b strings.Builder
	if lang == "zh-CN" {
		b.WriteString("您好")
		if name != "" {
			b.WriteString(" " + name)
		}
		b.WriteString("，\n\n感谢您联系 Dompet。我们已收到您的邮件，您的请求编号为 #" + rec.Ref + "。\n")
		if !rec.ReplyBy.IsZero() {
			b.WriteString("我们的客服人员将在 " + rec.ReplyBy.Format("2006年1月2日 15:04 (MST)") + " 之前回复您。\n")
		} else {
			b.WriteString("我们的客服人员会尽快回复您。\n")
		}
		b.WriteString("\n如需补充信息，请直接回复此邮件，并保留主题中的 [#" + rec.Ref + "]。\n请勿在邮件中发送密码、PIN 或验证码。\n\n— Dompet 客服\n")
		return b.String()
	}
	b.WriteString("Hello")
	if name != "" {
		b.WriteString(" " + name)
	}
	b.WriteString(",\n\nThank you for writing to Dompet. We have received your message; your request number is #" + rec.Ref + ".\n")
	if !rec.ReplyBy.IsZero() {
		b.WriteString("A member of our team will reply by " + rec.ReplyBy.Format("Mon 2 Jan 2006 15:04 (MST)") + ".\n")
	} else {
		b.WriteString("A member of our team will reply as soon as possible.\n")
	}
	b.WriteString("\nTo add anything, reply to this email and keep [#" + rec.Ref + "] in the subject.\nNever send a password, PIN or code by email.\n\n— Dompet Support\n")
	return b.String()
}
