package httpapi

import (
	"net/http"
	"time"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/identity"
)

type registerRequest struct {
	Phone       string `json:"phone" doc:"E.164 (+6281234567890), or a local number read in DOMPET_DEFAULT_COUNTRY (default ID: 081234567890 becomes +6281234567890)"`
	Email       string `json:"email"`
	Password    string `json:"password" doc:"at least 10 characters with letters, digits and a symbol; not a common password"`
	DisplayName string `json:"display_name"`
	Locale      string `json:"locale,omitempty"`
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	var req registerRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	u, err := s.identity.Register(r.Context(), identity.RegisterInput{
		Phone: req.Phone, Email: req.Email, Password: req.Password, DisplayName: req.DisplayName, Locale: req.Locale,
		IP: clientIP(r)})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, u)
}

var registerDoc = operation{
	Summary: "Register a wallet user",
	Tag:     "auth",
	Description: "Sends a 6-digit code by SMS to the phone and one by email to the email (valid 10 " +
		"minutes), to be typed in at `POST /api/v1/me/phone/verify` and `/me/email/verify`. Until " +
		"the phone is verified, outgoing money operations answer `403 phone_unverified`.",
	Request: registerRequest{},
	RequestExample: map[string]any{"phone": "+6281234567890", "email": "siti@example.com",
		"password": "Kopi-Susu-42-Gula", "display_name": "Siti Rahma", "locale": "en"},
	Status:   http.StatusCreated,
	Response: identity.User{},
	Errors:   []string{"already_exists", "weak_password"},
}

type loginRequest struct {
	Login    string `json:"login" doc:"phone (E.164, or a local number) or email"`
	Password string `json:"password"`
	OTP      string `json:"otp,omitempty" doc:"second factor: a TOTP code, a recovery code, or the code sent by SMS or email"`
	DeviceID string `json:"device_id,omitempty" doc:"a stable id the app generates once per install"`
	// OTPMethod asks for a code to be sent when the login needs one (see second_factor_required).
	OTPMethod string `json:"otp_method,omitempty" doc:"send the one-time code this way (two-factor users; new devices get an SMS unasked)"`
}

type loginResponse struct {
	Token     string           `json:"token"`
	ExpiresAt time.Time        `json:"expires_at"`
	User      identity.Profile `json:"user"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	sess, u, err := s.identity.Login(r.Context(), identity.LoginInput{
		Login: req.Login, Password: req.Password, DeviceID: req.DeviceID, IP: clientIP(r), UserAgent: r.UserAgent(),
		OTP: req.OTP, OTPMethod: req.OTPMethod})
	if err != nil {
		return err
	}
	prof, err := s.identity.Profile(r.Context(), u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, loginResponse{Token: sess.Token, ExpiresAt: sess.ExpiresAt, User: prof})
}

var loginDoc = operation{
	Summary:        "Log in with a password",
	RequestExample: map[string]any{"login": "+6281234567890", "password": "Kopi-Susu-42-Gula", "device_id": "a1b2c3d4-phone"},
	Description: "A user with two-factor on, or logging in from a `device_id` or a network the account has " +
		"not used before (the first login trusts its device), gets `401 second_factor_required` with " +
		"`methods`; a new device or network gets a code by SMS unasked (`code_sent`), a two-factor user " +
		"may ask for one with `otp_method`. The client repeats the call with `otp`. A wrong, expired or " +
		"used code answers `401 invalid_code`; too many wrong codes `429 rate_limited`.",
	Tag:      "auth",
	Request:  loginRequest{},
	Response: loginResponse{},
	Errors:   []string{"invalid_credentials", "account_locked", "second_factor_required", "invalid_code", "rate_limited"},
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	if err := s.identity.Logout(r.Context(), p.SessionID); err != nil {
		return err
	}
	return noContent(w)
}

var logoutDoc = operation{Summary: "Log out (end this session)", Tag: "auth", Status: http.StatusNoContent}

func (s *Server) sessions(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	list, err := s.identity.Sessions(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(list, ""))
}

var sessionsDoc = operation{Summary: "The user's active sessions", Tag: "me", Response: page[identity.Session]{}}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	if err := s.identity.RevokeSession(r.Context(), p.User.ID, r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}

var revokeSessionDoc = operation{Summary: "End one of the user's sessions", Tag: "me", Status: http.StatusNoContent}

func (s *Server) securityEvents(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	limit, _, err := pageParams(r)
	if err != nil {
		return err
	}
	list, err := s.identity.SecurityEvents(r.Context(), p.User.ID, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(list, ""))
}

var securityEventsDoc = operation{Summary: "Logins, new devices, lockouts and password changes", Tag: "me",
	Query: []param{{Name: "limit", Type: "integer"}}, Response: page[identity.SecurityEvent]{}}

// clientIP is the client's address: the peer, or behind a trusted proxy
// (DOMPET_TRUSTED_PROXIES) the address it forwarded for (see front.ClientIP).
func clientIP(r *http.Request) string { return front.ClientIP(r) }
