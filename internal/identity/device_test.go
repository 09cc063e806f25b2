package identity

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/notify"
)

func TestNetworkOf(t *testing.T) {
	for ip, want := range map[string]string{
		"203.0.113.7":      "203.0.0.0/16",
		"203.0.200.1":      "203.0.0.0/16",
		"::ffff:10.1.2.3":  "10.1.0.0/16",
		"2001:db8:1:2::1":  "2001:db8::/32",
		"":                 "",
		"not an address":   "",
		"203.0.113.7:8080": "",
	} {
		if got := networkOf(ip); got != want {
			t.Errorf("networkOf(%q) = %q, want %q", ip, got, want)
		}
	}
}

// TestNewDeviceChallenge: the first login trusts its device; a login from another device is
// challenged with a code by SMS; with the code it passes, the device becomes known, and the
// user is told of the new device.
func TestNewDeviceChallenge(t *testing.T) {
	f, rec := newTwoFactorFixture(t)
	ctx := context.Background()
	u := f.register(t, 1)
	if err := f.s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	rec.sent = nil // the registration's verification codes
	rec.mu.Unlock()
	if _, _, err := f.loginWith("phone-1", "203.0.113.7", ""); err != nil {
		t.Fatalf("first login: %v", err)
	}
	if _, _, err := f.loginWith("phone-1", "203.0.50.1", ""); err != nil { // same device, same /16
		t.Fatalf("known device: %v", err)
	}
	if len(rec.sent) != 0 {
		t.Fatalf("messages for known logins: %+v", rec.sent)
	}

	_, _, err := f.loginWith("laptop-9", "203.0.113.7", "")
	fe := wantMethods(t, err, "sms", "email")
	if fe.Fields["code_sent"] != "sms" {
		t.Fatalf("code_sent %v", fe.Fields["code_sent"])
	}
	m, code := rec.lastCode(t)
	if m.Channel != notify.SMS || m.To != u.Phone || !strings.Contains(m.Text, "Dompet") {
		t.Fatalf("code message %+v", m)
	}
	// Asking again within a minute sends nothing new; the code stays good.
	_, _, err = f.loginWith("laptop-9", "203.0.113.7", "")
	if fe := wantMethods(t, err, "sms", "email"); fe.Fields["code_sent"] != nil {
		t.Fatal("a second code within a minute")
	}
	if len(rec.ofKind("login_code")) != 1 {
		t.Fatal("two codes sent")
	}
	_, _, err = f.loginWith("laptop-9", "203.0.113.7", otherCode(code))
	wantCode(t, err, "invalid_code")
	if len(rec.ofKind(alertNewDevice)) != 0 {
		t.Fatal("new device alert before the login passed")
	}
	if _, _, err := f.loginWith("laptop-9", "203.0.113.7", code); err != nil {
		t.Fatalf("login with the SMS code: %v", err)
	}
	alerts := rec.ofKind(alertNewDevice)
	if len(alerts) != 1 || alerts[0].To != u.Email || !strings.Contains(alerts[0].Text, "test-agent") {
		t.Fatalf("new device alerts %+v", alerts)
	}
	// The device is known now; the code is spent.
	if _, _, err := f.loginWith("laptop-9", "203.0.113.7", ""); err != nil {
		t.Fatalf("the device is not known after passing: %v", err)
	}
	_, _, err = f.loginWith("tablet-2", "203.0.113.7", code)
	wantCode(t, err, "invalid_code")

	devs, err := f.s.Devices(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range devs {
		ids = append(ids, d.DeviceID)
	}
	if strings.Join(ids, ",") != "laptop-9,phone-1" || devs[0].LastIP != "203.0.113.7" || devs[0].UserAgent != "test-agent" {
		t.Fatalf("devices %+v", devs)
	}
	evs, _ := f.s.SecurityEvents(ctx, u.ID, 100)
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.Kind]++
	}
	if kinds[EventNewDevice] != 1 || kinds[EventLoginChallenged] < 2 || kinds[EventSecondFactorFailed] != 2 {
		t.Fatalf("events %v", kinds)
	}
}

func TestNewNetworkAndMissingDeviceAreChallenged(t *testing.T) {
	f, rec := newTwoFactorFixture(t)
	u := f.register(t, 1)
	if _, _, err := f.loginWith("phone-1", "203.0.113.7", ""); err != nil {
		t.Fatal(err)
	}
	// A known device from a network never seen.
	_, _, err := f.loginWith("phone-1", "198.51.100.4", "")
	wantMethods(t, err, "sms", "email")
	_, code := rec.lastCode(t)
	if _, _, err := f.loginWith("phone-1", "198.51.100.4", code); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.loginWith("phone-1", "198.51.7.7", ""); err != nil {
		t.Fatalf("the network is not known after passing: %v", err)
	}
	// No device_id counts as unseen, every time.
	for range 2 {
		f.clock.Advance(2 * time.Minute)
		_, _, err := f.loginWith("", "203.0.113.7", "")
		wantMethods(t, err, "sms", "email")
		_, code := rec.lastCode(t)
		if _, _, err := f.loginWith("", "203.0.113.7", code); err != nil {
			t.Fatal(err)
		}
	}
	// The client may ask for the code by email instead.
	f.clock.Advance(2 * time.Minute)
	_, _, err = f.s.Login(context.Background(), LoginInput{Login: u.Email, Password: goodPassword, DeviceID: "new", IP: "203.0.113.7", OTPMethod: "email"})
	if fe := wantMethods(t, err, "sms", "email"); fe.Fields["code_sent"] != "email" {
		t.Fatalf("code_sent %v", fe.Fields["code_sent"])
	}
	m, _ := rec.lastCode(t)
	if m.Channel != notify.Email || m.To != u.Email || m.Subject == "" {
		t.Fatalf("email code %+v", m)
	}
	_, _, err = f.s.Login(context.Background(), LoginInput{Login: u.Email, Password: goodPassword, DeviceID: "new", IP: "203.0.113.7", OTPMethod: "pigeon"})
	wantCode(t, err, "invalid_request")
}

