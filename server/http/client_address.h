// The address a request came from, as rate limits and logs must see it.
//
// Without trusted proxies (the default) it is the TCP peer, whatever the
// request says. When the peer is a trusted proxy (`server.trusted_proxies`),
// the proxy's X-Forwarded-For is believed, and only as far as the proxies go:
// the header is read from the right, skipping trusted proxies, and the first
// entry that is not one is the client. Entries left of it were written by
// the client and are never believed (RFC 7239 §7.4 describes the same walk).
//
// An entry that is not an address ("unknown", garbage) ends the walk at the
// nearest trusted hop to its right: something we trust wrote nonsense, so the
// request is counted against that hop rather than against a name the client
// chose. Repeated X-Forwarded-For lines are joined in order before the walk
// (connection_handler.cc), as RFC 9110 §5.3 allows; a proxy that adds its
// own line instead of appending is therefore read correctly.
//
// Pure function; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/ip_address.h"

namespace switchboard::http {

// `peer`: the TCP peer's address text (Pistache's host(), e.g. "127.0.0.1"
// or "::1"). `forwarded_for`: the X-Forwarded-For value, if any. Returns the
// client's address in canonical form (IpAddress::ToString()), or `peer` as
// given when it does not parse (never happens for a real socket).
std::string ClientAddress(std::string_view peer, std::optional<std::string_view> forwarded_for,
                          const IpRangeSet& trusted_proxies);

}  // namespace switchboard::http
