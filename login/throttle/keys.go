package throttle

import (
	"net/netip"

	"github.com/hotelsoft/idp/idp/secret"
)

// maxKeyPart bounds the length of an account or address in a key. Longer
// values are replaced by their SHA-256, so that hostile input cannot make
// keys of any length.
const maxKeyPart = 200

// accountKey returns "acct:<step>:<account>".
func accountKey(step, account string) string {
	return "acct:" + step + ":" + bounded(account)
}

// addressKey returns "addr:<address>". An IPv6 address is reduced to its
// /64 prefix, because one subscriber usually holds a whole /64 and could
// otherwise take a fresh address for every guess. An IPv4-mapped IPv6
// address counts as the IPv4 address. A value that is not an IP address,
// with or without a port, is used as given.
func addressKey(clientAddr string) string {
	addr, err := netip.ParseAddr(clientAddr)
	if err != nil {
		ap, perr := netip.ParseAddrPort(clientAddr)
		if perr != nil {
			return "addr:" + bounded(clientAddr)
		}
		addr = ap.Addr()
	}

	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		prefix, _ := addr.Prefix(64) // cannot fail for an IPv6 address and 64 bits
		return "addr:" + prefix.String()
	}
	return "addr:" + addr.String()
}

func bounded(s string) string {
	if len(s) <= maxKeyPart {
		return s
	}
	return "sha256:" + secret.Hash(s)
}
