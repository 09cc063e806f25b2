package notify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dompet/dompet/internal/notify"
)

func TestRecorderKeepsTheLastN(t *testing.T) {
	next := &capture{}
	r := notify.NewRecorder(next, 5)
	for i := range 12 {
		if err := r.Send(context.Background(), notify.Message{Channel: notify.SMS, To: "+62", Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	got := r.Recent()
	if len(got) != 5 {
		t.Fatalf("%d recorded, want 5", len(got))
	}
	for i, s := range got {
		if want := fmt.Sprint(11 - i); s.Message.Text != want {
			t.Errorf("Recent()[%d] = %q, want %q (newest first)", i, s.Message.Text, want)
		}
		if s.At.IsZero() {
			t.Errorf("Recent()[%d] has no time", i)
		}
	}
	if len(next.messages()) != 12 {
		t.Errorf("next got %d, want all 12", len(next.messages()))
	}
}

func TestRecorderSkipsRefused(t *testing.T) {
	r := notify.NewRecorder(&capture{err: notify.ErrQueueFull}, 0)
	if err := r.Send(context.Background(), smsMessage()); !errors.Is(err, notify.ErrQueueFull) {
		t.Fatalf("err %v", err)
	}
	if n := len(r.Recent()); n != 0 {
		t.Errorf("%d recorded although refused", n)
	}
}

func TestRecorderConcurrent(t *testing.T) {
	r := notify.NewRecorder(nil, 200)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				_ = r.Send(context.Background(), notify.Message{Channel: notify.SMS, Text: fmt.Sprint(g, "-", i)})
				if i%10 == 0 {
					_ = r.Recent()
				}
			}
		})
	}
	wg.Wait()
	got := r.Recent()
	if len(got) != 200 {
		t.Fatalf("%d recorded, want 200", len(got))
	}
	seen := map[string]bool{}
	for _, s := range got {
		if seen[s.Message.Text] {
			t.Fatalf("%q recorded twice", s.Message.Text)
		}
		seen[s.Message.Text] = true
	}
}

func TestDemoPage(t *testing.T) {
	r := notify.NewRecorder(nil, 10)
	ctx := context.Background()
	_ = r.Send(ctx, notify.Message{Channel: notify.SMS, To: "+6281234567890", Text: "Kode Dompet 123456", Kind: "recovery_code"})
	_ = r.Send(ctx, notify.Message{Channel: notify.Email, To: "eve@example.com", Subject: "<b>hi</b> 登录提醒",
		Text: `<script>alert("x")</script> 验证码 654321`, Kind: "new_device"})
	srv := httptest.NewServer(notify.DemoPage(r))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/demo/messages")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	page := string(b)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html; charset=utf-8") {
		t.Fatalf("%s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"Demo mode only", "仅限演示模式",
		"6281234567890", "recovery_code", "123456", "sms",
		"eve@example.com", "new_device", "654321", "email", "登录提醒",
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "&lt;b&gt;hi&lt;/b&gt;",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "<b>hi") {
		t.Error("message text is not escaped")
	}
	if strings.Index(page, "654321") > strings.Index(page, "123456") {
		t.Error("not newest first")
	}

	resp, err = http.Post(srv.URL, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %s", resp.Status)
	}
}

func TestDemoPageEmpty(t *testing.T) {
	rec := httptest.NewRecorder()
	notify.DemoPage(notify.NewRecorder(nil, 0)).ServeHTTP(rec, httptest.NewRequest("GET", "/demo/messages", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Nothing sent yet") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}
