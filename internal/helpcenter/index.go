package helpcenter

import (
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The search index: an in-memory inverted index over the published articles, rebuilt whole
// when an article changes (articles change rarely; searches are many). Text becomes terms:
// English words lower-cased, stop words dropped and lightly stemmed ("refunds", "refunded" →
// "refund"); Chinese (and other CJK) runs become their characters and their overlapping
// pairs, so 锁定 finds 账户被锁定 with no dictionary. A query's word also matches the indexed
// words it begins ("withdr" → withdraw, withdrawal) and those one edit away ("pasword",
// "refnd"), found through a table of one-letter deletions (no scan of the vocabulary).
// Scores are BM25-like per field, title above tags above body, scaled by how many of the
// query's terms an article has.

// Field weights: a word in the title counts most, then the tags, then the body.
const (
	weightTitle = 3.0
	weightTags  = 2.0
	weightBody  = 1.0
	// How much a partial or approximate match is worth next to the word itself.
	weightPrefix = 0.7
	weightFuzzy  = 0.6
	// An article in another language than the reader's counts this much.
	weightOtherLocale = 0.7
	// Most vocabulary words one query word may expand to by prefix.
	maxPrefixExpansions = 64
	// Most distinct terms of a query that count: an article's matched terms are counted in a
	// uint8 (scratch.matched), and a longer query (the page takes any length) costs time for
	// nothing. The API's 200 characters stay below it.
	maxQueryTerms = math.MaxUint8
)

const (
	fieldTitle uint8 = 1 << iota
	fieldTags
	fieldBody
)

type posting struct {
	doc    uint32
	fields uint8
	tf     uint16 // occurrences in the body
}

// doc is an indexed article.
type doc struct {
	slug, locale, category string
	title, lowerTitle      string
	plain, lowerPlain      string // the body as plain text, for snippets
}

// index is immutable once built; Service swaps it whole.
type index struct {
	docs     []doc
	terms    map[string]uint32 // term → id
	vocab    []string          // id → term
	postings [][]posting       // id → postings, by doc
	sorted   []uint32          // Latin term ids in term order, for prefixes
	deletes  map[string][]uint32
	scratch  sync.Pool
}

// indexDoc is what buildIndex reads of an article.
type indexDoc struct {
	Slug, Locale, Category, Title string
	Tags                          []string
	Plain                         string
}

func buildIndex(in []indexDoc) *index {
	ix := &index{terms: map[string]uint32{}, deletes: map[string][]uint32{}}
	for i, a := range in {
		d := doc{slug: a.Slug, locale: a.Locale, category: a.Category, title: a.Title,
			lowerTitle: strings.ToLower(a.Title), plain: a.Plain, lowerPlain: strings.ToLower(a.Plain)}
		ix.docs = append(ix.docs, d)
		seen := map[uint32]int{} // term → index of its posting for this doc
		add := func(t string, f uint8) {
			id, ok := ix.terms[t]
			if !ok {
				id = uint32(len(ix.vocab))
				ix.terms[t] = id
				ix.vocab = append(ix.vocab, t)
				ix.postings = append(ix.postings, nil)
			}
			k, ok := seen[id]
			if !ok {
				k = len(ix.postings[id])
				seen[id] = k
				ix.postings[id] = append(ix.postings[id], posting{doc: uint32(i)})
			}
			p := &ix.postings[id][k]
			p.fields |= f
			if f == fieldBody && p.tf < math.MaxUint16 {
				p.tf++
			}
		}
		for _, t := range terms(a.Title, false) {
			add(t, fieldTitle)
		}
		for _, tag := range a.Tags {
			for _, t := range terms(tag, false) {
				add(t, fieldTags)
			}
		}
		for _, t := range terms(a.Plain, false) {
			add(t, fieldBody)
		}
	}
	for id, t := range ix.vocab {
		if !latin(t) {
			continue
		}
		ix.sorted = append(ix.sorted, uint32(id))
		if utf8.RuneCountInString(t) < 4 {
			continue
		}
		ix.deletes[t] = append(ix.deletes[t], uint32(id))
		for _, d := range deletions(t) {
			ix.deletes[d] = append(ix.deletes[d], uint32(id))
		}
	}
	sort.Slice(ix.sorted, func(a, b int) bool { return ix.vocab[ix.sorted[a]] < ix.vocab[ix.sorted[b]] })
	n := len(ix.docs)
	ix.scratch.New = func() any {
		return &scratch{total: make([]float32, n), best: make([]float32, n), matched: make([]uint8, n)}
	}
	return ix
}

type scratch struct {
	total, best []float32
	matched     []uint8
	touched     []uint32 // docs with a total
	termTouched []uint32 // docs with a best for the current query term
}

// match is one vocabulary term a query term stands for, and how much it is worth.
type match struct {
	term   uint32
	weight float64
}

// expand is the vocabulary a query term matches: itself, the words it begins, the words one
// edit away (only when the word itself is not indexed).
func (ix *index) expand(q string) []match {
	var out []match
	id, exact := ix.terms[q]
	if exact {
		out = append(out, match{id, 1})
	}
	if !latin(q) {
		return out
	}
	n := utf8.RuneCountInString(q)
	if n >= 3 {
		i := sort.Search(len(ix.sorted), func(i int) bool { return ix.vocab[ix.sorted[i]] >= q })
		for k := 0; i < len(ix.sorted) && k < maxPrefixExpansions; i++ {
			t := ix.vocab[ix.sorted[i]]
			if !strings.HasPrefix(t, q) {
				break
			}
			if t != q {
				out = append(out, match{ix.sorted[i], weightPrefix})
				k++
			}
		}
	}
	if exact || n < 4 {
		return out
	}
	seen := map[uint32]bool{}
	try := func(key string) {
		for _, id := range ix.deletes[key] {
			if !seen[id] && ix.vocab[id] != q && withinOneEdit(q, ix.vocab[id]) {
				seen[id] = true
				out = append(out, match{id, weightFuzzy})
			}
		}
	}
	try(q)
	for _, d := range deletions(q) {
		try(d)
	}
	return out
}

// hit is a scored article.
type hit struct {
	doc   uint32
	score float64
	terms []string // the vocabulary terms that matched, for the snippet
}

// query scores the articles for q. locale prefers that language's articles; category, when
// set, keeps only its articles. At most limit hits, best first, one per slug.
func (ix *index) query(q, locale, category string, limit int) []hit {
	qterms := dedupe(terms(q, true))
	if len(qterms) > maxQueryTerms {
		qterms = qterms[:maxQueryTerms]
	}
	if len(qterms) == 0 || len(ix.docs) == 0 {
		return nil
	}
	s := ix.scratch.Get().(*scratch)
	defer ix.scratch.Put(s)
	n := float64(len(ix.docs))
	matchedTerms := make([][]string, 0, len(qterms))
	for _, qt := range qterms {
		var used []string
		for _, m := range ix.expand(qt) {
			ps := ix.postings[m.term]
			idf := math.Log(1 + (n-float64(len(ps))+0.5)/(float64(len(ps))+0.5))
			contributed := false
			for _, p := range ps {
				if category != "" && ix.docs[p.doc].category != category {
					continue
				}
				var f float64
				if p.fields&fieldTitle != 0 {
					f += weightTitle
				}
				if p.fields&fieldTags != 0 {
					f += weightTags
				}
				if p.tf > 0 {
					tf := float64(p.tf)
					f += weightBody * tf / (tf + 1.2)
				}
				v := float32(m.weight * idf * f)
				if s.best[p.doc] == 0 {
					s.termTouched = append(s.termTouched, p.doc)
				}
				if v > s.best[p.doc] {
					s.best[p.doc] = v
				}
				contributed = true
			}
			if contributed {
				used = append(used, ix.vocab[m.term])
			}
		}
		matchedTerms = append(matchedTerms, used)
		for _, d := range s.termTouched {
			if s.matched[d] == 0 {
				s.touched = append(s.touched, d)
			}
			s.total[d] += s.best[d]
			s.matched[d]++
			s.best[d] = 0
		}
		s.termTouched = s.termTouched[:0]
	}
	phrase := strings.ToLower(strings.TrimSpace(q))
	// Keep the best 2×limit (a slug is at most twice: once per language) in a min-heap.
	keep := 2 * limit
	hits := make([]hit, 0, keep)
	for _, d := range s.touched {
		cover := float64(s.matched[d]) / float64(len(qterms))
		score := float64(s.total[d]) * cover * cover
		s.total[d], s.matched[d] = 0, 0
		dd := &ix.docs[d]
		if phrase != "" && strings.Contains(dd.lowerTitle, phrase) {
			score *= 1.5
		}
		if locale != "" && dd.locale != locale {
			score *= weightOtherLocale
		}
		h := hit{doc: d, score: score}
		switch {
		case len(hits) < keep:
			hits = append(hits, h)
			heapUp(hits, len(hits)-1)
		case better(h, hits[0]):
			hits[0] = h
			heapDown(hits, 0)
		}
	}
	s.touched = s.touched[:0]
	sort.Slice(hits, func(a, b int) bool { return better(hits[a], hits[b]) })
	var out []hit
	slugs := map[string]bool{}
	var all []string
	for _, u := range matchedTerms {
		all = append(all, u...)
	}
	for _, h := range hits {
		sl := ix.docs[h.doc].slug
		if slugs[sl] {
			continue
		}
		slugs[sl] = true
		h.terms = all
		out = append(out, h)
		if len(out) == limit {
			break
		}
	}
	return out
}

// snippet is a short piece of d's body around the first matched term (the body's start when
// only the title matched), cut at character boundaries.
func (d *doc) snippet(matched []string) string {
	const before, after = 40, 100
	at := -1
	if len(d.lowerPlain) == len(d.plain) { // offsets agree (ToLower kept byte lengths)
		for _, t := range matched {
			if i := strings.Index(d.lowerPlain, t); i >= 0 && (at < 0 || i < at) {
				at = i
			}
		}
	}
	if at < 0 {
		return cut(d.plain, 0, before+after)
	}
	start := at
	for k := 0; k < before && start > 0; k++ {
		_, size := utf8.DecodeLastRuneInString(d.plain[:start])
		start -= size
	}
	// Begin at a word or sentence start when one is near.
	if i := strings.LastIndexAny(d.plain[start:at], " 。.，,\n"); i >= 0 && start > 0 {
		start += i + 1
		for start < at && !utf8.RuneStart(d.plain[start]) {
			start++
		}
	}
	return cut(d.plain, start, before+after)
}

// cut is up to n characters of s from byte offset start, with "…" where text was left out.
func cut(s string, start, n int) string {
	end := start
	for k := 0; k < n && end < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	out := strings.TrimSpace(strings.ReplaceAll(s[start:end], "\n", " "))
	if start > 0 {
		out = "…" + out
	}
	if end < len(s) {
		out += "…"
	}
	return out
}

// terms splits text into index terms. Documents index every CJK character and every pair of
// neighbours; a query uses the pairs (a single character alone), which are far more specific.
func terms(text string, query bool) []string {
	var out []string
	var word []rune
	var run []rune
	flushWord := func() {
		if len(word) > 0 {
			w := string(word)
			if !stopwords[w] {
				out = append(out, stem(w))
			}
			word = word[:0]
		}
	}
	flushRun := func() {
		switch {
		case len(run) == 1:
			out = append(out, string(run))
		case len(run) > 1:
			for i := 0; i+1 < len(run); i++ {
				if !query {
					out = append(out, string(run[i]))
				}
				out = append(out, string(run[i:i+2]))
			}
			if !query {
				out = append(out, string(run[len(run)-1]))
			}
		}
		run = run[:0]
	}
	for _, r := range text {
		switch {
		case isCJK(r):
			flushWord()
			run = append(run, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushRun()
			word = append(word, unicode.ToLower(r))
		default:
			flushWord()
			flushRun()
		}
	}
	flushWord()
	flushRun()
	return out
}

func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		unicode.Is(unicode.Hangul, r)
}

// latin tells whether t is a word term (not CJK).
func latin(t string) bool {
	r, _ := utf8.DecodeRuneInString(t)
	return !isCJK(r)
}

func dedupe(ts []string) []string {
	seen := map[string]bool{}
	out := ts[:0]
	for _, t := range ts {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// stem removes common English endings so that the forms of a word meet: plurals, -ed,
// -ing, a final e ("declined", "declines", "decline" → "declin"). Light on purpose: a wrong
// cut only merges two rare forms, and prefix matching catches the rest.
func stem(w string) string {
	if len(w) <= 3 || !isASCII(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ied") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ing") && len(w) > 5:
		w = w[:len(w)-3]
	case strings.HasSuffix(w, "ed") && len(w) > 4:
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	if len(w) > 4 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1]
	}
	return w
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// deletions are t with one character left out.
func deletions(t string) []string {
	rs := []rune(t)
	out := make([]string, 0, len(rs))
	for i := range rs {
		out = append(out, string(rs[:i])+string(rs[i+1:]))
	}
	return out
}

// withinOneEdit tells whether a and b differ by at most one insertion, deletion, substitution
// or swap of neighbours.
func withinOneEdit(a, b string) bool {
	x, y := []rune(a), []rune(b)
	if len(x) > len(y) {
		x, y = y, x
	}
	switch len(y) - len(x) {
	case 0:
		var diff []int
		for i := range x {
			if x[i] != y[i] {
				diff = append(diff, i)
				if len(diff) > 2 {
					return false
				}
			}
		}
		switch len(diff) {
		case 0, 1:
			return true
		case 2:
			i, j := diff[0], diff[1]
			return j == i+1 && x[i] == y[j] && x[j] == y[i]
		}
		return false
	case 1:
		i := 0
		for i < len(x) && x[i] == y[i] {
			i++
		}
		for ; i < len(x); i++ {
			if x[i] != y[i+1] {
				return false
			}
		}
		return true
	}
	return false
}

// stopwords are English words too common to search by.
var stopwords = map[string]bool{
	"a": true, "an": true, "the": true, "and": true, "or": true, "of": true, "to": true, "in": true, "on": true,
	"at": true, "for": true, "is": true, "are": true, "was": true, "be": true, "it": true, "my": true, "i": true,
	"me": true, "you": true, "your": true, "we": true, "do": true, "does": true, "did": true, "how": true,
	"what": true, "why": true, "can": true, "with": true, "this": true, "that": true, "from": true, "by": true,
	"as": true, "if": true, "so": true, "not": true, "no": true, "will": true, "have": true, "has": true,
}

// better orders hits best first: higher score, then earlier document.
func better(a, b hit) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.doc < b.doc
}

// heapUp and heapDown keep h a min-heap under better (the worst kept hit at h[0]).
func heapUp(h []hit, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !better(h[p], h[i]) {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func heapDown(h []hit, i int) {
	for {
		l, worst := 2*i+1, i
		if l < len(h) && better(h[worst], h[l]) {
			worst = l
		}
		if r := l + 1; r < len(h) && better(h[worst], h[r]) {
			worst = r
		}
		if worst == i {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}
