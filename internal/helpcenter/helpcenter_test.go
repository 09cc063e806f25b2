package helpcenter_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/helpcenter"
)

var (
	admin = helpcenter.Editor{ID: "stf_admin", Role: "admin", IP: "192.0.2.1"}
	agent = helpcenter.Editor{ID: "stf_agent", Role: "agent"}
)

func open(t *testing.T) (*helpcenter.Service, *db.DB) {
	t.Helper()
	d := dbtest.Open(t)
	s := helpcenter.New(d, helpcenter.Options{})
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, d
}

// TestLoadShipsArticles: every start loads the shipped articles, published, once.
func TestLoadShipsArticles(t *testing.T) {
	ctx := context.Background()
	s, d := open(t)
	if err := s.Load(ctx); err != nil { // a second start adds nothing
		t.Fatal(err)
	}
	shipped, _ := helpcenter.Shipped()
	list, err := s.List(ctx, helpcenter.AdminFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(shipped) {
		t.Fatalf("%d rows for %d shipped articles", len(list), len(shipped))
	}
	a, err := s.Article(ctx, "account-locked", helpcenter.LocaleZH)
	if err != nil || a.Locale != helpcenter.LocaleZH || len(a.Locales) != 2 || a.HTML == "" {
		t.Fatalf("article: %+v %v", a, err)
	}
	if _, err := s.Article(ctx, "nope", helpcenter.LocaleEN); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("unknown article: %v", err)
	}
	// Another process's store sees the same articles.
	other := helpcenter.New(d, helpcenter.Options{})
	got, err := other.Search(ctx, helpcenter.Query{Q: "锁定", Locale: helpcenter.LocaleZH})
	if err != nil || len(got) == 0 || got[0].Slug != "account-locked" {
		t.Fatalf("search: %+v %v", got, err)
	}
	cats, err := s.Categories(ctx, helpcenter.LocaleZH)
	if err != nil || len(cats) != len(helpcenter.CategorySlugs()) || cats[0].Name != "账户与登录" || cats[0].Count == 0 {
		t.Errorf("categories: %+v %v", cats, err)
	}
}

