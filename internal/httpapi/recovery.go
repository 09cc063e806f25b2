package httpapi

import (
	"net/http"

	"github.com/dompet/dompet/internal/identity"
)

// accepted is the body of a 202: an empty object that tells nothing (no account enumeration).
type accepted struct{}

type recoveryRequest struct {
	Login   string `json:"login" doc:"phone (E.164) or email of the account"`
	Channel string `json:"channel" doc:"where the code goes: the phone or the email on file"`
}

func (s *Server) recovery(w http.ResponseWriter, r *http.Request) error {
	var req recoveryRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	err := s.identity.RequestRecovery(r.Context(), identity.RecoveryRequest{Login: req.Login, Channel: req.Channel, IP: clientIP(r)})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, accepted{})
}

var recoveryDoc = operation{
	Summary: "Ask for a recovery code (forgot password, account locked)",
	Tag:     "auth",
	Description: "Sends a 6-digit code, valid 10 minutes, to the phone or email on file, once it is " +
		"verified (an unverified one gets nothing). The answer is `202 {}` whether or not the account " +
		"exists or the phone or email is verified, and a request within 60 s of the last code sent " +
		"sends nothing new.",
	Request:  recoveryRequest{},
	Status:   http.StatusAccepted,
	Response: accepted{},
	Errors:   []string{"rate_limited"},
}

type recoveryVerifyRequest struct {
	Login string `json:"login"`
	Code  string `json:"code" doc:"the 6-digit code received"`
}

type recoveryVerifyResponse struct {
	ResetToken string `json:"reset_token" doc:"valid 15 minutes; spent only by a successful reset"`
}

func (s *Server) recoveryVerify(w http.ResponseWriter, r *http.Request) error {
	var req recoveryVerifyRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	token, err := s.identity.VerifyRecovery(r.Context(), identity.RecoveryVerify{Login: req.Login, Code: req.Code, IP: clientIP(r)})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, recoveryVerifyResponse{ResetToken: token})
}

var recoveryVerifyDoc = operation{
	Summary: "Exchange a recovery code for a reset token",
	Tag:     "auth",
	Description: "A wrong, expired or used code answers `401 invalid_code`; after 5 wrong codes the code is void, the right one included. " +
		"A code is valid only from the network (IPv4 address, IPv6 /64) that asked for it, so that nobody elsewhere can guess or void it.",
	Request:  recoveryVerifyRequest{},
	Response: recoveryVerifyResponse{},
	Errors:   []string{"invalid_code", "rate_limited"},
}

type recoveryResetRequest struct {
	ResetToken  string `json:"reset_token"`
	NewPassword string `json:"new_password" doc:"at least 10 characters with letters, digits and a symbol; not a common password nor one of the last 5"`
}

func (s *Server) recoveryReset(w http.ResponseWriter, r *http.Request) error {
	var req recoveryResetRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	err := s.identity.ResetPassword(r.Context(), identity.PasswordReset{Token: req.ResetToken, NewPassword: req.NewPassword, IP: clientIP(r)})
	if err != nil {
		return err
	}
	return noContent(w)
}

var recoveryResetDoc = operation{
	Summary: "Set a new password with a reset token",
	Tag:     "auth",
	Description: "Unlocks the account, clears the failed-login count and ends every session. A refused " +
		"password (`weak_password`, `password_reused`) leaves the token usable; an unknown, expired or " +
		"spent token answers `401 invalid_code`.",
	Request: recoveryResetRequest{},
	Status:  http.StatusNoContent,
	Errors:  []string{"invalid_code", "weak_password", "password_reused"},
}
