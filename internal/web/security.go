package web

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/identity"
)

// The security centre (/app/security): two-factor sign-in with an authenticator app (QR code
// drawn on the server, the secret as text too, recovery codes shown once), the sessions and
// devices signed in with a way to end each, the payment PIN (change, or reset with a code when
// locked), the password, the account's security events, and how to tell Dompet from a fake.

func (s *Site) securityRoutes() []front.Route {
	h := func(p string, f func(http.ResponseWriter, *http.Request, *View)) front.Route {
		return front.Route{Pattern: p, Page: true, Handler: s.signedIn(f)}
	}
	return []front.Route{
		h("GET /app/security", s.security),
		h("POST /app/security/totp", s.enrollTOTP),
		h("POST /app/security/totp/confirm", s.confirmTOTP),
		h("POST /app/security/totp/disable", s.disableTOTP),
		h("POST /app/security/password", s.changePassword),
		h("POST /app/security/pin", s.changePIN),
		h("POST /app/security/pin/reset-code", s.pinResetCode),
		h("POST /app/security/pin/reset", s.resetPIN),
		h("POST /app/security/sessions/{id}/revoke", s.revokeSession),
		h("POST /app/security/devices/{id}/revoke", s.revokeDevice),
	}
}

// securityData is the security centre's state, plus what one action left to show.
type securityData struct {
	Profile   identity.Profile
	Sessions  []identity.Session
	Devices   []identity.Device
	Events    []securityEvent
	Current   string // this browser's session id
	CodesLeft int
	// Enrolment in progress: the secret as text and as a QR code.
	Secret  string
	OTPAuth string
	QR      template.URL // a data: URL of the PNG
	Host    string       // this site's address, the one to check in the address bar
	// Shown once, right after two-factor is turned on.
	RecoveryCodes []string
	PINCodeSent   bool
	Section       string // the form the problem is about, to show it next to it
}

// securityEvent is an event with the catalogue key of its words.
type securityEvent struct {
	identity.SecurityEvent
	Label string
}

func (s *Site) securityData(r *http.Request, v *View) (*securityData, error) {
	id := s.o.Services.Identity
	ctx := r.Context()
	d := &securityData{Current: v.Session, Host: r.Host}
	var err error
	if d.Profile, err = id.Profile(ctx, *v.User); err != nil {
		return nil, err
	}
	if d.Sessions, err = id.Sessions(ctx, v.User.ID); err != nil {
		return nil, err
	}
	if d.Devices, err = id.Devices(ctx, v.User.ID); err != nil {
		return nil, err
	}
	evs, err := id.SecurityEvents(ctx, v.User.ID, 20)
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		label := "wallet.event." + e.Kind
		if _, ok := s.cat[front.EN][label]; !ok {
			label = "wallet.event.other"
		}
		d.Events = append(d.Events, securityEvent{SecurityEvent: e, Label: label})
	}
	if d.Profile.TwoFactor.Enabled {
		if d.CodesLeft, err = id.RecoveryCodesLeft(ctx, v.User.ID); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// securityShow renders the centre with d's extras, or err about section.
func (s *Site) securityShow(w http.ResponseWriter, r *http.Request, v *View, d *securityData, section string, err error) {
	fresh, ferr := s.securityData(r, v)
	if ferr != nil {
		s.fail(w, r, "error", v, ferr)
		return
	}
	if d != nil {
		fresh.Secret, fresh.OTPAuth, fresh.QR, fresh.RecoveryCodes, fresh.PINCodeSent = d.Secret, d.OTPAuth, d.QR, d.RecoveryCodes, d.PINCodeSent
	}
	fresh.Section = section
	v.Data = fresh
	if err != nil {
		s.failPage(w, r, v, "security", err)
		return
	}
	s.render(w, r, 0, "security", v)
}

// securityDone is the notice of ?done= after an action.
var securityDone = map[string]string{"password": "wallet.security.done.password", "pin": "wallet.security.done.pin",
	"session": "wallet.security.done.session", "device": "wallet.security.done.device", "totp_off": "wallet.security.done.totp_off"}

func (s *Site) security(w http.ResponseWriter, r *http.Request, v *View) {
	if k, ok := securityDone[r.URL.Query().Get("done")]; ok {
		v.Notice = v.T(k)
	}
	s.securityShow(w, r, v, nil, "", nil)
}

// enrollTOTP starts two-factor: a new secret, shown as a QR code and as text.
func (s *Site) enrollTOTP(w http.ResponseWriter, r *http.Request, v *View) {
	en, err := s.o.Services.Identity.EnrollTOTP(r.Context(), v.User.ID)
	if err != nil {
		s.securityShow(w, r, v, nil, "totp", err)
		return
	}
	d, err := enrolment(en.Secret, en.OTPAuthURL)
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	s.securityShow(w, r, v, d, "totp", nil)
}

// enrolment draws the otpauth URL as a QR code (PNG, in a data: URL the page CSP allows).
func enrolment(secret, otpauth string) (*securityData, error) {
	png, err := qrcode.Encode(otpauth, qrcode.Medium, 240)
	if err != nil {
		return nil, fmt.Errorf("draw the QR code: %w", err)
	}
	return &securityData{Secret: secret, OTPAuth: otpauth, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))}, nil
}

