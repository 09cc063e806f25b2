// Package notifytest runs the outside ends of notify's providers inside a test: an HTTP SMS
// gateway and an SMTP relay (github.com/emersion/go-smtp), each collecting what it receives,
// plus helpers to decode a received mail and to pick a one-time code out of a text. Tests of
// any package may use them to read the codes Dompet sends.
package notifytest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"
)

// Wait is how long Next waits for a message before failing the test.
const Wait = 10 * time.Second

// SMS is one request the gateway received.
type SMS struct {
	To     string      `json:"to"`
	Text   string      `json:"text"`
	Header http.Header `json:"-"`
}

// SMSGateway is an HTTP server taking POST {"to","text"} like an SMS provider's webhook.
type SMSGateway struct {
	URL string // give it to notify.Webhook or DOMPET_SMS_WEBHOOK

	mu       sync.Mutex
	got      []SMS
	taken    int // returned by Next
	requests int
	failNext int
	arrived  chan struct{} // one token per accepted SMS
}

// NewSMSGateway starts a gateway that lives until the test ends.
func NewSMSGateway(t testing.TB) *SMSGateway {
	g := &SMSGateway{arrived: make(chan struct{}, 10000)}
	srv := httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(srv.Close)
	g.URL = srv.URL + "/sms"
	return g
}

func (g *SMSGateway) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.requests++
	fail := g.failNext > 0
	if fail {
		g.failNext--
	}
	g.mu.Unlock()
	if fail {
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	var s SMS
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want a JSON POST", http.StatusBadRequest)
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&s); err != nil || s.To == "" {
		http.Error(w, "want {\"to\",\"text\"}", http.StatusBadRequest)
		return
	}
	s.Header = r.Header.Clone()
	g.mu.Lock()
	g.got = append(g.got, s)
	g.mu.Unlock()
	g.arrived <- struct{}{}
	w.WriteHeader(http.StatusAccepted)
}

// FailNext answers the next n requests 503.
func (g *SMSGateway) FailNext(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failNext = n
}

// Requests counts the requests received, failed ones included.
func (g *SMSGateway) Requests() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.requests
}

// All returns the SMS accepted so far, oldest first.
func (g *SMSGateway) All() []SMS {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]SMS(nil), g.got...)
}

// Next waits (up to Wait) for the next SMS not yet returned by Next, and returns it.
func (g *SMSGateway) Next(t testing.TB) SMS {
	t.Helper()
	select {
	case <-g.arrived:
	case <-time.After(Wait):
		t.Fatalf("no SMS arrived within %s", Wait)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	// A token is sent after its SMS is stored, so there is one more to take.
	s := g.got[g.taken]
	g.taken++
	return s
}

var codeRE = regexp.MustCompile(`\b\d{6}\b`)

// Code returns the first run of exactly six digits in text, "" if there is none.
func Code(text string) string {
	return codeRE.FindString(text)
}
