package login

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr returns the address of the client: RemoteAddr, or, when
// RemoteAddr is a trusted proxy, the rightmost X-Forwarded-For entry that
// is not itself a trusted proxy. Entries left of it were written by the
// client and cannot be trusted. A RemoteAddr that is not an IP address
// (possible only with a custom listener) gives "unknown", so such clients
// share one throttle counter.
func (h *Handler) clientAddr(r *http.Request) string {
	remote, err := netip.ParseAddrPort(r.RemoteAddr)
	var addr netip.Addr
	if err == nil {
		addr = remote.Addr()
	} else if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		addr = a
	} else {
		return "unknown"
	}
	addr = addr.Unmap()

	if !h.trusted(addr) {
		return addr.String()
	}
	forwarded := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(forwarded) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(forwarded[i]))
		if err != nil {
			// A malformed entry ends the chain that can be trusted.
			break
		}
		hop = hop.Unmap()
		if !h.trusted(hop) {
			return hop.String()
		}
		addr = hop
	}
	return addr.String()
}

func (h *Handler) trusted(addr netip.Addr) bool {
	for _, p := range h.proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
