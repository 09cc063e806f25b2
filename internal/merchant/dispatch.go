package merchant

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/outbox"
)

// Topic is the outbox topic of merchant webhooks. A message's payload is
// "<merchant id> <exact JSON body>"; its id is the event id. The merchant's URL and secret are
// read at each attempt, so a changed URL applies to deliveries still waiting.
const Topic = "merchant.webhook"

// Notify wakes the outbox dispatcher at once instead of at its next poll. Call it after
// committing a transaction that wrote EventRow rows; it never blocks.
func (s *Service) Notify() {
	if s.opts.Outbox != nil {
		s.opts.Outbox.Notify()
	}
}

// deliver is the outbox handler of Topic: one signed POST. The body, the event id and the
// X-Dompet-Delivery header (the message id) are the same on every attempt.
func (s *Service) deliver(ctx context.Context, d outbox.Delivery) error {
	merchantID, body, ok := strings.Cut(string(d.Payload), " ")
	if !ok {
		return outbox.Permanent(errors.New("malformed webhook message"))
	}
	var ev struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		return outbox.Permanent(fmt.Errorf("webhook body: %w", err))
	}
	url, secret, err := s.webhookTarget(ctx, merchantID)
	if errors.Is(err, db.ErrNotFound) {
		return outbox.Permanent(fmt.Errorf("merchant %s: %w", merchantID, ErrNotFound))
	}
	if err != nil {
		return err
	}
	if url == "" {
		return outbox.Permanent(errors.New("the merchant has no webhook URL"))
	}
	return s.send(ctx, url, secret, d.ID, ev.Type, []byte(body))
}

// send POSTs body once. A nil error means a 2xx answer.
func (s *Service) send(ctx context.Context, url, secret, deliveryID, eventType string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return outbox.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Dompet-Webhooks/1")
	req.Header.Set(HeaderEvent, eventType)
	req.Header.Set(HeaderDelivery, deliveryID)
	req.Header.Set(HeaderSignature, Sign(secret, s.opts.Now(), body))
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// Keep a little of a failing answer for the merchant's debugging; drain a bit more so the
	// connection can be reused.
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := fmt.Sprintf("HTTP %d", resp.StatusCode)
		if t := strings.TrimSpace(strings.ToValidUTF8(string(head), "")); t != "" {
			msg += ": " + t
		}
		return errors.New(msg)
	}
	return nil
}
