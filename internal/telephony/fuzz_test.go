package telephony_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/telephony"
)

// FuzzVerify: Verify never panics, accepts only what carries a valid signature of this very
// body, and whatever Sign makes verifies.
func FuzzVerify(f *testing.F) {
	body := []byte(`{"event":"call.incoming","call_id":"c1","from":"+6281234567890","to":"+6221500000"}`)
	f.Add(telephony.Sign(secret, body, now), body, int64(0))
	f.Add("t=1,v1=00", []byte("{}"), int64(-400))
	f.Add("t=,v1=,v1=", []byte(nil), int64(299))
	f.Add("v1="+telephony.Sign(secret, body, now), body, int64(301))
	f.Fuzz(func(t *testing.T, header string, body []byte, skew int64) {
		at := now.Add(time.Duration(skew) * time.Second)
		if err := telephony.Verify(secret, header, body, at); err == nil {
			// It verified: the same header must not verify another body, nor under another secret.
			if telephony.Verify(secret, header, append([]byte("x"), body...), at) == nil ||
				telephony.Verify(secret+"x", header, body, at) == nil {
				t.Fatalf("header %q verifies more than its body", header)
			}
		} else if fault.Code(err) != "unauthenticated" {
			t.Fatalf("refusal %v is not unauthenticated", err)
		}
		if err := telephony.Verify(secret, telephony.Sign(secret, body, at), body, at); err != nil {
			t.Fatalf("a signed body does not verify: %v", err)
		}
	})
}

// FuzzParse: Parse never panics, refuses with invalid_request, and what it accepts
// round-trips: the event marshalled again parses to the same event.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"event":"call.incoming","call_id":"c1","from":"+6281234567890","to":"+6221500000"}`,
		`{"event":"call.ended","call_id":"c1","from":"anonymous","to":"+6221500000","reason":"busy","duration_seconds":0,"occurred_at":"2026-11-30T09:15:00Z"}`,
		`{"event":"call.answered","call_id":"c1","from":"+1","to":"+12","agent_email":"A@b.co","agent_email":null}`,
		`{"Event":"call.incoming"}`, `{"event":"\ud800"}`, `[]`, `{}{}`, `{"event":{"a":[1,2]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := telephony.Parse(body)
		if err != nil {
			if fault.Code(err) != "invalid_request" {
				t.Fatalf("refusal %v is not invalid_request", err)
			}
			return
		}
		again, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		ev2, err := telephony.Parse(again)
		if err != nil {
			t.Fatalf("Parse(%s) accepted, its re-encoding %s refused: %v", body, again, err)
		}
		if !ev2.OccurredAt.Equal(ev.OccurredAt) {
			t.Fatalf("occurred_at changed: %s then %s", ev.OccurredAt, ev2.OccurredAt)
		}
		ev2.OccurredAt = ev.OccurredAt
		if ev2 != ev {
			t.Fatalf("round trip changed %+v into %+v", ev, ev2)
		}
	})
}
