// Package web serves Dompet's pages. For now that is the front page, which tells a person
// what is running and where to go (the API and its document, the demo logins and the demo
// message log); the customer app and the agent console will live here too.
package web

import (
	"html/template"
	"net/http"
	"strings"
)

// Options say what the front page can point to.
type Options struct {
	Demo bool // demo mode: show the demo logins and link the message log
}

// Handler serves the pages; extra handles paths it does not know (e.g. /demo/messages).
func Handler(o Options, extra http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		zh := strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "zh")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		lang := "en"
		if zh {
			lang = "zh-CN"
		}
		_ = index.Execute(w, map[string]any{"Demo": o.Demo, "ZH": zh, "Lang": lang})
	})
	if extra != nil {
		mux.Handle("/", extra)
	}
	return mux
}

var index = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dompet</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
code{background:#f2f2f2;padding:0 .25rem}h1{margin-bottom:0}.sub{color:#555;margin-top:0}</style></head>
<body>
{{if .ZH}}
<h1>Dompet</h1><p class="sub">电子钱包与人工客服，一个程序。</p>
<p>服务器正在运行。钱包 API 位于 <code>/api/v1</code>，接口文档见 <a href="/api/openapi.json">/api/openapi.json</a>。</p>
{{if .Demo}}<h2>演示模式</h2>
<p>演示账户（密码 <code>Dompet-demo-2026!</code>）：<code>alice@dompet.localhost</code>、<code>budi@dompet.localhost</code>、<code>li.wei@dompet.localhost</code>。</p>
<p>发送的短信和邮件（含验证码）见 <a href="/demo/messages">/demo/messages</a>。</p>{{end}}
<p>客户网页、客服工作台和帮助中心正在开发中。</p>
{{else}}
<h1>Dompet</h1><p class="sub">An e-wallet with a human support desk, in one program.</p>
<p>The server is running. The wallet API is at <code>/api/v1</code>; its document is <a href="/api/openapi.json">/api/openapi.json</a>.</p>
{{if .Demo}}<h2>Demo mode</h2>
<p>Demo users (password <code>Dompet-demo-2026!</code>): <code>alice@dompet.localhost</code>, <code>budi@dompet.localhost</code>, <code>li.wei@dompet.localhost</code>.</p>
<p>The SMS and emails sent, codes included, are at <a href="/demo/messages">/demo/messages</a>.</p>{{end}}
<p>The customer web app, the agent console and the help center are in progress.</p>
{{end}}
</body></html>
`))
