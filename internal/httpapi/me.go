package httpapi

import (
	"net/http"

	"github.com/dompet/dompet/internal/identity"
)

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	prof, err := s.identity.Profile(r.Context(), p.User)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, prof)
}

var meDoc = operation{
	Summary: "The logged-in user",
	Tag:     "me",
	Description: "`phone_verified` and `email_verified` tell whether the user typed in the code sent " +
		"there (money goes out only once the phone is verified); " +
		"`status` is `locked` while a lock after wrong passwords runs; `pin` tells whether a " +
		"payment PIN is set and locked; `password_change_due` is true when the password is older than " +
		"the configured maximum age (DOMPET_PASSWORD_MAX_AGE).",
	Response: identity.Profile{},
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password" doc:"at least 10 characters with letters, digits and a symbol; not a common password nor one of the last 5"`
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req changePasswordRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	err := s.identity.ChangePassword(r.Context(), identity.PasswordChange{UserID: p.User.ID, SessionID: p.SessionID,
		Current: req.CurrentPassword, New: req.NewPassword, IP: clientIP(r)})
	if err != nil {
		return err
	}
	return noContent(w)
}

var changePasswordDoc = operation{
	Summary: "Change the password",
	Tag:     "me",
	Description: "Every other session is ended; this one is kept. A wrong `current_password` counts as " +
		"a failed login (`attempts_remaining`; the 5th locks the account, `423 account_locked`).",
	Request: changePasswordRequest{},
	Status:  http.StatusNoContent,
	Errors:  []string{"invalid_credentials", "account_locked", "weak_password", "password_reused"},
}

type setPINRequest struct {
	PIN      string `json:"pin" doc:"6 digits; not one digit repeated, a run such as 123456, nor the end of the phone number"`
	Password string `json:"password" doc:"the account password"`
}

func (s *Server) setPIN(w http.ResponseWriter, r *http.Request) error {
	var req setPINRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	err := s.identity.SetPIN(r.Context(), identity.SetPINInput{UserID: p.User.ID, PIN: req.PIN, Password: req.Password, IP: clientIP(r)})
	if err != nil {
		return err
	}
	return noContent(w)
}

var setPINDoc = operation{
	Summary: "Set or change the payment PIN",
	Tag:     "me",
	Description: "Every payment, transfer, withdrawal, remittance and FX conversion needs `pin`: " +
		"without a PIN set they answer `403 pin_required`; with one, a missing `pin` is " +
		"`422 invalid_pin` with reason `pin_required`. Only wrong PINs count: 5 in a row lock payments " +
		"(`403 pin_locked`) until a reset with a code. An easy PIN is `422 weak_password` with " +
		"reason `weak_pin`. A wrong password counts as a failed login.",
	Request: setPINRequest{},
	Status:  http.StatusNoContent,
	Errors:  []string{"invalid_credentials", "account_locked", "weak_password", "pin_locked"},
}

func (s *Server) pinReset(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	if err := s.identity.RequestPINReset(r.Context(), p.User.ID, clientIP(r)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, accepted{})
}

var pinResetDoc = operation{
	Summary:     "Send a PIN reset code by SMS",
	Tag:         "me",
	Description: "A 6-digit code, valid 10 minutes, to the phone on file; not again within 60 s.",
	Status:      http.StatusAccepted,
	Response:    accepted{},
	Errors:      []string{"rate_limited"},
}

type pinResetConfirmRequest struct {
	Code   string `json:"code" doc:"the 6-digit code received by SMS"`
	NewPIN string `json:"new_pin"`
}

func (s *Server) pinResetConfirm(w http.ResponseWriter, r *http.Request) error {
	var req pinResetConfirmRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	err := s.identity.ResetPIN(r.Context(), identity.PINReset{UserID: p.User.ID, Code: req.Code, NewPIN: req.NewPIN, IP: clientIP(r)})
	if err != nil {
		return err
	}
	return noContent(w)
}

var pinResetConfirmDoc = operation{
	Summary:     "Set a new PIN with the reset code and unlock payments",
	Tag:         "me",
	Description: "After 5 wrong codes the code is void.",
	Request:     pinResetConfirmRequest{},
	Status:      http.StatusNoContent,
	Errors:      []string{"invalid_code", "weak_password", "rate_limited"},
}

type verifyRequest struct {
	Code string `json:"code" doc:"the 6-digit code sent at registration or by the resend endpoint"`
}

// verifyContact serves POST /api/v1/me/phone/verify and /me/email/verify.
func (s *Server) verifyContact(channel string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req verifyRequest
		if err := decode(r, &req); err != nil {
			return err
		}
		p, _ := userOf[identity.Principal](r)
		if err := s.identity.Verify(r.Context(), p.User.ID, channel, req.Code, clientIP(r)); err != nil {
			return err
		}
		return noContent(w)
	}
}

// resendVerification serves POST /api/v1/me/phone/verify/resend and /me/email/verify/resend.
func (s *Server) resendVerification(channel string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, _ := userOf[identity.Principal](r)
		if err := s.identity.SendVerification(r.Context(), p.User.ID, channel, clientIP(r)); err != nil {
			return err
		}
		return writeJSON(w, http.StatusAccepted, accepted{})
	}
}

var verifyPhoneDoc = operation{
	Summary: "Verify the phone with the code sent by SMS",
	Tag:     "me",
	Description: "Registration sends a 6-digit code (valid 10 minutes) to the phone. Until the phone " +
		"is verified, outgoing money operations answer `403 phone_unverified`; money can still come " +
		"in, and recovery by SMS sends nothing. A wrong code is `401 invalid_code`; after 5 wrong " +
		"codes the code is void (ask for another). A phone verified already answers 204.",
	Request: verifyRequest{},
	Status:  http.StatusNoContent,
	Errors:  []string{"invalid_code", "rate_limited"},
}

var resendPhoneDoc = operation{
	Summary:     "Send a new phone verification code",
	Tag:         "me",
	Description: "By SMS, valid 10 minutes; not more than one new code within 60 s (still 202). A phone verified already is `409 invalid_state`.",
	Status:      http.StatusAccepted,
	Response:    accepted{},
	Errors:      []string{"invalid_state", "rate_limited"},
}

var verifyEmailDoc = operation{
	Summary: "Verify the email with the code sent by email",
	Tag:     "me",
	Description: "Registration sends a 6-digit code (valid 10 minutes) to the email. Until it is " +
		"verified, recovery by email sends nothing. A wrong code is `401 invalid_code`; after 5 wrong " +
		"codes the code is void. An email verified already answers 204.",
	Request: verifyRequest{},
	Status:  http.StatusNoContent,
	Errors:  []string{"invalid_code", "rate_limited"},
}

var resendEmailDoc = operation{
	Summary:     "Send a new email verification code",
	Tag:         "me",
	Description: "By email, valid 10 minutes; not more than one new code within 60 s (still 202). An email verified already is `409 invalid_state`.",
	Status:      http.StatusAccepted,
	Response:    accepted{},
	Errors:      []string{"invalid_state", "rate_limited"},
}
