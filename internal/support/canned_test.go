package support

import (
	"context"
	"errors"
	"testing"

	"github.com/dompet/dompet/internal/staff"
)

// TestDeletableCanned: the console's question before a deletion is refused as the deletion
// would be (an agent: forbidden; an unknown reply: not_found), and asking deletes nothing.
func TestDeletableCanned(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	lead := Viewer{StaffID: "sup", Name: "Lead", Role: staff.RoleSupervisor}
	agent := Viewer{StaffID: "ag", Name: "Agent", Role: staff.RoleAgent, Team: "general"}
	title, locale, body := "Refund sent", "en", "Your refund was sent."
	c, err := f.s.CreateCanned(ctx, lead, CannedInput{Title: &title, Locale: &locale, Body: &body})
	if err != nil {
		t.Fatal(err)
	}

	_, err = f.s.DeletableCanned(ctx, agent, c.ID)
	wantCode(t, err, "forbidden")
	_, err = f.s.DeletableCanned(ctx, lead, "cnr_nope")
	wantCode(t, err, "not_found")
	got, err := f.s.DeletableCanned(ctx, lead, c.ID)
	if err != nil || got.Title != title {
		t.Fatalf("deletable: %+v %v", got, err)
	}
	if _, err := f.s.CannedReply(ctx, c.ID); err != nil {
		t.Fatalf("asking deleted the reply: %v", err)
	}

	err = f.s.DeleteCanned(ctx, agent, c.ID)
	wantCode(t, err, "forbidden")
	if err := f.s.DeleteCanned(ctx, lead, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CannedReply(ctx, c.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after the deletion: %v", err)
	}
}
