package telephony_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/telephony"
)

const secret = "whsec_test_4f1c2b"

var now = time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC)

// sig is an independent HMAC of "<ts>.<body>".
func sig(secret string, ts int64, body string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(strconv.FormatInt(ts, 10) + "." + body))
	return hex.EncodeToString(h.Sum(nil))
}

func TestSign(t *testing.T) {
	body := `{"event":"call.incoming","call_id":"c1","from":"+6281234567890","to":"+6221500000"}`
	want := "t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=" + sig(secret, now.Unix(), body)
	if got := telephony.Sign(secret, []byte(body), now); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	body := `{"event":"call.incoming","call_id":"c1","from":"+6281234567890","to":"+6221500000"}`
	ts := now.Unix()
	good := sig(secret, ts, body)
	old := sig("the old secret", ts, body)
	at := func(d time.Duration) string {
		u := now.Add(d).Unix()
		return "t=" + strconv.FormatInt(u, 10) + ",v1=" + sig(secret, u, body)
	}
	tests := []struct {
		name, secret, header, body string
		ok                         bool
	}{
		{"valid", secret, "t=" + strconv.FormatInt(ts, 10) + ",v1=" + good, body, true},
		{"upper-case hex", secret, "t=" + strconv.FormatInt(ts, 10) + ",v1=" + strings.ToUpper(good), body, true},
		{"spaces after commas", secret, "t=" + strconv.FormatInt(ts, 10) + ", v1=" + good, body, true},
		{"rotation: old and new", secret, "t=" + strconv.FormatInt(ts, 10) + ",v1=" + old + ",v1=" + good, body, true},
		{"rotation: only the old", secret, "t=" + strconv.FormatInt(ts, 10) + ",v1=" + old, body, false},
		{"other schemes ignored", secret, "t=" + strconv.FormatInt(ts, 10) + ",v0=abc,v1=" + good, body, true},
		{"5 minutes old", secret, at(-5 * time.Minute), body, true},
		{"5 minutes ahead", secret, at(5 * time.Minute), body, true},
		{"5 minutes 1 second old", secret, at(-5*time.Minute - time.Second), body, false},
		{"5 minutes 1 second ahead", secret, at(5*time.Minute + time.Second), body, false},
		{"a day old", secret, at(-24 * time.Hour), body, false},
		{"tampered body", secret, "t=" + strconv.FormatInt(ts, 10) + ",v1=" + good, strings.Replace(body, "c1", "c2", 1), false},
		{"signed at another time", secret, "t=" + strconv.FormatInt(ts+1, 10) + ",v1=" + good, body, false},
		{"wrong secret", "another", "t=" + strconv.FormatInt(ts, 10) + ",v1=" + good, body, false},
		{"no secret configured", "", "t=" + strconv.FormatInt(ts, 10) + ",v1=" + sig("", ts, body), body, false},
		{"unsigned", secret, "", body, false},
		{"no timestamp", secret, "v1=" + good, body, false},
		{"no v1", secret, "t=" + strconv.FormatInt(ts, 10), body, false},
		{"two timestamps", secret, "t=" + strconv.FormatInt(ts, 10) + ",t=" + strconv.FormatInt(ts, 10) + ",v1=" + good, body, false},
		{"signed timestamp", secret, "t=+" + strconv.FormatInt(ts, 10) + ",v1=" + good, body, false},
		{"short signature", secret, "t=" + strconv.FormatInt(ts, 10) + ",v1=" + good[:62], body, false},
		{"signature not hex", secret, "t=" + strconv.FormatInt(ts, 10) + ",v1=" + strings.Repeat("zz", 32), body, false},
		{"part without =", secret, "t=" + strconv.FormatInt(ts, 10) + ",v1=" + good + ",junk", body, false},
		{"nine signatures", secret, "t=" + strconv.FormatInt(ts, 10) + strings.Repeat(",v1="+old, 8) + ",v1=" + good, body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := telephony.Verify(tt.secret, tt.header, []byte(tt.body), now)
			if tt.ok != (err == nil) {
				t.Fatalf("Verify = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && (!errors.Is(err, telephony.ErrBadSignature) || fault.Code(err) != "unauthenticated") {
				t.Fatalf("refusal %v is not an unauthenticated fault", err)
			}
		})
	}
}

