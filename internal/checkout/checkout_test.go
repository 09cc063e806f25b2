package checkout

import (
	"net/url"
	"testing"
	"time"
)

func TestReturnURLRules(t *testing.T) {
	long := "https://shop.example/"
	for len(long) <= maxReturnURL {
		long += "a"
	}
	for _, c := range []struct {
		url             string
		sandbox, nosand bool
	}{
		{"https://shop.example/done", true, true},
		{"https://shop.example:8443/a?b=c#d", true, true},
		{"http://localhost:3000/done", true, false},
		{"http://LOCALHOST/done", true, false},
		{"http://127.0.0.1/done", true, false},
		{"http://127.8.9.10/done", true, false},
		{"http://[::1]:8080/done", true, false},
		{"http://shop.example/done", false, false},
		{"http://10.0.0.1/done", false, false},
		{"http://localhost.evil.example/done", false, false},
		{"ftp://shop.example/done", false, false},
		{"javascript:alert(1)", false, false},
		{"data:text/html,hi", false, false},
		{"//shop.example/done", false, false},
		{"/done", false, false},
		{"https://", false, false},
		{"https://:443/", false, false},
		{"https://bank.example@evil.example/", false, false},
		{"https://user:pw@shop.example/", false, false},
		{"", false, false},
		{long, false, false},
	} {
		for _, mode := range []struct {
			sandbox bool
			want    bool
		}{{true, c.sandbox}, {false, c.nosand}} {
			s := New(Options{Sandbox: mode.sandbox})
			if _, ok := s.checkReturnURL(c.url); ok != mode.want {
				t.Errorf("sandbox=%v %.60q: accepted %v, want %v", mode.sandbox, c.url, ok, mode.want)
			}
		}
	}
}

func TestReturnURLKeepsTheMerchantsQuery(t *testing.T) {
	got := ReturnURL(Checkout{ID: "chk_1", Status: StatusSucceeded, ReturnURL: "https://shop.example/done?order=42&status=paid#top"})
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("order") != "42" || q.Get("checkout_id") != "chk_1" || q.Get("status") != "succeeded" || len(q["status"]) != 1 || u.Fragment != "top" {
		t.Errorf("ReturnURL = %s", got)
	}
}

func TestExpiredOnRead(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	s := New(Options{PublicURL: "https://pay.example/", Now: func() time.Time { return now }})
	c := s.finish(Checkout{ID: "chk_1", Status: StatusOpen, ExpiresAt: now})
	if c.Status != StatusExpired || c.URL != "https://pay.example/checkout/chk_1" {
		t.Errorf("at expires_at: %+v", c)
	}
	if c := s.finish(Checkout{Status: StatusOpen, ExpiresAt: now.Add(time.Second)}); c.Status != StatusOpen {
		t.Errorf("before expires_at: %s", c.Status)
	}
	if c := s.finish(Checkout{Status: StatusSucceeded, ExpiresAt: now.Add(-time.Hour)}); c.Status != StatusSucceeded {
		t.Errorf("a paid checkout past expiry: %s", c.Status)
	}
}
