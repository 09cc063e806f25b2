package fault

import (
	"regexp"
	"testing"
)

var verb = regexp.MustCompile(`%[-+# 0]*[0-9]*[a-zA-Z%]`)

// TestCatalogueIsComplete walks every message: each has a unique id and words in English and
// in Chinese, and both languages take the same arguments in the same order.
func TestCatalogueIsComplete(t *testing.T) {
	ids := map[string]Msg{}
	for m := msgNone + 1; m < numMsgs; m++ {
		w := catalogue[m]
		if w.id == "" || w.en == "" || w.zh == "" {
			t.Errorf("message %d (%q) lacks an id or a translation: %+v", m, w.id, w)
			continue
		}
		if o, dup := ids[w.id]; dup {
			t.Errorf("messages %d and %d share the id %q", o, m, w.id)
		}
		ids[w.id] = m
		en, zh := verb.FindAllString(w.en, -1), verb.FindAllString(w.zh, -1)
		if len(en) != len(zh) {
			t.Errorf("%s: en takes %v, zh-CN takes %v", w.id, en, zh)
			continue
		}
		for i := range en {
			if en[i] != zh[i] {
				t.Errorf("%s: argument %d is %s in en, %s in zh-CN", w.id, i, en[i], zh[i])
			}
		}
	}
}

func TestSayingExplainsInEveryLanguage(t *testing.T) {
	e := New("not_found", "").Saying(MsgNoUserLogin)
	if e.Msg != "no Dompet user has that phone, email or id" || e.Details["zh-CN"] != "没有 Dompet 用户使用该手机号、邮箱或 ID。" {
		t.Fatalf("%+v", e)
	}
	if Msg(numMsgs).Text("en") == "" || Msg(numMsgs).ID() != "" {
		t.Fatal("an unknown message must still say something, with no id")
	}
}
