package helpcenter

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// shippedSnapshot indexes the shipped articles as a start would, without a store.
func shippedSnapshot(t testing.TB) *snapshot {
	t.Helper()
	shipped, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	var list []*Article
	for _, a := range shipped {
		list = append(list, &Article{Slug: a.Slug, Locale: a.Locale, Category: a.Category, Title: a.Title,
			Tags: a.Tags, Body: a.Body, topics: a.Topics, UpdatedAt: time.Unix(0, 0)})
	}
	return newSnapshot(list, "test")
}

// TestRelevance: queries people type, in Chinese and English (typos and partial words
// included), and the article that must come first (or within the first few).
func TestRelevance(t *testing.T) {
	sn := shippedSnapshot(t)
	cases := []struct {
		q, locale string
		want      string // slug expected first
		within    int    // or within the first N (0: first)
	}{
		{"锁定", LocaleZH, "account-locked", 0},
		{"账户被锁定", LocaleZH, "account-locked", 0},
		{"账户锁定了怎么办", LocaleZH, "account-locked", 0},
		{"忘记密码", LocaleZH, "forgot-password", 0},
		{"付款失败", LocaleZH, "payment-failed", 0},
		{"余额不足", LocaleZH, "insufficient-balance", 0},
		{"超出限额", LocaleZH, "limit-exceeded", 0},
		{"退款", LocaleZH, "refunds", 2},
		{"申请退款 证据", LocaleZH, "request-refund", 0},
		{"手续费", LocaleZH, "fees", 0},
		{"提现多久到账", LocaleZH, "withdrawal", 0},
		{"两步验证", LocaleZH, "two-factor-login", 0},
		{"钓鱼", LocaleZH, "phishing", 0},
		{"诈骗", LocaleZH, "phishing", 0},
		{"异常登录", LocaleZH, "suspicious-login", 0},
		{"支付密码锁定", LocaleZH, "payment-pin", 0},
		{"客服电话", LocaleZH, "contact-support", 0},
		{"换汇", LocaleZH, "currency-exchange", 0},
		{"跨境汇款", LocaleZH, "send-abroad", 0},
		{"充值", LocaleZH, "top-up", 0},
		{"账户受限", LocaleZH, "account-restricted", 0},
		{"手机号未验证", LocaleZH, "verify-phone", 0},
		{"locked", LocaleEN, "account-locked", 0},
		{"account locked", LocaleEN, "account-locked", 0},
		{"forgot password", LocaleEN, "forgot-password", 0},
		{"pasword", LocaleEN, "forgot-password", 1},
		{"forgot pasword", LocaleEN, "forgot-password", 0},
		{"refnd", LocaleEN, "refunds", 2},
		{"refund request evidence", LocaleEN, "request-refund", 0},
		{"withdr", LocaleEN, "withdrawal", 0},
		{"withdrawl", LocaleEN, "withdrawal", 0},
		{"payment failed", LocaleEN, "payment-failed", 0},
		{"insufficient balance", LocaleEN, "insufficient-balance", 0},
		{"insuficient", LocaleEN, "insufficient-balance", 0},
		{"limit exceeded", LocaleEN, "limit-exceeded", 0},
		{"daily limit", LocaleEN, "limit-exceeded", 0},
		{"fees", LocaleEN, "fees", 0},
		{"two-factor", LocaleEN, "two-factor-login", 0},
		{"authenticator", LocaleEN, "two-factor-login", 0},
		{"phishing", LocaleEN, "phishing", 0},
		{"scam", LocaleEN, "phishing", 0},
		{"new device", LocaleEN, "suspicious-login", 0},
		{"pin locked", LocaleEN, "payment-pin", 0},
		{"contact support", LocaleEN, "contact-support", 0},
		{"exchange rate", LocaleEN, "currency-exchange", 0},
		{"send money abroad", LocaleEN, "send-abroad", 0},
		{"top up", LocaleEN, "top-up", 0},
		{"card declined", LocaleEN, "provider-problems", 0},
		{"restricted", LocaleEN, "account-restricted", 0},
		{"verify phone", LocaleEN, "verify-phone", 0},
		{"checkout", LocaleEN, "online-checkout", 0},
		// The other language still finds: a Chinese query from an English reader.
		{"锁定", LocaleEN, "account-locked", 0},
	}
	for _, c := range cases {
		t.Run(c.locale+"/"+c.q, func(t *testing.T) {
			got := sn.search(Query{Q: c.q, Locale: c.locale, Limit: 10})
			var slugs []string
			for _, r := range got {
				slugs = append(slugs, r.Slug)
			}
			for i, s := range slugs {
				if s == c.want && i <= c.within {
					return
				}
			}
			t.Errorf("%q (%s): want %s within the first %d, got %v", c.q, c.locale, c.want, c.within+1, slugs)
		})
	}
}

