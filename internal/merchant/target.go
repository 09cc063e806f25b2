package merchant

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrPrivateTarget is the dial error of a webhook to an address webhooks may not reach.
var ErrPrivateTarget = errors.New("webhook target is a loopback, private, link-local or metadata address")

// blocked are ranges beyond what netip's predicates name: "this network", carrier-grade NAT
// (Alibaba Cloud's metadata service is 100.100.100.200), IETF protocol assignments (Oracle
// Cloud's 192.0.0.192), benchmarking, reserved and broadcast, and IPv6 site-local.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("fec0::/10"),
}

// nat64 is the well-known NAT64 prefix: its addresses reach the IPv4 address in their last
// 32 bits, which is checked instead.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// forbidden reports whether a webhook may not connect to ip: loopback, private (RFC 1918 and
// IPv6 unique-local, which holds AWS's fd00:ec2::254), link-local (169.254.169.254, the metadata
// address of most clouds), multicast, unspecified, and the ranges of blocked.
func forbidden(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// privateURL reports whether raw names its host by a forbidden IP address or as localhost. A
// name is otherwise only checked when connecting, on the addresses it resolves to then.
func privateURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false // validURL reports it
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && forbidden(ip)
}

// dialControl runs after DNS resolution, on the very address about to be connected to, so
// neither a name resolving to a private address nor DNS rebinding gets past it.
func dialControl(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivateTarget, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || forbidden(ip) {
		return fmt.Errorf("%w: %s", ErrPrivateTarget, host)
	}
	return nil
}

// webhookTransport is the HTTP transport of webhooks: no proxy from the environment (it would
// be dialled instead of the target, bypassing the check) and, unless allowPrivate, a dialer
// that refuses forbidden addresses.
func webhookTransport(allowPrivate bool) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = dialControl
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = d.DialContext
	return t
}
