package mailbox

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
)

// memDesk is a support desk in memory that really threads: it keeps conversations, their mails
// and every Message-ID (inbound and ours), and answers Thread and Receive from them. It stands
// for internal/support, which implements the same contract on the database.
type memDesk struct {
	mu    sync.Mutex
	now   func() time.Time
	convs []*memConv
	byMID map[string]*memConv
	fail  error // Receive fails with it when set (a store outage)
	// replyWithin is the promised first reply after a new mail.
	replyWithin time.Duration
}

type memConv struct {
	id, ref, customer, lang, subject string
	msgs                             []memMsg
	mids                             []string // all Message-IDs, oldest first
	lastIn                           string
}

type memMsg struct {
	Inbound
	agent bool // an agent's reply (Text is the body)
}

func newMemDesk() *memDesk {
	return &memDesk{now: time.Now, byMID: map[string]*memConv{}, replyWithin: 4 * time.Hour}
}

func (d *memDesk) Thread(_ context.Context, l Lookup) (Thread, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range l.MessageIDs {
		if c := d.byMID[id]; c != nil {
			return c.thread(), true, nil
		}
	}
	if l.Ref != "" {
		for _, c := range d.convs {
			if strings.EqualFold(c.ref, l.Ref) {
				return c.thread(), true, nil
			}
		}
	}
	return Thread{}, false, nil
}

func (d *memDesk) Receive(_ context.Context, in Inbound) (Received, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return Received{}, d.fail
	}
	var c *memConv
	if in.ConversationID == "" {
		if c := d.byMID[in.MessageID]; c != nil { // a retry of the mail that opened it
			return Received{ConversationID: c.id, Ref: c.ref, Duplicate: true}, nil
		}
		n := len(d.convs) + 1
		c = &memConv{id: fmt.Sprintf("conv_%d", n), ref: fmt.Sprintf("E%04d", n), customer: in.From, lang: in.Lang, subject: in.Subject}
		d.convs = append(d.convs, c)
		c.add(d, in)
		if in.AckMessageID != "" {
			c.mids = append(c.mids, in.AckMessageID)
			d.byMID[in.AckMessageID] = c
		}
		return Received{ConversationID: c.id, Ref: c.ref, New: true, ReplyBy: d.now().Add(d.replyWithin)}, nil
	}
	for _, x := range d.convs {
		if x.id == in.ConversationID {
			c = x
		}
	}
	if c == nil {
		return Received{}, fmt.Errorf("no conversation %s", in.ConversationID)
	}
	if d.byMID[in.MessageID] == c {
		return Received{ConversationID: c.id, Ref: c.ref, Duplicate: true}, nil
	}
	c.add(d, in)
	return Received{ConversationID: c.id, Ref: c.ref}, nil
}

func (c *memConv) add(d *memDesk, in Inbound) {
	c.msgs = append(c.msgs, memMsg{Inbound: in})
	c.mids = append(c.mids, in.MessageID)
	d.byMID[in.MessageID] = c
	if in.Automatic == "" {
		c.lastIn = in.MessageID
	}
}

func (c *memConv) thread() Thread {
	return Thread{ConversationID: c.id, Ref: c.ref, Customer: c.customer, Lang: c.lang, Subject: c.subject,
		MessageIDs: append([]string(nil), c.mids...), LastInbound: c.lastIn}
}

// reply stores an agent's reply and its outbox row in one transaction, as the desk will.
func (d *memDesk) reply(ctx context.Context, store *db.DB, comp Composer, convID, body string) error {
	return store.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		d.mu.Lock()
		defer d.mu.Unlock()
		c := d.conv(convID)
		if c == nil {
			return fmt.Errorf("no conversation %s", convID)
		}
		row, mid, err := comp.Reply(c.thread(), body)
		if err != nil {
			return err
		}
		if err := tx.InsertRows(ctx, []db.Row{row}); err != nil {
			return err
		}
		c.msgs = append(c.msgs, memMsg{Inbound: Inbound{MessageID: mid, Text: body}, agent: true})
		c.mids = append(c.mids, mid)
		d.byMID[mid] = c
		return nil
	})
}

func (d *memDesk) conv(id string) *memConv {
	for _, c := range d.convs {
		if c.id == id {
			return c
		}
	}
	return nil
}

// snapshot returns the conversations and their messages as they stand.
func (d *memDesk) snapshot() []memConv {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]memConv, len(d.convs))
	for i, c := range d.convs {
		out[i] = *c
		out[i].msgs = append([]memMsg(nil), c.msgs...)
	}
	return out
}

func (d *memDesk) messages() int {
	n := 0
	for _, c := range d.snapshot() {
		n += len(c.msgs)
	}
	return n
}

func TestMemDeskThreads(t *testing.T) {
	ctx := context.Background()
	d := newMemDesk()
	r, err := d.Receive(ctx, Inbound{MessageID: "a@x", AckMessageID: "ack@us", From: "c@x", Subject: "s"})
	if err != nil || !r.New {
		t.Fatalf("first: %+v %v", r, err)
	}
	for _, l := range []Lookup{{MessageIDs: []string{"zz@y", "ack@us"}}, {MessageIDs: []string{"a@x"}}, {Ref: strings.ToLower(r.Ref)}} {
		th, ok, err := d.Thread(ctx, l)
		if err != nil || !ok || th.ConversationID != r.ConversationID {
			t.Fatalf("%+v: %+v %v %v", l, th, ok, err)
		}
	}
	if _, ok, _ := d.Thread(ctx, Lookup{MessageIDs: []string{"nope@x"}}); ok {
		t.Fatal("an unknown id threads")
	}
	again, _ := d.Receive(ctx, Inbound{MessageID: "a@x", From: "c@x"})
	if !again.Duplicate {
		t.Fatalf("retry not a duplicate: %+v", again)
	}
}
