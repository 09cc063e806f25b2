package identity

import (
	"fmt"
	"testing"
	"time"
)

// locked_until of an unknown login has the precision a stored lock has (microseconds), or
// its digits tell that no account is behind the login.
func TestPhantomLockedUntilPrecision(t *testing.T) {
	f, _ := newAccessFixture(t, Options{})
	u := f.register(t, 1)
	f.clock.Advance(123_456_789 * time.Nanosecond) // a clock with sub-microsecond digits
	for _, login := range []string{u.Email, "ghost@example.com"} {
		for range 4 {
			_ = f.wrongLogin(login, "192.0.2.77")
		}
		for range 2 { // the locking answer and a later one
			fe := wantFault(t, f.wrongLogin(login, "192.0.2.77"), "account_locked")
			until, ok := fe.Fields["locked_until"].(time.Time)
			if !ok || !until.Equal(until.Truncate(time.Microsecond)) {
				t.Errorf("%s: locked_until %v has more than microsecond precision", login, fmt.Sprint(fe.Fields["locked_until"]))
			}
		}
	}
}
