package helpcenter_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/helpcenter"
)

// TestPopular: with no views nor votes the list is the editorial order; views in the reader's
// language over the last 30 days and "did this help?" votes reorder it; views in the other
// language, or older than the window, do not; an article voted down leaves the list.
func TestPopular(t *testing.T) {
	type env struct {
		s   *helpcenter.Service
		now *atomic.Int64
		t   *testing.T
	}
	view := func(e env, slug, locale string, n int) {
		for range n {
			e.s.Viewed(slug, locale)
		}
		if err := e.s.FlushViews(context.Background()); err != nil {
			e.t.Fatal(err)
		}
	}
	vote := func(e env, slug, voter string, helpful bool) {
		if err := e.s.Vote(context.Background(), slug, helpcenter.Voter{Visitor: voter}, helpful); err != nil {
			e.t.Fatal(err)
		}
	}
	ago := func(e env, d time.Duration, f func()) {
		e.now.Add(-d.Microseconds())
		f()
		e.now.Add(d.Microseconds())
	}
	ed := helpcenter.Editorial
	for _, tc := range []struct {
		name   string
		locale string
		do     func(e env)
		want   []string // the first slugs of the list
		absent string   // a slug that must not be listed
	}{
		{name: "no data: editorial order", locale: "en", do: func(env) {}, want: ed},
		{name: "views put an article first", locale: "en", do: func(e env) { view(e, "top-up", "en", 3) },
			want: append([]string{"top-up"}, ed[:5]...)},
		{name: "more views rank higher", locale: "zh-CN", do: func(e env) {
			view(e, "top-up", "zh-CN", 2)
			view(e, "phishing", "zh-CN", 4)
		}, want: append([]string{"phishing", "top-up"}, ed[:4]...)},
		{name: "views in the other language do not count", locale: "en", do: func(e env) { view(e, "phishing", "zh-CN", 9) },
			want: ed, absent: "phishing"},
		{name: "a helpful vote outweighs a few views", locale: "en", do: func(e env) {
			view(e, "top-up", "en", 3)
			vote(e, "withdrawal", "v1", true)
		}, want: []string{"withdrawal", "top-up", ed[0]}},
		{name: "views and votes older than 30 days do not count", locale: "en", do: func(e env) {
			ago(e, 31*24*time.Hour, func() {
				view(e, "phishing", "en", 50)
				vote(e, "withdrawal", "v1", true)
			})
			view(e, "top-up", "en", 1)
		}, want: append([]string{"top-up"}, ed[:5]...), absent: "phishing"},
		{name: "views within 30 days add up across days", locale: "en", do: func(e env) {
			ago(e, 20*24*time.Hour, func() { view(e, "phishing", "en", 2) })
			ago(e, 2*24*time.Hour, func() { view(e, "phishing", "en", 2) })
			view(e, "top-up", "en", 3)
		}, want: []string{"phishing", "top-up", ed[0]}},
		{name: "voted down: out of the list", locale: "en", do: func(e env) {
			vote(e, ed[0], "v1", false)
			vote(e, ed[0], "v2", false)
		}, want: ed[1:], absent: ed[0]},
		{name: "voted down but read a lot: still listed", locale: "en", do: func(e env) {
			vote(e, ed[0], "v1", false)
			view(e, ed[0], "en", 20)
			view(e, "top-up", "en", 10)
		}, want: []string{ed[0], "top-up", ed[1]}},
		{name: "a changed vote counts once", locale: "en", do: func(e env) {
			vote(e, "phishing", "v1", true)
			vote(e, "phishing", "v1", false)
			vote(e, "phishing", "v1", true)
			view(e, "top-up", "en", 6)
		}, want: []string{"top-up", "phishing", ed[0]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := &atomic.Int64{}
			now.Store(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC).UnixMicro())
			s := helpcenter.New(dbtest.Open(t), helpcenter.Options{Now: func() time.Time { return time.UnixMicro(now.Load()) }})
			if err := s.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			e := env{s: s, now: now, t: t}
			// A ranking read before the events must not hide them afterwards.
			if _, err := s.Popular(context.Background(), tc.locale, 6); err != nil {
				t.Fatal(err)
			}
			tc.do(e)
			got, err := s.Popular(context.Background(), tc.locale, 10)
			if err != nil {
				t.Fatal(err)
			}
			var slugs []string
			for _, r := range got {
				slugs = append(slugs, r.Slug)
				if r.Title == "" || (r.Locale != tc.locale) {
					t.Errorf("%s: %+v", r.Slug, r)
				}
			}
			if len(slugs) < len(tc.want) || !slices.Equal(slugs[:len(tc.want)], tc.want) {
				t.Errorf("got %v, want it to start with %v", slugs, tc.want)
			}
			if tc.absent != "" && slices.Contains(slugs, tc.absent) {
				t.Errorf("%s listed: %v", tc.absent, slugs)
			}
		})
	}
}

// TestPopularLimit: the list is cut to the limit asked, 10 at most.
func TestPopularLimit(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	for _, slug := range []string{"a", "b"} {
		s.Viewed(slug, "en") // not an article: counted, never listed
	}
	for i, slug := range []string{"top-up", "phishing", "withdrawal", "fees", "refunds", "send-money", "two-factor-login", "notifications", "verify-phone", "send-abroad", "limit-exceeded", "payment-pin"} {
		for range i + 1 {
			s.Viewed(slug, "en")
		}
	}
	if err := s.FlushViews(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ limit, want int }{{3, 3}, {0, 0}, {50, 10}} {
		got, err := s.Popular(ctx, "en", tc.limit)
		if err != nil || len(got) != tc.want {
			t.Errorf("limit %d: %d articles, %v", tc.limit, len(got), err)
		}
		if len(got) > 0 && got[0].Slug != "payment-pin" {
			t.Errorf("limit %d: first %s", tc.limit, got[0].Slug)
		}
	}
}

// BenchmarkViewed is the cost a reading adds to an article's page (counted in memory).
//
//	go test -run '^$' -bench 'Viewed|Popular' ./internal/helpcenter/
func BenchmarkViewed(b *testing.B) {
	s := helpcenter.New(dbtest.Open(b), helpcenter.Options{})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Viewed("account-locked", "en")
		}
	})
}

// BenchmarkPopular ranks with 30 days of views of every shipped article in both languages
// stored: "cold" reads the store every time (a flush or a vote just cleared the cache),
// "cached" is what most page renders pay.
func BenchmarkPopular(b *testing.B) {
	ctx := context.Background()
	now := &atomic.Int64{}
	now.Store(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC).UnixMicro())
	s := helpcenter.New(dbtest.Open(b), helpcenter.Options{Now: func() time.Time { return time.UnixMicro(now.Load()) }})
	if err := s.Load(ctx); err != nil {
		b.Fatal(err)
	}
	shipped, _ := helpcenter.Shipped()
	for range 30 {
		now.Add(-int64(24 * time.Hour / time.Microsecond))
		for i, a := range shipped {
			for range i%7 + 1 {
				s.Viewed(a.Slug, a.Locale)
			}
		}
		if err := s.FlushViews(ctx); err != nil {
			b.Fatal(err)
		}
	}
	now.Store(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC).UnixMicro())
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			if err := s.Vote(ctx, "fees", helpcenter.Voter{Visitor: "bench"}, true); err != nil { // clears the cache
				b.Fatal(err)
			}
			if got, err := s.Popular(ctx, "en", 6); err != nil || len(got) != 6 {
				b.Fatal(len(got), err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if got, err := s.Popular(ctx, "en", 6); err != nil || len(got) != 6 {
				b.Fatal(len(got), err)
			}
		}
	})
}
