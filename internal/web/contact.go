package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/helpcenter"
	"github.com/dompet/dompet/internal/sla"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/support"
)

// The contact page: the three channels (chat, phone, email) with what each is best for, the
// live chat wait, the hours, the promised email reply time and a call-back request.

func (s *Site) contactRoutes() []front.Route {
	return []front.Route{
		{Pattern: "GET /contact", Page: true, Handler: s.handle(s.contactPage)},
		{Pattern: "POST /contact/callback", Page: true, Handler: s.signedIn(s.callback)},
	}
}

type contactData struct {
	Wait     support.Wait
	WaitMins int64
	Phone    string
	Email    string
	Reply    string // the promised first answer by email, worded
	Hours    []staff.Period
	Key      string // the call-back form's idempotency key
	CBPhone  string
	CBNote   string
	Popular  []helpcenter.Result // "before you write, these may answer"
}

func (s *Site) contactData(r *http.Request, v *View) (contactData, error) {
	w, err := s.o.Services.Support.WaitFor(r.Context(), staff.DefaultTeam)
	if err != nil {
		return contactData{}, err
	}
	d := contactData{Wait: w, WaitMins: (w.EstimatedWaitSeconds + 59) / 60, Phone: s.o.SupportPhone, Email: s.o.SupportEmail,
		Reply: replyTime(v, s.o.Services.Support.FirstResponseTarget("other", sla.Normal)), Hours: w.Hours.Weekly, Key: formKey()}
	if v.User != nil {
		d.CBPhone = v.User.Phone
	}
	if hc := s.o.Services.Help; hc != nil {
		// Cheap: the ranking is cached (helpcenter.Popular); without it the page still works.
		if d.Popular, err = hc.Popular(r.Context(), v.Lang.String(), popularOnContact); err != nil {
			s.log.Warn("contact page: popular articles", "request_id", front.RequestID(r), "err", err)
			d.Popular = nil
		}
	}
	return d, nil
}

func (s *Site) contactPage(w http.ResponseWriter, r *http.Request, v *View) {
	d, err := s.contactData(r, v)
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	if v.Query.Get("done") == "callback" {
		v.Notice = v.T("contact.callback.done")
	}
	v.Data = d
	s.render(w, r, 0, "contact", v)
}

// callback asks for a call from an agent; the form's key makes a double submit one request.
func (s *Site) callback(w http.ResponseWriter, r *http.Request, v *View) {
	phone, note, key := r.PostFormValue("phone"), r.PostFormValue("note"), r.PostFormValue("key")
	sum := sha256.Sum256([]byte(phone + "\x00" + note))
	var once *support.Once
	if key != "" {
		once = &support.Once{Key: "web-callback:" + key, Hash: hex.EncodeToString(sum[:])}
	}
	_, err := s.o.Services.Support.RequestCallback(r.Context(),
		support.Customer{UserID: v.User.ID, Email: v.User.Email, Phone: v.User.Phone, Name: v.User.DisplayName},
		phone, "other", note, once)
	if err != nil {
		d, derr := s.contactData(r, v)
		if derr != nil {
			s.fail(w, r, "error", v, derr)
			return
		}
		d.CBPhone, d.CBNote, d.Key = phone, note, key
		v.Data = d
		s.fail(w, r, "contact", v, err)
		return
	}
	http.Redirect(w, r, "/contact?done=callback", http.StatusSeeOther)
}

// hoursOf formats a period "08:00–20:00" (for templates).
func (v *View) Period(p staff.Period) string { return p.Start + "–" + p.End }

// replyTime words a promised reply time: whole hours, else minutes.
func replyTime(v *View, d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return v.N("contact.email.reply_hours", int64(d/time.Hour))
	}
	return v.N("contact.email.reply_mins", int64((d+time.Minute-1)/time.Minute))
}
