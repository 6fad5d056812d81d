// libFuzzer target: ParseBrokerUrl (core/include/switchboard/broker.h), the
// parser every broker URL from YAML, env and the API goes through. Beyond
// "no crash" it checks the contract: an accepted URL has a scheme it knows,
// a host and a port in 1..65535, and an error never quotes a password.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "switchboard/broker.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string url(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto broker = switchboard::ParseBrokerUrl(url, &error);
  if (broker) {
    const std::string& p = broker->protocol;
    if (p != "mqtt" && p != "mqtts" && p != "ws" && p != "wss") std::abort();
    if (broker->host.empty() || broker->port < 1 || broker->port > 65535) std::abort();
  } else if (error.empty()) {
    std::abort();
  }
  // A URL may hold a password: no error message may repeat it. The input
  // as a password between a user and a host, marked so that it cannot be
  // mistaken for the fixed text of a message.
  const std::string secret = "Zq9x" + url + "x9qZ";
  std::string secret_error;
  if (!switchboard::ParseBrokerUrl("mqtt://user:" + secret + "@host:1883", &secret_error) &&
      secret_error.find("Zq9x") != std::string::npos) {
    std::abort();
  }
  switchboard::ParseBrokerUrl(url, nullptr);  // a null error is allowed
  return 0;
}
