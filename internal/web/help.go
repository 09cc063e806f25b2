package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"html/template"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/helpcenter"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/money"
	"github.com/dompet/dompet/internal/wallet"
)

// The help center's pages: /help (categories, common problems, search), /help/{slug} (an
// article with "did this help?"), /help/guide/{topic} (guided self-service that reads the
// signed-in user's own data) and /contact (contact.go).

func (s *Site) helpRoutes() []front.Route {
	return []front.Route{
		{Pattern: "GET /help", Page: true, Handler: s.handle(s.helpIndex)},
		{Pattern: "GET /help/{slug}", Page: true, Handler: s.handle(s.helpArticle)},
		{Pattern: "POST /help/{slug}/vote", Page: true, Handler: s.handle(s.helpVote)},
		{Pattern: "GET /help/guide/{topic}", Page: true, Handler: s.handle(s.helpGuide)},
	}
}

// How many popular articles /help and /contact list.
const (
	popularOnHelp    = 6
	popularOnContact = 3
)

// guideTopics are the guided flows, in the order /help offers them.
var guideTopics = []string{"payment_failed", "account_locked", "security", "refund", "fees"}

type helpIndexData struct {
	Q          string
	Searched   bool
	Results    []helpcenter.Result
	Categories []helpcenter.Category
	Category   string
	InCategory []helpcenter.Result
	Popular    []helpcenter.Result // what readers use most, else the editorial order
	Guides     []string
}

func (s *Site) helpIndex(w http.ResponseWriter, r *http.Request, v *View) {
	hc, ctx, loc := s.o.Services.Help, r.Context(), v.Lang.String()
	d := helpIndexData{Q: strings.TrimSpace(r.URL.Query().Get("q")), Guides: guideTopics, Category: r.URL.Query().Get("category")}
	var err error
	if d.Q != "" {
		d.Searched = true
		if d.Results, err = hc.Search(ctx, helpcenter.Query{Q: d.Q, Locale: loc, Limit: 20}); err != nil {
			s.fail(w, r, "error", v, err)
			return
		}
	}
	if d.Categories, err = hc.Categories(ctx, loc); err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	if d.Category != "" {
		if d.InCategory, err = hc.InCategory(ctx, d.Category, loc); err != nil {
			s.fail(w, r, "error", v, err)
			return
		}
	}
	if d.Popular, err = hc.Popular(ctx, loc, popularOnHelp); err != nil {
		// The list helps, the page works without it.
		s.log.Warn("help page: popular articles", "request_id", front.RequestID(r), "err", err)
	}
	v.Data = d
	s.render(w, r, 0, "help", v)
}

type helpArticleData struct {
	Article helpcenter.Article
	Body    template.HTML // helpcenter.RenderHTML's output: it escapes every source character first
	Voted   bool
}

func (s *Site) helpArticle(w http.ResponseWriter, r *http.Request, v *View) {
	a, err := s.o.Services.Help.Article(r.Context(), r.PathValue("slug"), v.Lang.String())
	if err != nil {
		s.notFound(w, r, v, err)
		return
	}
	if v.Query.Get("voted") != "1" { // the page after a vote is the same reading
		s.o.Services.Help.Viewed(a.Slug, a.Locale)
	}
	v.Data = helpArticleData{Article: a, Body: template.HTML(a.HTML), Voted: r.URL.Query().Get("voted") == "1"}
	if v.Query.Get("voted") == "1" {
		v.Notice = v.T("help.vote.thanks")
	}
	s.render(w, r, 0, "help_article", v)
}

