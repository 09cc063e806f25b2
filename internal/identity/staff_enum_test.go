package identity

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/fault"
)

// A staff email that names nobody answers wrong passwords exactly as a staff member's does
// (attempts_remaining counting down, then account_locked at the same precision), or one
// request tells which emails are staff.
func TestUnknownStaffEmailLooksLikeStaff(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	st, _, _ := f.createStaff(t, "sari@dompet.example", RoleAdmin)
	f.clock.Advance(123_456_789 * time.Nanosecond)
	var got []string
	for _, email := range []string{st.Email, "ghost@dompet.example"} {
		var seq []string
		for range 6 {
			f.clock.Advance(time.Second)
			_, _, err := f.s.StaffLogin(ctx, StaffLoginInput{Email: email, Password: "Wrong-Pass-1!", IP: "203.0.113.9"})
			fe, _ := fault.As(err)
			until, _ := fe.Fields["locked_until"].(time.Time)
			seq = append(seq, fmt.Sprintf("%s:%v:%v", fe.Code, fe.Fields["attempts_remaining"], until.Equal(until.Truncate(time.Microsecond))))
		}
		got = append(got, strings.Join(seq, " "))
	}
	if got[0] != got[1] {
		t.Fatalf("staff:   %s\nunknown: %s", got[0], got[1])
	}
}
