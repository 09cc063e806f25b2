package web

import (
	"net/http/httptest"
	"testing"
)

// TestAllowFormsTo: the checkout page's CSP lets its forms end at the return URL's origin and
// nowhere else; a URL that could smuggle another source into the policy changes nothing.
func TestAllowFormsTo(t *testing.T) {
	const csp = "default-src 'self'; form-action 'self'; frame-ancestors 'none'"
	for in, want := range map[string]string{
		"https://shop.example/done?x=1":  "default-src 'self'; form-action 'self' https://shop.example; frame-ancestors 'none'",
		"http://127.0.0.1:8080/back":     "default-src 'self'; form-action 'self' http://127.0.0.1:8080; frame-ancestors 'none'",
		"http://[::1]:3000/back":         "default-src 'self'; form-action 'self' http://[::1]:3000; frame-ancestors 'none'",
		"https://shop.example;evil/x":    csp,
		"https://shop.example%20*/x":     csp,
		"javascript:alert(1)":            csp,
		"":                               csp,
		"https://xn--kpi-0na.example/ok": "default-src 'self'; form-action 'self' https://xn--kpi-0na.example; frame-ancestors 'none'",
	} {
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Security-Policy", csp)
		allowFormsTo(rec, in)
		if got := rec.Header().Get("Content-Security-Policy"); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
