package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/staff"
)

// staffTOTP is the RFC 6238 code of a base32 secret at t, written apart from Dompet's
// implementation (so these tests run where oathtool is not installed).
func staffTOTP(secret string, t time.Time) string {
	key, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(t.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:off+4])&0x7fffffff)%1_000_000)
}

// fxStaff is a staff member of an fxEnv with a logged-in token.
type fxStaff struct {
	staff.Staff
	secret, password, token string
}

func (e *fxEnv) newStaff(t testing.TB, role string) fxStaff {
	t.Helper()
	return e.newStaffAs(t, role, role)
}

func (e *fxEnv) newStaffAs(t testing.TB, name, role string) fxStaff {
	t.Helper()
	st, secret, pw, err := e.staff.Create(context.Background(), name+"@dompet.example", "Staff "+name, role, "", "")
	if err != nil {
		t.Fatal(err)
	}
	m := fxStaff{Staff: st, secret: secret, password: pw}
	m.token = e.staffLogin(t, m)
	return m
}

// staffLogin logs m in over HTTP with a fresh code.
func (e *fxEnv) staffLogin(t testing.TB, m fxStaff) string {
	t.Helper()
	e.advance(time.Minute)
	r := e.want(t, e.call(t, "POST", "/api/v1/agent/auth/login", "", map[string]any{"email": m.Email, "password": m.password,
		"otp": staffTOTP(m.secret, e.clock())}), 200)
	tok, _ := r.body["token"].(string)
	return tok
}

// TestStaffAdminRoles: who may call each administration route, and what they may change.
func TestStaffAdminRoles(t *testing.T) {
	e := newFxEnv(t)
	m := map[string]fxStaff{}
	for _, role := range staff.Roles {
		m[role] = e.newStaff(t, role)
	}
	e.newStaffAs(t, "agent2", "agent")
	agentPath := "/api/v1/agent/staff/" + m["agent"].ID
	hours := map[string]any{"time_zone": "Asia/Jakarta", "weekly": []any{map[string]any{"day": "mon", "start": "08:00", "end": "12:00"},
		map[string]any{"day": "mon", "start": "13:00", "end": "17:00"}}, "holidays": []string{"2027-01-01"}}
	tests := []struct {
		method, path string
		body         any
		allowed      []string // roles answered 2xx; the others get 403 forbidden
	}{
		{"GET", "/api/v1/agent/staff", nil, []string{"supervisor", "admin"}},
		{"GET", "/api/v1/agent/teams", nil, []string{"agent", "reviewer", "supervisor", "admin"}},
		{"GET", "/api/v1/agent/audit", nil, []string{"admin"}},
		{"PATCH", agentPath, map[string]any{"capacity": 4, "reason": "rota"}, []string{"supervisor", "admin"}},
		{"PATCH", agentPath, map[string]any{"team": "payments", "reason": "rota"}, []string{"supervisor", "admin"}},
		{"PATCH", agentPath, map[string]any{"role": "reviewer", "reason": "promotion"}, []string{"admin"}},
		{"PATCH", "/api/v1/agent/staff/" + m["reviewer"].ID, map[string]any{"capacity": 2, "reason": "rota"}, []string{"admin"}},
		{"POST", "/api/v1/agent/teams", map[string]any{"slug": "vip-%s", "name": "VIP", "topics": []string{"vip_%s"}, "business_hours": hours, "reason": "new desk"},
			[]string{"supervisor", "admin"}},
		{"PATCH", "/api/v1/agent/teams/general", map[string]any{"name": "General %s", "reason": "rename"}, []string{"supervisor", "admin"}},
	}
	for _, tt := range tests {
		for _, role := range staff.Roles {
			body := tt.body
			if b, ok := body.(map[string]any); ok { // unique slugs and names per caller
				c := map[string]any{}
				for k, v := range b {
					switch v := v.(type) {
					case string:
						if strings.Contains(v, "%s") {
							c[k] = fmt.Sprintf(v, role)
							continue
						}
					case []string:
						if len(v) == 1 && strings.Contains(v[0], "%s") {
							c[k] = []string{fmt.Sprintf(v[0], role)}
							continue
						}
					}
					c[k] = v
				}
				body = c
			}
			r := e.call(t, tt.method, tt.path, m[role].token, body)
			allowed := false
			for _, a := range tt.allowed {
				allowed = allowed || a == role
			}
			switch {
			case allowed && (r.status < 200 || r.status > 299):
				t.Errorf("%s %s as %s: %s, want success", tt.method, tt.path, role, r)
			case !allowed && (r.status != 403 || r.body["code"] != "forbidden"):
				t.Errorf("%s %s as %s: %s, want 403 forbidden", tt.method, tt.path, role, r)
			}
		}
	}
	// Refusals in both languages.
	r := e.call(t, "GET", "/api/v1/agent/audit", m["agent"].token, nil)
	if !strings.Contains(r.body["detail"].(string), "Only admins") {
		t.Errorf("en: %s", r)
	}
	zh := e.callLang(t, "GET", "/api/v1/agent/audit", m["agent"].token, "zh-CN")
	if zh.body["detail"] != "只有管理员可以执行此操作。" || zh.body["title"] != "无权操作" {
		t.Errorf("zh-CN: %s", zh)
	}
	// Bad input: named fields, 400.
	for _, body := range []any{
		map[string]any{"capacity": 99, "reason": "x"},
		map[string]any{"role": "root", "reason": "x"},
		map[string]any{"capacity": 2},
		map[string]any{"reason": "x"},
		`{"capacity": 2, "reason": "x", "extra": 1}`,
	} {
		e.wantProblem(t, e.call(t, "PATCH", agentPath, m["admin"].token, body), 400, "invalid_request")
	}
	e.wantProblem(t, e.call(t, "PATCH", "/api/v1/agent/staff/stf_nope", m["admin"].token, map[string]any{"capacity": 2, "reason": "x"}), 404, "not_found")
	e.wantProblem(t, e.call(t, "PATCH", "/api/v1/agent/staff/"+m["admin"].ID, m["admin"].token, map[string]any{"disabled": true, "reason": "x"}), 403, "forbidden")
	e.wantProblem(t, e.call(t, "POST", "/api/v1/agent/teams", m["admin"].token, map[string]any{"slug": "x2", "name": "X", "topics": []string{"refund"}, "reason": "x"}), 409, "already_exists")
	if zh := e.callLangBody(t, "POST", "/api/v1/agent/teams", m["admin"].token, "zh-CN",
		map[string]any{"slug": "x3", "name": "X", "topics": []string{"fees"}, "reason": "x"}); zh.body["detail"] != `话题 "fees" 已属于团队 "payments"。` {
		t.Errorf("zh-CN conflict: %s", zh)
	}
	e.wantProblem(t, e.call(t, "PATCH", "/api/v1/agent/teams/nope", m["admin"].token, map[string]any{"name": "X", "reason": "x"}), 404, "not_found")
	bad := map[string]any{"business_hours": map[string]any{"time_zone": "Asia/Jakarta", "weekly": []any{map[string]any{"day": "mon", "start": "12:00", "end": "08:00"}}}, "reason": "x"}
	p := e.wantProblem(t, e.call(t, "PATCH", "/api/v1/agent/teams/general", m["admin"].token, bad), 400, "invalid_request")
	if !strings.Contains(fmt.Sprint(p["errors"]), "business_hours.weekly[0].end") {
		t.Errorf("errors %v", p["errors"])
	}

	// The list shows what was changed.
	list := e.want(t, e.call(t, "GET", "/api/v1/agent/staff", m["admin"].token, nil), 200)
	items, _ := list.body["items"].([]any)
	if len(items) != 5 || list.body["next_cursor"] != nil {
		t.Fatalf("staff %s", list)
	}
	for _, it := range items {
		st := it.(map[string]any)
		if st["id"] == m["agent"].ID && (st["role"] != "reviewer" || st["team"] != "payments" || st["capacity"] != float64(4)) {
			t.Errorf("agent %v", st)
		}
	}
	teams := e.want(t, e.call(t, "GET", "/api/v1/agent/teams", m["agent"].token, nil), 200)
	if s := string(teams.raw); !strings.Contains(s, `"slug":"vip-admin"`) || !strings.Contains(s, `"holidays":["2027-01-01"]`) ||
		!strings.Contains(s, `"name":"General admin"`) {
		t.Errorf("teams %s", teams.raw)
	}
}

func (e *fxEnv) callLang(t testing.TB, method, path, token, lang string) fxReply {
	t.Helper()
	return e.callLangBody(t, method, path, token, lang, nil)
}

func (e *fxEnv) callLangBody(t testing.TB, method, path, token, lang string, body any) fxReply {
	t.Helper()
	status, header, raw, err := sendJSON(e.srv.Client(), method, e.srv.URL+path, token, body, hdr{"Accept-Language", lang})
	if err != nil {
		t.Fatal(err)
	}
	r := fxReply{status: status, header: header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// TestDisabledStaffLockedOutAtOnce: an admin disables a member; the member's session answers
// 401 on its very next request (no cache window), and their login, with the right password
// and code, answers exactly like an unknown email, status and body.
func TestDisabledStaffLockedOutAtOnce(t *testing.T) {
	e := newFxEnv(t)
	admin, agent := e.newStaff(t, "admin"), e.newStaff(t, "agent")
	e.want(t, e.call(t, "GET", "/api/v1/agent/me", agent.token, nil), 200)
	r := e.want(t, e.call(t, "PATCH", "/api/v1/agent/staff/"+agent.ID, admin.token, map[string]any{"disabled": true, "reason": "laptop stolen"}), 200)
	if r.body["disabled"] != true || r.body["status"] != "disabled" {
		t.Fatalf("disable %s", r)
	}
	e.wantProblem(t, e.call(t, "GET", "/api/v1/agent/me", agent.token, nil), 401, "unauthenticated")

	e.advance(time.Minute)
	real := e.call(t, "POST", "/api/v1/agent/auth/login", "", map[string]any{"email": agent.Email, "password": agent.password, "otp": staffTOTP(agent.secret, e.clock())})
	ghost := e.call(t, "POST", "/api/v1/agent/auth/login", "", map[string]any{"email": "ghost@dompet.example", "password": agent.password, "otp": "123456"})
	if real.status != 401 || real.status != ghost.status || string(real.raw) != string(ghost.raw) {
		t.Fatalf("disabled: %s\nunknown:  %s", real, ghost)
	}

	// The admin reads the audit log: who, what, why, filtered by actor, subject and time.
	q := url.Values{"actor": {admin.ID}, "subject": {agent.ID}, "from": {e.clock().Add(-time.Hour).Format(time.RFC3339)}}
	a := e.want(t, e.call(t, "GET", "/api/v1/agent/audit?"+q.Encode(), admin.token, nil), 200)
	items, _ := a.body["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("audit %s", a)
	}
	en := items[0].(map[string]any)
	if en["action"] != "staff.disabled" || en["reason"] != "laptop stolen" || en["ip"] != "127.0.0.1" || en["target_id"] != agent.ID {
		t.Fatalf("entry %v", en)
	}
	// Pages: limit and cursor.
	var seen int
	path := "/api/v1/agent/audit?limit=2"
	for range 50 {
		pg := e.want(t, e.call(t, "GET", path, admin.token, nil), 200)
		items, _ := pg.body["items"].([]any)
		seen += len(items)
		next, _ := pg.body["next_cursor"].(string)
		if next == "" {
			break
		}
		path = "/api/v1/agent/audit?limit=2&cursor=" + url.QueryEscape(next)
	}
	all := e.want(t, e.call(t, "GET", "/api/v1/agent/audit?limit=200", admin.token, nil), 200)
	if items, _ := all.body["items"].([]any); seen != len(items) || seen < 5 {
		t.Fatalf("paged %d, all %d", seen, len(items))
	}
	e.wantProblem(t, e.call(t, "GET", "/api/v1/agent/audit?from=yesterday", admin.token, nil), 400, "invalid_request")
	e.wantProblem(t, e.call(t, "GET", "/api/v1/agent/audit?limit=0", admin.token, nil), 400, "invalid_request")
}
