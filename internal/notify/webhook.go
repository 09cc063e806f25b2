package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/dompet/dompet/internal/id"
)

// Webhook sends SMS through an HTTP gateway (DOMPET_SMS_WEBHOOK): one
// POST {"to": "+62…", "text": "…"} per message, answered 2xx when accepted. Credentials, if
// any, go in the URL's user info (sent as Basic auth). Every try of one message carries the
// same Idempotency-Key header, so a gateway can drop the duplicate of a try whose answer was
// lost. Network errors, 408, 425, 429 and 5xx are retried; other answers are final.
type Webhook struct {
	URL    string
	Client *http.Client // nil: a client with a Timeout of 10 s per try
	Retry  Retry        // zero: 4 tries, 0.5 s then 1 s then 2 s apart
	Log    *slog.Logger // nil: slog.Default()
}

// webhookBody is the JSON the gateway receives.
type webhookBody struct {
	To   string `json:"to"`
	Text string `json:"text"`
}

// Send implements Sender for SMS messages.
func (w Webhook) Send(ctx context.Context, m Message) error {
	if m.Channel != SMS {
		return fmt.Errorf("sms webhook: cannot send a %q message", m.Channel)
	}
	if m.To == "" {
		return errors.New("sms webhook: no recipient")
	}
	body, err := json.Marshal(webhookBody{To: m.To, Text: m.Text})
	if err != nil {
		return fmt.Errorf("sms webhook: %w", err)
	}
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	log := w.Log
	if log == nil {
		log = slog.Default()
	}
	key := m.ID // the same for every delivery of an outbox message
	if key == "" {
		key = id.New("sms")
	}
	return w.Retry.do(ctx, log, "sms webhook", m, func(ctx context.Context) error {
		return w.post(ctx, client, key, body)
	})
}

func (w Webhook) post(ctx context.Context, client *http.Client, key string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return permanent{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("User-Agent", "Dompet")
	resp, err := client.Do(req)
	if err != nil {
		return err // network trouble or timeout: worth another try
	}
	defer resp.Body.Close()
	// Read a little of the answer for the log, and drain the rest so the connection is reused.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("gateway answered %s: %q", resp.Status, bytes.TrimSpace(snippet))
	switch {
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusRequestTimeout,
		resp.StatusCode == http.StatusTooEarly, resp.StatusCode == http.StatusTooManyRequests:
		return err
	default:
		return permanent{err}
	}
}