// TestSearchResults: a hit speaks the reader's language, carries a snippet with the match,
// and the category filter keeps only its category.
func TestSearchResults(t *testing.T) {
	sn := shippedSnapshot(t)
	got := sn.search(Query{Q: "锁定", Locale: LocaleZH})
	if len(got) == 0 || got[0].Locale != LocaleZH || !strings.Contains(got[0].Title, "锁定") {
		t.Fatalf("锁定: %+v", got)
	}
	if !strings.Contains(got[0].Snippet, "锁定") {
		t.Errorf("snippet without the match: %q", got[0].Snippet)
	}
	got = sn.search(Query{Q: "fee", Locale: LocaleEN})
	if len(got) == 0 || !strings.Contains(strings.ToLower(got[0].Snippet), "fee") {
		t.Errorf("fee: %+v", got)
	}
	for _, r := range sn.search(Query{Q: "refund", Locale: LocaleEN, Category: "refunds"}) {
		if r.Category != "refunds" {
			t.Errorf("category filter let %s (%s) through", r.Slug, r.Category)
		}
	}
	if got := sn.search(Query{Q: "   ", Locale: LocaleEN}); len(got) != 0 {
		t.Errorf("empty query found %v", got)
	}
	if got := sn.search(Query{Q: "xyzzyqwv", Locale: LocaleEN}); len(got) != 0 {
		t.Errorf("nonsense found %v", got)
	}
	seen := map[string]bool{}
	for _, r := range sn.search(Query{Q: "password 密码", Locale: LocaleEN, Limit: 50}) {
		if seen[r.Slug] {
			t.Errorf("%s listed twice", r.Slug)
		}
		seen[r.Slug] = true
	}
}

// TestShippedArticles: both languages have the same slugs, at least 20 each, every category
// used, and every internal link points to an article or a page.
func TestShippedArticles(t *testing.T) {
	shipped, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]map[string]ShippedArticle{}
	cats := map[string]bool{}
	for _, a := range shipped {
		if by[a.Locale] == nil {
			by[a.Locale] = map[string]ShippedArticle{}
		}
		by[a.Locale][a.Slug] = a
		cats[a.Category] = true
	}
	for _, l := range Locales {
		if len(by[l]) < 20 {
			t.Errorf("%s: %d articles, want at least 20", l, len(by[l]))
		}
	}
	for slug, en := range by[LocaleEN] {
		zh, ok := by[LocaleZH][slug]
		if !ok {
			t.Errorf("%s has no zh-CN translation", slug)
			continue
		}
		if zh.Category != en.Category || strings.Join(zh.Topics, ",") != strings.Join(en.Topics, ",") {
			t.Errorf("%s: category or topics differ between languages", slug)
		}
	}
	for slug := range by[LocaleZH] {
		if _, ok := by[LocaleEN][slug]; !ok {
			t.Errorf("%s has no en translation", slug)
		}
	}
	for _, c := range CategorySlugs() {
		if !cats[c] {
			t.Errorf("category %s has no article", c)
		}
	}
	for _, a := range shipped {
		for _, part := range strings.Split(a.Body, "](/help/")[1:] {
			slug, _, _ := strings.Cut(part, ")")
			if _, ok := by[a.Locale][slug]; !ok {
				t.Errorf("%s/%s links to /help/%s, which does not exist", a.Locale, a.Slug, slug)
			}
		}
		if strings.Contains(a.Body, "| ") {
			t.Errorf("%s/%s: tables are not in the Markdown subset", a.Locale, a.Slug)
		}
	}
}

func ExampleRenderHTML() {
	fmt.Println(RenderHTML("## Hi <b>\n\n- **bold** and `x<y>`\n- [home](/help) [bad](javascript:void)\n\n<script>alert(1)</script>"))
	// Output:
	// <h2>Hi &lt;b&gt;</h2>
	// <ul><li><strong>bold</strong> and <code>x&lt;y&gt;</code></li><li><a href="/help">home</a> bad</li></ul>
	// <p>&lt;script&gt;alert(1)&lt;/script&gt;</p>
}

// TestSearchManyTerms: a query of more distinct terms than a uint8 counts (256 here) still
// ranks the article that has them all first. The per-article count of matched terms used to
// wrap to 0, scoring that article as matching nothing.
func TestSearchManyTerms(t *testing.T) {
	var words []string
	for i := range 300 {
		words = append(words, fmt.Sprintf("w%dq", i))
	}
	sn := newSnapshot([]*Article{
		{Slug: "all", Locale: LocaleEN, Category: "account", Title: "All", Body: strings.Join(words, " ")},
		{Slug: "few", Locale: LocaleEN, Category: "account", Title: "Few", Body: strings.Join(words[:10], " ")},
	}, "test")
	for _, n := range []int{255, 256, 300} {
		got := sn.search(Query{Q: strings.Join(words[:n], " "), Locale: LocaleEN})
		if len(got) != 2 || got[0].Slug != "all" {
			t.Errorf("%d terms: %+v", n, got)
		}
	}
}
