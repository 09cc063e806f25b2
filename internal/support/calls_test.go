package support

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/dompet/dompet/internal/staff"
)

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{"+6281234567890": "+62••••••••890", "anonymous": "anonymous", "": "", "12345": "•••••"} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCallEventsAndOngoing: each call event that acts publishes one "call" event on the
// conversation's team subject (a retry none); the call is ongoing until call.ended; an agent
// of another team does not list it.
func TestCallEventsAndOngoing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.dir.add("stf_g", staff.RoleAgent, "general", 0)
	events, stop := f.s.Bus().Subscribe(SubjectTeam("general"))
	defer stop()
	in := CallEvent{Type: CallIncoming, CallID: "k1", From: "+6289999999999"}
	res, err := f.s.Call(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Call(ctx, in); err != nil { // retried
		t.Fatal(err)
	}
	if _, err := f.s.Call(ctx, CallEvent{Type: CallEnded, CallID: "k1", From: in.From}); err != nil {
		t.Fatal(err)
	}
	var calls []string
	for len(calls) < 2 {
		var e Event
		if err := json.Unmarshal((<-events).Payload, &e); err != nil {
			t.Fatal(err)
		}
		if e.Type == "call" {
			if e.Call == nil || e.ConversationID != res.ConversationID || e.Call.Customer != nil || e.Call.FromMasked != "+62••••••••999" {
				t.Fatalf("call event %+v", e)
			}
			calls = append(calls, e.Call.Event)
		}
	}
	if calls[0] != CallIncoming || calls[1] != CallEnded {
		t.Fatalf("call events %v, want one incoming then ended", calls)
	}

	res2, err := f.s.Call(ctx, CallEvent{Type: CallIncoming, CallID: "k2", From: "anonymous"})
	if err != nil {
		t.Fatal(err)
	}
	g := Viewer{StaffID: "stf_g", Role: staff.RoleAgent, Team: "general"}
	list, err := f.s.OngoingCalls(ctx, g)
	if err != nil || len(list) != 1 || list[0].ID != res2.ConversationID {
		t.Fatalf("ongoing calls %v (%v), want only %s", list, err, res2.ConversationID)
	}
	other, err := f.s.OngoingCalls(ctx, Viewer{StaffID: "stf_x", Role: staff.RoleAgent, Team: "payments"})
	if err != nil || len(other) != 0 {
		t.Fatalf("another team's ongoing calls: %v (%v)", other, err)
	}
}
