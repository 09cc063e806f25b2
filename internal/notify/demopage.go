package notify

import (
	"bytes"
	"html/template"
	"net/http"
	"time"
)

// DemoPage serves an HTML page listing the messages rec has recorded, newest first, so that a
// person trying Dompet in demo mode can read the codes sent to the demo users' phones and
// mailboxes. Mount it only in demo mode: it shows one-time codes to anyone.
func DemoPage(rec *Recorder) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		rows := rec.Recent()
		view := make([]demoRow, len(rows))
		for i, s := range rows {
			view[i] = demoRow{At: s.At.UTC().Format(time.DateTime), Sent: s}
		}
		var buf bytes.Buffer
		if err := demoTemplate.Execute(&buf, view); err != nil {
			http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		_, _ = w.Write(buf.Bytes())
	})
}

type demoRow struct {
	At string
	Sent
}

// demoTemplate is the page; html/template escapes every message field.
var demoTemplate = template.Must(template.New("demo").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5">
<title>Dompet demo: messages sent · 演示：已发送的消息</title>
<style>
body{font-family:system-ui,sans-serif;margin:1rem;max-width:60rem}
.note{background:#fff4d6;border:1px solid #e0c060;padding:.6rem .8rem;border-radius:.4rem}
table{border-collapse:collapse;width:100%;margin-top:1rem}
th,td{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
td.text{white-space:pre-wrap}
</style>
</head>
<body>
<h1>Messages sent · 已发送的消息</h1>
<p class="note">Demo mode only: this page lists the SMS and emails Dompet sent recently, codes included, so that you can try every flow. It does not exist outside demo mode.<br>
仅限演示模式：本页列出 Dompet 最近发送的短信和电子邮件（包括验证码），方便您体验每个流程。非演示模式下没有此页面。</p>
{{if .}}<table>
<thead><tr><th>Time (UTC) · 时间</th><th>Channel · 渠道</th><th>To · 收件人</th><th>Kind · 类型</th><th>Message · 内容</th></tr></thead>
<tbody>
{{range .}}<tr><td>{{.At}}</td><td>{{.Message.Channel}}</td><td>{{.Message.To}}</td><td>{{.Message.Kind}}</td><td class="text">{{if .Message.Subject}}<strong>{{.Message.Subject}}</strong>
{{end}}{{.Message.Text}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p>Nothing sent yet. · 尚未发送任何消息。</p>{{end}}
</body>
</html>
`))
