package telephony

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/fault"
)

// Type is what happened to a call.
type Type string

// Event types.
const (
	CallIncoming Type = "call.incoming" // ringing: the desk matches the caller and pops the screen
	CallAnswered Type = "call.answered" // an agent (agent_email) took it
	CallEnded    Type = "call.ended"    // hung up; reason and duration_seconds may say how
)

// Reasons a call ended.
const (
	EndCompleted = "completed" // talked, then hung up
	EndNoAnswer  = "no_answer"
	EndBusy      = "busy"
	EndFailed    = "failed"
	EndAbandoned = "abandoned" // the caller hung up while waiting
)

var reasons = []string{EndCompleted, EndNoAnswer, EndBusy, EndFailed, EndAbandoned}

// Anonymous is the From of a call whose number is withheld.
const Anonymous = "anonymous"

// MaxBody is the largest event body Parse reads; the route should refuse larger bodies (413)
// before reading them.
const MaxBody = 16 << 10

// Event is one telephony event; its JSON is the wire format.
type Event struct {
	Type            Type      `json:"event"`
	CallID          string    `json:"call_id"`                    // the PBX's id of the call, the same in all its events
	From            string    `json:"from"`                       // caller, E.164 (+6281234567890), or "anonymous"
	To              string    `json:"to"`                         // number dialled, E.164
	AgentEmail      string    `json:"agent_email,omitempty"`      // staff member who answered, lower-cased
	OccurredAt      time.Time `json:"occurred_at,omitzero"`       // the PBX's time of the event, RFC 3339
	Reason          string    `json:"reason,omitempty"`           // call.ended only: completed, no_answer, busy, failed, abandoned
	DurationSeconds int       `json:"duration_seconds,omitempty"` // call.ended only: talk time, 0 to 86400
}

var (
	e164Re  = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	emailRe = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$`)
)

// members are the names an event may carry, in their only accepted case.
var members = []string{"event", "call_id", "from", "to", "agent_email", "occurred_at", "reason", "duration_seconds"}

// Parse reads an event strictly, like the API's JSON input: one JSON object of at most
// MaxBody bytes, valid UTF-8, only the members of Event, each once and in its exact case,
// strings where strings go (null counts as absent for optional members). Then: event is a known
// type; call_id is 1 to 128 printable ASCII characters; from and to are E.164 numbers (from
// may be "anonymous"); agent_email, if given, an address; occurred_at RFC 3339; reason and
// duration_seconds only on call.ended. Failures are invalid_request problems naming the member.
func Parse(body []byte) (Event, error) {
	if len(body) > MaxBody {
		return Event{}, fault.Invalid("body", fault.MsgAtMostBytes, MaxBody)
	}
	if !utf8.Valid(body) {
		return Event{}, fault.Invalid("body", fault.MsgValidUTF8)
	}
	raw, err := strictObject(body)
	if err != nil {
		return Event{}, err
	}
	var v fault.Validation
	var ev Event
	str := func(name string, required bool) string {
		tok, ok := raw[name]
		if !ok || tok == nil {
			v.Check(!required, name, fault.MsgRequired)
			return ""
		}
		s, isStr := tok.(string)
		if !isStr {
			v.Add(name, fault.MsgBeString)
			return ""
		}
		if strings.ContainsRune(s, utf8.RuneError) || strings.ContainsRune(s, 0) {
			v.Add(name, fault.MsgNoBadChars)
			return ""
		}
		return s
	}
	ev.Type = Type(str("event", true))
	if ev.Type != "" && !slices.Contains([]Type{CallIncoming, CallAnswered, CallEnded}, ev.Type) {
		v.Add("event", fault.MsgCallEvent)
	}
	if ev.CallID = str("call_id", true); ev.CallID != "" && !printable(ev.CallID, 128) {
		v.Add("call_id", fault.MsgCallID)
	}
	if ev.From = str("from", true); ev.From != "" && ev.From != Anonymous && !e164Re.MatchString(ev.From) {
		v.Add("from", fault.MsgCallFrom)
	}
	if ev.To = str("to", true); ev.To != "" && !e164Re.MatchString(ev.To) {
		v.Add("to", fault.MsgCallTo)
	}
	if email := str("agent_email", false); email != "" {
		if len(email) > 254 || !emailRe.MatchString(email) {
			v.Add("agent_email", fault.MsgEmail)
		}
		ev.AgentEmail = strings.ToLower(email)
	}
	if at := str("occurred_at", false); at != "" {
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			v.Add("occurred_at", fault.MsgRFC3339)
		}
		ev.OccurredAt = t
	}
	if ev.Reason = str("reason", false); ev.Reason != "" {
		switch {
		case ev.Type != CallEnded:
			v.Add("reason", fault.MsgOnlyCallEnded)
		case !slices.Contains(reasons, ev.Reason):
			v.Add("reason", fault.MsgOneOf, strings.Join(reasons, ", "))
		}
	}
	if tok, ok := raw["duration_seconds"]; ok && tok != nil {
		n, isNum := tok.(json.Number)
		i, err := n.Int64()
		switch {
		case ev.Type != CallEnded:
			v.Add("duration_seconds", fault.MsgOnlyCallEnded)
		case !isNum || err != nil || i < 0 || i > 86400:
			v.Add("duration_seconds", fault.MsgWholeNumberRange, 0, 86400)
		default:
			ev.DurationSeconds = int(i)
		}
	}
	if err := v.Err(); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// strictObject reads body as one flat JSON object of scalar members, refusing unknown,
// duplicate or wrongly cased names, nested values and trailing data. Values are json.Decoder
// tokens (string, json.Number, bool, nil).
func strictObject(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fault.Invalid("body", fault.MsgBodyEmpty)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	malformed := func(err error) error {
		return fault.Invalid("body", fault.MsgJSONMalformed, err.Error())
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed(err)
	}
	if tok != json.Delim('{') {
		return nil, fault.Invalid("body", fault.MsgBeJSONObject)
	}
	out := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed(err)
		}
		name, _ := tok.(string)
		if strings.ContainsRune(name, utf8.RuneError) {
			return nil, fault.Invalid("body", fault.MsgMemberNames)
		}
		if !slices.Contains(members, name) {
			if i := slices.IndexFunc(members, func(m string) bool { return strings.EqualFold(m, name) }); i >= 0 {
				return nil, fault.Invalid(name, fault.MsgUnknownMemberCase, members[i])
			}
			return nil, fault.Invalid(name, fault.MsgUnknownMember)
		}
		if _, dup := out[name]; dup {
			return nil, fault.Invalid(name, fault.MsgGivenOnce)
		}
		val, err := dec.Token()
		if err != nil {
			return nil, malformed(err)
		}
		if _, nested := val.(json.Delim); nested {
			return nil, fault.Invalid(name, fault.MsgScalar)
		}
		out[name] = val
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, malformed(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fault.Invalid("body", fault.MsgBodySingle)
	}
	return out, nil
}

// printable reports whether s is 1 to max printable ASCII characters other than space.
func printable(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