// TestEditingSurvivesStart: a shipped article staff edited and published keeps their text
// when the next start loads the shipped one; drafts are invisible until published; every
// change is audited; agents may not edit.
func TestEditingSurvivesStart(t *testing.T) {
	ctx := context.Background()
	s, d := open(t)
	draft := helpcenter.Draft{Category: "account", Title: "Locked out? Here is the way back", Tags: []string{"locked"},
		Body: "Wait **30 minutes** or reset your password. <script>alert(1)</script>"}
	if _, err := s.SaveDraft(ctx, agent, "account-locked", "en", draft, ""); !errors.Is(err, helpcenter.ErrForbidden) {
		t.Fatalf("agent edits: %v", err)
	}
	a, err := s.SaveDraft(ctx, admin, "account-locked", "en", draft, "clearer title")
	if err != nil || a.Draft == nil || a.Status != helpcenter.StatusPublished || a.Edited {
		t.Fatalf("draft: %+v %v", a, err)
	}
	if pub, _ := s.Article(ctx, "account-locked", "en"); pub.Title == draft.Title {
		t.Fatal("a draft is visible to readers")
	}
	if a, err = s.Publish(ctx, admin, "account-locked", "en", "clearer title"); err != nil || !a.Edited || a.Draft != nil {
		t.Fatalf("publish: %+v %v", a, err)
	}
	pub, _ := s.Article(ctx, "account-locked", "en")
	if pub.Title != draft.Title || pub.HTML != "<p>Wait <strong>30 minutes</strong> or reset your password. &lt;script&gt;alert(1)&lt;/script&gt;</p>\n" {
		t.Fatalf("published: %q %q", pub.Title, pub.HTML)
	}
	// The next start (same shipped files, or new ones) leaves the edit alone.
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(ctx, "UPDATE help_articles SET source_hash = 'old' WHERE slug = 'account-locked'"); err != nil {
		t.Fatal(err)
	}
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if pub, _ := s.Article(ctx, "account-locked", "en"); pub.Title != draft.Title {
		t.Fatalf("the start overwrote the edit: %q", pub.Title)
	}
	// The untouched translation was updated to the shipped text (its hash differed).
	zh, _ := s.Get(ctx, "account-locked", "zh-CN")
	if zh.Edited || zh.Title != "账户被锁定怎么办" {
		t.Fatalf("zh: %+v", zh)
	}
	// Unpublish hides it from readers and search; publish brings it back.
	if _, err := s.Unpublish(ctx, admin, "account-locked", "en", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Unpublish(ctx, admin, "account-locked", "en", ""); !errors.Is(err, helpcenter.ErrInvalidState) {
		t.Fatalf("second unpublish: %v", err)
	}
	if a, _ := s.Article(ctx, "account-locked", "en"); a.Locale != "zh-CN" {
		t.Fatalf("unpublished en still served: %+v", a)
	}
	if _, err := s.Publish(ctx, admin, "account-locked", "en", ""); err != nil {
		t.Fatal(err)
	}
	entries, _, err := audit.New(d, time.Now).List(ctx, audit.Query{Subject: "account-locked/en"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"help.article_published", "help.article_unpublished", "help.article_published", "help.draft_saved"}
	if len(entries) != len(want) {
		t.Fatalf("audit: %+v", entries)
	}
	for i, e := range entries {
		if e.Action != want[i] || e.ActorID != admin.ID || e.TargetType != "help_article" {
			t.Errorf("audit %d: %+v, want %s", i, e, want[i])
		}
	}
}

// TestCreateAndValidate: a new article starts as an unpublished draft; bad input names its
// fields; a taken slug is already_exists.
func TestCreateAndValidate(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	in := helpcenter.NewArticle{Slug: "gift-cards", Locale: "en", Draft: helpcenter.Draft{Category: "payments",
		Title: "Gift cards", Body: "Dompet has no gift cards yet."}}
	a, err := s.Create(ctx, admin, in)
	if err != nil || a.Status != helpcenter.StatusUnpublished || a.Draft == nil || a.Origin != "staff" {
		t.Fatalf("create: %+v %v", a, err)
	}
	for _, r := range must(s.Search(ctx, helpcenter.Query{Q: "gift cards"})) {
		if r.Slug == "gift-cards" {
			t.Fatalf("unpublished found: %+v", r)
		}
	}
	if _, err := s.Create(ctx, admin, in); !errors.Is(err, helpcenter.ErrExists) {
		t.Fatalf("again: %v", err)
	}
	if _, err := s.Publish(ctx, admin, "gift-cards", "en", "new"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Search(ctx, helpcenter.Query{Q: "gift card"}); len(got) == 0 || got[0].Slug != "gift-cards" {
		t.Fatalf("published not found: %+v", got)
	}
	_, err = s.Create(ctx, admin, helpcenter.NewArticle{Slug: "Bad Slug", Locale: "fr", Draft: helpcenter.Draft{Category: "x"}})
	f, ok := fault.As(err)
	if !ok || f.Code != "invalid_request" || len(f.Errs) != 5 {
		t.Fatalf("validation: %v", err)
	}
}

// TestVotes: one vote per voter and article (a second replaces the first); counts per slug.
func TestVotes(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	u := helpcenter.Voter{UserID: "usr_1"}
	for _, v := range []bool{true, true, false} {
		if err := s.Vote(ctx, "fees", u, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Vote(ctx, "fees", helpcenter.Voter{Visitor: "abc"}, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Vote(ctx, "nope", u, true); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("vote on nothing: %v", err)
	}
	a, err := s.Get(ctx, "fees", "zh-CN")
	if err != nil || a.Votes != (helpcenter.Votes{Helpful: 1, NotHelpful: 1}) {
		t.Fatalf("votes: %+v %v", a.Votes, err)
	}
}

// TestSuggest: a conversation's suggestions put the topic's articles the message finds first.
func TestSuggest(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	got, err := s.Suggest(ctx, "account_locked", "我输错密码，账户被锁定了", helpcenter.LocaleZH, 3)
	if err != nil || len(got) != 3 || got[0].Slug != "account-locked" || got[0].Locale != "zh-CN" {
		t.Fatalf("suggest: %+v %v", got, err)
	}
	got, _ = s.Suggest(ctx, "refund", "", helpcenter.LocaleEN, 3)
	if len(got) != 3 {
		t.Fatalf("topic only: %+v", got)
	}
	for _, r := range got {
		if r.Category != "refunds" {
			t.Errorf("refund suggestion %s in %s", r.Slug, r.Category)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestListByTitle: the staff list's title search matches the title, a pending draft's title
// and the slug, in any case, together with the other filters.
func TestListByTitle(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	a := must(s.Get(ctx, "account-locked", "en"))
	must(s.SaveDraft(ctx, admin, "account-locked", "en", helpcenter.Draft{Category: a.Category, Title: "Zebra crossing",
		Tags: a.Tags, Body: a.Body}, ""))
	cases := []struct {
		f    helpcenter.AdminFilter
		want []string // slug/locale
	}{
		{helpcenter.AdminFilter{Title: "ZEBRA"}, []string{"account-locked/en"}},
		{helpcenter.AdminFilter{Title: "account-locked"}, []string{"account-locked/en", "account-locked/zh-CN"}},
		{helpcenter.AdminFilter{Title: "account-locked", Locale: "zh-CN"}, []string{"account-locked/zh-CN"}},
		{helpcenter.AdminFilter{Title: "账户被锁定"}, []string{"account-locked/zh-CN"}},
		{helpcenter.AdminFilter{Title: "zebra", Status: helpcenter.StatusUnpublished}, nil},
	}
	for _, c := range cases {
		list := must(s.List(ctx, c.f))
		var got []string
		for _, a := range list {
			got = append(got, a.Slug+"/"+a.Locale)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.f, got, c.want)
		}
	}
	if helpcenter.CanEdit("agent") || !helpcenter.CanEdit("supervisor") || !helpcenter.CanEdit("admin") {
		t.Error("CanEdit disagrees with the editing roles")
	}
}
