package identity

import (
	"context"
	"sync"
	"testing"

	"github.com/dompet/dompet/internal/fault"
)

func TestWeakPIN(t *testing.T) {
	const phone = "+6281234987650"
	for pin, weak := range map[string]bool{
		"000000": true, "111111": true, "999999": true,
		"123456": true, "012345": true, "456789": true, "654321": true, "987654": true,
		"121212": true, "909090": true, "123123": true, "123321": true, "112233": true,
		"987650": true, // the end of the phone number
		"302918": false, "583920": false, "124578": false, "901234": false, "135790": false,
	} {
		if got := weakPIN(pin, phone); got != weak {
			t.Errorf("weakPIN(%s) = %v, want %v", pin, got, weak)
		}
	}
}

func (f *fixture) setPIN(u User, pin, password string) error {
	return f.s.SetPIN(context.Background(), SetPINInput{UserID: u.ID, PIN: pin, Password: password, IP: "192.0.2.4"})
}

func TestPINLifecycle(t *testing.T) {
	f, box := newAccessFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	const pin = "302918"

	wantFault(t, f.s.CheckPIN(ctx, u.ID, ""), "pin_required") // no PIN set: money does not go out
	wantFault(t, f.setPIN(u, "12345", goodPassword), "invalid_request")
	wantFault(t, f.setPIN(u, "12345a", goodPassword), "invalid_request")
	if fe := wantFault(t, f.setPIN(u, "123456", goodPassword), "weak_password"); fe.Fields["reason"] != "weak_pin" {
		t.Fatalf("reason %v", fe.Fields["reason"])
	}
	if fe := wantFault(t, f.setPIN(u, pin, "Wrong-Password-1"), "invalid_credentials"); fe.Fields["attempts_remaining"] != 4 {
		t.Fatalf("a wrong password for the PIN must count: %v", fe.Fields)
	}
	if err := f.setPIN(u, pin, goodPassword); err != nil {
		t.Fatalf("set: %v", err)
	}
	if got, _ := f.s.User(ctx, u.ID); got.FailedLogins != 0 {
		t.Fatalf("failed_logins %d after the right password", got.FailedLogins)
	}
	if st, _ := f.s.PINState(ctx, u.ID); st != (PINState{Set: true}) {
		t.Fatalf("state %+v", st)
	}

	if fe := wantFault(t, f.s.CheckPIN(ctx, u.ID, ""), "invalid_pin"); fe.Fields["reason"] != "pin_required" {
		t.Fatalf("missing PIN: %v", fe.Fields)
	}
	if err := f.s.CheckPIN(ctx, u.ID, pin); err != nil {
		t.Fatalf("right PIN: %v", err)
	}
	for i := 1; i <= 4; i++ {
		fe := wantFault(t, f.s.CheckPIN(ctx, u.ID, "583920"), "invalid_pin")
		if fe.Fields["attempts_remaining"] != 5-i {
			t.Fatalf("attempts_remaining %v after %d", fe.Fields["attempts_remaining"], i)
		}
	}
	// A right PIN resets the count: 5 more wrong ones are needed.
	if err := f.s.CheckPIN(ctx, u.ID, pin); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		wantFault(t, f.s.CheckPIN(ctx, u.ID, "58392"), "invalid_pin") // malformed counts as wrong
	}
	wantFault(t, f.s.CheckPIN(ctx, u.ID, "583920"), "pin_locked")
	wantFault(t, f.s.CheckPIN(ctx, u.ID, pin), "pin_locked")
	wantFault(t, f.setPIN(u, "583920", goodPassword), "pin_locked")
	if st, _ := f.s.PINState(ctx, u.ID); st != (PINState{Set: true, Locked: true}) {
		t.Fatalf("state %+v", st)
	}
	if len(box.of(f.s, KindPINLocked)) != 1 {
		t.Fatal("no pin-locked notification")
	}

	// Reset with a code sent by SMS.
	if err := f.s.RequestPINReset(ctx, u.ID, "192.0.2.4"); err != nil {
		t.Fatal(err)
	}
	code := box.code(t, f.s, KindPINResetCode)
	if ms := box.of(f.s, KindPINResetCode); ms[0].To != u.Phone {
		t.Fatalf("reset code sent to %s", ms[0].To)
	}
	reset := func(code, newPIN string) error {
		return f.s.ResetPIN(ctx, PINReset{UserID: u.ID, Code: code, NewPIN: newPIN, IP: "192.0.2.4"})
	}
	wantFault(t, reset(code, "111111"), "weak_password")
	wantFault(t, reset(wrongCode(code, 1), "583920"), "invalid_code")
	if err := reset(code, "583920"); err != nil {
		t.Fatalf("reset: %v", err)
	}
	wantFault(t, reset(code, "583920"), "invalid_code") // spent
	if err := f.s.CheckPIN(ctx, u.ID, "583920"); err != nil {
		t.Fatalf("new PIN: %v", err)
	}
	wantFault(t, f.s.CheckPIN(ctx, u.ID, pin), "invalid_pin")
	kinds := f.eventKinds(t, u.ID)
	for _, k := range []string{EventPINSet, EventPINLocked, EventPINReset, EventPINResetRequest} {
		if countKind(kinds, k) != 1 {
			t.Errorf("events %v: want one %s", kinds, k)
		}
	}
	var stored string
	if err := f.d.QueryRow(ctx, "SELECT pin_hash FROM payment_pins WHERE user_id = ?", u.ID).Scan(&stored); err != nil || len(stored) < 40 {
		t.Fatalf("pin stored as %q: %v", stored, err)
	}
}

// However many guesses arrive at once, no more than 5 are looked at before the lock.
func TestPINConcurrentGuesses(t *testing.T) {
	f, _ := newAccessFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	if err := f.setPIN(u, "302918", goodPassword); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := map[string]int{}
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := f.s.CheckPIN(ctx, u.ID, wrongCode("302918", i))
			mu.Lock()
			answers[fault.Code(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if answers["invalid_pin"] != 4 || answers["pin_locked"] != 36 {
		t.Fatalf("answers %v: want 4 invalid_pin and 36 pin_locked", answers)
	}
	if n := countKind(f.eventKinds(t, u.ID), EventPINFailed); n != 5 {
		t.Fatalf("%d wrong PINs looked at, want 5", n)
	}
}
