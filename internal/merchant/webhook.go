package merchant

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/outbox"
)

// Event types sent to merchants. Other dotted names may be used as the product grows.
const (
	EventPaymentSucceeded     = "payment.succeeded"
	EventRefundSucceeded      = "refund.succeeded"
	EventRefundRequestCreated = "refund_request.created"
)

// Webhook request headers.
const (
	HeaderEvent     = "X-Dompet-Event"
	HeaderDelivery  = "X-Dompet-Delivery"
	HeaderSignature = "X-Dompet-Signature"
)

// Event is the JSON body of a webhook.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"created_at"` // RFC 3339, UTC
	Data      json.RawMessage `json:"data"`
}

// EventRow builds the outbox row (topic Topic) that announces an event of eventType with data to
// a merchant. The caller inserts it (db.Tx.InsertRows, or ledger.Transfer.Rows) in the
// transaction that makes the event true, and calls Notify after the commit. The event id is
// the outbox message id, the same on every attempt, so the merchant can drop duplicates. ok is false, with no error, when the merchant has no webhook
// URL: there is nothing to send. An unknown merchant is ErrNotFound.
//
// EventRow reads outside the caller's transaction (on PostgreSQL it may take a second pool
// connection), so prefer calling it before opening the transaction; the row is plain data.
func (s *Service) EventRow(ctx context.Context, merchantID, eventType string, data any) (row db.Row, ok bool, err error) {
	if eventType == "" {
		return db.Row{}, false, errors.New("webhook event: empty type")
	}
	url, err := s.webhookURL(ctx, merchantID)
	if err != nil || url == "" {
		return db.Row{}, false, err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return db.Row{}, false, fmt.Errorf("webhook event %s: %w", eventType, err)
	}
	now := s.opts.Now()
	ev := Event{ID: id.New("evt"), Type: eventType, CreatedAt: now.UTC().Format(time.RFC3339), Data: raw}
	payload, err := json.Marshal(ev)
	if err != nil {
		return db.Row{}, false, fmt.Errorf("webhook event %s: %w", eventType, err)
	}
	return outbox.Row(outbox.Message{ID: ev.ID, Topic: Topic, Payload: append([]byte(merchantID+" "), payload...), CreatedAt: now}), true, nil
}

// Sign returns the X-Dompet-Signature value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with secret>".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Signature verification failures; all match ErrBadSignature under errors.Is.
var (
	ErrBadSignature     = errors.New("webhook signature does not verify")
	errMalformed        = fmt.Errorf("%w: malformed header", ErrBadSignature)
	errOutsideTolerance = fmt.Errorf("%w: timestamp outside tolerance", ErrBadSignature)
	errNoMatch          = fmt.Errorf("%w: no matching v1 signature", ErrBadSignature)
)

// Verify checks an X-Dompet-Signature header against body and secret: the timestamp must be
// within tolerance of now (either side, which stops replays of old requests) and one of the v1
// values must match. Several v1 values are allowed so a secret can be rotated.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return errMalformed
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errMalformed
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errOutsideTolerance
	}
	want := []byte(mac(secret, ts, body))
	for _, sig := range sigs {
		if hmac.Equal([]byte(strings.ToLower(sig)), want) {
			return nil
		}
	}
	return errNoMatch
}
