package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/notify/notifytest"
)

func smsMessage() notify.Message {
	return notify.Message{Channel: notify.SMS, To: "+6281234567890", Text: "Dompet 验证码 483920，10 分钟内有效。", Kind: "recovery_code"}
}

func TestWebhookDelivers(t *testing.T) {
	g := notifytest.NewSMSGateway(t)
	w := notify.Webhook{URL: g.URL, Retry: fast}
	m := smsMessage()
	if err := w.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := g.Next(t)
	if got.To != m.To || got.Text != m.Text {
		t.Fatalf("gateway got %+v, want to=%s text=%s", got, m.To, m.Text)
	}
	if got.Header.Get("Idempotency-Key") == "" {
		t.Error("no Idempotency-Key header")
	}
	if c := notifytest.Code(got.Text); c != "483920" {
		t.Errorf("code %q", c)
	}
	if n := g.Requests(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// recordingGateway answers the first fail requests with status, then 202, and keeps what came.
type recordingGateway struct {
	mu     sync.Mutex
	fail   int
	status int
	keys   []string
	bodies []map[string]any
}

func (g *recordingGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.keys = append(g.keys, r.Header.Get("Idempotency-Key"))
	g.bodies = append(g.bodies, body)
	if len(g.keys) <= g.fail {
		w.WriteHeader(g.status)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func TestWebhookRetries(t *testing.T) {
	tests := []struct {
		name     string
		fail     int // requests failed before success
		status   int
		wantReqs int
		wantErr  bool
	}{
		{"fails twice then succeeds", 2, http.StatusBadGateway, 3, false},
		{"rate limited once", 1, http.StatusTooManyRequests, 2, false},
		{"always failing", 1000, http.StatusServiceUnavailable, 3, true},
		{"refused: no retry", 1000, http.StatusBadRequest, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := &recordingGateway{fail: tc.fail, status: tc.status}
			srv := httptest.NewServer(g)
			defer srv.Close()
			log, logs := newLog()
			m := smsMessage()
			err := notify.Webhook{URL: srv.URL, Retry: fast, Log: log}.Send(context.Background(), m)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tc.wantErr)
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if len(g.keys) != tc.wantReqs {
				t.Fatalf("%d requests, want %d", len(g.keys), tc.wantReqs)
			}
			for i, k := range g.keys {
				if k == "" || k != g.keys[0] {
					t.Errorf("try %d: Idempotency-Key %q, first was %q", i+1, k, g.keys[0])
				}
				if b := g.bodies[i]; len(b) != 2 || b["to"] != m.To || b["text"] != m.Text {
					t.Errorf("try %d: body %v", i+1, b)
				}
			}
			if tc.fail > 0 {
				out := logs.String()
				if !strings.Contains(out, `"kind":"recovery_code"`) || !strings.Contains(out, notify.Mask(m.To)) {
					t.Errorf("failure not logged with kind and masked recipient:\n%s", out)
				}
				if strings.Contains(out, m.To) || strings.Contains(out, "483920") {
					t.Errorf("log shows the recipient or the code:\n%s", out)
				}
			}
			if err != nil && strings.Contains(err.Error(), m.To) {
				t.Errorf("error names the full number: %v", err)
			}
		})
	}
}

func TestWebhookNetworkErrorIsRetriedThenFails(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	start := time.Now()
	err := notify.Webhook{URL: url, Retry: notify.Retry{Attempts: 3, Backoff: 20 * time.Millisecond}, Log: discard()}.
		Send(context.Background(), smsMessage())
	if err == nil {
		t.Fatal("no error from a gateway that is down")
	}
	if !strings.Contains(err.Error(), "3 attempt") {
		t.Errorf("error %q does not say 3 attempts", err)
	}
	if d := time.Since(start); d < 60*time.Millisecond { // waits of 20 then 40 ms
		t.Errorf("gave up after %s: no backoff", d)
	}
}

func TestWebhookStopsWhenContextEnds(t *testing.T) {
	g := &recordingGateway{fail: 1000, status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(g)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := notify.Webhook{URL: srv.URL, Retry: notify.Retry{Attempts: 10, Backoff: time.Second}, Log: discard()}.Send(ctx, smsMessage())
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("err %v after %s: want a prompt failure", err, time.Since(start))
	}
}

func TestWebhookRefusesEmail(t *testing.T) {
	err := notify.Webhook{URL: "http://127.0.0.1:9/"}.Send(context.Background(), notify.Message{Channel: notify.Email, To: "a@b.c"})
	if err == nil {
		t.Fatal("an email went to the SMS webhook")
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"+6281234567890":    "+62*******7890",
		"alice@example.com": "a***@example.com",
		"李雷@example.cn":     "李***@example.cn",
		"@x.io":             "***@x.io",
		"12345":             "*****",
		"+861234":           "*****34",
		"":                  "",
	} {
		if got := notify.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
