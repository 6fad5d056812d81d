#include "domain/ca_bundle.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

#include "domain/domain_errors.h"
#include "util/time.h"

namespace switchboard {
namespace {

struct OpenSslFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
  void operator()(X509* cert) const { X509_free(cert); }
  void operator()(char* text) const { OPENSSL_free(text); }
  void operator()(unsigned char* data) const { OPENSSL_free(data); }
};
template <typename T>
using Owned = std::unique_ptr<T, OpenSslFree>;

[[noreturn]] void Refuse(const std::string& field, const std::string& why) {
  throw ValidationError(field, field + " " + why);
}

std::int64_t UnixTimeOf(const ASN1_TIME* when) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(when, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

CaBundleInfo ParseCaBundle(std::string_view pem, const std::string& field) {
  Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw std::bad_alloc();
  CaBundleInfo info;
  int blocks = 0;
  while (true) {
    char* raw_name = nullptr;
    char* raw_header = nullptr;
    unsigned char* raw_data = nullptr;
    long length = 0;
    ERR_clear_error();
    if (PEM_read_bio(bio.get(), &raw_name, &raw_header, &raw_data, &length) != 1) {
      const unsigned long error = ERR_peek_last_error();
      ERR_clear_error();
      // "No start line" is the normal end: no further block.
      if (ERR_GET_REASON(error) == PEM_R_NO_START_LINE) break;
      Refuse(field, "holds a PEM block OpenSSL cannot read (bad base64 or no END line)");
    }
    Owned<char> name(raw_name);
    Owned<char> header(raw_header);
    Owned<unsigned char> data(raw_data);
    ++blocks;
    const std::string label = name.get();
    if (label.find("PRIVATE KEY") != std::string::npos) {
      Refuse(field, "must not contain a private key (found a '" + label +
                        "' block): remove it, and treat that key as disclosed");
    }
    if (label != "CERTIFICATE" && label != "TRUSTED CERTIFICATE") {
      Refuse(field, "may hold only CERTIFICATE blocks, found '" + label + "'");
    }
    const unsigned char* cursor = data.get();
    Owned<X509> cert(d2i_X509(nullptr, &cursor, length));
    if (!cert && label == "TRUSTED CERTIFICATE") {
      cursor = data.get();
      cert.reset(d2i_X509_AUX(nullptr, &cursor, length));
    }
    if (!cert) {
      ERR_clear_error();
      Refuse(field, "certificate " + std::to_string(blocks) + " is not a valid X.509 certificate");
    }
    const std::int64_t not_after = UnixTimeOf(X509_get0_notAfter(cert.get()));
    if (info.certificates == 0 || not_after < info.earliest_not_after_unix) {
      info.earliest_not_after_unix = not_after;
    }
    ++info.certificates;
  }
  if (blocks == 0) {
    Refuse(field, "is not PEM: expected one or more '-----BEGIN CERTIFICATE-----' blocks");
  }
  info.earliest_not_after =
      UtcIso8601(std::chrono::system_clock::from_time_t(info.earliest_not_after_unix));
  return info;
}

std::optional<CaBundleInfo> InspectCaBundle(std::string_view pem) {
  if (pem.empty()) return std::nullopt;
  try {
    return ParseCaBundle(pem);
  } catch (const ValidationError&) {
    return std::nullopt;
  }
}

bool CaExpiresSoon(const CaBundleInfo& info, std::chrono::system_clock::time_point now) {
  const auto expires = std::chrono::system_clock::from_time_t(info.earliest_not_after_unix);
  return expires < now + kCaExpiryWarning;
}

}  // namespace switchboard
