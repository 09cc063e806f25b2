package identity

import (
	"sync"
	"time"
)

// sessionCache remembers, for a few seconds, the sessions Authenticate found valid, so that
// the API's hot path does not read the store on every call. It is per process: a logout or
// revocation here drops the entries at once; one done by another process is seen here after
// at most the TTL.
//
// An epoch counter closes the race between a reader that loaded a session from the store and
// an invalidation that happened meanwhile: an entry loaded before the latest invalidation is
// not stored.
type sessionCache struct {
	ttl time.Duration
	max int

	mu        sync.RWMutex
	m         map[[32]byte]cacheEntry
	bySession map[string][32]byte
	epoch     uint64
}

type cacheEntry struct {
	user      User
	sessionID string
	scope     string
	expiresAt time.Time // of the session
	lastSeen  time.Time // last_seen_at as last written
	loadedAt  time.Time
}

func newSessionCache(ttl time.Duration, max int) *sessionCache {
	return &sessionCache{ttl: ttl, max: max, m: map[[32]byte]cacheEntry{}, bySession: map[string][32]byte{}}
}

// get returns a fresh entry for key. The entry's user shares memory with the cache: callers
// clone it before handing it out.
func (c *sessionCache) get(key [32]byte, now time.Time) (cacheEntry, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || now.Sub(e.loadedAt) >= c.ttl || now.Before(e.loadedAt) {
		return cacheEntry{}, false
	}
	return e, true
}

// currentEpoch is read before loading from the store and passed back to put.
func (c *sessionCache) currentEpoch() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.epoch
}

// put stores e unless an invalidation happened since epoch was read.
func (c *sessionCache) put(key [32]byte, e cacheEntry, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.m) >= c.max {
		for k, old := range c.m {
			if e.loadedAt.Sub(old.loadedAt) >= c.ttl {
				c.delete(k, old)
			}
		}
		if len(c.m) >= c.max {
			// All fresh: a burst of distinct sessions. Start over rather than grow.
			clear(c.m)
			clear(c.bySession)
		}
	}
	if old, ok := c.m[key]; ok {
		c.delete(key, old)
	}
	c.m[key] = e
	c.bySession[e.sessionID] = key
}

func (c *sessionCache) delete(key [32]byte, e cacheEntry) {
	delete(c.m, key)
	delete(c.bySession, e.sessionID)
}

// claimSeen reports whether the caller should write last_seen_at for key now, and if so marks
// it written, so that of many concurrent calls only one writes.
func (c *sessionCache) claimSeen(key [32]byte, now time.Time, every time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || now.Sub(e.lastSeen) < every {
		return false
	}
	e.lastSeen = now
	c.m[key] = e
	return true
}

// invalidateSession drops the entry of one session.
func (c *sessionCache) invalidateSession(sessionID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	if k, ok := c.bySession[sessionID]; ok {
		c.delete(k, c.m[k])
	}
}

// invalidateUser drops the entries of a user's sessions, but the one named by except. It
// walks the whole cache: revoking all of a user's sessions or changing the user is rare.
func (c *sessionCache) invalidateUser(userID, except string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for k, e := range c.m {
		if e.user.ID == userID && e.sessionID != except {
			c.delete(k, e)
		}
	}
}
