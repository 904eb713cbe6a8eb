package httpapi

import (
	"net"
	"net/http"
	"strings"
)

// sourceIP is the address of the client a request comes from, for
// ?near=_ip: the first address of X-Forwarded-For when it is one (the
// client behind a proxy), else the connection's.
func sourceIP(r *http.Request) string {
	if fwd := r.Header.Get("X-Forwarded-For"); fwd != "" {
		first, _, _ := strings.Cut(fwd, ",")
		if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
			return ip.String()
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}
