package web

import (
	"net/http"
	"strings"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/notify"
)

// appRoutes are the wallet web app's pages beyond login and home: sign-up, recovery, history
// and the money forms. Each needs the services it calls.
func (s *Site) appRoutes() []front.Route {
	if s.o.Services.Identity == nil {
		return nil
	}
	rs := []front.Route{
		{Pattern: "GET /register", Page: true, Handler: s.handle(s.registerPage)},
		{Pattern: "POST /register", Page: true, Handler: s.handle(s.register)},
		{Pattern: "GET /register/verify", Page: true, Handler: s.signedIn(s.verifyPage)},
		{Pattern: "POST /register/verify", Page: true, Handler: s.signedIn(s.verifyPhone)},
		{Pattern: "POST /register/verify/resend", Page: true, Handler: s.signedIn(s.resendCode)},
		{Pattern: "GET /register/pin", Page: true, Handler: s.signedIn(s.pinPage)},
		{Pattern: "POST /register/pin", Page: true, Handler: s.signedIn(s.setPIN)},
		{Pattern: "GET /recover", Page: true, Handler: s.handle(s.recoverPage)},
		{Pattern: "POST /recover", Page: true, Handler: s.handle(s.recover)},
	}
	rs = append(rs, s.securityRoutes()...)
	rs = append(rs, s.notificationRoutes()...)
	if s.o.Services.Wallet != nil {
		rs = append(rs, s.historyRoutes()...)
		rs = append(rs, s.moneyRoutes()...)
		rs = append(rs, s.fxRoutes()...)
		rs = append(rs, s.refundRoutes()...)
	}
	return rs
}

// registerForm is what the sign-up page shows and posts back (never the password).
type registerForm struct {
	Phone, Email, DisplayName string
}

func (s *Site) registerPage(w http.ResponseWriter, r *http.Request, v *View) {
	if v.User != nil {
		http.Redirect(w, r, "/app", http.StatusSeeOther)
		return
	}
	v.Data = registerForm{}
	s.render(w, r, 0, "register", v)
}

// register creates the account, logs it in on this browser (a first login trusts its device)
// and asks for the code sent to the phone.
func (s *Site) register(w http.ResponseWriter, r *http.Request, v *View) {
	f := registerForm{Phone: strings.TrimSpace(r.PostFormValue("phone")), Email: strings.TrimSpace(r.PostFormValue("email")),
		DisplayName: r.PostFormValue("display_name")}
	v.Data = f
	password := r.PostFormValue("password")
	id := s.o.Services.Identity
	u, err := id.Register(r.Context(), identity.RegisterInput{Phone: f.Phone, Email: f.Email, Password: password,
		DisplayName: f.DisplayName, Locale: v.Lang.String(), IP: front.ClientIP(r)})
	if err != nil {
		s.fail(w, r, "register", v, err)
		return
	}
	sess, _, err := id.Login(r.Context(), identity.LoginInput{Login: u.Email, Password: password, DeviceID: deviceID(w, r),
		IP: front.ClientIP(r), UserAgent: r.UserAgent()})
	if err != nil { // the account exists: the login page says what stands in the way
		s.log.Warn("login after sign-up failed", "user", u.ID, "err", err)
		http.Redirect(w, r, "/login?next=%2Fregister%2Fverify", http.StatusSeeOther)
		return
	}
	startSession(w, r, sess.Token, sess.ExpiresAt)
	http.Redirect(w, r, "/register/verify", http.StatusSeeOther)
}

// verifyData is the phone-code step.
type verifyData struct {
	Phone string
}

func (s *Site) verifyPage(w http.ResponseWriter, r *http.Request, v *View) {
	if v.User.PhoneVerified {
		http.Redirect(w, r, "/register/pin", http.StatusSeeOther)
		return
	}
	if r.URL.Query().Get("done") == "resent" {
		v.Notice = v.T("wallet.verify.resent")
	}
	v.Data = verifyData{Phone: v.User.Phone}
	s.render(w, r, 0, "verify", v)
}

func (s *Site) verifyPhone(w http.ResponseWriter, r *http.Request, v *View) {
	v.Data = verifyData{Phone: v.User.Phone}
	if err := s.o.Services.Identity.Verify(r.Context(), v.User.ID, notify.SMS, strings.TrimSpace(r.PostFormValue("code")), front.ClientIP(r)); err != nil {
		s.fail(w, r, "verify", v, err)
		return
	}
	http.Redirect(w, r, "/register/pin", http.StatusSeeOther)
}

