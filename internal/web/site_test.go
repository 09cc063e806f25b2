package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dompet/dompet/internal/front"
)

func TestCatalogueRefusesGaps(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"missing in zh", fstest.MapFS{"i18n/a.en.json": {Data: []byte(`{"x":"X","y":"Y"}`)}, "i18n/a.zh-CN.json": {Data: []byte(`{"x":"叉"}`)}}, `"y" has no zh-CN`},
		{"only in zh", fstest.MapFS{"i18n/a.en.json": {Data: []byte(`{"x":"X"}`)}, "i18n/a.zh-CN.json": {Data: []byte(`{"x":"叉","z":"z"}`)}}, `"z" is in zh-CN only`},
		{"twice", fstest.MapFS{"i18n/a.en.json": {Data: []byte(`{"x":"X"}`)}, "i18n/b.en.json": {Data: []byte(`{"x":"X"}`)}}, "defined twice"},
		{"unknown locale", fstest.MapFS{"i18n/a.fr.json": {Data: []byte(`{}`)}}, "unknown locale"},
		{"bad plural", fstest.MapFS{"i18n/a.en.json": {Data: []byte(`{"x":{"one":"1"}}`)}}, "a string or"},
	}
	for _, tt := range tests {
		_, err := loadCatalogue(tt.files)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := loadCatalogue(catalogueFS); err != nil {
		t.Fatalf("shipped catalogues: %v", err)
	}
}

func TestViewFormats(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	en, zh := &View{site: s, Lang: front.EN}, &View{site: s, Lang: front.ZH}
	for _, tt := range []struct {
		got, want string
	}{
		{en.Money(2500000, "IDR"), "IDR 25,000.00"},
		{en.Money(-123456789, "USD"), "USD -1,234,567.89"},
		{en.Money(5, "JPY"), "JPY 5"},
		{en.N("login.attempts_left", 1), "1 try left before the account locks for a while."},
		{en.N("login.attempts_left", 3), "3 tries left before the account locks for a while."},
		{zh.N("login.attempts_left", 1), "再错 1 次，账户将被暂时锁定。"},
		{en.T("home.hello", "Siti"), "Hello, Siti"},
		{en.T("no.such.key"), "[no.such.key]"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	// Every transaction kind and status the history can show has words in both languages.
	for _, k := range []string{"topup", "payment", "transfer_in", "transfer_out", "withdrawal", "refund", "fx_conversion", "remittance",
		"pending", "succeeded", "failed", "reversed"} {
		key := "tx.kind." + k
		if _, ok := s.cat[front.EN][key]; !ok {
			key = "tx.status." + k
		}
		if _, ok := s.cat[front.EN][key]; !ok {
			t.Errorf("no words for %s", k)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"": "/app", "/app/history?kind=payment": "/app/history?kind=payment", "//evil.example/x": "/app",
		"/\\evil.example": "/app", "https://evil.example": "/app", "javascript:alert(1)": "/app", "/checkout/chk_1": "/checkout/chk_1",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFormsNeedTheirToken: a state-changing page request without the CSRF cookie's token, with
// another token, or marked cross-site by the browser is refused with 403 before it is acted on.
func TestFormsNeedTheirToken(t *testing.T) {
	f := serve(t, Options{})
	// A page gives the browser its token.
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	var tok string
	for _, c := range rec.Result().Cookies() {
		if c.Name == csrfCookie {
			tok = c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("csrf cookie %+v", c)
			}
		}
	}
	if len(tok) != 43 {
		t.Fatalf("no csrf cookie: %v", rec.Result().Cookies())
	}
	post := func(form url.Values, cookie string, site string) int {
		req := httptest.NewRequest("POST", "/probe", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: csrfCookie, Value: cookie})
		}
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		rec := httptest.NewRecorder()
		probe(t).ServeHTTP(rec, req)
		return rec.Code
	}
	other := strings.Repeat("A", 43)
	for _, tt := range []struct {
		name         string
		form         url.Values
		cookie, site string
		want         int
	}{
		{"right token", url.Values{"csrf": {tok}}, tok, "same-origin", 200},
		{"no token", url.Values{}, tok, "same-origin", 403},
		{"no cookie", url.Values{"csrf": {tok}}, "", "same-origin", 403},
		{"forged token", url.Values{"csrf": {other}}, tok, "same-origin", 403},
		{"cross-site", url.Values{"csrf": {tok}}, tok, "cross-site", 403},
	} {
		if got := post(tt.form, tt.cookie, tt.site); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

// probe is a page that answers 200 to a POST that passed the CSRF check.
func probe(t *testing.T) http.Handler {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := front.New(front.Options{})
	if err != nil {
		t.Fatal(err)
	}
	acted := s.handle(func(w http.ResponseWriter, r *http.Request, v *View) { w.WriteHeader(200) })
	if err := f.Handle(front.Route{Pattern: "POST /probe", Page: true, Handler: acted}); err != nil {
		t.Fatal(err)
	}
	return f
}
