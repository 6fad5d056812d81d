#include "mqtt_test_client.h"

#include <mosquitto.h>

#include <algorithm>
#include <mutex>
#include <random>
#include <stdexcept>

namespace switchboard::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string RandomClientId() {
  std::random_device device;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string id = "sb-test-";
  for (int i = 0; i < 12; ++i) id += kDigits[device() % 16];
  return id;
}

}  // namespace

MqttTestClient::MqttTestClient(std::string client_id) {
  static std::once_flag init;
  std::call_once(init, [] { mosquitto_lib_init(); });
  if (client_id.empty()) client_id = RandomClientId();
  mosq_ = mosquitto_new(client_id.c_str(), /*clean_session=*/true, this);
  if (mosq_ == nullptr) throw std::runtime_error("mosquitto_new failed");
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(mosq_, OnConnect);
  mosquitto_disconnect_callback_set(mosq_, OnDisconnect);
  mosquitto_subscribe_callback_set(mosq_, OnSubscribe);
  mosquitto_publish_callback_set(mosq_, OnPublish);
  mosquitto_message_callback_set(mosq_, OnMessage);
  mosquitto_log_callback_set(mosq_, OnLog);
}

MqttTestClient::~MqttTestClient() {
  Disconnect();
  mosquitto_destroy(mosq_);
}

template <typename Done>
bool MqttTestClient::PumpUntil(Done done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (lost_) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    const int rc = mosquitto_loop(mosq_, static_cast<int>(std::min<long long>(left, 50)), 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      loop_error_ = rc;
      lost_ = true;
      connected_ = false;
      return done();
    }
  }
  return true;
}

MqttConnectResult MqttTestClient::Connect(const MqttConnectOptions& options) {
  MqttConnectResult result;
  connack_.reset();
  lost_ = false;
  loop_error_ = 0;
  log_.clear();
  if (!options.username.empty()) {
    mosquitto_username_pw_set(mosq_, options.username.c_str(),
                              options.password.empty() ? nullptr : options.password.c_str());
  }
  if (!options.ca_file.empty()) {
    int rc = mosquitto_tls_set(mosq_, options.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_tls_opts_set(mosq_, 1, nullptr, nullptr);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_tls_insecure_set(mosq_, false);
    if (rc != MOSQ_ERR_SUCCESS) {
      result.error = std::string("TLS setup: ") + mosquitto_strerror(rc);
      return result;
    }
  }
  const int rc = mosquitto_connect(mosq_, options.host.c_str(), options.port, options.keepalive);
  if (rc != MOSQ_ERR_SUCCESS) {
    result.error = std::string("connect: ") + mosquitto_strerror(rc) + " " + log_;
    return result;
  }
  PumpUntil([this] { return connack_.has_value(); }, options.timeout);
  result.connack_code = connack_;
  result.ok = connack_ == 0;
  connected_ = result.ok && !lost_;
  if (!result.ok) {
    if (connack_) {
      result.error = std::string("refused: ") + mosquitto_connack_string(*connack_);
    } else if (loop_error_ != 0) {
      result.error = std::string("connection failed: ") + mosquitto_strerror(loop_error_);
    } else {
      result.error = "no CONNACK within the timeout";
    }
    if (!log_.empty()) result.error += " [" + log_ + "]";
  }
  return result;
}

bool MqttTestClient::Subscribe(const std::string& topic, int* granted_qos,
                               std::chrono::milliseconds timeout) {
  int mid = 0;
  if (mosquitto_subscribe(mosq_, &mid, topic.c_str(), 1) != MOSQ_ERR_SUCCESS) return false;
  if (!PumpUntil([&] { return acked_subscribes_.count(mid) > 0; }, timeout)) return false;
  if (granted_qos != nullptr) *granted_qos = acked_subscribes_[mid];
  return true;
}

bool MqttTestClient::Publish(const std::string& topic, const std::string& payload,
                             std::chrono::milliseconds timeout) {
  int mid = 0;
  if (mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                        payload.data(), 1, false) != MOSQ_ERR_SUCCESS) {
    return false;
  }
  return PumpUntil([&] { return acked_publishes_.count(mid) > 0; }, timeout);
}

std::optional<std::string> MqttTestClient::WaitForMessage(const std::string& topic,
                                                          std::chrono::milliseconds timeout) {
  auto find = [&] {
    return std::find_if(messages_.begin(), messages_.end(),
                        [&](const auto& message) { return message.first == topic; });
  };
  if (!PumpUntil([&] { return find() != messages_.end(); }, timeout)) return std::nullopt;
  const auto it = find();
  std::string payload = it->second;
  messages_.erase(it);
  return payload;
}

void MqttTestClient::Disconnect() {
  if (connected_) {
    mosquitto_disconnect(mosq_);
    connected_ = false;
  }
}

void MqttTestClient::OnConnect(mosquitto*, void* self, int rc) {
  static_cast<MqttTestClient*>(self)->connack_ = rc;
}

void MqttTestClient::OnDisconnect(mosquitto*, void* self, int rc) {
  auto* client = static_cast<MqttTestClient*>(self);
  client->disconnect_rc_ = rc;
  client->connected_ = false;
  client->lost_ = true;
}

void MqttTestClient::OnSubscribe(mosquitto*, void* self, int mid, int count, const int* granted) {
  static_cast<MqttTestClient*>(self)->acked_subscribes_[mid] = count > 0 ? granted[0] : -1;
}

void MqttTestClient::OnPublish(mosquitto*, void* self, int mid) {
  static_cast<MqttTestClient*>(self)->acked_publishes_.insert(mid);
}

void MqttTestClient::OnMessage(mosquitto*, void* self, const mosquitto_message* message) {
  static_cast<MqttTestClient*>(self)->messages_.emplace_back(
      message->topic,
      message->payloadlen > 0
          ? std::string(static_cast<const char*>(message->payload), message->payloadlen)
          : std::string());
}

void MqttTestClient::OnLog(mosquitto*, void* self, int level, const char* line) {
  if ((level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) == 0) return;
  auto& log = static_cast<MqttTestClient*>(self)->log_;
  if (log.size() > 2000) return;
  if (!log.empty()) log += "; ";
  log += line;
}

}  // namespace switchboard::testing
