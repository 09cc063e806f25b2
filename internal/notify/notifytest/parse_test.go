package notifytest

import (
	"strings"
	"testing"
)

func TestParseMail(t *testing.T) {
	tests := []struct {
		name, raw, subject, body string
	}{
		{"base64 body, B-encoded subject",
			"Subject: =?UTF-8?B?6LSm5oi36KKr6ZSB5a6a?=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n6aqM6K+B56CBIDEyMzQ1\r\nNg==\r\n",
			"账户被锁定", "验证码 123456"},
		{"multipart, text part second",
			"Subject: hi\r\nContent-Type: multipart/alternative; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/html\r\n\r\n<p>no</p>\r\n--XX\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncode =E9=AA=8C 777888\r\n--XX--\r\n",
			"hi", "code 验 777888"},
		{"no content type", "Subject: plain\r\n\r\nhello\r\n", "plain", "hello"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMail([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tc.subject || strings.TrimSpace(m.Body) != tc.body {
				t.Fatalf("subject %q body %q", m.Subject, m.Body)
			}
		})
	}
	if _, err := ParseMail([]byte("Subject: x\r\nContent-Type: text/plain; charset=gb2312\r\n\r\nx")); err == nil {
		t.Error("a gb2312 body passed as UTF-8")
	}
}

func TestCode(t *testing.T) {
	for in, want := range map[string]string{
		"您的验证码是 602913，10 分钟内有效":    "602913",
		"Your code: 123456.":        "123456",
		"order 1234567 then 222333": "222333",
		"no code":                   "",
	} {
		if got := Code(in); got != want {
			t.Errorf("Code(%q) = %q, want %q", in, got, want)
		}
	}
}
