package app

import (
	"context"

	"github.com/dompet/dompet/internal/helpcenter"
	"github.com/dompet/dompet/internal/support"
)

// Articles lets the support desk suggest help-center articles (support.Articles) without
// knowing package helpcenter.
type Articles struct{ H *helpcenter.Service }

// Suggest implements support.Articles.
func (a Articles) Suggest(ctx context.Context, topic, text, locale string, limit int) ([]support.ArticleRef, error) {
	found, err := a.H.Suggest(ctx, topic, text, locale, limit)
	if err != nil {
		return nil, err
	}
	out := make([]support.ArticleRef, len(found))
	for i, r := range found {
		out[i] = support.ArticleRef{Slug: r.Slug, Title: r.Title, Snippet: r.Snippet}
	}
	return out, nil
}
