#include "domain/client_broker_config.h"

#include <utility>

namespace switchboard {

namespace {

// ASCII, as BrokerUrl() lowers it (std::tolower in the C locale, which the
// server never changes, does the same at a call per character).
void LowerAscii(std::string& text) {
  for (char& ch : text) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
}

// The fields ToClientBrokerConfig copies or moves: one list for both. Each
// forward moves (for an rvalue) a different member, never the same twice.
template <typename Broker>
ClientBrokerConfig Whitelist(Broker&& broker) {
  ClientBrokerConfig c;
  // Lowercase like BrokerUrl(), so `broker` and `brokerConfig` agree even for
  // a row written as "MQTTS".
  c.protocol = std::forward<Broker>(broker).protocol;
  LowerAscii(c.protocol);
  c.host = std::forward<Broker>(broker).host;
  c.port = broker.port;
  c.path = std::forward<Broker>(broker).path;
  if (!c.path.empty() && c.path.front() != '/') c.path.insert(0, 1, '/');  // as BrokerUrl()
  c.use_tls = broker.use_tls;
  c.verify_certificate = broker.verify_certificate;
  c.client_id_prefix = std::forward<Broker>(broker).client_id_prefix;
  c.keep_alive = broker.keep_alive;
  c.clean_session = broker.clean_session;
  c.reconnect_period = broker.reconnect_period;
  c.connect_timeout = broker.connect_timeout;
  c.ca_cert = std::forward<Broker>(broker).ca_cert;
  c.client_cert = std::forward<Broker>(broker).client_cert;
  return c;
}

}  // namespace

ClientBrokerConfig ToClientBrokerConfig(const BrokerConfig& broker) { return Whitelist(broker); }

ClientBrokerConfig ToClientBrokerConfig(BrokerConfig&& broker) {
  return Whitelist(std::move(broker));
}

}  // namespace switchboard
