package identity

import "time"

// Throttle limits one kind of request per user and per client address, with the token
// buckets of the login and recovery limits (bounded memory, IPv6 counted by /64). The wallet's
// recipient lookup uses it so that names cannot be harvested phone by phone.
type Throttle struct {
	perUser, perIP *limiter
	now            func() time.Time
}

// NewThrottle returns a Throttle with the two budgets (a zero one: 20 per 10 minutes per
// user, 60 per 10 minutes per address).
func NewThrottle(perUser, perIP RateLimit) *Throttle {
	if perUser.Every <= 0 || perUser.Burst <= 0 {
		perUser = RateLimit{Every: 30 * time.Second, Burst: 20}
	}
	if perIP.Every <= 0 || perIP.Burst <= 0 {
		perIP = RateLimit{Every: 10 * time.Second, Burst: 60}
	}
	return &Throttle{perUser: newLimiter(perUser, defaultRateLimits.MaxKeys), perIP: newLimiter(perIP, defaultRateLimits.MaxKeys), now: time.Now}
}

// Take spends one request of userID from ip, or answers ErrRateLimited (with retry_after)
// and spends nothing when either budget is empty. An empty userID or ip is not limited on
// that side.
func (t *Throttle) Take(userID, ip string) error {
	var ipk string
	if ip != "" {
		ipk = ipKey(ip)
	}
	return throttle(t.now(), take{t.perUser, userID}, take{t.perIP, ipk})
}
