package web

import (
	"testing"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/support"
)

// TestSystemTexts: the phone's stored English texts read in the console's language; other
// channels, authors and unknown forms are shown as written.
func TestSystemTexts(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	en, zh := &View{site: s, Lang: front.EN}, &View{site: s, Lang: front.ZH}
	phone := support.Author{Type: support.AuthorSystem, Name: "phone"}
	agent := support.Author{Type: support.AuthorAgent, Name: "Agus"}
	subject := func(ch, text string) func(*View) string {
		return func(v *View) string { return v.Subject(support.Conversation{Channel: ch, Subject: text}) }
	}
	body := func(a support.Author, internal bool, text string) func(*View) string {
		return func(v *View) string { return v.MessageBody(support.Message{Author: a, Internal: internal, Body: text}) }
	}
	for _, tt := range []struct {
		name     string
		render   func(*View) string
		enW, zhW string
	}{
		{"call subject", subject(support.ChannelPhone, "Call from Budi"), "Call from Budi", "来电：Budi"},
		{"anonymous subject", subject(support.ChannelPhone, "Call from anonymous"), "Call from anonymous caller", "来电：匿名来电"},
		{"email subject", subject(support.ChannelEmail, "Call from Budi"), "Call from Budi", "Call from Budi"},
		{"incoming", body(phone, false, "Incoming call from +6281234 (call c-1)"), "Incoming call from +6281234 (call c-1)", "+6281234 来电（通话 c-1）"},
		{"ended", body(phone, false, "Call ended: busy"), "Call ended: busy", "通话结束：占线"},
		{"ended talked", body(phone, false, "Call ended: completed, 5m12s talked"), "Call ended: completed, talked for 5 min 12 s", "通话结束：正常结束，通话时长 5 分 12 秒"},
		{"ended short", body(phone, false, "Call ended: abandoned, 9s talked"), "Call ended: caller hung up, talked for 9 s", "通话结束：来电者挂断，通话时长 9 秒"},
		{"unknown reason", body(phone, false, "Call ended: transferred_out"), "Call ended: transferred_out", "通话结束：transferred_out"},
		{"disposition", body(agent, true, "Call disposition: voicemail"), "Call disposition: Voicemail", "通话结果：语音留言"},
		{"disposition note", body(agent, true, "Call disposition: escalated. Note: two\nlines"), "Call disposition: Escalated. Note: two\nlines", "通话结果：已升级处理。备注：two\nlines"},
		{"customer's words", body(support.Author{Type: support.AuthorCustomer}, false, "Call ended: busy"), "Call ended: busy", "Call ended: busy"},
		{"public reply", body(agent, false, "Call disposition: voicemail"), "Call disposition: voicemail", "Call disposition: voicemail"},
		{"anonymous caller", func(v *View) string {
			return v.CustomerName(support.Conversation{Channel: support.ChannelPhone, Customer: support.Customer{Name: "anonymous"}})
		}, "anonymous caller", "匿名来电"},
		{"named customer", func(v *View) string {
			return v.CustomerName(support.Conversation{Channel: support.ChannelPhone, Customer: support.Customer{UserID: "usr_1", Name: "Budi"}})
		}, "Budi", "Budi"},
		{"phone's messages", func(v *View) string { return v.AuthorName(support.Message{Author: phone}) }, "Phone", "电话"},
		{"an agent's", func(v *View) string { return v.AuthorName(support.Message{Author: agent}) }, "Agus", "Agus"},
	} {
		if got := tt.render(en); got != tt.enW {
			t.Errorf("%s, en: %q, want %q", tt.name, got, tt.enW)
		}
		if got := tt.render(zh); got != tt.zhW {
			t.Errorf("%s, zh-CN: %q, want %q", tt.name, got, tt.zhW)
		}
	}
}
