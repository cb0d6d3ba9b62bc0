package httpserver

import (
	"net"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// clientAddress finds the address of the caller behind the trusted proxies.
// Each proxy appends the address it received the request from to
// X-Forwarded-For, so the header is read from the right: the first entry
// that is not a trusted proxy is the caller. Everything left of it was
// written by the caller itself and is ignored; Fiber's own ProxyHeader
// takes the left-most entry, which let a caller choose its address (and so
// its throttling bucket and its audit line).
type clientAddress struct {
	trusted []*net.IPNet
}

func newClientAddress(proxies []string) clientAddress {
	var ca clientAddress
	for _, p := range proxies {
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip.To4() != nil {
				p += "/32"
			} else {
				p += "/128"
			}
		}
		if _, n, err := net.ParseCIDR(p); err == nil {
			ca.trusted = append(ca.trusted, n)
		}
	}
	return ca
}

func (ca clientAddress) isTrusted(ip net.IP) bool {
	for _, n := range ca.trusted {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// of returns the caller's address for a request from peer carrying the
// X-Forwarded-For values forwarded.
func (ca clientAddress) of(peer net.IP, forwarded []string) net.IP {
	if !ca.isTrusted(peer) {
		return peer
	}
	var hops []string
	for _, v := range forwarded {
		hops = append(hops, strings.Split(v, ",")...)
	}
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		ip := net.ParseIP(strings.TrimSpace(hops[i]))
		if ip == nil {
			// A trusted proxy wrote something that is no address: the
			// last hop known for certain is the caller.
			return addr
		}
		addr = ip
		if !ca.isTrusted(ip) {
			return ip
		}
	}
	return addr // every hop is a trusted proxy
}

const clientIPKey localKey = 1

// middleware records the caller's address for ClientIP.
func (ca clientAddress) middleware(c *fiber.Ctx) error {
	var forwarded []string
	c.Request().Header.VisitAll(func(k, v []byte) {
		if strings.EqualFold(string(k), fiber.HeaderXForwardedFor) {
			forwarded = append(forwarded, string(v))
		}
	})
	c.Locals(clientIPKey, ca.of(c.Context().RemoteIP(), forwarded).String())
	return c.Next()
}

// ClientIP is the caller's address: the peer's, or behind trusted proxies
// the right-most X-Forwarded-For entry that is not one of them. Throttling
// and the audit log use it; never httpserver.ClientIP(c).
func ClientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(clientIPKey).(string); ok {
		return ip
	}
	return c.Context().RemoteIP().String()
}
