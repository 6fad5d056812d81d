// libFuzzer target: ParseBrokerUrl (core/include/switchboard/broker.h), the
// parser every broker URL from YAML, env and the API goes through. Beyond
// "no crash" it checks the contract: an accepted URL has a scheme it knows,
// a host and a port in 1..65535, and an error never quotes the input.
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
  } else {
    if (error.empty()) std::abort();
    // The URL may hold a password: an error message must not repeat it.
    if (url.size() >= 12 && error.find(url) != std::string::npos) std::abort();
  }
  switchboard::ParseBrokerUrl(url, nullptr);  // a null error is allowed
  return 0;
}
