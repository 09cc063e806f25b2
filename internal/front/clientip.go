package front

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// proxies are the trusted reverse proxies: only their X-Forwarded-For and
// X-Forwarded-Proto are believed.
type proxies []netip.Prefix

func (ps proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr is the address of the connection's other end.
func peerAddr(remote string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(remote); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

// peerIP is the peer's address as text (the RemoteAddr without its port).
func peerIP(remote string) string {
	if a, ok := peerAddr(remote); ok {
		return a.String()
	}
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// fromTrusted tells whether r came straight from a trusted proxy.
func (ps proxies) fromTrusted(r *http.Request) bool {
	if len(ps) == 0 {
		return false
	}
	a, ok := peerAddr(r.RemoteAddr)
	return ok && ps.trusts(a)
}

// clientIP walks X-Forwarded-For from the right while the hops are trusted proxies: the
// first address that is not one is the client (what is left of it, anyone could have
// written). A request not from a trusted proxy is its peer.
func (ps proxies) clientIP(r *http.Request) string {
	if !ps.fromTrusted(r) {
		return peerIP(r.RemoteAddr)
	}
	client, _ := peerAddr(r.RemoteAddr)
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		hops := strings.Split(values[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[j]))
			if err != nil {
				return client.String() // garbage: keep the last hop we could trust
			}
			client = a.Unmap()
			if !ps.trusts(client) {
				return client.String()
			}
		}
	}
	return client.String()
}

// overTLS tells whether the client reached us over TLS: our own listener, or a trusted
// proxy's X-Forwarded-Proto.
func (ps proxies) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if len(ps) == 0 {
		return false
	}
	proto := r.Header.Get("X-Forwarded-Proto")
	if i := strings.LastIndexByte(proto, ','); i >= 0 {
		proto = proto[i+1:] // the hop nearest to us
	}
	return proto != "" && strings.EqualFold(strings.TrimSpace(proto), "https") && ps.fromTrusted(r)
}
