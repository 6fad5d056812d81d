// libFuzzer target: the agent's reading of Switchboard's answers
// (agent/src/server_answer.h), the only place the agent interprets bytes
// from the server. Checks the header's promises: it never throws, a parse
// either has a value or says why, and a registration it accepts has a uuid
// and a password.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server_answer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  using namespace switchboard::agent;
  const auto registration = ParseRegistrationAnswer(body);
  if (registration.value.has_value() == !registration.error.empty()) std::abort();
  if (registration.value &&
      (registration.value->uuid.empty() || registration.value->password.empty())) {
    std::abort();
  }
  const auto config = ParseConfigAnswer(body);
  if (config.value.has_value() == !config.error.empty()) std::abort();
  if (ParseErrorMessage(body).size() > 300 + 3) std::abort();
  return 0;
}
