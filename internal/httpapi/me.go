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
	Description: "`status` is `locked` while a lock after wrong passwords runs; `pin` tells whether a " +
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
	Description: "Once set, payments, transfers, withdrawals and remittances need `pin` " +
		"(`422 invalid_pin`, reason `pin_required`, when missing); 5 wrong PINs lock payments " +
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