func TestLoginCodeExpiresAndRunsOutOfTries(t *testing.T) {
	f, rec := newTwoFactorFixture(t)
	ctx := context.Background()
	if _, _, err := f.loginWith("phone-1", "203.0.113.7", ""); err == nil {
		t.Fatal("login of a user that does not exist")
	}
	u := f.register(t, 1)
	if _, _, err := f.loginWith("phone-1", "203.0.113.7", ""); err != nil {
		t.Fatal(err)
	}
	_, _, _ = f.loginWith("new-1", "203.0.113.7", "")
	_, code := rec.lastCode(t)
	f.clock.Advance(loginCodeTTL + time.Second)
	_, _, err := f.loginWith("new-1", "203.0.113.7", code)
	wantCode(t, err, "invalid_code")

	// A fresh code dies at its 5th wrong try: the right one does nothing after that.
	f.clock.Advance(codeWindowShort) // out of the wrong-code throttle's window
	_, _, _ = f.loginWith("new-1", "203.0.113.7", "")
	_, code = rec.lastCode(t)
	for range loginCodeTries {
		_, _, err := f.loginWith("new-1", "203.0.113.7", otherCode(code))
		wantCode(t, err, "invalid_code")
	}
	if got, err := f.s.spendLoginCode(ctx, u.ID, code, f.clock.Now()); got != "" || err != nil {
		t.Fatalf("the right code after its last try: %q %v", got, err)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM login_codes WHERE user_id = ? AND used_at IS NULL", u.ID); n != 0 {
		t.Fatalf("%d live codes", n)
	}
	// The wrong-code throttle holds the next attempt back, whatever the code.
	_, _, err = f.loginWith("new-1", "203.0.113.7", code)
	wantCode(t, err, "rate_limited")
}

func TestRevokeDevice(t *testing.T) {
	f, rec := newTwoFactorFixture(t)
	ctx := context.Background()
	u := f.register(t, 1)
	other := f.register(t, 2)
	a, _, err := f.loginWith("phone-1", "203.0.113.7", "")
	if err != nil {
		t.Fatal(err)
	}
	_, _, _ = f.loginWith("laptop-1", "203.0.113.7", "")
	_, code := rec.lastCode(t)
	b, _, err := f.loginWith("laptop-1", "203.0.113.7", code)
	if err != nil {
		t.Fatal(err)
	}
	devs, _ := f.s.Devices(ctx, u.ID)
	var laptop Device
	for _, d := range devs {
		if d.DeviceID == "laptop-1" {
			laptop = d
		}
	}
	if laptop.ID == "" || !strings.HasPrefix(laptop.ID, "dev_") {
		t.Fatalf("devices %+v", devs)
	}
	wantCode(t, f.s.RevokeDevice(ctx, other.ID, laptop.ID), "not_found")
	if err := f.s.RevokeDevice(ctx, u.ID, laptop.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.s.RevokeDevice(ctx, u.ID, laptop.ID), "not_found")
	if _, err := f.s.Authenticate(ctx, b.Token); err == nil {
		t.Fatal("the revoked device's session still works")
	}
	if _, err := f.s.Authenticate(ctx, a.Token); err != nil {
		t.Fatalf("another device's session died: %v", err)
	}
	f.clock.Advance(2 * time.Minute)
	_, _, err = f.loginWith("laptop-1", "203.0.113.7", "")
	wantMethods(t, err, "sms", "email") // forgotten: challenged again
}

// otherCode is a 6-digit code other than code.
func otherCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// Concurrent wrong guesses share the code's tries: however many race, the count stops at
// loginCodeTries and the right code is dead after them. (That a guess claims its try before
// the comparison, so that no more than loginCodeTries comparisons ever happen, is in the code;
// a test cannot order the racing goroutines to show it.)
func TestLoginCodeTriesHoldUnderConcurrentGuesses(t *testing.T) {
	f, rec := newTwoFactorFixture(t)
	ctx := context.Background()
	u := f.register(t, 1)
	if _, _, err := f.loginWith("phone-1", "203.0.113.7", ""); err != nil {
		t.Fatal(err)
	}
	_, _, _ = f.loginWith("new-1", "203.0.113.7", "")
	_, code := rec.lastCode(t)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, err := f.s.spendLoginCode(ctx, u.ID, otherCode(code), f.clock.Now()); got != "" || err != nil {
				t.Errorf("a wrong code: %q %v", got, err)
			}
		}()
	}
	wg.Wait()
	if n := f.count(t, "SELECT MAX(attempts) FROM login_codes WHERE user_id = ?", u.ID); n != loginCodeTries {
		t.Fatalf("%d tries counted, want %d", n, loginCodeTries)
	}
	if got, err := f.s.spendLoginCode(ctx, u.ID, code, f.clock.Now()); got != "" || err != nil {
		t.Fatalf("the right code after the racing guesses: %q %v", got, err)
	}
}
