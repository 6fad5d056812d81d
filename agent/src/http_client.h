// HTTP(S) requests to the Switchboard server over libcurl. One easy handle
// per client, so connections are kept alive between requests. TLS always
// verifies the server's certificate and host name, against `ca_file` when
// given (--api-ca) and the OS trust store otherwise. Proxies follow
// libcurl's environment variables (https_proxy, no_proxy, …).
//
// Not thread-safe: one HttpClient per thread. curl_global_init must have
// run (main does it) before the first HttpClient is made.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::agent {

struct HttpRequest {
  std::string method;  // GET, POST, PUT
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent as application/json when not empty
};

struct HttpResult {
  // 0 when no response arrived (then `error` says why: DNS, refused, TLS,
  // timeout, an answer above 1 MiB, or an abort).
  int status = 0;
  std::string error;
  std::string body;
  std::string etag;  // the ETag header's raw value, "" when absent
};

class HttpClient {
 public:
  // `ca_file` empty: the OS trust store. `timeout`: whole request, connect included.
  // `should_abort` is polled during transfers; returning true ends the
  // request at once (status 0, error "aborted").
  HttpClient(std::string ca_file, std::chrono::milliseconds timeout,
             std::function<bool()> should_abort);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult Send(const HttpRequest& request);

 private:
  void* curl_ = nullptr;  // CURL*
  std::string ca_file_;
  std::chrono::milliseconds timeout_;
  std::function<bool()> should_abort_;
};

}  // namespace switchboard::agent
