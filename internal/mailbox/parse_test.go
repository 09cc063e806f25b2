package mailbox

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want Mail // the fields set are compared
		err  bool
	}{
		{name: "GBK and GB18030 words, 8-bit GBK body",
			raw:  "From: a@b.cn\nSubject: =?GBK?B?" + b64(gbk(t, "退款")) + "?= =?gb18030?B?" + b64(gbk(t, "问题")) + "?=\nContent-Type: text/plain; charset=gbk\nContent-Transfer-Encoding: 8bit\n\n" + string(gbk(t, "我要退款")) + "\n",
			want: Mail{From: "a@b.cn", Subject: "退款问题", Text: "我要退款\n", Lang: "zh-CN"}},
		{name: "UTF-8 quoted-printable subject, English",
			raw:  "From: \"Ann\" <ann@x.com>\nSubject: =?utf-8?Q?Fee_question?=\nContent-Language: en-GB\n\nWhy a fee?\n",
			want: Mail{From: "ann@x.com", FromName: "Ann", Subject: "Fee question", Text: "Why a fee?\n", Lang: "en"}},
		{name: "UTF-8 quoted-printable Chinese subject, HTML-only body made text",
			raw:  "From: a@b.cn\nSubject: =?UTF-8?Q?=E9=80=80=E6=AC=BE_=E9=97=AE=E9=A2=98?=\nContent-Type: text/html; charset=UTF-8\n\n<p>我要退款</p>\n",
			want: Mail{From: "a@b.cn", Subject: "退款 问题", Text: "我要退款", Lang: "zh-CN"}},
		{name: "GB2312 base64 subject",
			raw:  "From: a@b.cn\nSubject: =?GB2312?B?" + b64(gbk(t, "账户被锁")) + "?=\n\nhi\n",
			want: Mail{From: "a@b.cn", Subject: "账户被锁", Text: "hi\n", Lang: "zh-CN"}},
		{name: "ids with and without brackets",
			raw:  "From: a@b\nMessage-ID: <x1@b>\nIn-Reply-To: <p@q> (comment)\nReferences: r1@q\n r2@q\n\nt\n",
			want: Mail{From: "a@b", MessageID: "x1@b", InReplyTo: []string{"p@q"}, References: []string{"r1@q", "r2@q"}, Text: "t\n"}},
		{name: "auto-submitted", raw: "From: a@b\nAuto-Submitted: auto-replied (vacation)\n\nt\n", want: Mail{From: "a@b", Automatic: "Auto-Submitted: auto-replied", Text: "t\n"}},
		{name: "delivery report", raw: "From: a@b\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\nContent-Type: text/plain\n\nfailed\n--x--\n",
			want: Mail{From: "a@b", Automatic: "delivery report (multipart/report)", Text: "failed"}},
		{name: "no header", raw: "hello there\n", err: true},
		{name: "empty", raw: "\r\n", err: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse([]byte(strings.ReplaceAll(c.raw, "\n", "\r\n")))
			if c.err {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("got %+v, %v; want ErrMalformed", m, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m.Text = strings.ReplaceAll(m.Text, "\r\n", "\n")
			w := c.want
			if m.From != w.From || m.FromName != w.FromName || m.Subject != w.Subject || strings.TrimSpace(m.Text) != strings.TrimSpace(w.Text) ||
				m.Lang != w.Lang || m.Automatic != w.Automatic || m.MessageID != w.MessageID ||
				!slices.Equal(m.InReplyTo, w.InReplyTo) || !slices.Equal(m.References, w.References) {
				t.Fatalf("got  %+v\nwant %+v", m, w)
			}
		})
	}
}

func TestSubjectRef(t *testing.T) {
	for subject, want := range map[string]string{
		"Re: help [#E0001]":   "E0001",
		"[#abc-12] 退款":        "abc-12",
		"no ref [#] [# x]":    "",
		"Re: [#E1] and [#E2]": "E1",
		"[#E12] first [#E2]":  "E12",
		"Re: 答复: x [#Q7Z-9K]": "Q7Z-9K",
	} {
		if got := SubjectRef(subject); got != want {
			t.Errorf("SubjectRef(%q) = %q, want %q", subject, got, want)
		}
	}
}

func TestReplySubject(t *testing.T) {
	for _, c := range []struct{ subject, ref, lang, want string }{
		{"Help", "E1", "", "Re: Help [#E1]"},
		{"Re: RE: Fwd: Help", "E1", "en", "Re: Help [#E1]"},
		{"回复：答复: 帮助 [#E1]", "E1", "zh-CN", "Re: 帮助 [#E1]"},
		{"", "E1", "zh-CN", "Re: 您的 Dompet 客服请求 [#E1]"},
	} {
		if got := replySubject(c.subject, c.ref, c.lang); got != c.want {
			t.Errorf("replySubject(%q) = %q, want %q", c.subject, got, c.want)
		}
	}
}

func TestTrimReferences(t *testing.T) {
	var ids []string
	for i := range 30 {
		ids = append(ids, string(rune('a'+i%26))+strings.Repeat("x", i/26)+"@q")
	}
	got := trimReferences(ids, "last@q")
	if len(got) != 10 || got[0] != "a@q" || got[9] != "last@q" || got[8] != ids[29] {
		t.Fatalf("%v", got)
	}
}

// FuzzParse: whatever the bytes, Parse does not panic, and what it returns is valid UTF-8.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"From: a@b\r\nSubject: =?GB2312?B?ztLSqs3Lv+4=?=\r\n\r\nhi\r\n",
		"From: a@b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b--\r\n",
		"From: a@b\r\nContent-Type: multipart/alternative; boundary=\"\"\r\n\r\n--\r\n",
		"Subject: =?x-unknown?Q?=FF=FE?=\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n\xff\xfe\r\n",
		"From: a@b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n",
		"not a mail",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		for _, s := range append([]string{m.From, m.FromName, m.Subject, m.Text, m.MessageID, m.Automatic}, m.Problems...) {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("invalid UTF-8 or NUL in %q", s)
			}
		}
		for _, a := range m.Attachments {
			if a.Content != nil && !allowed[a.ContentType] {
				t.Fatalf("kept an attachment of type %s", a.ContentType)
			}
		}
	})
}
