package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/support"
)

// The agent console (/agent…): staff log in with their password and TOTP code, and work the
// desk through package support and package staff, as the JSON API's agent routes do. The
// console has its own session cookie, dompet_staff, apart from the wallet's: a staff member
// who is also a customer is two people to Dompet. The JSON API's stream routes take the
// cookie for the WebSocket of static/agent.js (from this site's pages only).

// staffCookie holds the staff session token (HttpOnly, SameSite=Lax, Secure over TLS).
const staffCookie = "dompet_staff"

func (s *Site) agentRoutes() []front.Route {
	rs := []front.Route{
		{Pattern: "GET /agent/login", Page: true, Handler: s.handle(s.agentLoginPage)},
		{Pattern: "POST /agent/login", Page: true, Handler: s.handle(s.agentLogin)},
		{Pattern: "POST /agent/logout", Page: true, Handler: s.staffIn(s.agentLogout)},
		{Pattern: "POST /agent/presence", Page: true, Handler: s.staffIn(s.agentPresence)},
		{Pattern: "GET /agent", Page: true, Handler: s.staffIn(s.agentInbox)},
		{Pattern: "GET /agent/conversations/{id}", Page: true, Handler: s.staffIn(s.agentConversation)},
		{Pattern: "POST /agent/conversations/{id}/messages", Page: true, Handler: s.staffIn(s.agentReply)},
		{Pattern: "POST /agent/conversations/{id}/status", Page: true, Handler: s.staffIn(s.agentStatus)},
		{Pattern: "POST /agent/conversations/{id}/assign", Page: true, Handler: s.staffIn(s.agentAssign)},
		{Pattern: "POST /agent/customers/{user_id}/unlock", Page: true, Handler: s.staffIn(s.agentUnlock)},
		{Pattern: "POST /agent/customers/{user_id}/recovery-code", Page: true, Handler: s.staffIn(s.agentRecoveryCode)},
		{Pattern: "POST /agent/conversations/{id}/refund-followups", Page: true, Handler: s.staffIn(s.agentRefundFollowup)},
		{Pattern: "POST /agent/conversations/{id}/call-disposition", Page: true, Handler: s.staffIn(s.agentCallDisposition)},
		{Pattern: "GET /agent/reports", Page: true, Handler: s.staffIn(s.agentReports)},
	}
	rs = append(rs, s.agentCannedRoutes()...)
	return append(rs, s.agentAdminRoutes()...)
}

// Desk is who works the console: every console page's Data embeds it (the header shows the
// member, their presence and the pages of their role).
type Desk struct {
	Me       staff.Staff
	Presence string // online, away, offline
	Lead     bool   // supervisor or admin: reports, every team, reassignment
	Admin    bool

	principal staff.Principal
	viewer    support.Viewer
}

// Presences are the presence switch's choices.
func (Desk) Presences() []string { return []string{support.Online, support.Away, support.Offline} }

// staffIn wraps a console page: without a valid staff session (a customer's cookie is not
// one) the visitor is sent to /agent/login, which brings them back.
func (s *Site) staffIn(h func(w http.ResponseWriter, r *http.Request, v *View, d *Desk)) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request, v *View) {
		d, ok := s.desk(r)
		if !ok {
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = "/agent"
			}
			http.Redirect(w, r, "/agent/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		h(w, r, v, d)
	})
}

// desk authenticates r's staff cookie.
func (s *Site) desk(r *http.Request) (*Desk, bool) {
	c, err := r.Cookie(staffCookie)
	if err != nil || c.Value == "" {
		return nil, false
	}
	p, err := s.o.Services.Staff.Authenticate(r.Context(), c.Value)
	if err != nil {
		return nil, false
	}
	if x := front.ExchangeOf(r); x != nil {
		x.SetPrincipal(p) // the answer is personal: no-store
	}
	d := &Desk{Me: p.Staff, principal: p, viewer: support.ViewerOf(p.Staff, front.ClientIP(r)), Presence: support.Offline}
	d.Lead = d.viewer.Lead()
	d.Admin = p.Staff.Role == staff.RoleAdmin
	if a, err := s.o.Services.Support.Agent(r.Context(), p.Staff.ID); err == nil {
		d.Presence = a.Presence
	}
	return d, true
}