func TestVerifySignRoundTrip(t *testing.T) {
	body := []byte(`{"event":"call.ended","call_id":"c1","from":"anonymous","to":"+6221500000","reason":"abandoned"}`)
	if err := telephony.Verify(secret, telephony.Sign(secret, body, now), body, now.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
}

func TestParse(t *testing.T) {
	ev, err := telephony.Parse([]byte(`{"event":"call.ended","call_id":"1700000000.42","from":"+6281234567890","to":"+6221500000",
		"agent_email":"Agent@Dompet.Example","occurred_at":"2026-11-30T16:15:00+07:00","reason":"completed","duration_seconds":312}`))
	if err != nil {
		t.Fatal(err)
	}
	want := telephony.Event{Type: telephony.CallEnded, CallID: "1700000000.42", From: "+6281234567890", To: "+6221500000",
		AgentEmail: "agent@dompet.example", OccurredAt: now, Reason: "completed", DurationSeconds: 312}
	if !ev.OccurredAt.Equal(want.OccurredAt) {
		t.Fatalf("OccurredAt = %s", ev.OccurredAt)
	}
	ev.OccurredAt = want.OccurredAt
	if ev != want {
		t.Fatalf("Parse = %+v, want %+v", ev, want)
	}
	for _, ok := range []string{
		`{"event":"call.incoming","call_id":"c1","from":"anonymous","to":"+6221500000"}`,
		`{"event":"call.answered","call_id":"a84b4c76e66710@pc33.example.com","from":"+12125550100","to":"+6221500000","agent_email":"a@b.co"}`,
		` {"to":"+6221500000","from":"+6281234567890","call_id":"c1","event":"call.incoming","agent_email":null} `,
	} {
		if _, err := telephony.Parse([]byte(ok)); err != nil {
			t.Errorf("Parse(%s) = %v", ok, err)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	const base = `"call_id":"c1","from":"+6281234567890","to":"+6221500000"`
	tests := []struct{ name, body, field string }{
		{"empty", ``, "body"},
		{"not an object", `[1]`, "body"},
		{"malformed", `{"event":"call.incoming",`, "body"},
		{"trailing data", `{"event":"call.incoming",` + base + `} {}`, "body"},
		{"invalid UTF-8", "{\"event\":\"call.incoming\"," + base + ",\"agent_email\":\"\xff@x.co\"}", "body"},
		{"lone surrogate", `{"event":"call.incoming",` + base + `,"agent_email":"\ud800@x.co"}`, "agent_email"},
		{"NUL", `{"event":"call.incoming","call_id":"c\u00001","from":"+6281234567890","to":"+6221500000"}`, "call_id"},
		{"unknown event", `{"event":"call.transferred",` + base + `}`, "event"},
		{"event in another case", `{"event":"CALL.INCOMING",` + base + `}`, "event"},
		{"missing event", `{` + base + `}`, "event"},
		{"null event", `{"event":null,` + base + `}`, "event"},
		{"missing call_id", `{"event":"call.incoming","from":"+6281234567890","to":"+6221500000"}`, "call_id"},
		{"missing from", `{"event":"call.incoming","call_id":"c1","to":"+6221500000"}`, "from"},
		{"missing to", `{"event":"call.incoming","call_id":"c1","from":"+6281234567890"}`, "to"},
		{"duplicate member", `{"event":"call.incoming","event":"call.ended",` + base + `}`, "event"},
		{"wrong case member", `{"Event":"call.incoming",` + base + `}`, "Event"},
		{"unknown member", `{"event":"call.incoming",` + base + `,"caller_name":"x"}`, "caller_name"},
		{"nested value", `{"event":"call.incoming",` + base + `,"agent_email":{"a":1}}`, "agent_email"},
		{"number for a string", `{"event":"call.incoming","call_id":42,"from":"+6281234567890","to":"+6221500000"}`, "call_id"},
		{"local number", `{"event":"call.incoming","call_id":"c1","from":"081234567890","to":"+6221500000"}`, "from"},
		{"number with spaces", `{"event":"call.incoming","call_id":"c1","from":"+62 812 3456 7890","to":"+6221500000"}`, "from"},
		{"too long number", `{"event":"call.incoming","call_id":"c1","from":"+1234567890123456","to":"+6221500000"}`, "from"},
		{"leading zero", `{"event":"call.incoming","call_id":"c1","from":"+0123456","to":"+6221500000"}`, "from"},
		{"anonymous callee", `{"event":"call.incoming","call_id":"c1","from":"+6281234567890","to":"anonymous"}`, "to"},
		{"call_id with space", `{"event":"call.incoming","call_id":"c 1","from":"+6281234567890","to":"+6221500000"}`, "call_id"},
		{"call_id too long", `{"event":"call.incoming","call_id":"` + strings.Repeat("c", 129) + `","from":"+6281234567890","to":"+6221500000"}`, "call_id"},
		{"bad email", `{"event":"call.answered",` + base + `,"agent_email":"agent"}`, "agent_email"},
		{"bad time", `{"event":"call.incoming",` + base + `,"occurred_at":"30/11/2026"}`, "occurred_at"},
		{"reason on incoming", `{"event":"call.incoming",` + base + `,"reason":"completed"}`, "reason"},
		{"unknown reason", `{"event":"call.ended",` + base + `,"reason":"dropped"}`, "reason"},
		{"duration on answered", `{"event":"call.answered",` + base + `,"duration_seconds":3}`, "duration_seconds"},
		{"negative duration", `{"event":"call.ended",` + base + `,"duration_seconds":-1}`, "duration_seconds"},
		{"fractional duration", `{"event":"call.ended",` + base + `,"duration_seconds":1.5}`, "duration_seconds"},
		{"string duration", `{"event":"call.ended",` + base + `,"duration_seconds":"3"}`, "duration_seconds"},
		{"too large", `{"event":"call.incoming",` + base + `,"reason":"` + strings.Repeat("x", telephony.MaxBody) + `"}`, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := telephony.Parse([]byte(tt.body))
			f, ok := fault.As(err)
			if !ok || f.Code != "invalid_request" {
				t.Fatalf("Parse = %v, want invalid_request", err)
			}
			if len(f.Errs) == 0 || f.Errs[0].Field != tt.field {
				t.Fatalf("Parse = %v, want it about %s", err, tt.field)
			}
		})
	}
}
