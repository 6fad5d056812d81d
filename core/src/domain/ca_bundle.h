// CA bundles: the PEM certificates in a broker's `ca_cert`, parsed with
// OpenSSL. A bundle is one or more `CERTIFICATE` blocks; text between blocks
// (comments, as in many distributed bundles) is ignored. Devices and the
// probe trust every certificate in it, so an operator rotating a CA adds the
// new one, waits for the devices to pick it up, and removes the old one
// (docs/operations.md).
//
// Pure functions, thread-safe, no state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard {

// Within this much of its earliest notAfter a bundle is "expiring soon"
// (`ca_cert_expiring_soon` on broker reads and in the summary).
inline constexpr std::chrono::hours kCaExpiryWarning{30 * 24};

struct CaBundleInfo {
  int certificates = 0;
  // The earliest notAfter of the bundle's certificates, as timestamps are
  // stored (util/time.h), and as seconds since the Unix epoch.
  std::string earliest_not_after;
  std::int64_t earliest_not_after_unix = 0;
};

// Parses `pem` as written by an operator. Throws ValidationError on field
// `field` when it holds no PEM block ("not PEM"), a private key, a block
// that is not a certificate, or a certificate OpenSSL cannot read. The
// message never quotes the input. REQUIRES: !pem.empty().
CaBundleInfo ParseCaBundle(std::string_view pem, const std::string& field = "ca_cert");

// The same for a stored value, which may predate the check: nullopt when
// `pem` is empty or would be refused by ParseCaBundle. Never throws (but
// std::bad_alloc).
std::optional<CaBundleInfo> InspectCaBundle(std::string_view pem);

// True when the bundle's earliest notAfter is before now + kCaExpiryWarning
// (an expired CA included).
bool CaExpiresSoon(const CaBundleInfo& info, std::chrono::system_clock::time_point now);

}  // namespace switchboard
