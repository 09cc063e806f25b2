package helpcenter

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// The articles every Dompet ships: one Markdown file per article and language, under
// articles/<locale>/<slug>.md, opening with a front matter block:
//
//	---
//	slug: account-locked
//	category: account
//	title: My account is locked
//	tags: locked, login, password
//	topics: account_locked
//	---
//
// Translations share the slug. topics are the support topics the article answers (its
// suggestions when a customer opens a conversation).
//
//go:embed articles
var shippedFS embed.FS

// ShippedArticle is an article as the binary carries it.
type ShippedArticle struct {
	Slug, Locale, Category, Title string
	Tags, Topics                  []string
	Body                          string
	Hash                          string // of the file, to notice a new shipped version
}

// Shipped reads the articles in the binary; a malformed file is an error (tests keep them
// well-formed).
func Shipped() ([]ShippedArticle, error) {
	var out []ShippedArticle
	err := fs.WalkDir(shippedFS, "articles", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
			return err
		}
		b, err := shippedFS.ReadFile(p)
		if err != nil {
			return err
		}
		a, err := parseArticle(string(b))
		if err != nil {
			return fmt.Errorf("help article %s: %w", p, err)
		}
		a.Locale = path.Base(path.Dir(p))
		if want := strings.TrimSuffix(path.Base(p), ".md"); a.Slug != want {
			return fmt.Errorf("help article %s: slug %q differs from the file name", p, a.Slug)
		}
		if !slices.Contains(Locales, a.Locale) {
			return fmt.Errorf("help article %s: unknown locale %q", p, a.Locale)
		}
		if !slices.Contains(CategorySlugs(), a.Category) {
			return fmt.Errorf("help article %s: unknown category %q", p, a.Category)
		}
		sum := sha256.Sum256(b)
		a.Hash = hex.EncodeToString(sum[:16])
		out = append(out, a)
		return nil
	})
	return out, err
}

func parseArticle(src string) (ShippedArticle, error) {
	var a ShippedArticle
	src = strings.ReplaceAll(src, "\r\n", "\n")
	if !strings.HasPrefix(src, "---\n") {
		return a, fmt.Errorf("no front matter")
	}
	end := strings.Index(src[4:], "\n---\n")
	if end < 0 {
		return a, fmt.Errorf("front matter not closed")
	}
	for _, line := range strings.Split(src[4:4+end], "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return a, fmt.Errorf("front matter line %q", line)
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "slug":
			a.Slug = v
		case "category":
			a.Category = v
		case "title":
			a.Title = v
		case "tags":
			a.Tags = normTags(strings.Split(v, ","))
		case "topics":
			a.Topics = normTags(strings.Split(v, ","))
		default:
			return a, fmt.Errorf("unknown front matter key %q", k)
		}
	}
	a.Body = strings.TrimSpace(src[4+end+5:])
	if a.Slug == "" || a.Title == "" || a.Body == "" || a.Category == "" {
		return a, fmt.Errorf("slug, category, title and body are required")
	}
	return a, nil
}