func (s *Site) resendCode(w http.ResponseWriter, r *http.Request, v *View) {
	v.Data = verifyData{Phone: v.User.Phone}
	if err := s.o.Services.Identity.SendVerification(r.Context(), v.User.ID, notify.SMS, front.ClientIP(r)); err != nil {
		s.fail(w, r, "verify", v, err)
		return
	}
	http.Redirect(w, r, "/register/verify?done=resent", http.StatusSeeOther)
}

func (s *Site) pinPage(w http.ResponseWriter, r *http.Request, v *View) {
	st, err := s.o.Services.Identity.PINState(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	if st.Set {
		http.Redirect(w, r, "/app", http.StatusSeeOther)
		return
	}
	s.render(w, r, 0, "pin", v)
}

// setPIN sets the payment PIN; the password is asked again, as the API does, so that a
// session alone cannot choose it.
func (s *Site) setPIN(w http.ResponseWriter, r *http.Request, v *View) {
	pin := r.PostFormValue("pin")
	if pin != r.PostFormValue("pin_again") {
		v.Problem = &Explanation{Status: http.StatusUnprocessableEntity, Code: "invalid_request", Title: v.T("wallet.pin.mismatch")}
		s.render(w, r, http.StatusUnprocessableEntity, "pin", v)
		return
	}
	err := s.o.Services.Identity.SetPIN(r.Context(), identity.SetPINInput{UserID: v.User.ID, PIN: pin,
		Password: r.PostFormValue("password"), IP: front.ClientIP(r)})
	if err != nil {
		s.fail(w, r, "pin", v, err)
		return
	}
	http.Redirect(w, r, "/app?done=pin", http.StatusSeeOther)
}

// recoverData is the step of /recover being shown: "" (ask for a code), "code" (type it in),
// "password" (choose a new one) or "done".
type recoverData struct {
	Step    string
	Login   string
	Channel string
	Token   string // the reset token, between the code and the new password
}

func (s *Site) recoverPage(w http.ResponseWriter, r *http.Request, v *View) {
	d := recoverData{Login: r.URL.Query().Get("login"), Channel: notify.SMS}
	if r.URL.Query().Get("done") == "reset" {
		d.Step = "done"
	}
	v.Data = d
	s.render(w, r, 0, "recover", v)
}

// recover runs one step of account recovery. The answer to a request for a code is the same
// whether the account exists (no account enumeration); a wrong code, a weak or reused
// password are shown with the API's words, on the same step.
func (s *Site) recover(w http.ResponseWriter, r *http.Request, v *View) {
	id := s.o.Services.Identity
	d := recoverData{Login: strings.TrimSpace(r.PostFormValue("login")), Channel: r.PostFormValue("channel")}
	if d.Channel != notify.Email {
		d.Channel = notify.SMS
	}
	v.Data = &d
	switch r.PostFormValue("step") {
	case "code":
		d.Step = "code"
		tok, err := id.VerifyRecovery(r.Context(), identity.RecoveryVerify{Login: d.Login, Code: strings.TrimSpace(r.PostFormValue("code")), IP: front.ClientIP(r)})
		if err != nil {
			s.fail(w, r, "recover", v, err)
			return
		}
		d.Step, d.Token = "password", tok
		s.render(w, r, 0, "recover", v)
	case "password":
		d.Step, d.Token = "password", r.PostFormValue("token")
		if p := r.PostFormValue("password"); p != r.PostFormValue("password_again") {
			v.Problem = &Explanation{Status: http.StatusUnprocessableEntity, Code: "invalid_request", Title: v.T("wallet.password.mismatch")}
			s.render(w, r, http.StatusUnprocessableEntity, "recover", v)
			return
		}
		err := id.ResetPassword(r.Context(), identity.PasswordReset{Token: d.Token, NewPassword: r.PostFormValue("password"), IP: front.ClientIP(r)})
		if err != nil {
			s.fail(w, r, "recover", v, err)
			return
		}
		http.Redirect(w, r, "/recover?done=reset", http.StatusSeeOther)
	default:
		if err := id.RequestRecovery(r.Context(), identity.RecoveryRequest{Login: d.Login, Channel: d.Channel, IP: front.ClientIP(r)}); err != nil {
			s.fail(w, r, "recover", v, err)
			return
		}
		d.Step = "code"
		s.render(w, r, 0, "recover", v)
	}
}
