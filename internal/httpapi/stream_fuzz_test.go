package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/dompet/dompet/internal/fault"
)

// FuzzStreamFrame: any bytes a chat client sends on its stream, as a text or a binary frame,
// decode or are refused with a typed problem (invalid_request; too_large over the frame
// limit), never a panic. What decodes was a text frame within the limit, holding one object
// whose strings are exactly the frame's (valid UTF-8, no field repeated: nothing altered);
// it encodes and decodes back to itself; and anything after the object is refused.
func FuzzStreamFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"message","body":"Halo, saldo saya belum masuk","client_id":"c-1"}`,
		`{"type":"message","conversation_id":"cnv_01","body":"我来看看","internal":true,"client_id":"a1","attachment_ids":["att_1"]}`,
		`{"type":"typing"}`, `{"type":"typing","conversation_id":"cnv_01"}`, `{"type":"read","message_id":"msg_01"}`,
		`{"type":"message","body":"a","body":"b"}`, `{"type":"message","BODY":"x"}`, `{"type":"message","body":"x"} {"type":"typing"}`,
		`{"type":"message","body":"x"}garbage`, "{\"type\":\"message\",\"body\":\"\xff\xfe\"}", `{"type":"message","body":"\ud800"}`,
		`{"type":"typing","extra":1}`, `{"type":1}`, `[]`, `null`, ``, `   `, `{"type":"message","body":"` + strings.Repeat("长", 10001) + `"}`,
		`{"type":"message","attachment_ids":null,"internal":false}`, "{\"type\":\"message\",\"body\":\"line\\nbreak \\u0000\"}",
	} {
		f.Add(true, []byte(s))
	}
	f.Add(false, []byte(`{"type":"typing"}`))
	f.Add(true, []byte(`{"type":"message","body":"`+strings.Repeat("x", streamFrameLimit)+`"}`))
	f.Fuzz(func(t *testing.T, text bool, data []byte) {
		typ := websocket.MessageBinary
		if text {
			typ = websocket.MessageText
		}
		fr, err := decodeStreamFrame(typ, data)
		if err != nil {
			want := "invalid_request"
			if len(data) > streamFrameLimit {
				want = "too_large"
			}
			if fe, ok := fault.As(err); !ok || fe.Code != want {
				t.Fatalf("frame %q refused with %v, want %s", data, err, want)
			}
			return
		}
		if !text || len(data) > streamFrameLimit || !utf8.Valid(data) {
			t.Fatalf("accepted a frame of type %v, %d bytes", typ, len(data))
		}
		// The frame's own strings, read independently: each name once, each value unchanged.
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatalf("accepted %q, not a JSON object: %v", data, err)
		}
		for _, s := range []string{fr.Type, fr.ConversationID, fr.Body, fr.ClientID, fr.MessageID} {
			if !utf8.ValidString(s) {
				t.Fatalf("accepted %q with invalid UTF-8 %q", data, s)
			}
		}
		if v, ok := raw["body"]; ok && !bytes.Equal(v, []byte("null")) {
			var body string
			if json.Unmarshal(v, &body) != nil || body != fr.Body {
				t.Fatalf("frame %q decoded with body %q", data, fr.Body)
			}
		}
		again, err := json.Marshal(fr)
		if err != nil {
			t.Fatal(err)
		}
		if fr2, err := decodeStreamFrame(websocket.MessageText, again); err != nil || !reflect.DeepEqual(normFrame(fr2), normFrame(fr)) {
			t.Fatalf("frame %q decoded as %+v, re-encoded %s, decoded as %+v (%v)", data, fr, again, fr2, err)
		}
		if _, err := decodeStreamFrame(websocket.MessageText, append(bytes.Clone(data), `{}`...)); err == nil {
			t.Fatalf("%q followed by {} accepted", data)
		}
	})
}

// normFrame makes an empty attachment list nil (omitempty drops it when re-encoding).
func normFrame(f streamClientFrame) streamClientFrame {
	if len(f.AttachmentIDs) == 0 {
		f.AttachmentIDs = nil
	}
	return f
}
