package web

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/support"
)

// The phone channel writes its subjects and system messages in English (package support,
// calls.go and disposition.go), and the API returns them so (API.md). What staff read
// follows the console's language: the console recognises these known forms and renders
// them through the catalogue at display time; any other text shows as it was written.

var (
	callFromRE     = regexp.MustCompile(`^Call from (.+)$`)
	callIncomingRE = regexp.MustCompile(`^Incoming call from (.+) \(call ([^()]*)\)$`)
	callEndedRE    = regexp.MustCompile(`^Call ended: ([a-z_]+)(?:, (\S+) talked)?$`)
	dispositionRE  = regexp.MustCompile(`(?s)^Call disposition: ([a-z_]+)(?:\. Note: (.*))?$`)
)

// Subject is a conversation's subject in the page's language: a phone conversation's
// "Call from …" is the console's own text.
func (v *View) Subject(c support.Conversation) string {
	if c.Channel == support.ChannelPhone {
		if m := callFromRE.FindStringSubmatch(c.Subject); m != nil {
			return v.T("agent.sys.call_from", v.caller(m[1]))
		}
	}
	return c.Subject
}

// MessageBody is a message's text in the page's language: the phone's system messages and
// the disposition notes are rendered from the catalogue; what people wrote is left as it is.
func (v *View) MessageBody(m support.Message) string {
	switch {
	case m.Author.Type == support.AuthorSystem && m.Author.Name == "phone":
		if g := callIncomingRE.FindStringSubmatch(m.Body); g != nil {
			return v.T("agent.sys.call_incoming", v.caller(g[1]), g[2])
		}
		if g := callEndedRE.FindStringSubmatch(m.Body); g != nil {
			text := v.T("agent.sys.call_ended", v.known("agent.call.reason.", g[1]))
			if d, err := time.ParseDuration(g[2]); err == nil && g[2] != "" {
				text = v.T("agent.sys.call_ended_talked", v.known("agent.call.reason.", g[1]), v.talkTime(d))
			}
			return text
		}
	case m.Internal && m.Author.Type == support.AuthorAgent:
		if g := dispositionRE.FindStringSubmatch(m.Body); g != nil {
			text := v.T("agent.sys.disposition", v.known("agent.disposition.", g[1]))
			if g[2] != "" {
				text = v.T("agent.sys.disposition_note", v.known("agent.disposition.", g[1]), g[2])
			}
			return text
		}
	}
	return m.Body
}

// caller is who called: their name or number, or the catalogue's word for an anonymous one.
func (v *View) caller(who string) string {
	if who == "anonymous" {
		return v.T("agent.sys.anonymous")
	}
	return who
}

// known is the catalogue's text of prefix+code, or code itself when the catalogue has none
// (a value added to the API before the console learns it).
func (v *View) known(prefix, code string) string {
	if t := v.T(prefix + code); !strings.HasPrefix(t, "[") {
		return t
	}
	return code
}

// talkTime writes a call's length as minutes and seconds.
func (v *View) talkTime(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s < 60 {
		return v.T("agent.sys.seconds", s)
	}
	return v.T("agent.sys.minutes", s/60, fmt.Sprintf("%02d", s%60))
}

// CustomerName is the name of a conversation's customer as the console shows it: an
// anonymous caller is the catalogue's word ("" when the customer has no name: the caller
// shows their number instead).
func (v *View) CustomerName(c support.Conversation) string {
	if c.Channel == support.ChannelPhone && c.Customer.UserID == "" && c.Customer.Name == "anonymous" {
		return v.caller(c.Customer.Name)
	}
	return c.Customer.Name
}

// AuthorName is who wrote a message: the phone channel's system messages are signed by the
// channel's name in the page's language.
func (v *View) AuthorName(m support.Message) string {
	if m.Author.Type == support.AuthorSystem && m.Author.Name == "phone" {
		return v.T("agent.channel.phone")
	}
	return m.Author.Name
}
