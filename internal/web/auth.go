package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/identity"
)

// deviceCookie names this browser to the account's device list, so that a second login from
// it is not a new device (which would ask for an SMS code every time).
const deviceCookie = "dompet_device"

func (s *Site) authRoutes() []front.Route {
	return []front.Route{
		{Pattern: "GET /login", Page: true, Handler: s.handle(s.loginPage)},
		{Pattern: "POST /login", Page: true, Handler: s.handle(s.login)},
		{Pattern: "POST /logout", Page: true, Handler: s.handle(s.logout)},
	}
}

// loginForm is what the login page shows and posts back.
type loginForm struct {
	Login    string
	Password string // only carried to the second-factor step, in a hidden field
	Next     string
	Methods  []string // second factor: the ways a code can be given ("totp", "sms", …)
	CodeSent string   // second factor: where a code was sent unasked
	Step     string   // "" (password) or "otp"
}

func (s *Site) loginPage(w http.ResponseWriter, r *http.Request, v *View) {
	if v.User != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	v.Data = loginForm{Next: safeNext(r.URL.Query().Get("next"))}
	s.render(w, r, 0, "login", v)
}

// login checks the password (and the second factor when asked for) and starts the session.
// Every refusal re-renders the form with the API's own words: attempts left, the lock and
// its way out, the second factor.
func (s *Site) login(w http.ResponseWriter, r *http.Request, v *View) {
	f := loginForm{Login: r.PostFormValue("login"), Next: safeNext(r.PostFormValue("next"))}
	sess, _, err := s.o.Services.Identity.Login(r.Context(), identity.LoginInput{
		Login: f.Login, Password: r.PostFormValue("password"), DeviceID: deviceID(w, r),
		IP: front.ClientIP(r), UserAgent: r.UserAgent(),
		OTP: r.PostFormValue("otp"), OTPMethod: r.PostFormValue("otp_method")})
	if err != nil {
		e := s.explain(err, v.Lang)
		if e.Code == "second_factor_required" || (e.Code == "invalid_code" && r.PostFormValue("otp") != "") {
			f.Step, f.Password = "otp", r.PostFormValue("password")
			f.Methods = stringsOf(e.Fields["methods"])
			if cs, ok := e.Fields["code_sent"].(string); ok {
				f.CodeSent = cs
			}
		}
		v.Data = f
		v.Problem = &e
		s.render(w, r, e.Status, "login", v)
		return
	}
	startSession(w, r, sess.Token, sess.ExpiresAt)
	http.Redirect(w, r, f.Next, http.StatusSeeOther)
}

func (s *Site) logout(w http.ResponseWriter, r *http.Request, v *View) {
	if v.Session != "" {
		if err := s.o.Services.Identity.Logout(r.Context(), v.Session); err != nil {
			s.log.Warn("logout failed", "err", err)
		}
	}
	endSession(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// deviceID is this browser's device id, made on its first login.
func deviceID(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(deviceCookie); err == nil && len(c.Value) == 22 {
		return c.Value
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: id, Path: "/", Expires: time.Now().AddDate(2, 0, 0),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: front.OverTLS(r)})
	return id
}

// stringsOf reads a problem field that holds a list of strings.
func stringsOf(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
