package identity

import (
	"errors"
	"testing"
	"time"
)

// TestThrottle: a user's budget and an address's budget are spent together; a refusal
// spends neither; an IPv6 client is counted by its /64.
func TestThrottle(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	th := NewThrottle(RateLimit{Every: time.Minute, Burst: 2}, RateLimit{Every: time.Minute, Burst: 3})
	th.now = func() time.Time { return now }
	for i, tt := range []struct {
		user, ip string
		ok       bool
	}{
		{"usr_a", "203.0.113.7", true},
		{"usr_a", "203.0.113.7", true},
		{"usr_a", "203.0.113.7", false}, // a's budget
		{"usr_b", "203.0.113.7", true},  // the refusal above spent nothing of the address
		{"usr_c", "203.0.113.7", false}, // the address's budget
		{"usr_c", "2001:db8::1", true},
		{"usr_d", "2001:db8::2", true},
		{"usr_e", "2001:db8::ffff", true},
		{"usr_f", "2001:db8:0:0:1::1", false}, // same /64
		{"usr_f", "2001:db8:0:1::1", true},    // another /64
	} {
		err := th.Take(tt.user, tt.ip)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrRateLimited)) {
			t.Errorf("%d: Take(%s, %s) = %v, want ok=%v", i, tt.user, tt.ip, err, tt.ok)
		}
	}
	now = now.Add(time.Minute)
	if err := th.Take("usr_a", "203.0.113.7"); err != nil {
		t.Errorf("after a minute: %v", err)
	}
}
