package httpapi

import (
	"net/http"
	"time"

	"github.com/dompet/dompet/internal/staff"
)

// Staff (agents, reviewers, supervisors, admins) log in with a password and a TOTP code,
// always; their tokens authenticate the authStaff routes only (package staff).

// staffOf returns the staff member of an authStaff request.
func staffOf(r *http.Request) (staff.Principal, bool) {
	return userOf[staff.Principal](r)
}

type agentLoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	OTP      string `json:"otp,omitempty" doc:"the TOTP code (mandatory for staff; without it the answer is 401 second_factor_required)"`
}

type agentLoginResponse struct {
	Token     string      `json:"token"`
	ExpiresAt time.Time   `json:"expires_at"`
	Agent     staff.Staff `json:"agent"`
}

func (s *Server) agentLogin(w http.ResponseWriter, r *http.Request) error {
	var req agentLoginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ss, st, err := s.staff.Login(r.Context(), staff.LoginInput{
		Email: req.Email, Password: req.Password, OTP: req.OTP, IP: clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, agentLoginResponse{Token: ss.Token, ExpiresAt: ss.ExpiresAt, Agent: st})
}

var agentLoginDoc = operation{
	Summary: "Staff login (password and TOTP)",
	Description: "Five wrong passwords or codes in a row lock the staff account for 30 minutes " +
		"(`423 account_locked`). A code is accepted once. An unknown email and the email of a " +
		"disabled member are answered exactly like a wrong password (`attempts_remaining` " +
		"counting down, then `423 account_locked`).",
	Tag:      "agent",
	Request:  agentLoginRequest{},
	Response: agentLoginResponse{},
	Errors:   []string{"invalid_credentials", "second_factor_required", "invalid_code", "account_locked", "rate_limited"},
}

func (s *Server) agentLogout(w http.ResponseWriter, r *http.Request) error {
	p, _ := staffOf(r)
	if err := s.staff.Logout(r.Context(), p, clientIP(r)); err != nil {
		return err
	}
	return noContent(w)
}

var agentLogoutDoc = operation{Summary: "Staff logout (end this staff session)", Tag: "agent", Status: http.StatusNoContent}

func (s *Server) agentMe(w http.ResponseWriter, r *http.Request) error {
	p, _ := staffOf(r)
	return writeJSON(w, http.StatusOK, p.Staff)
}

var agentMeDoc = operation{Summary: "The logged-in staff member", Tag: "agent", Response: staff.Staff{}}
