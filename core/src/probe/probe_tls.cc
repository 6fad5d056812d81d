// The TLS half of the probe's Connection (probe_transport.h): context set-up
// from the broker row's PEM fields, handshake and certificate verification.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include "probe/probe_transport.h"

namespace switchboard::probe {
namespace {

// The reason of the oldest queued OpenSSL error, or `fallback`.
std::string OpenSslReason(const std::string& fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return fallback;
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : fallback;
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Refuses encrypted keys instead of prompting on the terminal.
int NoPassphrase(char*, int, int, void*) { return -1; }

// The system's trust store (OpenSSL's default paths), read once per process
// and shared by every probe's context: reading the distribution's bundle of
// ~140 certificates took 20–30 ms of CPU per probe, the bulk of the health
// monitor's cost for TLS brokers without their own CA. X509_STORE locks its
// own lookups, so contexts on several probe threads may share it. A changed
// system bundle is seen after a restart. Null when OpenSSL cannot make one.
X509_STORE* SystemTrustStore() {
  static X509_STORE* const store = [] {
    X509_STORE* made = X509_STORE_new();
    if (made != nullptr && X509_STORE_set_default_paths(made) != 1) {
      X509_STORE_free(made);
      made = nullptr;
    }
    ERR_clear_error();
    return made;
  }();
  return store;
}
}  // namespace

void Connection::PrepareTls(const TlsSettings& settings) {
  host_ = settings.host;
  verify_ = settings.verify;
  ERR_clear_error();
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr)
    throw ProbeFailure(ProbeStage::kTls, OpenSslReason("cannot create a TLS context"));
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_default_passwd_cb(ctx_, NoPassphrase);
  if (settings.verify) {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (settings.ca_pem.empty()) {
      X509_STORE* system = SystemTrustStore();
      if (system == nullptr) {
        throw ProbeFailure(ProbeStage::kTls,
                           OpenSslReason("cannot read the system's trusted certificates"));
      }
      SSL_CTX_set1_cert_store(ctx_, system);
    } else {
      BioPtr bio = MemoryBio(settings.ca_pem);
      X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
      int loaded = 0;
      while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr)) {
        if (X509_STORE_add_cert(store, cert) == 1) ++loaded;
        X509_free(cert);
      }
      ERR_clear_error();  // the read loop always ends with "no start line"
      if (loaded == 0) {
        throw ProbeFailure(ProbeStage::kTls, "ca_cert holds no valid PEM certificate");
      }
    }
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
  const bool has_cert = !settings.client_cert_pem.empty();
  const bool has_key = !settings.client_key_pem.empty();
  if (has_cert != has_key) {
    throw ProbeFailure(ProbeStage::kTls, "client_cert and client_key must be set together");
  }
  if (has_cert) {
    BioPtr cert_bio = MemoryBio(settings.client_cert_pem);
    X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, NoPassphrase, nullptr);
    const bool cert_ok = cert != nullptr && SSL_CTX_use_certificate(ctx_, cert) == 1;
    X509_free(cert);
    if (!cert_ok)
      throw ProbeFailure(ProbeStage::kTls, "client_cert is not a usable PEM certificate");
    while (X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, NoPassphrase, nullptr)) {
      SSL_CTX_add0_chain_cert(ctx_, extra);  // takes ownership
    }
    BioPtr key_bio = MemoryBio(settings.client_key_pem);
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, NoPassphrase, nullptr);
    const bool key_ok = key != nullptr && SSL_CTX_use_PrivateKey(ctx_, key) == 1 &&
                        SSL_CTX_check_private_key(ctx_) == 1;
    EVP_PKEY_free(key);
    ERR_clear_error();
    if (!key_ok) {
      throw ProbeFailure(ProbeStage::kTls,
                         "client_key is not an unencrypted PEM key matching client_cert");
    }
  }
}

void Connection::Handshake(Clock::time_point deadline) {
  ERR_clear_error();
  ssl_ = SSL_new(ctx_);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    throw ProbeFailure(ProbeStage::kTls, OpenSslReason("cannot create a TLS session"));
  }
  const bool ip = IsIpLiteral(host_);
  if (!ip) SSL_set_tlsext_host_name(ssl_, host_.c_str());
  if (verify_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host_.c_str())
                       : X509_VERIFY_PARAM_set1_host(param, host_.c_str(), host_.size());
    if (set != 1)
      throw ProbeFailure(ProbeStage::kTls, "cannot check the certificate against " + host_);
  }
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_connect(ssl_);
    if (rc == 1) return;
    const int error = SSL_get_error(ssl_, rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (!WaitFor(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
        throw ProbeFailure(ProbeStage::kTls,
                           "handshake timed out (no TLS answer from " + address_ + ")");
      }
      continue;
    }
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      ERR_clear_error();
      throw ProbeFailure(ProbeStage::kTls, std::string("certificate verification failed: ") +
                                               X509_verify_cert_error_string(verify));
    }
    if (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      throw ProbeFailure(ProbeStage::kTls,
                         "connection closed by " + address_ + " during the handshake");
    }
    throw ProbeFailure(ProbeStage::kTls, "handshake failed: " + OpenSslReason("unknown TLS error"));
  }
}

bool Connection::TlsRetry(int rc, Clock::time_point deadline, IoStatus* status,
                          std::string* error) {
  const int code = SSL_get_error(ssl_, rc);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
    if (WaitFor(code == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return true;
    *status = IoStatus::kTimeout;
    return false;
  }
  if (code == SSL_ERROR_ZERO_RETURN || (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
    ERR_clear_error();
    *status = IoStatus::kClosed;
    return false;
  }
  *error = OpenSslReason("TLS error");
  *status = IoStatus::kError;
  return false;
}

}  // namespace switchboard::probe
