package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"github.com/dompet/dompet/internal/front"
)

// DemoLogins is what the /demo page shows: everything a person needs to try Dompet loaded
// with the demo data (`serve --demo`). All of it is public by design: demo data only.
type DemoLogins struct {
	Password      string         `json:"password"` // every demo user's
	PIN           string         `json:"pin"`      // every demo user's payment PIN
	Users         []DemoUser     `json:"users"`
	Merchants     []DemoMerchant `json:"merchants"`
	AgentPassword string         `json:"agent_password"` // every demo staff member's
	Agents        []DemoAgent    `json:"agents"`
	Messages      string         `json:"messages"` // path of the page of SMS and emails sent
}

// DemoUser is a demo wallet user's login.
type DemoUser struct {
	Email  string `json:"email"`
	Phone  string `json:"phone"`
	Name   string `json:"display_name"`
	Tier   string `json:"tier"`
	Locale string `json:"locale"`
}

// DemoMerchant is a demo merchant's id and API key.
type DemoMerchant struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	APIKey string `json:"api_key"`
}

// DemoAgent is a demo staff member's login: email, role and team, and the TOTP secret an
// authenticator app needs (also as an otpauth:// URL).
type DemoAgent struct {
	Email      string `json:"email"`
	Name       string `json:"name"`
	Role       string `json:"role"`
	Team       string `json:"team"`
	TOTPSecret string `json:"totp_secret"`
	OTPAuthURL string `json:"otpauth_url"`
}

// demoPage serves /demo; html/template escapes every value.
func demoPage(d *DemoLogins) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := front.LocaleOf(r)
		var buf bytes.Buffer
		if err := demoTemplate.Execute(&buf, map[string]any{"D": d, "ZH": l == front.ZH, "Lang": l.String()}); err != nil {
			http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Language", l.String())
		h.Set("Cache-Control", "no-store")
		_, _ = w.Write(buf.Bytes())
	})
}

// otpauthHref lets an otpauth:// URL be a link (html/template refuses schemes it does not
// know); anything else stays refused.
func otpauthHref(u string) any {
	if strings.HasPrefix(u, "otpauth://") {
		return template.URL(u)
	}
	return u
}

var demoTemplate = template.Must(template.New("demo").Funcs(template.FuncMap{"otpauth": otpauthHref}).Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .ZH}}Dompet 演示{{else}}Dompet demo{{end}}</title>
<link rel="stylesheet" href="/static/site.css"></head>
<body class="wide">
{{with .D}}
<h1>{{if $.ZH}}Dompet 演示{{else}}Dompet demo{{end}}</h1>
<p class="sub">{{if $.ZH}}试用所需的一切。所有数据仅供演示。{{else}}Everything you need to try it. Demo data only.{{end}}</p>
<p>{{if $.ZH}}发送的短信和邮件（含验证码）见{{else}}The SMS and emails sent, codes included, are at{{end}} <a href="{{.Messages}}">{{.Messages}}</a>.
{{if $.ZH}}API 位于{{else}}The API is at{{end}} <code>/api/v1</code> (<a href="/api/openapi.json">/api/openapi.json</a>).</p>

<h2>{{if $.ZH}}钱包用户{{else}}Wallet users{{end}}</h2>
<p>{{if $.ZH}}密码{{else}}Password{{end}} <code>{{.Password}}</code> · {{if $.ZH}}支付 PIN{{else}}payment PIN{{end}} <code>{{.PIN}}</code></p>
<table><tr><th>{{if $.ZH}}邮箱{{else}}Email{{end}}</th><th>{{if $.ZH}}手机{{else}}Phone{{end}}</th><th>{{if $.ZH}}姓名{{else}}Name{{end}}</th><th>{{if $.ZH}}等级{{else}}Tier{{end}}</th><th>{{if $.ZH}}语言{{else}}Language{{end}}</th></tr>
{{range .Users}}<tr><td><code>{{.Email}}</code></td><td><code>{{.Phone}}</code></td><td>{{.Name}}</td><td>{{.Tier}}</td><td>{{.Locale}}</td></tr>
{{end}}</table>

<h2>{{if $.ZH}}商户{{else}}Merchants{{end}}</h2>
<table><tr><th>{{if $.ZH}}名称{{else}}Name{{end}}</th><th>ID</th><th>{{if $.ZH}}API 密钥{{else}}API key{{end}}</th></tr>
{{range .Merchants}}<tr><td>{{.Name}}</td><td><code>{{.ID}}</code></td><td><code>{{.APIKey}}</code></td></tr>
{{end}}</table>

<h2>{{if $.ZH}}客服人员{{else}}Support staff{{end}}</h2>
<p>{{if $.ZH}}密码{{else}}Password{{end}} <code>{{.AgentPassword}}</code>. {{if $.ZH}}登录还需要身份验证器应用中的 TOTP 验证码：添加下面的密钥或 otpauth 链接。{{else}}Logging in also takes a TOTP code from an authenticator app: add the secret or the otpauth URL below.{{end}}</p>
<table><tr><th>{{if $.ZH}}邮箱{{else}}Email{{end}}</th><th>{{if $.ZH}}姓名{{else}}Name{{end}}</th><th>{{if $.ZH}}角色{{else}}Role{{end}}</th><th>{{if $.ZH}}团队{{else}}Team{{end}}</th><th>{{if $.ZH}}TOTP 密钥{{else}}TOTP secret{{end}}</th></tr>
{{range .Agents}}<tr><td><code>{{.Email}}</code></td><td>{{.Name}}</td><td>{{.Role}}</td><td>{{.Team}}</td><td><code>{{.TOTPSecret}}</code><br><a href="{{otpauth .OTPAuthURL}}">otpauth</a></td></tr>
{{end}}</table>
{{end}}
</body></html>
`))
