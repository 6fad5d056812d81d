#include "domain/client_broker_config.h"

#include <cctype>

namespace switchboard {

ClientBrokerConfig ToClientBrokerConfig(const BrokerConfig& broker) {
  ClientBrokerConfig c;
  // Lowercase like BrokerUrl(), so `broker` and `brokerConfig` agree even for
  // a row written as "MQTTS".
  c.protocol = broker.protocol;
  for (char& ch : c.protocol) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  c.host = broker.host;
  c.port = broker.port;
  c.path = broker.path;
  if (!c.path.empty() && c.path.front() != '/') c.path.insert(0, 1, '/');  // as BrokerUrl()
  c.use_tls = broker.use_tls;
  c.verify_certificate = broker.verify_certificate;
  c.client_id_prefix = broker.client_id_prefix;
  c.keep_alive = broker.keep_alive;
  c.clean_session = broker.clean_session;
  c.reconnect_period = broker.reconnect_period;
  c.connect_timeout = broker.connect_timeout;
  c.ca_cert = broker.ca_cert;
  c.client_cert = broker.client_cert;
  return c;
}

}  // namespace switchboard
