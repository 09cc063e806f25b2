package support

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/staff"
)

// directory is a staff directory in memory (the Staff interface), with the seeded teams open
// around the clock so that estimates come from handling times unless a test says otherwise.
type directory struct {
	mu      sync.Mutex
	members map[string]staff.Staff
	teams   []staff.Team
}

func alwaysOpen() staff.BusinessHours {
	h := staff.BusinessHours{TimeZone: "UTC", Holidays: []string{}}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		h.Weekly = append(h.Weekly, staff.Period{Day: d, Start: "00:00", End: "24:00"})
	}
	return h
}

func newDirectory() *directory {
	return &directory{members: map[string]staff.Staff{}, teams: []staff.Team{
		{Slug: "accounts", Name: "Accounts", Topics: []string{"account_locked", "account_security"}, BusinessHours: alwaysOpen()},
		{Slug: "payments", Name: "Payments", Topics: []string{"payment_failed", "refund", "fees"}, BusinessHours: alwaysOpen()},
		{Slug: "general", Name: "General", Topics: []string{"other"}, BusinessHours: alwaysOpen()},
	}}
}

func (d *directory) add(id, role, team string, capacity int) staff.Staff {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := staff.Staff{ID: id, Name: "Agent " + id, Email: id + "@dompet.test", Role: role, Team: team, Capacity: capacity}
	d.members[id] = m
	return m
}

func (d *directory) Member(_ context.Context, id string) (staff.Staff, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m, ok := d.members[id]
	if !ok {
		return staff.Staff{}, staff.ErrNotFound
	}
	return m, nil
}

func (d *directory) List(context.Context) ([]staff.Staff, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []staff.Staff
	for _, m := range d.members {
		out = append(out, m)
	}
	return out, nil
}

func (d *directory) Teams(context.Context) ([]staff.Team, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]staff.Team(nil), d.teams...), nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond) // strictly increasing: queue order is arrival order
	return c.t
}

type fixture struct {
	d     *db.DB
	dir   *directory
	clock *clock
	s     *Service
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{d: dbtest.Open(t), dir: newDirectory(), clock: &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}}
	f.s = f.service(Options{})
	return f
}

// service is another Service on the fixture's store (as another process would have).
func (f *fixture) service(o Options) *Service {
	o.Staff, o.Now = f.dir, f.clock.Now
	return New(f.d, o)
}

func (f *fixture) chat(t testing.TB, s *Service, user, topic string) Conversation {
	t.Helper()
	c, _, err := s.Open(context.Background(), NewConversation{Channel: ChannelChat, Customer: Customer{UserID: user, Name: "Budi"},
		Topic: topic, Body: "help please"})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return c
}

func (f *fixture) online(t testing.TB, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := f.s.Presence(context.Background(), id, Online); err != nil {
			t.Fatalf("presence %s: %v", id, err)
		}
	}
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if fault.Code(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}