// confirmTOTP turns two-factor on with a code from the app, and shows the recovery codes once.
// A wrong code shows the same secret again (it stays the pending one).
func (s *Site) confirmTOTP(w http.ResponseWriter, r *http.Request, v *View) {
	codes, err := s.o.Services.Identity.ConfirmTOTP(r.Context(), v.User.ID, strings.TrimSpace(r.PostFormValue("code")))
	if err != nil {
		var d *securityData
		if sec, url := r.PostFormValue("secret"), r.PostFormValue("otpauth"); sec != "" && strings.HasPrefix(url, "otpauth://") {
			d, _ = enrolment(sec, url)
		}
		s.securityShow(w, r, v, d, "totp", err)
		return
	}
	if u, err := s.o.Services.Identity.User(r.Context(), v.User.ID); err == nil {
		v.User = &u
	}
	v.Notice = v.T("wallet.security.done.totp_on")
	s.securityShow(w, r, v, &securityData{RecoveryCodes: codes}, "", nil)
}

func (s *Site) disableTOTP(w http.ResponseWriter, r *http.Request, v *View) {
	err := s.o.Services.Identity.DisableTwoFactor(r.Context(), v.User.ID, r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("code")))
	if err != nil {
		s.securityShow(w, r, v, nil, "totp_off", err)
		return
	}
	http.Redirect(w, r, "/app/security?done=totp_off", http.StatusSeeOther)
}

func (s *Site) changePassword(w http.ResponseWriter, r *http.Request, v *View) {
	if r.PostFormValue("new_password") != r.PostFormValue("new_password_again") {
		s.securityShow(w, r, v, nil, "password", pageError{Explanation{Status: http.StatusUnprocessableEntity, Code: "invalid_request", Title: v.T("wallet.password.mismatch")}})
		return
	}
	err := s.o.Services.Identity.ChangePassword(r.Context(), identity.PasswordChange{UserID: v.User.ID, SessionID: v.Session,
		Current: r.PostFormValue("current_password"), New: r.PostFormValue("new_password"), IP: front.ClientIP(r)})
	if err != nil {
		s.securityShow(w, r, v, nil, "password", err)
		return
	}
	http.Redirect(w, r, "/app/security?done=password", http.StatusSeeOther)
}

func (s *Site) changePIN(w http.ResponseWriter, r *http.Request, v *View) {
	if r.PostFormValue("pin") != r.PostFormValue("pin_again") {
		s.securityShow(w, r, v, nil, "pin", pageError{Explanation{Status: http.StatusUnprocessableEntity, Code: "invalid_request", Title: v.T("wallet.pin.mismatch")}})
		return
	}
	err := s.o.Services.Identity.SetPIN(r.Context(), identity.SetPINInput{UserID: v.User.ID, PIN: r.PostFormValue("pin"),
		Password: r.PostFormValue("password"), IP: front.ClientIP(r)})
	if err != nil {
		s.securityShow(w, r, v, nil, "pin", err)
		return
	}
	http.Redirect(w, r, "/app/security?done=pin", http.StatusSeeOther)
}

// pinResetCode sends the code that resets a forgotten or locked PIN.
func (s *Site) pinResetCode(w http.ResponseWriter, r *http.Request, v *View) {
	if err := s.o.Services.Identity.RequestPINReset(r.Context(), v.User.ID, front.ClientIP(r)); err != nil {
		s.securityShow(w, r, v, nil, "pin_reset", err)
		return
	}
	s.securityShow(w, r, v, &securityData{PINCodeSent: true}, "pin_reset", nil)
}

func (s *Site) resetPIN(w http.ResponseWriter, r *http.Request, v *View) {
	if r.PostFormValue("new_pin") != r.PostFormValue("new_pin_again") {
		s.securityShow(w, r, v, &securityData{PINCodeSent: true}, "pin_reset", pageError{Explanation{Status: http.StatusUnprocessableEntity, Code: "invalid_request", Title: v.T("wallet.pin.mismatch")}})
		return
	}
	err := s.o.Services.Identity.ResetPIN(r.Context(), identity.PINReset{UserID: v.User.ID, Code: strings.TrimSpace(r.PostFormValue("code")),
		NewPIN: r.PostFormValue("new_pin"), IP: front.ClientIP(r)})
	if err != nil {
		s.securityShow(w, r, v, &securityData{PINCodeSent: true}, "pin_reset", err)
		return
	}
	http.Redirect(w, r, "/app/security?done=pin", http.StatusSeeOther)
}

func (s *Site) revokeSession(w http.ResponseWriter, r *http.Request, v *View) {
	if err := s.o.Services.Identity.RevokeSession(r.Context(), v.User.ID, r.PathValue("id")); err != nil {
		s.securityShow(w, r, v, nil, "sessions", err)
		return
	}
	if r.PathValue("id") == v.Session { // this browser's own: it is logged out
		endSession(w, r)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/app/security?done=session", http.StatusSeeOther)
}

func (s *Site) revokeDevice(w http.ResponseWriter, r *http.Request, v *View) {
	if err := s.o.Services.Identity.RevokeDevice(r.Context(), v.User.ID, r.PathValue("id")); err != nil {
		s.securityShow(w, r, v, nil, "devices", err)
		return
	}
	http.Redirect(w, r, "/app/security?done=device", http.StatusSeeOther)
}