// agentNext keeps a post-login destination inside the console.
func agentNext(next string) string {
	n := safeNext(next)
	if n != "/agent" && !strings.HasPrefix(n, "/agent/") && !strings.HasPrefix(n, "/agent?") {
		return "/agent"
	}
	return n
}

// agentLoginForm is what the staff login page shows and posts back.
type agentLoginForm struct {
	Email string
	Next  string
}

func (s *Site) agentLoginPage(w http.ResponseWriter, r *http.Request, v *View) {
	next := agentNext(r.URL.Query().Get("next"))
	if _, ok := s.desk(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	v.Data = agentLoginForm{Next: next}
	s.render(w, r, 0, "agent_login", v)
}

// agentLogin checks the password and the TOTP code together (staff always give both). An
// unknown email and a disabled member's are answered as a wrong password (package staff).
func (s *Site) agentLogin(w http.ResponseWriter, r *http.Request, v *View) {
	f := agentLoginForm{Email: strings.TrimSpace(r.PostFormValue("email")), Next: agentNext(r.PostFormValue("next"))}
	sess, _, err := s.o.Services.Staff.Login(r.Context(), staff.LoginInput{Email: f.Email,
		Password: r.PostFormValue("password"), OTP: strings.TrimSpace(r.PostFormValue("otp")),
		IP: front.ClientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		v.Data = f
		s.fail(w, r, "agent_login", v, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: staffCookie, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: front.OverTLS(r)})
	http.Redirect(w, r, f.Next, http.StatusSeeOther)
}

func (s *Site) agentLogout(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	if err := s.o.Services.Staff.Logout(r.Context(), d.principal, front.ClientIP(r)); err != nil {
		s.log.Warn("staff logout failed", "err", err)
	}
	http.SetCookie(w, &http.Cookie{Name: staffCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: front.OverTLS(r)})
	http.Redirect(w, r, "/agent/login", http.StatusSeeOther)
}

// agentPresence is the presence switch; coming online routes the team's queue at once.
func (s *Site) agentPresence(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	p := r.PostFormValue("presence")
	if !slices.Contains(d.Presences(), p) {
		s.agentProblem(w, r, v, d, http.StatusBadRequest, "agent.error.presence")
		return
	}
	if err := s.o.Services.Support.Presence(r.Context(), d.Me.ID, p); err != nil {
		v.Data = inboxPage{Desk: d}
		s.fail(w, r, "agent_inbox", v, err)
		return
	}
	http.Redirect(w, r, back(r, "/agent")+"?done=presence", http.StatusSeeOther)
}

// back is the console page a form came from (its "back" field), else def.
func back(r *http.Request, def string) string {
	b := r.PostFormValue("back")
	if b == "" || !strings.HasPrefix(b, "/agent") || strings.ContainsAny(b, "?#\\") || strings.Contains(b, "//") {
		return def
	}
	return b
}

// agentProblem shows a refusal of the console's own (a form the domain never saw) on the
// inbox page.
func (s *Site) agentProblem(w http.ResponseWriter, r *http.Request, v *View, d *Desk, status int, key string) {
	v.Problem = &Explanation{Status: status, Title: v.T(key)}
	v.Data = inboxPage{Desk: d}
	s.render(w, r, status, "agent_inbox", v)
}

// agentNotices are the ?done= values a console page confirms.
var agentNotices = []string{"presence", "reply", "note", "status", "assign", "unlock", "recovery", "followup", "disposition", "staff", "team"}

func agentNotice(v *View) {
	if d := v.Query.Get("done"); slices.Contains(agentNotices, d) {
		v.Notice = v.T("agent.done." + d)
	}
}
