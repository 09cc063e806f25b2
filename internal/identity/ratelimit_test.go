package identity

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/fault"
)

func TestIPKey(t *testing.T) {
	for ip, want := range map[string]string{
		"203.0.113.7":                "203.0.113.7",
		"::ffff:203.0.113.7":         "203.0.113.7",
		"2001:db8:1:2:3:4:5:6":       "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff:0:1": "2001:db8:1:2::/64",
		"127.0.0.1":                  "127.0.0.1", // limited like any address (issue 6)
		"::1":                        "::/64",
		"not an address":             "not an address",
		"":                           "",
	} {
		if got := ipKey(ip); got != want {
			t.Errorf("ipKey(%q) = %q, want %q", ip, got, want)
		}
	}
}

func TestThrottleSpendsAllOrNothing(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ip := newLimiter(RateLimit{Every: time.Second, Burst: 5}, 100)
	login := newLimiter(RateLimit{Every: time.Minute, Burst: 2}, 100)
	for range 2 {
		if err := throttle(now, take{ip, "a"}, take{login, "x"}); err != nil {
			t.Fatal(err)
		}
	}
	err := throttle(now, take{ip, "a"}, take{login, "x"})
	fe, ok := fault.As(err)
	if !ok || fe.Code != "rate_limited" {
		t.Fatalf("third try: %v", err)
	}
	if d := fe.Fields["retry_after"].(time.Duration); d < 59*time.Second || d > time.Minute {
		t.Fatalf("retry_after %v, want about a minute (the login bucket's)", d)
	}
	// The refused try took nothing from the address's bucket: 3 more fit.
	for i := range 3 {
		if err := throttle(now, take{ip, "a"}, take{login, fmt.Sprint("y", i)}); err != nil {
			t.Fatalf("address bucket lost a token to a refused try: %v", err)
		}
	}
	if err := throttle(now.Add(time.Minute), take{login, "x"}); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	if err := throttle(now, take{ip, ""}); err != nil {
		t.Fatalf("empty key limited: %v", err)
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	l := newLimiter(RateLimit{Every: time.Minute, Burst: 3}, 1000)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100_000 {
		_ = throttle(now, take{l, fmt.Sprint("k", i)})
	}
	if n := l.size(); n > 1000 {
		t.Fatalf("limiter remembers %d keys, max 1000", n)
	}
	// Full buckets are forgotten first: a recent offender is remembered over them.
	l = newLimiter(RateLimit{Every: time.Minute, Burst: 1}, 10)
	_ = throttle(now, take{l, "offender"})
	later := now.Add(time.Hour)
	for i := range 9 {
		_ = throttle(now, take{l, fmt.Sprint("old", i)})
	}
	_ = throttle(later, take{l, "offender"}) // refilled by now: spends again
	if err := throttle(later, take{l, "fresh"}); err != nil {
		t.Fatal(err)
	}
	if err := throttle(later, take{l, "offender"}); fault.Code(err) != "rate_limited" {
		t.Fatalf("the offender's bucket was forgotten: %v", err)
	}
}

// Many accounts from one address are throttled by the address; one account from many
// addresses by the login.
func TestLoginLimitsSpreadGuesses(t *testing.T) {
	f, _ := newAccessFixture(t, Options{})
	ctx := context.Background()
	limited := 0
	for i := range 100 {
		_, _, err := f.s.Login(ctx, LoginInput{Login: fmt.Sprintf("user%d@example.com", i), Password: "Guess-Guess-1", IP: "198.51.100.200"})
		if fault.Code(err) == "rate_limited" {
			limited++
		}
	}
	if limited != 80 {
		t.Fatalf("%d of 100 guesses at distinct accounts from one address throttled, want 80 (burst 20)", limited)
	}
	limited = 0
	for i := range 100 {
		_, _, err := f.s.Login(ctx, LoginInput{Login: "target@example.com", Password: "Guess-Guess-1", IP: fmt.Sprintf("2001:db8:%x::1", i)})
		if fault.Code(err) == "rate_limited" {
			limited++
		}
	}
	if limited != 90 {
		t.Fatalf("%d of 100 guesses at one login from distinct addresses throttled, want 90 (burst 10)", limited)
	}
}
