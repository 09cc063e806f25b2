package support

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/dompet/dompet/internal/staff"
)

// TestGroupCommit holds the writer in its first group while 20 messages queue, so that they
// are written as one group: two of them resend one client_id, one goes to a closed
// conversation, one to no conversation. Every message is stored once, the resends answer with
// the same message, the refusals are refused alone, and the stream publishes in id order.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.dir.add("stf_a", staff.RoleAgent, "general", 5)
	f.online(t, "stf_a")
	c := f.chat(t, f.s, "usr_1", "other")
	closed := f.chat(t, f.s, "usr_2", "other")
	v := Viewer{StaffID: "stf_a", Name: "Sari", Role: staff.RoleAgent, Team: "general"}
	if _, err := f.s.SetStatus(ctx, v, closed.ID, StatusClosed); err != nil {
		t.Fatal(err)
	}
	sub, stop := f.s.Bus().Subscribe(SubjectConversation(c.ID))
	defer stop()

	// The first group is one message; the writer waits in it until the others are queued.
	var groups [][]string
	var mu sync.Mutex
	release := make(chan struct{})
	f.s.chat.group = func(ids []string) {
		mu.Lock()
		groups = append(groups, ids)
		first := len(groups) == 1
		mu.Unlock()
		if first {
			<-release
		}
	}
	cust := Author{Type: AuthorCustomer, ID: "usr_1", Name: "Budi"}
	firstDone := make(chan error, 1)
	go func() {
		_, err := f.s.Append(ctx, c.ID, NewMessage{Author: cust, Body: "first", ClientID: "k-first"})
		firstDone <- err
	}()
	for { // the hook has the first group
		mu.Lock()
		n := len(groups)
		mu.Unlock()
		if n == 1 {
			break
		}
		waitABit()
	}
	type result struct {
		m   Message
		err error
	}
	results := make([]result, 20)
	var wg sync.WaitGroup
	queued := func() int { f.s.chat.mu.Lock(); defer f.s.chat.mu.Unlock(); return len(f.s.chat.queue) }
	want := 0
	for i := range 20 {
		conv, client := c.ID, fmt.Sprintf("k-%d", i)
		switch i {
		case 5:
			client = "k-4" // a resend of message 4, in the same group
		case 7:
			conv = closed.ID
		case 9:
			conv = "cnv_missing"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := cust
			if conv == closed.ID {
				a.ID = "usr_2"
			}
			m, err := f.s.Append(ctx, conv, NewMessage{Author: a, Body: fmt.Sprintf("m%d", i), ClientID: client})
			results[i] = result{m, err}
		}()
		if i == 9 { // refused before the queue
			continue
		}
		want++
		for queued() < want { // queued in order
			waitABit()
		}
	}
	close(release)
	wg.Wait()
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || len(groups[1]) != 19 {
		t.Fatalf("groups %v, want the 19 queued messages in one", groups)
	}
	wantCode(t, results[7].err, "invalid_state")
	wantCode(t, results[9].err, "not_found")
	for i, r := range results {
		if i == 7 || i == 9 {
			continue
		}
		if r.err != nil {
			t.Fatalf("message %d: %v", i, r.err)
		}
	}
	if results[5].m.ID != results[4].m.ID || results[5].m.Body != "m4" {
		t.Fatalf("the resend got %+v, want message 4 %s", results[5].m, results[4].m.ID)
	}
	msgs, err := f.s.Messages(ctx, c.ID, "", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1+1+17 { // the opening message, "first", 20 minus the resend and the two refused
		t.Fatalf("%d messages stored", len(msgs))
	}
	count := map[string]int{}
	for _, m := range msgs {
		count[m.ClientID]++
	}
	if count["k-4"] != 1 || count["k-5"] != 0 {
		t.Fatalf("by client id: %v", count)
	}
	// Published once each, in the order of their ids (the store's order).
	for _, m := range msgs[1:] {
		ev := <-sub
		if want := fmt.Sprintf(`"id":%q`, m.ID); !contains(ev.Payload, want) {
			t.Fatalf("published %s, want %s next", ev.Payload, m.ID)
		}
	}
	if len(sub) != 0 {
		t.Fatalf("%d events more than messages", len(sub))
	}
}

// waitABit yields to the goroutines being waited for (a poll of their progress, no sleep).
func waitABit() { runtime.Gosched() }

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }
