package merchant

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dompet/dompet/internal/outbox"
)

func TestForbiddenAddresses(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true}, {"127.8.9.10", true}, {"::1", true},
		{"10.0.0.1", true}, {"172.16.5.4", true}, {"172.31.255.255", true}, {"192.168.0.1", true},
		{"169.254.169.254", true}, {"169.254.0.1", true}, {"fe80::1", true}, {"fe80::1%eth0", true},
		{"fd00:ec2::254", true}, {"fc00::1", true}, {"fec0::1", true},
		{"0.0.0.0", true}, {"::", true}, {"0.1.2.3", true},
		{"100.100.100.200", true}, {"100.64.0.1", true}, {"192.0.0.192", true},
		{"224.0.0.1", true}, {"ff02::1", true}, {"255.255.255.255", true}, {"198.18.0.1", true},
		{"::ffff:127.0.0.1", true}, {"::ffff:169.254.169.254", true}, {"64:ff9b::a9fe:a9fe", true},
		{"203.0.113.9", false}, {"8.8.8.8", false}, {"172.32.0.1", false}, {"100.128.0.1", false},
		{"2001:4860:4860::8888", false}, {"64:ff9b::808:808", false},
	} {
		if got := forbidden(netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("forbidden(%s) = %v, want %v", tc.ip, got, tc.want)
		}
	}
}

// A URL saved as a public name may later resolve to a private address (DNS rebinding, or a
// name that always did): the dialer refuses the resolved address, unless private targets are
// allowed.
func TestDialRefusesPrivateTargets(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	viaName := "http://localhost:" + u.Port() + "/hook"

	for _, target := range []string{srv.URL + "/hook", viaName} {
		e := newEnv(t, func(o *Options) { o.AllowPrivateTargets = false; o.Retry.Attempts = 1 })
		c := e.merchant(t, target) // saved as if DNS had changed since: bypasses Create's check
		ev := e.emit(t, c.ID, nil)
		e.dispatch(t)
		st := e.state(t, ev)
		if st.Status != outbox.StatusDead || !strings.Contains(st.LastError, ErrPrivateTarget.Error()) {
			t.Errorf("%s: %+v", target, st)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the private receiver got %d requests", n)
	}

	e := newEnv(t, nil) // AllowPrivateTargets: true
	c := e.merchant(t, viaName)
	ev := e.emit(t, c.ID, nil)
	e.dispatch(t)
	if st := e.state(t, ev); st.Status != outbox.StatusDelivered || hits.Load() != 1 {
		t.Fatalf("with private targets allowed: %+v, %d hits", st, hits.Load())
	}
}

func TestDialControlNamesTheAddress(t *testing.T) {
	err := dialControl("tcp", "169.254.169.254:80", nil)
	if !errors.Is(err, ErrPrivateTarget) || !strings.Contains(err.Error(), "169.254.169.254") {
		t.Fatalf("dialControl = %v", err)
	}
	if err := dialControl("tcp", "203.0.113.9:443", nil); err != nil {
		t.Fatalf("public address refused: %v", err)
	}
}
