package httpapi

import (
	"net/http"

	"github.com/dompet/dompet/internal/identity"
)

// Two-factor (TOTP with recovery codes) and the devices a user logged in from.

func (s *Server) enrollTOTP(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	en, err := s.identity.EnrollTOTP(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, en)
}

var enrollTOTPDoc = operation{
	Summary: "Start turning on two-factor: a new TOTP secret",
	Description: "Answers a fresh secret and its `otpauth://` URL (the QR code's content) for any " +
		"authenticator app (RFC 6238, SHA-1, 6 digits, 30 s). Nothing changes until " +
		"`POST /api/v1/me/two-factor/totp/confirm`; enrolling again replaces an unconfirmed secret.",
	Tag:      "me",
	Response: identity.TOTPEnrollment{},
	Errors:   []string{"invalid_state"},
}

type confirmTOTPRequest struct {
	Code string `json:"code" doc:"the 6-digit code the authenticator app shows now"`
}

type recoveryCodesResponse struct {
	RecoveryCodes []string `json:"recovery_codes" doc:"ten one-time codes for when the phone is lost, shown once; each logs in once in place of a TOTP code"`
}

func (s *Server) confirmTOTP(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	var req confirmTOTPRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	codes, err := s.identity.ConfirmTOTP(r.Context(), p.User.ID, req.Code)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, recoveryCodesResponse{RecoveryCodes: codes})
}

var confirmTOTPDoc = operation{
	Summary: "Turn two-factor on with a first TOTP code",
	Description: "The code is spent: it can't be used to log in afterwards. From now on a login needs " +
		"`otp`: a TOTP code, a recovery code, or a code sent by SMS or email (`otp_method`).",
	Tag:      "me",
	Request:  confirmTOTPRequest{},
	Response: recoveryCodesResponse{},
	Errors:   []string{"invalid_code", "invalid_state"},
}

type disableTwoFactorRequest struct {
	Password string `json:"password"`
	Code     string `json:"code" doc:"a current TOTP code or an unused recovery code"`
}

func (s *Server) disableTwoFactor(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	var req disableTwoFactorRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.identity.DisableTwoFactor(r.Context(), p.User.ID, req.Password, req.Code); err != nil {
		return err
	}
	return noContent(w)
}

var disableTwoFactorDoc = operation{
	Summary:     "Turn two-factor off",
	Description: "Needs the password and a current code, so that a stolen session alone can't remove the second factor.",
	Tag:         "me",
	Request:     disableTwoFactorRequest{},
	Status:      http.StatusNoContent,
	Errors:      []string{"invalid_credentials", "invalid_code", "invalid_state", "rate_limited"},
}

func (s *Server) devices(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	list, err := s.identity.Devices(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(list, ""))
}

var devicesDoc = operation{
	Summary: "The devices the user logged in from",
	Description: "A login from a device (`device_id`) or a network not in this list is challenged with a " +
		"one-time code, and the user is told of it.",
	Tag:      "me",
	Response: page[identity.Device]{},
}

func (s *Server) revokeDevice(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	if err := s.identity.RevokeDevice(r.Context(), p.User.ID, r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}

var revokeDeviceDoc = operation{
	Summary:     "Forget a device and end its sessions",
	Description: "Its next login is challenged again.",
	Tag:         "me",
	Status:      http.StatusNoContent,
}
