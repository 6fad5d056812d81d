// libFuzzer target: the PEM bundle parser (core/src/domain/ca_bundle.h),
// which every broker `ca_cert` an operator writes goes through, and which
// reads the stored bundles for /metrics and broker reads. Beyond "no crash"
// it checks the header's contract:
//   - a bundle is accepted with at least one certificate and a readable
//     earliest notAfter, or refused with a ValidationError on the field it
//     was given; no other exception escapes (the API would answer 500);
//   - InspectCaBundle agrees with ParseCaBundle and never throws;
//   - the refusal's message is bounded and never quotes a block's content:
//     the input, as the body of a private key block (always refused) and of
//     a certificate block, must not appear in the message.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "domain/ca_bundle.h"
#include "domain/domain_errors.h"

namespace {

// Longest message ParseCaBundle may produce: its fixed texts are under 120
// characters, plus a PEM label, which OpenSSL reads from one line of at most
// PEM_BUFSIZE (1024) bytes.
constexpr std::size_t kMaxMessage = 1024 + 200;

// Parses `pem` on field `field`; aborts when the contract does not hold.
// Returns the bundle when accepted, nullopt (and the message) when refused.
std::optional<switchboard::CaBundleInfo> Check(std::string_view pem, const std::string& field,
                                               std::string* message) {
  std::optional<switchboard::CaBundleInfo> info;
  try {
    info = switchboard::ParseCaBundle(pem, field);
  } catch (const switchboard::ValidationError& e) {
    if (e.field() != field) std::abort();
    const std::string what = e.what();
    if (what.rfind(field + " ", 0) != 0 || what.size() > kMaxMessage) std::abort();
    *message = what;
  }
  const auto inspected = switchboard::InspectCaBundle(pem);
  if (inspected.has_value() != info.has_value()) std::abort();
  if (info) {
    if (info->certificates < 1 || info->earliest_not_after.empty()) std::abort();
    if (inspected->certificates != info->certificates ||
        inspected->earliest_not_after_unix != info->earliest_not_after_unix) {
      std::abort();
    }
    (void)switchboard::CaExpiresSoon(*info, std::chrono::system_clock::now());
  }
  return info;
}

// The input inside a block with `label`, marked so that the marks cannot be
// part of a fixed message text.
std::string Wrapped(std::string_view label, std::string_view input) {
  std::string pem = "-----BEGIN " + std::string(label) + "-----\nZq9x";
  pem.append(input);
  pem += "x9qZ\n-----END " + std::string(label) + "-----\n";
  return pem;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view pem(reinterpret_cast<const char*>(data), size);
  if (pem.empty()) {
    // ParseCaBundle REQUIRES a non-empty bundle; the stored-value reader
    // takes any.
    if (switchboard::InspectCaBundle(pem)) std::abort();
    return 0;
  }
  std::string message;
  Check(pem, "ca_cert", &message);

  // A private key pasted into ca_cert is refused, and nothing of it is
  // repeated: the key is disclosed enough by having been sent.
  std::string key_message;
  if (Check(Wrapped("PRIVATE KEY", pem), "ca_cert", &key_message)) std::abort();
  if (key_message.find("Zq9x") != std::string::npos) std::abort();
  // Nor is a certificate block's content quoted when it is refused (it may
  // be accepted: the input can turn the first mark into a PEM header line).
  // Only for an input that cannot open a block of its own, whose label the
  // message would rightly name.
  std::string cert_message;
  if (!Check(Wrapped("CERTIFICATE", pem), "broker.ca_cert", &cert_message) &&
      pem.find("-----") == std::string_view::npos &&
      cert_message.find("Zq9x") != std::string::npos) {
    std::abort();
  }
  return 0;
}
