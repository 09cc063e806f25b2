package web

import (
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/wallet"
)

// Refund requests: the list with each request's progress, and a new request on one of the
// user's payments with evidence (photos or PDF, checked by wallet.StoreAttachment). The form
// is one multipart POST: a refused file or amount shows the form again with everything typed
// and every file already stored, so nothing is lost.

// refundBodyLimit lets a file somewhat over the evidence limit reach the wallet, which
// refuses it with a clear message on the form; only a far larger body meets the front's 413.
const refundBodyLimit = 3*wallet.MaxAttachment + 1<<20

// maxEvidence is how many files one request may carry (wallet.RequestRefund's limit).
const maxEvidence = 10

func (s *Site) refundRoutes() []front.Route {
	return []front.Route{
		{Pattern: "GET /app/refunds", Page: true, Handler: s.signedIn(s.refunds)},
		{Pattern: "POST /app/refunds", Page: true, Handler: s.signedIn(s.requestRefund), BodyLimit: refundBodyLimit},
	}
}

// refundsData is the list and the form.
type refundsData struct {
	Requests []wallet.RefundRequest
	Merchant map[string]string    // the requests' merchants' names, by id
	Payments []wallet.Transaction // the user's refundable payments
	Form     refundForm
	MaxMB    int
	MaxBytes int
}

type refundForm struct {
	TransactionID string
	Amount        string
	Reason        string
	Attached      []wallet.Attachment // stored already, carried as hidden ids
}

// refundSteps is a request's tracker: submitted, decided by the merchant, money back.
func (d refundsData) Steps(status string) []txStep {
	steps := []txStep{{Key: "wallet.refunds.step.submitted", Done: true}, {Key: "wallet.refunds.step.decided"}, {Key: "wallet.refunds.step.refunded"}}
	switch status {
	case wallet.RequestSubmitted:
		steps[1].Now = true
	case wallet.RequestApproved:
		steps[1].Done, steps[2].Now = true, true
	case wallet.RequestRefunded:
		steps[1].Done, steps[2].Done = true, true
	case wallet.RequestRejected:
		steps[1] = txStep{Key: "wallet.refunds.step.rejected", Done: true}
		steps = steps[:2]
	}
	return steps
}

func (s *Site) refundsData(r *http.Request, v *View) (*refundsData, error) {
	w := s.o.Services.Wallet
	reqs, err := w.RefundRequests(r.Context(), v.User.ID, wallet.Filter{Limit: 50})
	if err != nil {
		return nil, err
	}
	pays, err := w.Transactions(r.Context(), v.User.ID, wallet.Filter{Kind: wallet.KindPayment, Status: wallet.StatusSucceeded, Limit: 50})
	if err != nil {
		return nil, err
	}
	d := &refundsData{Requests: reqs.Items, Merchant: map[string]string{}, MaxMB: wallet.MaxAttachment >> 20, MaxBytes: wallet.MaxAttachment}
	for _, rr := range reqs.Items {
		if _, ok := d.Merchant[rr.MerchantID]; !ok {
			// Whom the request is with; a merchant gone since is shown by its id.
			name, err := w.MerchantName(r.Context(), rr.MerchantID)
			if err != nil {
				name = rr.MerchantID
			}
			d.Merchant[rr.MerchantID] = name
		}
	}
	for _, p := range pays.Items {
		if p.Amount > p.Refunded {
			d.Payments = append(d.Payments, p)
		}
	}
	return d, nil
}

func (s *Site) refunds(w http.ResponseWriter, r *http.Request, v *View) {
	d, err := s.refundsData(r, v)
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	d.Form.TransactionID = r.URL.Query().Get("transaction_id")
	if r.URL.Query().Get("done") == "requested" {
		v.Notice = v.T("wallet.refunds.requested")
	}
	v.Data = d
	s.render(w, r, 0, "refunds", v)
}

// requestRefund stores the evidence, then files the request.
func (s *Site) requestRefund(w http.ResponseWriter, r *http.Request, v *View) {
	d, err := s.refundsData(r, v)
	if err != nil {
		s.fail(w, r, "error", v, err)
		return
	}
	v.Data = d
	f := &d.Form
	f.TransactionID, f.Amount, f.Reason = r.PostFormValue("transaction_id"), strings.TrimSpace(r.PostFormValue("amount")), r.PostFormValue("reason")
	wal := s.o.Services.Wallet
	var ids []string
	// The files stored by an earlier try of this form come back as ids: the user's own only.
	for _, id := range r.PostForm["attached"] {
		if a, _, err := wal.AttachmentContent(r.Context(), v.User.ID, id); err == nil && len(ids) < maxEvidence {
			f.Attached, ids = append(f.Attached, a), append(ids, a.ID)
		}
	}
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["evidence"] {
			if fh.Size == 0 && fh.Filename == "" {
				continue // the browser's empty file input
			}
			if len(ids) >= maxEvidence {
				s.fail(w, r, "refunds", v, fault.Invalid("attachment_ids", fault.MsgAtMostAttachments, maxEvidence))
				return
			}
			a, err := storeUpload(r, wal, v.User.ID, fh)
			if err != nil {
				s.fail(w, r, "refunds", v, err)
				return
			}
			f.Attached, ids = append(f.Attached, a), append(ids, a.ID)
		}
	}
	var currency string
	for _, p := range d.Payments {
		if p.ID == f.TransactionID {
			currency = p.Currency
		}
	}
	minor, ok := parseAmount(f.Amount, currency)
	if !ok {
		s.failPage(w, r, v, "refunds", amountError(v))
		return
	}
	if _, err := wal.RequestRefund(r.Context(), party(v.User), wallet.RefundRequestInput{TransactionID: f.TransactionID, Amount: minor,
		Reason: f.Reason, AttachmentIDs: ids}); err != nil {
		s.fail(w, r, "refunds", v, err)
		return
	}
	http.Redirect(w, r, "/app/refunds?done=requested", http.StatusSeeOther)
}

// storeUpload hands one uploaded file to the wallet, which checks its type and size.
func storeUpload(r *http.Request, wal *wallet.Wallet, userID string, fh *multipart.FileHeader) (wallet.Attachment, error) {
	if fh.Size > wallet.MaxAttachment { // known from the form already: refused without reading it
		return wallet.Attachment{}, wallet.ErrTooLarge
	}
	file, err := fh.Open()
	if err != nil {
		return wallet.Attachment{}, fmt.Errorf("open upload: %w", err)
	}
	defer file.Close()
	return wal.StoreAttachment(r.Context(), userID, fh.Filename, fh.Header.Get("Content-Type"), file)
}
