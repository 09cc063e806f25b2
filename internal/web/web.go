// Package web serves Dompet's pages. For now that is the front page, which tells a person
// what is running and where to go (the API and its document, the demo logins and the demo
// message log), and in demo mode /demo, the logins; the customer app and the agent console
// will live here too.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"

	"github.com/dompet/dompet/internal/front"
)

// Options say what the pages can point to.
type Options struct {
	Demo bool // demo mode: show the demo logins and link the message log
	// DemoMessages serves /demo/messages, the SMS and emails sent (codes included), in demo
	// mode; nil leaves it out.
	DemoMessages http.Handler
	// DemoLogins, in demo mode, are shown at /demo; nil leaves the page out.
	DemoLogins *DemoLogins
}

//go:embed static
var static embed.FS

// Routes are the pages, for the HTTP front to mount beside the API. The front negotiates
// their language and gives them the page Content-Security-Policy: no inline script or
// style, so styles live in /static/.
func Routes(o Options) []front.Route {
	assets, _ := fs.Sub(static, "static") // the directory is embedded: cannot fail
	rs := []front.Route{
		{Pattern: "GET /{$}", Page: true, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			l := front.LocaleOf(r)
			h := w.Header()
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Language", l.String())
			h.Set("Cache-Control", "no-store")
			_ = index.Execute(w, map[string]any{"Demo": o.Demo, "ZH": l == front.ZH, "Lang": l.String()})
		})},
		{Pattern: "GET /static/", Page: true, Handler: http.StripPrefix("/static/", http.FileServerFS(assets))},
	}
	if o.DemoLogins != nil {
		rs = append(rs, front.Route{Pattern: "GET /demo", Page: true, Handler: demoPage(o.DemoLogins)})
	}
	if o.DemoMessages != nil {
		rs = append(rs, front.Route{Pattern: "GET /demo/messages", Page: true, Handler: o.DemoMessages})
	}
	return rs
}

var index = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dompet</title>
<link rel="stylesheet" href="/static/site.css"></head>
<body>
{{if .ZH}}
<h1>Dompet</h1><p class="sub">电子钱包与人工客服，一个程序。</p>
<p>服务器正在运行。钱包 API 位于 <code>/api/v1</code>，接口参考见 <a href="/api/docs">/api/docs</a>（文档：<a href="/api/openapi.json">/api/openapi.json</a>）。</p>
{{if .Demo}}<h2>演示模式</h2>
<p>演示账户、支付 PIN、商户 API 密钥和客服登录见 <a href="/demo">/demo</a>。</p>
<p>发送的短信和邮件（含验证码）见 <a href="/demo/messages">/demo/messages</a>。</p>{{end}}
<p>客户网页、客服工作台和帮助中心正在开发中。</p>
{{else}}
<h1>Dompet</h1><p class="sub">An e-wallet with a human support desk, in one program.</p>
<p>The server is running. The wallet API is at <code>/api/v1</code>; its reference is <a href="/api/docs">/api/docs</a> (document: <a href="/api/openapi.json">/api/openapi.json</a>).</p>
{{if .Demo}}<h2>Demo mode</h2>
<p>The demo logins (users, their payment PIN, merchant API keys, support staff) are at <a href="/demo">/demo</a>.</p>
<p>The SMS and emails sent, codes included, are at <a href="/demo/messages">/demo/messages</a>.</p>{{end}}
<p>The customer web app, the agent console and the help center are in progress.</p>
{{end}}
</body></html>
`))
