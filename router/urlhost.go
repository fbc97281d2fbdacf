package router

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// metadataAddrs are cloud addresses that are not link-local but serve
// instance metadata or the platform agent: never a cell. Keyed by the
// address's canonical text (netip.Addr.String).
var metadataAddrs = map[string]string{
	"fd00:ec2::254":   "the AWS instance metadata service over IPv6",
	"168.63.129.16":   "the Azure platform (WireServer) address",
	"100.100.100.200": "the Alibaba Cloud metadata service",
}

// checkHost returns what is wrong with the host of a cell URL, or "". It
// refuses hosts the router must never send to and hosts that clients read
// differently; it does no DNS lookup, so a DNS name always passes.
//
// Refused:
//   - non-ASCII hosts (write an internationalised name as xn--...): URL
//     parsers map some non-ASCII characters to ASCII (full-width digits
//     become digits), so the host checked would not be the host dialled;
//   - IPv6 literals with a zone (fe80::1%eth0);
//   - IP literals (IPv4, IPv6, IPv4-mapped IPv6 such as ::ffff:169.254.169.254)
//     that are unspecified (0.0.0.0, ::) or in 0.0.0.0/8, link-local
//     (169.254.0.0/16, fe80::/10: where clouds serve instance metadata),
//     multicast, the broadcast address 255.255.255.255, or a well-known
//     cloud metadata address (metadataAddrs);
//   - numeric hosts that are not a canonical dotted quad: a host whose last
//     label is a number (all digits, or 0x and hex digits), such as
//     2852039166, 0251.0376.0251.0376, 0xa9.0xfe.0xa9.0xfe, 010.0.0.1 or
//     169.254.169.254. (trailing dot). Browsers, the Workers runtime and the
//     C resolver read these as IPv4 addresses (often 169.254.169.254) while
//     Go's own resolver does not, so what they name depends on who asks.
//
// Kept: loopback (local mode runs cells on 127.0.0.1), private addresses
// (cells on a private network), other IP literals and every DNS name.
func checkHost(u *url.URL) string {
	host := u.Hostname()
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			return fmt.Sprintf("the host %q holds non-ASCII characters: write an internationalised name in its ASCII form (xn--...)", host)
		}
	}
	if strings.HasPrefix(u.Host, "[") {
		addr, err := netip.ParseAddr(host)
		if err != nil {
			return fmt.Sprintf("the host [%s] is not an IPv6 address", host)
		}
		if addr.Zone() != "" {
			return fmt.Sprintf("the host [%s] has a zone (%%%s): a zone names a local network interface; use a routable address or a DNS name", host, addr.Zone())
		}
		return checkAddr(addr)
	}
	if addr, err := netip.ParseAddr(host); err == nil && addr.Is4() && addr.String() == host {
		return checkAddr(addr)
	}
	if endsInNumber(host) {
		return fmt.Sprintf("%q is an ambiguous numeric host: clients read it as an IPv4 address in different ways; write the address as four decimal numbers without leading zeros (10.1.2.3) or use a DNS name", host)
	}
	return ""
}

// checkAddr returns what is wrong with an IP literal host, or "". Addresses
// are formatted with String before they reach fmt, so that the Worker's
// wasm does not keep every method of netip.Addr.
func checkAddr(written netip.Addr) string {
	addr := written.Unmap()
	text := addr.String()
	msg := checkUnmapped(addr, text)
	if msg != "" && addr != written {
		msg = text + " (written as the IPv4-mapped " + written.String() + ")" + strings.TrimPrefix(msg, text)
	}
	return msg
}

func checkUnmapped(addr netip.Addr, text string) string {
	const use = ": use the cell's DNS name or a routable address"
	switch {
	case addr.IsUnspecified():
		return text + " is the unspecified address, not a host" + use
	case addr.Is4() && addr.As4()[0] == 0:
		return text + " is in 0.0.0.0/8 (\"this network\"), not a host" + use
	case addr.IsLinkLocalUnicast():
		return text + " is a link-local address (169.254.0.0/16 or fe80::/10, where clouds serve instance metadata), not a cell" + use
	case addr.IsMulticast():
		return text + " is a multicast address, not a cell" + use
	case text == "255.255.255.255":
		return text + " is the broadcast address, not a cell" + use
	}
	if what, ok := metadataAddrs[text]; ok {
		return text + " is a cloud metadata address (" + what + "), not a cell" + use
	}
	return ""
}

// endsInNumber reports whether a URL parser that follows the WHATWG URL
// standard (browsers, the Workers runtime) would read host as an IPv4
// address: its last label, ignoring one trailing dot, is all digits or 0x
// followed by hex digits.
func endsInNumber(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	digits := last
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	if len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') {
		digits = last[2:]
		isDigit = func(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
	}
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return false
		}
	}
	return true
}
