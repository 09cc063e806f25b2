package support

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/staff"
)

// knownUsers is the Customers lookup: a wallet user per address.
type knownUsers map[string]identity.User

func (k knownUsers) UserByLogin(_ context.Context, login string) (identity.User, error) {
	if u, ok := k[strings.ToLower(login)]; ok {
		return u, nil
	}
	return identity.User{}, errors.New("no such user")
}

var testPDF = []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

func ownerOf(t *testing.T, d *db.DB, attID string) string {
	t.Helper()
	var owner string
	if err := d.QueryRow(context.Background(), `SELECT owner FROM wallet_attachments WHERE id = ?`, attID).Scan(&owner); err != nil {
		t.Fatalf("attachment %s: %v", attID, err)
	}
	return owner
}

func countAttachments(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), `SELECT COUNT(*) FROM wallet_attachments`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A mail's files are stored with its message, in the same transaction: the customer's own
// when the mail comes from the conversation's wallet user, the conversation's otherwise; a
// file whose bytes are not its declared type is refused (listed in the text as not kept, never
// stored as something else); staff who may see the conversation download its files.
func TestEmailAttachments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.s = f.service(Options{Customers: knownUsers{"siti@mail.test": {ID: "usr_siti", DisplayName: "Siti"}}})
	fake := []byte("<html><script>alert(1)</script></html>")
	r := receive(t, f.s, InboundEmail{MessageID: "s1@mail.test", From: "Siti@Mail.test", Text: "see the receipt",
		Attachments: []EmailAttachment{
			{Filename: "receipt.pdf", ContentType: "application/pdf", Size: int64(len(testPDF)), Content: testPDF},
			{Filename: "photo.png", ContentType: "image/png", Size: int64(len(fake)), Content: fake}, // the store's own check
			{Filename: "tool.exe", ContentType: "application/x-msdownload", Size: 4096, Refused: "not an image or a PDF"},
		}})
	msgs, err := f.s.Messages(ctx, r.ConversationID, "", true, 0)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "receipt.pdf" || m.Attachments[0].ContentType != "application/pdf" ||
		m.Attachments[0].Size != int64(len(testPDF)) {
		t.Fatalf("attachments %+v", m.Attachments)
	}
	if !strings.Contains(m.Body, "see the receipt") || !strings.Contains(m.Body, "photo.png") || !strings.Contains(m.Body, "tool.exe") ||
		strings.Contains(m.Body, "receipt.pdf") {
		t.Fatalf("body lists the kept file or misses a refused one:\n%s", m.Body)
	}
	if got := ownerOf(t, f.d, m.Attachments[0].ID); got != "user:usr_siti" {
		t.Fatalf("the customer's own file belongs to %s", got)
	}
	if n := countAttachments(t, f.d); n != 1 {
		t.Fatalf("%d files stored, want only the PDF", n)
	}

	// A colleague's forward into Siti's conversation: the file is the conversation's.
	receive(t, f.s, InboundEmail{ConversationID: r.ConversationID, MessageID: "s2@mail.test", From: "colleague@mail.test",
		Text: "", Attachments: []EmailAttachment{{Filename: "fw.pdf", ContentType: "application/octet-stream", Content: testPDF}}})
	msgs, _ = f.s.Messages(ctx, r.ConversationID, "", true, 0)
	fw := msgs[1]
	if len(fw.Attachments) != 1 || fw.Attachments[0].ContentType != "application/pdf" || ownerOf(t, f.d, fw.Attachments[0].ID) != "conversation:"+r.ConversationID {
		t.Fatalf("forwarded file %+v", fw.Attachments)
	}
	// A stranger's mail with only a file: the conversation's, and a placeholder text.
	st := receive(t, f.s, InboundEmail{MessageID: "x1@mail.test", From: "stranger@mail.test", Text: " ",
		Attachments: []EmailAttachment{{Filename: "a.pdf", ContentType: "application/pdf", Content: testPDF}}})
	sm, _ := f.s.Messages(ctx, st.ConversationID, "", true, 0)
	if len(sm[0].Attachments) != 1 || ownerOf(t, f.d, sm[0].Attachments[0].ID) != "conversation:"+st.ConversationID ||
		strings.TrimSpace(sm[0].Body) != "(the mail has no text)" {
		t.Fatalf("stranger's file-only mail: %+v", sm[0])
	}

	// Downloads: the team's agent and a supervisor; not another team's agent, nor through
	// another conversation.
	general := Viewer{StaffID: "a1", Role: staff.RoleAgent, Team: "general"}
	att := m.Attachments[0]
	a, content, err := f.s.AgentAttachment(ctx, general, r.ConversationID, att.ID)
	if err != nil || string(content) != string(testPDF) || a.Filename != "receipt.pdf" {
		t.Fatalf("agent download: %+v %v", a, err)
	}
	if _, _, err := f.s.AgentAttachment(ctx, Viewer{StaffID: "sup", Role: staff.RoleSupervisor}, r.ConversationID, att.ID); err != nil {
		t.Fatalf("supervisor download: %v", err)
	}
	_, _, err = f.s.AgentAttachment(ctx, Viewer{StaffID: "a2", Role: staff.RoleAgent, Team: "payments"}, r.ConversationID, att.ID)
	wantCode(t, err, "not_found")
	_, _, err = f.s.AgentAttachment(ctx, general, st.ConversationID, att.ID)
	wantCode(t, err, "not_found")
	_, _, err = f.s.AgentAttachment(ctx, Viewer{StaffID: "r1", Role: staff.RoleReviewer}, r.ConversationID, att.ID)
	wantCode(t, err, "forbidden")

	// A mail whose transaction fails leaves no file behind.
	before := countAttachments(t, f.d)
	boom := errors.New("boom")
	err = f.d.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := f.s.ReceiveEmail(ctx, InboundEmail{MessageID: "c1@mail.test", From: "siti@mail.test", Text: "hi",
			Attachments: []EmailAttachment{{Filename: "b.pdf", ContentType: "application/pdf", Content: testPDF}}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || countAttachments(t, f.d) != before {
		t.Fatalf("rolled-back mail: %v, %d files (was %d)", err, countAttachments(t, f.d), before)
	}
}