// helpVote records "did this help?" once per user (or per client address when anonymous).
func (s *Site) helpVote(w http.ResponseWriter, r *http.Request, v *View) {
	slug := r.PathValue("slug")
	voter := helpcenter.Voter{}
	if v.User != nil {
		voter.UserID = v.User.ID
	} else {
		sum := sha256.Sum256([]byte("help-vote:" + front.ClientIP(r)))
		voter.Visitor = hex.EncodeToString(sum[:16])
	}
	if err := s.o.Services.Help.Vote(r.Context(), slug, voter, r.PostFormValue("helpful") == "yes"); err != nil {
		s.notFound(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/help/"+url.PathEscape(slug)+"?voted=1", http.StatusSeeOther)
}

// notFound is the error page for a missing article or guide; other failures are explained.
func (s *Site) notFound(w http.ResponseWriter, r *http.Request, v *View, err error) {
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		s.fail(w, r, "error", v, err)
		return
	}
	v.Problem = &Explanation{Status: http.StatusNotFound, Code: "not_found", Title: v.T("help.not_found")}
	s.render(w, r, http.StatusNotFound, "error", v)
}

// guideData is one guided flow. Only the fields of its topic are set.
type guideData struct {
	Topic     string
	Login     string // the login link of an anonymous visitor
	Locked    bool
	LockedTil *time.Time
	Threshold int
	LockMins  int
	Failed    []failedPayment
	Checks    []securityCheck
	Refunds   []wallet.RefundRequest
	Fees      []feeRow
	Quote     *wallet.FeeQuote
	Calc      feeForm
	Kinds     []string
	Curs      []string
}

// failedPayment is a failed transaction with what to do next.
type failedPayment struct {
	wallet.Transaction
	Step      string // next step's message key: help.step.<code>
	StepLink  string
	StepLabel string    // the link's message key
	Resets    time.Time // limit_exceeded: when the limit resets; zero for a limit that does not
	Monthly   bool
	Tier      string
}

// securityCheck is one line of the check-up: its state and the page that fixes it.
type securityCheck struct {
	Key  string // help.check.<key>
	OK   bool
	Info string // a count or an age, already worded
	Fix  string
}

type feeRow struct {
	Kind, Currency string
	Rule           wallet.FeeRule
}

type feeForm struct {
	Amount, Kind, Currency, To string
}

func (s *Site) helpGuide(w http.ResponseWriter, r *http.Request, v *View) {
	topic := r.PathValue("topic")
	if !slices.Contains(guideTopics, topic) {
		s.notFound(w, r, v, nil)
		return
	}
	d := guideData{Topic: topic}
	if v.User == nil {
		d.Login = "/login?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	ctx := r.Context()
	var err error
	switch topic {
	case "account_locked":
		d.Threshold, _ = s.o.Services.Identity.Lockout()
		_, lockFor := s.o.Services.Identity.Lockout()
		d.LockMins = int(lockFor / time.Minute)
		if v.User != nil {
			d.Locked, d.LockedTil = v.User.Status == identity.StatusLocked, v.User.LockedUntil
		}
	case "payment_failed":
		if v.User != nil {
			d.Failed, err = s.failedPayments(r, v)
		}
	case "security":
		if v.User != nil {
			d.Checks, err = s.securityChecks(r, v)
		}
	case "refund":
		if v.User != nil {
			var p wallet.Page[wallet.RefundRequest]
			p, err = s.o.Services.Wallet.RefundRequests(ctx, v.User.ID, wallet.Filter{Limit: 20})
			d.Refunds = p.Items
		}
	case "fees":
		d.Fees, d.Kinds, d.Curs = s.feeRows()
		q := r.URL.Query()
		d.Calc = feeForm{Amount: q.Get("amount"), Kind: q.Get("kind"), Currency: q.Get("currency"), To: q.Get("to_currency")}
		if d.Calc.Currency == "" {
			d.Calc.Currency = "IDR"
		}
		if d.Calc.Amount != "" {
			minor, ok := parseMajor(d.Calc.Amount, d.Calc.Currency)
			if !ok {
				minor = -1 // QuoteFee words the refusal
			}
			qt, qerr := s.o.Services.Wallet.QuoteFee(d.Calc.Kind, minor, d.Calc.Currency, d.Calc.To)
			if qerr != nil {
				v.Data = d
				s.fail(w, r, "help_guide", v, qerr)
				return
			}
			d.Quote = &qt
		}
	}
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	v.Data = d
	s.render(w, r, 0, "help_guide", v)
}

// failedPayments are the user's latest failed movements, each with its next step.
func (s *Site) failedPayments(r *http.Request, v *View) ([]failedPayment, error) {
	p, err := s.o.Services.Wallet.Transactions(r.Context(), v.User.ID, wallet.Filter{Status: wallet.StatusFailed, Limit: 5})
	if err != nil {
		return nil, err
	}
	out := make([]failedPayment, 0, len(p.Items))
	for _, t := range p.Items {
		t.Localize(v.Lang.String())
		f := failedPayment{Transaction: t, Step: "help.step.other", StepLink: "/contact", StepLabel: "help.link.contact", Tier: string(v.User.Tier)}
		switch t.FailureCode {
		case "insufficient_balance":
			f.Step, f.StepLink, f.StepLabel = "help.step.insufficient_balance", "/app/topup", "help.link.topup"
		case "limit_exceeded":
			f.Step, f.StepLink = "help.step.limit_exceeded", ""
			// Only the user's own outgoing limits reset with time; a single-payment or balance
			// limit, or the recipient's, asks for a smaller amount instead.
			switch limit, _ := t.FailureParams["limit"].(string); limit {
			case "daily_outgoing":
				f.Resets = s.limitReset(time.Now(), false)
			case "monthly_outgoing":
				f.Monthly, f.Resets = true, s.limitReset(time.Now(), true)
			}
		case "phone_unverified":
			f.Step, f.StepLink, f.StepLabel = "help.step.phone_unverified", "/app/security", "help.link.verify"
		case "pin_locked":
			f.Step, f.StepLink, f.StepLabel = "help.step.pin_locked", "/app/security", "help.link.pin"
		case "provider_unavailable", "provider_declined":
			f.Step, f.StepLink = "help.step.provider_unavailable", ""
		case "account_restricted":
			f.Step, f.StepLink, f.StepLabel = "help.step.account_restricted", "/contact", "help.link.contact"
		}
		out = append(out, f)
	}
	return out, nil
}

// limitReset is when an outgoing limit counts from zero again: the next midnight in WIB for
// the daily one, the 1st of next month for the monthly one.
func (s *Site) limitReset(now time.Time, monthly bool) time.Time {
	t := now.In(s.loc)
	if monthly {
		return time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, s.loc)
	}
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, s.loc)
}

