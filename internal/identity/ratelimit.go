package identity

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/dompet/dompet/internal/fault"
)

// ErrRateLimited is too many attempts from one address or at one login; "retry_after" says
// how long to wait (the API turns it into Retry-After).
var ErrRateLimited = fault.New("rate_limited", "too many attempts; wait and try again")

// RateLimit is a token bucket: one attempt every Every, up to Burst at once.
type RateLimit struct {
	Every time.Duration
	Burst int
}

// RateLimits are the per-process budgets of the password and code endpoints. Zero fields
// take the defaults below. They are kept in memory: with several processes behind a load
// balancer each has its own budget, which only multiplies them by the number of processes.
type RateLimits struct {
	RegisterPerIP RateLimit // registrations from one address
	LoginPerIP    RateLimit // logins from one address, whatever the account
	LoginPerLogin RateLimit // logins naming one phone or email, from any address
	// Recovery and PIN-reset requests from one address. Too many answers 429, which says
	// nothing about any account.
	RequestPerIP RateLimit
	// Codes sent to one user for requests from one network (recovery codes belong to the
	// network that asked, see recovery_code.go), on top of the 60 s between two codes. Over
	// it a request is still answered 202 and sends nothing.
	SendsPerNetwork RateLimit
	// Codes sent to one user whatever the network: bounds how many codes, hence guesses,
	// many networks together get at one account. Requests from a network the user has
	// logged in from before are not held to it, so a crowd asking in a victim's name cannot
	// withhold the victim's code; from a new network it delays it by minutes.
	SendsPerUser  RateLimit
	VerifyPerIP   RateLimit // recovery and PIN-reset code checks from one address
	VerifyPerUser RateLimit // code checks naming one login (from one network) or one user
	// MaxKeys bounds the addresses and logins each limiter remembers; zero: 50,000.
	MaxKeys int
}

// defaultRateLimits (the defaults of config's DOMPET_RATE_* settings too): 30 registrations
// at once per address, then one every 20 s; 20 logins a minute per address, with a burst of
// 20, so an office of 20 behind one router registers and logs in within a minute; 10 logins
// in a row per login, then one every 30 s.
var defaultRateLimits = RateLimits{
	RegisterPerIP:   RateLimit{Every: 20 * time.Second, Burst: 30},
	LoginPerIP:      RateLimit{Every: 3 * time.Second, Burst: 20},
	LoginPerLogin:   RateLimit{Every: 30 * time.Second, Burst: 10},
	RequestPerIP:    RateLimit{Every: 6 * time.Second, Burst: 10},
	SendsPerNetwork: RateLimit{Every: 12 * time.Minute, Burst: 5},
	SendsPerUser:    RateLimit{Every: 3 * time.Minute, Burst: 20},
	VerifyPerIP:     RateLimit{Every: 6 * time.Second, Burst: 10},
	VerifyPerUser:   RateLimit{Every: 30 * time.Second, Burst: 10},
	MaxKeys:         50_000,
}

func (r RateLimits) withDefaults() RateLimits {
	d := defaultRateLimits
	pick := func(v, def RateLimit) RateLimit {
		if v.Every <= 0 || v.Burst <= 0 {
			return def
		}
		return v
	}
	r.RegisterPerIP = pick(r.RegisterPerIP, d.RegisterPerIP)
	r.LoginPerIP = pick(r.LoginPerIP, d.LoginPerIP)
	r.LoginPerLogin = pick(r.LoginPerLogin, d.LoginPerLogin)
	r.RequestPerIP = pick(r.RequestPerIP, d.RequestPerIP)
	r.SendsPerNetwork = pick(r.SendsPerNetwork, d.SendsPerNetwork)
	r.SendsPerUser = pick(r.SendsPerUser, d.SendsPerUser)
	r.VerifyPerIP = pick(r.VerifyPerIP, d.VerifyPerIP)
	r.VerifyPerUser = pick(r.VerifyPerUser, d.VerifyPerUser)
	if r.MaxKeys <= 0 {
		r.MaxKeys = d.MaxKeys
	}
	return r
}

// limiter keeps one token bucket per key (an address, a login), in bounded memory.
type limiter struct {
	limit rate.Limit
	burst int
	max   int

	mu sync.Mutex
	m  map[string]*rate.Limiter
}

func newLimiter(r RateLimit, max int) *limiter {
	return &limiter{limit: rate.Every(r.Every), burst: r.Burst, max: max, m: map[string]*rate.Limiter{}}
}

func (l *limiter) bucket(key string, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.m[key]; ok {
		return b
	}
	if len(l.m) >= l.max {
		l.evict(now)
	}
	b := rate.NewLimiter(l.limit, l.burst)
	l.m[key] = b
	return b
}

// evict forgets buckets that have refilled (a new one would be the same). When every bucket
// is in use — a flood of distinct keys — it forgets arbitrary ones down to 90 %: the flood
// then costs its senders their own history as much as anyone's, and memory stays bounded.
func (l *limiter) evict(now time.Time) {
	for k, b := range l.m {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.m, k)
		}
	}
	for k := range l.m {
		if len(l.m) < l.max*9/10 {
			break
		}
		delete(l.m, k)
	}
}

// size is how many keys l remembers (for tests).
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

// ipKey is the bucket of a client address. IPv6 clients are counted by /64, the block one
// subscriber usually holds, so that rotating addresses within it gains nothing. Loopback is
// limited like any address: behind a reverse proxy the HTTP front gives the forwarded
// client's address (DOMPET_TRUSTED_PROXIES), so the proxy's own is no one's.
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	switch {
	case err != nil:
		return ip
	case a.Is4() || a.Is4In6():
		return a.Unmap().String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// take is one attempt against the bucket of key.
type take struct {
	l   *limiter
	key string
}

// throttle spends one token from each bucket, or none when any is empty: then it answers
// ErrRateLimited with the longest wait. An empty key is not limited (calls from inside the
// process carry no address).
func throttle(now time.Time, takes ...take) error {
	var wait time.Duration
	held := make([]*rate.Reservation, 0, len(takes))
	for _, t := range takes {
		if t.key == "" {
			continue
		}
		r := t.l.bucket(t.key, now).ReserveN(now, 1)
		held = append(held, r)
		if d := r.DelayFrom(now); d > wait {
			wait = d
		}
	}
	if wait <= 0 {
		return nil
	}
	for _, r := range held {
		r.CancelAt(now)
	}
	return ErrRateLimited.With("retry_after", wait)
}
