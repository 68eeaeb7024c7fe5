package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// ErrPrivateTarget is a webhook URL or address in a loopback, private,
// link-local or otherwise non-public network.
var ErrPrivateTarget = errors.New("private and loopback addresses are refused (WEBHOOK_ALLOW_PRIVATE_NETWORKS)")

// public reports whether an address is one a webhook may reach.
func public(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast() &&
		!cgnat.Contains(a) && !a.IsUnspecified()
}

// cgnat is the shared address space of carrier-grade NAT (RFC 6598), not
// public either.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// lookupIP resolves a host (a variable for the tests).
var lookupIP = net.DefaultResolver.LookupNetIP

type checkedKey struct{}

// Precheck runs CheckURL on the URLs of webhooks about to be created, and
// returns a context that carries the outcomes to Create: a mutation runs in
// a transaction, which on SQLite holds the only writer, and resolving a host
// can take seconds. Call it before the transaction opens.
func Precheck(ctx context.Context, urls []string, allowPrivate bool) context.Context {
	if len(urls) == 0 {
		return ctx
	}
	checked := make(map[string]error, len(urls))
	for _, u := range urls {
		checked[u] = CheckURL(ctx, u, allowPrivate)
	}
	return context.WithValue(ctx, checkedKey{}, checked)
}

// checkURL is CheckURL's outcome from Precheck when there is one.
func checkURL(ctx context.Context, raw string, allowPrivate bool) error {
	if checked, ok := ctx.Value(checkedKey{}).(map[string]error); ok {
		if err, ok := checked[raw]; ok {
			return err
		}
	}
	return CheckURL(ctx, raw, allowPrivate)
}

// CheckURL tells what is wrong with a webhook URL, naming the part: the
// scheme must be http or https, the host given, and, unless allowPrivate,
// the host may not be or resolve to a non-public address.
func CheckURL(ctx context.Context, raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("not a URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("the scheme must be http or https, not %q", u.Scheme)
	case u.Hostname() == "":
		return errors.New("the URL has no host")
	case u.User != nil:
		return errors.New("credentials in the URL are refused: the signature authenticates deliveries")
	case allowPrivate:
		return nil
	}
	addrs, err := lookupIP(ctx, "ip", u.Hostname())
	if err != nil {
		return fmt.Errorf("the host %q does not resolve: %v", u.Hostname(), err)
	}
	for _, a := range addrs {
		if !public(a) {
			return fmt.Errorf("%s is %s: %w", u.Hostname(), a, ErrPrivateTarget)
		}
	}
	return nil
}

// Transport is the HTTP transport of deliveries. Unless allowPrivate, it
// refuses to connect to a non-public address whatever the name resolved to
// at that moment (a name checked at creation may point elsewhere later).
func Transport(allowPrivate bool) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !public(ap.Addr()) {
				return fmt.Errorf("%s: %w", address, ErrPrivateTarget)
			}
			return nil
		}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // a proxy would connect on the webhook's behalf, unchecked
	t.DialContext = d.DialContext
	t.MaxIdleConnsPerHost = 8
	return t
}