// securityChecks is the check-up of the user's account.
func (s *Site) securityChecks(r *http.Request, v *View) ([]securityCheck, error) {
	ctx, id := r.Context(), s.o.Services.Identity
	u, err := id.User(ctx, v.User.ID)
	if err != nil {
		return nil, err
	}
	pin, err := id.PINState(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	sess, err := id.Sessions(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	age := int(time.Since(u.PasswordChangedAt).Hours() / 24)
	return []securityCheck{
		{Key: "two_factor", OK: u.TwoFactor.Enabled, Fix: "/app/security"},
		{Key: "phone", OK: u.PhoneVerified, Fix: "/app/security"},
		{Key: "email", OK: u.EmailVerified, Fix: "/app/security"},
		{Key: "pin", OK: pin.Set && !pin.Locked, Fix: "/app/security"},
		{Key: "sessions", OK: len(sess) <= 3, Info: v.N("help.check.sessions_n", len(sess)), Fix: "/app/security"},
		{Key: "password", OK: age < 365, Info: v.N("help.check.password_days", age), Fix: "/app/security"},
	}, nil
}

// feeRows is the live schedule as table rows, with the kinds and currencies it names.
func (s *Site) feeRows() ([]feeRow, []string, []string) {
	sched := s.o.Services.Wallet.FeeSchedule()
	var rows []feeRow
	curSet := map[string]bool{}
	for kind, byCur := range sched {
		for cur, rule := range byCur {
			rows = append(rows, feeRow{Kind: kind, Currency: cur, Rule: rule})
			curSet[cur] = true
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Kind != rows[j].Kind {
			return rows[i].Kind < rows[j].Kind
		}
		return rows[i].Currency < rows[j].Currency
	})
	curs := make([]string, 0, len(curSet))
	for c := range curSet {
		curs = append(curs, c)
	}
	sort.Strings(curs)
	return rows, wallet.FeeQuoteKinds, curs
}

// parseMajor reads an amount typed in major units ("25000", "12.50") into minor units.
func parseMajor(s, currency string) (int64, bool) {
	c, ok := money.Lookup(currency)
	if !ok {
		c.Exponent = 2
	}
	r, ok := new(big.Rat).SetString(strings.ReplaceAll(strings.TrimSpace(s), ",", ""))
	if !ok {
		return 0, false
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(c.Exponent)), nil)))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// BPS formats basis points as a percentage ("0.70%").
func (v *View) BPS(bps int64) string {
	return money.FormatMinor(bps, 2) + "%"
}

// Keys lists message-key parts for a template to range over.
func (v *View) Keys(k ...string) []string { return k }

// formKey is a fresh idempotency key for a form.
func formKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
